"""Addresses printed on handouts never break: renaming a page fails, a redirect page makes it pass again."""

from __future__ import annotations

from pathlib import Path

from evidence_site import paths
from evidence_site.urls import (
    explain_missing,
    load_published_urls,
    missing_urls,
    redirect_files,
    redirect_html,
    relative_url,
    served_file,
)

PUBLISHED_LIST = Path(__file__).parent / "published_urls.txt"
FAMILY, HANDOUT = "families/demo-study/", "families/demo-study/handout/"
PUBLISHED = ["", FAMILY, HANDOUT, "clinicians/demo-study/"]


def build_site(site: Path, urls: list[str]) -> Path:
    """A tiny built site: one index.html per directory URL."""
    for url in urls:
        page = site / served_file(url)
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<html><body><article>{url}</article></body></html>", encoding="utf-8")
    return site


def test_every_published_url_served(tmp_path: Path):
    site = build_site(tmp_path / "site", PUBLISHED)
    assert missing_urls(PUBLISHED, site) == []


def test_renaming_a_study_page_fails_then_a_redirect_fixes_it(tmp_path: Path):
    renamed = ["", "families/demo-study-2026/", "families/demo-study-2026/handout/", "clinicians/demo-study/"]
    site = build_site(tmp_path / "site", renamed)

    missing = missing_urls(PUBLISHED, site)
    assert missing == [FAMILY, HANDOUT]
    message = explain_missing(missing)
    assert "families/demo-study/  (expected site/families/demo-study/index.html)" in message
    assert "redirect page" in message and "data/redirects.yml" in message

    for path, page in redirect_files({FAMILY: "families/demo-study-2026/",
                                      HANDOUT: "families/demo-study-2026/handout/"}).items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(page, encoding="utf-8")
    assert missing_urls(PUBLISHED, site) == []
    redirect = (site / "families/demo-study/handout/index.html").read_text(encoding="utf-8")
    assert '<meta http-equiv="refresh" content="0; url=../../demo-study-2026/handout/">' in redirect


def test_deleting_the_home_page_is_caught(tmp_path: Path):
    site = build_site(tmp_path / "site", PUBLISHED[1:])
    assert missing_urls(["./", FAMILY], site) == [""]
    assert "./ (home page)" in explain_missing([""])


def test_redirect_page_has_meta_refresh_canonical_and_a_link():
    page = redirect_html("../new/?a=1&b=2")
    assert '<meta http-equiv="refresh" content="0; url=../new/?a=1&amp;b=2">' in page
    assert '<link rel="canonical" href="../new/?a=1&amp;b=2">' in page
    assert '<a href="../new/?a=1&amp;b=2">' in page
    assert page.startswith("<!doctype html>") and '<html lang="en">' in page


def test_relative_url():
    assert relative_url("families/a/", "families/b/") == "../b/"
    assert relative_url("families/a/handout/", "families/b/handout/") == "../../b/handout/"
    assert relative_url("old.html", "families/b/") == "families/b/"
    assert relative_url("families/a/", "") == "../../"


def test_the_committed_list_is_well_formed():
    urls = load_published_urls(PUBLISHED_LIST)
    assert len(urls) == len(set(urls)), "a URL is listed twice in tests/published_urls.txt"
    assert "" in urls, "the home page is published"
    for url in urls:
        assert not url.startswith(("/", "http")), f"{url!r}: write site-relative URLs, e.g. families/<study-id>/"
        assert url == "" or url.endswith("/") or "." in url.rsplit("/", 1)[-1], f"{url!r}: end directory URLs with /"
    for study in ("example-clinic-records",):
        assert f"families/{study}/" in urls and f"families/{study}/handout/" in urls


def test_a_redirect_in_data_redirects_yml_keeps_an_old_address_alive(tmp_path):
    import shutil

    from conftest import MINIMAL
    from evidence_site.pipeline import build_site

    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data / "studies" / "minimal")
    (data / "redirects.yml").write_text("redirects:\n  families/old-name/: families/minimal/\n", encoding="utf-8")
    docs = tmp_path / "docs"
    shutil.copytree(paths.DOCS, docs, ignore=shutil.ignore_patterns(*paths.GENERATED_DOCS, "index.md"))
    site = tmp_path / "site"
    build_site(data / "studies", paths.TEMPLATES, docs, site, paths.MKDOCS_YML, tmp_path / "build",
               progress=lambda _: None)
    assert missing_urls(["families/old-name/", "families/minimal/"], site) == []
    page = (site / "families" / "old-name" / "index.html").read_text(encoding="utf-8")
    assert 'http-equiv="refresh" content="0; url=../minimal/"' in page


def test_a_redirect_loop_is_found_once_with_its_addresses_in_order():
    from evidence_site.urls import redirect_loops

    assert redirect_loops({"families/a/": "families/a/"}) == [["families/a/"]]
    assert redirect_loops({"x/": "families/a/", "families/a/": "/families/b/", "families/b/": "families/a/"}) == [
        ["families/a/", "families/b/"]]
    assert redirect_loops({"families/a/": "families/b/", "families/b/": "families/c/"}) == []


def test_a_redirect_to_a_page_the_site_does_not_have_is_found_at_the_end_of_its_chain(tmp_path: Path):
    from evidence_site.urls import site_pages, unserved_targets

    docs = tmp_path / "docs"
    (docs / "families").mkdir(parents=True)
    (docs / "privacy.md").write_text("hand-written", encoding="utf-8")
    (docs / "families" / "stale.md").write_text("left by an old build", encoding="utf-8")
    pages = site_pages(["index.md", "families/a/index.md", "families/a/handout.md", "es/families/a/index.md"], docs)
    assert pages == {"index.html", "families/a/index.html", "families/a/handout/index.html",
                     "es/families/a/index.html", "privacy/index.html"}
    redirects = {"old/": "families/a/", "older/": "old/", "h/": "families/a/handout/", "p/": "privacy/",
                 "gone/": "families/stale/", "typo/": "families/b/", "via/": "typo/"}
    assert unserved_targets(redirects, pages) == [("gone/", "families/stale/"), ("typo/", "families/b/")]


def test_a_redirect_loop_in_data_redirects_yml_names_its_line_and_entry(tmp_path: Path):
    import pytest

    from evidence_site.errors import BuildError
    from evidence_site.load import load_redirects

    path = tmp_path / "redirects.yml"
    path.write_text("# moved pages\nredirects:\n  families/x/: families/y/\n  families/a/: families/b/\n"
                    "  families/b/: families/a/\n", encoding="utf-8")
    with pytest.raises(BuildError) as err:
        load_redirects(path)
    text = str(err.value)
    assert "redirects.yml, line 4, field 'families/a/': The redirects go round in a loop" in text
    assert "found:    families/a/ -> families/b/ -> families/a/" in text and "hint:" in text


def test_a_redirect_to_a_missing_page_stops_the_build_before_anything_is_written(tmp_path):
    import shutil

    import pytest

    from conftest import MINIMAL
    from evidence_site.errors import BuildError
    from evidence_site.pipeline import build_site

    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data / "studies" / "minimal")
    (data / "redirects.yml").write_text("redirects:\n  families/old-name/: families/minimal/\n"
                                        "  families/older/: families/no-such-study/\n", encoding="utf-8")
    docs = tmp_path / "docs"
    shutil.copytree(paths.DOCS, docs, ignore=shutil.ignore_patterns(*paths.GENERATED_DOCS, "index.md"))
    with pytest.raises(BuildError) as err:
        build_site(data / "studies", paths.TEMPLATES, docs, tmp_path / "site", paths.MKDOCS_YML, tmp_path / "build",
                   progress=lambda _: None)
    text = str(err.value)
    assert "redirects.yml, line 3, field 'families/older/': The new address is not a page of the site" in text
    assert "families/old-name/" not in text and "Nothing was written" in text
    assert not (tmp_path / "site").exists()


def test_a_hand_written_page_at_a_generated_pages_address_stops_the_build_before_anything_is_written(tmp_path):
    """docs/families.md and the generated families/index.md would both be published at /families/ (MkDocs keeps one
    of them without a word: an outside tester); the build names the page and writes nothing."""
    import shutil

    import pytest

    from conftest import MINIMAL
    from evidence_site.errors import BuildError
    from evidence_site.pipeline import build_site
    from evidence_site.urls import clashing_pages

    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data / "studies" / "minimal")
    docs = tmp_path / "docs"
    shutil.copytree(paths.DOCS, docs, ignore=shutil.ignore_patterns(*paths.GENERATED_DOCS, "index.md"))
    (docs / "families.md").write_text("# Our own page for families\n", encoding="utf-8")
    (docs / "notes").mkdir()
    (docs / "notes" / "index.md").write_text("# Notes\n", encoding="utf-8")
    (docs / "notes.md").write_text("# Notes again\n", encoding="utf-8")
    (docs / "README.md").write_text("# Read me\n", encoding="utf-8")  # MkDocs takes it for the home page
    assert clashing_pages(["index.md", "families/index.md", "families/minimal/index.md"], docs) == [
        ("README.md", "index.md"), ("families.md", "families/index.md"), ("notes/index.md", "notes.md")]
    with pytest.raises(BuildError) as err:
        build_site(data / "studies", paths.TEMPLATES, docs, tmp_path / "site", paths.MKDOCS_YML, tmp_path / "build",
                   progress=lambda _: None)
    text = str(err.value)
    assert "docs/families.md: The page would be published at /families/, where docs/families/index.md is published" \
        in text, text
    assert "docs/notes/index.md" in text and "Nothing was written" in text
    assert "Keep one of docs/notes/index.md and docs/notes.md" in text  # two hand-written pages: keep one
    assert "docs/README.md: The page would be published at /, where docs/index.md is published" in text
    assert not (tmp_path / "site").exists()


def test_a_clashing_hand_written_page_added_after_a_build_stops_the_next_build_though_no_input_changed(tmp_path):
    """A page added to the hand-written docs/ changes none of generation's inputs, so the next build reuses the
    last output (outputs.py); the clash is checked there too (an outside tester: the page was dropped silently)."""
    import shutil

    import pytest

    from conftest import MINIMAL
    from evidence_site.errors import BuildError
    from evidence_site.outputs import build

    data = tmp_path / "data"
    shutil.copytree(MINIMAL, data / "studies" / "minimal")
    for name in ("vocab", "medicines"):
        shutil.copytree(paths.DATA / name, data / name)
    docs = tmp_path / "docs"
    shutil.copytree(paths.DOCS, docs, ignore=shutil.ignore_patterns(*paths.GENERATED_DOCS, "index.md"))
    lines: list[str] = []
    args = (data / "studies", paths.TEMPLATES, docs, tmp_path / "site", paths.MKDOCS_YML, tmp_path / "build")
    build(*args, progress=lines.append)
    before = (tmp_path / "site" / "families" / "index.html").read_bytes()
    lines.clear()
    build(*args, progress=lines.append)  # nothing changed at all: not even the engine runs (outputs.SiteRecord)
    assert any("nothing to build" in line for line in lines) and not any("engine" in line for line in lines)
    (docs / "families.md").write_text("# Our own page for families\n", encoding="utf-8")
    lines.clear()
    with pytest.raises(BuildError, match=r"docs/families\.md: The page would be published at /families/"):
        build(*args, progress=lines.append)
    assert any("no input changed" in line for line in lines)  # the reused output's path
    assert (tmp_path / "site" / "families" / "index.html").read_bytes() == before
