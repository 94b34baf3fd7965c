"""The disclosure policy: settings with safe defaults, which figures are sensitive, and what is done about them.

Settings come from ``min_cell`` and the ``disclosure:`` mapping of ``study.yml`` (``spec.Disclosure``); the
privacy page gives the reasons behind each one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from .. import ids
from ..numbers import Value
from ..spec import PROTECTION_OFF, StudySpec

# Figures about staying on treatment (numbers on treatment and at risk, those who stopped in each interval,
# the Kaplan–Meier estimate) are the main outcome of any persistence analysis and are published as they are;
# *why* a patient stopped is protected (stop_reason_*, flow_stop_w*_<reason>).
# A figure of a small subgroup among those still on treatment or assessed: withheld, denominator included,
# whatever its size (the denominators would tell when its patients stopped); worded as such, not as a small group.
SUBGROUP_ITT_ONLY = "subgroup_itt_only"
# An outcome counted among patients with a trait at baseline (CRP raised): among those still on treatment, its
# denominators at successive visits, against Table 1's count of the trait, tell which children stopped had it
# (an outside tester read the baseline CRP of each child who stopped). Shown among all who started only.
RESTRICTED_ITT_ONLY = "restricted_itt_only"
UNPRINTED = "unprinted"  # the audit's reference only: a figure the site would not print at all (no row either)
# The numbers on treatment by diagnosis are among them: each is printed anyway, as the denominator "of those still
# on treatment" of that diagnosis's results.
PERSISTENCE_PREFIXES = ("flow_on_w", "flow_lost_w", "km_w", "km_at_risk_w", "persistence_w", "on_treatment_w")


@dataclass(frozen=True)
class Policy:
    min_cell: int
    protection_interval: int
    small_group_below: int
    order_statistics_min_n: int
    enabled: bool
    subgroups: tuple[str, ...] = ()
    restricted: tuple[str, ...] = ()  # outcomes counted among patients with a baseline trait (``among``)

    @classmethod
    def of(cls, spec: StudySpec) -> Policy:
        d = spec.protection
        enabled = d.protection != PROTECTION_OFF and spec.min_cell > 1
        width = max(spec.min_cell - 2, 0) if d.protection_interval is None else d.protection_interval
        return cls(spec.min_cell, width, d.small_group_below, d.order_statistics_min_n, enabled,
                   tuple(spec.subgroups), tuple(k for k, o in spec.outcomes.items() if o.among != "all"))


# The words of a withheld count say which band its own value lies in, and nothing about why it is withheld
# (small itself, or withheld so that another figure cannot be worked out): a reader who could tell the two
# apart would learn that a cell withheld for another's sake is not small. Every band is one of these, chosen
# by ``band`` from the value alone, and the audit reads each band's bounds (``relations.label``).
LOW = "count"  # 0 to min_cell - 1: "fewer than 5 of 21"
HIGH = "complement"  # the denominator less min_cell - 1, or more: "more than 16 of 21"
MIDDLE = "middle"  # between the two: "between 5 and 16 of 21"
AT_LEAST = "at_least"  # a count with no denominator, min_cell or more: "5 or more"
BANDS = (LOW, HIGH, MIDDLE, AT_LEAST)
NO_RANGE = "secondary"  # withheld with no range words: its band was dropped so that another figure keeps its range
SMALL_GROUP = "small_group"  # a group smaller than small_group_below: every withheld figure in it reads alike


def band(v: Value, policy: Policy, ranged: bool = False) -> str:
    """The range words a withheld figure takes, from its own count and denominator only (see ``BANDS``).

    In a small group every figure reads alike (``SMALL_GROUP``), unless ``ranged`` (a breakdown allowed to keep
    its range words, ``ranged_breakdown``). Figures that are not counts (means, medians) have no band."""
    m = policy.min_cell
    if v.kind == "proportion":
        n, total = v.numerator, v.denominator
    elif v.kind == "rate":
        n, total = v.numerator, None
    elif v.kind == "count":
        n, total = v.value, None
    else:
        return NO_RANGE
    if n is None:
        return NO_RANGE
    if total is not None and total < policy.small_group_below and not ranged:
        return SMALL_GROUP
    if n < m:
        return LOW
    if total is None:
        return AT_LEAST
    return HIGH if total - n < m else MIDDLE


def withhold(v: Value, reason: str, policy: Policy) -> Value:
    """The value with its numbers blanked and the reason recorded (``fmt.withheld`` words it)."""
    return replace(v, value=None, numerator=None, ci_low=None, ci_high=None, sd=None, q1=None, q3=None,
                   denominator=None if reason in ("group", SUBGROUP_ITT_ONLY, RESTRICTED_ITT_ONLY, UNPRINTED)
                   else v.denominator,
                   suppressed=True, suppression=reason, suppressed_below=policy.min_cell)


def small(n: float | None, m: int) -> bool:
    return n is not None and not (isinstance(n, float) and math.isnan(n)) and 1 <= n < m


def persistence_count(v: Value) -> bool:
    """Counts of staying on treatment (not why anyone stopped): published as they are."""
    plain_stop = v.id.startswith("flow_stop_w") and v.id.removeprefix("flow_stop_w").isdigit()
    return plain_stop or v.id.startswith(PERSISTENCE_PREFIXES) or v.id == ids.STOPPED


def primary_reason(v: Value, policy: Policy) -> str:
    """Why a value is sensitive on its own ('' when it is not). Figures already published are never sensitive."""
    if v.agrees_with_published or persistence_count(v):
        return ""
    m = policy.min_cell
    if small(v.denominator, m):
        return "group"
    in_subgroup = any(v.id.startswith(f"{k}_") for k in policy.subgroups)
    if in_subgroup and not v.id.endswith("_itt") and v.denominator is not None \
            and v.denominator < policy.small_group_below:
        return SUBGROUP_ITT_ONLY  # a small subgroup: only figures among all who started (no 'of 6' on treatment)
    if any(v.id.startswith(f"eff_{k}_w") for k in policy.restricted) and v.id.endswith(("_on", "_obs")):
        return RESTRICTED_ITT_ONLY
    if (v.kind == "count" and small(v.value, m)) or small(v.numerator, m):
        return "count"
    if v.kind == "rate" and small(v.numerator, m):
        return "count"
    if v.kind == "proportion" and v.numerator is not None and v.denominator is not None:
        if small(v.denominator - v.numerator, m):
            return "complement"
        if 0 < v.denominator < policy.small_group_below and v.numerator in (0, v.denominator):
            return "all_or_none"
    if v.kind == "median" and v.denominator and v.denominator < policy.order_statistics_min_n:
        return "order_statistic"
    return ""
