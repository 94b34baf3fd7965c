"""Clinical content a family and a clinician can rely on (issue 13): each error the clinical review found is
guarded here, on the built demonstration site."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from evidence_site import paths

STUDY = "example-clinic-records"
MEDICINE = yaml.safe_load((paths.DATA / "medicines" / "upadacitinib.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def built(demo_build: Path) -> Path:
    return demo_build


def md(built: Path, audience: str, slug: str) -> str:
    return (built / "docs" / audience / STUDY / f"{slug or 'index'}.md").read_text(encoding="utf-8")


def unlink(text: str) -> str:
    """Text without its glossary links."""
    return re.sub(r"\[([^\]]+)\]\(glossary\.md#[\w-]+\)", r"\1", text)


def boxes(text: str) -> dict[str, list[str]]:
    """Admonition boxes of a Markdown page: title -> the lines inside."""
    out: dict[str, list[str]] = {}
    for m in re.finditer(r'^!!! \w+ "([^"]+)"\n((?:    .*\n|\n)+)', text, re.M):
        out[m.group(1)] = [unlink(line.strip()[2:]) for line in m.group(2).splitlines()
                           if line.strip().startswith("- ")]
    return out


def test_boxed_warning_names_its_scope_and_never_limits_it_to_older_adults(built: Path) -> None:
    family = md(built, "families", "medicine")
    clinician = md(built, "clinicians", "safety")
    assert "for everyone who takes it, children and teenagers too" in family
    assert "no age limit" in clinician
    for text in (family, clinician):
        assert "most likely in older adults" not in text and "highest risks were seen in adults" not in text
        assert "different medicine of the same kind" in text or "another JAK inhibitor" in text
    assert "Revised:" in family and "Revised:" in clinician  # the label's revision in the citation


@pytest.mark.parametrize("slug", ["safety", "", "handout"])
def test_every_emergency_sign_is_in_the_emergency_box(built: Path, slug: str) -> None:
    text = md(built, "families", slug)
    found = boxes(text)
    assert found.get("Call the emergency number now for any of these") == MEDICINE["emergency_signs"], slug
    for sign in MEDICINE["emergency_signs"]:
        assert unlink(text).count(sign) == 1, (slug, sign)  # nowhere else, so never under "call the care team"
    if slug in ("safety", "handout"):
        assert found.get("Call your care team the same day for any of these") == MEDICINE["same_day_signs"]


def test_the_emergency_box_comes_first_on_the_safety_page(built: Path) -> None:
    text = md(built, "families", "safety")
    assert text.index("Call the emergency number now") < text.index("## What was seen in this study")


def test_no_family_result_among_those_still_taking_it_without_all_who_started(built: Path) -> None:
    for slug in ("", "results", "handout"):
        text = md(built, "families", slug)
        for line in text.splitlines():
            if "still taking it" in line and "out of every 10" in line and "were still taking" not in line:
                assert "who started" in line or "all who started" in line, (slug, line)
    assert "The pictures all use 10 children, so you can compare them" not in md(built, "families", "results")


def test_surgery_is_reported_to_both_audiences_when_the_data_hold_surgery(built: Path) -> None:
    events = (paths.STUDIES / STUDY / "events.csv").read_text(encoding="utf-8")
    assert ",surgery," in events
    assert "| Colectomy |" in md(built, "clinicians", "durability")
    assert "## Operations" in md(built, "families", "results")


def test_label_facts_families_and_clinicians_expect_are_there_with_their_source(built: Path) -> None:
    family = md(built, "families", "medicine")
    for words in ("4 weeks after the last dose", "6 days after the last dose", "Swallow the tablet whole",
                  "grapefruit", "hepatitis B and C", "Live vaccines", "For young people"):
        assert words in family, words
    assert "[^label]" in family and "[^label]: Source:" in family
    clinician = md(built, "clinicians", "safety")
    for words in ("500 cells/mm³", "1000 cells/mm³", "8 g/dL", "45 mg once daily for 8 weeks", "off-label",
                  "lipids about 12 weeks", "CYP3A4"):
        assert words in clinician, words


def test_published_figure_assumptions_are_stated_where_the_figure_is_shown(built: Path) -> None:
    for slug in ("", "published"):
        text = md(built, "clinicians", slug)
        assert "The source gives no time point" in text, slug


def test_completer_only_tests_are_gone_and_the_interval_is_called_pointwise(built: Path) -> None:
    assert "Wilcoxon" not in md(built, "clinicians", "effectiveness")
    durability = md(built, "clinicians", "durability")
    assert "pointwise" in durability and "it is not a simultaneous\nband" in durability


def test_every_study_page_says_who_stands_behind_it(built: Path) -> None:
    for audience in ("families", "clinicians"):
        for page in (built / "docs" / audience / STUDY).glob("*.md"):
            text = page.read_text(encoding="utf-8")
            assert "**About this page.**" in text and "Funding:" in text, page.name
            assert "not yet declared" in text or "Funding: " in text
