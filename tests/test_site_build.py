"""The whole demonstration site, built once into a temporary folder, checked as a reader and a reviewer would."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import faulty_study
from evidence_site import paths
from evidence_site.errors import BuildError
from evidence_site.manifest import flat_values
from evidence_site.pipeline import build_site

pytestmark = pytest.mark.slow
STUDY = "example-clinic-records"


@pytest.fixture(scope="module")
def built(demo_build: Path) -> Path:
    return demo_build


@pytest.fixture(scope="module")
def manifest(built: Path) -> dict:
    """numbers.json with its values flat (texts in place of their keys), as diff.py reads it."""
    raw = json.loads((built / "site" / "numbers.json").read_text(encoding="utf-8"))
    return {**raw, "values": flat_values(raw)}


def test_every_published_figure_is_recomputed_and_agrees(manifest: dict) -> None:
    import yaml

    meta = yaml.safe_load((paths.STUDIES / STUDY / "study.yml").read_text(encoding="utf-8"))
    records = {r["id"]: r for r in manifest["values"]}
    made_up = manifest["studies"][STUDY]["status"] == "synthetic"
    for entry in meta["published"]:
        record = records[f"{STUDY}.{entry['id']}"]
        # made-up data were built to reproduce the published figure: it is not their source
        figure = record["reproduces"] if made_up else {
            "value": record["published_value"], "agrees": record["agrees_with_published"], "source": record["source"]}
        assert made_up != ("published_value" in record or "source" in record), entry["id"]
        assert figure["value"] == str(entry["value"])
        assert figure["agrees"] is True, entry["id"]
        assert figure["source"]
    assert len(meta["published"]) == 15


def test_every_value_is_printed_on_a_page_that_exists(built: Path, manifest: dict) -> None:
    for record in manifest["values"]:
        assert record["pages"], f"{record['id']} is computed but printed nowhere"
        for page in record["pages"]:
            assert (built / "site" / page / "index.html").is_file(), page


def test_proportion_records_carry_counts_interval_and_method(manifest: dict) -> None:
    for r in manifest["values"]:
        if r.get("suppressed"):  # small-cell protection: the numbers are withheld (checked in test_privacy.py)
            assert {"id", "label", "method", "population", "pages", "suppression"} <= set(r), r["id"]
            assert not {"value", "numerator", "ci_low", "ci_high"} & set(r), r["id"]
            continue
        assert {"id", "label", "value", "method", "population", "pages"} <= set(r), r["id"]
        if r["kind"] == "proportion" and "numerator" not in r:  # an aggregate study's reported percentage only
            assert manifest["studies"][r["id"].split(".")[0]]["kind"] == "aggregate" and "ci_low" not in r, r["id"]
        elif r["kind"] == "proportion":
            assert r["ci_method"] == "Wilson score interval, 95%"
            assert r["ci_low"] <= r["value"] <= r["ci_high"]
            assert r["value"] == pytest.approx(r["numerator"] / r["denominator"])


def test_family_pages_cite_only_values_that_clinician_pages_also_cite(manifest: dict) -> None:
    for r in manifest["values"]:
        audiences = {page.split("/")[0] for page in r["pages"]}
        if "families" in audiences:
            assert "clinicians" in audiences, r["id"]


def test_synthetic_banner_on_every_page_built_from_the_data(built: Path) -> None:
    """Every page of the demonstration cohort carries the banner; the published studies' pages do not."""
    manifest = json.loads((built / "site" / "numbers.json").read_text(encoding="utf-8"))
    for html in (built / "site").glob("*/**/index.html"):
        text = html.read_text(encoding="utf-8")
        parts = html.relative_to(built / "site").parts
        if parts[0] in ("families", "clinicians") and parts[1] in manifest["studies"]:
            banner = "Made-up example data" in text or "Synthetic demonstration data" in text
            assert banner == (manifest["studies"][parts[1]]["status"] == "synthetic"), html


def test_no_third_party_addresses_in_pages(built: Path) -> None:
    for html in (built / "site").rglob("*.html"):
        text = html.read_text(encoding="utf-8")
        for host in ("fonts.googleapis.com", "fonts.gstatic.com", "cdn.jsdelivr.net", "unpkg.com"):
            assert host not in text, f"{host} in {html}"


def test_charts_are_static_svg_with_a_text_alternative(built: Path) -> None:
    page = (built / "site" / "clinicians" / STUDY / "index.html").read_text(encoding="utf-8")
    assert 'src="figures/headline.svg"' in page and 'alt="Made-up example data. Headline results at week 52' in page
    svg = (built / "site" / "clinicians" / STUDY / "figures" / "headline.svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and "<script" not in svg


def test_bad_data_changes_nothing_in_docs_or_site(built: Path, tmp_path: Path) -> None:
    before = _hashes(built / "docs") | _hashes(built / "site")
    bad = faulty_study("unknown-diagnosis", tmp_path)
    with pytest.raises(BuildError):
        build_site(bad.parent, paths.TEMPLATES, built / "docs", built / "site", paths.MKDOCS_YML, built / "build",
                   progress=lambda _: None)
    assert _hashes(built / "docs") | _hashes(built / "site") == before


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_every_published_address_is_served(built: Path) -> None:
    """Handouts print these URLs (tests/published_urls.txt): the demo site must serve every one."""
    from evidence_site.urls import explain_missing, load_published_urls, missing_urls

    published = load_published_urls(Path(__file__).parent / "published_urls.txt")
    missing = missing_urls(published, built / "site")
    assert not missing, explain_missing(missing)
