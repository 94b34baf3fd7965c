"""Charts: computed values in, Altair specifications out, exported to static SVG (pure).

Every chart carries a text alternative built from the same values, so the
picture never says something the words do not.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import pandas as pd
import vl_convert

from . import fmt
from .numbers import Value

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
INK, MUTED, FILLED, EMPTY = "#1f2937", "#4b5563", "#3949ab", "#8c939d"
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


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render an Altair chart to SVG with vl-convert (no browser, no network)."""
    return vl_convert.vegalite_to_svg(chart.to_dict())


def _config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return chart.configure(font=FONT).configure_view(stroke=None).configure_axis(
        labelColor=INK, titleColor=INK, labelFontSize=12, titleFontSize=12, gridColor="#e5e7eb")


def proportions_chart(values: list[Value], title: str) -> alt.Chart:
    """Dots with 95% interval bars for proportions, one row per value, in percent."""
    rows = pd.DataFrame([{
        "label": v.label, "pct": v.value * 100, "low": v.ci_low * 100, "high": v.ci_high * 100,
        "text": f"{fmt.n_of_n(v)} ({fmt.percent(v)})"} for v in values if v.estimable])
    y = alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=320))
    x_scale = alt.Scale(domain=[0, 100])
    bars = alt.Chart(rows).mark_rule(color=MUTED, strokeWidth=2).encode(
        y=y, x=alt.X("low:Q", scale=x_scale, title="Percent of patients (dot) with 95% confidence interval (line)"),
        x2="high:Q")
    dots = alt.Chart(rows).mark_point(filled=True, size=80, color=FILLED).encode(y=y, x=alt.X("pct:Q", scale=x_scale))
    return _config(alt.layer(bars, dots).properties(width=360, height=alt.Step(34), title=title,
                                                    description=title))


def proportions_figure(name: str, values: list[Value], title: str) -> Figure:
    alt_text = f"{title}. " + " ".join(f"{v.label}: {fmt.clinical(v)}." for v in values)
    return Figure(name, to_svg(proportions_chart(values, title)), alt_text, tuple(v.id for v in values))


def icon_array(filled: int, total: int = 10, columns: int = 10, title: str = "") -> alt.Chart:
    """A part-to-whole grid of child figures: ``filled`` coloured out of ``total``."""
    rows = pd.DataFrame({
        "i": range(total), "col": [i % columns for i in range(total)], "row": [i // columns for i in range(total)],
        "group": ["yes" if i < filled else "no" for i in range(total)]})
    chart = alt.Chart(rows).mark_point(shape=CHILD, filled=True, size=900, strokeWidth=0).encode(
        x=alt.X("col:O", axis=None), y=alt.Y("row:O", axis=None),
        color=alt.Color("group:N", scale=alt.Scale(domain=["yes", "no"], range=[FILLED, EMPTY]), legend=None))
    return _config(chart.properties(width=alt.Step(34), height=alt.Step(52), description=title))


def icon_figure(name: str, value: Value, alt_text: str, total: int = 10) -> Figure:
    """An icon array of ``value`` rounded to children out of ``total`` (the families' fixed denominator)."""
    filled = fmt.out_of_ten(value) if total == 10 else int(fmt.round_half_up(value.value * total))
    return Figure(name, to_svg(icon_array(filled, total, title=alt_text)), alt_text, (value.id,))

