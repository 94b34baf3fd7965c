"""Rendered pages of the minimal fixture study, compared with golden files in tests/golden/minimal/.

When a change to templates or wording is intended, refresh them with `make golden` and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FIXTURES
from evidence_site import paths
from evidence_site.pipeline import generate, load_studies, site_inputs

GOLDEN = Path(__file__).parent / "golden" / "minimal"


@pytest.fixture(scope="module")
def generated():
    return generate(load_studies(FIXTURES / "studies"), paths.TEMPLATES,
                    site=site_inputs(paths.MKDOCS_YML, FIXTURES))


def test_rendered_pages_match_golden_files(generated, update_golden: bool) -> None:
    pages = {k: v.decode("utf-8") for k, v in generated.files.items() if k.endswith(".md")}
    if update_golden:
        for old in GOLDEN.rglob("*.md"):
            old.unlink()
        for relative, text in pages.items():
            (GOLDEN / relative).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / relative).write_text(text, encoding="utf-8")
    golden = {str(p.relative_to(GOLDEN)): p.read_text(encoding="utf-8") for p in GOLDEN.rglob("*.md")}
    assert sorted(pages) == sorted(golden), "pages added or removed: run `make golden` and review"
    for relative, text in pages.items():
        assert text == golden[relative], f"{relative} differs from its golden file: run `make golden` and review"


def test_golden_files_exist() -> None:
    assert any(GOLDEN.rglob("*.md")), "no golden files: run `make golden`"
