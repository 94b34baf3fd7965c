"""One linear system, minimised for many objectives: the audit's LP solves without linprog's per-call overhead.

``scipy.optimize.linprog(method="highs")`` checks and converts its inputs, builds a HiGHS model, sets five
options through a checker and checks the result again, on every call; for the audit's small systems that
costs more than HiGHS itself. :class:`System` converts the system once, exactly as ``linprog`` does (the
same stacked matrix in compressed columns, the same infinite bounds, the same five option values), and for
each objective gives HiGHS a fresh solver with that model and objective: the same solver run as
``linprog``'s, so the same optimum, point and duals, bit for bit (``tests/test_disclosure.py`` compares them).
A fresh solver per objective matters: a reused one would start from the last basis and could return other
duals where they are not unique, and the duals name the figures that reveal a cell.

Where scipy's HiGHS bindings are not the ones this was written for, ``linprog`` itself is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

INFEASIBLE, UNBOUNDED = "infeasible", "unbounded"


@dataclass(frozen=True)
class Solution:
    """``status`` is "" at an optimum (then ``fun``, ``x`` and the duals are set), else INFEASIBLE or UNBOUNDED."""

    status: str
    fun: float = 0.0
    x: np.ndarray | None = None
    ineq_marginals: np.ndarray | None = None  # one per row of a_ub
    eq_marginals: np.ndarray | None = None  # one per row of a_eq


def _bindings() -> Any:
    try:
        from scipy.optimize._highspy import _core

        _core.HighsOptions().presolve = "on"
        return _core
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - another scipy: use linprog
        return None


class System:
    """``a_ub @ x <= b_ub``, ``a_eq @ x == b_eq``, ``lo <= x <= hi`` (hi None: no upper bound); the matrices
    are dense, one column per cell (with no rows, of shape ``(0, cells)``)."""

    def __init__(self, a_ub: np.ndarray, b_ub: np.ndarray, a_eq: np.ndarray, b_eq: np.ndarray,
                 bounds: list[tuple[float, float | None]]) -> None:
        self.a_ub, self.b_ub, self.a_eq, self.b_eq, self.bounds = a_ub, b_ub, a_eq, b_eq, bounds
        self.n_ub = len(b_ub)
        self._core = _bindings()
        if self._core is None:  # pragma: no cover
            return
        from scipy.sparse import csc_array

        core = self._core
        inf = core.kHighsInf
        matrix = csc_array(np.vstack((np.asarray(a_ub, float), np.asarray(a_eq, float))))
        lhs = np.concatenate((np.full(len(b_ub), -np.inf), np.asarray(b_eq, float)))
        rhs = np.concatenate((np.asarray(b_ub, float), np.asarray(b_eq, float)))
        lb = np.array([b[0] for b in bounds], float)
        ub = np.array([np.inf if b[1] is None else b[1] for b in bounds], float)
        for a in (lhs, rhs, lb, ub):  # HiGHS takes its own large number for infinity, as linprog gives it
            a[np.isinf(a)] = np.sign(a[np.isinf(a)]) * inf
        lp = core.HighsLp()
        lp.num_col_ = lp.a_matrix_.num_col_ = len(bounds)
        lp.num_row_ = lp.a_matrix_.num_row_ = len(rhs)
        lp.a_matrix_.format_ = core.MatrixFormat.kColwise
        lp.col_lower_, lp.col_upper_, lp.row_lower_, lp.row_upper_ = lb, ub, lhs, rhs
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = matrix.indptr, matrix.indices, matrix.data
        self._lp = lp
        options = core.HighsOptions()  # linprog's defaults for method="highs" (the options it does not leave unset)
        options.presolve = "on"
        options.highs_debug_level = core.HighsDebugLevel.kHighsDebugLevelNone
        options.log_to_console = False
        options.output_flag = False
        options.simplex_strategy = core.simplex_constants.SimplexStrategy.kSimplexStrategyDual
        self._options = options

    def minimise(self, c: np.ndarray) -> Solution:
        """The minimum of ``c @ x`` over the system."""
        if self._core is None:  # pragma: no cover
            return self._linprog(c)
        core = self._core
        self._lp.col_cost_ = np.asarray(c, float)
        highs = core._Highs()
        if highs.passOptions(self._options) == core.HighsStatus.kError:
            raise ValueError("HiGHS refused the audit's solver options")
        if highs.passModel(self._lp) == core.HighsStatus.kError:  # linprog reads this as infeasible
            return Solution(INFEASIBLE)
        highs.run()
        status = highs.getModelStatus()
        if status in (core.HighsModelStatus.kInfeasible, core.HighsModelStatus.kModelError):
            return Solution(INFEASIBLE)
        if status == core.HighsModelStatus.kUnbounded:
            return Solution(UNBOUNDED)
        if status != core.HighsModelStatus.kOptimal:
            raise ValueError(f"HiGHS stopped without an optimum: {highs.modelStatusToString(status)}")
        solution = highs.getSolution()
        duals = np.array(solution.row_dual)
        return Solution("", highs.getInfo().objective_function_value, np.array(solution.col_value),
                        duals[:self.n_ub], duals[self.n_ub:])

    def _linprog(self, c: np.ndarray) -> Solution:  # pragma: no cover - another scipy
        from scipy.optimize import linprog

        res = linprog(c, A_ub=self.a_ub if self.n_ub else None, b_ub=self.b_ub if self.n_ub else None,
                      A_eq=self.a_eq if len(self.b_eq) else None, b_eq=self.b_eq if len(self.b_eq) else None,
                      bounds=self.bounds, method="highs")
        if res.status == 2:
            return Solution(INFEASIBLE)
        if res.status == 3:
            return Solution(UNBOUNDED)
        return Solution("", res.fun, res.x, res.ineqlin.marginals, res.eqlin.marginals)
