"""Charts' specs are written as dicts (vegalite.py), without Altair; here every chart of a build is also built
with Altair (tests/altair_charts.py), and the two specs must be the same, key for key and in the same order
(so vl-convert draws the same SVG), and valid against the Vega-Lite schema."""

from __future__ import annotations

import json

import altair as alt
import altair_charts
import pytest
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema import core

from evidence_site import charts, figures, paths, topics, vegalite
from evidence_site.families import WORDS_FILE, template_yaml
from evidence_site.figures import study_figures
from evidence_site.pipeline import load_studies
from evidence_site.present import view
from evidence_site.summarise import number_book
from evidence_site.topics import aggregate_view, topic_views


@pytest.fixture(scope="module")
def drawn() -> list[tuple[object, tuple]]:
    """(builder, arguments) of every chart the bundled studies' build draws (each kind of chart, topics too)."""
    calls = []

    def recording(builder, *args):
        calls.append((builder, args))
        return "<svg></svg>"  # the specs only

    studies = load_studies(paths.STUDIES)
    book = number_book(studies)
    words = template_yaml((paths.TEMPLATES / WORDS_FILE).read_text(encoding="utf-8"))
    views = {s.id: aggregate_view(s) if s.kind == "aggregate" else view(s, book, words) for s in studies}
    topic_pages, pooled = topic_views(studies, views, book)
    book.extend(pooled)
    with pytest.MonkeyPatch.context() as mp:
        for module in (charts, figures, topics):  # each calls the ``draw`` it imported
            mp.setattr(module, "draw", recording)
        for study in studies:
            if study.kind == "records":
                study_figures(study, views[study.id], book, "https://example.org/")
        for topic in topic_pages.values():
            topics.forest_figure(topic, book)
            topics.handout_figures(topic, book, "", "families/")
    return calls


REFERENCE = {charts.proportions_chart: altair_charts.proportions_chart,
             charts.icon_array: altair_charts.icon_array,
             charts.timecourse_chart: altair_charts.timecourse_chart,
             charts.survival_chart: altair_charts.survival_chart,
             charts.flow_chart: altair_charts.flow_chart,
             topics.forest_chart: altair_charts.forest_chart}


def test_every_chart_spec_is_the_one_altair_builds_key_for_key_and_valid(drawn) -> None:
    assert {builder for builder, _ in drawn} == set(REFERENCE)  # every kind of chart was drawn
    schema = core.load_schema()
    for builder, args in drawn:
        spec = builder(*args)
        reference = REFERENCE[builder](*args).to_dict(validate=True)  # raises on an invalid spec
        assert json.dumps(spec) == json.dumps(reference), builder.__name__  # same keys, values and order
        validate_jsonschema(spec, schema)


def test_the_schema_named_in_every_spec_is_altairs() -> None:
    assert vegalite.SCHEMA == alt.SCHEMA_URL


def test_a_missing_or_infinite_number_in_a_chart_table_is_null_as_altair_writes_it() -> None:
    import pandas as pd

    frame = pd.DataFrame({"label": ["a", "b", "c"], "low": [1.5, None, float("inf")], "n": [1, 2, 3]})
    values = vegalite.records(frame)
    assert values == [{"label": "a", "low": 1.5, "n": 1}, {"label": "b", "low": None, "n": 2},
                      {"label": "c", "low": None, "n": 3}]
    assert json.dumps(alt.Chart(frame).mark_point().to_dict(validate=False)["datasets"]) == json.dumps(
        {vegalite.dataset_name(values): values})


def test_the_withheld_note_names_the_denominator_left_out_when_the_other_is_drawn():
    from evidence_site.numbers import Value

    def point(week: int, withheld: bool) -> Value:
        return Value(id=f"x_w{week}", label="x", kind="proportion", value=None if withheld else 0.5, method="m",
                     timepoint_weeks=week, numerator=None if withheld else 5, denominator=10, suppressed=withheld)

    items = [(point(12, False), "Crohn's disease", "All who started"),
             (point(12, True), "Crohn's disease", "On treatment and assessed"),
             (point(52, True), "Crohn's disease", "All who started"),
             (point(52, True), "Crohn's disease", "On treatment and assessed"),
             (point(52, False), "Ulcerative colitis", "All who started")]
    assert charts.withheld_note(items) == ("Not shown, to protect small numbers: Crohn's disease at weeks "
                                           "12 (on treatment and assessed), 52.")
    assert charts.withheld_note(items[:1]) == ""


def test_a_long_row_label_or_title_is_wrapped_between_words_never_cut_with_an_ellipsis() -> None:
    """Row labels were cut at a fixed width ('Corticosteroid-free clinical remission at week 5…': week 5 or 52?) and
    the forest chart's long study labels made it too wide to read at 1280 px: every word is drawn, on lines."""
    import re

    import pandas as pd
    import vl_convert

    from evidence_site.numbers import proportion

    label = ("Corticosteroid-free clinical remission at week 52, ulcerative colitis [on treatment at week 52, all "
             "who started, ulcerative colitis]")
    title = "Headline results at week 52 (population and time in each row label) (made-up data)"
    values = [proportion("s.a", label, 20, 40, population="All who started", method="m"),
              proportion("s.b", "Short", 10, 40, population="All who started", method="m")]
    svg = vl_convert.vegalite_to_svg(charts.proportions_chart(values, title))
    assert "…" not in svg
    lines = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", svg)
    assert " ".join(lines).count(label) == 1 and " ".join(lines).count(title) == 1
    assert max(len(line) for line in lines) <= 56
    frame = pd.DataFrame([{"outcome": "Clinical remission · week 8 · all who started", "label": charts.wrap_label(
        "Yerushalmy-Feler and others, 2024 (n=100) · ulcerative colitis or IBD-unclassified"), "pct": 60.0,
        "low": 50.0, "high": 70.0}])
    svg = vl_convert.vegalite_to_svg(topics.forest_chart(frame, list(frame["outcome"]), "A: what each study reported"))
    assert "…" not in svg and "IBD-unclassified</tspan>" in svg
