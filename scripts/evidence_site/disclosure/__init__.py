"""Disclosure control with an audit: which figures a study may publish, proven by linear programming.

``protect_study(values, spec, layout)`` is the one entry point (called once per study by ``summarise``):

1. **primary**: each figure that is sensitive on its own is withheld or coarsened (``policy.primary_reason``);
2. **collapse**: a breakdown of patient flow by reason and interval that would show a small count is not
   published at all (the reasons overall stay); values never published are left out of ``numbers.json`` too,
   because even an id that exists says "at least one";
3. **public through published figures**: a withheld cell that the figures the study team already published
   pin down exactly is public, so it is shown; one they narrow (but do not pin) stays withheld and is
   reported, because nothing this site withholds can widen it;
4. **secondary protection and the audit**: every relation a reader can use (``relations.KINDS``) is a
   linear relation over the cells; for each sensitive cell the audit (``audit.py``) computes the range of
   values consistent with everything shown. While a range is narrower than the policy allows, the cheapest
   change that widens it is made: first drop the bound that a withheld figure's words give, then withhold the
   same figure for another diagnosis (the breakdown collapses, the overall figure stays), and an overall
   figure only as a last resort. Figures already published, and group sizes, are never withheld;
5. **leave out rather than refuse**: where a range stays too narrow in a breakdown that may be left out whole
   (the reasons for stopping), it is left out and protection runs again. A none-or-all figure that the
   table's structure and printed denominators force ("of 0 assessed") is counted, not a failure.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .. import ids
from ..errors import BuildError
from ..numbers import Value
from .audit import CellRange, Problem, Substitution
from .policy import BANDS, NO_RANGE, UNPRINTED, Policy, band, persistence_count, primary_reason, small, withhold
from .relations import ALL, KINDS, STATEFUL, Context, Layout, bounds, derive, differences, parse, shares

if TYPE_CHECKING:
    from ..validate import Study

SECONDARY = NO_RANGE  # withheld with no range words (its band dropped so that another figure keeps its range)
COARSENED = BANDS  # withheld figures whose words still give a range ("fewer than 5 of 21")
SUMMARIES = {f(k) for k in ids.AE_SUMMARIES for f in (ids.ae_patients, ids.ae_events, ids.ae_rate)}
PER_INTERVAL_REASON = re.compile(r"flow_stop_w\d+_\w+")
BREAKDOWNS = (ids.stop_reason(""),)  # id prefixes of breakdowns that may be left out whole (``collapsible``)


@dataclass
class Report:
    """What protection did to one study's figures, and what the audit found."""

    enabled: bool
    policy: Policy | None = None
    reasons: Counter = field(default_factory=Counter)
    ranges: list[CellRange] = field(default_factory=list)
    shown_as_public: list[str] = field(default_factory=list)  # pinned exactly by published figures: shown
    narrowed_by_published: list[CellRange] = field(default_factory=list)
    failures: list[CellRange] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # per-interval breakdowns not published at all
    forced: list[str] = field(default_factory=list)  # none-or-all figures the structure forces (``forced``)
    order_statistics: list[str] = field(default_factory=list)  # medians withheld beside withheld outcomes

    def summary(self, study: str = "") -> str:
        if not self.enabled:
            return (f"{study}: DISCLOSURE CONTROL IS OFF: every count is published as it is "
                    "(disclosure.protection: off-for-synthetic-test-data-only; never allowed for real data)")
        coarsened = sum(n for r, n in self.reasons.items() if r in COARSENED)
        withheld = sum(self.reasons.values()) - coarsened
        return (f"{study}: {withheld} figures withheld and {coarsened} coarsened to a range "
                f"({', '.join(f'{n} {r}' for r, n in sorted(self.reasons.items()))}), {len(self.dropped)} "
                f"breakdown figures left out; audit of {len(self.ranges)} sensitive cells: {len(self.failures)} "
                f"narrower than {self.policy.protection_interval if self.policy else '?'}, "
                f"{len(self.shown_as_public)} shown because published figures give them exactly, "
                f"{len(self.narrowed_by_published)} narrowed by published figures alone, {len(self.forced)} "
                f"none-or-all forced by the table's structure, {len(self.order_statistics)} medians withheld "
                "beside withheld outcomes")


def layout_of(study: Study) -> Layout:
    from ..summarise.baseline import baseline_frame
    from ..summarise.common import advanced_therapies, diagnoses_present

    spec = study.spec
    _, rows = baseline_frame(study)
    return Layout(tuple(diagnoses_present(study)), spec.timepoints_weeks[-1], tuple(spec.timepoints_weeks),
                  {r.key: r.alias for r in rows if r.alias},
                  {k: ids.prior(g.prior_therapy) for k, g in spec.subgroups.items()},
                  advanced_therapies(study), spec.implications(), study.id, therapies_per_patient(study),
                  outcome_markers(study))


def outcome_markers(study: Study) -> tuple[str, ...]:
    """The measures described by median and quartiles whose values decide an outcome (a lab with a limit, an
    activity index with a threshold), as the marker names of ``ids.change``; growth is not among them."""
    from ..summarise.effectiveness import LAB_NAMES, markers

    return tuple(m for m, (column, *_) in markers(study).items()
                 if column in LAB_NAMES or column.startswith("activity_score:"))

def therapies_per_patient(study: Study) -> dict[str, tuple[int, ...]]:
    """Per group (all, and each diagnosis): the patients with exactly 0, 1, 2, ... of the study's earlier advanced
    therapies (those Table 1 counts in "k or more"). No page prints these; the audit protects them where they are
    small (``relations.differences``)."""
    from ..summarise.common import advanced_therapies, diagnoses_present

    therapies = set(advanced_therapies(study))
    if not therapies:
        return {}
    p = study.patients
    n_prior = p["prior_therapies"].map(lambda codes: len(therapies.intersection(codes)))
    groups = {ALL: n_prior, **{g: n_prior[p["diagnosis"] == g] for g in diagnoses_present(study)}}
    return {g: tuple(int((s == j).sum()) for j in range(len(therapies) + 1)) for g, s in groups.items()}


def public(v: Value) -> bool:
    """Printed whatever protection does: a figure the study team published, or a count of staying on treatment."""
    return v.agrees_with_published or persistence_count(v)


def ranged_breakdown(values: list[Value], policy: Policy) -> set[str]:
    """The reasons for stopping, when they may keep their range words ("fewer than 5 of 9") in a small group:
    each reason listed happened at least once, so when none of them is all who stopped, no withheld reason
    is none-or-all and range words cannot tell one apart (the audit still checks every range)."""
    listed = [v for v in values if v.id.startswith(ids.stop_reason("")) and v.kind == "proportion"]
    if len(listed) < 2 or any(v.numerator in (0, v.denominator) for v in listed):
        return set()
    return {v.id for v in listed}


def collapsible(failures: list[CellRange]) -> set[str]:
    """Breakdowns that may be left out, whole, rather than refuse to publish: the reasons for stopping (the
    number who stopped stays)."""
    return set(BREAKDOWNS) if any(f.cell.startswith(ids.stop_reason("")) for f in failures) else set()


def stem(i: str) -> str:
    """Values that print one count share a stem: over different denominators (``..._itt``/``_on``/``_obs``), and
    the events of one type with their rate per 100 patient-years (``ae_events_x``, ``ae_rate_x``)."""
    return re.sub(r"_(itt|on|obs)$", "", re.sub(r"^ae_rate_", "ae_events_", i))


class Protection:
    """The state of one study's protection: raw values, what is shown, and the audit's problem over them."""

    def __init__(self, values: list[Value], policy: Policy, layout: Layout,
                 given: dict[str, Value] | None = None, collapse: frozenset[str] = frozenset()) -> None:
        self.policy, self.layout = policy, layout
        self.raw = {v.id: v for v in values}
        self.state = dict(given or {})
        self.ranged = ranged = ranged_breakdown(values, policy)
        for v in values if given is None else ():
            reason = primary_reason(v, policy)
            if reason in COARSENED and v.denominator is not None and v.denominator < policy.small_group_below \
                    and v.id not in ranged:
                reason = "small_group"  # worded like none-or-all in a small group: no range to narrow
            self.state[v.id] = withhold(v, reason, policy) if reason else v
        self.cumulative = {ids.table1(ids.prior_at_least(k), g) for k in ids.PRIOR_AT_LEAST for g in layout.groups}
        self.siblings: dict[str, list[str]] = {}
        for i in self.raw:
            self.siblings.setdefault(stem(i), []).append(i)
        per_interval = [i for i in self.raw if PER_INTERVAL_REASON.fullmatch(i)]
        self.dropped = per_interval if given is None and any(self.state[i].suppressed for i in per_interval) else []
        self.dropped += [i for i in self.raw if i not in self.state or i in collapse]
        for i in self.dropped:
            self.raw.pop(i, None)
            self.state.pop(i, None)
        self._context: Context | None = None  # made once ``raw`` is final (``context``)
        self.structural = derive(self.context(), [k for k in KINDS if k not in STATEFUL])
        share_relations = shares(self.context())
        self.shares = {r.terms[0][0]: r.terms[2][0] for r in share_relations}  # "rest" cell -> its part
        self.structural += share_relations
        difference_relations, self.differences = differences(self.context())
        self.structural += difference_relations
        self._structure: Problem | None = None
        self._substitution: Substitution | None = None

    def context(self, shown: dict[str, Value] | None = None) -> Context:
        """The relations' view of the raw values and what is shown (``shown``, else the current state). The raw
        values do not change once protection starts, so what is read from them alone is found once
        (``Context.with_shown``)."""
        if self._context is None:
            self._context = Context(self.raw.values(), (), self.layout, self.policy.min_cell,
                                    self.policy.small_group_below)
        return self._context.with_shown(shown or self.state)

    def problem(self, shown: dict[str, Value] | None = None) -> Problem:
        """The audit's problem over what is shown. The structural relations (which do not depend on what is
        shown) are kept substituted from one problem to the next (``audit.Substitution``): the same problem."""
        ctx = self.context(shown)
        extra = {c: (0, None) for c in (*self.shares, *self.differences)}
        if self._substitution is None:
            self._substitution = Substitution(self.structural)
        return Problem(bounds(ctx) | extra, derive(ctx, STATEFUL), self._substitution)

    def targets(self) -> dict[str, int]:
        """The withheld cells that must stay uncertain, with the width each needs."""
        ctx = self.context()
        plain = bounds(ctx)
        out = {}
        sensitive = replace(self.policy, restricted=())  # a count is sensitive whatever else withholds it
        for i in ctx.cells:
            reason = primary_reason(self.raw[i], sensitive)
            low, high = plain[i]
            room = int(high - low) if high is not None else self.policy.protection_interval
            if reason in COARSENED:
                out[i] = min(self.policy.protection_interval, room)
            elif reason == "all_or_none":
                out[i] = min(1, room)
        for rest, part in self.shares.items():  # all of a total in one withheld type is a disclosure too
            if part in out:
                out[rest] = 1
        for d, n in self.differences.items():  # a small count a reader gets by subtraction
            if small(n, self.policy.min_cell):
                out[d] = self.policy.protection_interval
        return out

    def forced(self, cell: str) -> bool:
        """A none-or-all figure that the table's structure and its printed denominators force, whatever is
        withheld: none of a group because nobody in it was assessed ("of 0 with a repeat endoscopy"), or all
        who escalated to the only higher dose. That is about the records, not about a child's result."""
        if primary_reason(self.raw[cell], self.policy) != "all_or_none":
            return False
        if self._structure is None:
            ctx = self.context()
            self._structure = Problem(bounds(ctx) | {c: (0, None) for c in (*self.shares, *self.differences)},
                                      self.structural + derive(ctx, ("denominator",)))
        return self._structure.cell_range(cell, 1, exact=False).width == 0

    def sizes(self) -> set[str]:
        """The cohort size and the size of each diagnosis group (ids of both spellings)."""
        return {ids.N_PATIENTS, *(ids.diagnosis(g) for g in self.layout.diagnoses),
                *(ids.table1_n(g) for g in self.layout.diagnoses)}

    def published_only(self) -> dict[str, Value]:
        """What a reader would know if the site printed nothing but the published figures (with their
        denominators), the counts of staying on treatment (printed as they are, by policy), the cohort size and
        the size of each diagnosis group."""
        ctx = self.context()
        sizes = self.sizes()
        out = {}
        for i, v in self.raw.items():
            s = self.state[i]
            if public(v) or (i in sizes and not s.suppressed):
                out[i] = v
            elif v.denominator is not None and v.denominator == ctx.group_size(parse(i, self.layout).group or ALL):
                out[i] = withhold(v, SECONDARY, self.policy)  # its denominator is a group size: public anyway
            else:  # not printed at all, denominator included
                out[i] = withhold(v, UNPRINTED, self.policy)
        return out

    def equal_classes(self) -> dict[str, str]:
        """Each cell to the first cell it is known to equal (one count printed more than once)."""
        parent: dict[str, str] = {}

        def find(c: str) -> str:
            while parent.get(c, c) != c:
                c = parent[c]
            return c

        for r in self.structural:
            if r.op == "==" and r.rhs == 0 and len(r.terms) == 2 and r.terms[0][1] == -r.terms[1][1]:
                a, b = find(r.terms[0][0]), find(r.terms[1][0])
                if a != b:
                    parent[max(a, b)] = min(a, b)
        return {c: find(c) for c in parent}

    def show_as_public(self, cell: str, figures: tuple[str, ...]) -> None:
        """Published figures give this count exactly: show it (and its other denominators with the same reason),
        naming the published figures that give it."""
        reason = primary_reason(self.raw[cell], self.policy)
        through = ", ".join(f for f in figures if f in self.raw and self.raw[f].agrees_with_published)
        for j in self.siblings.get(stem(cell), [cell]):
            if j in self.raw and primary_reason(self.raw[j], self.policy) == reason:
                self.state[j] = replace(self.raw[j], public_through=through)

    def withhold_stem(self, i: str) -> None:
        """Withhold a figure (with its other denominators) so that another cannot be worked out. Its words give
        its own band, as a figure withheld for being small would: the two cannot be told apart."""
        for j in self.siblings.get(stem(i), [i]):
            if j in self.raw and not self.state[j].suppressed and not self.raw[j].agrees_with_published:
                self.state[j] = withhold(self.raw[j], band(self.raw[j], self.policy, j in self.ranged), self.policy)

    def options(self, found: CellRange, problem: Problem) -> list[tuple[int, str, str]]:
        """Changes that could widen ``found`` (cost, action, id): the figures that reveal it first, then any
        figure shown in the same connected part of the system."""
        named = [i for i in found.revealed_by if i in self.raw]
        part = sorted(i for i in problem.part_cells(found.cell) if i in self.raw)  # not the audit-only cells
        out = []
        sizes = self.sizes()
        for rank, pool in enumerate((named, part)):
            for i in pool:
                if self.raw[i].agrees_with_published:
                    continue
                s = self.state[i]
                if s.suppressed and s.suppression in COARSENED:
                    out.append((1 + 10 * rank, "unbound", i))
                elif not s.suppressed and i not in sizes:  # a group size is printed in every denominator of it
                    out.append((self.cost(i) + 10 * rank, "withhold", i))
            if out:
                break
        return sorted(out)

    def cost(self, i: str) -> int:
        p = parse(i, self.layout)
        if i in self.cumulative:  # "two or more earlier therapies": a summary of the rows above it, lost first
            return 1
        if p.group in self.layout.diagnoses:
            return 2
        if persistence_count(self.raw[i]):
            return 7
        if i in SUMMARIES:
            return 5
        return 5 if p.group == ALL else 3

    def withhold_order_statistics(self) -> list[str]:
        """Medians and quartiles at the start of those still on treatment at the end, and at the last week of a
        measure that decides an outcome in a group where an outcome at that week is withheld. Quartiles of 17
        values are the 5th, 9th and 13th values: on either side of a limit they bound how many children were
        below it, which narrowed withheld counts (CRP and calprotectin at week 52, an outside tester). The audit
        does not model order statistics, so they go."""
        end, out = self.layout.end, []
        # At the start, among those still on treatment at the end: against Table 1's quartiles of all who
        # started, they bound the baseline values of the few who stopped (an outside tester); Table 1 has them.
        for i in self.state:
            if i.startswith("chg_") and i.endswith("_base") and not self.state[i].suppressed \
                    and not self.raw[i].agrees_with_published:
                self.state[i] = withhold(self.raw[i], SECONDARY, self.policy)
                out.append(i)
        for g in self.layout.groups:
            if not any(v.suppressed and i.startswith("eff_") and v.timepoint_weeks == end
                       and parse(i, self.layout).group == g for i, v in self.state.items()):
                continue
            for marker in self.layout.outcome_markers:
                for i in (ids.change(marker, g, "end"), ids.change(marker, g, "diff")):
                    if i in self.state and not self.state[i].suppressed and not self.raw[i].agrees_with_published:
                        self.state[i] = withhold(self.raw[i], SECONDARY, self.policy)
                        out.append(i)
        return out

    def apply(self, action: str, i: str) -> None:
        if action == "unbound":
            for j in self.siblings.get(stem(i), [i]):
                if j in self.state and self.state[j].suppressed and self.state[j].suppression in COARSENED:
                    self.state[j] = replace(self.state[j], suppression=SECONDARY)
        else:
            self.withhold_stem(i)


def protect_study(values: list[Value], policy: Policy, layout: Layout) -> tuple[list[Value], Report]:
    """Protected values (same order and ids, less any breakdown left out) and the report of what was done.

    Where secondary protection cannot make a breakdown safe, the breakdown is left out whole (``collapsible``)
    and protection runs again, rather than refusing to publish the study."""
    if not policy.enabled:
        return list(values), Report(enabled=False, policy=policy)
    collapse: set[str] = set()
    while True:
        out, report = _protect(values, policy, layout, frozenset(collapse))
        more = {v.id for v in values if v.id.startswith(tuple(collapsible(report.failures)))} - collapse
        if not report.failures or not more:
            return out, report
        collapse |= more


def _protect(values: list[Value], policy: Policy, layout: Layout,
             collapse: frozenset[str]) -> tuple[list[Value], Report]:
    pr = Protection(values, policy, layout, collapse=collapse)
    report = Report(enabled=True, policy=policy, dropped=list(pr.dropped))
    targets = pr.targets()
    same = pr.equal_classes()
    reference: Problem | None = None
    limited: dict[str, CellRange] = {}
    problem = pr.problem()
    for cell, need in targets.items():
        rep = same.get(cell, cell)  # one count printed more than once has one range: solve it once
        for _ in range(4 * len(pr.raw)):
            if problem.known_wide(rep, need):  # wide enough, proven by points already solved (no LP solve)
                break
            found = problem.cell_range(rep, need, exact=False)
            if found.ok or (rep in limited and found.width >= limited[rep].width):
                break
            if rep not in limited and cell in pr.raw and pr.forced(cell):
                report.forced.append(cell)
                break
            if rep not in limited:  # is it narrow because of what the study team published? (then accepted)
                reference = reference or pr.problem(pr.published_only())
                published = reference.cell_range(rep, need, exact=False)  # the LP range: never too narrow
                if not published.ok:
                    limited[rep] = published
                    # shown only when figures the study team published give it (a count of staying on
                    # treatment that gives it is accepted as narrowing it, but the figure stays withheld)
                    published_by = [f for f in published.revealed_by if f in pr.raw and pr.raw[f].agrees_with_published]
                    if published.width == 0 and cell in pr.raw and published_by:
                        pr.show_as_public(cell, published.revealed_by)
                        report.shown_as_public.append(cell)
                        problem = pr.problem()
                    continue
            options = pr.options(found, problem)
            if not options:
                break
            _, action, i = options[0]
            pr.apply(action, i)
            problem = pr.problem()
    for cell, need in targets.items():
        if cell in (*report.shown_as_public, *report.forced) or (cell in pr.state and not pr.state[cell].suppressed):
            continue
        rep = same.get(cell, cell)
        found = replace(problem.cell_range(rep, need), cell=cell)
        report.ranges.append(found)
        if found.ok:
            continue
        if rep in limited and found.width >= limited[rep].width:
            report.narrowed_by_published.append(found)
        else:
            report.failures.append(found)
    report.order_statistics = pr.withhold_order_statistics()
    report.reasons = Counter(v.suppression for v in pr.state.values() if v.suppressed)
    return [pr.state[v.id] for v in values if v.id in pr.state], report


def audit_shown(values: list[Value], shown: list[Value], policy: Policy, layout: Layout) -> Report:
    """The audit alone, of figures protected some other way (``shown``): every withheld count or complement
    whose range is narrower than the policy allows is a failure. Used to show what earlier protection leaked."""
    pr = Protection(values, policy, layout, dict_of(shown))
    report = Report(enabled=True, policy=policy)
    problem = pr.problem()
    # every cell sensitive on its own (whatever words it is shown with now), and the small counts a reader
    # gets by subtraction, unless it is shown
    needs = {i: n for i, n in pr.targets().items() if i not in pr.state or pr.state[i].suppressed}
    reference: Problem | None = None
    for i, need in needs.items():
        found = problem.cell_range(i, need)
        report.ranges.append(found)
        if found.ok:
            continue
        if i in pr.raw and pr.forced(i):
            report.forced.append(i)
            continue
        reference = reference or pr.problem(pr.published_only())  # as narrow as the study team's own figures?
        if reference.cell_range(i, need).width <= found.width:
            report.narrowed_by_published.append(found)
        else:
            report.failures.append(found)
    return report


def dict_of(values: list[Value]) -> dict[str, Value]:
    return {v.id: v for v in values}


def check(report: Report, study: str) -> None:
    """Fail the build, naming the cell and the figures that reveal it, if the audit found a narrow range."""
    if report.failures:
        lines = "\n".join(f"  - {r.describe()}" for r in report.failures)
        raise BuildError(f"{study}: the disclosure audit failed: withheld figures can be worked out from what "
                         f"is published:\n{lines}\n    hint:     Withhold or coarsen the figures named, or raise "
                         "min_cell (see the privacy page).")


def page_counts(values: Iterable[Value]) -> dict[str, tuple[int, int]]:
    """For each page that prints a protected figure: how many it withholds and how many it coarsens."""
    out: dict[str, list[int]] = {}
    for v in values:
        if v.suppressed:
            for page in v.pages:
                out.setdefault(page, [0, 0])[v.suppression in COARSENED] += 1
    return {page: (w, c) for page, (w, c) in sorted(out.items())}


def build_lines(studies: Iterable[Study], values: Iterable[Value]) -> tuple[list[str], list[str]]:
    """What the build prints about disclosure control: one line per page, and loud warnings for studies
    whose protection is off."""
    warnings = [f"{s.id}: DISCLOSURE CONTROL IS OFF (disclosure.protection: {s.spec.protection.protection}, "
                f"min_cell {s.spec.min_cell}): every count is published as it is. Synthetic test data only."
                for s in studies if s.kind == "records" and not Policy.of(s.spec).enabled]
    lines = [f"privacy: {page}: {w} figure(s) withheld, {c} coarsened to a range"
             for page, (w, c) in page_counts(values).items()]
    return lines, warnings
