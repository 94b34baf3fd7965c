"""Escaping by construction: text from data reaches Markdown and HTML only as inert text.

Templates render Markdown that Python-Markdown turns into HTML, and MkDocs/Material then print some of it
(titles, navigation, front matter) into HTML without escaping. So a value from ``study.yml``, a CSV file or
``data/releases.yml`` must be inert in *both* languages. The rule is enforced in one place, the template
environment's ``finalize`` (:func:`finalize`, installed by ``render.environment``):

- every plain ``str`` printed by a template is escaped with :func:`text`;
- only :class:`Md` (or any ``markupsafe.Markup``) is printed as is. Md is produced by the package's own
  code: the number formatters, ``figure()``, ``link()``, :func:`inline_markdown` and :func:`url_link`.

So forgetting a filter over-escapes (a visible ``*``), never injects. Strings built inside a template with
``~`` are plain strings and are escaped as a whole; ``join`` keeps Md parts and escapes the rest.

**The Markdown subset of free-text fields** (:data:`MARKDOWN_SUBSET`): ``*emphasis*``, ``**strong**`` and
``[a link](https://...)`` (https: only; ``mailto:`` where a template allows it). Everything else is shown
as typed. Links are written as Markdown links with a checked, percent-encoded target; never as ``<url>``.
"""

from __future__ import annotations

import html
import json
import re
import urllib.parse
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

MARKDOWN_SUBSET = ("Free-text fields (population, design, limitations, assumptions, citations, `drug.about` texts "
                   "and release summaries) are shown as plain text, with three exceptions: `*emphasis*`, "
                   "`**strong**` and `[a link](https://...)`. Links must start with `https://`: a link to any "
                   "other address (http:, javascript:, a file) is shown exactly as typed, address and all, and so is "
                   "anything else (HTML, images, headings), never interpreted.")

# What gives text a meaning in Markdown (with this site's extensions: attr_list, abbr, footnotes, tables,
# admonition, def_list, md_in_html) or in HTML, written as character references so that it reads as typed:
# anywhere: < > [ ] { } ` * \\ | " (templates put some values in attributes), '&' that would start a
# reference, '_' unless between two letters or digits;
# at the start of the value (which may start a line): # ! : + - and '1.' (and > anywhere).
_ANYWHERE = re.compile(r"[<>\[\]{}`*\\|\"]|&(?=#?\w+;)|(?<![^\W_])_|_(?![^\W_])")
_START_MARK = re.compile(r"^(\s*)([#!:+-])")  # heading, admonition, definition, list item
_START_NUMBER = re.compile(r"^(\s*\d+)([.)])(?=\s|$)")  # numbered list item
_REFERENCE = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;"}
# Control characters, line separators and the invisible bidirectional controls (a right-to-left override makes
# "0001 children" display as "1000 children"): printed as a space.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def without_controls(tree: Any) -> Any:
    """``tree`` (dicts, lists, strings, other values) with every ``CONTROL`` character in its strings, keys too,
    printed as a space: for files offered for reuse (numbers.json), where no page escapes them."""
    if isinstance(tree, str):
        return CONTROL.sub(" ", tree) if CONTROL.search(tree) else tree
    if isinstance(tree, dict):
        return {without_controls(k): without_controls(v) for k, v in tree.items()}
    if isinstance(tree, list | tuple):
        return type(tree)(without_controls(v) for v in tree)
    return tree


URL_SAFE = "/:?#@!$&*+,;=%~-._"  # kept as is in a link target; everything else is percent-encoded


class Md(Markup):
    """Markdown (and HTML) that is safe to print: made by this package, or data escaped by :func:`text`.

    Combining an Md with a plain string (``+``, ``%``, ``format``, ``join``) escapes the plain string with
    :func:`text`, not with HTML escaping alone (which would leave Markdown links live).
    """

    __slots__ = ()

    @classmethod
    def escape(cls, s: Any) -> Md:
        if hasattr(s, "__html__"):
            return cls(s.__html__())
        return cls(_escape(str(s)))


def _ref(m: re.Match[str]) -> str:
    return _ref_char(m.group())


def _ref_char(c: str) -> str:
    return _REFERENCE.get(c, f"&#{ord(c)};")


def _one_line(value: str) -> str:
    """Control characters and line breaks as spaces, runs of white space as one (so data never starts a line)."""
    return re.sub(r"\s+", " ", CONTROL.sub(" ", value))


def _escape(value: str) -> str:
    line = _ANYWHERE.sub(_ref, _one_line(value))
    return _START_NUMBER.sub(lambda m: m.group(1) + _ref_char(m.group(2)), _START_MARK.sub(
        lambda m: m.group(1) + _ref_char(m.group(2)), line, count=1), count=1)


def text(value: Any) -> Md:
    """Data as inert Markdown and HTML: one line, and every character with a meaning written as a reference.

    ``a <b> [c](javascript:x)`` -> ``a &lt;b&gt; &#91;c&#93;(javascript:x)``: rendered, it reads exactly as
    typed, also inside a double-quoted HTML attribute. Front matter, which MkDocs copies into HTML, is made
    safe as a whole by :func:`front_matter`.
    """
    return Md.escape(value)


def trusted(value: str) -> Md:
    """Markdown written by this package (templates, schema, formatting functions): printed as is."""
    return Md(value)


def safe_url(url: Any, mailto: bool = False) -> str | None:
    """``url`` as a percent-encoded https: (or mailto:) address, or None when it is not one."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    if not url or len(url) > 2000 or CONTROL.search(url) or re.search(r"\s", url):
        return None
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "https" and parts.netloc and not parts.netloc.startswith(("@", ":")) \
            and re.fullmatch(r"[A-Za-z0-9.-]+(?::\d{1,5})?", parts.netloc.rsplit("@", 1)[-1]):
        return urllib.parse.quote(url, safe=URL_SAFE)
    if mailto and scheme == "mailto" and re.fullmatch(r"[^@\s]+@[A-Za-z0-9.-]+", parts.path):
        return urllib.parse.quote(url, safe=URL_SAFE)
    return None


def url_link(url: Any, label: Any = None, mailto: bool = False) -> Md:
    """A Markdown link to a checked address, its label escaped; an unusable address is shown as plain text."""
    target = safe_url(url, mailto)
    if target is None:
        return text(url)
    return Md(f"[{_escape(str(label if label is not None else url))}]({target})")


# Emphasis and strong only where no other "*" touches their markers: "*a**b*" or "**a*" would leave a literal "*"
# beside an escaped one ("&#42;"), which Python-Markdown pairs across its placeholder for the reference and then
# prints the placeholder ("klzzwxh:0003") as page text (an outside tester).
_INLINE = re.compile(r"\[(?P<label>[^\[\]\n]{1,300})\]\((?P<url>[^()\s]{1,2000})\)"
                     r"|(?<!\*)\*\*(?P<strong>[^*\n]{1,1000})\*\*(?!\*)"
                     r"|(?<!\*)\*(?P<em>[^*\s](?:[^*\n]{0,998}[^*\s])?)\*(?!\*)")


def inline_markdown(value: Any, mailto: bool = False) -> Md:
    """A free-text field in the documented subset (:data:`MARKDOWN_SUBSET`); the rest escaped as :func:`text`.

    A link whose address is not https: (or mailto: when allowed) is shown as typed, its address in view (it lost
    its address without a word: an outside tester's http: link printed only its label).
    """
    source = _one_line(str(value)).strip()
    out, last = [], 0
    for m in _INLINE.finditer(source):
        before = _escape(source[last:m.start()])
        if m.group("label") is not None and before.endswith("!"):  # "![label](url)" would be an image: text "!"
            before = before[:-1] + _ref_char("!")
        out.append(before)
        if m.group("label") is not None:
            target = safe_url(m.group("url"), mailto)
            label = _escape(m.group("label"))
            out.append(f"[{label}]({target})" if target else _escape(m.group(0)))
        elif m.group("strong") is not None:
            out.append(f"**{_escape(m.group('strong'))}**")
        else:
            out.append(f"*{_escape(m.group('em'))}*")
        last = m.end()
    out.append(_escape(source[last:]))
    return Md("".join(out))


def html_text(value: Any) -> str:
    """Plain text for places that MkDocs and Material print into HTML without escaping (navigation titles)."""
    return html.escape(_one_line(str(value)).strip(), quote=True)


_FRONT_LINE = re.compile(r"(?P<key>[A-Za-z_][\w-]*):(?P<value>.*)")
_YAML_PLAIN = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:(?!: |\s#)[^\n])*(?<![\s:])")


def front_matter(page: str) -> str:
    """Make a page's front matter safe: each ``key: value`` line a YAML string that is also safe in HTML.

    MkDocs and Material print front matter (``description``, ``title``) into HTML without escaping, in
    attributes among other places. A value holding data may contain ``"`` or a YAML indicator (``: ``,
    `` #``): such a value is HTML-escaped and written as a double-quoted YAML string. Other lines are kept.
    """
    if not page.startswith("---\n"):
        return page
    end = page.find("\n---\n", 3)
    if end < 0:
        return page
    lines = []
    for line in page[4:end].split("\n"):
        m = _FRONT_LINE.fullmatch(line)
        value = m and m.group("value").strip()
        if (m and value and not _YAML_PLAIN.fullmatch(value)) or (m and value and '"' in value):
            safe = html.escape(html.unescape(value), quote=True)
            line = f"{m.group('key')}: " + json.dumps(safe, ensure_ascii=False)
        lines.append(line)
    return "---\n" + "\n".join(lines) + page[end:]


def finalize(value: Any) -> Any:
    """The template environment's finalize: Md/Markup as is, anything else escaped as :func:`text`."""
    if hasattr(value, "__html__"):
        return value
    if isinstance(value, bool | int | float):
        return Md(value)
    return text(value)


def formatter(fn: Callable[..., Any], keys: tuple[int, ...] = ()) -> Callable[..., Any]:
    """Wrap one of the package's formatting functions: string arguments are escaped, the result is Md.

    For filters like ``fmt.clinical`` and ``families.frequency``, whose output is the package's own words and
    numbers; a string argument (a noun, a label) may come from data, so it is escaped on the way in. ``keys``
    are positions of arguments that the function only looks up in its own tables (passed unescaped).
    """

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        args = tuple(text(a) if i not in keys and isinstance(a, str) and not hasattr(a, "__html__") else a
                     for i, a in enumerate(args))
        kwargs = {k: text(a) if isinstance(a, str) and not hasattr(a, "__html__") else a for k, a in kwargs.items()}
        result = fn(*args, **kwargs)
        return Md(result) if isinstance(result, str) else result

    wrapped.__name__ = getattr(fn, "__name__", "formatter")
    wrapped.__doc__ = fn.__doc__
    for attr in ("jinja_pass_arg",):
        if hasattr(fn, attr):
            setattr(wrapped, attr, getattr(fn, attr))
    return wrapped


def join(value: Any, d: str = "", attribute: Any = None) -> Md:
    """The ``join`` filter: Md parts kept, plain parts escaped, the separator (from the template) trusted."""
    items = [getattr(x, attribute) if attribute else x for x in value]
    return Md(d).join(items)


def concat(parts: Any) -> Any:
    """Jinja's ``~`` (see render.environment): plain text if every part is plain, else Md with plain parts escaped."""
    parts = list(parts)
    if any(hasattr(p, "__html__") for p in parts):
        return Md("").join(parts)
    return "".join(map(str, parts))


def replace(value: Any, old: str, new: str, count: int | None = None) -> Any:
    """The ``replace`` filter: Md stays Md only when the replacement is the package's own (Md) text."""
    s = str(value).replace(str(old), str(new), -1 if count is None else count)
    return Md(s) if hasattr(value, "__html__") and not (isinstance(new, str) and not hasattr(new, "__html__")
                                                        and _escape(new) != new) else s


def upper_first(value: Any) -> Any:
    """Capitalise the first letter, keeping Md as Md (and plain text plain, to be escaped on output)."""
    s = str(value)
    out = s[:1].upper() + s[1:]
    return Md(out) if hasattr(value, "__html__") else out


def trust_tree(value: Any) -> Any:
    """Strings inside the package's own structures (the schema, template word lists) marked as Md."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return Md(value)
    if isinstance(value, dict):
        return {k: trust_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(trust_tree(v) for v in value) if isinstance(value, list) else tuple(
            trust_tree(v) for v in value)
    return value


class TrustedObject:
    """A read-only view of one of the package's own objects (schema tables, columns) whose text is Md."""

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._obj, name)
        if hasattr(value, "__dataclass_fields__"):
            return TrustedObject(value)
        if isinstance(value, list | tuple):
            return [TrustedObject(v) if hasattr(v, "__dataclass_fields__") else trust_tree(v) for v in value]
        return trust_tree(value)
