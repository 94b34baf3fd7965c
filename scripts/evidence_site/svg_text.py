"""Words inside a figure's SVG, so that the file says what it shows when it is saved or shared alone.

The page's text alternative for the figure becomes the SVG's ``<title>`` and ``<desc>`` (an icon row has no
words of its own), and a family figure of made-up data gets a small visible line under the drawing that says
so. The root is then an image (``role="img"``), whose children are presentational: the roles and aria labels
that vl-convert writes on each mark (raw numbers such as "pct: 33.3333333333", a third of a chart's bytes) are
never read by assistive technology and are left out. Pure: SVG text and words in, SVG text out.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from .charts import Figure
from .vegalite import svg_text

NOTE_HEIGHT = 16  # px added under the drawing for the made-up line
NOTE_STYLE = 'font-family="sans-serif" font-size="11" fill="#444"'  # 9.7:1 on white: readable when printed
_OPEN = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'\bheight="(\d+(?:\.\d+)?)"')
_VIEW = re.compile(r'\bviewBox="0 0 (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)"')
_MARK_ARIA = re.compile(r' (?:role|aria-roledescription|aria-label)="[^"]*"')


def _grown(tag: str, height: float) -> str:
    """The root ``<svg>`` tag with its height and view box taller by NOTE_HEIGHT."""
    new = f"{height + NOTE_HEIGHT:g}"
    tag = _SIZE.sub(f'height="{new}"', tag, count=1)
    return _VIEW.sub(lambda m: f'viewBox="0 0 {m[1]} {new}"', tag, count=1)


def labelled(svg: str, words: str, note: str = "") -> str:
    """``svg`` with ``words`` as its title and description (the root gets role="img" and points to both, and
    the other elements lose their roles and aria labels), and, when ``note`` is given, that line printed under
    the drawing (the background is extended to cover it)."""
    tag = _OPEN.search(svg)
    if tag is None:
        raise ValueError("not an SVG document: no <svg> element (expected the output of charts.to_svg)")
    root, text = tag.group(), escape(" ".join(svg_text(words).split()))
    view = _VIEW.search(root)
    if note and view is not None:
        width, height = float(view[1]), float(view[2])
        root = _grown(root, height)
        svg = svg.replace(f'<rect width="{view[1]}" height="{view[2]}" fill="white"/>',
                          f'<rect width="{view[1]}" height="{height + NOTE_HEIGHT:g}" fill="white"/>', 1)
        line = (f'<text x="{width / 2:g}" y="{height + NOTE_HEIGHT - 4:g}" text-anchor="middle" {NOTE_STYLE}>'
                f"{escape(svg_text(note))}</text>")
        svg = svg[:svg.rindex("</svg>")] + line + "</svg>"
    if " role=" not in root:
        root = root[:-1] + ' role="img" aria-labelledby="figure-title figure-desc">'
    head = f'<title id="figure-title">{text}</title><desc id="figure-desc">{text}</desc>'
    return svg[:tag.start()] + root + head + _MARK_ARIA.sub("", svg[tag.end():])


def family_svg(key: str, fig: Figure, alts: dict[str, str], notes: dict[str, str]) -> str:
    """The file of figure ``key`` (``[<lang>/]<audience>/<study or topic>/<name>``): it gets its page's words
    (``alts``, or its own text alternative if no page shows it) and, a family figure that shows values of a
    study whose key prefix is in ``notes`` (made-up studies), that study's made-up line (a clinician chart's
    title says it)."""
    parts = key.split("/")
    family = "families" in parts[:2]
    note = next((n for prefix, n in notes.items() if key.startswith(prefix)), "") if fig.ids and family else ""
    return labelled(fig.svg, alts.get(key, fig.alt), note)
