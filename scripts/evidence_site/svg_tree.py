"""Presentation attributes that every child of an SVG group repeats, written once on the group (pure).

vl-convert writes each tick, grid line and label with its own colour, width, font size and alignment. When all
the elements of a group are leaves (no child elements of their own) and all set the same inherited presentation
attribute to the same value, that attribute moves to the group: each child inherits it, and the group's own
value mattered for nothing else, so the drawing is the same (tests/test_site_size.py compares pixels).
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r'<(/?)([\w:-]+)((?:\s+[\w:-]+="[^"]*")*)\s*(/?)>|[^<]+')
_ATTR = re.compile(r'\s+([\w:-]+)="([^"]*)"')
INHERITED = ("fill", "stroke", "stroke-width", "font-size", "font-weight", "text-anchor", "font-family")


class _Element:
    __slots__ = ("attrs", "children", "empty", "tag")

    def __init__(self, tag: str, attrs: list[tuple[str, str]], empty: bool) -> None:
        self.tag, self.attrs, self.empty = tag, attrs, empty
        self.children: list[_Element | str] = []


def _parse(svg: str) -> _Element | None:
    """The element tree of ``svg``, or None if it is not made only of tags with quoted attributes and text."""
    top = _Element("", [], False)
    stack = [top]
    at = 0
    for token in _TOKEN.finditer(svg):
        if token.start() != at:
            return None  # something this small parser does not read (a comment, a declaration): leave it as it is
        at = token.end()
        if token.group(2) is None:
            stack[-1].children.append(token.group(0))
        elif token.group(1):
            if len(stack) < 2 or stack.pop().tag != token.group(2):
                return None
        else:
            element = _Element(token.group(2), _ATTR.findall(token.group(3)), bool(token.group(4)))
            stack[-1].children.append(element)
            if not element.empty:
                stack.append(element)
    return top if at == len(svg) and len(stack) == 1 else None


def _hoist(element: _Element) -> None:
    kids = [k for k in element.children if isinstance(k, _Element)]
    for kid in kids:
        _hoist(kid)
    if element.tag != "g" or len(kids) < 2 or any(isinstance(k, str) and k.strip() for k in element.children) \
            or any(isinstance(g, _Element) for k in kids for g in k.children):
        return
    for name in INHERITED:
        values = {dict(k.attrs).get(name) for k in kids}
        if len(values) == 1 and None not in values:
            value = values.pop()
            for kid in kids:
                kid.attrs = [(a, v) for a, v in kid.attrs if a != name]
            element.attrs = [(a, v) for a, v in element.attrs if a != name] + [(name, value or "")]


def _text(element: _Element) -> str:
    out = []
    for kid in element.children:
        if isinstance(kid, str):
            out.append(kid)
            continue
        attrs = "".join(f' {a}="{v}"' for a, v in kid.attrs)
        out.append(f"<{kid.tag}{attrs}/>" if kid.empty else f"<{kid.tag}{attrs}>{_text(kid)}</{kid.tag}>")
    return "".join(out)


def shared_attributes(svg: str) -> str:
    """``svg`` with the presentation attributes that all children of a group repeat written on the group."""
    tree = _parse(svg)
    if tree is None or _text(tree) != svg:  # only a document this parser writes back byte for byte is changed
        return svg
    _hoist(tree)
    return _text(tree)
