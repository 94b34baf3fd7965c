"""The home page and the audience index pages stay short and readable however many made-up studies a library
holds; the lists of all studies list every one, in parts of a fixed size, so no page grows with the library."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace

from conftest import MINIMAL
from evidence_site import paths
from evidence_site.pipeline import generate, load_studies, site_inputs
from evidence_site.readability import MAX_GRADE, grade_page
from evidence_site.render import list_pages, made_up_lists

REAL = "cohen-2025-apt-cd"  # a published aggregate study
MADE_UP = [f"example-{k}" for k in range(1, 5)]  # more than the index lists


def test_index_pages_list_real_studies_first_and_a_few_made_up_ones_each_marked_once(
        tmp_path: Path) -> None:
    studies = tmp_path / "studies"
    shutil.copytree(paths.STUDIES / REAL, studies / REAL)
    for sid in MADE_UP:
        shutil.copytree(MINIMAL, studies / sid)
    templates = tmp_path / "templates"  # lists of two studies a page, so that this small library needs three
    shutil.copytree(paths.TEMPLATES, templates)
    plan = templates / "pages.yml"
    text, lists = re.subn(r"per_page: \d+,", "per_page: 2,", plan.read_text(encoding="utf-8"))
    assert lists == 2  # one list of studies per audience
    plan.write_text(text, encoding="utf-8")
    generated = generate(load_studies(studies), templates, site=site_inputs())  # the reading gate passes
    index = generated.files["families/index.md"].decode()
    examples = index.index("## Example pages")
    assert index.index(f"({REAL}/index.md)") < examples  # real studies first, in full
    listed = [line for line in index.splitlines() if re.search(r"\]\(example-\d/index\.md\)", line)]
    assert len(listed) == 3 and index.index(listed[0]) > examples
    assert all(len(re.findall("made-up", line, re.IGNORECASE)) == 1 for line in listed), listed
    assert "(studies.md#made-up-examples)" in index  # the rest: on the list of all studies, where they begin
    assert grade_page("families/", index).grade <= MAX_GRADE
    every = generated.files["families/studies.md"].decode()
    heading = every.index("## Made-up examples")
    assert every.index(f"({REAL}/index.md)") < heading < every.index(f"({MADE_UP[0]}/index.md)")
    assert ('<nav class="list-parts" aria-label="Pages of this list" markdown>\nPage 1 of 3: <strong '
            'aria-current="page">page&nbsp;1</strong>, [page&nbsp;2](studies-2.md), [page&nbsp;3](studies-3.md).\n'
            '</nav>') in every  # above the list, a landmark; the current part marked; "page 2" never broken
    assert every.count('aria-label="Pages of this list"') == 1  # below the list, the same links, not a landmark
    assert every.count("Page 1 of 3:") == 2
    assert "Here is every study on this site, on 3 pages." in every  # not "here is every study" on each part
    assert grade_page("families/studies/", every).grade <= MAX_GRADE
    for audience in ("families", "clinicians"):  # every study on exactly one part; no part longer than two
        parts = [generated.files[f"{audience}/studies{suffix}.md"].decode() for suffix in ("", "-2", "-3")]
        assert f"{audience}/studies-4.md" not in generated.files
        listed = [re.findall(r"\]\(\.\./([\w-]+)/index\.md\)|\]\(([\w-]+)/index\.md\)", part) for part in parts]
        ids = [sorted({a or b for a, b in found}) for found in listed]
        assert sorted(i for part in ids for i in part) == sorted([REAL, *MADE_UP]), ids
        assert all(len(part) <= 2 for part in ids), ids
        assert "page 3 of 3" in parts[2].splitlines()[1]  # its own title
    assert [p.url for p in generated.pages if p.listed][:3] == ["families/studies/", "families/studies-2/",
                                                                 "families/studies-3/"]
    clinicians = generated.files["clinicians/index.md"].decode()
    assert len(re.findall(r"\]\(example-\d/index\.md\) \(synthetic demonstration data\)", clinicians)) == 3
    assert "[index of studies](studies.md)" in clinicians
    home = generated.files["index.md"].decode()
    assert home.count("**made-up example data** that show") == 3
    assert "(families/studies.md#made-up-examples)" in home
    nav = str(generated.nav())  # a list's first part in the menu; the others are linked from it
    assert "families/studies.md" in nav and "studies-2.md" not in nav


def test_made_up_examples_are_linked_on_the_part_of_the_list_where_they_begin() -> None:
    studies = [SimpleNamespace(id=f"made-up-{k}", synthetic=True) for k in range(3)]
    studies.insert(1, SimpleNamespace(id="real", synthetic=False))
    entry = {"slug": "studies", "template": "t", "title": "All", "per_page": 1, "part_title": "All, {part}/{parts}"}
    pages = list_pages(studies, entry, "families")  # type: ignore[arg-type]
    assert [(p.md_path, p.title, p.listed) for p in pages] == [
        ("families/studies.md", "All", ("real",)), ("families/studies-2.md", "All, 2/4", ("made-up-0",)),
        ("families/studies-3.md", "All, 3/4", ("made-up-1",)), ("families/studies-4.md", "All, 4/4", ("made-up-2",))]
    assert made_up_lists(pages, {s.id: s for s in studies}) == {"families": "families/studies-2.md"}
    whole = list_pages(studies, entry | {"per_page": 10}, "families")  # type: ignore[arg-type]
    assert [(p.md_path, p.parts, len(p.listed)) for p in whole] == [("families/studies.md", (), 4)]
