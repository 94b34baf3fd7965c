"""Tables on a phone (390 px) and a laptop (1280 px), in headless Chromium, on every page of the bundled site.

No page scrolls sideways. A table wider than its column scrolls inside its own box with its first column (the
row's label) still in view when scrolled to the far end; the stacking tables (the aggregate studies', the
cross-study view's and the index of studies) do not scroll at all, on a phone (they stack) or a laptop (they
fit). A figure kept on one line (n/N, '95% CI a–b%') is never broken over two.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_site_gates import require_browser_tools

from evidence_site.checks.settings import Settings

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDTHS = (390, 1280)

# One page's problems, as sentences; an empty list when the page is right.
_MEASURE = """() => {
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
    box.scrollLeft = box.scrollWidth;
    const edge = box.getBoundingClientRect().left;
    const labels = [...table.rows].map(row => row.cells[0]).filter(Boolean);
    const hidden = labels.filter(cell => cell.getBoundingClientRect().left < edge - 1);
    box.scrollLeft = 0;
    if (hidden.length) problems.push(`${name} scrolls and its first column scrolls out of view`);
  });
  document.querySelectorAll('.md-content .nowrap').forEach(span => {
    const tops = new Set([...span.getClientRects()].map(r => Math.round(r.top)));
    if (tops.size > 1) problems.push(`the figure '${span.textContent}' is broken over ${tops.size} lines`);
  });
  return problems;
}"""


def _pages(site: Path) -> list[str]:
    """Every page's address below the site's root, leaving out the redirects that stand where pages were."""
    pages = []
    for index in sorted(site.rglob("index.html")):
        if 'http-equiv="refresh"' in index.read_text(encoding="utf-8"):
            continue
        folder = index.parent.relative_to(site).as_posix()
        pages.append("" if folder == "." else folder + "/")
    return pages


def test_no_page_scrolls_sideways_and_every_wide_table_keeps_its_labels_in_view(demo_build: Path) -> None:
    from evidence_site.checks.browser import launch
    from evidence_site.checks.serve import StaticServer

    site = demo_build / "site"
    settings = Settings(site_dir=site)
    require_browser_tools(settings)
    pages = _pages(site)
    assert any(p.startswith("clinicians/") for p in pages), pages
    found: dict[str, list[str]] = {}
    with StaticServer(site) as server, launch(settings) as browser:
        for width in WIDTHS:
            tab = browser.new_page(viewport={"width": width, "height": 844})
            for page in pages:
                tab.goto(f"{server.origin}/{page}", wait_until="load")
                problems = tab.evaluate(_MEASURE)
                if problems:
                    found[f"{width} px /{page}"] = problems
            tab.close()
    assert not found, "\n".join(f"{where}: {'; '.join(problems)}" for where, problems in found.items())


def test_the_stacking_tables_are_on_the_pages_this_test_reads(demo_build: Path) -> None:
    """The browser test above would pass on a site without tables: the pages it reads hold the tables it is for."""
    site = demo_build / "site"
    studies = (site / "clinicians" / "studies" / "index.html").read_text(encoding="utf-8")
    assert 'class="stack-table"' in studies and 'data-label="Kind of data"' in studies
    records = [p for p in (site / "clinicians").glob("*/effectiveness/index.html")
               if 'http-equiv="refresh"' not in p.read_text(encoding="utf-8")]
    assert records and all('class="figure-table"' in p.read_text(encoding="utf-8") for p in records)
