"""The results of a run, and the Markdown report: a table of page × check with figures (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .rules import Check

# Report columns: (check name, column heading). A page lacking a check shows "–".
COLUMNS = (
    ("axe 390", "axe 390"),
    ("axe 1280", "axe 1280"),
    ("axe dark 390", "axe dark 390"),
    ("layout 390", "fits 390"),
    ("layout 1280", "fits 1280"),
    ("keyboard", "Tabs to content"),
    ("pager", "prev/next"),
    ("icon text", "icon text"),
    ("search", "family search"),
    ("third-party", "3rd-party requests"),
    ("first visit", "first visit kB"),
    ("repeat visit", "repeat visit kB"),
    ("vega", "Vega JS"),
    ("charts", "charts"),
    ("links", "links (broken)"),
    ("html", "HTML errors"),
    ("print", "print pages"),
    ("qr", "QR"),
    ("icons greyscale", "icons greyscale"),
    ("screenshots", "screenshots"),
)
PASS, FAIL = "✓", "✗"


@dataclass
class PageResults:
    """Every check of one page, by check name."""

    label: str  # "/families/<id>/"
    checks: dict[str, Check] = field(default_factory=dict)

    @property
    def failures(self) -> list[str]:
        return [name for name, check in self.checks.items() if check.ok is False]


@dataclass
class SiteResults:
    """A whole run: page results, site-wide notes and the external links found."""

    pages: list[PageResults] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # skipped checks, tool versions, budgets
    external: dict[str, list[str]] = field(default_factory=dict)  # URL -> pages that link to it
    problems: list[str] = field(default_factory=list)  # site-wide failures (e.g. a tool that failed)

    @property
    def ok(self) -> bool:
        return not self.problems and not any(page.failures for page in self.pages)

    def failure_count(self) -> int:
        return len(self.problems) + sum(len(page.failures) for page in self.pages)


def cell(check: Check | None) -> str:
    """One table cell: "✓ 0" passed, "✗ 3" failed, "84.2" reported without a pass/fail, "–" not run."""
    if check is None:
        return "–"
    if check.ok is None:
        return check.figure
    return f"{PASS if check.ok else FAIL} {check.figure}"


def table(pages: list[PageResults]) -> str:
    """The page × check table in Markdown."""
    columns = [(name, heading) for name, heading in COLUMNS if any(name in p.checks for p in pages)]
    lines = ["| page | " + " | ".join(heading for _, heading in columns) + " |",
             "| --- |" + " --- |" * len(columns)]
    for page in pages:
        cells = [cell(page.checks.get(name)) for name, _ in columns]
        lines.append(f"| {page.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(results: SiteResults) -> str:
    """The whole report: verdict, table, every problem in full, external links, notes."""
    verdict = (f"**All gates passed** on {len(results.pages)} pages." if results.ok
               else f"**{results.failure_count()} check(s) FAILED** on {len(results.pages)} pages.")
    parts = ["# Site report", "", verdict, "", table(results.pages), "",
             f"{PASS} passed, {FAIL} failed, a bare figure is reported without a budget, – means not run. "
             "Weights are bytes on the wire (headers and gzipped bodies), 1 kB = 1,000 bytes."]
    failed = [(page, name) for page in results.pages for name in page.failures]
    if results.problems or failed:
        parts += ["", "## Problems", ""]
        parts += [f"- {problem}" for problem in results.problems]
        for page, name in failed:
            parts.append(f"- **{page.label}** — {name}:")
            parts += [f"    - {line}" for line in page.checks[name].details]
    parts += ["", "## External links (listed, not fetched)", ""]
    if results.external:
        parts += [f"- <{url}> — from {', '.join(sorted(pages))}" for url, pages in sorted(results.external.items())]
    else:
        parts.append("None.")
    if results.notes:
        parts += ["", "## Notes", ""] + [f"- {note}" for note in results.notes]
    return "\n".join(parts) + "\n"


def write(results: SiteResults, path: Path) -> str:
    """Writes the report to ``path`` (creating its folder) and returns its text."""
    text = render(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text
