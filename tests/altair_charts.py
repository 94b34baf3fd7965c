"""The charts' specs as Altair builds them: the reference the hand-written specs (charts.py, topics.py,
vegalite.py) are compared with, key for key, in tests/test_charts_spec.py. Same arguments as the builders
there; each returns an Altair chart."""

from __future__ import annotations

import altair as alt
import pandas as pd

from evidence_site import fmt
from evidence_site.charts import (
    CHILD,
    DENOMINATOR_COLOURS,
    EMPTY,
    FILLED,
    FONT,
    INK,
    LABEL_SPLIT,
    MUTED,
    flow_layout,
    row_step,
    title_lines,
    wrap_label,
)
from evidence_site.numbers import Value


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
    labels = labels or {}
    rows = pd.DataFrame([{
        "label": wrap_label(labels.get(v.id, v.label)), "pct": v.value * 100, "low": v.ci_low * 100,
        "high": v.ci_high * 100,
        "text": f"{fmt.n_of_n(v)} ({fmt.percent(v)})"} for v in values if v.estimable])
    y = alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelExpr=LABEL_SPLIT, labelLimit=0))
    x_scale = alt.Scale(domain=[0, 100])
    bars = alt.Chart(rows).mark_rule(color=MUTED, strokeWidth=2).encode(
        y=y, x=alt.X("low:Q", scale=x_scale, title="% of patients (dot) and 95% CI (line)"),
        x2="high:Q")
    dots = alt.Chart(rows).mark_point(filled=True, size=80, color=FILLED).encode(y=y, x=alt.X("pct:Q", scale=x_scale))
    step = row_step(list(rows["label"]) if len(rows) else [], 34)
    return _config(alt.layer(bars, dots).properties(width=360, height=alt.Step(step), title=title_lines(title),
                                                    description=title))


def icon_array(filled: int, total: int = 10, columns: int = 10, title: str = "") -> alt.LayerChart:
    """A part-to-whole grid of child figures: ``filled`` solid out of ``total``, the others hollow outlines.

    The two kinds differ by pattern (solid or outline) as well as colour, so they stay apart in greyscale and on
    a black-and-white photocopy (the print gate measures their contrast).
    """
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


def timecourse_chart(rows: pd.DataFrame, title: str, note: str = "") -> alt.Chart:
    """Percent with 95% interval bars at each week, one panel per group, one colour per denominator.

    ``rows`` has columns week, group, denominator, pct, low, high (percent).
    """
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


def survival_chart(curve: pd.DataFrame, at_risk: pd.DataFrame, title: str, note: str = "") -> alt.VConcatChart:
    """A Kaplan–Meier step curve (percent) with its 95% band, and a number-at-risk row underneath.

    ``curve``: week, surv, low, high (proportions) at each step; ``at_risk``: week, n.
    """
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


def flow_chart(main: list[str], side: list[str | None], title: str) -> alt.Chart:
    """A vertical flow diagram: a column of boxes joined by arrows, with optional side boxes (exits); the boxes
    are laid out by charts.flow_layout (the reference is for the spec, not the layout)."""
    boxes, arrows, total = flow_layout(main, side)
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


def forest_chart(frame: pd.DataFrame, panels: list[str], title: str) -> alt.FacetChart:
    """The forest plot of :func:`forest_figure`: ``frame`` has outcome (the panel), label, pct, low, high."""
    y = alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelExpr=LABEL_SPLIT, labelLimit=0))
    scale = alt.Scale(domain=[0, 100])
    bars = alt.Chart().mark_rule(color=MUTED, strokeWidth=2).encode(
        y=y, x=alt.X("low:Q", scale=scale, axis=alt.Axis(values=[0, 25, 50, 75, 100]),
                     title="% (dot); 95% interval (line) where the source's numbers allow one"),
        x2="high:Q").transform_filter("isValid(datum.low)")
    dots = alt.Chart().mark_point(filled=True, size=70, color=FILLED).encode(y=y, x=alt.X("pct:Q", scale=scale))
    header = alt.Header(title=None, labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top",
                        labelFontWeight="bold", labelFontSize=12, labelLimit=700)
    rows = alt.Row("outcome:N", sort=panels, header=header)
    step = alt.Step(row_step(list(frame["label"]), 22))
    chart = alt.layer(bars, dots, data=frame).properties(width=300, height=step).facet(
        row=rows, spacing=10).resolve_scale(y="independent").properties(title=title_lines(title), description=title)
    return _config(chart, padding=96)
