"""Prepared results for templates, charts and downloads (pure: a study and its values in, tables out).

Templates receive a :class:`StudyView`: the study's names and settings, and ready tables whose cells are
value ids built by ``ids`` (a template prints a cell with ``v(cell)``). Templates never see patient rows and
never assemble an id. Every loop over diagnoses, time points, outcomes, subgroups, adverse-event types or
reasons comes from the study's data and spec, so a group the study has appears everywhere and a group it
lacks produces no empty section.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

from . import ids
from .disclosure.policy import Policy
from .families import LEVELS, certainty, claim
from .numbers import NumberBook
from .spec import CertaintyRow, Citation, Medicine, Outcome, StudySpec
from .summarise.baseline import baseline_frame
from .summarise.common import diagnoses_present, groups
from .summarise.effectiveness import markers
from .summarise.outcomes import endoscopy_outcomes_of, weekly_outcomes
from .summarise.safety import ae_types
from .validate import Study

# Download name -> its label on the page (downloads.table_ids says which values each holds).
DOWNLOADS = {
    "summary_of_findings": "Summary of findings",
    "table1": "Table 1: baseline characteristics",
    "flow": "Patient flow",
    "effectiveness": "Effectiveness by week, diagnosis and denominator",
    "endoscopy": "Endoscopy",
    "biomarkers": "Change in biomarkers and activity scores",
    "subgroups": "Subgroups",
    "persistence": "Treatment persistence (Kaplan–Meier)",
    "stopping": "Reasons for stopping",
    "dose_changes": "Dose changes",
    "surgery": "Surgery",
    "adverse_events": "Adverse events",
}
NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
                9: "nine", 10: "ten"}
SUMMARY_KINDS = {"proportion": "n/N (%)", "mean": "mean (SD)", "median": "median [IQR]"}


@dataclass(frozen=True)
class Group:
    code: str  # "all" or a diagnosis code
    label: str  # clinician wording, capitalised for table cells
    plain: str  # family wording
    short: str


@dataclass(frozen=True)
class Finding:
    """One family result: what it is about, its figure(s) and how sure we can be."""

    key: str  # picture name
    heading: str
    about: str  # who the result is about, for families
    did: str  # what the children did, after "were"/"had" etc.: a predicate, e.g. "in remission without steroids"
    did_not: str
    value: str  # the value id shown in the picture
    second: str | None  # the same outcome with the other denominator ("of all who started")
    second_about: str
    level: str  # certainty level key (families.CERTAINTY)
    claim: str  # hedged sentence
    short: str = "of those still taking it"  # the first denominator in a few words
    caveat: str = ""  # what families should know about this result (the outcome's family_caveat)


@dataclass
class StudyView:
    """Everything a template may know about one study."""

    id: str
    spec: StudySpec
    medicine: Medicine
    synthetic: bool
    names: dict[str, str]
    weeks: list[int]
    end: int
    groups: list[Group]
    diagnoses: list[Group]
    citations: dict[str, Citation]
    tables: dict[str, Any] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    overall_level: str = "very_low"
    overall_claim: str = ""
    harms_level: str = "very_low"  # certainty about serious harms (the rating of ae_serious, else the lowest)
    protected: bool = False  # disclosure control is on: the pages carry the key to withheld figures
    follow_up_ended_early: bool = False  # some children's follow-up ended while on treatment (not "stopped")
    kind = "records"

    @property
    def models_publication(self) -> bool:
        """A made-up example built to reproduce a real publication's figures: its published figures (or its
        certainty ratings) cite a source that is not itself made up (citation kind ``made_up``)."""
        keys = [entry.source for entry in self.spec.published]
        if self.spec.certainty is not None:
            keys.append(self.spec.certainty.source)
        return any(self.citations[k].kind != "made_up" for k in keys if k in self.citations)


def _has(book: NumberBook, study_id: str, short: str) -> bool:
    return ids.qualified(study_id, short) in book


def _reasons_left_out(study: Study, book: NumberBook) -> bool:
    """Some patients stopped, but no reason is published (disclosure control left the breakdown out whole)."""
    if study.kind != "records" or not _has(book, study.id, ids.STOPPED):
        return False
    stopped = book[ids.qualified(study.id, ids.STOPPED)]
    return bool(stopped.numerator) and not any(_has(book, study.id, ids.stop_reason(r))
                                               for r in study.vocab.stop_reasons)


def centres_text(n: int, noun: str = "centre") -> str:
    """'1 centre', '4 centres' (never '4 centre')."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def count_words(n: int, noun: str, plural: str | None = None) -> str:
    """'one hospital', 'four hospitals', '12 hospitals'."""
    return f"{NUMBER_WORDS.get(n, str(n))} {noun if n == 1 else (plural or noun + 's')}"


def view(study: Study, book: NumberBook, words: dict[str, Any]) -> StudyView:
    """The prepared view of one study."""
    spec, med = study.spec, study.medicine
    sid = study.id
    group_codes = list(groups(study))
    vocab = study.vocab.diagnoses
    all_group = Group("all", "All patients", "all the children", "All")
    make = lambda dx: Group(dx, vocab[dx].label[:1].upper() + vocab[dx].label[1:], vocab[dx].plain,  # noqa: E731
                            vocab[dx].short or vocab[dx].label)
    diagnoses = [make(dx) for dx in diagnoses_present(study)]
    grouped = [all_group] + [make(dx) for dx in group_codes if dx != "all"]
    condition_plain = " or ".join(d.plain for d in diagnoses) if diagnoses else spec.condition
    names = {
        "medicine": med.name, "Medicine": med.name[:1].upper() + med.name[1:], "brand": med.brand,
        "drug_class": med.drug_class, "class_plain": med.class_plain, "route": med.route,
        "condition": spec.condition, "condition_plain": condition_plain,
        "centres": centres_text(spec.design.centres),
        "hospitals_plain": count_words(spec.design.centres, "hospital"),
        "status": spec.status,
    }
    sv = StudyView(sid, spec, med, study.synthetic, names, [w for w in spec.timepoints_weeks if w > 0],
                   spec.timepoints_weeks[-1], grouped, diagnoses, spec.citations,
                   protected=Policy.of(spec).enabled)
    has = lambda short: _has(book, sid, short)  # noqa: E731
    sv.follow_up_ended_early = any(has(ids.flow_lost(w)) for w in spec.timepoints_weeks)
    sv.tables = {
        "headline": headline_ids(study, book),
        "effectiveness": effectiveness_table(study, grouped),
        "endoscopy": endoscopy_table(study, grouped),
        "change": change_table(study, grouped, has),
        "subgroups": subgroup_table(study, has),
        "table1": table1(study, grouped, has),
        "flow": flow_table(study, has),
        "km": [{"week": w, "at_risk": ids.km_at_risk(w), "km": ids.km(w)} for w in spec.timepoints_weeks],
        "stop_reasons": [ids.stop_reason(r) for r in study.vocab.stop_reasons if has(ids.stop_reason(r))],
        "stop_reasons_left_out": _reasons_left_out(study, book),
        "dose": dose_table(study, has),
        "surgery": [ids.surgery(k) for k in study.vocab.surgery if has(ids.surgery(k))],
        "adverse_events": ae_table(study),
        "certainty": certainty_rows(spec, has),
        "limitations": limitation_rows(study),
        "outcomes": [{"label": o.label, "definition": o.definition} for o in spec.outcomes.values()],
        "downloads": [],  # below: the tables that have figures
        "notes": {p.id: p.note for p in spec.published if p.note},
        "surgery_family": ids.SURGERY_ANY if has(ids.SURGERY_ANY) else None,
    }
    from .downloads import table_ids  # the downloads are made from this view's tables

    filled = {name for name, shorts in table_ids(sv).items() if any(has(s) for s in shorts)}
    filled |= {"summary_of_findings"} if sv.tables["certainty"] else set()
    sv.tables["downloads"] = [(name, label) for name, label in DOWNLOADS.items() if name in filled]
    sv.findings, sv.overall_level = findings(study, book, words, sv)
    overall = words["claims"]["overall"]
    sv.overall_claim = claim_sentence(sv.overall_level, overall, sv)
    sv.harms_level = rating_for(spec, ids.ae_patients("serious")) or sv.overall_level
    return sv


# Clinician tables -----------------------------------------------------------------------------------------------

def headline_ids(study: Study, book: NumberBook) -> list[str]:
    """The overview's headline results at the last week: persistence (overall and by diagnosis), then each
    published figure that is a proportion, or, with none published, each outcome among all who started."""
    end = study.spec.timepoints_weeks[-1]
    out = [ids.persistence(end)]
    if len(groups(study)) > 1:
        out += [ids.on_treatment(end, dx) for dx in diagnoses_present(study)]
    published = [p.id for p in study.spec.published
                 if book[ids.qualified(study.id, p.id)].kind == "proportion" and p.id not in out]
    if published:
        return out + published
    out += [ids.effect(k, end, "all", "itt") for k in weekly_outcomes(study.spec)]
    out += [ids.endoscopy(k, "all", "obs") for k in endoscopy_outcomes_of(study.spec)]
    return out


def effectiveness_table(study: Study, grouped: list[Group]) -> list[dict[str, Any]]:
    weeks = [w for w in study.spec.timepoints_weeks if w > 0]
    return [{"key": key, "label": o.label, "definition": o.definition, "figure": f"eff_{key}",
             "rows": [{"week": w, "group": g.label, **{b: ids.effect(key, w, g.code, b) for b in ids.BASES}}
                      for w in weeks for g in grouped]}
            for key, o in weekly_outcomes(study.spec).items()]


def endoscopy_table(study: Study, grouped: list[Group]) -> list[dict[str, Any]]:
    return [{"key": key, "label": o.label, "definition": o.definition, "scopes": o.scopes,
             "rows": [{"group": g.label, **{b: ids.endoscopy(key, g.code, b) for b in ids.ENDOSCOPY_BASES}}
                      for g in grouped]}
            for key, o in endoscopy_outcomes_of(study.spec).items()]


def change_table(study: Study, grouped: list[Group], has) -> list[dict[str, Any]]:
    rows = []
    for marker, (_, name, unit, _) in markers(study).items():
        for g in grouped:
            if has(ids.change(marker, g.code, "n")):
                rows.append({"measure": f"{name}, {unit}", "group": g.label,
                             **{s: ids.change(marker, g.code, s) for s in ("n", "base", "end", "diff")}})
    return rows


def subgroup_table(study: Study, has) -> list[dict[str, Any]]:
    out = []
    for key, g in study.spec.subgroups.items():
        rows = [{"outcome": study.spec.outcomes[o].label, "week": w,
                 **{b: ids.subgroup(key, o, w, b) for b in ids.BASES}}
                for o in g.outcomes for w in study.spec.timepoints_weeks[1:] if has(ids.subgroup(key, o, w, "itt"))]
        if rows:
            out.append({"key": key, "label": g.label, "rows": rows})
    return out


def table1(study: Study, grouped: list[Group], has) -> dict[str, Any]:
    _, rows = baseline_frame(study)
    columns = [{"label": g.label, "n": ids.N_PATIENTS if g.code == "all" else ids.table1_n(g.code),
                "code": "all" if g.code == "all" else g.code} for g in grouped]
    out = []
    for row in rows:
        first = row.alias if row.alias else ids.table1(row.key, "all")
        if not has(first):
            continue
        cells = [(row.alias if g.code == "all" and row.alias else ids.table1(row.key, g.code)) for g in grouped]
        cells = [c if has(c) else None for c in cells]
        missing = [ids.table1_missing(row.key, g.code) for g in grouped]
        missing = [m if has(m) else None for m in missing]
        unit = f", {row.unit}" if row.unit else ""
        out.append({"label": f"{row.label}{unit}, {SUMMARY_KINDS[row.kind]}", "kind": row.kind, "cells": cells,
                    "missing": missing})
    diag = [{"label": d.label, "id": ids.diagnosis(d.code)} for d in [Group(dx, study.vocab.diagnoses[dx].label,
                                                                             "", "") for dx in
                                                                       diagnoses_present(study)]]
    return {"columns": columns, "rows": out, "diagnoses": diag if len(diag) > 1 else [],
            "therapies": [study.vocab.therapies[t].label for t in study.spec.prior_therapies]}


def flow_table(study: Study, has) -> list[dict[str, Any]]:
    weeks = study.spec.timepoints_weeks
    rows = []
    for before, week in pairwise(weeks):
        reasons = [{"label": t.label.lower(), "id": ids.flow_stop(week, r)}
                   for r, t in study.vocab.stop_reasons.items() if has(ids.flow_stop(week, r))]
        rows.append({"before": before, "week": week, "stopped": ids.flow_stop(week), "reasons": reasons,
                     "lost": ids.flow_lost(week) if has(ids.flow_lost(week)) else None,
                     "on": ids.flow_on(week)})
    return rows


def dose_table(study: Study, has) -> dict[str, Any]:
    end = study.spec.timepoints_weeks[-1]
    if not has(ids.ESC_ANY):
        return {}
    to = _escalated_to(study, has)
    after = [ids.escalation_on_treatment(end)] if has(ids.escalation_on_treatment(end)) else []
    after += [ids.escalation(k, end) for k in weekly_outcomes(study.spec) if has(ids.escalation(k, end))]
    return {"any": ids.ESC_ANY, "week": ids.ESC_WEEK, "to": to, "after": after,
            "reduced": ids.REDUCED_ANY if has(ids.REDUCED_ANY) else None}


def _escalated_to(study: Study, has) -> list[str]:
    from .summarise.durability import dose_histories

    hist = dose_histories(study)
    keys = []
    for (dose, unit, freq), _ in hist[hist["up"].astype(bool)].groupby(["dose", "unit", "frequency"]):
        key = ids.escalated_to(dose, unit, freq)
        if has(key) and key not in keys:
            keys.append(key)
    return keys


def ae_table(study: Study) -> dict[str, Any]:
    types = ae_types(study)
    row = lambda t: {"type": t, "patients": ids.ae_patients(t), "events": ids.ae_events(t),  # noqa: E731
                     "serious": ids.ae_serious(t), "stop": ids.ae_stop(t), "rate": ids.ae_rate(t),
                     "label": study.vocab.adverse_events[t].label, "plain": study.vocab.adverse_events[t].plain
                     or study.vocab.adverse_events[t].label}
    rows = sorted((row(t) for t in types), key=lambda r: r["label"])
    return {"rows": rows, "lab": [r for r in rows if study.vocab.adverse_events[r["type"]].lab],
            "summary": {k: {"patients": ids.ae_patients(k), "events": ids.ae_events(k), "rate": ids.ae_rate(k)}
                        for k in ids.AE_SUMMARIES}}


def rated_rows(spec: StudySpec) -> list[CertaintyRow]:
    """The certainty rows whose rating stands. A made-up (synthetic) study's ratings are about the published
    evidence it is modelled on, so only its rows with a published figure (as their value or second value) are
    rated; a row of made-up results alone has no evidence to rate."""
    rows = spec.certainty.outcomes if spec.certainty else []
    if spec.status != "synthetic":
        return list(rows)
    published = {p.id for p in spec.published}
    return [r for r in rows if {r.value, r.also} & published]


def certainty_rows(spec: StudySpec, has) -> list[dict[str, Any]]:
    """The summary-of-findings rows; an unrated row (``rated_rows``) has no rating, reasons or GRADE statement."""
    if spec.certainty is None:
        return []
    rated = rated_rows(spec)
    return [{"value": r.value, "also": r.also if r.also and has(r.also) else None,
             "rating": r.rating if r in rated else None, "reasons": r.reasons if r in rated else [],
             "statement": r.statement if r in rated else "", "comment": r.comment}
            for r in spec.certainty.outcomes]


def limitation_rows(study: Study) -> list[dict[str, str]]:
    return [{"text": lim.text, "plain": lim.plain or study.vocab.limitations.get(lim.kind, "")}
            for lim in study.spec.limitations]


# Family findings ------------------------------------------------------------------------------------------------

def rating_for(spec: StudySpec, *value_ids: str) -> str | None:
    """The certainty level of the row that rates any of ``value_ids`` (as its value or also), if any."""
    for r in rated_rows(spec):
        if set(value_ids) & {r.value, r.also}:
            return certainty(r.rating).level
    return None


def lowest_rating(spec: StudySpec) -> str:
    """The lowest rating of the study; very low when nothing is rated, or when a row is left unrated (a made-up
    study's row with no published figure: no evidence, so families are never told more than very low)."""
    rated = rated_rows(spec)
    levels = [certainty(r.rating).level for r in rated]
    if not levels or (spec.certainty is not None and len(rated) < len(spec.certainty.outcomes)):
        return "very_low"
    return min(levels, key=LEVELS.index)


def claim_sentence(level: str, words: dict[str, str], sv: StudyView, **extra: str) -> str:
    """A sentence hedged for its certainty, from a claim in words.yml whose parts may name {Medicine},
    {medicine}, {time} and the finding's {who} and {what}."""
    fill = {**sv.names, "time": f"{_time_frame(sv.end)}", **extra}
    return claim(level, words["subject"].format(**fill), words["verb"], words["verb_s"],
                 words.get("rest", "").format(**fill))


def _time_frame(weeks: int) -> str:
    from .fmt import time_frame

    return time_frame(weeks)


def findings(study: Study, book: NumberBook, words: dict[str, Any], sv: StudyView) -> tuple[list[Finding], str]:
    """The family results: staying on the medicine, then each outcome the study shows families
    (``families: true``), by diagnosis, with both denominators."""
    spec = study.spec
    end = spec.timepoints_weeks[-1]
    after = f"after {_time_frame(end)}"
    lowest = lowest_rating(spec)
    level = lambda *v: rating_for(spec, *v) or lowest  # noqa: E731
    claims = words["claims"]
    out = [Finding("persistence", f"Still taking the medicine {after}", "all the children who started",
                   f"were still taking it {after}", "had stopped taking it", ids.persistence(end), None, "",
                   level(ids.persistence(end)), "")]
    out[0] = _with_claim(out[0], claims["persistence"], sv)
    has = lambda short: _has(book, study.id, short)  # noqa: E731
    for key, o in spec.outcomes.items():
        if not o.families:
            continue
        family_groups = _family_groups(sv) if o.families_by == "diagnosis" else sv.groups[:1]
        if o.rule == "endoscopy_at_most":
            for g in family_groups:
                first, second = ids.endoscopy(key, g.code, "obs"), ids.endoscopy(key, g.code, "itt")
                if not has(first):
                    continue
                who = "children" if g.code == "all" else f"children with {g.plain}"
                f = Finding(f"{key}_{g.code}", _heading(o, g, ""), f"the {who} who had a second camera test",
                            f"were {o.plain or o.label.lower()}", "were not", first, second,
                            f"the {who} who started", level(first, second), "", "of those who had a second camera test")
                out.append(_with_claim(f, claims["outcome"], sv, who=who, what=o.plain or o.label.lower()))
            continue
        for g in family_groups:
            first, second = ids.effect(key, end, g.code, "on"), ids.effect(key, end, g.code, "itt")
            if not has(first):
                continue
            who = "children" if g.code == "all" else f"children with {g.plain}"
            among = _among(o, spec)
            f = Finding(f"{key}_{g.code}", _heading(o, g, after), f"the {who}{among}{' and' if among else ''} who "
                        f"were still taking it {after}", f"were {o.plain or o.label.lower()}",
                        "were not, or were not checked",
                        first, second, f"the {who}{among} who started", level(first, second), "")
            out.append(_with_claim(replace(f, caveat=o.family_caveat), claims["outcome"], sv, who=who,
                                   what=o.plain or o.label.lower()))
    return out, lowest


def _among(o: Outcome, spec: StudySpec) -> str:
    if o.among == "raised_at_baseline":
        return " whose test was high at the start"
    return next((_among(spec.outcomes[k], spec) for k in o.of if _among(spec.outcomes[k], spec)), "")


def _family_groups(sv: StudyView) -> list[Group]:
    return sv.groups[1:] if len(sv.groups) > 1 else sv.groups


def _heading(o: Outcome, g: Group, after: str) -> str:
    what = o.plain or o.label.lower()
    who = "" if g.code == "all" else f"{g.short}: "
    return f"{who}{what}" + (f" {after}" if after else "")


def _with_claim(f: Finding, words: dict[str, str], sv: StudyView, **extra: str) -> Finding:
    return replace(f, claim=claim_sentence(f.level, words, sv, **extra))
