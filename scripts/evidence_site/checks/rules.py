"""The pass/fail decisions of the gates, as pure functions of what was measured (no browser, no files)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .serve import Transfer
from .settings import KB

# vega.min.js, vega-lite@5.js, /npm/vega@5, /npm/vega-embed@6/build/vega-embed.js ... but not "vegan-diet/".
_VEGA = re.compile(r"(^|/)vega(-lite|-embed)?(@[^/]*)?(\.[^/]*js|/|$)", re.IGNORECASE)
_QR_FILE = re.compile(r"(^|[/_.-])qr([_.-]|$)", re.IGNORECASE)  # handout-qr.svg, qr.svg
_LOCAL_SCHEMES = {"data", "blob", "about"}  # never leave the browser


@dataclass
class Check:
    """The outcome of one check on one page: passed (True), failed (False) or not applicable (None)."""

    ok: bool | None
    figure: str  # the short figure shown in the report's table cell
    details: list[str] = field(default_factory=list)  # one line per problem (or per note)


def classify_request(url: str, origin: str) -> str:
    """"local" for the site's own origin, "inline" for data:/blob: URLs, "third-party" for anything else."""
    parts = urlsplit(url)
    if parts.scheme in _LOCAL_SCHEMES:
        return "inline"
    if f"{parts.scheme}://{parts.netloc}" == origin.rstrip("/"):
        return "local"
    return "third-party"


def third_party_check(urls: Iterable[str], origin: str) -> Check:
    """Fails on any request that left the site's origin (fonts, CDNs, analytics ...)."""
    leaks = sorted({u for u in urls if classify_request(u, origin) == "third-party"})
    return Check(not leaks, str(len(leaks)), leaks)


def is_vega(url: str) -> bool:
    """True for a Vega, Vega-Lite or vega-embed script, bundled or from a CDN."""
    return bool(_VEGA.search(urlsplit(url).path))


def vega_check(urls: Iterable[str], globals_defined: bool, applies: bool) -> Check:
    """Family pages must not load the Vega runtime: their charts are static SVG."""
    loaded = sorted({u for u in urls if is_vega(u)})
    if globals_defined:
        loaded.append("window.vega or window.vegaEmbed is defined")
    if not applies:
        return Check(None, "loaded" if loaded else "none", loaded)
    return Check(not loaded, "loaded" if loaded else "none", loaded)


def total_bytes(transfers: Iterable[Transfer]) -> int:
    """Bytes on the wire for a visit: every response's status line, headers and (gzipped) body."""
    return sum(t.bytes for t in transfers)


def kb(n: int) -> str:
    """Bytes as the report shows them: "12.3"."""
    return f"{n / KB:.1f}"


def weight_check(transfers: list[Transfer], budget_kb: float | None) -> Check:
    """Compares a visit's bytes with a budget (None: no budget, figures reported only)."""
    size = total_bytes(transfers)
    details = [f"{t.path} {t.status} {t.bytes} B{' gzip' if t.gzipped else ''}" for t in transfers]
    if budget_kb is None:
        return Check(None, kb(size), details)
    ok = size <= budget_kb * KB
    if not ok:
        details.insert(0, f"{kb(size)} kB is over the budget of {budget_kb:g} kB")
    return Check(ok, kb(size), details)


def axe_check(violations: list[dict]) -> Check:
    """Summarises axe-core's violations: one line per rule, with its impact and the first few elements."""
    lines = []
    for v in violations:
        targets = [", ".join(map(str, node.get("target", []))) for node in v.get("nodes", [])]
        shown = "; ".join(targets[:3]) + (f"; and {len(targets) - 3} more" if len(targets) > 3 else "")
        why = " ".join(str(v["nodes"][0].get("failureSummary", "")).split()) if v.get("nodes") else ""
        lines.append(f"{v['id']} ({v.get('impact')}): {v.get('help', '')} [{shown}]" + (f" — {why}" if why else ""))
    return Check(not violations, str(len(violations)), lines)


# The page's layout at the tab's width, as sentences (none when right): no page scrolls sideways; a table wider than
# its column scrolls inside its own box with its first column (the row's label) still in view when scrolled to the
# far end; the stacking tables (.stack-table, .sof-table) never scroll (they stack on a phone, fit on a laptop); a
# figure kept on one line (.nowrap: n/N, '95% CI a–b%') is never broken over two.
LAYOUT_SCRIPT = """() => {
  const problems = [];
  const doc = document.scrollingElement;
  if (doc.scrollWidth > innerWidth) problems.push(`the page scrolls sideways: ${doc.scrollWidth} px wide`);
  document.querySelectorAll('.md-content table').forEach((table, i) => {
    const name = `table ${i + 1} ('${(table.querySelector('th, td') || {}).textContent || ''}')`.trim();
    const box = table.closest('.md-typeset__scrollwrap');
    if (!box || box.scrollWidth <= box.clientWidth + 1) return;
    if (table.closest('.stack-table, .sof-table')) {
      problems.push(`${name} scrolls (${box.scrollWidth} px in ${box.clientWidth}) instead of fitting or stacking`);
      return;
    }
    const before = box.scrollLeft;
    box.scrollLeft = box.scrollWidth;
    const edge = box.getBoundingClientRect().left;
    const labels = [...table.rows].map(row => row.cells[0]).filter(Boolean);
    const hidden = labels.filter(cell => cell.getBoundingClientRect().left < edge - 1);
    box.scrollLeft = before;
    if (hidden.length) problems.push(`${name} scrolls and its first column scrolls out of view`);
  });
  document.querySelectorAll('.md-content .nowrap').forEach(span => {
    const tops = new Set([...span.getClientRects()].map(r => Math.round(r.top)));
    if (tops.size > 1) problems.push(`the figure '${span.textContent}' is broken over ${tops.size} lines`);
  });
  return problems;
}"""


def layout_check(problems: list[str]) -> Check:
    """What LAYOUT_SCRIPT found at one width."""
    return Check(not problems, str(len(problems)), list(problems))


def is_qr_code(chart: dict) -> bool:
    """A handout's QR code is a picture of an address, not a chart of data (it needs no data table)."""
    return bool(_QR_FILE.search(str(chart["src"]))) or str(chart["name"]).lower().startswith("qr code")


def charts_check(charts: list[dict]) -> Check:
    """Every chart needs a text alternative (fails without one); charts with no data table beside them are noted.

    ``charts`` holds one ``{"src", "name", "table"}`` per chart: its file or id, its accessible name, and
    whether a data table sits next to it.
    """
    charts = [c for c in charts if not is_qr_code(c)]
    unnamed = [f"{c['src']}: no text alternative (alt, aria-label or <title>)" for c in charts if not c["name"]]
    no_table = [f"{c['src']}: no data table next to it" for c in charts if not c["table"]]
    with_table = len(charts) - len(no_table)
    figure = f"{len(charts)} ({with_table} with table)" if charts else "0"
    return Check(not unnamed if charts else None, figure, unnamed + no_table)
