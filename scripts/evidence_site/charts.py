"""Charts: computed values in, Vega-Lite specifications out, exported to static SVG (pure).

Every chart carries a text alternative built from the same values, so the
picture never says something the words do not.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import fmt, svg_cache
from .numbers import Value
from .svg_tree import shared_attributes
from .vegalite import Datasets, Spec, channel, drawable, encoding, mark, top

# The specs are written as dicts (vegalite.py), as Altair would write them: a build never imports Altair (about
# 1 s). vl-convert is imported where a chart is converted, so a build whose charts all come from the cache
# (cache.py) never loads it.

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK, MUTED, FILLED, EMPTY = "#1f2937", "#4b5563", "#3949ab", "#ffffff"
# A simple child figure (head and body) as an SVG path, drawn in a unit box centred on 0,0.
CHILD = ("M0,-0.95 A0.28,0.28 0 1 1 0,-0.39 A0.28,0.28 0 1 1 0,-0.95 Z "
         "M-0.42,-0.3 L0.42,-0.3 L0.5,0.35 L0.26,0.35 L0.24,0.95 L-0.24,0.95 L-0.26,0.35 L-0.5,0.35 Z")


@dataclass(frozen=True)
class Figure:
    """A chart ready to embed: file name, SVG text (or the converter process's pending SVG) and its text
    alternative."""

    name: str
    drawing: str | svg_cache.Pending
    alt: str
    ids: tuple[str, ...] = ()  # the values the chart shows, cited by the page that embeds it

    @property
    def svg(self) -> str:
        """The SVG text (waiting for the converter process if it is still drawing it)."""
        return self.drawing if isinstance(self.drawing, str) else self.drawing.text()


def draw(builder: Callable[..., Spec], *args: Any) -> str | svg_cache.Pending:
    """The chart ``builder(*args)`` (a Vega-Lite spec) as SVG, converted with vl-convert (no browser, no
    network) through the current content-addressed SVG cache (svg_cache.py; in its converter process when the
    cache has a folder), then compacted. Text from data is first made fit for an SVG (vegalite.drawable)."""
    return svg_cache.current().draw(drawable(builder(*args)), compact_svg)


# What vl-convert writes for an interactive Vega view that a picture in an <img> never uses: class names (the SVG
# has no style sheet), pointer-event and aria-hidden switches, empty background and foreground paths, and the
# default opacity. The roles and aria labels stay (they describe the chart to a reader who opens the SVG itself).
_UNUSED_SVG = re.compile(r' (?:class|pointer-events|aria-hidden)="[^"]*"| opacity="1"')
_EMPTY_PATHS = ('<path d="M0,0h0v0h0Z"/>', '<path d="" display="none"/>')
_FONT = re.compile(r' font-family="([^"]*)"')
# Markup that changes nothing drawn: the identity transform, a line's end coordinate at its default (0), and
# groups with no attribute (their children are drawn the same without them).
_IDENTITY = ' transform="translate(0,0)"'
_LINE_AT_ZERO = re.compile(r'(<line\b[^>]*?) [xy]2="0"(?=[ />])')
_GROUP = re.compile(r"<(/?)g\b([^>]*)>")


def _without_bare_groups(svg: str) -> str:
    """``svg`` without its ``<g>`` elements that have no attribute (their children stay in place)."""
    out: list[str] = []
    kept: list[bool] = []  # for each open group, whether its tags are kept
    last = 0
    for tag in _GROUP.finditer(svg):
        out.append(svg[last:tag.start()])
        last = tag.end()
        if tag.group(1):
            if kept.pop():
                out.append(tag.group(0))
        elif tag.group(2).rstrip().endswith("/"):
            out.append(tag.group(0))  # an empty group written <g .../>: nothing to close
        else:
            kept.append(bool(tag.group(2).strip()))
            if kept[-1]:
                out.append(tag.group(0))
    out.append(svg[last:])
    return "".join(out)


_PATH = re.compile(r'<path\b([^>]*?) d="([^"]{80,})"([^>]*)/>')
_ROOT = re.compile(r"<svg\b[^>]*>")


def _shapes_drawn_once(svg: str) -> str:
    """``svg`` with each long path drawn three times or more (an icon row's child figure, a chart's dot) defined
    once (``<defs>``) and each drawing of it a ``<use>`` with the path's other attributes (inherited by the one
    definition, which has none of its own): drawn the same."""
    counts: dict[str, int] = {}
    for path in _PATH.finditer(svg):
        counts[path.group(2)] = counts.get(path.group(2), 0) + 1
    shared = {d: f"s{i}" for i, d in enumerate(d for d, n in counts.items() if n >= 3)}
    root = _ROOT.search(svg)
    if not shared or root is None:
        return svg
    body = _PATH.sub(lambda p: f'<use href="#{shared[p.group(2)]}"{p.group(1)}{p.group(3)}/>' if p.group(2) in shared
                     else p.group(0), svg[root.end():])
    defs = "".join(f'<path id="{key}" d="{d}"/>' for d, key in shared.items())
    return f"{svg[:root.end()]}<defs>{defs}</defs>{body}"


def compact_svg(svg: str) -> str:
    """``svg`` without what :data:`_UNUSED_SVG` names, with the font, when every text has the same one, named
    once on the root element (inherited) instead of on each text, and without identity transforms, zero line
    ends and groups with no attribute, with long paths drawn three times or more defined once, and with
    the presentation attributes that a group's children all repeat written on the group (svg_tree.py): about
    a third fewer bytes, drawn pixel for pixel the same."""
    svg = _UNUSED_SVG.sub("", svg)
    for empty in _EMPTY_PATHS:
        svg = svg.replace(empty, "")
    svg = svg.replace(_IDENTITY, "")
    while (shorter := _LINE_AT_ZERO.sub(r"\1", svg)) != svg:  # a line may have both ends' zero to drop
        svg = shorter
    svg = _without_bare_groups(shared_attributes(_shapes_drawn_once(svg)))
    fonts = set(_FONT.findall(svg))
    if len(fonts) == 1 and svg.startswith("<svg "):
        svg = f'<svg font-family="{fonts.pop()}" ' + _FONT.sub("", svg)[len("<svg "):]
    return svg


# The shared look (Altair's configuration and default view size, as Altair writes them).
CONFIG: Spec = {"view": {"continuousWidth": 300, "continuousHeight": 300, "stroke": None},
                "axis": {"gridColor": "#e5e7eb", "labelColor": INK, "labelFontSize": 12, "titleColor": INK,
                         "titleFontSize": 12},
                "font": FONT}
PERCENT = {"domain": [0, 100]}


# Row labels are wrapped onto lines of at most LABEL_CHARS characters (between words, never inside one) and drawn
# as lines (the axis splits them at LABEL_SPLIT): a label is never cut short with "…", on a wide screen or a phone.
LABEL_CHARS = 36
LABEL_SPLIT = "split(datum.label, '\\n')"
LINE_HEIGHT = 14  # a 12 px label line, as Vega spaces them


def wrap_label(text: str, width: int = LABEL_CHARS) -> str:
    """``text`` on lines of at most ``width`` characters, broken between words ("\\n"); a longer word stays whole."""
    return "\n".join(textwrap.wrap(" ".join(str(text).split()), width, break_long_words=False,
                                   break_on_hyphens=False)) or str(text)


def title_lines(title: str, width: int = 56) -> str | list[str]:
    """A chart title, as lines of at most ``width`` characters when it is longer (a long one-line title is wider
    than the chart, and the reader's font, wider than the one it was measured with, cut its end)."""
    return title if len(title) <= width else textwrap.wrap(title, width, break_long_words=False,
                                                           break_on_hyphens=False)


def row_step(labels: list[str], least: int) -> int:
    """The height of one chart row: ``least``, or more when a wrapped label has more lines than fit."""
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    return max(least, LINE_HEIGHT * lines + 8)


def padding(sides: int = 48) -> Spec:
    """Room at the sides, because the reader's font may be wider than the one vl-convert measured labels with;
    without it, long axis labels are clipped in some browsers."""
    return {"left": sides, "right": sides, "top": 6, "bottom": 6}


def proportions_chart(values: list[Value], title: str, labels: dict[str, str] | None = None) -> Spec:
    """Dots with 95% interval bars for proportions, one row per value, in percent.

    ``labels`` maps value ids to short row labels; default: the value's label. Labels are wrapped, never cut.
    """
    labels = labels or {}
    rows = pd.DataFrame([{
        "label": wrap_label(labels.get(v.id, v.label)), "pct": v.value * 100, "low": v.ci_low * 100,
        "high": v.ci_high * 100,
        "text": f"{fmt.n_of_n(v)} ({fmt.percent(v)})"} for v in values if v.estimable])
    data = Datasets()
    y = channel("label", "nominal", axis={"labelExpr": LABEL_SPLIT, "labelLimit": 0}, sort=None, title=None)
    bars = {"mark": mark("rule", color=MUTED, strokeWidth=2), "encoding": encoding(
        x=channel("low", "quantitative", scale=PERCENT, title="% of patients (dot) and 95% CI (line)"),
        x2=channel("high"), y=y)}
    dots = {"mark": mark("point", filled=True, size=80, color=FILLED),
            "encoding": encoding(x=channel("pct", "quantitative", scale=PERCENT), y=y)}
    return top(CONFIG, {"layer": [bars, dots], "data": data.ref(rows)}, {
        "description": title, "height": {"step": row_step(list(rows["label"]) if len(rows) else [], 34)},
        "padding": padding(), "title": title_lines(title), "width": 360}, data)


def proportions_figure(name: str, values: list[Value], title: str, labels: dict[str, str] | None = None) -> Figure:
    alt_text = f"{title}. " + " ".join(f"{v.label}: {fmt.clinical(v)}." for v in values)
    return Figure(name, draw(proportions_chart, values, title, labels), alt_text, tuple(v.id for v in values))


def icon_array(filled: int, total: int = 10, columns: int = 10, title: str = "") -> Spec:
    """A part-to-whole grid of child figures: ``filled`` solid out of ``total``, the others hollow outlines.

    The two kinds differ by pattern (solid or outline) as well as colour, so they stay apart in greyscale and on
    a black-and-white photocopy (the print gate measures their contrast).
    """
    rows = pd.DataFrame({
        "i": range(total), "col": [i % columns for i in range(total)], "row": [i // columns for i in range(total)],
        "group": ["yes" if i < filled else "no" for i in range(total)]})
    data = Datasets()
    place = encoding(x=channel("col", "ordinal", axis=None), y=channel("row", "ordinal", axis=None))
    solid = {"mark": mark("point", shape=CHILD, filled=True, size=900, strokeWidth=0, color=FILLED, opacity=1),
             "encoding": place, "transform": [{"filter": "(datum.group === 'yes')"}]}
    hollow = {"mark": mark("point", shape=CHILD, filled=True, size=820, fill=EMPTY, stroke=MUTED, strokeWidth=2,
                           opacity=1),
              "encoding": place, "transform": [{"filter": "(datum.group === 'no')"}]}
    return top(CONFIG, {"layer": [solid, hollow], "data": data.ref(rows)}, {
        "description": title, "height": {"step": 52}, "padding": padding(4), "width": {"step": 34}}, data)


def icon_figure(name: str, value: Value, alt_text: str, total: int = 10) -> Figure:
    """An icon array of ``value`` rounded to children out of ``total`` (the families' fixed denominator)."""
    filled = fmt.out_of_ten(value) if total == 10 else int(fmt.round_half_up(value.value * total))
    return Figure(name, draw(icon_array, filled, total, 10, alt_text), alt_text, (value.id,))



# --- Clinician charts -------------------------------------------------------------------------------------------

DENOMINATOR_COLOURS = ("#3949ab", "#b45309")  # all who started, as observed


def timecourse_chart(rows: pd.DataFrame, title: str, note: str = "") -> Spec:
    """Percent with 95% interval bars at each week, one panel per group, one colour per denominator.

    ``rows`` has columns week, group, denominator, pct, low, high (percent).
    """
    dens = list(dict.fromkeys(rows["denominator"]))
    colour = channel("denominator", "nominal", title="Denominator", sort=dens,
                     scale={"domain": dens, "range": list(DENOMINATOR_COLOURS[:len(dens)])},
                     legend={"direction": "vertical", "labelLimit": 400, "orient": "bottom"})
    x = channel("week", "ordinal", title="Week", axis={"labelAngle": 0})
    offset = channel("denominator", "nominal", sort=dens)
    bars = {"mark": mark("rule", strokeWidth=2), "encoding": encoding(
        color=colour, x=x, xOffset=offset, y=channel("low", "quantitative", scale=PERCENT, title="Percent (95% CI)"),
        y2=channel("high"))}
    dots = {"mark": mark("point", filled=True, size=60, opacity=1), "encoding": encoding(
        color=colour, x=x, xOffset=offset, y=channel("pct", "quantitative", scale=PERCENT))}
    data = Datasets()
    panels = channel("group", "nominal", title=None, sort=list(dict.fromkeys(rows["group"])),
                     header={"labelColor": INK, "labelFontSize": 13})
    heading = {"text": title, "subtitle": note} if note else title
    return top(CONFIG, {"data": data.ref(rows), "facet": {"column": panels},
                        "spec": {"layer": [bars, dots], "height": 180, "width": {"step": 22}}},
               {"description": title, "padding": padding(), "title": heading}, data)


def withheld_note(items: list[tuple[Value, str, str]]) -> str:
    """Which groups, weeks and denominators a chart leaves out because their figures are withheld, in words (so
    that a missing point or panel is never silent). A week whose other denominator is drawn names the one left out.
    """
    shown: dict[tuple[str, int | None], list[str]] = {}
    hidden: dict[tuple[str, int | None], list[str]] = {}
    for v, group, den in items:
        (hidden if v.suppressed else shown).setdefault((group, v.timepoint_weeks), []).append(den)
    weeks: dict[str, list[str]] = {}
    for (group, week), dens in sorted(hidden.items(), key=lambda kv: kv[0][1] or 0):
        partly = f" ({', '.join(d.lower() for d in dens)})" if shown.get((group, week)) else ""
        weeks.setdefault(group, []).append(f"{week}{partly}")
    order = list(dict.fromkeys(group for _, group, _ in items))
    parts = [f"{group} at week{'s' if len(weeks[group]) > 1 else ''} {', '.join(weeks[group])}"
             for group in order if group in weeks]
    return ("Not shown, to protect small numbers: " + "; ".join(parts) + ".") if parts else ""


def timecourse_figure(name: str, items: list[tuple[Value, str, str]], title: str) -> Figure:
    """``items``: (value, group label, denominator label); the value's week is its ``timepoint_weeks``."""
    rows = pd.DataFrame([{
        "week": v.timepoint_weeks, "group": group, "denominator": den, "pct": v.value * 100,
        "low": v.ci_low * 100, "high": v.ci_high * 100} for v, group, den in items if v.estimable])
    last = max(v.timepoint_weeks for v, _, _ in items)
    weeks = ", ".join(str(w) for w in dict.fromkeys(v.timepoint_weeks for v, _, _ in items))
    alt_text = (f"{title}: percent of patients with 95% confidence intervals at weeks {weeks}, by diagnosis, "
                f"for two denominators. At week {last}: " + " ".join(
                    f"{group}, {den.lower()}: {fmt.clinical(v)}." for v, group, den in items
                    if v.timepoint_weeks == last) + " Every week is in the table beside the chart.")
    note = withheld_note(items)
    return Figure(name, draw(timecourse_chart, rows, title, note), f"{alt_text} {note}".strip(),
                  tuple(v.id for v, _, _ in items))


def survival_chart(curve: pd.DataFrame, at_risk: pd.DataFrame, title: str, note: str = "") -> Spec:
    """A Kaplan–Meier step curve (percent) with its 95% band, and a number-at-risk row underneath.

    ``curve``: week, surv, low, high (proportions) at each step; ``at_risk``: week, n.
    """
    table = curve.assign(pct=curve["surv"] * 100, lo=curve["low"].fillna(curve["surv"]) * 100,
                         hi=curve["high"].fillna(curve["surv"]) * 100)
    end = float(table["week"].max())
    x = channel("week", "quantitative", title="Weeks since the first dose", scale={"domain": [0, end]},
                axis={"values": at_risk["week"].tolist()})
    band = {"mark": mark("area", interpolate="step-after", color=FILLED, opacity=0.18), "encoding": encoding(
        x=x, y=channel("lo", "quantitative", scale=PERCENT, title="Still on treatment (%)"), y2=channel("hi"))}
    line = {"mark": mark("line", interpolate="step-after", color=FILLED, strokeWidth=2),
            "encoding": encoding(x=x, y=channel("pct", "quantitative"))}
    data = Datasets()
    curves = {"layer": [band, line], "data": data.ref(table), "height": 220,
              "title": {"text": title, "subtitle": note} if note else title, "width": 420}
    risk = {"data": data.ref(at_risk.assign(label="At risk")), "mark": mark("text", fontSize=12, color=INK),
            "encoding": encoding(
                x=channel("week", "quantitative", scale={"domain": [0, end]}, axis=None),
                y=channel("label", "nominal", title=None, axis={"domain": False, "labelPadding": 16, "ticks": False}),
                text=channel("n", "nominal")),
            "height": 22, "width": 420}
    return top(CONFIG, {"vconcat": [curves, risk]}, {"description": title, "padding": padding(), "spacing": 6}, data)


def survival_figure(name: str, curve: pd.DataFrame, at_risk: list[tuple[Value, Value]], title: str,
                    note: str = "") -> Figure:
    """``at_risk``: (estimate at the week, number at risk at the week) for each time point; ``note``: a line
    under the title (how the curve is drawn)."""
    risk = pd.DataFrame([{"week": est.timepoint_weeks, "n": fmt.clinical(n)} for est, n in at_risk])
    alt_text = f"{title}. " + (f"{note}. " if note else "") + " ".join(
        f"Week {est.timepoint_weeks}: {fmt.percent(est)} still on treatment (95% CI {fmt.ci(est)}), "
        f"{fmt.clinical(n)} at risk." for est, n in at_risk)
    ids = tuple(i for est, n in at_risk for i in (est.id, n.id))
    return Figure(name, draw(survival_chart, curve, risk, title, note), alt_text, ids)


def flow_layout(main: list[str], side: list[str | None]) -> tuple[pd.DataFrame, list[dict[str, float]], float]:
    """The flow diagram's boxes (x, x2, y, y2, text, kind, and each box's text centre cx, cy), its arrows and its
    height: a column of boxes joined by arrows, with optional side boxes (exits)."""
    rows, arrows = [], []
    height, gap = 46, 26
    for i, text in enumerate(main):
        top_y = i * (height + gap)
        rows.append({"x": 0, "x2": 250, "y": top_y, "y2": top_y + height, "text": text, "kind": "main"})
        if i:
            arrows.append({"x": 125, "x2": 125, "y": top_y - gap, "y2": top_y})
        if i < len(side) and side[i]:
            mid = top_y + height + gap / 2
            half = 7 * (side[i].count("\n") + 1) + 6
            rows.append({"x": 290, "x2": 560, "y": mid - half, "y2": mid + half, "text": side[i], "kind": "side"})
            arrows.append({"x": 125, "x2": 290, "y": mid, "y2": mid})
    boxes = pd.DataFrame(rows)
    boxes["cx"] = (boxes["x"] + boxes["x2"]) / 2
    boxes["cy"] = (boxes["y"] + boxes["y2"]) / 2 - 7 * boxes["text"].str.count("\n")  # first line's centre
    return boxes, arrows, max(boxes["y2"])  # a Python number (a Series iterates as Python scalars)


def flow_chart(main: list[str], side: list[str | None], title: str) -> Spec:
    """A vertical flow diagram: a column of boxes joined by arrows, with optional side boxes (exits)."""
    boxes, arrows, total = flow_layout(main, side)
    xs = {"domain": [0, 560], "range": [0, 560]}
    ys = {"domain": [0, total], "range": [0, total]}
    data = Datasets()
    span = {"x": channel("x", "quantitative", scale=xs, axis=None), "x2": channel("x2"),
            "y": channel("y", "quantitative", scale=ys, axis=None), "y2": channel("y2")}
    lines = {"data": data.ref(pd.DataFrame(arrows)), "mark": mark("rule", color=MUTED, strokeWidth=1.5),
             "encoding": encoding(**span)}
    rect = {"data": data.ref(boxes), "mark": mark("rect", stroke=INK, strokeWidth=1, cornerRadius=3),
            "encoding": encoding(**span, color=channel(
                "kind", "nominal", scale={"domain": ["main", "side"], "range": ["#e8eaf6", "#fff7ed"]}, legend=None))}
    text = {"data": data.ref(boxes),
            "mark": mark("text", fontSize=12, color=INK, lineBreak="\n", baseline="middle", lineHeight=14),
            "encoding": encoding(x=channel("cx", "quantitative", scale=xs, axis=None),
                                 y=channel("cy", "quantitative", scale=ys, axis=None), text=channel("text", "nominal"))}
    return top(CONFIG, {"layer": [lines, rect, text]}, {
        "description": title, "height": total, "padding": padding(), "title": title, "width": 560}, data)
