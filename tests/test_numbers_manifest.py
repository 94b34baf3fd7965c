"""numbers.json (schema 3): every value says what it is, made-up values name the published figure only as what
they were built to reproduce, each method text is stored once, and old files (schema 1 and 2) still read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidence_site import fmt
from evidence_site.diff import diff_numbers
from evidence_site.errors import BuildError
from evidence_site.manifest import (
    NUMBERS_SCHEMA_VERSION,
    PUBLISHED,
    RECORDS,
    flat_values,
    manifest_values,
    text_key,
)

METHOD = "Share of all who started, with a long description that schema 2 repeated in every value"
SOURCE = "An abstract, 2026."
STUDIES = {"made-up": {"title": "A made-up example", "kind": "records", "status": "synthetic"},
           "clinic": {"title": "A clinic's own records", "kind": "records", "status": "real"},
           "paper": {"title": "A published study", "kind": "aggregate", "status": "published"}}


def record(study: str, name: str, **fields) -> dict:
    return {"id": f"{study}.{name}", "label": name, "kind": "proportion", "value": 0.5, "method": METHOD,
            "population": "All who started", "timepoint_weeks": 52, "numerator": 12, "denominator": 24,
            "ci_low": 0.3, "ci_high": 0.7, "ci_method": "Wilson score interval, 95%", **fields,
            "pages": [f"clinicians/{study}/"]}


PUBLISHED_FIGURE = {"published_value": "50%", "published_precision": "percent", "source": SOURCE,
                    "agrees_with_published": True}
RECORDS_V2 = [record("clinic", "remission", **PUBLISHED_FIGURE), record("made-up", "remission", **PUBLISHED_FIGURE),
              record("made-up", "response"), record("paper", "remission", **PUBLISHED_FIGURE)]


def v2() -> dict:
    return {"generator": "evidence-site 0.1.0", "schema_version": 2, "studies": STUDIES, "values": RECORDS_V2}


def v3() -> dict:
    texts, values = manifest_values(RECORDS_V2, STUDIES)
    return {"generator": "evidence-site 0.1.0", "schema_version": NUMBERS_SCHEMA_VERSION, "studies": STUDIES,
            "texts": texts, "values": values}


def by_id(values: list[dict]) -> dict[str, dict]:
    return {v["id"]: v for v in values}


def test_every_value_says_whether_it_is_made_up_recomputed_or_published():
    values = by_id(v3()["values"])
    assert values["made-up.remission"]["data"] == fmt.MADE_UP == "made-up example data"
    assert values["made-up.response"]["data"] == fmt.MADE_UP
    assert values["clinic.remission"]["data"] == RECORDS
    assert values["paper.remission"]["data"] == PUBLISHED


def test_a_made_up_value_names_the_published_figure_only_as_what_it_reproduces():
    made_up = by_id(v3()["values"])["made-up.remission"]
    assert not {"published_value", "published_precision", "source", "agrees_with_published"} & set(made_up)
    assert made_up["reproduces"] == {"value": "50%", "precision": "percent", "source": SOURCE, "agrees": True}
    assert "time" not in json.dumps(made_up["reproduces"])  # the week is the value's own, not the figure's
    real = by_id(v3()["values"])["clinic.remission"]
    assert real["source"] == SOURCE and real["published_value"] == "50%" and "reproduces" not in real


def test_each_method_text_is_stored_once_and_values_name_it_by_a_stable_key():
    doc = v3()
    assert list(doc["texts"].values()).count(METHOD) == 1
    assert METHOD not in json.dumps(doc["values"])
    assert {v["method_ref"] for v in doc["values"]} == {text_key(METHOD)}
    assert text_key(METHOD) == text_key(METHOD) and len(text_key(METHOD)) == 10
    assert all("method" not in v and "population" not in v and "ci_method" not in v for v in doc["values"])


def test_the_flat_values_of_schema_3_are_those_of_schema_2_with_the_flag():
    assert flat_values(v3()) == flat_values(v2())
    flat = by_id(flat_values(v3()))
    assert flat["clinic.remission"]["method"] == METHOD and flat["clinic.remission"]["ci_method"].startswith("Wil")


def test_a_release_written_in_schema_2_compares_with_schema_3_without_false_changes():
    assert diff_numbers(v2(), v3()).changes == ()
    schema_1 = {**v2(), "schema_version": 1}
    del schema_1["schema_version"]  # the earliest files had no version
    assert diff_numbers(schema_1, v3()).changes == ()


def test_a_newer_schema_is_refused_with_what_can_be_read():
    with pytest.raises(BuildError, match=r"schema_version 4 cannot be read(.|\n)*one of 1, 2, 3"):
        diff_numbers({**v3(), "schema_version": 4}, v3())


def test_a_missing_text_names_the_value_and_the_key():
    doc = v3()
    doc["texts"] = {}
    with pytest.raises(BuildError, match=r"values\[0\]\.method_ref"):
        flat_values(doc)


@pytest.mark.slow
def test_the_demonstration_site_marks_every_value_and_no_made_up_value_cites_a_source(demo_build: Path):
    doc = json.loads((demo_build / "site" / "numbers.json").read_text(encoding="utf-8"))
    assert doc["schema_version"] == NUMBERS_SCHEMA_VERSION
    made_up = {sid for sid, s in doc["studies"].items() if s["status"] == "synthetic"}
    assert made_up, "the demonstration has a made-up study"
    for v in doc["values"]:
        study = next(s for s in doc["studies"] if v["id"].startswith(s + "."))
        assert v["data"] == (fmt.MADE_UP if study in made_up else PUBLISHED if doc["studies"][study]["kind"]
                             == "aggregate" else RECORDS), v["id"]
        if study in made_up:
            assert "source" not in v and "published_value" not in v, v["id"]
    assert any("reproduces" in v for v in doc["values"])
    assert len(doc["texts"]) == len(set(doc["texts"].values()))
