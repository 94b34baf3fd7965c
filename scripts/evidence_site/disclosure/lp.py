"""One linear system, minimised for many objectives: the audit's LP solves without linprog's per-call overhead.

``scipy.optimize.linprog(method="highs")`` checks and converts its inputs, builds a HiGHS model, sets five
options through a checker and checks the result again, on every call; for the audit's small systems that
costs more than HiGHS itself. :class:`System` converts the system once, exactly as ``linprog`` does (the
same stacked matrix in compressed columns, the same infinite bounds, the same five option values), and for
each objective gives HiGHS a fresh solver with that model and objective: the same solver run as
``linprog``'s, so the same optimum, point and duals, bit for bit (``tests/test_audit_shortcuts.py`` compares them).
A fresh solver per objective matters: a reused one would start from the last basis and could return other
duals where they are not unique, and the duals name the figures that reveal a cell.

Where scipy's HiGHS bindings are not the ones this was written for, ``linprog`` itself is called.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
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


CORE = "scipy.optimize._highspy._core"  # scipy's compiled HiGHS bindings


def _bindings() -> Any:
    """scipy's HiGHS bindings, loaded alone: importing them by name would first run ``scipy.optimize``'s
    ``__init__`` (every optimiser scipy has, about 0.7 s of CPU on a cold build where nothing else needs
    them). The module is registered under its own name, so a later ``import scipy.optimize`` uses this one."""
    if CORE in sys.modules:
        return sys.modules[CORE]
    try:
        scipy = importlib.util.find_spec("scipy")
        folder = Path(next(iter(scipy.submodule_search_locations or ()))) / "optimize" / "_highspy"
        path = next(p for s in importlib.machinery.EXTENSION_SUFFIXES if (p := folder / f"_core{s}").is_file())
        spec = importlib.util.spec_from_file_location(CORE, path)
        assert spec is not None and spec.loader is not None
        core = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(core)
        core.HighsOptions().presolve = "on"  # the bindings this was written for
    except Exception:  # pragma: no cover - another layout of scipy: its usual import, else linprog
        try:
            from scipy.optimize._highspy import _core as core

            core.HighsOptions().presolve = "on"
        except (ImportError, AttributeError, TypeError):
            return None
        return core
    sys.modules[CORE] = core
    return core


def compressed_columns(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``indptr, indices, data`` of a dense matrix in compressed sparse columns, as ``scipy.sparse.csc_array(a)``
    gives them (non-zero entries only, rows in order within each column), without importing scipy.sparse."""
    columns, rows = np.nonzero(a.T)
    indptr = np.zeros(a.shape[1] + 1, dtype=np.int32)
    np.cumsum(np.bincount(columns, minlength=a.shape[1]), out=indptr[1:])
    return indptr, rows.astype(np.int32), a.T[columns, rows]


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
        core = self._core
        inf = core.kHighsInf
        indptr, indices, data = compressed_columns(np.vstack((np.asarray(a_ub, float), np.asarray(a_eq, float))))
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
        lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = indptr, indices, data
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
