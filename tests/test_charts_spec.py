"""Charts are drawn without Altair's schema validation (charts.VALIDATE); here every chart is validated."""

from __future__ import annotations

import altair as alt

from evidence_site import charts, paths
from evidence_site.figures import study_figures
from evidence_site.present import view
from evidence_site.summarise import number_book


def figures(study, book):
    import yaml

    words = yaml.safe_load((paths.TEMPLATES / "families" / "words.yml").read_text(encoding="utf-8"))
    return study_figures(study, view(study, book, words), book, "https://example.org/")


def test_every_chart_spec_validates_and_draws_the_same_svg(minimal, monkeypatch):
    book = number_book([minimal])
    assert charts.VALIDATE is False
    fast = figures(minimal, book)
    seen = []
    original = alt.TopLevelMixin.to_dict

    def validating(self, *args, **kwargs):
        seen.append(kwargs.get("validate"))
        return original(self, *args, **kwargs)

    drawn = []
    to_svg = charts.to_svg
    monkeypatch.setattr(charts, "VALIDATE", True)
    monkeypatch.setattr(alt.TopLevelMixin, "to_dict", validating)
    monkeypatch.setattr(charts, "to_svg", lambda chart: drawn.append(chart) or to_svg(chart))
    checked = figures(minimal, number_book([minimal]))  # raises on an invalid spec
    assert drawn and seen.count(True) >= len(drawn)  # each chart validated (Altair passes False to parts)
    assert {k: f.svg for k, f in checked.items()} == {k: f.svg for k, f in fast.items()}


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
