"""The fault corpus through the real build command: a clear, complete error, and nothing written.

Each folder of ``tests/fixtures/bad/`` is laid over the minimal study (``conftest.faulty_study``) and built
with ``scripts/build.py site`` in-process, into the docs/ and site/ of a good build made first. For each fault:
the exit status is non-zero; stderr names the file and column (and row, where the fault has one), what was
expected, what was found and a hint; and docs/ and site/ are byte-for-byte what the good build left.

Two faults are not in the data and are built here: a template that asks for a value that does not exist,
and a published figure that the data contradict (a warning, an error only with ``--strict-published``).
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import scan
import yaml

import build
from conftest import BAD, faulty_study, load_study
from evidence_site import paths
from evidence_site.errors import DataError
from evidence_site.render import MADE_UP_LISTED

# One group: the 'good' build is set up once, and no other process runs a build into it meanwhile.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]
STUDY = "example-clinic-records"
SPECS = {p.name: yaml.safe_load((p / "fault.yml").read_text(encoding="utf-8"))
         for p in sorted(BAD.iterdir()) if (p / "fault.yml").is_file()}
FAULTS = [name for name, spec in SPECS.items() if spec.get("outcome", "error") == "error"]
# Hostile text that is allowed: the build succeeds, and the text is shown, inert.
SAFE = [name for name, spec in SPECS.items() if spec.get("outcome") == "ok"]
KINDS = ("cell", "yaml-bounds", "csv-export", "file-type", "containment", "injection", "logic", "no-traceback",
         "data-yaml")
LOCATION = re.compile(r"^\d+\. (?P<file>[\w.]+\.(?:csv|yml)|study folder)(?:, (?:row|line) (?P<row>\d+))?"
                      r"(?:, (?:column|field) '(?P<column>[^']+)')?: ")


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A successful build of the demonstration study: the 'last good build' that faults must not touch."""
    root = tmp_path_factory.mktemp("good")
    shutil.copytree(paths.DOCS, root / "docs", ignore=shutil.ignore_patterns(*paths.GENERATED_DOCS, "index.md"))
    shutil.copytree(paths.STUDIES / STUDY, root / "studies" / STUDY)
    code, _, err = run(["site", "--studies", str(root / "studies"), *outputs(root)])
    assert code == 0, err
    return root


def outputs(root: Path) -> list[str]:
    return ["--docs", str(root / "docs"), "--site", str(root / "site")]


def run(argv: list[str]) -> tuple[int, str, str]:
    """``python scripts/build.py <argv>``, in-process: exit status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = build.main(argv)
    return code, out.getvalue(), err.getvalue()


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for folder in ("docs", "site") for p in sorted((root / folder).rglob("*")) if p.is_file()}


def test_the_corpus_covers_at_least_80_faults_of_every_kind() -> None:
    assert len(SPECS) >= 80, len(SPECS)
    kinds = [spec.get("kind", "cell") for spec in SPECS.values()]
    assert set(kinds) <= set(KINDS), set(kinds) - set(KINDS)
    for kind in KINDS:
        assert kinds.count(kind) >= 2, f"fewer than 2 faults of kind {kind!r}"
    assert len(SAFE) >= 20


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_stops_the_real_build_with_a_complete_message(fault: str, good: Path, tmp_path: Path) -> None:
    spec = SPECS[fault]
    before = snapshot(good)
    folder = faulty_study(fault, tmp_path)
    code, _, err = run(["site", "--studies", str(folder.parent), *outputs(good)])

    assert code != 0
    assert snapshot(good) == before, f"{fault}: docs/ or site/ changed"
    assert "Build failed." in err and "Nothing was written" in err
    assert "Traceback" not in err and not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", err), f"{fault}: raw output"
    assert "root:x:0:0" not in err, f"{fault}: printed a file outside the study"
    for part in spec["expect"]:
        assert part in err, f"{fault}: {part!r} not in:\n{err}"
    for part in spec.get("absent", []):
        assert part not in err, f"{fault}: {part!r} in:\n{err}"
    if spec.get("max_lines"):
        assert len(err.splitlines()) <= spec["max_lines"], f"{fault}: {len(err.splitlines())} lines"
    if not spec.get("located", True):  # a fault outside the study's files (data/*.yml), or no problem list
        return

    # Every problem, not only the first, is located and explained (checked on the objects behind the text).
    with pytest.raises(DataError) as caught:
        load_study(folder)
    for problem in caught.value.problems:
        assert problem.file in {"study.yml", "patients.csv", "visits.csv", "events.csv", "study folder"}, problem
        assert problem.expected and problem.found and problem.hint, f"{fault}: incomplete problem\n{problem}"
        assert str(problem).splitlines()[0] in err
    first = next(line for line in err.splitlines() if re.match(r"^1\. ", line))
    assert LOCATION.match(first), f"{fault}: the first problem does not start with its location: {first!r}"
    for line in ("expected:", "found:", "hint:"):
        assert line in err, f"{fault}: no {line!r} line"


@pytest.fixture(scope="module")
def allowed_scripts(good: Path) -> set[str]:
    """The script elements of the known-good build (Material's own and the theme's): the only ones allowed."""
    return {s for page in (good / "site").rglob("*.html") for s in scan.scripts(page.read_text(encoding="utf-8"))}


def _hostile_groups() -> dict[str, tuple[str, ...]]:
    """Each allowed hostile text to the faults built with it into one site: up to ``MADE_UP_LISTED`` studies (each
    a copy of the made-up minimal study with one fault's text), so every one is still named on the home page and
    the index pages as a study alone is, and the topic pages show them side by side. A fault with files beside
    the studies (``data/``: releases.yml) is built alone."""
    beside = [f for f in SAFE if (BAD / f / "data").is_dir()]
    together = [f for f in SAFE if f not in beside]
    groups = [together[i:i + MADE_UP_LISTED] for i in range(0, len(together), MADE_UP_LISTED)]
    groups += [[f] for f in beside]
    return {f: tuple(group) for group in groups for f in group}


HOSTILE_GROUPS = _hostile_groups()


@pytest.fixture(scope="module")
def hostile_sites(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[int, str, Path]]:
    """The site built with a fault's hostile text (and the others of its group): exit status, stderr, site/."""
    built: dict[tuple[str, ...], tuple[int, str, Path]] = {}

    def site_of(fault: str) -> tuple[int, str, Path]:
        group = HOSTILE_GROUPS[fault]
        if group not in built:
            root = tmp_path_factory.mktemp("hostile")
            for name in group:
                folder = faulty_study(name, root)
            shutil.copytree(paths.DOCS, root / "docs",
                            ignore=shutil.ignore_patterns(*paths.GENERATED_DOCS, "index.md"))
            code, _, err = run(["site", "--studies", str(folder.parent), *outputs(root)])
            built[group] = code, err, root
        return built[group]

    return site_of


def test_hostile_texts_are_built_a_few_to_a_site_and_each_is_in_one_site() -> None:
    groups = set(HOSTILE_GROUPS.values())
    assert sorted(f for group in groups for f in group) == sorted(SAFE)
    assert all(1 <= len(group) <= MADE_UP_LISTED for group in groups)


@pytest.mark.parametrize("fault", SAFE)
def test_hostile_text_is_published_inert(fault: str, allowed_scripts: set[str],
                                         hostile_sites: Callable[[str], tuple[int, str, Path]]) -> None:
    """Allowed text full of markup: the real build succeeds, and no page carries executable markup."""
    spec = SPECS[fault]
    code, err, root = hostile_sites(fault)
    built_with = f"{fault} (built with {', '.join(HOSTILE_GROUPS[fault])})"
    assert code == 0, f"{built_with}:\n{err}"
    site = root / "site"
    pages = {str(p.relative_to(site)): p.read_text(encoding="utf-8") for p in site.rglob("*.html")}
    for name, page in pages.items():
        found = scan.executable_markup(page, allowed_scripts)
        assert not found, f"{built_with}: executable markup in site/{name}: {found}"
    index = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert not re.search(r"<(script|img|svg|iframe)\b", index, re.IGNORECASE), f"{built_with}: markup in the search " \
                                                                                  "index"
    # shown as text on the study's own pages (the others of its group carry texts of their own)
    own = [page for name, page in pages.items() if len(HOSTILE_GROUPS[fault]) == 1 or f"/{fault}/" in f"/{name}"]
    visible = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)) for page in own)
    for part in spec.get("visible", []):
        assert part in visible, f"{fault}: {part!r} is not shown as text"
    assert not list(root.glob("**/pwned*")), f"{built_with}: wrote outside the site"


def test_fault_with_a_row_names_the_row_and_column(good: Path, tmp_path: Path) -> None:
    """A cell-level fault names both; the exact numbers are the fault's own (see its fault.yml)."""
    _, _, err = run(["site", "--studies", str(faulty_study("pucai-over-85", tmp_path).parent), *outputs(good)])
    located = LOCATION.match(next(line for line in err.splitlines() if line.startswith("1. ")))
    assert located and located["file"] == "visits.csv" and located["row"] == "8"
    assert located["column"] == "activity_score"


def test_export_quirks_are_accepted_by_the_real_build(tmp_path: Path) -> None:
    """A BOM, Latin-1 text and CRLF line endings, all at once, build normally (exit 0)."""
    root = tmp_path
    shutil.copytree(paths.DOCS, root / "docs", ignore=shutil.ignore_patterns(*paths.GENERATED_DOCS, "index.md"))
    folder = root / "studies" / STUDY
    shutil.copytree(paths.STUDIES / STUDY, folder)
    patients = folder / "patients.csv"
    patients.write_bytes(b"\xef\xbb\xbf" + patients.read_bytes().replace(b"\n", b"\r\n"))
    events = folder / "events.csv"
    text = events.read_text(encoding="utf-8")
    assert "seen in clinic" in text
    events.write_bytes(text.replace("seen in clinic", "vu en clinique à Québec").encode("latin-1"))
    code, _, err = run(["site", "--studies", str(root / "studies"), *outputs(root)])
    assert code == 0, err
    assert (root / "site" / "numbers.json").is_file()


def test_template_asking_for_an_undefined_value_stops_the_build(good: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(paths.TEMPLATES, templates)
    page = templates / "clinicians" / "overview.md.j2"
    page.write_text(page.read_text(encoding="utf-8") + '\nMade up: {{ v("no_such_value") | clinical }}\n',
                    encoding="utf-8")
    before = snapshot(good)
    code, _, err = run(["site", "--studies", str(good / "studies"), "--templates", str(templates), *outputs(good)])
    assert code != 0
    assert snapshot(good) == before
    assert "templates/clinicians/overview.md.j2" in err
    assert f"'{STUDY}.no_such_value'" in err
    assert "hint:" in err and "Nothing was written" in err


def test_template_using_an_undefined_name_stops_the_build(good: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(paths.TEMPLATES, templates)
    page = templates / "families" / "index.md.j2"
    page.write_text(page.read_text(encoding="utf-8") + "\n{{ no_such_name }}\n", encoding="utf-8")
    before = snapshot(good)
    code, _, err = run(["site", "--studies", str(good / "studies"), "--templates", str(templates), *outputs(good)])
    assert code != 0
    assert snapshot(good) == before
    assert "templates/families/index.md.j2" in err and "no_such_name" in err


@pytest.fixture(scope="module")
def contradicted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demonstration study with one published figure changed so that the data no longer reproduce it."""
    root = tmp_path_factory.mktemp("contradicted")
    shutil.copytree(paths.DOCS, root / "docs", ignore=shutil.ignore_patterns(*paths.GENERATED_DOCS, "index.md"))
    folder = root / "studies" / STUDY
    shutil.copytree(paths.STUDIES / STUDY, folder)
    meta = folder / "study.yml"
    text = meta.read_text(encoding="utf-8")
    published = yaml.safe_load(text)["published"]
    entry = next(e for e in published if e["precision"] == "percent")
    old = f'value: "{entry["value"]}"'
    assert text.count(old) == 1, old
    meta.write_text(text.replace(old, 'value: "99%"'), encoding="utf-8")
    return root


def test_contradicted_published_figure_is_a_warning_by_default(contradicted: Path) -> None:
    code, _, err = run(["site", "--studies", str(contradicted / "studies"), *outputs(contradicted)])
    assert code == 0, err
    assert "WARNING: the data contradict a published figure" in err and "published '99%'" in err
    pages = [contradicted / "site" / "clinicians" / STUDY / "index.html",
             contradicted / "site" / "clinicians" / STUDY / "published" / "index.html"]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert 'class="admonition warning"' in html, page
        assert "The data do not reproduce a published figure" in html, page
        warning = html[html.index('class="admonition warning"'):]
        warning = warning[:warning.index("</div>")]
        assert "**" not in warning and "<strong>" in warning, warning  # Markdown made bold, not shown raw
        assert re.search(r'\(<a href="[^"]*#ref-\w+">\w+</a>\), recomputed', warning), warning  # source linked
    table = pages[1].read_text(encoding="utf-8")
    assert "✗ differs" in table


def test_contradicted_published_figure_is_an_error_with_strict_published(contradicted: Path) -> None:
    if not (contradicted / "site").is_dir():  # a last good build (the warning test above usually made it)
        assert run(["site", "--studies", str(contradicted / "studies"), *outputs(contradicted)])[0] == 0
    before = snapshot(contradicted)
    code, _, err = run(["site", "--strict-published", "--studies", str(contradicted / "studies"),
                        *outputs(contradicted)])
    assert code != 0
    assert "The data contradict published figures (--strict-published)" in err and "published '99%'" in err
    assert "hint:" in err
    assert snapshot(contradicted) == before


def test_agreeing_published_figures_give_no_warning(good: Path) -> None:
    html = (good / "site" / "clinicians" / STUDY / "index.html").read_text(encoding="utf-8")
    assert "The data do not reproduce" not in html


def test_failure_inside_mkdocs_changes_nothing(good: Path) -> None:
    """Atomic output: MkDocs fails (here: a strict-mode warning from a broken link in a hand-written page)."""
    before = snapshot(good)
    broken = good / "docs" / "privacy.md"
    original = broken.read_bytes()
    try:
        broken.write_bytes(original + b"\n[a broken link](no-such-page.md)\n")
        code, _, err = run(["site", "--studies", str(good / "studies"), *outputs(good)])
    finally:
        broken.write_bytes(original)
    assert code != 0
    assert "mkdocs build --strict failed" in err
    assert snapshot(good) == before


def test_failure_during_the_swap_leaves_no_half_site(good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash after MkDocs succeeded but before the swap (writing numbers.json) also changes nothing."""
    from evidence_site import write
    from evidence_site.errors import BuildError

    def broken_json(path: Path, data: object) -> None:
        raise BuildError("simulated failure while writing numbers.json")

    monkeypatch.setattr(write, "write_json", broken_json)  # outputs.write_output, the step every build ends with
    before = snapshot(good)
    code, _, err = run(["site", "--studies", str(good / "studies"), *outputs(good)])
    assert code != 0 and "simulated failure" in err
    assert snapshot(good) == before
