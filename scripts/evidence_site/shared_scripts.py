"""Inline scripts that every page repeats, moved to one file each (pure text in, text out; engines.py writes).

The theme writes the same small scripts into every page (the colour-scheme switch's 0.7 KB, the tab that a link
opens, the tables' keyboard scrolling): about 1 KB a page, 0.8 MB of a 50-study site. After the build, an inline
script (a ``<script>`` without attributes) whose text is the same on two pages or more is written once, as
``assets/inline-<hash>.js``, and each page loads it with ``<script src>`` at the same place: a classic script
that is not ``async`` or ``defer`` runs at that point of the page, as the inline one did. Scripts that differ
from page to page (those that name the page's own path) stay inline.
"""

from __future__ import annotations

import hashlib
import re

_INLINE = re.compile(r"<script>(.*?)</script>", re.S)
_ASSETS = re.compile(r'<link rel="stylesheet" href="([^"<>]*?)assets/stylesheets/')


def script_counts(page: str, counts: dict[str, int]) -> None:
    """Count each inline script of ``page`` (once a page) into ``counts``."""
    if _ASSETS.search(page) is None:
        return
    for text in set(_INLINE.findall(page)):
        counts[text] = counts.get(text, 0) + 1


def shared_files(counts: dict[str, int]) -> dict[str, str]:
    """Script text -> its file's site-relative path, for the scripts found on two pages or more."""
    return {text: f"assets/inline-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}.js"
            for text, n in counts.items() if n >= 2 and text.strip()}


def with_shared_scripts(page: str, files: dict[str, str]) -> str:
    """``page`` loading each script of ``files`` from its file; unchanged if it names no asset prefix."""
    prefix = _ASSETS.search(page)
    if prefix is None or not files:
        return page
    return _INLINE.sub(lambda s: f'<script src="{prefix.group(1)}{files[s.group(1)]}"></script>'
                       if s.group(1) in files else s.group(0), page)
