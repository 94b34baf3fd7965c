"""A project's own hand-written pages in the menu: data/site.yml ``about_pages`` (no code to edit)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from evidence_site import outputs, paths
from evidence_site.errors import BuildError
from evidence_site.numbers import NumberBook
from evidence_site.pipeline import Generated, site_inputs


def _data(tmp_path: Path, about: str) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    text = (paths.DATA / "site.yml").read_text(encoding="utf-8")
    assert "\nabout_pages: []\n" in text  # the project's own list, replaced here
    (data / "site.yml").write_text(text.replace("\nabout_pages: []\n", "\n") + "\n" + about, encoding="utf-8")
    return data


def test_a_page_listed_in_site_yml_is_in_the_menu_after_the_privacy_page_with_its_title_escaped(
        tmp_path: Path) -> None:
    data = _data(tmp_path, "about_pages:\n  - title: Our 'clinic' & \"team\"\n    page: clinic/contact.md\n"
                           "  - title: Who we are\n    page: who.md\n")
    about = site_inputs(paths.MKDOCS_YML, data)["about_pages"]
    assert about == [("Our 'clinic' & \"team\"", "clinic/contact.md"), ("Who we are", "who.md")]
    nav = Generated([], NumberBook(), [], {}).nav(about)
    assert nav[-1] == {"About this site": [{"Privacy and small numbers": "privacy.md"},
                                           {"Our &#x27;clinic&#x27; &amp; &quot;team&quot;": "clinic/contact.md"},
                                           {"Who we are": "who.md"}]}


def test_no_about_pages_leaves_the_menu_as_it_was(tmp_path: Path) -> None:
    about = site_inputs(paths.MKDOCS_YML, _data(tmp_path, ""))["about_pages"]
    assert about == []
    assert Generated([], NumberBook(), [], {}).nav(about)[-1] == {
        "About this site": [{"Privacy and small numbers": "privacy.md"}]}


@pytest.mark.parametrize(("entry", "problem"), [
    ("  - page: who.md\n", "has no title"),
    ("  - title: Who\n    page: who.html\n", "not a Markdown file's docs-relative path"),
    ("  - title: Who\n    page: ../secrets.md\n", "not a Markdown file's docs-relative path"),
    ("  - title: Who\n    page: /etc/who.md\n", "not a Markdown file's docs-relative path"),
    ("  - title: Who\n    page: families/who.md\n", "where the generator writes its own pages"),
    ("  - title: Home\n    page: index.md\n", "where the generator writes its own pages"),
    ("  - title: Privacy again\n    page: privacy.md\n", "privacy.md is in the menu always"),
    ("  - title: Twice\n    page: fine.md\n", "listed twice (also in about_pages[0])"),
    ("  - Who we are\n", "is not a `title:` and a `page:`"),
    ("  - Who we are: who.md\n", "has a field the menu does not know: Who we are"),
    ("  - title: Who\n    path: who.md\n", "has a field the menu does not know: path"),
    ("  - title: Who\n    titel: typo\n    page: who.md\n", "has a field the menu does not know: titel"),
    ("  - title: 2026\n    page: who.md\n", "title is not text"),
    ("  - title: Who\n", "has no page"),
    ('  - title: "Contact</title><script>alert(1)</script>"\n    page: who.md\n', "The title has < or >"),
])
def test_an_entry_that_is_not_a_title_and_a_hand_written_page_stops_the_build_naming_its_line(
        tmp_path: Path, entry: str, problem: str) -> None:
    data = _data(tmp_path, "about_pages:\n  - title: Fine\n    page: fine.md\n" + entry)
    lines = (data / "site.yml").read_text(encoding="utf-8").splitlines()
    line = len(lines) - entry.count("\n") + 1  # the entry's first line
    with pytest.raises(BuildError) as caught:
        site_inputs(paths.MKDOCS_YML, data)
    message = str(caught.value)
    assert problem in message and "about_pages[1]" in message and f"line {line}" in message, message
    assert "hint:" in message


def test_about_pages_that_is_not_a_list_stops_the_build(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="`about_pages` is not a list of pages"):
        site_inputs(paths.MKDOCS_YML, _data(tmp_path, "about_pages: who.md\n"))


def test_a_listed_page_missing_from_docs_stops_the_build_before_the_engine_and_a_present_one_is_built(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[bool] = []

    def engine(config: Path, docs: Path, site: Path, *args: object, **kwargs: object) -> None:
        started.append(True)
        shutil.copytree(docs, site)

    monkeypatch.setattr("evidence_site.write.mkdocs_build", engine)
    nav = Generated([], NumberBook(), [], {}).nav([("Who we are", "clinic/who.md")])
    output = outputs.Output({"families/index.md": b"hello"}, nav, {}, {}, {}, 0, ())
    docs = tmp_path / "docs"
    (docs / "clinic").mkdir(parents=True)
    (docs / "privacy.md").write_text("privacy", encoding="utf-8")
    with pytest.raises(BuildError, match=r"about_pages lists docs/clinic/who\.md, which is not there"):
        outputs.write_output(output, docs, tmp_path / "site", tmp_path / "mkdocs.yml", tmp_path / "build", "mkdocs")
    assert started == [] and not (tmp_path / "site").exists()
    (docs / "clinic" / "who.md").write_text("# Who we are", encoding="utf-8")
    outputs.write_output(output, docs, tmp_path / "site", tmp_path / "mkdocs.yml", tmp_path / "build", "mkdocs")
    assert (tmp_path / "site" / "clinic" / "who.md").read_text(encoding="utf-8") == "# Who we are"


@pytest.mark.parametrize("name", ["Sitio</title><script>alert(1)</script>", 'Sitio" onload="alert(1)'])
def test_a_translated_site_name_that_is_not_plain_words_stops_the_build(tmp_path: Path, name: str) -> None:
    """The engine prints a translated site's name in every page's <title> without escaping it."""
    data = _data(tmp_path, "")
    text = (data / "site.yml").read_text(encoding="utf-8")
    start = text.index("    site_name: ")
    end = text.index("\n", start)
    (data / "site.yml").write_text(text[:start] + f"    site_name: '{name}'" + text[end:], encoding="utf-8")
    with pytest.raises(BuildError, match=r"translations\.es\.site_name: the translated site's name is not plain"):
        site_inputs(paths.MKDOCS_YML, data)
