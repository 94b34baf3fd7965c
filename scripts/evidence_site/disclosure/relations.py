"""From a study's computed values to the audit's cells and relations.

A *cell* is a whole number behind a figure: the count of a proportion (its numerator) or the value of a
count, named by the value's short id (``eff_response_w12_CD_itt``). Kaplan–Meier estimates and event rates
become cells too, because with the cohort size or the exposure they give their count back. Means, medians
and p-values are not cells (the policy treats small-group order statistics separately). A printed
denominator is known to the reader, except where a whole group is withheld.

Every kind of relation a reader can use is one function in :data:`KINDS`, in one place:

``shown``           a figure printed as a number fixes its cell (published figures included);
``label``           the words printed for a withheld figure ("fewer than 5 of 21", "more than 16 of 21");
``denominator``     a printed denominator that is itself another cell (8/17 still on treatment: 17);
``group_sum``       a breakdown by diagnosis adds up to its overall figure (the diagnoses add up to all);
``same_count``      one count printed more than once (three denominators of one outcome; flow and persistence);
``flow``            patient flow: on treatment, stopped per interval and per reason, reasons overall;
``listed``          a reason for stopping that has a row happened at least once;
``km``              Kaplan–Meier estimate times the cohort size and numbers at risk against the flow counts;
``adverse_events``  events per type add up to all, serious and led-to-stopping; patients at most events; rates;
``nested``          outcomes inside others, as the study declares them (``implies`` or ``all_of`` in study.yml:
                    steroid-free remission within remission, per group and week); achieved at most still on
                    treatment; a subgroup at most the whole cohort;
``therapy_counts``  Table 1's earlier therapies: "k or more" contains "k+1 or more", and the therapies per
                    patient add up to the per-therapy counts (audit-only cells: patients with exactly j);
``escalation``      doses after escalation add up; outcomes after escalation at most those escalated.

Ids are read with the grammar of ``ids.py`` (the study's diagnosis codes split an id into family and rest).
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import combinations
from typing import Any

from .. import ids
from ..errors import DataError, Problem
from ..numbers import Value
from .audit import Relation
from .policy import AT_LEAST, BANDS, HIGH, LOW, MIDDLE, UNPRINTED

ALL = "all"
GALE_RYSER_ALL_SUBSETS = 6  # up to this many earlier therapies, every subset's condition is a relation
PER_INTERVAL = re.compile(r"flow_stop_w\d+_\w+")  # stopped in one interval, for one reason


@dataclass(frozen=True)
class Parsed:
    """A value id split at its group token: ``eff_response_w12`` + ``CD`` + ``itt``."""

    family: str
    group: str | None
    rest: str


@dataclass(frozen=True)
class Layout:
    """What the relations need to know about a study beyond its values (all from its spec and data)."""

    diagnoses: tuple[str, ...]
    end: int
    weeks: tuple[int, ...]
    aliases: dict[str, str] = field(default_factory=dict)  # Table 1 row key -> id of its overall figure
    subgroups: dict[str, str] = field(default_factory=dict)  # subgroup key -> id of its size (prior_<therapy>)
    therapies: tuple[str, ...] = ()  # the study's earlier advanced therapies (Table 1 rows, in order)
    implies: dict[str, tuple[str, ...]] = field(default_factory=dict)  # outcome -> outcomes it lies within
    study: str = ""  # for error messages
    # group (all or a diagnosis) -> patients with exactly 0, 1, 2, ... of the earlier therapies (true numbers)
    therapies_per_patient: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # measures whose values decide an outcome (labs, activity indices): their medians at the last week
    outcome_markers: tuple[str, ...] = ()

    @property
    def groups(self) -> tuple[str, ...]:
        return (ALL, *self.diagnoses)


def parse(id: str, layout: Layout) -> Parsed:
    """The first token that is a group (all or a diagnosis code) splits family and rest."""
    return _parse(id, layout.diagnoses)


@lru_cache(maxsize=1 << 16)
def _parse(id: str, diagnoses: tuple[str, ...]) -> Parsed:
    """``parse`` on the only part of the layout it reads (memoised: a pure function of its arguments; an id is
    parsed many times in one protection, once per round of secondary protection)."""
    groups = (ALL, *diagnoses)
    tokens = id.split("_")
    for i, t in enumerate(tokens):
        if t in groups and i > 0:
            return Parsed("_".join(tokens[:i]), t, "_".join(tokens[i + 1:]))
    return Parsed(id, None, "")


def cell_number(v: Value, n_patients: int) -> int | None:
    """The whole number behind a value (its count), or None when it is not a cell."""
    if v.kind == "proportion":
        return v.numerator
    if v.kind == "count":
        return None if v.value is None else int(v.value)
    if v.kind == "survival" and v.value is not None:
        return round(float(v.value) * n_patients)
    if v.kind == "rate" and v.numerator is not None:
        return int(v.numerator)
    return None


class Context:
    """Raw values (true numbers) and shown values (after protection) of one study, by short id.

    Everything read from the raw values alone (the cells, the cohort size, the pairs of ``denominator``) is
    found once: :meth:`with_shown` gives a context of the same raw values with other shown values, sharing
    it (the protection loop asks for one context per round, and only what is shown changes)."""

    def __init__(self, raw: Iterable[Value], shown: Iterable[Value], layout: Layout, min_cell: int,
                 small_group_below: int) -> None:
        self.raw = {v.id: v for v in raw}
        self.shown = {v.id: v for v in shown}
        self.layout = layout
        self.n = int(self.raw[ids.N_PATIENTS].value) if ids.N_PATIENTS in self.raw else 0
        self.min_cell = min_cell
        self.small_group_below = small_group_below
        self.cells = {i: c for i, v in self.raw.items() if (c := cell_number(v, self.n)) is not None}
        self.end = layout.end
        self.memo: dict[str, Any] = {}  # raw-only results, shared with every ``with_shown`` copy

    def with_shown(self, shown: Mapping[str, Value]) -> Context:
        """The same raw values (and what was found from them) with these shown values, by id."""
        ctx = copy.copy(self)
        ctx.shown = dict(shown)
        return ctx

    def group_size(self, group: str | None) -> int | None:
        """Patients in ``all`` or one diagnosis (an outcome over all of them has this denominator)."""
        if group == ALL:
            return self.n
        size = self.raw.get(ids.table1_n(group or ""))
        return None if size is None or size.value is None else int(size.value)

    def has(self, *names: str) -> bool:
        return all(i in self.cells for i in names)


def rel(kind: str, terms: dict[str, float], op: str, rhs: float, *figures: str) -> Relation:
    return Relation(kind, tuple(terms.items()), op, float(rhs), tuple(figures))


def equal(kind: str, a: str, b: str) -> Relation:
    return rel(kind, {a: 1, b: -1}, "==", 0, a, b)


def at_most(kind: str, small: str, big: str) -> Relation:
    return rel(kind, {small: 1, big: -1}, "<=", 0, small, big)


def total(kind: str, whole: str, parts: list[str]) -> Relation:
    terms: dict[str, float] = defaultdict(float)
    terms[whole] += 1
    for p in parts:
        terms[p] -= 1
    return rel(kind, dict(terms), "==", 0, whole, *parts)


def group_hidden(v: Value | None) -> bool:
    """A withheld value whose denominator is not printed either (the whole group is withheld)."""
    return v is not None and v.suppressed and v.denominator is None


# --- the kinds ------------------------------------------------------------------------------------------------

def shown(ctx: Context) -> list[Relation]:
    every = ctx.memo.get("shown")
    if every is None:  # each cell's relation, made once (it depends on the raw value alone)
        every = ctx.memo["shown"] = [(i, rel("shown", {i: 1}, "==", c, i)) for i, c in ctx.cells.items()]
    return [r for i, r in every if (v := ctx.shown.get(i)) is not None and not v.suppressed]


def label(ctx: Context) -> list[Relation]:
    """The bounds that the words for a withheld figure give (its band: ``policy.band``, ``fmt.withheld``)."""
    out = []
    m = ctx.min_cell
    for i in ctx.cells:
        v = ctx.shown.get(i)
        if v is None or not v.suppressed or v.suppression not in BANDS:
            continue
        total = v.denominator
        low, high = {LOW: (0, m - 1), AT_LEAST: (m, None),
                     HIGH: (None if total is None else total - m + 1, total),
                     MIDDLE: (m, None if total is None else total - m)}[v.suppression]
        if low:
            out.append(rel("label", {i: 1}, ">=", low, i))
        if high is not None:
            out.append(rel("label", {i: 1}, "<=", high, i))
    return out


def denominator(ctx: Context) -> list[Relation]:
    """Printed denominators that are counts printed (or withheld) elsewhere."""
    pairs = ctx.memo.get("denominator")
    if pairs is None:
        pairs = ctx.memo["denominator"] = _denominator_pairs(ctx)
    out = []
    for i, r in pairs:
        v = ctx.shown.get(i)
        if v is None or v.denominator is None or group_hidden(v):
            continue
        out.append(r)
    return out


def _denominator_pairs(ctx: Context) -> list[tuple[str, Relation]]:
    """(proportion, the relation its printed denominator gives), from the raw values alone (``denominator``)."""
    pairs: list[tuple[str, str]] = []
    for i, v in ctx.raw.items():
        if v.kind != "proportion":
            continue
        p = parse(i, ctx.layout)
        week = re.fullmatch(r"eff_\w+?_w(\d+)", p.family)
        itt = ctx.raw.get(i.removesuffix("_on") + "_itt")
        if week and p.rest == "on" and itt is not None and itt.denominator == ctx.group_size(p.group):
            w = int(week[1])
            pairs.append((i, ids.flow_on(w) if p.group == ALL else ids.on_treatment(w, p.group or "")))
        if i.startswith("esc_") and i != ids.ESC_ANY:
            pairs.append((i, ids.ESC_ANY))
        if i.startswith("stop_reason_"):
            pairs.append((i, ids.STOPPED))
        if i == ids.SURGERY_AFTER_STOP:
            pairs.append((i, ids.SURGERY_ANY))
        if p.group == ALL and p.family.startswith("eff_") and p.rest == "obs" and not week:
            pairs.append((i, ids.REPEAT_ENDOSCOPY))
        for key, size in ctx.layout.subgroups.items():
            if i.startswith(f"{key}_") and i.endswith("_itt"):
                pairs.append((i, size))
    return [(i, rel("denominator", {other: 1}, "==", ctx.raw[i].denominator, i)) for i, other in pairs
            if other in ctx.cells]


def group_sum(ctx: Context) -> list[Relation]:
    families: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for i in ctx.cells:
        p = parse(i, ctx.layout)
        if p.group is not None:
            families[(p.family, p.rest)][p.group] = i
    out = []
    for (family, rest), members in families.items():
        whole = members.get(ALL)
        if whole is None and not rest:
            if family == "t1_n" or family == "diagnosis":
                whole = ids.N_PATIENTS
            elif family.startswith("t1_"):
                whole = ctx.layout.aliases.get(family.removeprefix("t1_"))
            elif family == f"on_treatment_w{ctx.end}":
                whole = ids.persistence(ctx.end)
        parts = [members[g] for g in ctx.layout.diagnoses if g in members]
        if whole in ctx.cells and parts:
            out.append(total("group_sum", whole, parts))
    return out


def same_count(ctx: Context) -> list[Relation]:
    """The three denominators of one outcome share its count (itt, on treatment, observed)."""
    out = []
    for i in ctx.cells:
        if i.endswith("_itt"):
            for other in ("_on", "_obs"):
                if ctx.has(i[:-4] + other):
                    out.append(equal("same_count", i, i[:-4] + other))
    if ctx.has(ids.persistence(ctx.end), ids.flow_on(ctx.end)):
        out.append(equal("same_count", ids.persistence(ctx.end), ids.flow_on(ctx.end)))
    return out


def flow(ctx: Context) -> list[Relation]:
    out = []
    previous = ids.N_PATIENTS
    reasons: dict[str, list[str]] = defaultdict(list)
    stops = []
    for w in ctx.layout.weeks[1:]:
        on, stop, lost = ids.flow_on(w), ids.flow_stop(w), ids.flow_lost(w)
        if ctx.has(previous, on, stop):
            terms = {previous: 1.0, stop: -1.0, on: -1.0} | ({lost: -1.0} if ctx.has(lost) else {})
            out.append(rel("flow", terms, "==", 0, *terms))
        parts = [i for i in ctx.cells if i.startswith(stop + "_")]
        if ctx.has(stop) and parts:  # a breakdown that is published: reasons not listed are zero
            out.append(total("flow", stop, parts))
        if ctx.has(stop):
            stops.append(stop)
        for p in parts:
            reasons[p.removeprefix(stop + "_")].append(p)
        previous = on
    if ctx.has(ids.STOPPED) and stops:
        out.append(total("flow", ids.STOPPED, stops))
    for reason, parts in reasons.items():
        if ctx.has(ids.stop_reason(reason)):
            out.append(total("flow", ids.stop_reason(reason), parts))
    listed = [i for i in ctx.cells if i.startswith("stop_reason_")]
    if ctx.has(ids.STOPPED) and listed:
        out.append(total("flow", ids.STOPPED, listed))
    return out


def listed(ctx: Context) -> list[Relation]:
    """A reason for stopping that has a row (its figure shown or withheld) happened at least once."""
    every = ctx.memo.get("listed")
    if every is None:  # the reasons' cells and their relations, found once (from the raw values alone)
        every = ctx.memo["listed"] = [(i, rel("listed", {i: 1}, ">=", 1, i)) for i in ctx.cells
                                      if i.startswith(ids.stop_reason("")) or PER_INTERVAL.fullmatch(i)]
    return [r for i, r in every if (v := ctx.shown.get(i)) is not None and v.suppression != UNPRINTED]


def km(ctx: Context) -> list[Relation]:
    """Without early losses, S(w)·N is the number still on treatment at week w; at risk brackets it."""
    out = []
    lost = any(i.startswith("flow_lost_") for i in ctx.cells)
    previous = ids.N_PATIENTS
    for w in ctx.layout.weeks:
        on = ids.flow_on(w) if ctx.has(ids.flow_on(w)) else ids.N_PATIENTS if w == 0 else None
        if on and ctx.has(ids.km(w)) and not lost:
            out.append(equal("km", ids.km(w), on))
        risk = ids.km_at_risk(w)
        if on and ctx.has(risk) and not lost:
            out.append(at_most("km", on, risk))
            out.append(at_most("km", risk, previous))
        previous = on or previous
    return out


def adverse_events(ctx: Context) -> list[Relation]:
    types = sorted(i.removeprefix("ae_patients_") for i in ctx.cells if i.startswith("ae_patients_"))
    out = []
    for t in types:
        if ctx.has(ids.ae_events(t), ids.ae_patients(t)):
            out.append(at_most("adverse_events", ids.ae_patients(t), ids.ae_events(t)))
        for part in (ids.ae_serious(t), ids.ae_stop(t)):
            if ctx.has(part, ids.ae_events(t)):
                out.append(at_most("adverse_events", part, ids.ae_events(t)))
        if ctx.has(ids.ae_rate(t), ids.ae_events(t)):
            out.append(equal("adverse_events", ids.ae_rate(t), ids.ae_events(t)))
        if ctx.has(ids.ae_patients("any"), ids.ae_patients(t)):
            out.append(at_most("adverse_events", ids.ae_patients(t), ids.ae_patients("any")))
    for whole, part in ((ids.ae_events("any"), ids.ae_events), (ids.ae_events("serious"), ids.ae_serious),
                        (ids.ae_events("led_to_stop"), ids.ae_stop)):
        parts = [part(t) for t in types if part(t) in ctx.cells]
        if whole in ctx.cells and parts:
            out.append(total("adverse_events", whole, parts))
    for key in ids.AE_SUMMARIES:
        if ctx.has(ids.ae_patients(key), ids.ae_events(key)):
            out.append(at_most("adverse_events", ids.ae_patients(key), ids.ae_events(key)))
        if ctx.has(ids.ae_rate(key), ids.ae_events(key)):
            out.append(equal("adverse_events", ids.ae_rate(key), ids.ae_events(key)))
    parts = [ids.ae_patients(t) for t in types]
    if parts and ctx.has(ids.ae_patients("any"), *parts):
        terms: dict[str, float] = {ids.ae_patients("any"): 1, **{p: -1 for p in parts}}
        out.append(rel("adverse_events", terms, "<=", 0, *terms))
    return out


def nested(ctx: Context) -> list[Relation]:
    out = []
    for i in ctx.cells:
        p = parse(i, ctx.layout)
        for inner, outers in ctx.layout.implies.items():
            for outer in outers:
                within = _within(i, p, inner, outer, ctx.layout)
                if within is not None and ctx.has(within):
                    if ctx.cells[i] > ctx.cells[within]:
                        raise DataError(ctx.layout.study, [Problem(
                            "study.yml", "An outcome declared to lie within another has a larger count.",
                            column=f"outcomes.{inner}.implies", expected=f"{i} at most {within}",
                            found=f"{ctx.cells[i]} and {ctx.cells[within]}",
                            hint=f"Remove {outer!r} from what {inner!r} implies, or correct the outcome rules.")])
                    out.append(at_most("nested", i, within))
        m = re.fullmatch(r"eff_(\w+?)_w(\d+)", p.family)
        if m and p.rest == "itt":
            w = int(m[2])
            if p.group == ALL and ctx.has(ids.flow_on(w)):
                out.append(at_most("nested", i, ids.flow_on(w)))
            elif ctx.has(ids.on_treatment(w, p.group or "")):
                out.append(at_most("nested", i, ids.on_treatment(w, p.group or "")))
        for key in ctx.layout.subgroups:
            s = re.fullmatch(rf"{re.escape(key)}_(\w+)_w(\d+)_itt", i)
            if s and ctx.has(ids.effect(s[1], int(s[2]), ALL, "itt")):
                out.append(at_most("nested", i, ids.effect(s[1], int(s[2]), ALL, "itt")))
    return out


def _within(i: str, p: Parsed, inner: str, outer: str, layout: Layout) -> str | None:
    """The id of the same figure for the outcome ``outer`` when ``i`` is a figure of ``inner`` (same group, week
    and basis), else None: effectiveness by group (``eff_<o>_w12_CD_itt``, ``eff_<o>_CD_obs``) and subgroups
    (``<key>_<o>_w12_itt``)."""
    if p.group is not None:
        m = re.fullmatch(rf"eff_{re.escape(inner)}(_w\d+)?", p.family)
        return f"eff_{outer}{m[1] or ''}_{p.group}_{p.rest}" if m else None
    for key in layout.subgroups:
        m = re.fullmatch(rf"{re.escape(key)}_{re.escape(inner)}(_w\d+_\w+)", i)
        if m:
            return f"{key}_{outer}{m[1]}"
    return None


def exactly(k: int, group: str) -> str:
    """An audit-only cell: patients of ``group`` with exactly ``k`` of the study's earlier therapies failed."""
    return f"patients_with_exactly_{k}_earlier_therapies_{group}"


def therapy_counts(ctx: Context) -> list[Relation]:
    """Table 1's earlier therapies, as a reader can combine them. With e_j the patients who had exactly j of the
    T therapies fail: the e_j add up to the group; "k or more" is the sum of e_j for j >= k (so it contains
    "k+1 or more"); the per-therapy counts add up to the sum of j * e_j; and for any s therapies, their counts
    lie between the sum of max(0, j - (T - s)) * e_j and the sum of min(j, s) * e_j (the Gale-Ryser
    conditions, which are all a reader can know from these margins)."""
    therapies = ctx.layout.therapies
    t = len(therapies)
    if not t:
        return []
    out = []
    done = set()
    for g in ctx.layout.groups:
        def cell(t_: str, g: str = g) -> str:
            return ids.prior(t_) if g == ALL else ids.table1(f"prior_{t_}", g)

        per = [cell(x) for x in therapies]
        cumulative = {k: ids.table1(ids.prior_at_least(k), g) for k in ids.PRIOR_AT_LEAST}
        size = ids.N_PATIENTS if g == ALL else ids.table1_n(g)
        if not ctx.has(*per, *cumulative.values(), size):
            continue
        e = [exactly(j, g) for j in range(t + 1)]
        done.add(g)
        out.append(total("therapy_counts", size, e))
        for k, c in cumulative.items():
            out.append(total("therapy_counts", c, e[k:]))
        for s in range(1, t + 1):
            if t > GALE_RYSER_ALL_SUBSETS and 1 < s < t - 1:
                continue  # many therapies: singles, all but one, and all (the rest would grow as 2**t)
            for chosen in combinations(per, s):
                upper: dict[str, float] = defaultdict(float, {c: 1.0 for c in chosen})
                lower: dict[str, float] = defaultdict(float, {c: 1.0 for c in chosen})
                for j in range(t + 1):
                    if min(j, s):
                        upper[e[j]] -= min(j, s)
                    if max(0, j - (t - s)):
                        lower[e[j]] -= max(0, j - (t - s))
                out.append(rel("therapy_counts", dict(upper), "<=", 0, *chosen, *cumulative.values()))
                if any(e_ in lower for e_ in e):
                    out.append(rel("therapy_counts", dict(lower), ">=", 0, *chosen, *cumulative.values()))
        out.append(rel("therapy_counts", {**{c: 1.0 for c in per}, **{e[j]: -float(j) for j in range(1, t + 1)}},
                       "==", 0, *per, *cumulative.values()))
    if done == set(ctx.layout.groups):  # patients with exactly j: the diagnoses add up to all
        out += [total("therapy_counts", exactly(j, ALL), [exactly(j, g) for g in ctx.layout.diagnoses])
                for j in range(t + 1)]
    return out


def escalation(ctx: Context) -> list[Relation]:
    out = []
    doses = [i for i in ctx.cells if i.startswith("esc_to_")]
    if ctx.has(ids.ESC_ANY) and doses:
        out.append(total("escalation", ids.ESC_ANY, doses))
    on = ids.escalation_on_treatment(ctx.end)
    for i in ctx.cells:
        if i.startswith("esc_") and re.fullmatch(rf"esc_\w+_w{ctx.end}", i) and i != on and ctx.has(on):
            out.append(at_most("escalation", i, on))
    return out


def shares(ctx: Context) -> list[Relation]:
    """For a total of events by type (serious, led to stopping): the events of the other types, as a "rest"
    cell per type (rest = total - type). A reader who can pin a rest cell to 0 knows that every event of the
    total was of that type ("every serious event was an infection"), so the audit checks these too."""
    types = sorted(i.removeprefix("ae_patients_") for i in ctx.cells if i.startswith("ae_patients_"))
    out = []
    for whole, part in ((ids.ae_events("serious"), ids.ae_serious), (ids.ae_events("led_to_stop"), ids.ae_stop)):
        if whole not in ctx.cells:
            continue
        for t in types:
            if part(t) in ctx.cells and ctx.cells[part(t)] > 0:
                rest = f"rest_of_{whole}_besides_{t}"
                out.append(rel("shares", {rest: 1, whole: -1, part(t): 1}, "==", 0, whole, part(t)))
    return out


def differences(ctx: Context) -> tuple[list[Relation], dict[str, int]]:
    """Counts a reader gets by subtracting nested figures, as cells of their own with their true values, so that
    a small one is protected like any withheld count: those who achieved an outcome but not one within it
    (remission minus steroid-free remission, per group and week), and the patients with exactly j earlier
    therapies, for every j ("two or more" minus "three or more" gives j = 2; the per-therapy counts, which add
    up to the sum of j times the patients with exactly j, can give the others)."""
    out, values = [], {}
    for i in ctx.cells:
        p = parse(i, ctx.layout)
        if p.rest not in ("itt", "") and not (p.group is None and i.endswith("_itt")):
            continue
        for inner, outers in ctx.layout.implies.items():
            for outer in outers:
                within = _within(i, p, inner, outer, ctx.layout)
                if within is not None and ctx.has(within):
                    name = f"{within}_but_not_{inner}"
                    out.append(rel("differences", {name: 1, within: -1, i: 1}, "==", 0, within, i))
                    values[name] = ctx.cells[within] - ctx.cells[i]
    for g, counts in ctx.layout.therapies_per_patient.items():  # their relations are in therapy_counts
        for j, n in enumerate(counts):
            values[exactly(j, g)] = n
    return out, values


# Every kind of relation, in one place (see the module docstring).
KINDS: dict[str, Callable[[Context], list[Relation]]] = {
    "shown": shown, "label": label, "denominator": denominator, "group_sum": group_sum, "same_count": same_count,
    "flow": flow, "km": km, "adverse_events": adverse_events, "nested": nested, "escalation": escalation,
    "therapy_counts": therapy_counts, "listed": listed,
}
STATEFUL = ("shown", "label", "denominator", "listed")  # the kinds that depend on what is withheld


def bounds(ctx: Context) -> dict[str, tuple[float, float | None]]:
    """Plain bounds of each cell: 0 to its denominator (patients), or no upper bound (events)."""
    plain = ctx.memo.get("bounds")
    if plain is None:  # from the raw values alone: each cell's bounds, and whether a hidden group widens them
        plain = ctx.memo["bounds"] = [(i, _plain_bounds(ctx, i), _is_share(ctx.raw[i])) for i in ctx.cells]
    out: dict[str, tuple[float, float | None]] = {}
    for i, b, share in plain:
        out[i] = (0, ctx.n) if share and group_hidden(ctx.shown.get(i)) else b
    return out


def _is_share(v: Value) -> bool:
    return v.kind == "proportion" and v.denominator is not None


def _plain_bounds(ctx: Context, i: str) -> tuple[float, float | None]:
    """``bounds`` of one cell while its group is shown."""
    v = ctx.raw[i]
    if _is_share(v):
        return (0, v.denominator)
    if i.startswith(("ae_events_", "ae_serious_", "ae_stop_", "ae_rate_")):
        return (0, None)
    return (0, ctx.n)


def derive(ctx: Context, kinds: Iterable[str] = tuple(KINDS)) -> list[Relation]:
    return [r for k in kinds for r in KINDS[k](ctx)]
