"""The release log and the "Changes" page made from it."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import FIXTURES
from evidence_site import paths
from evidence_site.errors import BuildError
from evidence_site.fmt import long_date
from evidence_site.pipeline import generate, load_studies
from evidence_site.releases import Release, fingerprint_of, load_releases, parse_releases


def changes_page(releases: list[Release]) -> str:
    generated = generate(load_studies(FIXTURES / "studies"), paths.TEMPLATES, site={"releases": releases})
    return generated.files["reference/changes.md"].decode("utf-8")


def test_committed_release_log_loads():
    releases = load_releases(paths.DATA / "releases.yml")
    assert all(isinstance(r, Release) for r in releases)


def test_changes_page_lists_releases_newest_first():
    releases = parse_releases({"releases": [
        {"date": dt.date(2026, 1, 20), "fingerprint": "aaa111", "summary": "First publication."},
        {"date": "2026-03-02", "fingerprint": "bbb222", "summary": "Week-52 persistence 79% (was 81%)."},
    ]})
    page = changes_page(releases)
    assert page.index("## 2 March 2026") < page.index("## 20 January 2026")
    assert "Data fingerprint: `bbb222`\n\nWeek-52 persistence 79% (was 81%)." in page
    assert "handout" in page


def test_an_empty_log_says_nothing_is_published_yet(tmp_path):
    assert load_releases(tmp_path / "absent.yml") == []
    assert "No version has been published yet." in changes_page([])


def test_long_date_ignores_locale():
    assert long_date(dt.date(2026, 1, 5)) == "5 January 2026"
    assert long_date("2026-11-24") == "24 November 2026"


def test_every_problem_is_reported_at_once():
    with pytest.raises(BuildError) as caught:
        parse_releases({"releases": [{"date": "20 Jan", "fingerprint": "", "summary": "a\nb", "by": "me"}]})
    message = str(caught.value)
    assert "4 problem(s)" in message
    for words in ("expected: YYYY-MM-DD", "fingerprint is missing", "summary must be one line", "Unknown field"):
        assert words in message


def test_fingerprint_of_numbers_json():
    assert fingerprint_of({"fingerprint": "abc"}) == "abc"
    assert fingerprint_of({"studies": {"s": {"fingerprint": "f1"}, "r": {"fingerprint": "f0"}}}) == "r f0; s f1"
    assert fingerprint_of({"studies": {"s": {}}}) is None
    assert fingerprint_of(None) is None
