"""Disclosure control: the LP audit on hand-made tables, every recovery of issue 14 found on one-cell-at-a-time
protection and impossible after ``protect_study``, a study built to leak failing the build, and the settings
that cannot switch protection off by accident."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest

from conftest import load_study, shared_data
from evidence_site import paths
from evidence_site.disclosure import Report, audit_shown, check, layout_of, protect_study
from evidence_site.disclosure.audit import Relation, audit
from evidence_site.disclosure.policy import BANDS, Policy, band
from evidence_site.disclosure.relations import exactly
from evidence_site.errors import BuildError, DataError
from evidence_site.load import RawStudy, read_study
from evidence_site.numbers import Value, protect
from evidence_site.summarise import PRODUCERS
from evidence_site.summarise.published import attach_published
from evidence_site.validate import Study, validate

DEMO = paths.STUDIES / "example-clinic-records"
LIBRARY = Path(__file__).parent / "fixtures" / "library" / "studies"


def r(kind: str, terms: dict[str, float], op: str, rhs: float, *figures: str) -> Relation:
    return Relation(kind, tuple(terms.items()), op, rhs, figures)


# --- the engine on hand-made tables ---------------------------------------------------------------------------

def test_subtraction_recovers_a_withheld_cell() -> None:
    rels = [r("sum", {"all": 1, "a": -1, "b": -1}, "==", 0, "all", "a", "b"), r("shown", {"all": 1}, "==", 39, "all"),
            r("shown", {"b": 1}, "==", 22, "b"), r("label", {"a": 1}, ">=", 17, "a")]
    (found,) = audit({"a": (0, 21), "b": (0, 27), "all": (0, 48)}, rels, {"a": 3})
    assert (found.low, found.high) == (17, 17) and not found.ok
    assert {"b", "all"} <= set(found.revealed_by)


def test_bounds_of_two_withheld_figures_can_force_both() -> None:
    """'more than 8 of 13' + 'more than 12 of 17' = 22 pins both (the CRP example)."""
    rels = [r("sum", {"a": 1, "b": 1}, "==", 22, "all"), r("label", {"a": 1}, ">=", 9, "a"),
            r("label", {"b": 1}, ">=", 13, "b"), r("label", {"a": 1}, "<=", 12, "a"),
            r("label", {"b": 1}, "<=", 16, "b")]
    a, b = audit({"a": (0, 13), "b": (0, 17)}, rels, {"a": 3, "b": 3})
    assert (a.low, a.high, b.low, b.high) == (9, 9, 13, 13)


def test_two_withheld_cells_of_one_total_stay_protected() -> None:
    a, b = audit({"a": (0, 13), "b": (0, 17)}, [r("sum", {"a": 1, "b": 1}, "==", 22, "all")], {"a": 3, "b": 3})
    assert (a.low, a.high) == (5, 13) and a.ok and b.ok


def test_the_integer_programme_narrows_what_the_lp_allows() -> None:
    rels = [r("sum", {"x": 2, "y": 2}, "==", 8), r("eq", {"x": 1, "y": -1}, "==", 0)]
    (found,) = audit({"x": (0, 10), "y": (0, 10)}, rels, {"x": 1})
    assert (found.low, found.high) == (2, 2)
    (found,) = audit({"x": (0, 6), "y": (0, 4)}, [r("sum", {"x": 2, "y": 3}, "==", 12)], {"x": 3})
    assert (found.low, found.high) == (0, 6) and found.ok


# --- the studies ------------------------------------------------------------------------------------------------

def unprotected(study: Study) -> list[Value]:
    values = {v.id: v for produce in PRODUCERS for v in produce(study)}
    return list(attach_published(study.id, values, study.spec.published, study.spec.citations).values())


class Case:
    """One study before (one cell at a time, ``numbers.protect``) and after (``protect_study``)."""

    def __init__(self, folder: Path) -> None:
        self.study = load_study(folder)
        self.raw = unprotected(self.study)
        self.policy, self.layout = Policy.of(self.study.spec), layout_of(self.study)
        self.before = protect(self.raw, self.study.spec.min_cell)
        self.before_audit = audit_shown(self.raw, self.before, self.policy, self.layout)
        protected, self.report = protect_study(self.raw, self.policy, self.layout)
        self.after = {v.id: v for v in protected}
        self.after_audit = audit_shown(self.raw, protected, self.policy, self.layout)

    def before_range(self, cell: str) -> tuple[float, float]:
        found = next(f for f in self.before_audit.ranges if f.cell == cell)
        return found.low, found.high

    def after_ok(self, cell: str) -> bool:
        """The cell is shown as public, left out, or withheld with a range at least as wide as the policy asks."""
        v = self.after.get(cell)
        if v is None:
            return True
        if not v.suppressed:
            return cell in self.report.shown_as_public
        found = [f for f in self.report.ranges if f.cell == cell]
        return all(f.ok for f in found) or cell in {f.cell for f in self.report.narrowed_by_published}


@cache
def case_of(folder: Path) -> Case:
    """One Case per study for the whole session (protection and two audits of a study take seconds)."""
    return Case(folder)


@pytest.fixture(scope="module")
def demo() -> Case:
    return case_of(DEMO)


@pytest.fixture(scope="module")
def second() -> Case:
    return case_of(LIBRARY / "tofacitinib-uc-multicentre")


# Issue 14: cell -> what a reader recovered from one-cell-at-a-time protection (the exact count, or None: narrowed)
RECOVERED = {
    "t1_prior_ustekinumab_CD": 17, "t1_prior_risankizumab_CD": 3,  # Table 1
    "eff_remission_w12_CD_itt": 3, "eff_sf_remission_w12_CD_itt": 3, "eff_sf_remission_w26_CD_itt": 4,
    "eff_endoscopic_remission_CD_itt": 4, "eff_endoscopic_remission_CD_obs": 4,
    "eff_calprotectin_w52_UC_on": 18,  # overall minus the other diagnosis
    "eff_crp_normal_w52_CD_on": 9, "eff_crp_normal_w52_UC_on": 13,  # two bounds that must sum to 22
    "flow_stop_w12_lack_of_response": 2,  # the only reason listed between weeks 8 and 12
    "stop_reason_lack_of_response": None,
}


@pytest.mark.parametrize("cell", sorted(RECOVERED))
def test_the_audit_finds_each_recovery_of_the_issue_on_one_cell_at_a_time_protection(demo: Case, cell: str) -> None:
    low, high = demo.before_range(cell)
    assert high - low < demo.policy.protection_interval, (cell, low, high)
    if RECOVERED[cell] is not None:
        assert low == high == RECOVERED[cell], (cell, low, high)


@pytest.mark.parametrize("cell", sorted(RECOVERED))
def test_each_recovery_of_the_issue_is_impossible_after_protection(demo: Case, cell: str) -> None:
    assert demo.after_ok(cell), cell
    if cell in demo.after and demo.after[cell].suppressed:
        assert cell not in {f.cell for f in demo.after_audit.failures}


def test_crohns_disease_still_on_treatment_is_shown_because_its_denominators_print_it(demo: Case) -> None:
    """8/17 is published (47% of those still on treatment), and every result of the group among those still on
    treatment prints 'of 17': 17 of 21 is a count of staying on treatment, shown as it is."""
    from evidence_site.disclosure.policy import persistence_count

    assert persistence_count(demo.after["on_treatment_w52_CD"])
    assert demo.after["on_treatment_w52_CD"].numerator == 17 and not demo.after["on_treatment_w52_CD"].suppressed
    assert demo.after["eff_response_w52_CD_on"].denominator == 17


def test_anti_tnf_failure_by_diagnosis_is_only_as_narrow_as_the_published_47_of_48(demo: Case) -> None:
    assert demo.before_range("t1_prior_anti_tnf_UC") == (26, 26)
    narrowed = {f.cell: (f.low, f.high) for f in demo.report.narrowed_by_published}
    assert narrowed == {"t1_prior_anti_tnf_UC": (26, 27)}  # which diagnosis the one child has stays unknown
    assert demo.after["t1_prior_anti_tnf_CD"].suppressed  # and 21/21 (all of a group) is no longer printed


def test_the_small_tofacitinib_subgroup_prints_no_denominator_of_those_still_on_treatment(demo: Case) -> None:
    """6/7 is published; 'of 6' at week 12 told when the one non-responder stopped."""
    assert any(v.id.startswith("tofa_") and v.id.endswith("_on") and v.denominator == 6 and not v.suppressed
               for v in demo.before) or any(v.id.startswith("tofa_") and v.denominator == 6 for v in demo.before)
    for i, v in demo.after.items():
        if i.startswith("tofa_") and not i.endswith("_itt"):
            assert v.suppressed and v.denominator is None, v


def test_withheld_words_match_the_reason_a_figure_is_withheld(demo: Case) -> None:
    """'fewer than 5 patients' only for a group that small; a tofacitinib figure among those still on treatment
    says it is not shown for the subgroup; other words give the figure's own band, never why it is withheld."""
    from evidence_site import fmt

    raw = {v.id: v for v in demo.raw}
    small_group_words = f"fewer than {demo.policy.min_cell} patients"
    for i, v in demo.after.items():
        if not v.suppressed:
            continue
        words = fmt.withheld(v)
        if small_group_words in words:
            assert raw[i].denominator is not None and raw[i].denominator < demo.policy.min_cell, (i, words)
        if i.startswith("tofa_") and not i.endswith("_itt") and v.suppression != "secondary":
            assert "small subgroup: shown among all who started only" in words, (i, words)
        if v.suppression == "secondary":
            assert words in ("not shown (privacy)", f"not shown (of {v.denominator}; privacy)"), (i, words)
        assert "reveal" not in words and "not shown by diagnosis" not in words, (i, words)


def test_serious_events_no_longer_show_which_type_they_all_were(demo: Case) -> None:
    before = {v.id: v for v in demo.before}
    assert before["ae_serious_infection"].suppressed and not before["ae_serious_acne"].suppressed
    rest = [f for f in demo.report.ranges if f.cell.startswith("rest_of_ae_events_serious_besides_")]
    assert rest and all(f.ok for f in rest)


def test_the_median_of_nine_stopping_weeks_is_withheld(demo: Case) -> None:
    assert not {v.id: v for v in demo.before}["stop_week"].suppressed
    assert demo.after["stop_week"].suppression == "order_statistic"


def test_none_or_all_of_a_small_group_is_withheld(demo: Case) -> None:
    assert demo.after["tofa_remission_w8_itt"].suppressed
    assert demo.after["t1_prior_anti_tnf_CD"].suppressed
    assert all(demo.after[i].suppressed for i in demo.after if i.startswith("esc_") and i != "esc_any"
               and demo.after[i].kind == "proportion")


def test_the_audit_finds_recoveries_in_the_second_study_and_none_after(second: Case) -> None:
    assert second.before_audit.failures, "one-cell-at-a-time protection leaks there too"
    assert "t1_prior_ustekinumab_IBDU" in {f.cell for f in second.before_audit.failures}
    assert not second.report.failures and not second.after_audit.failures
    assert second.after_ok("t1_prior_ustekinumab_IBDU")


@pytest.mark.parametrize("folder", [DEMO, *sorted(LIBRARY.iterdir())], ids=lambda p: p.name)
def test_no_withheld_figure_can_be_worked_out_after_protection(folder: Path) -> None:
    case = case_of(folder)
    assert not case.report.failures and not case.after_audit.failures


def test_a_study_built_to_leak_fails_the_build(demo: Case) -> None:
    """Protection that withholds one cell at a time (the old rule) is a study built to leak: the build stops,
    naming the cell and the figures that reveal it."""
    with pytest.raises(BuildError, match=r"disclosure audit failed(.|\n)*eff_remission_w12_CD_itt: .*exactly 3"):
        check(demo.before_audit, "leaky")


# --- relations the attacker used on the built demo site --------------------------------------------------------

@pytest.fixture(scope="module")
def unaware(demo: Case) -> Report:
    """The audit, with every relation, of protection that did not know the therapy counts and the nested outcomes
    (the site the outside attacker saw)."""
    from evidence_site import disclosure
    from evidence_site.disclosure import relations

    with pytest.MonkeyPatch.context() as mp:
        mp.delitem(relations.KINDS, "therapy_counts")
        mp.setattr(disclosure, "differences", lambda ctx: ([], {}))
        shown, _ = protect_study(demo.raw, demo.policy, demo.layout)
    return audit_shown(demo.raw, shown, demo.policy, demo.layout)


def failed(report: Report) -> dict[str, tuple[float, float]]:
    return {f.cell: (f.low, f.high) for f in report.failures}


def test_therapy_counts_narrowed_a_withheld_risankizumab_crohns_cell_to_two_values(unaware: Report) -> None:
    """'Two or more' and 'three or more' earlier therapies, with the per-therapy counts, left 2 or 3."""
    assert failed(unaware)["t1_prior_risankizumab_CD"] == (2, 3)


def test_therapy_counts_cannot_narrow_any_withheld_table1_cell_after_protection(demo: Case) -> None:
    assert demo.after_ok("t1_prior_risankizumab_CD")
    assert not [f for f in demo.after_audit.failures if f.cell.startswith(("t1_", "prior_", "patients_with_"))]
    checked = {f.cell for f in demo.report.ranges}
    assert "t1_prior_risankizumab_CD" in checked


def test_per_therapy_counts_gave_the_one_child_with_exactly_four_therapies_when_only_two_was_protected(
        demo: Case) -> None:
    """The outside attacker's sum: 47 + 27 + 22 + 7 + 3 = 106 therapies, 42 with two or more, 15 with three or
    more and every child at least one give exactly one child with four. Protection that knew only "two or more"
    minus "three or more" (no per-patient counts) left that child's count exact; the audit now finds it."""
    blind = replace(demo.layout, therapies_per_patient={})
    shown, _ = protect_study(demo.raw, demo.policy, blind)
    found = {f.cell: (f.low, f.high) for f in audit_shown(demo.raw, shown, demo.policy, demo.layout).failures}
    low, high = found[exactly(4, "all")]
    assert high - low < 3 and low <= 1 <= high
    assert demo.layout.therapies_per_patient["all"][4] == 1


def test_patients_with_exactly_j_therapies_are_protected_for_every_j(demo: Case) -> None:
    counts = demo.layout.therapies_per_patient
    small_ones = {exactly(j, g) for g, row in counts.items() for j, n in enumerate(row) if 1 <= n < 5}
    assert {exactly(4, "all"), exactly(1, "CD")} <= small_ones
    ranges = {f.cell: f for f in demo.report.ranges}
    assert small_ones <= set(ranges)
    assert all(ranges[c].ok for c in small_ones), [ranges[c].describe() for c in small_ones if not ranges[c].ok]


def test_withheld_words_give_the_figures_own_band_whatever_the_reason(demo: Case) -> None:
    """A figure withheld for another's sake reads exactly as one withheld for being small would: its words (and
    numbers.json's reason) come from its own count alone, so they cannot tell a reader that it is not small
    (the outside attacker read "would reveal a number below 5" as "not small" and narrowed cells with it)."""
    raw = {v.id: v for v in demo.raw}
    bands = {v.suppression for v in demo.after.values() if v.suppressed and v.suppression in BANDS}
    assert bands >= {"count", "complement", "middle"}
    for i, v in demo.after.items():
        if v.suppressed and v.suppression in BANDS:
            assert band(raw[i], demo.policy, ranged=True) == v.suppression, (i, v.suppression)
    assert not {v.suppression for v in demo.after.values()} & {"collapsed", "linked"}


def test_the_audit_reads_the_bounds_each_band_gives() -> None:
    from evidence_site.disclosure.relations import Context, Layout, label

    def value(i: str, k: int) -> Value:
        return Value(i, i, "proportion", k / 21, "m", "p", numerator=k, denominator=21)

    raw = [value(f"x{k}", k) for k in (2, 0, 10, 19)] + [Value("n_patients", "n", "count", 21, "m", "p")]
    policy = Policy(5, 3, 10, 10, True)
    shown = [replace(v, suppressed=True, suppression=band(v, policy), numerator=None, value=None)
             if v.kind == "proportion" else v for v in raw]
    ctx = Context(raw, shown, Layout((), 52, (52,)), 5, 10)
    got: dict[str, list[tuple[str, float]]] = {}
    for r in label(ctx):
        got.setdefault(r.terms[0][0], []).append((r.op, r.rhs))
    assert [s.suppression for s in shown[:4]] == ["count", "count", "middle", "complement"]
    assert got == {"x2": [("<=", 4)], "x0": [("<=", 4)], "x10": [(">=", 5), ("<=", 16)],
                   "x19": [(">=", 17), ("<=", 21)]}


def test_last_visit_medians_are_withheld_where_an_outcome_of_that_visit_is(demo: Case) -> None:
    """Quartiles of 17 calprotectin values at week 52 (the 5th, 9th and 13th values) bounded how many Crohn's
    children were below 250, and so narrowed withheld counts (an outside tester). The baseline medians of
    those still on treatment at week 52 go too: against Table 1's (all who started, which stay) they bounded the
    starting values of the children who stopped."""
    after = demo.after
    for g in ("CD", "UC"):
        assert after[f"eff_calprotectin_w52_{g}_itt"].suppressed
        for marker in ("calprotectin", "crp"):
            assert after[f"chg_{marker}_{g}_end"].suppressed and after[f"chg_{marker}_{g}_diff"].suppressed
            assert after[f"chg_{marker}_{g}_base"].suppressed
    assert set(demo.report.order_statistics) >= {"chg_calprotectin_CD_end", "chg_crp_UC_end"}
    assert "height_z" not in demo.layout.outcome_markers  # growth decides no outcome


def test_an_event_rate_reads_like_its_events(demo: Case) -> None:
    """The rate per 100 patient-years gives its events back: both carry the same words (an outside tester read
    "fewer than 5 events" beside events whose range words were dropped)."""
    for kind in ("serious", "led_to_stop"):
        events, rate = demo.after[f"ae_events_{kind}"], demo.after[f"ae_rate_{kind}"]
        assert events.suppressed == rate.suppressed and events.suppression == rate.suppression, kind


def test_the_persistence_curve_of_a_protected_study_steps_only_at_the_visits(demo: Case) -> None:
    """A curve that steps at each stopping week gives every child's stopping week back (an outside tester read
    all nine from the chart, and with them the withheld median of 22 weeks [14 to 34])."""
    from evidence_site.summarise.durability import km_curve

    spec = demo.study.spec
    visits = km_curve(demo.study, at_visits=True)
    assert set(visits["week"]) == {0.0, float(spec.follow_up_weeks), *map(float, spec.timepoints_weeks)}
    assert not set(km_curve(demo.study)["week"]) <= set(visits["week"])  # the exact curve steps between visits
    km = {v.timepoint_weeks: v.value for v in demo.raw if v.id.startswith("km_w")}
    for row in visits.itertuples():
        if int(row.week) in km:
            assert abs(row.surv - km[int(row.week)]) < 1e-12


def test_an_outcome_among_children_with_a_raised_baseline_is_shown_among_all_who_started_only(demo: Case) -> None:
    """Its denominators among those still on treatment at each visit (CRP raised at the start: 16, 15, 14, 13 in
    Crohn's disease), against Table 1's 16 of 21, gave the starting CRP of each child who stopped (an outside
    tester). The figure the study team published among those on treatment stays."""
    after = demo.after
    for w in (8, 12, 26, 52):
        for g in ("CD", "UC"):
            for d in ("on", "obs"):
                v = after[f"eff_crp_normal_w{w}_{g}_{d}"]
                assert v.suppressed and v.denominator is None and v.suppression == "restricted_itt_only"
            assert after[f"eff_crp_normal_w{w}_{g}_itt"].denominator is not None
    assert not after["eff_crp_normal_w52_all_on"].suppressed  # published (73% of those on treatment)


def test_the_privacy_page_gives_no_real_figure_as_an_example() -> None:
    """Its example of working out children with exactly four therapies once used the demo study's own withheld
    'two or more' count."""
    text = (paths.ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")
    assert "made-up numbers" in text and "106 therapies" not in text and "42 having" not in text


def test_remission_minus_steroid_free_remission_gave_small_counts(unaware: Report) -> None:
    """In remission but not steroid-free, at week 52 by diagnosis: exactly 2 (CD) and 1 (UC)."""
    found = failed(unaware)
    assert found["eff_remission_w52_CD_itt_but_not_sf_remission"] == (2, 2)
    assert found["eff_remission_w52_UC_itt_but_not_sf_remission"] == (1, 1)


def test_remission_minus_steroid_free_remission_is_protected(demo: Case) -> None:
    differences = [f for f in demo.report.ranges if f.cell.endswith("_but_not_sf_remission")]
    assert differences and all(f.ok for f in differences)
    assert not [f for f in demo.after_audit.failures if f.cell.endswith("_but_not_sf_remission")]


def test_nesting_comes_from_the_study_yml_and_a_wrong_declaration_stops_the_build(demo: Case) -> None:
    """Remission does not lie within steroid-free remission: declaring it is caught by the counts."""
    outcomes = dict(demo.study.spec.outcomes)
    outcomes["remission"] = replace(outcomes["remission"], implies=["sf_remission"])
    spec = replace(demo.study.spec, outcomes=outcomes)
    layout = replace(demo.layout, implies=spec.implications())
    assert layout.implies["sf_remission"] == ("remission",)  # all_of implies what it combines
    with pytest.raises(DataError, match=r"outcomes\.remission\.implies"):
        protect_study(demo.raw, demo.policy, layout)


def test_implies_must_name_another_outcome_of_the_same_kind() -> None:
    meta = read_study(DEMO).meta
    outcomes = {k: dict(o) for k, o in meta["outcomes"].items()}
    outcomes["remission"]["implies"] = ["endoscopic_remission"]
    assert "implies names an outcome this one cannot lie within" in problems(outcomes=outcomes)


def test_reasons_for_stopping_read_as_ranges_the_audit_proves_wide_enough(demo: Case) -> None:
    """Nine stopped, for four reasons: each reads 'fewer than 5 of 9' (not 'suppressed (small group)'), and no
    combination of figures narrows one below the protection interval."""
    from evidence_site import fmt

    reasons = {i: v for i, v in demo.after.items() if i.startswith("stop_reason_")}
    assert len(reasons) == 4 and {fmt.withheld(v) for v in reasons.values()} == {"fewer than 5 of 9"}
    ranges = {f.cell: f for f in demo.report.ranges}
    assert all(ranges[i].ok for i in reasons)


def stopping(counts: tuple[int, ...], n: int = 20) -> Study:
    """A generated cohort of ``n`` patients with Crohn's disease; ``counts`` stop at week 30 for one reason each."""
    from test_properties import DISCONTINUATION_REASONS, cohort

    patient = {"diagnosis": "CD", "sex": "F", "age_dx": 10, "age_start": 12, "prior": [True] + [False] * 4,
               "steroids": False, "dose": 45, "stop": None, "reason": "other", "scores": [10, 5, 5, 5, 5],
               "crp": [None] * 5, "calpro": [None] * 5, "on_steroids": [False] * 5, "scope_week": None,
               "scope": 0, "ae": None, "escalate": None}
    reasons = [r for r, k in zip(DISCONTINUATION_REASONS, counts, strict=False) for _ in range(k)]
    return cohort([patient | {"stop": 30, "reason": r} for r in reasons] + [patient] * (n - len(reasons)), 5)


def test_a_reasons_breakdown_that_cannot_be_made_safe_is_left_out_rather_than_refused() -> None:
    """Five stopped for three reasons (3, 1, 1): listed reasons happened at least once, so each is 1 to 3 however
    it is worded. The breakdown is left out whole (the number who stopped stays) and the study is published."""
    from evidence_site.summarise import summarise

    values = {v.id.split(".", 1)[1]: v for v in summarise(stopping((3, 1, 1)))}
    assert not any(i.startswith("stop_reason_") for i in values)
    assert values["stopped"].numerator == 5 and not values["stopped"].suppressed
    wide = {v.id.split(".", 1)[1]: v for v in summarise(stopping((4, 1, 1)))}  # six stopped: 1 to 4 each
    assert {wide[i].suppression for i in wide if i.startswith("stop_reason_")} == {"count"}


def test_none_of_a_group_because_nobody_was_assessed_does_not_stop_the_build() -> None:
    """0 of 20 at week 8 when no one had a score then (the property test's refusals): 'of 0 assessed' forces the
    count, and says nothing about any child's result."""
    from test_properties import cohort

    from evidence_site.summarise import summarise

    patient = {"diagnosis": "UC", "sex": "M", "age_dx": 9, "age_start": 11, "prior": [True] + [False] * 4,
               "steroids": False, "dose": 45, "stop": None, "reason": "other", "scores": [10, None, 2, 2, 2],
               "crp": [None] * 5, "calpro": [None] * 5, "on_steroids": [False] * 5, "scope_week": None,
               "scope": 0, "ae": None, "escalate": None}
    values = {v.id.split(".", 1)[1]: v for v in summarise(cohort([patient] * 8, 5))}
    assert values["eff_response_w8_all_obs"].denominator == 0


def test_values_never_publishable_are_not_values(demo: Case) -> None:
    """Patient ids, dates and free text never become computed values, whatever the settings."""
    text = " ".join(f"{v.id} {v.label} {v.value}" for v in demo.raw)
    for pid in demo.study.patients["patient_id"].astype(str).head(10):
        assert f" {pid} " not in f" {text} "
    assert "2025-" not in text and "2024-" not in text


# --- settings ---------------------------------------------------------------------------------------------------

def meta_with(**changes: object) -> RawStudy:
    raw = read_study(DEMO)
    return replace(raw, meta=raw.meta | changes)


def problems(**changes: object) -> str:
    shared = shared_data()
    with pytest.raises(DataError) as err:
        validate(meta_with(**changes), shared)
    return str(err.value)


def test_real_data_cannot_switch_protection_off() -> None:
    assert "Real patient data need disclosure control" in problems(
        status="real", disclosure={"protection": "off-for-synthetic-test-data-only"})
    assert "Real patient data need small-cell protection" in problems(status="real", min_cell=0)


def test_min_cell_zero_alone_does_not_switch_protection_off() -> None:
    assert "without saying so" in problems(min_cell=0)


def test_switching_protection_off_is_reported_loudly() -> None:
    from evidence_site.disclosure import build_lines

    shared = shared_data()
    study = validate(meta_with(min_cell=0, disclosure={"protection": "off-for-synthetic-test-data-only"}), shared)
    _, warnings = build_lines([study], [])
    assert warnings and "DISCLOSURE CONTROL IS OFF" in warnings[0]


def test_a_duplicated_min_cell_key_is_an_error(tmp_path: Path) -> None:
    """The issue's hostile input: min_cell: 5, then min_cell: 0 further down."""
    import shutil

    folder = tmp_path / "example-clinic-records"
    shutil.copytree(DEMO, folder)
    text = (folder / "study.yml").read_text(encoding="utf-8")
    (folder / "study.yml").write_text(text + "\nmin_cell: 0\n", encoding="utf-8")
    with pytest.raises(DataError, match="the key 'min_cell' appears twice"):
        validate(read_study(folder), shared_data())


def test_numbers_json_never_tells_a_none_or_all_cell_from_a_small_group(demo_build) -> None:
    """The pages word both alike; an outside tester recovered 0 of 7 from the reason code in numbers.json."""
    import json

    records = json.loads((demo_build / "site" / "numbers.json").read_text(encoding="utf-8"))["values"]
    reasons = {r.get("suppression") for r in records if r.get("suppressed")}
    assert "all_or_none" not in reasons and "small_group" in reasons
