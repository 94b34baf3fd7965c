"""The home page and the audience index pages stay short and readable however many made-up studies a library
holds; the lists of all studies list every one."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import MINIMAL
from evidence_site import paths
from evidence_site.pipeline import generate, load_studies, site_inputs
from evidence_site.readability import MAX_GRADE, grade_page

REAL = "cohen-2025-apt-cd"  # a published aggregate study
MADE_UP = [f"example-{k}" for k in range(1, 5)]  # more than the index lists


def test_index_pages_list_real_studies_first_and_a_few_made_up_ones_each_marked_once(
        tmp_path: Path) -> None:
    studies = tmp_path / "studies"
    shutil.copytree(paths.STUDIES / REAL, studies / REAL)
    for sid in MADE_UP:
        shutil.copytree(MINIMAL, studies / sid)
    generated = generate(load_studies(studies), paths.TEMPLATES, site=site_inputs())  # the reading gate passes
    index = generated.files["families/index.md"].decode()
    examples = index.index("## Example pages")
    assert index.index(f"({REAL}/index.md)") < examples  # real studies first, in full
    listed = [line for line in index.splitlines() if re.search(r"\]\(example-\d/index\.md\)", line)]
    assert len(listed) == 3 and index.index(listed[0]) > examples
    assert all(len(re.findall("made-up", line, re.IGNORECASE)) == 1 for line in listed), listed
    assert "(studies.md#made-up-examples)" in index  # the rest: on the list of all studies
    assert grade_page("families/", index).grade <= MAX_GRADE
    every = generated.files["families/studies.md"].decode()
    heading = every.index("## Made-up examples")
    assert every.index(f"({REAL}/index.md)") < heading
    assert all(heading < every.index(f"({sid}/index.md)") for sid in MADE_UP)
    clinicians = generated.files["clinicians/index.md"].decode()
    assert len(re.findall(r"\]\(example-\d/index\.md\) \(synthetic demonstration data\)", clinicians)) == 3
    assert "[index of studies](studies.md)" in clinicians
    table = generated.files["clinicians/studies.md"].decode()
    assert all(f"({sid}/index.md)" in table for sid in MADE_UP)
    home = generated.files["index.md"].decode()
    assert home.count("**made-up example data** that show") == 3
    assert "(families/studies.md#made-up-examples)" in home
