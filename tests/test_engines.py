"""Both engines build the same staged folder: every page exists in both outputs with the same visible numbers."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
import yaml

from evidence_site import engines, paths


def test_staged_config_is_complete_and_engine_neutral(tmp_path: Path) -> None:
    nav = [{"Home": "index.md"}, {"For families": ["families/index.md", {"A": [{"B": "families/a/b.md"}]}]}]
    config = engines.staged_config(paths.MKDOCS_YML, tmp_path, tmp_path / "docs", tmp_path / "site", nav,
                                   {"data_fingerprint": "abc"})
    written = yaml.safe_load(engines.write_config(config, tmp_path / "mkdocs.yml").read_text(encoding="utf-8"))
    assert written["nav"] == nav
    assert written["docs_dir"] == "docs" and written["site_dir"] == "site"
    assert Path(written["theme"]["custom_dir"]).is_absolute() and Path(written["theme"]["custom_dir"]).is_dir()
    assert written["extra"]["data_fingerprint"] == "abc" and written["extra"]["nav_width"] == 2
    assert written["extra"]["family_reading_grade_max"] == 8  # the project's own extra is kept


def test_theme_override_uses_no_python_string_methods() -> None:
    """MiniJinja (Zensical) has no str methods: `unknown method: string has no method named split`."""
    text = (paths.THEME_OVERRIDES / "main.html").read_text(encoding="utf-8")
    assert not re.search(r"\.(split|startswith|endswith|strip|lower|upper|format|join)\(", text)


def _visible(page: Path) -> tuple[str, list[str]]:
    """The article's visible text and the numbers in it."""
    text = page.read_text(encoding="utf-8")
    article = re.search(r"<article[^>]*>(.*?)</article>", text, re.DOTALL)
    body = article.group(1) if article else text
    body = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", body, flags=re.DOTALL)
    body = re.sub(r'<a [^>]*class="headerlink"[^>]*>.*?</a>', " ", body, flags=re.DOTALL)
    body = html.unescape(re.sub(r"<[^>]+>", " ", body))
    words = " ".join(body.split())
    return words, re.findall(r"\d+(?:[.,]\d+)*%?", words)


@pytest.mark.slow
@pytest.mark.xdist_group("zensical")
def test_mkdocs_and_zensical_give_the_same_pages_and_numbers(demo_build: Path, zensical_build: Path) -> None:
    outputs = {"mkdocs": demo_build / "site", "zensical": zensical_build / "site"}
    pages = {e: {p.relative_to(s).as_posix() for p in s.rglob("index.html")} for e, s in outputs.items()}
    assert pages["mkdocs"] == pages["zensical"]
    assert len(pages["mkdocs"]) > 20
    for page in sorted(pages["mkdocs"]):
        m_text, m_numbers = _visible(outputs["mkdocs"] / page)
        z_text, z_numbers = _visible(outputs["zensical"] / page)
        assert m_numbers == z_numbers, page
        assert m_text == z_text, page
    assert (outputs["zensical"] / "numbers.json").read_bytes() == (outputs["mkdocs"] / "numbers.json").read_bytes()


def test_large_libraries_list_only_the_audience_index_in_the_menu() -> None:
    sections = [{f"Study {i}": [{"Overview": f"families/s{i}/index.md"}]} for i in range(engines.NAV_STUDIES_MAX + 1)]
    nav = [{"Home": "index.md"}, {"For families": ["families/index.md", *sections]}, {"About": ["privacy.md"]}]
    assert engines.compact_nav(nav) == [{"Home": "index.md"}, {"For families": ["families/index.md"]},
                                        {"About": ["privacy.md"]}]
    small = [{"Home": "index.md"}, {"For families": ["families/index.md", *sections[:3]]}]
    assert engines.compact_nav(small) == small


def test_a_kept_staged_config_is_reused_only_for_the_same_inputs(tmp_path: Path) -> None:
    cache, stage = tmp_path / "cache", tmp_path / "stage"
    (stage / "docs").mkdir(parents=True)
    nav = [{"Home": "index.md"}]

    def staged(nav: list, extra: dict) -> str:
        path = engines.write_staged_config(paths.MKDOCS_YML, stage / "docs", stage / "site", nav, extra, None,
                                           stage / "mkdocs.yml", cache)
        return path.read_text(encoding="utf-8")

    fresh = engines.write_config(engines.staged_config(paths.MKDOCS_YML, stage, stage / "docs", stage / "site", nav,
                                                       {"data_date": "1 May"}), tmp_path / "fresh.yml")
    first = staged(nav, {"data_date": "1 May"})
    assert first == fresh.read_text(encoding="utf-8") == staged(nav, {"data_date": "1 May"})  # kept, the same
    assert len(list((cache / "engine-config").glob("mkdocs-*.yml"))) == 1
    assert "2 May" in staged(nav, {"data_date": "2 May"})  # a changed footer value is never served the old text
    assert "families/index.md" in staged([*nav, {"For families": ["families/index.md"]}], {"data_date": "2 May"})
    assert len(list((cache / "engine-config").glob("mkdocs-*.yml"))) == 1  # only the newest is kept
    latest = staged([*nav, {"For families": ["families/index.md"]}], {"data_date": "2 May"})
    for damage in (lambda text: text[:len(text) // 2], lambda text: b""):  # a truncated or emptied kept file
        kept = next((cache / "engine-config").glob("mkdocs-*.yml"))
        kept.write_bytes(damage(kept.read_bytes()))
        assert staged([*nav, {"For families": ["families/index.md"]}], {"data_date": "2 May"}) == latest


def test_the_theme_files_no_page_loads_are_left_out(tmp_path: Path) -> None:
    site = tmp_path / "site"
    scripts = site / "assets" / "javascripts"
    (scripts / "lunr" / "min").mkdir(parents=True)
    (site / "search").mkdir()
    (site / "search" / "search_index.json").write_text('{"config":{"lang":["es"],"separator":"x"},"docs":[]}')
    (scripts / "bundle.min.js").write_text("var a=1;\n//# sourceMappingURL=bundle.min.js.map\n")
    (scripts / "bundle.min.js.map").write_text("{}")
    for name in ("lunr.es", "lunr.de", "lunr.stemmer.support", "lunr.multi"):
        (scripts / "lunr" / "min" / f"{name}.min.js").write_text("//")
    for name in ("wordcut.js", "tinyseg.js"):
        (scripts / "lunr" / name).write_text("//")
    engines.prune_theme(site)
    assert sorted(p.relative_to(scripts).as_posix() for p in scripts.rglob("*.js")) == [
        "bundle.min.js", "lunr/min/lunr.es.min.js", "lunr/min/lunr.multi.min.js",
        "lunr/min/lunr.stemmer.support.min.js"]
    assert (scripts / "bundle.min.js").read_text() == "var a=1;\n"
    (site / "search" / "search_index.json").write_text('{"docs":[]}')  # an index of another form: keep every language
    (scripts / "lunr" / "min" / "lunr.de.min.js").write_text("//")
    engines.prune_theme(site)
    assert (scripts / "lunr" / "min" / "lunr.de.min.js").is_file()


def _mkdocs(config: Path, memo: Path | None = None) -> tuple[int, str]:
    """``mkdocs build --strict`` on ``config``, or ``mkdocs_run`` with ``memo``: (exit status, output)."""
    import os
    import subprocess
    import sys

    command = (engines.engine_command("mkdocs", config, memo) if memo is not None
               else [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config)])
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": str(engines.PACKAGE_ROOT)}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=config.parent)
    return done.returncode, done.stdout + done.stderr


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_mkdocs_with_the_last_builds_memo_builds_what_mkdocs_builds_and_never_serves_a_changed_page(
        demo_build: Path, tmp_path: Path) -> None:
    """The demonstration site's English pages built by ``mkdocs build --strict`` and by ``mkdocs_run`` with an
    empty memo, then with the memo of that build after one page was edited: the same files, byte for byte. The
    memo is read (a poisoned conversion shows on its page), a changed page is converted again, and a build that
    fails in strict mode leaves the memo as it was."""
    import pickle
    import shutil

    from evidence_site.cache import seal, unseal

    source = demo_build / "docs"
    shutil.copytree(source, tmp_path / "docs", ignore=lambda d, names: ["es"] if Path(d) == source else [])
    assert not (tmp_path / "docs" / "es").exists() and (tmp_path / "docs" / "families").is_dir()
    config = tmp_path / "mkdocs.yml"
    config.write_bytes(next((demo_build / "build" / "cache" / "engine-config").glob("mkdocs-*.yml")).read_bytes())
    memo = tmp_path / "memo.pickle"

    def built(with_memo: bool) -> dict[str, bytes]:
        status, output = _mkdocs(config, memo if with_memo else None)
        assert status == 0, output
        site = _tree(tmp_path / "site")
        shutil.rmtree(tmp_path / "site")
        return site

    plain = built(False)
    assert built(True) == plain  # an empty memo
    kept = memo.read_bytes()
    converted = unseal(kept)["converted"]
    assert len(converted) > 20
    poisoned = unseal(kept)
    for entry in poisoned["converted"].values():
        entry["content"] = "<p>POISONED</p>"
    memo.write_bytes(pickle.dumps(poisoned))  # not sealed: its bytes are not those the engine stored
    assert built(True) == plain
    memo.write_bytes(seal(poisoned))
    assert b"POISONED" in built(True)["families/index.html"]  # the memo is what is served for an unchanged page

    page = tmp_path / "docs" / "families" / "index.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more line, added after the first build.\n",
                    encoding="utf-8")
    memo.write_bytes(seal(poisoned))
    edited = built(True)
    assert b"One more line, added after the first build." in edited["families/index.html"]
    assert b"POISONED" not in edited["families/index.html"]  # an edited page: converted again
    memo.write_bytes(kept)
    assert built(True) == built(False)  # with the first build's memo: what MkDocs builds from the edited pages

    before = memo.read_bytes()
    page.write_text(page.read_text(encoding="utf-8") + "\n[A broken link](no-such-page.md)\n", encoding="utf-8")
    status, output = _mkdocs(config, memo)
    assert status != 0 and "no-such-page.md" in output, output
    assert memo.read_bytes() == before


def test_no_conversion_is_reused_when_a_markdown_extension_reads_other_files() -> None:
    """With pymdownx.snippets (or an include extension) a page's HTML depends on files other than its Markdown."""
    from evidence_site.mkdocs_run import markdown_key

    base = {"site_name": "x", "markdown_extensions": ["abbr", {"toc": {"permalink": False}}], "nav": [], "extra": {}}
    assert markdown_key(base) is not None
    assert markdown_key(base | {"nav": ["a.md"], "extra": {"data_fingerprint": "1"}}) == markdown_key(base)
    assert markdown_key(base | {"site_name": "y"}) != markdown_key(base)
    for reader in ("pymdownx.snippets", {"pymdownx.snippets": {"base_path": "."}}, "markdown_include.include"):
        assert markdown_key(base | {"markdown_extensions": ["abbr", reader]}) is None, reader


def test_env_tags_in_mkdocs_yml_are_written_back_for_the_engine_to_resolve() -> None:
    """MkDocs' ``!ENV`` tag (``site_url: !ENV [VAR, default]``) reaches the staged config as ``!ENV`` (it was
    written as ``!<ENV>``, which neither MkDocs nor the build could read back: an outside tester)."""
    from evidence_site.staged_yaml import dump_config, load_config

    text = "site_url: !ENV [SITE_URL, 'https://evidence.example.org/']\nsite_name: !ENV SITE_NAME\n"
    written = dump_config(load_config(text))
    assert "!ENV" in written and "!<ENV>" not in written, written
    assert dump_config(load_config(written)) == written
    from mkdocs.utils.yaml import get_yaml_loader

    resolved = yaml.load(written, Loader=get_yaml_loader())
    assert resolved["site_url"] == "https://evidence.example.org/"


def test_a_page_title_from_data_never_closes_the_title_element(tmp_path: Path) -> None:
    """Material prints a page's title through ``striptags``, which turns the menu's escaped &lt; back into <; the
    theme override escapes it again (an outside reviewer's menu title opened a script in the page's <title>)."""
    from evidence_site import escape
    from evidence_site.write import mkdocs_build

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Home\n", encoding="utf-8")
    (docs / "evil.md").write_text("# A page\n\nText.\n", encoding="utf-8")
    title = "Evil</title><script>alert(1)</script> & 'co'"
    nav = [{"Home": "index.md"}, {escape.html_text(title): "evil.md"}]
    mkdocs_build(paths.MKDOCS_YML, docs, tmp_path / "site", nav)
    page = (tmp_path / "site" / "evil" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    assert "<title>Evil&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#39;co&#39; - " in page


@pytest.mark.slow
def test_the_engine_keeps_unchanged_pages_and_files_as_built_and_writes_what_a_plain_build_leaves(
        demo_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``run_engine`` with MkDocs' memo (pages rendered from the memo, markup fixed and theme pruned in the engine
    process, unchanged files linked to the last build's site) leaves the very files that ``mkdocs build --strict``
    followed by ``fix_markup`` and ``prune_theme`` leaves; a page whose own inputs are unchanged comes from the
    memo, but a change the theme reads elsewhere (another page's title in the menu, the library's footer values
    on a page without its own) builds the pages again; and the last build's site is never changed."""
    import shutil

    from evidence_site.cache import seal, unseal

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1768435200")  # as a build sets it (the build date is in a page's key)
    source = demo_build / "docs"
    shutil.copytree(source, tmp_path / "docs", ignore=lambda d, names: ["es"] if Path(d) == source else [])
    config = tmp_path / "mkdocs.yml"
    config.write_bytes(next((demo_build / "build" / "cache" / "engine-config").glob("mkdocs-*.yml")).read_bytes())
    memo, site, last = tmp_path / "memo.pickle", tmp_path / "site", tmp_path / "last"

    def plain() -> dict[str, bytes]:
        status, output = _mkdocs(config)
        assert status == 0, output
        engines.fix_markup("mkdocs", site)
        engines.prune_theme(site)
        tree = _tree(site)
        shutil.rmtree(site)
        return tree

    def with_memo() -> dict[str, bytes]:
        engines.run_engine("mkdocs", config, site, memo, last if last.is_dir() else None)
        tree = _tree(site)
        if last.is_dir():
            linked = [p for p in site.rglob("*") if p.is_file() and p.stat().st_nlink > 1]
            assert len(linked) > len(tree) // 2
            assert all((last / p.relative_to(site)).read_bytes() == p.read_bytes() for p in linked)
            shutil.rmtree(last)
        site.rename(last)
        return tree

    first = plain()
    assert with_memo() == first  # an empty memo
    before = _tree(last)
    assert with_memo() == first  # every page from the memo, every file linked
    assert _tree(last) == before
    poisoned = unseal(memo.read_bytes())
    assert len(poisoned["themed"]) > 20
    poisoned["themed"] = {key: page.replace("</body>", "POISONED</body>") for key, page in poisoned["themed"].items()}
    memo.write_bytes(seal(poisoned))
    assert b"POISONED" in with_memo()["families/index.html"]  # what an unchanged page is built from

    page = tmp_path / "docs" / "families" / "index.md"  # its title is in every page's menu
    page.write_text(page.read_text(encoding="utf-8").replace("title: For families", "title: For all families", 1),
                    encoding="utf-8")
    memo.write_bytes(seal(poisoned))
    edited = with_memo()
    assert not any(b"POISONED" in data for name, data in edited.items() if name.endswith(".html"))
    assert edited == plain()

    memo.write_bytes(seal(poisoned | {"themed": {k: v.replace("</body>", "POISONED</body>")
                                                 for k, v in unseal(memo.read_bytes())["themed"].items()}}))
    text = config.read_text(encoding="utf-8")
    fingerprint = re.search(r"data_fingerprint: ['\"]?(\w+)", text)
    assert fingerprint, "the staged config gives the library's fingerprint"
    config.write_text(text.replace(fingerprint.group(1), "0123456789ab"), encoding="utf-8")
    rebuilt = with_memo()
    assert b"0123456789ab" in rebuilt["privacy/index.html"]  # a hand-written page shows the library's values
    assert b"POISONED" not in rebuilt["privacy/index.html"]
    assert b"POISONED" in rebuilt["clinicians/example-clinic-records/index.html"]  # a study's page: its own
