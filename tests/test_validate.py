"""Validation: every kind of bad input is rejected with a message naming file, row, column, expected and found."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import BAD, MINIMAL, faulty_study, load_study
from evidence_site import paths
from evidence_site.errors import DataError
from evidence_site.load import read_csv_text

SPECS = {p.name: yaml.safe_load((p / "fault.yml").read_text(encoding="utf-8"))
         for p in sorted(BAD.iterdir()) if (p / "fault.yml").is_file()}
# Faults in a study's own files (test_faults.py runs every fault, data/*.yml and allowed text included).
FAULTS = [name for name, spec in SPECS.items() if spec.get("outcome", "error") == "error" and spec.get("located", True)]


def test_minimal_fixture_is_valid() -> None:
    study = load_study(MINIMAL)
    assert len(study.patients) == 6


@pytest.mark.parametrize("fault", FAULTS)
def test_bad_study_is_rejected_with_a_precise_message(fault: str, tmp_path: Path) -> None:
    spec = yaml.safe_load((BAD / fault / "fault.yml").read_text(encoding="utf-8"))
    with pytest.raises(DataError) as caught:
        load_study(faulty_study(fault, tmp_path))
    message = str(caught.value)
    for part in spec["expect"]:
        assert part in message, f"{fault}: {part!r} not in:\n{message}"
    assert "Nothing was written" in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    folder = faulty_study("unknown-diagnosis", tmp_path)
    text = (folder / "visits.csv").read_text()
    text = text.replace("P4,52,2023-04-03,yes,PUCAI,5,", "P4,52,2023-04-03,yes,PUCAI,130,")
    (folder / "visits.csv").write_text(text)
    with pytest.raises(DataError) as caught:
        load_study(folder)
    files = {p.file for p in caught.value.problems}
    assert files == {"patients.csv", "visits.csv"}


@pytest.mark.parametrize("variant", ["bom", "crlf", "latin1"])
def test_harmless_export_quirks_are_accepted(variant: str, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "studies" / "quirky"
    shutil.copytree(MINIMAL, folder)
    path = folder / "patients.csv"
    text = path.read_text(encoding="utf-8")
    data = {"bom": b"\xef\xbb\xbf" + text.encode(), "crlf": text.replace("\n", "\r\n").encode(),
            "latin1": text.encode("latin-1")}[variant]
    path.write_bytes(data)
    if variant == "latin1":  # a free-text note with an accent, saved by a spreadsheet in Latin-1
        events = folder / "events.csv"
        events.write_bytes(events.read_text(encoding="utf-8").replace("private note", "note écrite").encode("latin-1"))
    study = load_study(folder)
    assert list(study.patients["patient_id"]) == ["P1", "P2", "P3", "P4", "P5", "P6"]


def test_dashes_and_curly_quotes_saved_by_a_windows_spreadsheet_are_kept() -> None:
    """Windows-1252, not Latin-1: read as Latin-1, "5–10" lost its dash and "–2 SD" its minus (outside tester)."""
    from evidence_site.load import decode

    text = "note,where\n“triglycerides 5–10 mmol/L; –2 SD”,€ café\n"
    assert decode(text.encode("cp1252")) == (text, "cp1252")
    assert decode("é\x81".encode("latin-1"))[0] == "é\x81"  # a byte Windows-1252 leaves undefined: Latin-1


def test_ragged_row_is_reported_with_its_line_number() -> None:
    frame, problems = read_csv_text("x.csv", b"a,b\n1,2\n3,4,5\n")
    assert problems[0].row == 3
    assert "2 cells" in problems[0].expected
    assert len(frame) == 1


@pytest.mark.parametrize("column, text, words", [
    ("age_at_start_years", "9.5 years", "Write the number alone, without a unit or a % sign (9.5, not 9.5 years)"),
    ("age_at_start_years", "60 %", "(60, not 60 %)"),
    ("age_at_start_years", "450", "outside the possible range"),
    ("start_date", "2023-02-30", "No such day in the calendar"),
    ("start_date", "44991", "spreadsheet's date number"),
    ("start_date", "14/02/2022", "Write dates as YYYY-MM-DD"),
    ("diagnosis", "uc", "Did you mean 'UC'?"),
    ("age_at_start_years", "\uff11\uff12", "The digits are full-width"),  # an East Asian input method's digits
    ("age_at_start_years", "\uff11\uff12.5", "retype the value with the ASCII digits 0-9"),
    ("start_date", "\uff12\uff10\uff12\uff13-01-05", "The digits are full-width"),
    ("patient_id", "P\u200b1", "an invisible character (U+200B ZERO WIDTH SPACE)"),
    ("patient_id", "P\u202e12", "an invisible character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
    ("diagnosis", "UC\ufeff", "an invisible character (U+FEFF ZERO WIDTH NO-BREAK SPACE)"),
    ("age_at_start_years", "1O", "the letter O for a zero, or I or l for a one?): type the digits (10?)"),
    ("age_at_start_years", "l2", "type the digits (12?)"),  # not "12, not l2": the hint said "1, not 1O"
])
def test_a_bad_cell_gets_the_hint_that_fits_what_was_typed(column: str, text: str, words: str) -> None:
    """The hint names the actual slip (a unit, an impossible day, a spreadsheet date number, the code's case,
    full-width digits, an invisible character pasted in), not a generic one: '60 %' is not out of range, it has a
    % sign, and '１２' is not out of range either (outside hostile tester)."""
    from evidence_site.schema import PATIENTS
    from evidence_site.validate import _hint

    col = {c.name: c for c in PATIENTS.columns}[column]
    choices = ("CD", "UC", "IBDU") if column == "diagnosis" else ()
    hint = _hint(col, text, choices)
    assert words in hint
    assert "outside the possible range" not in hint or words == "outside the possible range"


def test_a_yaml_problem_names_its_line_and_field_and_a_table_problem_its_row_and_column() -> None:
    from evidence_site.errors import Problem

    assert str(Problem("study.yml", "Bad.", row=32, column="published[1].source")).startswith(
        "study.yml, line 32, field 'published[1].source': Bad.")
    assert str(Problem("visits.csv", "Bad.", row=8, column="week")).startswith("visits.csv, row 8, column 'week': Bad.")


def test_validate_reports_a_certainty_row_naming_a_value_the_study_does_not_compute(tmp_path: Path) -> None:
    """`build.py validate` computes the values too: an id only the summaries can check is reported there, not
    first by the build (outside research coordinator: validate said valid, the build then stopped)."""
    import shutil
    from argparse import Namespace

    from evidence_site import commands
    from evidence_site.errors import BuildError

    folder = tmp_path / "studies" / "minimal"
    shutil.copytree(MINIMAL, folder)
    text = (folder / "study.yml").read_text(encoding="utf-8")
    first = yaml.safe_load(text)["certainty"]["outcomes"][0]["value"]
    (folder / "study.yml").write_text(text.replace(f"- value: {first}", "- value: eff_remission_w24_UC_itt", 1),
                                      encoding="utf-8")
    with pytest.raises(BuildError) as err:
        commands.validate(Namespace(studies=tmp_path / "studies", templates=paths.TEMPLATES))
    assert "field 'certainty.outcomes[0].value'" in str(err.value) and "eff_remission_w24_UC_itt" in str(err.value)


@pytest.mark.parametrize("text, line, found", [
    ("title: A\nnote: a\x0bb\n", 2, "U+000B"),  # a spreadsheet cell's line break
    ("title: A\nsummary: ok\nnote: b\x07\n", 3, "U+0007"),
    ("title: A\x7f\n", 1, "U+007F"),
])
def test_a_control_character_in_a_yaml_file_is_named_with_its_line(text: str, line: int, found: str) -> None:
    """PyYAML refused it with a position in the file only, and the build stopped with 'an unexpected error' that
    named no file (outside hostile tester)."""
    from evidence_site.load import load_yaml

    data, problems = load_yaml(text.encode(), "study.yml")
    assert data is None and [(p.file, p.row, p.found) for p in problems] == [("study.yml", line, found)]
    assert "control character" in problems[0].message and problems[0].hint


@pytest.mark.parametrize("text", ["a: !!python/object/apply:os.system [ls]\n", "a: !evil x\n"])
def test_a_yaml_tag_is_refused_as_a_tag_not_as_bad_indentation(text: str) -> None:
    from evidence_site.load import load_yaml

    data, problems = load_yaml(text.encode(), "study.yml")
    assert data is None and len(problems) == 1 and problems[0].row == 1
    assert "tag" in problems[0].found and "indentation" not in problems[0].hint


@pytest.mark.parametrize("kind, text, line, words", [
    ("bad indentation", "title: A\nlist:\n  - a\n - b\nother: D\n", 4, "expected <block end>"),
    ("value on a nested line", "title: A\nsummary: B\n  nested: C\nother: D\n", 3, "mapping values"),
    ("tab", "title: A\nlist:\n\t- a\nother: D\n", 3, "'\\t'"),
    ("tab, Windows line ends", "title: A\r\nlist:\r\n\t- a\r\nother: D\r\n", 3, "'\\t'"),
    ("unclosed quote", "title: A\nsummary: \"B and\nother: D\nmore: E\n", 2, "quoted text that opens on line 2 is "
     "never closed"),
    ("unclosed bracket", "title: A\nlist: [a, b\nother: D\n", 3, "list in [ ] that opens on line 2"),
    ("line separator inside a value", "summary: a\u2028b\nx: b: c\n", 2, "could not find expected ':'"),
    ("repeated key", "title: A\nb: 1\ntitle: C\n", 3, "(lines 1 and 3)"),
])
def test_a_yaml_syntax_error_names_the_line_an_editor_shows(kind: str, text: str, line: int, words: str) -> None:
    """PyYAML counts lines from 0, breaks lines where an editor does not (U+2028) and puts the end of the file on a
    line after the last: the message names the line as the file shows it, and an unclosed quote the line where it
    opens (outside research coordinator: the line was one off)."""
    from evidence_site.load import load_yaml

    data, problems = load_yaml(text.encode(), "study.yml")
    assert data is None and len(problems) == 1, kind
    assert problems[0].row == line, f"{kind}: {problems[0]}"
    assert words in str(problems[0]), f"{kind}: {problems[0]}"
    assert str(problems[0]).startswith(f"study.yml, line {line}: "), kind


@pytest.mark.parametrize("fault, old, new, found", [
    ("week-beyond-follow-up", "E11,P6,60,", "E11,P6,60,", "60"),  # a number column: not the typed 60.0
    ("week-beyond-follow-up", "E11,P6,60,", "E11,P6,60.00,", "60.00"),
    ("visit-week-not-timepoint", None, None, "30"),
])
def test_found_quotes_the_cell_as_the_file_writes_it_not_a_converted_number(
        fault: str, old: str | None, new: str | None, found: str, tmp_path: Path) -> None:
    """An integer column given 45.0 and a number column given 45 are read as numbers, but the message quotes the
    cell: 'found: 45.0' for a cell that says 45 sent the coordinator looking for a '.0' that was not there."""
    folder = faulty_study(fault, tmp_path)
    if old:
        path = folder / "events.csv"
        path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_study(folder)
    assert [p.found for p in caught.value.problems if p.column == "week"] == [found]


@pytest.mark.parametrize("header, problems", [
    ("diagnosys", ["The column 'diagnosys' is not known; did you mean 'diagnosis'?"]),  # one typo, one problem
    ("Diagnosis", ["The column 'Diagnosis' is not known; did you mean 'diagnosis'?"]),
    ("condition", ["Unknown column 'condition'.", "The column 'diagnosis' is missing."]),  # nothing close: both
])
def test_a_misspelt_column_header_is_one_problem_naming_the_column_it_misspells(
        header: str, problems: list[str], tmp_path: Path) -> None:
    """A misspelt header is not a missing column plus an unknown one: it is said once, with 'did you mean'
    (outside research coordinator). A header close to no missing column keeps both problems."""
    folder = faulty_study("unknown-column", tmp_path)
    path = folder / "patients.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("diagnosys", header, 1), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_study(folder)
    assert [p.message for p in caught.value.problems] == problems


@pytest.mark.parametrize("written, found", [("52.0", "52.0 (a decimal number)"), ("52.50", "52.50 (a decimal number)"),
                                            ("true", "true (yes/no)")])
def test_found_quotes_a_yaml_number_as_the_file_writes_it(written: str, found: str, tmp_path: Path) -> None:
    """A whole-number field given 52.50 said 'found: float 52.5': it quotes the YAML text, with its kind."""
    folder = faulty_study("wrong-field-type", tmp_path)
    yml = folder / "study.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("follow_up_weeks: one year", f"follow_up_weeks: {written}"),
                   encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_study(folder)
    assert [p.found for p in caught.value.problems if p.column == "follow_up_weeks"] == [found]


def test_an_index_that_declares_no_diagnoses_fits_every_diagnosis(tmp_path: Path) -> None:
    """index_fits_diagnosis: which diagnoses an index is meant for is data (the vocabulary's `diagnoses`); an index
    that lists none (the default, e.g. a study's own index) may score a patient of any diagnosis."""
    import shutil

    folder = tmp_path / "studies" / "own-index"
    shutil.copytree(MINIMAL, folder)
    meta = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    meta["vocab"] = {"activity": {"OWN": {"label": "OWN", "name": "A study's own activity index", "min": 0,
                                          "max": 100}}}
    (folder / "study.yml").write_text(yaml.safe_dump(meta, sort_keys=False), encoding="utf-8")
    visits = folder / "visits.csv"
    text = visits.read_text(encoding="utf-8")
    visits.write_text(text.replace("P4,52,2023-04-03,yes,PUCAI,5,", "P4,52,2023-04-03,yes,OWN,5,")
                      .replace("P1,52,2023-01-09,yes,wPCDAI,10,", "P1,52,2023-01-09,yes,OWN,10,"), encoding="utf-8")
    study = load_study(folder)
    assert sorted(study.visits.loc[study.visits["activity_index"] == "OWN", "patient_id"]) == ["P1", "P4"]


@pytest.mark.parametrize("address, accepted", [
    ("", True), ("mailto:evidence@example.org", True), ("https://example.org/report", True),
    ("javascript:alert(document.cookie)", False), ("data:text/html,x", False), ("http://example.org/", False),
    ("evidence@example.org", False), ("https://example.org/a b", False),
])
def test_the_address_for_reporting_an_error_is_mailto_or_https(address: str, accepted: bool, tmp_path: Path) -> None:
    """data/site.yml trust.report_error is printed on every study page: 'javascript:...' was accepted and printed
    as text (outside hostile tester). Anything but mailto:/https: stops the build, naming the line."""
    from evidence_site.errors import BuildError
    from evidence_site.pipeline import site_inputs

    (tmp_path / "site.yml").write_text(f"trust:\n  written_by: A team\n  report_error: {address!r}\n",
                                       encoding="utf-8")
    if accepted:
        assert site_inputs(data=tmp_path)["trust"]["report_error"] == address
        return
    with pytest.raises(BuildError) as caught:
        site_inputs(data=tmp_path)
    assert "site.yml, line 3, field 'trust.report_error'" in str(caught.value)
    assert "mailto:" in str(caught.value) and "https://" in str(caught.value)


@pytest.mark.parametrize("entry, line, words", [
    ("  /tmp/x/: families/\n", 3, "The old address cannot be used: it is an absolute path starting with '/'"),
    ("  families/c/: /families/d/\n", 3, "The new address cannot be used: it is an absolute path starting with '/'"),
    ("  families/c/: ../../x/\n", 3, "The new address cannot be used: it is a path with '.' or '..' in it"),
])
def test_a_redirect_address_not_written_like_the_others_is_refused_with_its_line(
        entry: str, line: int, words: str, tmp_path: Path) -> None:
    """'/tmp/x/' was accepted and written as site/tmp/x/ (outside hostile tester): both addresses of a redirect are
    written relative to the site root, as families/old-id/, and a refusal names the entry's line."""
    from evidence_site.errors import BuildError
    from evidence_site.load import load_redirects

    path = tmp_path / "redirects.yml"
    path.write_text("redirects:\n  families/a/: families/b/\n" + entry, encoding="utf-8")
    with pytest.raises(BuildError) as caught:
        load_redirects(path)
    assert f"redirects.yml, line {line}, field " in str(caught.value) and words in str(caught.value)
    path.write_text("redirects:\n  families/a/: families/b/\n  families/c/: ./\n", encoding="utf-8")
    assert load_redirects(path) == {"families/a/": "families/b/", "families/c/": "./"}


def test_a_nul_in_a_cell_is_named_by_row_and_column_and_a_binary_file_stays_a_binary_file() -> None:
    """A stray NUL byte in a notes cell was 'a binary file' with no row (outside hostile tester)."""
    frame, problems = read_csv_text("events.csv", b"event_id,notes\nE1,ok\nE2,bad\0note\n")
    assert [(p.row, p.column) for p in problems] == [(3, "notes")] and "NUL" in problems[0].message
    frame, problems = read_csv_text("events.csv", b"event_id,notes\n" + b"\x01\x02\x03\x04\x05\x06\x07\0" * 100)
    assert frame is None and problems[0].message == "This looks like a binary file, not CSV text."


def test_an_unnamed_or_overlong_column_is_named_as_a_spreadsheet_heads_it() -> None:
    """'column 13' named the 13th column; a spreadsheet shows it as column M (outside hostile tester). An overlong
    cell names its column as well as its row."""
    header = ",".join("abcdefghijkl")
    _, problems = read_csv_text("x.csv", f"{header},\n{','.join('1' * 12)},\n".encode())
    assert problems[0].column == "M (an empty column after the last header)"
    _, problems = read_csv_text("x.csv", b"a,,c\n1,2,3\n")
    assert (problems[0].column, problems[0].message) == ("B (no header)", "Column B has no name.")
    _, problems = read_csv_text("x.csv", b"a,b\n1,2\n3," + b"x" * 200_000 + b"\n")
    assert (problems[0].row, problems[0].column) == (3, "b") and "200,000 characters" in problems[0].found


def _minimal_with(tmp_path: Path, file: str, edit) -> Path:
    """The minimal study with one table rewritten: ``edit(header, rows)`` returns the new header and rows."""
    import csv
    import shutil

    folder = tmp_path / "studies" / "unfilled"
    shutil.copytree(MINIMAL, folder)
    with (folder / file).open(encoding="utf-8", newline="") as f:
        header, *rows = list(csv.reader(f))
    header, rows = edit(header, rows)
    with (folder / file).open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows([header, *rows])
    return folder


def _without(column: str):
    def edit(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
        i = header.index(column)
        return header[:i] + header[i + 1:], [r[:i] + r[i + 1:] for r in rows]
    return edit


def _emptied(*columns: str, keep: int = 0):
    """Every cell of ``columns`` emptied (an NA placeholder in one of them), but for the first ``keep`` rows."""
    def edit(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
        for n, row in enumerate(rows[keep:]):
            for column in columns:
                row[header.index(column)] = "NA" if n == 1 else ""
        return header, rows
    return edit


def _no_endoscopies(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    return header, [r for r in rows if r[header.index("event_type")] != "endoscopy"]


STEROID_HINT = ("Fill the column from the records (yes or no; a cell may stay empty for a child not assessed), or "
                "remove `steroid_free: true` from outcomes.sf_remission in study.yml.")


@pytest.mark.parametrize("file, edit, expected", [
    ("visits.csv", _without("steroids"), [(
        "visits.csv, column 'steroids': The outcome 'sf_remission' in study.yml (outcomes.sf_remission.steroid_free) "
        "reads this column, but no row has a value in it.",
        "values in steroids (outcome sf_remission reads it)", "no steroids column", STEROID_HINT)]),
    ("visits.csv", _emptied("steroids"), [(
        "visits.csv, column 'steroids': The outcome 'sf_remission' in study.yml (outcomes.sf_remission.steroid_free) "
        "reads this column, but no row has a value in it.",
        "values in steroids (outcome sf_remission reads it)", "the column is empty in every row", STEROID_HINT)]),
    ("visits.csv", _emptied("crp_mg_l"), [(
        "visits.csv, column 'crp_mg_l': The outcome 'crp_normal' in study.yml (outcomes.crp_normal.lab) reads this "
        "column, but no row has a value in it.",
        "values in crp_mg_l (outcome crp_normal reads it)", "the column is empty in every row",
        "Fill the column from the records (a number from 0 to 500; a cell may stay empty for a child not assessed), "
        "or remove the outcome 'crp_normal' from study.yml (and the places that name it).")]),
    ("events.csv", _no_endoscopies, [(
        f"events.csv, column '{column}': The outcome 'endoscopic_remission' in study.yml "
        "(outcomes.endoscopic_remission.rule) reads this column, but no row has a value in it.",
        f"values in {column} (outcome endoscopic_remission reads it)", "the column is empty in every row",
        "Fill the column from the records") for column in ("endoscopy_index", "endoscopy_score")]),
])
def test_a_column_an_outcome_reads_with_no_value_at_all_stops_the_build(file: str, edit, expected: list,
                                                                        tmp_path: Path) -> None:
    """A steroid-free outcome over a steroids column nobody filled printed '0/16 (0%; 95% CI 0-19%)': among all who
    started, a child not assessed counts as not achieving it (outside tester). One problem per outcome and column,
    with nothing else wrong with the study."""
    with pytest.raises(DataError) as caught:
        load_study(_minimal_with(tmp_path, file, edit))
    problems = caught.value.problems
    assert len(problems) == len(expected), str(caught.value)
    for problem, (first_line, wanted, found, hint) in zip(problems, expected, strict=True):
        assert str(problem).splitlines()[0] == first_line
        assert (problem.expected, problem.found) == (wanted, found)
        assert problem.hint.startswith(hint) and "every child would count as not achieving" in problem.hint
    assert "Nothing was written" in str(caught.value)


def _one_endoscopy(header: list[str], rows: list[list[str]]) -> tuple[list[str], list[list[str]]]:
    """One endoscopy row left (a baseline scope): the endoscopy columns are empty in every other row."""
    scopes = [r for r in rows if r[header.index("event_type")] == "endoscopy"]
    return header, [scopes[0], *(r for r in rows if r not in scopes)]


@pytest.mark.parametrize("file, edit, column", [
    ("visits.csv", _emptied("steroids", "crp_mg_l", "calprotectin_ug_g", "activity_index", "activity_score", keep=1),
     "steroids"),
    ("events.csv", _one_endoscopy, "endoscopy_score"),
])
def test_a_partly_filled_column_an_outcome_reads_still_validates(file: str, edit, column: str,
                                                                  tmp_path: Path) -> None:
    """A child not assessed at a visit is normal: only a column with no value in any row is refused."""
    study = load_study(_minimal_with(tmp_path, file, edit))
    frame = study.visits if file == "visits.csv" else study.events
    assert frame[column].notna().sum() == 1


def _minimal_with_a_copied_child(tmp_path: Path, one_value_differs: bool = False) -> Path:
    """The minimal study with P2's rows in the three files copied under a new id, P002 (a copy given a new id)."""
    import shutil

    folder = tmp_path / "studies" / "minimal"
    shutil.copytree(MINIMAL, folder)
    for name in ("patients.csv", "visits.csv", "events.csv"):
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        copies = [line.replace("P2,", "P002,", 1) for line in lines[1:] if line.split(",")[1 if name == "events.csv"
                                                                                       else 0] == "P2"]
        if name == "events.csv":  # each event keeps an id of its own
            copies = [f"C{i}{line[line.index(','):]}" for i, line in enumerate(copies)]
        if name == "patients.csv" and one_value_differs:  # a second child: diagnosed a year later
            cells = copies[0].split(",")
            cells[3] = str(int(cells[3]) + 1)
            copies[0] = ",".join(cells)
        (folder / name).write_text("\n".join(lines + copies) + "\n", encoding="utf-8")
    return folder


def test_a_child_copied_under_a_new_id_stops_the_build_naming_both(tmp_path: Path) -> None:
    """An outside tester copied a child's rows under a new id (C06 as C006): validation passed and the study
    counted a 17th child."""
    with pytest.raises(DataError) as caught:
        load_study(_minimal_with_a_copied_child(tmp_path))
    [problem] = caught.value.problems
    text = str(problem)
    assert text.startswith("patients.csv, row ") and "column 'patient_id'" in text
    assert "are those of P2 (row 3) in every column but the id" in text
    assert (problem.expected, problem.found) == ("each child once", "P002, the same as P2 in every other column")
    assert problem.hint.startswith("If P002 is a copy of P2, delete its rows in the three files")


def test_a_child_like_another_but_for_one_value_validates(tmp_path: Path) -> None:
    study = load_study(_minimal_with_a_copied_child(tmp_path, one_value_differs=True))
    assert "P002" in set(study.patients["patient_id"])


def test_every_capped_check_counts_the_rest_and_the_total_counts_every_problem(tmp_path: Path) -> None:
    """An outside tester's 2,000 duplicate ids, visits at week 9 and children missing from patients.csv each showed
    five problems and nothing more, and the header counted the five: the rest are counted, as the Data format page
    says, and the header's total is every problem."""
    folder = tmp_path / "studies" / "demo"
    shutil.copytree(paths.STUDIES / "example-clinic-records", folder)
    visits = (folder / "visits.csv").read_text(encoding="utf-8").splitlines()
    moved = [re.sub(r"^(P\d+),8,", r"\1,9,", line) for line in visits]
    (folder / "visits.csv").write_text("\n".join(moved) + "\n", encoding="utf-8")
    at_week_9 = sum(",9," in line for line in moved)
    assert at_week_9 > 20
    with pytest.raises(DataError) as caught:
        load_study(folder)
    text = str(caught.value)
    assert f"{at_week_9:,} problem(s) in the data" in text.splitlines()[0]
    assert text.count("The week is not one of the study's time points.") == 5
    assert f"... and {at_week_9 - 5:,} more visits at a week that is not a time point." in text

    patients = (folder / "patients.csv").read_text(encoding="utf-8").splitlines()
    (folder / "visits.csv").write_text("\n".join(visits) + "\n", encoding="utf-8")
    (folder / "patients.csv").write_text("\n".join(patients[:2] + [patients[1]] * 12 + patients[2:]) + "\n",
                                         encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_study(folder)
    text = str(caught.value)
    assert "12 problem(s) in the data" in text.splitlines()[0]
    assert text.count("Duplicate row.") == 5 and "... and 7 more duplicate rows." in text
