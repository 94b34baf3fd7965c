"""What changed between two builds: two ``numbers.json`` dicts (and page texts) in, a Markdown report out.

Pure functions only; reading sites and building the base ref live in :mod:`evidence_site.snapshot`.
The report is written for the reviewer of a data change: for every published number that moved it
says old → new, for proportions the change in percentage points and whether the two 95% intervals
overlap, grouped by study and then by the audience whose pages print the number.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .fmt import number
from .manifest import flat_values, study_of

# Keys that carry the number itself: a change to any of them is a change of the published value.
NUMBER_KEYS = ("value", "numerator", "denominator", "ci_low", "ci_high", "sd")
# Keys that describe the number: a change is listed under "Other changes", by key name.
DETAIL_KEYS = ("label", "kind", "data", "method", "population", "timepoint_weeks", "unit", "ci_method",
               "published_value", "published_precision", "source", "agrees_with_published", "reproduces", "pages")

AUDIENCES = {"families": "Families pages", "clinicians": "Clinicians pages"}
OTHER_PAGES = "Other pages"
NO_PAGE = "Not printed on any page"


@dataclass(frozen=True)
class ValueChange:
    """One value id whose record differs between the two builds (``old`` or ``new`` is None when absent)."""

    id: str
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None

    @property
    def status(self) -> str:
        """'added', 'removed', 'changed' (the number moved) or 'details' (only its description changed)."""
        if self.old is None:
            return "added"
        if self.new is None:
            return "removed"
        return "changed" if number_changed(self.old, self.new) else "details"

    @property
    def record(self) -> Mapping[str, Any]:
        """The newest record available (the old one for a removed value)."""
        return self.new if self.new is not None else self.old  # type: ignore[return-value]

    @property
    def detail_keys(self) -> list[str]:
        """Descriptive keys whose content differs (empty unless both records exist)."""
        if self.old is None or self.new is None:
            return []
        return [k for k in DETAIL_KEYS if _norm(self.old.get(k)) != _norm(self.new.get(k))]


@dataclass(frozen=True)
class NumbersDiff:
    """Every value that differs, with the study titles needed to head the report."""

    changes: tuple[ValueChange, ...]
    studies: Mapping[str, str]  # study id -> title
    base_missing: bool = False  # the base build had no numbers.json (e.g. the first release)

    def count(self, status: str) -> int:
        return sum(1 for c in self.changes if c.status == status)


@dataclass(frozen=True)
class PageChange:
    """A page (site-relative URL) whose text differs: status is 'added', 'removed' or 'changed'."""

    url: str
    status: str
    lines_added: int = 0
    lines_removed: int = 0


# --- comparing -------------------------------------------------------------------------------


def _norm(x: Any) -> Any:
    """Make lists and tuples compare equal (JSON gives lists, records may hold tuples)."""
    return sorted(x) if isinstance(x, list | tuple) else x


def _same_number(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError):
        return a == b


def number_changed(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """True when any key that carries the number (value, n/N, interval, SD) differs."""
    return any(not _same_number(old.get(k), new.get(k)) for k in NUMBER_KEYS)


def diff_numbers(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> NumbersDiff:
    """Compare two ``numbers.json`` dicts; ``old=None`` means the base had none (every value is added).

    Either may be of schema 1, 2 or 3 (``manifest.flat_values``); a newer schema is a BuildError."""
    old_values = {v["id"]: v for v in flat_values(old, "the base's numbers.json")} if old else {}
    new_values = {v["id"]: v for v in flat_values(new, "the new numbers.json")}
    changes = []
    for id in sorted(old_values.keys() | new_values.keys()):
        change = ValueChange(id, old_values.get(id), new_values.get(id))
        if change.status != "details" or change.detail_keys:
            changes.append(change)
    studies = {sid: s.get("title", sid) for sid, s in (old or {}).get("studies", {}).items()}
    studies.update({sid: s.get("title", sid) for sid, s in new.get("studies", {}).items()})
    return NumbersDiff(tuple(changes), studies, base_missing=old is None)


def diff_pages(old: Mapping[str, str], new: Mapping[str, str]) -> list[PageChange]:
    """Pages added, removed or whose text differs; values are page texts (or hashes: then no line counts)."""
    changes = []
    for url in sorted(old.keys() | new.keys()):
        if url not in old:
            changes.append(PageChange(url, "added"))
        elif url not in new:
            changes.append(PageChange(url, "removed"))
        elif old[url] != new[url]:
            added = removed = 0
            for line in difflib.unified_diff(old[url].splitlines(), new[url].splitlines(), lineterm="", n=0):
                if line.startswith("+") and not line.startswith("+++"):
                    added += 1
                elif line.startswith("-") and not line.startswith("---"):
                    removed += 1
            changes.append(PageChange(url, "changed", added, removed))
    return changes


def audiences(pages: Iterable[str]) -> list[str]:
    """The audience headings for a value's pages, e.g. ['Families pages', 'Clinicians pages']."""
    found = []
    for page in pages:
        heading = AUDIENCES.get(page.strip("/").split("/", 1)[0], OTHER_PAGES)
        if heading not in found:
            found.append(heading)
    order = [*AUDIENCES.values(), OTHER_PAGES]
    return sorted(found, key=order.index) or [NO_PAGE]


def percentage_points(old: float, new: float) -> float:
    """The change between two proportions (0–1), in percentage points."""
    return (new - old) * 100


def intervals_overlap(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool | None:
    """Whether the two records' intervals share any value; None when either has no interval."""
    bounds = [old.get("ci_low"), old.get("ci_high"), new.get("ci_low"), new.get("ci_high")]
    if any(b is None for b in bounds):
        return None
    lo1, hi1, lo2, hi2 = bounds
    return lo1 <= hi2 and lo2 <= hi1


# --- writing ----------------------------------------------------------------------------------


def _estimable(r: Mapping[str, Any]) -> bool:
    v = r.get("value")
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def show_value(r: Mapping[str, Any]) -> str:
    """'81.2% (39/48)', '12.4 mg', '7' or 'not estimable'."""
    if not _estimable(r):
        return "not estimable"
    v = r["value"]
    if r.get("kind") == "proportion":
        text = f"{number(v * 100, 1)}%"
        if r.get("numerator") is not None and r.get("denominator") is not None:
            text += f" ({r['numerator']}/{r['denominator']})"
        return text
    text = str(v) if isinstance(v, int) else number(v, 2)
    return f"{text} {r['unit']}" if r.get("unit") else text


def show_interval(r: Mapping[str, Any]) -> str:
    """'68.1–89.8%' for a proportion, '1.20–3.40' otherwise."""
    lo, hi = r["ci_low"], r["ci_high"]
    if r.get("kind") == "proportion":
        return f"{number(lo * 100, 1)}–{number(hi * 100, 1)}%"
    return f"{number(lo, 2)}–{number(hi, 2)}"


def _signed(x: float, digits: int) -> str:
    text = number(abs(x), digits)
    if float(text) == 0:
        return text
    return ("+" if x > 0 else "-") + text


def describe_move(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """'81.2% (39/48) → 79.2% (38/48); -2.1 percentage points; 95% CIs overlap: yes (… vs …)'."""
    parts = [f"{show_value(old)} → {show_value(new)}"]
    if _estimable(old) and _estimable(new):
        if new.get("kind") == "proportion" and old.get("kind") == "proportion":
            parts.append(f"{_signed(percentage_points(old['value'], new['value']), 1)} percentage points")
        elif isinstance(old["value"], int) and isinstance(new["value"], int):
            parts.append(f"change {_signed(new['value'] - old['value'], 0)}")
        else:
            parts.append(f"change {_signed(new['value'] - old['value'], 2)}")
    overlap = intervals_overlap(old, new)
    if overlap is not None:
        parts.append(f"95% CIs overlap: {'yes' if overlap else 'no'} ({show_interval(old)} vs {show_interval(new)})")
    elif old.get("ci_low") is not None or new.get("ci_low") is not None:
        parts.append("95% CIs overlap: n/a (one build has no interval)")
    return "; ".join(parts)


def _published(r: Mapping[str, Any] | None) -> tuple[bool | None, str, str]:
    """(agrees, the published figure, how it relates to the value): made-up data reproduce it, others report it."""
    if r is None:
        return None, "", ""
    if "reproduces" in r:
        figure = r["reproduces"]
        return (figure.get("agrees"), figure.get("value", "?"),
                "the published figure the made-up data were built to reproduce")
    return r.get("agrees_with_published"), r.get("published_value", "?"), "the published figure"


def _published_note(change: ValueChange) -> str:
    agrees, figure, what = _published(change.new)
    if agrees is None:
        return ""
    was = _published(change.old)[0]
    if agrees is False and was is not False:
        return f" **Now differs from {what} ({figure}).**"
    if agrees is True and was is False:
        return f" Now agrees with {what} ({figure})."
    return ""


def change_line(change: ValueChange) -> str:
    """One bullet of the report for one value."""
    name = f"{change.record.get('label', change.id)} (`{change.id}`)"
    if change.status == "added":
        line = f"- {name}: {show_value(change.new)}"  # type: ignore[arg-type]
        if change.new and change.new.get("ci_low") is not None:
            line += f"; 95% CI {show_interval(change.new)}"
    elif change.status == "removed":
        line = f"- {name}: was {show_value(change.old)}"  # type: ignore[arg-type]
    elif change.status == "changed":
        line = f"- {name}: {describe_move(change.old, change.new)}"  # type: ignore[arg-type]
    else:
        line = f"- {name}: number unchanged; changed {', '.join(change.detail_keys)}"
    return line + _published_note(change)


SECTIONS = (("changed", "Changed"), ("added", "Added"), ("removed", "Removed"), ("details", "Other changes"))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def headline(numbers: NumbersDiff, pages: list[PageChange]) -> str:
    """'2 values changed, 1 added, 0 removed; 3 pages changed text.'"""
    text = (f"{_plural(numbers.count('changed'), 'value')} changed, {numbers.count('added')} added, "
            f"{numbers.count('removed')} removed")
    if numbers.count("details"):
        text += f", {numbers.count('details')} with a changed description"
    return f"{text}; {_plural(len(pages), 'page')} changed text."


def _page_line(p: PageChange) -> str:
    url = p.url or "(home page)"
    if p.status == "changed":
        counts = f" (+{p.lines_added} / -{p.lines_removed} lines)" if p.lines_added or p.lines_removed else ""
        return f"- `{url}`: text changed{counts}"
    return f"- `{url}`: {'new page' if p.status == 'added' else 'page removed'}"


def render_report(numbers: NumbersDiff, pages: list[PageChange], *, base_label: str = "base",
                  head_label: str = "working tree", base_note: str = "") -> str:
    """The whole Markdown report: headline, then study → audience → Changed/Added/Removed, then pages."""
    out = ["# What changed in the published numbers", "",
           f"Compared **{base_label}** (before) with **{head_label}** (after).", "",
           f"**In short:** {headline(numbers, pages)}", ""]
    if base_note:
        out += [f"> {base_note}", ""]
    elif numbers.base_missing:
        out += ["> The base build has no numbers.json (first release): every value is listed as added.", ""]
    if not numbers.changes:
        out += ["No published number changed.", ""]

    by_study: dict[str, list[ValueChange]] = {}
    for change in numbers.changes:
        by_study.setdefault(study_of(change.id, numbers.studies), []).append(change)
    for study in sorted(by_study):
        title = numbers.studies.get(study)
        out += [f"## {title} (`{study}`)" if title and title != study else f"## `{study}`", ""]
        by_audience: dict[str, list[ValueChange]] = {}
        for change in by_study[study]:
            for audience in audiences(change.record.get("pages", [])):
                by_audience.setdefault(audience, []).append(change)
        for audience in [*AUDIENCES.values(), OTHER_PAGES, NO_PAGE]:
            if audience not in by_audience:
                continue
            out += [f"### {audience}", ""]
            for status, heading in SECTIONS:
                lines = [change_line(c) for c in by_audience[audience] if c.status == status]
                if lines:
                    out += [f"**{heading}**", "", *lines, ""]

    out += ["## Pages whose text changed", ""]
    out += [*(_page_line(p) for p in pages), ""] if pages else ["No page text changed.", ""]
    return "\n".join(out).rstrip() + "\n"


def release_summary(numbers: NumbersDiff, pages: list[PageChange], *, limit: int = 3) -> str:
    """One line for ``data/releases.yml``: what moved, in plain words (edit before publishing)."""
    if numbers.base_missing:
        return f"First publication: {_plural(len([c for c in numbers.changes if c.new]), 'value')}."
    moved = [c for c in numbers.changes if c.status == "changed"]
    parts = []
    for c in moved[:limit]:
        parts.append(f"{c.record.get('label', c.id)}: {show_value(c.old)} → {show_value(c.new)}")  # type: ignore[arg-type]
    if len(moved) > limit:
        parts.append(f"and {len(moved) - limit} more")
    text = "; ".join(parts) if parts else "No published number moved"
    extras = []
    if numbers.count("added"):
        extras.append(f"{numbers.count('added')} added")
    if numbers.count("removed"):
        extras.append(f"{numbers.count('removed')} removed")
    if extras:
        text += f" ({', '.join(extras)})"
    return f"{text}; {_plural(len(pages), 'page')} changed text."
