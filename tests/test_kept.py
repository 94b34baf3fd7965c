"""What the live preview keeps in memory between saves (kept.py): served only for the same content, always as a
copy, dropped once a regeneration no longer uses it, and nothing at all outside the preview."""

from __future__ import annotations

import pandas as pd
import pytest

from evidence_site.kept import Memo, keeping, kept, same
from evidence_site.load import load_yaml, read_csv_text
from evidence_site.readability import grade_page
from evidence_site.schema import TABLES
from evidence_site.validate import check_column


def _counted() -> tuple[list[int], object]:
    calls: list[int] = []

    def compute() -> list[int]:
        calls.append(1)
        return [len(calls)]

    return calls, compute


def test_outside_a_preview_nothing_is_kept() -> None:
    calls, compute = _counted()
    kept("test", "key", compute, same)
    kept("test", "key", compute, same)
    assert len(calls) == 2


def test_the_same_key_is_computed_once_and_another_key_again() -> None:
    calls, compute = _counted()
    with keeping(Memo()) as memo:
        assert kept("test", "a", compute, same) == [1]
        assert kept("test", "a", compute, same) == [1]
        assert kept("test", "b", compute, same) == [2]
    assert len(calls) == 2
    assert memo.hits == 1 and memo.misses == 2


def test_an_entry_a_regeneration_did_not_use_is_dropped_but_a_failed_one_drops_nothing() -> None:
    memo = Memo()
    with keeping(memo):
        kept("test", "a", lambda: 1, same)
        kept("test", "b", lambda: 2, same)
    with pytest.raises(RuntimeError), keeping(memo):
        kept("test", "a", lambda: 1, same)
        raise RuntimeError("a data problem")
    assert set(memo.entries) == {("test", "a"), ("test", "b")}
    with keeping(memo):
        kept("test", "a", lambda: 1, same)
    assert set(memo.entries) == {("test", "a")}


def test_a_kept_yaml_file_goes_out_as_a_copy_and_other_bytes_are_parsed_again() -> None:
    with keeping(Memo()) as memo:
        texts: dict[str, str] = {}
        first, problems = load_yaml(b"a: {b: 1.50}\n", "study.yml", texts)
        assert (first, problems, texts) == ({"a": {"b": 1.5}}, [], {"a.b": "1.50"})
        first["a"]["b"] = 99
        again: dict[str, str] = {}
        assert load_yaml(b"a: {b: 1.50}\n", "study.yml", again) == ({"a": {"b": 1.5}}, [])
        assert again == {"a.b": "1.50"}
        assert load_yaml(b"a: {b: 2}\n", "study.yml")[0] == {"a": {"b": 2}}
        assert memo.hits == 1


def test_a_kept_table_and_column_go_out_as_copies_and_a_changed_cell_is_checked_again() -> None:
    visits = next(t for t in TABLES if t.file == "visits.csv")
    column = next(c for c in visits.columns if c.name == "activity_score")
    with keeping(Memo()):
        frame, _ = read_csv_text("visits.csv", b"activity_score\n5\n")
        frame.loc[2, "activity_score"] = "7"
        frame, _ = read_csv_text("visits.csv", b"activity_score\n5\n")
        assert frame["activity_score"].tolist() == ["5"]
        typed, problems = check_column("visits.csv", column, frame["activity_score"])
        assert typed.tolist() == [5] and problems == []
        typed[2] = 60
        assert check_column("visits.csv", column, frame["activity_score"])[0].tolist() == [5]
        bad = pd.Series(["five"], index=[2], name="activity_score", dtype="string")
        typed, problems = check_column("visits.csv", column, bad)
        assert typed.isna().all() and len(problems) == 1 and problems[0].row == 2


def test_a_page_is_graded_again_when_its_text_changes() -> None:
    with keeping(Memo()):
        easy = grade_page("families/x/", "We go. We eat. We sleep.\n")
        assert grade_page("families/x/", "We go. We eat. We sleep.\n") == easy
        hard = grade_page("families/x/", "Pharmacokinetic considerations necessitate individualised therapeutic "
                                         "monitoring throughout the maintenance phase.\n")
        assert hard.grade > easy.grade


def test_beyond_its_budget_a_preview_keeps_nothing_more_and_computes_instead() -> None:
    calls, compute = _counted()
    with keeping(Memo(budget=100)) as memo:
        kept("test", "small", compute, same, 60)
        kept("test", "large", compute, same, 60)
        kept("test", "small", compute, same, 60)
        kept("test", "large", compute, same, 60)
    assert len(calls) == 3
    assert set(memo.entries) == {("test", "small")}
