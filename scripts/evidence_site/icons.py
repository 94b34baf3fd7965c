"""The theme's icons once per site instead of inline in every page (pure text in, text out; engines.py writes).

An engine's theme writes each icon of the header and menu (logo, menu, colour-scheme switch, search, back to
top) as inline SVG on every page: about 4 KB a page, 3.2 MB of a 50-study site. After the build, each such
icon's drawing moves into one file per site (``assets/icons-<hash>.svg``) and the page keeps its
``<svg>`` element, with the same attributes, drawing it with ``<use href="...#<id>"/>``. The icon is drawn the
same: same box, same view box, and its colour still comes from the page (``fill: currentcolor`` is inherited
through ``<use>``). Only icons whose drawing is plain paths are moved, and only in pages whose asset prefix is
known (taken from the page's own link to the theme's stylesheet, so the 404 page's absolute links work too).
"""

from __future__ import annotations

import functools
import hashlib
import re

SPRITE_FOLDER = "assets"
# An icon as the themes write it: an <svg> with only xmlns and viewBox, drawn by paths with only a `d`.
_ICON = re.compile(r'<svg xmlns="http://www.w3.org/2000/svg" viewBox="([0-9. ]+)">((?:<path d="[^"<>]*"/>)+)</svg>')
_ASSETS = re.compile(r'<link rel="stylesheet" href="([^"<>]*?)assets/stylesheets/')


@functools.lru_cache(maxsize=256)
def icon_id(drawing: str) -> str:
    return "i" + hashlib.sha256(drawing.encode("utf-8")).hexdigest()[:6]


def drawings_in(page: str) -> dict[str, str]:
    """The drawings (id -> paths) of the icons that :func:`with_shared_icons` moves out of ``page``."""
    if _ASSETS.search(page) is None:
        return {}
    return {icon_id(m.group(2)): m.group(2) for m in _ICON.finditer(page)}


def with_shared_icons(page: str, sprite: str) -> str:
    """``page`` with each inline icon drawn from ``sprite`` (a site-relative path); unchanged if the page names
    no asset prefix."""
    prefix = _ASSETS.search(page)
    if prefix is None:
        return page
    return _ICON.sub(lambda icon: f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{icon.group(1)}">'
                                  f'<use href="{prefix.group(1)}{sprite}#{icon_id(icon.group(2))}"/></svg>', page)


def sprite_name(drawings: dict[str, str]) -> str:
    """The sprite's site-relative path, named by its content (a new set of icons is a new file for browsers)."""
    digest = hashlib.sha256("".join(f"{k}{v}" for k, v in sorted(drawings.items())).encode("utf-8")).hexdigest()
    return f"{SPRITE_FOLDER}/icons-{digest[:8]}.svg"


def sprite(drawings: dict[str, str]) -> str:
    """The SVG file that holds every icon's drawing, each a group named by its id."""
    groups = "".join(f'<g id="{key}">{paths}</g>' for key, paths in sorted(drawings.items()))
    return f'<svg xmlns="http://www.w3.org/2000/svg"><defs>{groups}</defs></svg>\n'
