"""How numbers are written: half-up rounding, natural frequencies out of 10, the clinician form."""

from __future__ import annotations

import re

import pytest

from evidence_site import fmt
from evidence_site.numbers import proportion
from evidence_site.summarise.published import agrees


def p(k: int, n: int):
    return proportion("s.x", "x", k, n, population="all", method="m")


@pytest.mark.parametrize(("k", "n", "tenths"), [(39, 48, 8), (8, 17, 5), (16, 22, 7), (1, 20, 1), (1, 40, 0),
                                                 (3, 4, 8), (0, 9, 0), (9, 9, 10)])
def test_out_of_ten_rounds_half_up(k: int, n: int, tenths: int) -> None:
    # 8/17 = 4.7 tenths -> 5; 3/4 = 7.5 tenths -> 8 (half-up, not half-even); 1/40 = 0.25 -> 0
    assert fmt.out_of_ten(p(k, n)) == tenths


def test_percent_rounds_half_up() -> None:
    assert fmt.percent(p(1, 8)) == "13%"  # 12.5% -> 13%, where round() would give 12
    assert fmt.percent(p(39, 48)) == "81%"


def test_clinical_form_has_n_of_n_percent_and_interval() -> None:
    assert fmt.clinical(p(39, 48)) == "39/48 (81%; 95% CI 68–90%)"


@pytest.mark.parametrize(("k", "n", "published", "ok"), [
    (39, 48, "81%", True), (38, 48, "81%", False), (6, 7, "6 of 7 (86%)", True), (12, 14, "6 of 7 (86%)", False),
    (26, 48, "just over half", True), (24, 48, "just over half", False)])
def test_agreement_uses_the_published_precision(k: int, n: int, published: str, ok: bool) -> None:
    precision = "just_over_half" if "half" in published else "percent"
    assert agrees(p(k, n), published, precision) is ok


def test_every_withheld_band_reads_as_the_subject_of_a_sentence() -> None:
    """'X had this. X did not.' must read in English and Spanish: a band's words may explain themselves only in
    brackets ('a number of children we do not give, to protect privacy had this' did not read)."""
    import yaml

    from evidence_site import paths

    spanish = yaml.safe_load((paths.TEMPLATES / "es" / "words.yml").read_text(encoding="utf-8"))["frequency"]
    for words in [fmt.suppressed_for_families(band) for band in fmt.FAMILY_BANDS] + list(spanish.values()):
        outside = re.sub(r"\([^)]*\)", "", words)
        assert "," not in outside or words.endswith("o ninguno"), words
