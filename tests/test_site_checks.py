"""The publication gates' pure parts, without a browser: report table, request and link rules, gzip counting."""

from __future__ import annotations

import gzip
import http.client
import json
import time
from pathlib import Path

import pytest

from evidence_site.checks import report
from evidence_site.checks.links import LinkChecker, classify_link, parse_html
from evidence_site.checks.pages import Page, canonical_site_url, find_pages, is_redirect, one_of_each_kind, url_of
from evidence_site.checks.printing import expected_qr_url
from evidence_site.checks.rules import (
    Check,
    axe_check,
    charts_check,
    classify_request,
    is_vega,
    third_party_check,
    vega_check,
    weight_check,
)
from evidence_site.checks.serve import StaticServer, Transfer, TransferLog, gzip_bytes
from evidence_site.checks.settings import Settings
from evidence_site.checks.vnu import parse_messages

ORIGIN = "http://127.0.0.1:8123"


# --- report -------------------------------------------------------------------------------------------------

def test_cells_show_pass_fail_and_plain_figures() -> None:
    assert report.cell(Check(True, "0")) == "✓ 0"
    assert report.cell(Check(False, "3")) == "✗ 3"
    assert report.cell(Check(None, "84.2")) == "84.2"
    assert report.cell(None) == "–"


def test_table_has_one_row_per_page_and_only_columns_that_ran() -> None:
    pages = [report.PageResults("/", {"axe 390": Check(True, "0"), "first visit": Check(None, "80.1")}),
             report.PageResults("/families/", {"axe 390": Check(False, "2"), "first visit": Check(True, "90.0")})]
    lines = report.table(pages).splitlines()
    assert lines[0] == "| page | axe 390 | first visit kB |"
    assert lines[1] == "| --- | --- | --- |"
    assert lines[2:] == ["| / | ✓ 0 | 80.1 |", "| /families/ | ✗ 2 | ✓ 90.0 |"]


def test_report_lists_every_problem_external_link_and_note() -> None:
    results = report.SiteResults(
        pages=[report.PageResults("/families/x/", {"links": Check(False, "4 (1)", ["../nowhere/ (no file)"])})],
        notes=["Print and QR checks SKIPPED"], external={"https://example.org/": ["/families/x/"]})
    text = report.render(results)
    assert not results.ok and results.failure_count() == 1
    assert "**1 check(s) FAILED** on 1 pages." in text
    assert "- **/families/x/** — links:\n    - ../nowhere/ (no file)" in text
    assert "- <https://example.org/> — from /families/x/" in text
    assert "- Print and QR checks SKIPPED" in text


def test_a_site_wide_problem_fails_the_run() -> None:
    results = report.SiteResults(pages=[report.PageResults("/", {"html": Check(True, "0")})], problems=["boom"])
    assert not results.ok
    assert "- boom" in report.render(results)


# --- requests, Vega, weight, axe ----------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "kind"), [
    (f"{ORIGIN}/assets/main.css", "local"),
    (f"{ORIGIN}/", "local"),
    ("http://127.0.0.1:9999/x.js", "third-party"),  # another port is another origin
    ("https://fonts.googleapis.com/css?family=Roboto", "third-party"),
    ("data:image/svg+xml;base64,AAAA", "inline"),
    ("blob:http://127.0.0.1:8123/1234", "inline"),
])
def test_requests_are_classified_by_origin(url: str, kind: str) -> None:
    assert classify_request(url, ORIGIN) == kind


def test_third_party_check_lists_each_leak_once() -> None:
    check = third_party_check([f"{ORIGIN}/", "https://cdn.example/a.js", "https://cdn.example/a.js"], ORIGIN)
    assert (check.ok, check.figure, check.details) == (False, "1", ["https://cdn.example/a.js"])
    assert third_party_check([f"{ORIGIN}/"], ORIGIN).ok


@pytest.mark.parametrize(("url", "vega"), [
    ("https://cdn.jsdelivr.net/npm/vega@5", True),
    ("https://cdn.jsdelivr.net/npm/vega-lite@5/build/vega-lite.min.js", True),
    (f"{ORIGIN}/assets/javascripts/vega-embed.min.js", True),
    (f"{ORIGIN}/assets/vega.js", True),
    (f"{ORIGIN}/families/vegan-diet/", False),
    (f"{ORIGIN}/assets/javascripts/bundle.a5f9d56c.min.js", False),
])
def test_vega_scripts_are_recognised(url: str, vega: bool) -> None:
    assert is_vega(url) is vega


def test_vega_fails_only_where_the_rule_applies() -> None:
    urls = [f"{ORIGIN}/assets/vega.min.js"]
    assert vega_check(urls, False, applies=True).ok is False
    assert vega_check(urls, False, applies=False).ok is None
    assert vega_check([], True, applies=True).ok is False  # loaded inline: window.vega exists
    assert vega_check([], False, applies=True).ok is True


def test_weight_sums_bytes_on_the_wire_against_the_budget() -> None:
    transfers = [Transfer("/", 200, 60_000, True), Transfer("/a.js", 200, 40_000, True)]
    assert weight_check(transfers, 100).ok is True  # exactly on budget passes
    over = weight_check(transfers, 99.9)
    assert (over.ok, over.figure) == (False, "100.0")
    assert over.details[0] == "100.0 kB is over the budget of 99.9 kB"
    assert weight_check(transfers, None).ok is None


def test_axe_violations_are_summarised_one_line_per_rule() -> None:
    violations = [{"id": "link-in-text-block", "impact": "serious", "help": "Links must be distinguishable",
                   "nodes": [{"target": [f"a.n{i}"], "failureSummary": "Fix any:\n  underline it"} for i in range(5)]}]
    check = axe_check(violations)
    assert (check.ok, check.figure) == (False, "1")
    assert check.details == ["link-in-text-block (serious): Links must be distinguishable "
                             "[a.n0; a.n1; a.n2; and 2 more] — Fix any: underline it"]
    assert axe_check([]).ok is True


def test_charts_need_a_text_alternative_and_tables_beside_them_are_counted() -> None:
    charts = [{"src": "a.svg", "name": "Remission: 7 of 10", "table": True},
              {"src": "b.svg", "name": "Persistence", "table": False}]
    check = charts_check(charts)
    assert (check.ok, check.figure, check.details) == (True, "2 (1 with table)", ["b.svg: no data table next to it"])
    unnamed = charts_check([{"src": "c.svg", "name": "", "table": True}])
    assert unnamed.ok is False and unnamed.details == ["c.svg: no text alternative (alt, aria-label or <title>)"]
    assert charts_check([]).ok is None
    qr_codes = [{"src": "figures/handout-qr.svg", "name": "", "table": False},
                {"src": "svg", "name": "QR code. Scan it to open the page", "table": False}]
    assert charts_check(qr_codes).figure == "0"


# --- the local static server: gzip and byte counting --------------------------------------------------------

def _get(server: StaticServer, path: str, **headers: str) -> http.client.HTTPResponse:
    host, port = server.origin.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def test_server_gzips_text_and_counts_headers_plus_compressed_body(tmp_path: Path) -> None:
    page = "<!doctype html><title>t</title>" + "<p>words</p>" * 500
    (tmp_path / "index.html").write_text(page, encoding="utf-8")
    with StaticServer(tmp_path) as server:
        response = _get(server, "/", **{"Accept-Encoding": "gzip"})
        assert server.log.wait_idle(quiet=0.05)
        [transfer] = server.log.since(0)
    assert response.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(response.body) == page.encode()  # type: ignore[attr-defined]
    assert response.body == gzip_bytes(page.encode())  # type: ignore[attr-defined]
    assert transfer.gzipped and transfer.status == 200
    header_bytes = transfer.bytes - len(response.body)  # type: ignore[attr-defined]
    assert 100 < header_bytes < 400
    assert transfer.bytes < len(page) / 5  # repetitive HTML compresses well


def test_server_sends_binary_and_unaccepted_responses_uncompressed(tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"\x89PNG" + bytes(1000))
    (tmp_path / "a.css").write_text("body{}" * 100, encoding="utf-8")
    with StaticServer(tmp_path) as server:
        png = _get(server, "/a.png", **{"Accept-Encoding": "gzip"})
        css = _get(server, "/a.css")
    assert png.getheader("Content-Encoding") is None and len(png.body) == 1004  # type: ignore[attr-defined]
    assert css.getheader("Content-Encoding") is None and len(css.body) == 600  # type: ignore[attr-defined]


def test_server_revalidates_with_etag_and_counts_a_304_without_body(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text("let x = 1;" * 100, encoding="utf-8")
    with StaticServer(tmp_path) as server:
        first = _get(server, "/a.js", **{"Accept-Encoding": "gzip"})
        again = _get(server, "/a.js", **{"Accept-Encoding": "gzip", "If-None-Match": first.getheader("ETag")})
        missing = _get(server, "/nope/")
        outside = _get(server, "/../../etc/passwd")
        server.log.wait_idle(quiet=0.05)
        transfers = server.log.since(0)
    assert first.getheader("Cache-Control") == "max-age=600"
    assert (again.status, again.body) == (304, b"")  # type: ignore[attr-defined]
    assert [t.status for t in transfers] == [200, 304, 404, 404]
    assert transfers[1].bytes < 300 and missing.status == 404 and outside.status == 404



def test_server_logs_requests_made_one_after_another_in_that_order_even_when_logging_is_slow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.js").write_text("let x = 1;", encoding="utf-8")
    add = TransferLog.add

    def slow_add(self: TransferLog, transfer: Transfer) -> int:
        if transfer.path == "/a.js":
            time.sleep(0.2)  # the thread that served a.js is slow to log it
        return add(self, transfer)

    monkeypatch.setattr(TransferLog, "add", slow_add)
    with StaticServer(tmp_path) as server:
        _get(server, "/a.js")
        _get(server, "/nope/")
        assert server.log.wait_idle(quiet=0.05)
        transfers = server.log.since(0)
    assert [t.path for t in transfers] == ["/a.js", "/nope/"]

# --- pages and links ----------------------------------------------------------------------------------------

def _site(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_pages_are_found_home_first_with_their_addresses(tmp_path: Path) -> None:
    site = _site(tmp_path, {"index.html": '<link rel="canonical" href="https://ex.org/">', "b/index.html": "",
                            "a/index.html": "", "404.html": "", "old/index.html": '<meta http-equiv="refresh" '
                            'content="0; url=../a/">'})
    pages = find_pages(site)
    assert [p.url for p in pages] == ["", "404.html", "a/", "b/", "old/"]
    assert [p.label for p in pages][:3] == ["/", "/404.html", "/a/"]
    assert [p.slug for p in pages][:3] == ["home", "404", "a"]
    assert [p.redirect for p in pages] == [False, False, False, False, True]
    assert canonical_site_url(site) == "https://ex.org/"
    assert url_of("families/x/handout/index.html") == "families/x/handout/"
    assert is_redirect('<META HTTP-EQUIV="Refresh" content="0">')


def test_one_page_of_each_kind_stands_for_the_pages_that_differ_only_in_a_study_of_the_same_kind() -> None:
    urls = ["", "families/", "families/b/", "families/b/results/", "families/a/results/", "families/a/",
            "families/p/", "es/families/a/results/", "clinicians/b/", "clinicians/q/", "privacy/"]
    pages = [Page(u, Path(u or "index.html")) for u in urls]
    chosen = one_of_each_kind(pages, {"a": "records", "b": "records", "p": "aggregate", "q": "aggregate"})
    assert [p.url for p in chosen] == ["", "clinicians/b/", "clinicians/q/", "es/families/a/results/", "families/",
                                       "families/a/", "families/a/results/", "families/p/", "privacy/"]


@pytest.mark.parametrize(("href", "kind", "path", "fragment"), [
    ("../", "internal", "families/", ""),
    ("../../clinicians/#results", "internal", "clinicians/", "results"),
    ("#top", "internal", "families/x/", "top"),
    ("https://evidence.example.org/families/x/", "internal", "families/x/", ""),  # the canonical address
    ("https://www.nice.org.uk/guidance", "external", "", ""),
    ("mailto:team@example.org", "external", "", ""),
    ("data:image/png;base64,AA", "ignored", "", ""),
    ("javascript:void(0)", "ignored", "", ""),
])
def test_links_are_resolved_against_the_page(href: str, kind: str, path: str, fragment: str) -> None:
    target = classify_link(href, "families/x/", "https://evidence.example.org/")
    assert (target.kind, target.path, target.fragment) == (kind, path, fragment)


def test_link_checker_finds_missing_files_and_anchors_and_lists_external_links(tmp_path: Path) -> None:
    site = _site(tmp_path, {
        "index.html": '<h2 id="intro">x</h2><a href="a/#intro">ok</a><a href="a/#gone">bad anchor</a>'
                      '<a href="missing/">bad file</a><a href="#intro">self</a><img src="i.svg" alt="">'
                      '<a href="https://example.org/">out</a><a href="https://example.org/">again</a>',
        "a/index.html": '<a name="intro"></a><link rel="stylesheet" href="../i.svg">',
        "i.svg": "<svg/>",
    })
    checker = LinkChecker(site)
    home, page_a = (checker.check(Page(url, site / file)) for url, file in (("", "index.html"), ("a/", "a/index.html")))
    assert home.internal == 5
    assert home.broken == ["a/#gone (no id 'gone' in /a/)", "missing/ (no file for /missing/)"]
    assert home.external == ["https://example.org/"]
    assert (page_a.internal, page_a.broken) == (1, [])


def test_parse_html_collects_srcset_and_meta_refresh_targets() -> None:
    parsed = parse_html('<img srcset="a.png 1x, b.png 2x" alt=""><meta http-equiv="refresh" content="0; URL=../new/">')
    assert parsed.refs == ["a.png", "b.png", "../new/"]


# --- print, HTML validity, settings -------------------------------------------------------------------------

def test_qr_must_encode_the_family_page_under_site_url() -> None:
    want = "https://evidence.example.org/families/example-clinic-records/"
    assert expected_qr_url("https://evidence.example.org/", "families/example-clinic-records/handout/") == want
    assert expected_qr_url("https://evidence.example.org", "families/example-clinic-records/handout/") == want


def test_a_medicines_handout_qr_must_encode_its_topic_page_in_the_same_language() -> None:
    site = "https://evidence.example.org/"
    assert expected_qr_url(site, "families/topics/upadacitinib/handout/") == site + "families/topics/upadacitinib/"
    assert expected_qr_url(site, "es/families/topics/upadacitinib/handout/") == (
        site + "es/families/topics/upadacitinib/")


def test_vnu_messages_are_grouped_by_file_with_line_numbers(tmp_path: Path) -> None:
    output = json.dumps({"messages": [
        {"type": "error", "url": f"file:{tmp_path}/index.html", "lastLine": 7, "message": "Bad value."},
        {"type": "info", "url": f"file:{tmp_path}/index.html", "message": "ignored"},
    ]})
    assert parse_messages(output, tmp_path) == {(tmp_path / "index.html").resolve(): ["line 7: Bad value."]}
    assert parse_messages("", tmp_path) == {}


def test_family_budgets_default_to_the_issue_figures() -> None:
    settings = Settings()
    assert (settings.family_first_visit_kb, settings.family_repeat_visit_kb) == (150, 40)
    assert settings.is_family("families/x/") and not settings.is_family("clinicians/x/")


def test_a_missing_browser_skips_loudly_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    from test_site_gates import require_browser_tools

    settings = Settings(chromium=Path("/nonexistent/chromium"))
    monkeypatch.delenv("CI", raising=False)
    with pytest.warns(UserWarning, match="BROWSER GATES NOT RUN"), pytest.raises(pytest.skip.Exception) as skipped:
        require_browser_tools(settings)
    assert "Chromium at /nonexistent/chromium (install it with: apt-get install -y chromium)" in str(skipped.value)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        require_browser_tools(settings)
