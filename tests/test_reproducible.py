"""Two builds of the same code and data give byte-identical sites, stamped with the data's fingerprint."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import re
import shutil
import struct
from pathlib import Path

import pytest

from conftest import load_study
from evidence_site import __version__, paths
from evidence_site.pipeline import build_site, source_date_epoch

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reproducible")]  # the second build once
STUDY = "example-clinic-records"


def build(root: Path) -> Path:
    shutil.copytree(paths.DOCS, root / "docs", ignore=shutil.ignore_patterns(*paths.GENERATED_DOCS, "index.md"))
    build_site(paths.STUDIES, paths.TEMPLATES, root / "docs", root / "site", paths.MKDOCS_YML, root / "build",
               progress=lambda _: None, warn=lambda _: None)
    return root / "site"


def hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def two_sites(demo_build: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The session's demonstration build (tests/conftest.py) and a second, independent one (its own caches)."""
    return demo_build / "site", build(tmp_path_factory.mktemp("second"))


def test_two_builds_are_byte_identical(two_sites: tuple[Path, Path]) -> None:
    first, second = (hashes(s) for s in two_sites)
    assert len(first) > 50
    assert sorted(first) == sorted(second)
    differ = [name for name in first if first[name] != second[name]]
    assert not differ, differ


def data_date() -> dt.date:
    import yaml

    return max(dt.date.fromisoformat(yaml.safe_load(p.read_text(encoding="utf-8"))["data_date"])
               for p in paths.STUDIES.glob("*/study.yml"))  # the latest data_date of all studies


def test_sitemap_dates_come_from_the_data_not_the_clock(two_sites: tuple[Path, Path]) -> None:
    site = two_sites[0]
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    lastmods = set(re.findall(r"<lastmod>([^<]+)</lastmod>", sitemap))
    assert lastmods == {data_date().isoformat()}
    raw = (site / "sitemap.xml.gz").read_bytes()
    mtime = struct.unpack("<I", raw[4:8])[0]  # the gzip header's MTIME field (RFC 1952)
    expected = dt.datetime(*data_date().timetuple()[:3], tzinfo=dt.UTC).timestamp()
    assert mtime == int(expected)
    assert gzip.decompress(raw).decode("utf-8") == sitemap


def test_source_date_epoch_overrides_the_data_date(monkeypatch: pytest.MonkeyPatch) -> None:
    studies = [load_study(p) for p in sorted(paths.STUDIES.iterdir()) if p.is_dir()]
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert dt.datetime.fromtimestamp(source_date_epoch(studies), dt.UTC).date() == data_date()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert source_date_epoch(studies) == 1700000000


def expected_fingerprint(folder: Path) -> str:
    """The study fingerprint written out: SHA-256 over each input file's name and bytes, in a fixed order,
    combined with the fingerprint of the shared data (every file of data/vocab/ and data/medicines/)."""
    digest = hashlib.sha256()
    names = ("study.yml", "results.csv") if (folder / "results.csv").is_file() else (
        "study.yml", "patients.csv", "visits.csv", "events.csv")
    for name in names:
        digest.update(name.encode() + b"\0" + (folder / name).read_bytes())
    shared = hashlib.sha256()
    for path in sorted((paths.DATA / "vocab").glob("*.yml")):
        shared.update(path.name.encode() + b"\0" + path.read_bytes())
    for path in sorted((paths.DATA / "medicines").glob("*.yml")):
        shared.update(path.name.encode() + b"\0" + path.read_bytes())
    both = f"{digest.hexdigest()[:12]}\0{shared.hexdigest()[:12]}"
    return hashlib.sha256(both.encode()).hexdigest()[:12]


def test_numbers_json_carries_the_fingerprints_and_the_generator(two_sites: tuple[Path, Path]) -> None:
    manifest = json.loads((two_sites[0] / "numbers.json").read_text(encoding="utf-8"))
    study_print = expected_fingerprint(paths.STUDIES / STUDY)
    assert manifest["studies"][STUDY]["fingerprint"] == study_print
    folders = sorted(p for p in paths.STUDIES.iterdir() if p.is_dir())
    site_print = hashlib.sha256("".join(f"{f.name}\0{expected_fingerprint(f)}\n" for f in folders).encode()
                                ).hexdigest()[:12]
    assert manifest["fingerprint"] == site_print
    assert manifest["generator"] == f"evidence-site {__version__}"


def test_every_page_carries_the_fingerprint_and_version_and_only_family_footers_drop_them(
        two_sites: tuple[Path, Path]) -> None:
    """Every page has both in <meta>; the footer shows them on clinician and reference pages, while family pages
    say in plain words when the evidence was last updated (issue 15). A study's pages give that study's
    fingerprint and data date (numbers.json's ``studies``), every other page the library's (issue 16: a change in
    one study leaves the other studies' pages as they were)."""
    site = two_sites[0]
    manifest = json.loads((site / "numbers.json").read_text(encoding="utf-8"))
    studies = manifest["studies"]
    pages = list(site.rglob("*.html"))
    assert len(pages) > 10
    seen = set()
    for page in pages:
        html = page.read_text(encoding="utf-8")
        if 'http-equiv="refresh"' in html:
            continue  # redirect stubs for moved pages have no footer
        parts = page.relative_to(site).parts
        inner = parts[1:] if parts[0] == "es" else parts
        study = inner[1] if len(inner) > 2 and inner[1] in studies else None
        fingerprint = studies[study]["fingerprint"] if study else manifest["fingerprint"]
        seen.add(fingerprint)
        assert f'<meta name="evidence-fingerprint" content="{fingerprint}">' in html, page
        assert f'<meta name="evidence-generator" content="evidence-site {__version__}">' in html, page
        footer = html[html.index('<footer class="md-footer">'):html.index("</footer>")]
        if parts[0] == "families" or parts[:2] == ("es", "families"):  # family pages, English and Spanish
            assert ("The evidence on these pages was last updated on" in footer
                    or "La información de estas páginas se actualizó" in footer), page
            assert "fingerprint" not in footer and "huella" not in footer and "reference/changes/" in footer, page
            if study and parts[0] == "families":
                day = dt.date.fromisoformat(studies[study]["data_date"])
                assert f"last updated on {day.day} {day:%B %Y}." in footer, page
        else:
            assert f"<code>{fingerprint}</code>" in footer, page
            assert f"evidence-site {__version__}" in footer, page
    assert seen == {manifest["fingerprint"], *(s["fingerprint"] for s in studies.values())}


def test_the_fingerprint_changes_when_any_input_file_changes(tmp_path: Path) -> None:
    folder = tmp_path / STUDY
    shutil.copytree(paths.STUDIES / STUDY, folder)
    before = load_study(folder).fingerprint
    assert before == expected_fingerprint(folder)
    visits = folder / "visits.csv"
    visits.write_bytes(visits.read_bytes() + b"\n")
    assert load_study(folder).fingerprint != before
