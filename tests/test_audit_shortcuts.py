"""The audit's shortcuts give what the full computation gives: HiGHS called directly returns linprog's optimum,
point and duals bit for bit; a range known wide from points already solved is wide when solved; and protection
with the shortcut makes the same decisions and reports the same ranges as protection without it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy.optimize import linprog
from scipy.sparse import csc_array

from conftest import load_study
from evidence_site import paths
from evidence_site.disclosure import Protection, layout_of, protect_study
from evidence_site.disclosure import audit as engine
from evidence_site.disclosure.audit import Problem
from evidence_site.disclosure.lp import INFEASIBLE, UNBOUNDED, System, compressed_columns
from evidence_site.disclosure.policy import Policy
from evidence_site.disclosure.relations import STATEFUL, Context, bounds, derive
from evidence_site.numbers import Value
from evidence_site.summarise import PRODUCERS
from evidence_site.summarise.published import attach_published

DEMO = paths.STUDIES / "example-clinic-records"


@pytest.fixture(scope="module")
def demo() -> tuple[list[Value], Policy, object]:
    study = load_study(DEMO)
    values = {v.id: v for produce in PRODUCERS for v in produce(study)}
    raw = list(attach_published(study.id, values, study.spec.published, study.spec.citations).values())
    return raw, Policy.of(study.spec), layout_of(study)


def parts_of(problem: Problem) -> list[engine._Part]:
    out: dict[int, engine._Part] = {}
    for cell in problem.by_cell:
        part = problem._part(cell)
        out.setdefault(id(part), part)
    return list(out.values())


def test_highs_called_directly_gives_linprogs_optimum_point_and_duals(demo) -> None:
    raw, policy, layout = demo
    pr = Protection(raw, policy, layout)
    compared = 0
    for problem in (pr.problem(), pr.problem(pr.published_only())):
        for part in parts_of(problem):
            system = System(part.a_ub, part.b_ub, part.a_eq, part.b_eq, part.bounds)
            for name in part.names:
                for sense in (1.0, -1.0):
                    c = np.zeros(len(part.names))
                    c[part.index[name]] = sense
                    ours = system.minimise(c)
                    theirs = linprog(c, A_ub=part.a_ub if len(part.ub) else None,
                                     b_ub=part.b_ub if len(part.ub) else None,
                                     A_eq=part.a_eq if len(part.eq) else None,
                                     b_eq=part.b_eq if len(part.eq) else None, bounds=part.bounds, method="highs")
                    if theirs.status == 3:  # the most events of a type: no upper bound
                        assert ours.status == UNBOUNDED
                        continue
                    assert theirs.status == 0 and ours.status == ""
                    assert ours.fun == theirs.fun and np.array_equal(ours.x, theirs.x)
                    assert np.array_equal(ours.ineq_marginals, theirs.ineqlin.marginals)
                    assert np.array_equal(ours.eq_marginals, theirs.eqlin.marginals)
                    compared += 1
    assert compared > 100


def test_compressed_columns_are_scipys(demo) -> None:
    raw, policy, layout = demo
    for part in parts_of(Protection(raw, policy, layout).problem()):
        a = np.vstack((part.a_ub, part.a_eq))
        ours, theirs = compressed_columns(a), csc_array(a)
        for mine, scipys in zip(ours, (theirs.indptr, theirs.indices, theirs.data), strict=True):
            assert np.array_equal(mine, scipys) and mine.dtype == scipys.dtype


def test_the_bindings_load_without_scipy_optimize_and_are_the_ones_it_imports_later() -> None:
    code = ("import sys; from evidence_site.disclosure.lp import System, CORE; import numpy as np; "
            "s = System(np.zeros((0, 1)), np.zeros(0), np.array([[1.0]]), np.array([2.0]), [(0, 3)]); "
            "assert s.minimise(np.array([1.0])).fun == 2.0; assert 'scipy.optimize' not in sys.modules; "
            "core = sys.modules[CORE]; from scipy.optimize import linprog; import scipy.optimize._highspy._core as h; "
            "assert h is core; assert linprog([1.0], A_eq=[[1.0]], b_eq=[2.0], bounds=[(0, 3)]).fun == 2.0")
    subprocess.run([sys.executable, "-c", code], check=True, env={"PYTHONPATH": str(paths.ROOT / "scripts")})


def test_highs_called_directly_reports_no_solution_and_no_bound_as_linprog_does() -> None:
    none = System(np.zeros((0, 1)), np.zeros(0), np.array([[1.0]]), np.array([5.0]), [(0, 3)])
    assert none.minimise(np.array([1.0])).status == INFEASIBLE
    assert linprog([1.0], A_eq=[[1.0]], b_eq=[5.0], bounds=[(0, 3)], method="highs").status == 2
    open_ = System(np.array([[-1.0, 1.0]]), np.array([0.0]), np.zeros((0, 2)), np.zeros(0), [(0, None), (0, None)])
    assert open_.minimise(np.array([0.0, -1.0])).status == UNBOUNDED
    assert linprog([0.0, -1.0], A_ub=[[-1.0, 1.0]], b_ub=[0.0], bounds=[(0, None), (0, None)],
                   method="highs").status == 3


def test_a_range_known_wide_from_solved_points_is_wide_when_solved(demo, monkeypatch) -> None:
    monkeypatch.setattr(engine, "_SOLVED", {})  # no part solved before this test
    raw, policy, layout = demo
    pr = Protection(raw, policy, layout)
    problem = pr.problem()
    known = checked = 0
    for part in parts_of(problem):
        first, *rest = part.names
        problem.cell_range(first, 1, exact=False)  # one solved cell gives two points of its part
        for name in rest:
            wide = {w: problem.known_wide(name, w) for w in range(policy.protection_interval + 3)}
            solved = problem.cell_range(name, 0, exact=False)
            for w, is_wide in wide.items():
                checked += 1
                if is_wide:
                    known += 1
                    assert solved.width >= w, (name, w, solved)
    assert known > 20 and checked > known


def test_protection_with_the_shortcut_decides_and_reports_as_protection_without_it(demo, monkeypatch) -> None:
    raw, policy, layout = demo
    monkeypatch.setattr(engine, "_SOLVED", {})
    fast = protect_study(raw, policy, layout)
    monkeypatch.setattr(engine, "_SOLVED", {})
    monkeypatch.setattr(Problem, "known_wide", lambda self, cell, required: False)
    full = protect_study(raw, policy, layout)
    assert repr(fast) == repr(full)  # repr: a withheld figure's NaN fields are never == themselves


def test_structural_relations_kept_substituted_give_the_problem_substituting_everything_gives(demo) -> None:
    """``audit.Substitution`` substitutes again only the relations naming a cell whose fixed value changed; through
    a run of withheld and shown-again figures, each problem has the relations, fixed cells and parts that
    substituting every relation afresh gives, in the same order."""
    raw, policy, layout = demo
    pr = Protection(raw, policy, layout)
    shown = [i for i in pr.raw if not pr.state[i].suppressed and not pr.raw[i].agrees_with_published]
    states = [dict(pr.state)]
    for i in shown[:40:3]:  # withhold figures one by one, then show the first ones again
        pr.withhold_stem(i)
        states.append(dict(pr.state))
    states += [*states[3::-1], pr.published_only()]
    compared = 0
    problems = []
    for state in states:
        kept = pr.problem(state)
        ctx = pr.context(state)
        extra = {c: (0, None) for c in (*pr.shares, *pr.differences)}
        fresh = Problem(bounds(ctx) | extra, pr.structural + derive(ctx, STATEFUL))
        assert kept.relations == fresh.relations and kept.fixed == fresh.fixed and kept.by_cell == fresh.by_cell
        assert {k: r.figures for k, r in kept.fixed_by.items()} == {k: r.figures for k, r in fresh.fixed_by.items()}
        problems.append((kept, fresh))
        compared += len(fresh.relations)
    assert compared > 1000
    for kept, fresh in problems:  # every problem's own index, also after later ones were made
        for cell, rows in fresh.by_cell.items():
            if cell not in fresh.fixed:
                assert kept._rows(cell) == rows
        assert [p.relations for p in parts_of(kept)] == [p.relations for p in parts_of(fresh)]


def test_structural_relations_kept_substituted_raise_where_the_figures_contradict_each_other() -> None:
    """A contradiction found while updating is not kept: the full substitution raises the error it always raised,
    and the kept relations stay those of the last good problem."""
    structure = engine.Substitution([engine.Relation("sum", (("a", 1.0), ("b", 1.0)), "==", 3.0)])
    fixed_a = engine.Relation("shown", (("a", 1.0),), "==", 1.0, ("a",))
    ok = Problem({"a": (0, 5), "b": (0, 5)}, [fixed_a], structure)
    assert ok.cell_range("b", 0).low == 2
    with pytest.raises(ValueError, match="contradict"):
        Problem({"a": (0, 5), "b": (0, 5)}, [fixed_a, engine.Relation("shown", (("b", 1.0),), "==", 5.0)],
                structure)
    again = Problem({"a": (0, 5), "b": (0, 5)}, [fixed_a], structure)
    assert again.relations == ok.relations and again.cell_range("b", 0).low == 2


def test_a_context_with_other_shown_values_derives_what_a_fresh_context_derives(demo) -> None:
    """``Context.with_shown`` shares what is read from the raw values alone (cells, denominators' pairs, the shown
    and listed relations of each cell): every kind of relation and the bounds are those of a fresh context."""
    raw, policy, layout = demo
    pr = Protection(raw, policy, layout)
    for state in (pr.state, pr.published_only(), {i: pr.raw[i] for i in pr.raw}):
        shared = pr.context(state)
        fresh = Context(pr.raw.values(), state.values(), layout, policy.min_cell, policy.small_group_below)
        assert derive(shared) == derive(fresh) and bounds(shared) == bounds(fresh)
