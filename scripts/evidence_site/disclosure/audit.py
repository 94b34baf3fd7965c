"""The audit: for every withheld cell, the range of values consistent with everything published.

A pure engine, independent of how the cells and relations were found (see ``relations.py``). Each cell is
an unknown non-negative integer (a count behind a figure). A :class:`Relation` is one linear fact a reader
can use: ``sum(coef * cell) (==|<=|>=) rhs``, together with the published figures it comes from. For each
target cell the engine minimises and maximises the cell subject to every relation, first as a linear
programme (HiGHS through scipy's bindings, ``lp.py``: the same solver run as ``scipy.optimize.linprog``);
when the rounded LP range is wide enough it confirms the range with the integer programme
(``scipy.optimize.milp``). This is the audit that tau-Argus performs on a table with secondary suppression,
written for arbitrary linear relations.

scipy is imported inside the functions, not at module level, so that importing the package stays cheap.

Shortcuts, each exact (the same ranges and the same duals as solving everything): relations with no cell fixed
by a shown figure are kept as they are; relations that stay the same from one problem to the next (the
structure of the tables) are kept substituted, and only those naming a cell whose fixed value changed are
substituted again (``Substitution``), and indexed once; a part's LP is converted for HiGHS once and solved per
objective with a fresh solver (``lp.py``); and ``Problem.known_wide`` answers "is this range wide enough?" from
the optimal points already found in a part, without a solve, where they prove it (only the protection loop asks
it; every range reported is solved).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .lp import INFEASIBLE, UNBOUNDED, System

EPS = 1e-7
MAX_SOLVED = 5000  # parts kept between problems (a study's parts, many times over)
_SOLVED: dict[tuple[frozenset, frozenset], _Part] = {}


@dataclass(frozen=True)
class Relation:
    """``sum(coef * cell for cell, coef in terms) <op> rhs``, known to a reader from ``figures``."""

    kind: str
    terms: tuple[tuple[str, float], ...]
    op: str  # "==", "<=" or ">="
    rhs: float
    figures: tuple[str, ...] = ()

    def cells(self) -> set[str]:
        return {c for c, _ in self.terms}


@dataclass(frozen=True)
class CellRange:
    """What a reader can work out about one withheld cell."""

    cell: str
    low: float
    high: float
    required: int
    revealed_by: tuple[str, ...] = field(default=())  # published figures in the relations that bind the range

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def ok(self) -> bool:
        return self.width >= self.required

    def describe(self) -> str:
        lo, hi = _fmt(self.low), _fmt(self.high)
        what = f"exactly {lo}" if self.width == 0 else f"between {lo} and {hi}"
        by = ", ".join(self.revealed_by) or "its own bounds"
        return f"{self.cell}: a reader can work out that it is {what} (needs a range of at least " \
               f"{self.required}) from {by}"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


class Problem:
    """The linear system of one study: cells, their plain bounds, and the relations over them.

    Cells fixed by a relation of one term (a figure printed as a number) are substituted as constants, and
    each target is solved over the connected part of the system that it belongs to: the same answer as the
    whole system, many times faster.
    """

    def __init__(self, bounds: Mapping[str, tuple[float, float | None]], relations: Iterable[Relation],
                 structural: Substitution | None = None) -> None:
        """``structural``: relations that come before ``relations`` and are kept, substituted, from one problem
        to the next (``Substitution``); the problem is the same as with them at the head of ``relations``."""
        relations = [r for r in relations if r.terms]
        fixed: dict[str, float] = {}
        fixed_by: dict[str, Relation] = {}
        for r in (*(structural.singles if structural is not None else ()), *relations):
            if len(r.terms) == 1 and r.op == "==":
                fixed_by[r.terms[0][0]] = r
                if r.terms[0][1] != 0:
                    fixed[r.terms[0][0]] = r.rhs / r.terms[0][1]
        kept = None if structural is None else structural.update(fixed)
        if kept is None:  # (with ``structural``, a contradiction: substituting everything raises the same error)
            self.relations = _substitute([*(structural.relations if structural is not None else ()), *relations],
                                         fixed)
            own, self._offset, self._shared, self._at = self.relations, 0, None, []
        else:
            own = _substitute(relations, fixed)
            self.relations = kept + own
            self._offset, self._shared, self._at = len(kept), structural, structural.positions
        self.fixed = fixed
        self.fixed_by = fixed_by
        self.all_bounds = dict(bounds)
        self._own_rows = _rows_by_cell(own)
        self._by_cell: dict[str, list[int]] | None = None
        self._parts: dict[str, _Part] = {}

    @property
    def by_cell(self) -> dict[str, list[int]]:
        """Each cell in a relation to the relations that name it (indices into ``relations``, in order)."""
        if self._by_cell is None:
            self._by_cell = _rows_by_cell(self.relations)
        return self._by_cell

    def _rows(self, cell: str) -> list[int]:
        """``by_cell[cell]`` for a cell not fixed, without indexing every relation of every problem: the kept
        structural relations are indexed once, by ``Substitution`` (a cell not fixed is named by every one of
        its relations after substitution, and none of them is left out as holding with no cell), and they
        come first, in order; only the relations over what is shown are indexed here."""
        own = [self._offset + k for k in self._own_rows.get(cell, ())]
        if self._shared is None:
            return own
        at = self._at
        return [at[k] for k in self._shared.rows.get(cell, ())] + own

    def _part(self, cell: str) -> _Part:
        if cell not in self._parts:
            seen, todo, rows = {cell}, [cell], set()
            while todo:
                c = todo.pop()
                for k in self._rows(c):
                    if k not in rows:
                        rows.add(k)
                        for d, _ in self.relations[k].terms:
                            if d not in seen:
                                seen.add(d)
                                todo.append(d)
            bounds = {c: self.all_bounds.get(c, (0, None)) for c in seen}
            relations = [self.relations[k] for k in sorted(rows)]
            key = (frozenset(bounds.items()), frozenset(relations))
            part = _SOLVED.get(key)
            if part is None:
                if len(_SOLVED) > MAX_SOLVED:
                    _SOLVED.clear()
                part = _SOLVED[key] = _Part(bounds, relations)
            for c in seen:
                self._parts[c] = part
        return self._parts[cell]

    def part_cells(self, cell: str) -> set[str]:
        """The cells connected to ``cell`` through the relations (with the cells fixed by a shown figure)."""
        if cell in self.fixed:
            return set()
        part = self._part(cell)
        return set(part.names) | {c for r in part.relations for f in r.figures for c in (f,)}

    def known_wide(self, cell: str, required: int) -> bool:
        """True when the points the solver has already found in ``cell``'s part prove, with no solve, that the
        LP range of ``cell`` (``cell_range(cell, required, exact=False)``) is at least ``required`` wide.

        Exact, not an estimate: every solve's optimal point is a feasible point of its part, so the LP
        minimum of any cell is at most, and its maximum at least, its value at that point. The least and
        greatest values seen, rounded inward as ``cell_range`` rounds the LP optimum, so lie inside the LP
        range; when they are already ``required`` apart, the LP range is too and ``cell_range(...).ok`` is True.
        False says only "not known without a solve" (never "narrow"). A cell with no witness yet, or whose
        range is already solved (then ``cell_range`` is free), answers False."""
        if cell in self.fixed:
            return False
        return self._part(cell).known_wide(cell, required)

    def cell_range(self, cell: str, required: int, exact: bool = True) -> CellRange:
        """The feasible [min, max] of ``cell``; with ``exact``, confirmed over the integers where the LP passes."""
        if cell in self.fixed:
            return CellRange(cell, self.fixed[cell], self.fixed[cell], required, self.fixed_by[cell].figures)
        return self._part(cell).cell_range(cell, required, exact)


def _rows_by_cell(relations: Iterable[Relation]) -> dict[str, list[int]]:
    """Each cell to the indices of the relations that name it, in order, once per relation (a cell may be named
    twice in one)."""
    out: dict[str, list[int]] = {}
    for k, r in enumerate(relations):
        for c, _ in r.terms:
            rows = out.setdefault(c, [])
            if not rows or rows[-1] != k:
                rows.append(k)
    return out


def _substitute(relations: Iterable[Relation], fixed: Mapping[str, float]) -> list[Relation]:
    """The relations with the ``fixed`` cells replaced by their values; a relation left with no cell is checked
    (a ``ValueError`` names the first that contradicts them) and dropped."""
    out: list[Relation] = []
    keep = out.append
    for r in relations:
        if len(r.terms) == 1:  # most relations over what is shown: one cell, kept or checked and dropped
            c, k = r.terms[0]
            if c not in fixed:
                keep(r)
            else:  # the same check as ``_substituted`` (its sum of one product differs at most in a zero's sign)
                _check(r, r.rhs - k * fixed[c])
            continue
        for c, _ in r.terms:
            if c in fixed:
                break
        else:  # nothing to substitute: the relation as it is
            keep(r)
            continue
        s = _substituted(r, fixed)
        if s is not None:
            keep(s)
    return out


def _substituted(r: Relation, fixed: Mapping[str, float]) -> Relation | None:
    """One relation with the ``fixed`` cells replaced (None when no cell is left and it holds)."""
    kept, known = [], []
    for c, k in r.terms:
        if c in fixed:
            known.append(k * fixed[c])
        else:
            kept.append((c, k))
    rhs = r.rhs - sum(known)
    if kept:
        return Relation(r.kind, tuple(kept), r.op, rhs, r.figures)
    _check(r, rhs)
    return None


def _check(r: Relation, rhs: float) -> None:
    """A relation left with no cell: ``0 <op> rhs`` must hold."""
    if (r.op == "==" and abs(rhs) > EPS) or (r.op == "<=" and rhs < -EPS) or (r.op == ">=" and rhs > EPS):
        raise ValueError(f"the published figures contradict each other: {r}")


class Substitution:
    """Relations that stay the same from one problem to the next (the structure of a table), kept with the
    fixed cells substituted, for ``Problem(..., structural=...)``.

    Exact: a relation's substituted form depends only on the relation and the values fixed for its own
    cells (``_substituted``). Between two problems, only the relations that name a cell whose fixed value
    changed (fixed, freed, or fixed to another value; -0.0 and 0.0 count as different) are substituted
    again; every other one is the relation the full substitution would give, and the order is kept. A
    contradiction is not committed: ``update`` returns None and the caller substitutes everything, which
    raises the error it always raised."""

    def __init__(self, relations: Iterable[Relation]) -> None:
        self.relations = [r for r in relations if r.terms]
        self.singles = [r for r in self.relations if len(r.terms) == 1 and r.op == "=="]
        self.rows = _rows_by_cell(self.relations)
        self.fixed: dict[str, float] = {}
        self.substituted: list[Relation | None] = list(self.relations)  # None: no cell left (and it holds)
        self.positions = list(range(len(self.relations)))  # where each is in the list the last ``update`` returned

    def update(self, fixed: Mapping[str, float]) -> list[Relation] | None:
        """The relations with ``fixed`` substituted, in order (None, with nothing changed, where one of them
        contradicts the fixed values)."""
        old = self.fixed
        dirty: set[int] = set()
        for c in old.keys() | fixed.keys():
            a, b = old.get(c), fixed.get(c)
            if a is None or b is None or a != b or math.copysign(1.0, a) != math.copysign(1.0, b):
                dirty.update(self.rows.get(c, ()))  # (one of them is set: c is in one of the two)
        new: dict[int, Relation | None] = {}
        try:
            for k in dirty:
                r = self.relations[k]
                new[k] = _substituted(r, fixed) if any(c in fixed for c, _ in r.terms) else r
        except ValueError:
            return None
        for k, r_ in new.items():
            self.substituted[k] = r_
        self.fixed = dict(fixed)
        kept: list[Relation] = []
        self.positions = []  # a new list: a problem made earlier keeps the one that goes with its relations
        for r in self.substituted:
            self.positions.append(len(kept))  # (not read for a relation left out: none of its cells is asked for)
            if r is not None:
                kept.append(r)
        return kept


class _Part:
    """One connected part of the system, solved with scipy. A part is kept, with the ranges already solved in
    it, for as long as the same part recurs (``_SOLVED``): secondary protection changes one part at a time, so
    every other part's ranges carry over to the next round without solving again."""

    def __init__(self, bounds: Mapping[str, tuple[float, float | None]], relations: list[Relation]) -> None:
        import numpy as np

        self.relations = relations
        self.names = sorted(bounds)
        self.index = {n: i for i, n in enumerate(self.names)}
        self.bounds = [bounds[n] for n in self.names]
        eq = [r for r in self.relations if r.op == "=="]
        ub = [r for r in self.relations if r.op in ("<=", ">=")]
        self.eq, self.ub = eq, ub

        def matrix(rows: list[Relation], flip: bool) -> tuple[np.ndarray, np.ndarray]:
            a = np.zeros((len(rows), len(self.names)))
            b = np.zeros(len(rows))
            for i, r in enumerate(rows):
                sign = -1.0 if flip and r.op == ">=" else 1.0
                for c, coef in r.terms:
                    a[i, self.index[c]] += sign * coef
                b[i] = sign * r.rhs
            return a, b

        self._memo: dict[str, tuple[tuple[float, list[Relation], bool], tuple[float, list[Relation], bool]]] = {}
        self.a_eq, self.b_eq = matrix(eq, flip=False)
        self.a_ub, self.b_ub = matrix(ub, flip=True)
        self._system: System | None = None  # the LP, converted for HiGHS once (``lp.py``)
        self._seen: tuple[np.ndarray, np.ndarray] | None = None  # least and greatest value of each cell at
        # the optimal points found so far (feasible points: witnesses for ``known_wide``)

    def _solve(self, cell: str, sense: float, integer: bool) -> tuple[float, list[Relation], bool]:
        """The optimum, the relations that bind it, and whether the LP's optimal point is all whole numbers
        (then the integer optimum is the same and no integer programme is needed)."""
        import numpy as np

        c = np.zeros(len(self.names))
        c[self.index[cell]] = sense
        if not integer:
            if self._system is None:
                self._system = System(self.a_ub, self.b_ub, self.a_eq, self.b_eq, self.bounds)
            res = self._system.minimise(c)
            if res.status == INFEASIBLE:
                raise ValueError("the published figures contradict each other (no solution): check the relations")
            if res.status == UNBOUNDED:
                return sense * -math.inf, [], True
            assert res.x is not None and res.eq_marginals is not None and res.ineq_marginals is not None
            binding = []  # the relations with a non-zero dual, equations first, each in order
            for rows, duals in ((self.eq, res.eq_marginals), (self.ub, res.ineq_marginals)):
                if len(rows):
                    assert len(duals) == len(rows)
                    binding += [rows[k] for k in np.flatnonzero(np.abs(duals) > EPS)]
            whole = bool(np.all(np.abs(res.x - np.round(res.x)) < 1e-6))
            self._seen = (res.x, res.x) if self._seen is None else \
                (np.minimum(self._seen[0], res.x), np.maximum(self._seen[1], res.x))
            return sense * res.fun, binding, whole
        from scipy.optimize import Bounds, LinearConstraint, milp

        constraints = []
        if len(self.eq):
            constraints.append(LinearConstraint(self.a_eq, self.b_eq, self.b_eq))
        if len(self.ub):
            constraints.append(LinearConstraint(self.a_ub, -np.inf, self.b_ub))
        lo = np.array([b[0] for b in self.bounds], float)
        hi = np.array([np.inf if b[1] is None else b[1] for b in self.bounds], float)
        res = milp(c, constraints=constraints, integrality=np.ones(len(self.names)), bounds=Bounds(lo, hi))
        if res.status == 2 or res.x is None:
            if res.status == 2:
                raise ValueError("the published figures contradict each other (no integer solution)")
            return sense * -math.inf, [], True
        return sense * res.fun, [], True

    def known_wide(self, cell: str, required: int) -> bool:
        """See ``Problem.known_wide``."""
        if self._seen is None or cell in self._memo or not self.relations:
            return False
        i = self.index[cell]
        low, high = math.ceil(self._seen[0][i] - EPS), math.floor(self._seen[1][i] + EPS)
        return high - low >= required

    def cell_range(self, cell: str, required: int, exact: bool = True) -> CellRange:
        """The feasible [min, max] of ``cell``; with ``exact``, confirmed over the integers where the LP passes.

        A cell in no relation keeps its plain bounds (no solver call). The integer programme runs only where
        the LP's optimal point is fractional: otherwise that point is itself a whole-number solution."""
        if not self.relations:
            lo, hi = self.bounds[self.index[cell]]
            return CellRange(cell, lo, math.inf if hi is None else hi, required)
        if cell not in self._memo:
            self._memo[cell] = (self._solve(cell, 1.0, integer=False), self._solve(cell, -1.0, integer=False))
        (low, why_low, whole_low), (high, why_high, whole_high) = self._memo[cell]
        low = math.ceil(low - EPS) if math.isfinite(low) else low
        high = math.floor(high + EPS) if math.isfinite(high) else high
        if exact and high - low >= required:  # integers can be narrower than the LP; confirm where it may be
            if not whole_low:
                low = max(low, round(self._solve(cell, 1.0, integer=True)[0]))
            if not whole_high:
                high = min(high, round(self._solve(cell, -1.0, integer=True)[0]))
        figures: list[str] = []
        for r in (*why_low, *why_high):
            figures += [f for f in r.figures if f not in figures]
        return CellRange(cell, low, high, required, tuple(figures))


def audit(bounds: Mapping[str, tuple[float, float | None]], relations: Iterable[Relation],
          targets: Mapping[str, int]) -> list[CellRange]:
    """For each target cell (withheld, with the range width it needs), what a reader can work out.

    ``bounds``: each cell's plain bounds (0 to the size of its group; ``None`` for no upper bound).
    ``relations``: everything published, as linear relations. Returns one :class:`CellRange` per target,
    in the order given; ``ok`` is False where the range is narrower than required.
    """
    problem = Problem(bounds, relations)
    return [problem.cell_range(cell, need) for cell, need in targets.items()]


def failures(ranges: Iterable[CellRange]) -> list[CellRange]:
    return [r for r in ranges if not r.ok]
