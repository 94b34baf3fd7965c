"""Charts: computed values in, Altair specifications out, exported to static SVG (pure).

Every chart carries a text alternative built from the same values, so the
picture never says something the words do not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from . import fmt, svg_cache
from .numbers import Value

if TYPE_CHECKING:
    import altair as alt

# Altair (about 1 s to import) and vl-convert are imported by the functions that draw, so a build whose
# charts all come from the cache (cache.py) never loads them.

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK, MUTED, FILLED, EMPTY = "#1f2937", "#4b5563", "#3949ab", "#ffffff"
# A simple child figure (head and body) as an SVG path, drawn in a unit box centred on 0,0.
CHILD = ("M0,-0.95 A0.28,0.28 0 1 1 0,-0.39 A0.28,0.28 0 1 1 0,-0.95 Z "
         "M-0.42,-0.3 L0.42,-0.3 L0.5,0.35 L0.26,0.35 L0.24,0.95 L-0.24,0.95 L-0.26,0.35 L-0.5,0.35 Z")


@dataclass(frozen=True)
class Figure:
    """A chart ready to embed: file name, SVG text and its text alternative."""

    name: str
    svg: str
    alt: str
    ids: tuple[str, ...] = ()  # the values the chart shows, cited by the page that embeds it


# Altair checks every spec against the Vega-Lite JSON schema, which cost about 0.4 s a build. The specs are
# checked in the tests instead (tests/test_charts_spec.py: every chart of a build validates, with the same SVG).
VALIDATE = False


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render an Altair chart to SVG with vl-convert (no browser, no network; one engine start-up a process),
    through the build's content-addressed SVG cache when there is one (svg_cache.py), then compacted."""
    return compact_svg(svg_cache.current().svg(chart.to_dict(validate=VALIDATE)))


# What vl-convert writes for an interactive Vega view that a picture in an <img> never uses: class names (the SVG
# has no style sheet), pointer-event and aria-hidden switches, empty background and foreground paths, and the
# default opacity. The roles and aria labels stay (they describe the chart to a reader who opens the SVG itself).
_UNUSED_SVG = re.compile(r' (?:class|pointer-events|aria-hidden)="[^"]*"| opacity="1"')
_EMPTY_PATHS = ('<path d="M0,0h0v0h0Z"/>', '<path d="" display="none"/>')
_FONT = re.compile(r' font-family="([^"]*)"')


def compact_svg(svg: str) -> str:
    """``svg`` without what :data:`_UNUSED_SVG` names, and with the font, when every text has the same one,
    named once on the root element (inherited) instead of on each text: a quarter fewer bytes, drawn the same."""
    svg = _UNUSED_SVG.sub("", svg)
    for empty in _EMPTY_PATHS:
        svg = svg.replace(empty, "")
    fonts = set(_FONT.findall(svg))
    if len(fonts) == 1 and svg.startswith("<svg "):
        svg = f'<svg font-family="{fonts.pop()}" ' + _FONT.sub("", svg)[len("<svg "):]
    return svg


def _config(chart: alt.TopLevelMixin, padding: int = 48) -> alt.TopLevelMixin:
    """Shared look. ``padding`` leaves room at the sides because the reader's font may be wider than the one
    vl-convert measured labels with; without it, long axis labels are clipped in some browsers."""

    chart = chart.properties(padding={"left": padding, "right": padding, "top": 6, "bottom": 6})
    return chart.configure(font=FONT).configure_view(stroke=None).configure_axis(
        labelColor=INK, titleColor=INK, labelFontSize=12, titleFontSize=12, gridColor="#e5e7eb")


def proportions_chart(values: list[Value], title: str, labels: dict[str, str] | None = None) -> alt.Chart:
    """Dots with 95% interval bars for proportions, one row per value, in percent.

    ``labels`` maps value ids to short row labels (long labels are cut on a phone); default: the value's label.
    """
    import altair as alt

    labels = labels or {}
    rows = pd.DataFrame([{
        "label": labels.get(v.id, v.label), "pct": v.value * 100, "low": v.ci_low * 100, "high": v.ci_high * 100,
        "text": f"{fmt.n_of_n(v)} ({fmt.percent(v)})"} for v in values if v.estimable])
    y = alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=260))
    x_scale = alt.Scale(domain=[0, 100])
    bars = alt.Chart(rows).mark_rule(color=MUTED, strokeWidth=2).encode(
        y=y, x=alt.X("low:Q", scale=x_scale, title="% of patients (dot) and 95% CI (line)"),
        x2="high:Q")
    dots = alt.Chart(rows).mark_point(filled=True, size=80, color=FILLED).encode(y=y, x=alt.X("pct:Q", scale=x_scale))
    return _config(alt.layer(bars, dots).properties(width=360, height=alt.Step(34), title=title,
                                                    description=title))


def proportions_figure(name: str, values: list[Value], title: str, labels: dict[str, str] | None = None) -> Figure:
    alt_text = f"{title}. " + " ".join(f"{v.label}: {fmt.clinical(v)}." for v in values)
    return Figure(name, to_svg(proportions_chart(values, title, labels)), alt_text, tuple(v.id for v in values))


def icon_array(filled: int, total: int = 10, columns: int = 10, title: str = "") -> alt.LayerChart:
    """A part-to-whole grid of child figures: ``filled`` solid out of ``total``, the others hollow outlines.

    The two kinds differ by pattern (solid or outline) as well as colour, so they stay apart in greyscale and on
    a black-and-white photocopy (the print gate measures their contrast).
    """
    import altair as alt

    rows = pd.DataFrame({
        "i": range(total), "col": [i % columns for i in range(total)], "row": [i // columns for i in range(total)],
        "group": ["yes" if i < filled else "no" for i in range(total)]})
    base = alt.Chart(rows).encode(x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None))
    solid = base.transform_filter(alt.datum.group == "yes").mark_point(
        shape=CHILD, filled=True, size=900, strokeWidth=0, color=FILLED, opacity=1)
    hollow = base.transform_filter(alt.datum.group == "no").mark_point(
        shape=CHILD, filled=True, size=820, fill=EMPTY, stroke=MUTED, strokeWidth=2, opacity=1)
    chart = alt.layer(solid, hollow)
    return _config(chart.properties(width=alt.Step(34), height=alt.Step(52), description=title), padding=4)


def icon_figure(name: str, value: Value, alt_text: str, total: int = 10) -> Figure:
    """An icon array of ``value`` rounded to children out of ``total`` (the families' fixed denominator)."""
    filled = fmt.out_of_ten(value) if total == 10 else int(fmt.round_half_up(value.value * total))
    return Figure(name, to_svg(icon_array(filled, total, title=alt_text)), alt_text, (value.id,))



# --- Clinician charts -------------------------------------------------------------------------------------------

DENOMINATOR_COLOURS = ("#3949ab", "#b45309")  # all who started, as observed


def timecourse_chart(rows: pd.DataFrame, title: str, note: str = "") -> alt.Chart:
    """Percent with 95% interval bars at each week, one panel per group, one colour per denominator.

    ``rows`` has columns week, group, denominator, pct, low, high (percent).
    """
    import altair as alt

    dens = list(dict.fromkeys(rows["denominator"]))
    colour = alt.Color("denominator:N", title="Denominator", sort=dens,
                       scale=alt.Scale(domain=dens, range=list(DENOMINATOR_COLOURS[:len(dens)])),
                       legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=400))
    x = alt.X("week:O", title="Week", axis=alt.Axis(labelAngle=0))
    y_scale = alt.Scale(domain=[0, 100])
    base = alt.Chart().encode(x=x, xOffset=alt.XOffset("denominator:N", sort=dens), color=colour)
    bars = base.mark_rule(strokeWidth=2).encode(y=alt.Y("low:Q", scale=y_scale, title="Percent (95% CI)"),
                                                 y2="high:Q")
    dots = base.mark_point(filled=True, size=60, opacity=1).encode(y=alt.Y("pct:Q", scale=y_scale))
    chart = alt.layer(bars, dots, data=rows).properties(width=alt.Step(22), height=180).facet(
        column=alt.Column("group:N", title=None, sort=list(dict.fromkeys(rows["group"])),
                          header=alt.Header(labelFontSize=13, labelColor=INK)))
    heading = alt.TitleParams(text=title, subtitle=note) if note else title
    return _config(chart.properties(title=heading, description=title))


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
    return Figure(name, to_svg(timecourse_chart(rows, title, note)), f"{alt_text} {note}".strip(),
                  tuple(v.id for v, _, _ in items))


def survival_chart(curve: pd.DataFrame, at_risk: pd.DataFrame, title: str, note: str = "") -> alt.VConcatChart:
    """A Kaplan–Meier step curve (percent) with its 95% band, and a number-at-risk row underneath.

    ``curve``: week, surv, low, high (proportions) at each step; ``at_risk``: week, n.
    """
    import altair as alt

    data = curve.assign(pct=curve["surv"] * 100, lo=curve["low"].fillna(curve["surv"]) * 100,
                        hi=curve["high"].fillna(curve["surv"]) * 100)
    end = float(data["week"].max())
    x = alt.X("week:Q", title="Weeks since the first dose", scale=alt.Scale(domain=[0, end]),
              axis=alt.Axis(values=list(at_risk["week"])))
    band = alt.Chart(data).mark_area(interpolate="step-after", color=FILLED, opacity=0.18).encode(
        x=x, y=alt.Y("lo:Q", scale=alt.Scale(domain=[0, 100]), title="Still on treatment (%)"), y2="hi:Q")
    line = alt.Chart(data).mark_line(interpolate="step-after", color=FILLED, strokeWidth=2).encode(
        x=x, y=alt.Y("pct:Q"))
    top = alt.layer(band, line).properties(width=420, height=220,
                                           title=alt.TitleParams(text=title, subtitle=note) if note else title)
    risk = alt.Chart(at_risk.assign(label="At risk")).mark_text(fontSize=12, color=INK).encode(
        x=alt.X("week:Q", scale=alt.Scale(domain=[0, end]), axis=None),
        y=alt.Y("label:N", title=None, axis=alt.Axis(domain=False, ticks=False, labelPadding=16)), text="n:N"
    ).properties(width=420, height=22)
    return _config(alt.vconcat(top, risk, spacing=6).properties(description=title))


def survival_figure(name: str, curve: pd.DataFrame, at_risk: list[tuple[Value, Value]], title: str,
                    note: str = "") -> Figure:
    """``at_risk``: (estimate at the week, number at risk at the week) for each time point; ``note``: a line
    under the title (how the curve is drawn)."""
    risk = pd.DataFrame([{"week": est.timepoint_weeks, "n": fmt.clinical(n)} for est, n in at_risk])
    alt_text = f"{title}. " + (f"{note}. " if note else "") + " ".join(
        f"Week {est.timepoint_weeks}: {fmt.percent(est)} still on treatment (95% CI {fmt.ci(est)}), "
        f"{fmt.clinical(n)} at risk." for est, n in at_risk)
    ids = tuple(i for est, n in at_risk for i in (est.id, n.id))
    return Figure(name, to_svg(survival_chart(curve, risk, title, note)), alt_text, ids)


def flow_chart(main: list[str], side: list[str | None], title: str) -> alt.Chart:
    """A vertical flow diagram: a column of boxes joined by arrows, with optional side boxes (exits)."""
    import altair as alt

    rows, arrows = [], []
    height, gap = 46, 26
    for i, text in enumerate(main):
        top = i * (height + gap)
        rows.append({"x": 0, "x2": 250, "y": top, "y2": top + height, "text": text, "kind": "main"})
        if i:
            arrows.append({"x": 125, "x2": 125, "y": top - gap, "y2": top})
        if i < len(side) and side[i]:
            mid = top + height + gap / 2
            half = 7 * (side[i].count("\n") + 1) + 6
            rows.append({"x": 290, "x2": 560, "y": mid - half, "y2": mid + half, "text": side[i], "kind": "side"})
            arrows.append({"x": 125, "x2": 290, "y": mid, "y2": mid})
    boxes = pd.DataFrame(rows)
    boxes["cx"] = (boxes["x"] + boxes["x2"]) / 2
    boxes["cy"] = (boxes["y"] + boxes["y2"]) / 2 - 7 * boxes["text"].str.count("\n")  # first line's centre
    total = max(boxes["y2"])
    xs = alt.Scale(domain=[0, 560], range=[0, 560])
    ys = alt.Scale(domain=[0, total], range=[0, total])
    rect = alt.Chart(boxes).mark_rect(stroke=INK, strokeWidth=1, cornerRadius=3).encode(
        x=alt.X("x:Q", scale=xs, axis=None), x2="x2:Q", y=alt.Y("y:Q", scale=ys, axis=None), y2="y2:Q",
        color=alt.Color("kind:N", scale=alt.Scale(domain=["main", "side"], range=["#e8eaf6", "#fff7ed"]),
                        legend=None))
    text = alt.Chart(boxes).mark_text(fontSize=12, color=INK, lineBreak="\n", baseline="middle", lineHeight=14).encode(
        x=alt.X("cx:Q", scale=xs, axis=None), y=alt.Y("cy:Q", scale=ys, axis=None), text="text:N")
    lines = alt.Chart(pd.DataFrame(arrows)).mark_rule(color=MUTED, strokeWidth=1.5).encode(
        x=alt.X("x:Q", scale=xs, axis=None), x2="x2:Q", y=alt.Y("y:Q", scale=ys, axis=None), y2="y2:Q")
    return _config(alt.layer(lines, rect, text).properties(width=560, height=total, title=title,
                                                            description=title))
