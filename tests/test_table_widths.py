"""Tables on a phone (390 px) and a laptop (1280 px).

The browser gates (tests/test_site_gates.py, on both engines' output) read every page's layout at both widths
(checks/rules.LAYOUT_SCRIPT): no page scrolls sideways; a table wider than its column scrolls inside its own box
with its first column (the row's label) still in view when scrolled to the far end; the stacking tables (the
aggregate studies', the cross-study view's and the index of studies) do not scroll at all, on a phone (they
stack) or a laptop (they fit); a figure kept on one line (n/N, '95% CI a–b%') is never broken over two. The
tests here check that the pages the gates read hold those tables.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow]


def test_the_stacking_tables_are_on_the_pages_this_test_reads(demo_build: Path) -> None:
    """The gates' layout check would pass on a site without tables: the pages it reads hold the tables it is for."""
    site = demo_build / "site"
    studies = (site / "clinicians" / "studies" / "index.html").read_text(encoding="utf-8")
    assert 'class="stack-table"' in studies and 'data-label="Kind of data"' in studies
    records = [p for p in (site / "clinicians").glob("*/effectiveness/index.html")
               if 'http-equiv="refresh"' not in p.read_text(encoding="utf-8")]
    assert records and all('class="figure-table"' in p.read_text(encoding="utf-8") for p in records)
