"""The family gates of issue 15: search, reading order, keyboard on a phone, dark mode, icon arrays in greyscale.

Each check is a pure rule over what the browser measured (``*_check``) plus the few lines that measure it in a
loaded tab. The thresholds are in ``settings.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .png import Image, read_png
from .rules import Check

if TYPE_CHECKING:
    from playwright.sync_api import Page as Tab

# Colour ------------------------------------------------------------------------------------------------------


def luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG relative luminance of an sRGB colour."""
    def channel(c: int) -> float:
        c8 = c / 255
        return c8 / 12.92 if c8 <= 0.04045 else ((c8 + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: float, b: float) -> float:
    """WCAG contrast ratio of two luminances (1 to 21)."""
    high, low = max(a, b), min(a, b)
    return (high + 0.05) / (low + 0.05)


# Icon arrays in greyscale --------------------------------------------------------------------------------------


def figure_tones(image: Image, ink: float = 0.5) -> list[tuple[float, float]]:
    """For each child figure, left to right: (luminance of its body's centre, darkest luminance in it).

    Figures are found as runs of pixel columns holding ink (luminance below ``ink``) within the tallest band of
    inked rows (a line of words under the figures, such as a made-up study's "Made-up example data", is not a
    figure); a figure's body's centre is the middle third of its width in the lower half of its height (below
    the head).
    """
    lum = [[luminance(image.pixel(x, y)) for x in range(image.width)] for y in range(image.height)]
    bands: list[tuple[int, int]] = []
    top = None
    for y, on in enumerate([*(any(v < ink for v in row) for row in lum), False]):
        if on and top is None:
            top = y
        elif not on and top is not None:
            bands.append((top, y))
            top = None
    merged: list[tuple[int, int]] = []
    for band in bands:  # a figure's head and body are one band: join bands a few pixels apart
        if merged and band[0] - merged[-1][1] <= max(2, image.height // 16):
            merged[-1] = (merged[-1][0], band[1])
        else:
            merged.append(band)
    if merged:  # the figures' rows only
        top, bottom = max(merged, key=lambda b: b[1] - b[0])
        lum = [row if top <= y < bottom else [1.0] * image.width for y, row in enumerate(lum)]
    inked = [any(lum[y][x] < ink for y in range(image.height)) for x in range(image.width)]
    runs, start = [], None
    for x, on in enumerate([*inked, False]):
        if on and start is None:
            start = x
        elif not on and start is not None:
            runs.append((start, x))
            start = None
    tones = []
    for x0, x1 in runs:
        rows = [y for y in range(image.height) if any(lum[y][x] < ink for x in range(x0, x1))]
        y0, y1 = rows[0], rows[-1] + 1
        w, h = x1 - x0, y1 - y0
        cx0, cx1 = x0 + w // 3, max(x0 + (2 * w) // 3, x0 + w // 3 + 1)
        cy0, cy1 = y0 + h // 2, max(y0 + (4 * h) // 5, y0 + h // 2 + 1)
        centre = [lum[y][x] for y in range(cy0, cy1) for x in range(cx0, cx1)]
        darkest = min(lum[y][x] for y in range(y0, y1) for x in range(x0, x1))
        tones.append((sum(centre) / len(centre), darkest))
    return tones


def icon_contrast_check(png: bytes, minimum: float, figures: int = 10) -> Check:
    """The two kinds of figure (solid and outlined) differ in greyscale by at least ``minimum`` to 1, and an
    outlined figure's outline stands out from its own inside by as much."""
    tones = figure_tones(read_png(png))
    if len(tones) != figures:
        return Check(False, f"{len(tones)} figures", [f"found {len(tones)} child figures in the icon array, "
                                                      f"expected {figures}"])
    centres = [c for c, _ in tones]
    dark, light = min(centres), max(centres)
    between = contrast(dark, light)
    kinds = [c < (dark + light) / 2 for c in centres]
    if all(kinds) or not any(kinds):
        return Check(None, "one kind", ["every figure is of one kind: the contrast between kinds cannot be measured"])
    outline = min(contrast(low, centre) for (centre, low), solid in zip(tones, kinds, strict=True) if not solid)
    problems = []
    if between < minimum:
        problems.append(f"solid and outlined figures differ by {between:.1f}:1 in greyscale, expected at least "
                        f"{minimum:g}:1")
    if outline < minimum:
        problems.append(f"an outlined figure's outline differs from its inside by {outline:.1f}:1, expected at "
                        f"least {minimum:g}:1")
    return Check(not problems, f"{between:.1f}:1", problems or [f"solid vs outlined {between:.1f}:1, "
                                                                  f"outline vs inside {outline:.1f}:1"])


def icon_screenshot(tab: Tab, selector: str) -> bytes | None:
    """The first icon array matched by ``selector``, as printed and in greyscale (PNG), or None if there is none."""
    tab.emulate_media(media="print")  # print colours, greyscale, and drawn large enough to measure inside a figure
    tab.add_style_tag(content=f"html {{ filter: grayscale(1); }} {selector} {{ width: 180mm !important; "
                              "max-width: none !important; }")
    element = tab.query_selector(selector)
    return element.screenshot(type="png") if element else None


# Text equivalents ----------------------------------------------------------------------------------------------

_SENTENCE_BREAK = re.compile(r"[.!?]\s+\S")


def one_sentence_check(charts: Iterable[dict]) -> Check:
    """Every icon array's text equivalent is one sentence (a screen reader reads it in one go)."""
    problems = [f"{c['src']}: {c['name']!r} is not one sentence" for c in charts
                if "qr" not in c["src"] and (_SENTENCE_BREAK.search(c["name"]) or not c["name"].endswith("."))]
    return Check(not problems, str(len(problems)), problems)


# Reading order ---------------------------------------------------------------------------------------------------

_PAGER = """() => [...document.querySelectorAll('article nav.pager a')].map(a => a.textContent.trim())"""


def pager_check(links: list[str]) -> Check:
    """A study's family page links to the page before or after it in reading order."""
    ok = any(t.startswith(("Previous:", "Next:", "Anterior:", "Siguiente:")) for t in links)  # English, Spanish
    return Check(ok, str(len(links)), links or ["no previous/next links at the foot of the page"])


def pager_links(tab: Tab) -> list[str]:
    return tab.evaluate(_PAGER)


# Keyboard on a phone ---------------------------------------------------------------------------------------------

# Where the focus is after a Tab press: inside the page's own content? visible on screen? its outline.
_FOCUS = """() => {
  const focused = document.activeElement;
  if (!focused || focused === document.body) return null;
  // A visually hidden checkbox (Material's light/dark switch) is seen, and shows focus, through its label.
  const next = focused.nextElementSibling;
  const el = focused.matches('input.md-option') && next && next.matches('label') ? next : focused;
  const r = el.getBoundingClientRect(), s = getComputedStyle(el);
  let hidden = false;
  for (let e = el; e; e = e.parentElement) {
    const c = getComputedStyle(e);
    if (c.visibility === 'hidden' || c.display === 'none') { hidden = true; break; }
  }
  const offscreen = r.right <= 0 || r.left >= innerWidth || r.width === 0 || r.height === 0;
  const name = el.textContent.trim() || el.getAttribute('aria-label') || el.getAttribute('title') || '';
  return {what: el.tagName.toLowerCase() + ' ' + name.trim().slice(0, 40),
          content: !!el.closest('.md-content, .md-footer'), hidden: hidden || offscreen,
          outline: s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth)};
}"""


def tab_stops(tab: Tab, limit: int) -> list[dict]:
    """Press Tab from the top of a freshly loaded page until the focus is in the content (at most ``limit``)."""
    tab.evaluate("() => { window.scrollTo(0, 0); document.activeElement && document.activeElement.blur() }")
    stops: list[dict] = []
    for _ in range(limit):
        tab.keyboard.press("Tab")
        stop = tab.evaluate(_FOCUS)
        if stop is None:
            continue
        stops.append(stop)
        if stop["content"]:
            break
    return stops


def keyboard_check(stops: list[dict], max_tabs: int, min_outline: float) -> Check:
    """Tab reaches the content within ``max_tabs`` presses, never stops on something hidden or off-screen, and
    every stop shows a focus outline of at least ``min_outline`` px."""
    problems = [f"Tab {i}: focus on a hidden or off-screen element ({s['what']!r})"
                for i, s in enumerate(stops, 1) if s["hidden"]]
    problems += [f"Tab {i}: focus outline {s['outline']:g} px on {s['what']!r}, expected at least {min_outline:g} px"
                 for i, s in enumerate(stops, 1) if not s["hidden"] and s["outline"] < min_outline]
    reached = next((i for i, s in enumerate(stops, 1) if s["content"]), None)
    if reached is None:
        problems.append(f"the page's content was not reached in {len(stops)} Tab presses (limit {max_tabs})")
    elif reached > max_tabs:
        problems.append(f"the page's content took {reached} Tab presses, expected at most {max_tabs}")
    return Check(not problems, str(reached or "–"), problems or [" → ".join(s["what"] for s in stops)])


# Search ------------------------------------------------------------------------------------------------------------

_RESULTS = """() => [...document.querySelectorAll('.md-search-result__item > a')]
  .map(a => new URL(a.href).pathname)"""


# Counts the queries the page posts to Material's search worker (messages of type 2, QUERY) and the worker's answers
# (type 3, RESULT), from the first search on the page on, never reset: the worker answers in order, so once the
# answers have caught up with the queries, the results drawn are those of the last query. (Counting from each word
# instead let the answer to the query Material sends when the box is emptied pass for the word's own.) The listener
# is added to the worker on its first query after this runs, behind Material's own, so an answer is drawn before
# it counts.
_COUNT_QUERIES = """() => {
  if (window.__gateSearch) return;
  const counts = window.__gateSearch = {sent: 0, answered: 0, workers: new Set()};
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (...args) {
    if (!counts.workers.has(this)) {
      counts.workers.add(this);
      this.addEventListener('message', event => { if (event.data && event.data.type === 3) counts.answered++ });
    }
    if (args[0] && args[0].type === 2) { counts.sent++; counts.last = args[0].data }
    return post.apply(this, args);
  };
}"""
# The word has been sent, and every query sent so far has been answered and drawn; then two frames for
# search-audience.js's reordering.
_ANSWERED = """word => { const c = window.__gateSearch;
  return c.sent > 0 && String(c.last).trim() === word.trim() && c.answered >= c.sent }"""
_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


def search(tab: Tab, word: str, timeout_ms: int = 10_000) -> list[str]:
    """Enter ``word`` in Material's search on the loaded page; the addresses of the results, in order, once the
    search worker has answered every query sent. The word goes in whole, then a key is pressed (Material searches
    on each key released): one query, whose results are those of the word typed letter by letter."""
    tab.evaluate(_COUNT_QUERIES)
    tab.evaluate("() => { const t = document.querySelector('[data-md-toggle=search]');"
                 " t.checked = true; t.dispatchEvent(new Event('change')) }")
    box = tab.locator("input.md-search__input")
    box.fill("")
    box.fill(word)
    box.press("End")
    tab.wait_for_function(_ANSWERED, arg=word, timeout=timeout_ms)
    tab.evaluate(_FRAMES)
    return tab.evaluate(_RESULTS)


_MADE_UP = "() => (window.evidenceMadeUpPages || []).filter(Boolean)"  # reference/made-up-pages.js


def made_up_prefixes(tab: Tab) -> list[str]:
    """The address prefixes (relative to the page's own site) of made-up studies' pages, as the page's site lists
    them (its reference/made-up-pages.js)."""
    return tab.evaluate(_MADE_UP)


def search_check(results: dict[str, list[str]], family: str, never: Iterable[str],
                 made_up: Iterable[str] = ()) -> Check:
    """From a family page, every word finds something, the first result is a family page, and no result leads
    to a page in ``never`` (paths relative to the site root, such as the Data format page). The first result is
    not a page of a made-up study (``made_up``: address prefixes) when a real family page also matches."""
    problems = []
    never = tuple(never)
    made_up = tuple(made_up)
    for word, paths in results.items():
        relative = [p.lstrip("/") for p in paths]
        if not relative:
            problems.append(f"{word!r}: no results")
            continue
        if not relative[0].startswith(family):
            problems.append(f"{word!r}: the first result is {relative[0]!r}, not a family page")
        first_other = next((i for i, p in enumerate(relative) if not p.startswith(family)), len(relative))
        if any(p.startswith(family) for p in relative[first_other:]):
            problems.append(f"{word!r}: a family page comes after another audience's page: {relative}")
        real = [p for p in relative if p.startswith(family) and not (made_up and p.startswith(made_up))]
        if made_up and relative[0].startswith(made_up) and real:
            problems.append(f"{word!r}: the first result {relative[0]!r} is made-up example data, while the real "
                            f"family page {real[0]!r} also matches")
        bad = sorted({p for p in relative if p.startswith(never)})
        if bad:
            problems.append(f"{word!r}: results lead to {bad}")
    summary = [f"{w!r}: {len(p)} results, first {p[0] if p else '–'}" for w, p in results.items()]
    return Check(not problems, f"{len(results)} words", problems or summary)
