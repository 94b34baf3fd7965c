"""Nothing that identifies a child reaches the built site, and no small count does either.

The demonstration site is built once into a temporary folder; then every file in site/ (HTML, the search
index, numbers.json, CSV downloads, SVG charts, sitemap) is read and searched for every patient id, event id,
date and free-text note in the data, and for counts below the study's ``min_cell``. The expectations come from
the raw CSV files read here with the csv module, independently of the generator's loader.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import gzip
import io
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from conftest import load_study
from evidence_site import fmt, paths
from evidence_site.disclosure.policy import persistence_count
from evidence_site.manifest import flat_values
from evidence_site.numbers import Value, protect
from evidence_site.summarise import summarise

pytestmark = pytest.mark.slow
STUDY = "example-clinic-records"
DATA = paths.STUDIES / STUDY
# Why a value may be withheld (numbers.protect and disclosure): those withheld to protect another figure last.
REASONS = {"count", "complement", "middle", "at_least", "group", "subgroup_itt_only", "restricted_itt_only",
           "small_group", "all_or_none", "order_statistic", "linked", "secondary"}
SECONDARY = {"linked", "secondary"}  # withheld with no range words
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")


@pytest.fixture(scope="module")
def site(demo_build: Path) -> Path:
    return demo_build / "site"


@pytest.fixture(scope="module")
def texts(site: Path) -> dict[str, str]:
    """Every built file as text (gzip unpacked; binary files decoded leniently so nothing is skipped)."""
    out = {}
    for path in sorted(site.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.suffix == ".gz":
                data = gzip.decompress(data)
            out[str(path.relative_to(site))] = data.decode("utf-8", errors="replace")
            if path.suffix == ".csv":  # counts sit in columns n and N: add them as 'n/N' so the scans below see them
                table = csv.DictReader(io.StringIO(data.decode("utf-8-sig")))
                out[str(path.relative_to(site))] += "".join(f"\n{r['n']}/{r['N']}" for r in table if r.get("n"))
    return out


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def private_words() -> set[str]:
    return {r["patient_id"] for r in rows("patients.csv")} | {r["event_id"] for r in rows("events.csv")}


def data_dates() -> set[dt.date]:
    found = {r["start_date"] for r in rows("patients.csv")} | {r["visit_date"] for r in rows("visits.csv")} | {
        r["event_date"] for r in rows("events.csv")}
    return {dt.date.fromisoformat(d) for d in found if d}


def renderings(day: dt.date) -> list[str]:
    """The ways a page, chart or spreadsheet might write a date."""
    month = MONTHS[day.month - 1]
    return [day.isoformat(), f"{day:%d/%m/%Y}", f"{day:%m/%d/%Y}", f"{day.day}/{day.month}/{day.year}",
            f"{day.month}/{day.day}/{day.year}", f"{day:%d.%m.%Y}", f"{day:%Y%m%d}", f"{day.day} {month} {day.year}",
            f"{month} {day.day}, {day.year}", f"{day.day} {month[:3]} {day.year}", f"{month[:3]} {day.day}, {day.year}"]


def test_the_data_have_what_the_scan_looks_for() -> None:
    """Guard against a scan that cannot fail: the demo data do hold ids, dates and notes."""
    assert len(private_words()) > 100
    assert len(data_dates()) > 100
    assert any(r["notes"] for r in rows("events.csv"))


def test_no_patient_or_event_id_in_any_built_file(texts: dict[str, str]) -> None:
    words = private_words()
    pattern = re.compile(r"(?<![A-Za-z0-9_-])(" + "|".join(map(re.escape, sorted(words))) + r")(?![A-Za-z0-9_-])")
    leaks = {name: sorted(set(pattern.findall(text)))[:5] for name, text in texts.items() if pattern.search(text)}
    assert not leaks, leaks


def any_of(strings: set[str]) -> re.Pattern[str]:
    """One pattern for many literal strings (longest first), so that each file is read once."""
    return re.compile("|".join(map(re.escape, sorted(strings, key=lambda x: (-len(x), x)))))


def test_no_date_from_the_data_in_any_built_file(texts: dict[str, str]) -> None:
    pattern = any_of({form for day in data_dates() for form in renderings(day)})
    leaks = {name: sorted(set(pattern.findall(text)))[:5] for name, text in texts.items() if pattern.search(text)}
    assert not leaks, leaks


def test_no_free_text_note_in_any_built_file(texts: dict[str, str]) -> None:
    pattern = any_of({r["notes"].strip() for r in rows("events.csv") if r["notes"].strip()})
    leaks = {name: sorted(set(pattern.findall(text))) for name, text in texts.items() if pattern.search(text)}
    assert not leaks, leaks


def test_raw_data_files_are_never_copied(site: Path, texts: dict[str, str]) -> None:
    names = {"patients.csv", "visits.csv", "events.csv", "study.yml"}
    assert not [p for p in site.rglob("*") if p.name in names]
    headers = {(DATA / n).read_text(encoding="utf-8").splitlines()[0] for n in names - {"study.yml"}}
    assert not [name for name, text in texts.items() if any(h in text for h in headers)]


def test_the_scan_covers_every_kind_of_output(texts: dict[str, str]) -> None:
    kinds = {Path(name).suffix for name in texts}
    assert {".html", ".json", ".svg", ".csv", ".xml", ".gz"} <= kinds, kinds
    assert "search/search_index.json" in texts and "numbers.json" in texts


# --- small-cell protection ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def manifest(texts: dict[str, str]) -> dict:
    """numbers.json with its values flat (texts in place of their keys)."""
    raw = json.loads(texts["numbers.json"])
    return {**raw, "values": flat_values(raw)}


def agrees_with_published(r: dict) -> bool:
    """A recomputed value equal to a published figure (made-up data: the figure they were built to reproduce)."""
    return bool(r.get("agrees_with_published") or (r.get("reproduces") or {}).get("agrees"))


@functools.cache
def min_cell() -> int:
    return yaml.safe_load((DATA / "study.yml").read_text(encoding="utf-8"))["min_cell"]


def small(n: object) -> bool:
    return isinstance(n, int | float) and 1 <= n < min_cell()


def test_demo_study_protects_small_cells_at_five(manifest: dict) -> None:
    assert min_cell() == 5
    assert manifest["studies"][STUDY]["min_cell"] == 5
    assert any(r.get("suppressed") for r in manifest["values"]), "nothing was suppressed: is the rule applied?"


def test_no_small_count_in_numbers_json(manifest: dict) -> None:
    for r in manifest["values"]:
        if agrees_with_published(r):
            continue  # already public; exempt and marked by its published figure and source
        if r.get("public_through") or persistence_count(Value(r["id"].split(".", 1)[1], "", r["kind"], None, "")):
            continue  # given exactly by published figures (named), or a count of staying on treatment
        k, n = r.get("numerator"), r.get("denominator")
        assert not small(k), r
        assert not small(n), r
        if r["kind"] == "count":
            assert not small(r.get("value")), r
        if r["kind"] == "proportion" and k is not None and n is not None:
            assert not small(n - k), r
        if r.get("suppressed"):
            assert r["suppression"] in REASONS and r["suppressed_below"] == 5
            assert not {"value", "numerator", "ci_low", "ci_high"} & set(r), r


def readable(text: str) -> str:
    """Page text without tags, so that 'n/N' patterns are seen as a reader sees them."""
    return re.sub(r"<[^>]+>", " ", text)


def staying(r: dict) -> bool:
    """A count of staying on treatment (published as it is; by diagnosis, it is printed as a denominator too)."""
    return persistence_count(Value(r["id"].split(".", 1)[1], "", r["kind"], None, ""))


def test_no_small_n_of_n_printed_anywhere(texts: dict[str, str], manifest: dict) -> None:
    """Every 'k/N' or 'k of N' in pages, charts, downloads and the search index has k and N-k outside 1..4."""
    public = {(r["numerator"], r["denominator"]) for r in manifest["values"]
              if (agrees_with_published(r) or r.get("public_through") or staying(r)) and "numerator" in r}
    pattern = re.compile(r"(?<![\d./-])(\d{1,3}) ?(?:/|of) ?(\d{1,3})(?![\d./-])")
    found = []
    for name, text in texts.items():
        if not name.endswith((".html", ".svg", ".csv", ".json")) or name.startswith("assets/"):
            continue
        text = readable(text)
        for match in pattern.finditer(text):
            k, n = int(match[1]), int(match[2])
            withheld = text[max(0, match.start() - 13):match.start()].endswith(("fewer than ", "more than "))
            if 0 < n <= 200 and k <= n and (small(k) or small(n - k)) and (k, n) not in public and not withheld:
                found.append((name, text[max(0, match.start() - 40):match.end() + 10]))
    assert not found, found[:20]


def test_no_small_n_equals_in_charts(texts: dict[str, str]) -> None:
    for name, text in texts.items():
        if name.endswith(".svg"):
            assert not [n for n in re.findall(r"n = (\d+)", text) if small(int(n))], name


def raw_values() -> dict[str, Value]:
    """The same summaries with protection switched off: what must not leak."""
    study = load_study(DATA)
    return {v.id: v for v in summarise(replace(study, spec=replace(study.spec, min_cell=0)))}


def test_withheld_rates_read_like_any_other_withheld_figure(texts: dict[str, str]) -> None:
    """A rate's words come from fmt.withheld like its events' (once a template said "fewer than 5 events" beside
    events whose range words had been dropped)."""
    assert not [name for name, t in texts.items() if "not shown (fewer than" in t]


def test_withheld_values_do_not_appear_in_their_raw_form(texts: dict[str, str], manifest: dict) -> None:
    """For each suppressed proportion, its unprotected 'k/N' and 'k/N (p%; 95% CI ...)' appear nowhere."""
    raw = raw_values()
    corpus = "\n".join(readable(t) for name, t in texts.items() if not name.startswith("assets/"))
    # the same count over the same denominator printed for another figure (a published one, or one that is not
    # sensitive, such as 17/21 still on treatment beside a withheld 17/21 with an earlier therapy) is no leak
    public = {(r["numerator"], r["denominator"]) for r in manifest["values"]
              if not r.get("suppressed") and "numerator" in r and "denominator" in r}
    checked = 0
    for r in manifest["values"]:
        if not r.get("suppressed") or r["kind"] != "proportion":
            continue
        v = raw[r["id"]]
        if not (small(v.numerator) or small(v.denominator - v.numerator)):
            continue  # withheld to protect another figure: its own count is not small (see the next test)
        if (v.numerator, v.denominator) in public:
            continue  # the same count is a published figure (exempt), e.g. on the published-figures table
        assert v.numerator is not None
        assert fmt.clinical(v) not in corpus, r["id"]
        assert re.search(rf"(?<!\d){v.numerator}/{v.denominator}(?!\d)", corpus) is None, (r["id"], fmt.n_of_n(v))
        checked += 1
    assert checked > 10


def test_protect_is_the_only_rule_and_it_is_exact() -> None:
    """numbers.protect against the rule written out: which (k, N) pairs are withheld at min_cell 5."""
    from evidence_site.numbers import proportion

    for n in range(0, 12):
        for k in range(0, n + 1):
            v = protect([proportion("x", "x", k, n, population="p", method="m")], 5)[0]
            expected = (1 <= n <= 4) or (1 <= k <= 4) or (1 <= n - k <= 4)
            assert v.suppressed == expected, (k, n)
            if v.suppressed:
                assert v.value is None and v.numerator is None and v.ci_low is None and v.ci_high is None
                assert "fewer than 5" in fmt.clinical(v) or "more than" in fmt.clinical(v)
                assert str(k) not in fmt.clinical(v).split() or k == 5
                assert fmt.percent(v) == fmt.ci(v) == "suppressed"
                assert fmt.out_of_ten(v) is None
                assert fmt.for_families(v) in {"a few children or none", "all or nearly all children",
                                               "too few children to say"}
    assert protect([proportion("x", "x", 2, 40, population="p", method="m")], 0)[0].numerator == 2  # 0 = off


def test_no_shown_count_gives_back_a_withheld_one(manifest: dict) -> None:
    """The same outcome over two denominators: if one is withheld, the other may not show the same count."""
    raw = raw_values()
    withheld = {(raw[r["id"]].label, raw[r["id"]].timepoint_weeks, raw[r["id"]].numerator)
                for r in manifest["values"] if r.get("suppressed") and r["kind"] == "proportion"
                and r["suppression"] != "restricted_itt_only"}  # withheld for its denominator, not its count
    shown = [r for r in manifest["values"] if not r.get("suppressed") and r["kind"] == "proportion"
             and not agrees_with_published(r)]
    leaks = [r["id"] for r in shown if (r["label"], r.get("timepoint_weeks"), r.get("numerator")) in withheld]
    assert not leaks, leaks
    assert any(r.get("suppression") in SECONDARY for r in manifest["values"]), "the demo data exercise the rule"


def test_linked_values_are_withheld_together() -> None:
    from evidence_site.numbers import proportion

    itt = proportion("itt", "Response, week 52", 14, 21, population="all", method="m", timepoint_weeks=52)
    obs = proportion("obs", "Response, week 52", 14, 17, population="assessed", method="m", timepoint_weeks=52)
    other = proportion("other", "Remission, week 52", 14, 30, population="all", method="m", timepoint_weeks=52)
    out = {v.id: v for v in protect([itt, obs, other], 5)}
    assert out["obs"].suppression == "complement" and out["itt"].suppression == "linked"
    assert not out["other"].suppressed
    assert "14" not in fmt.clinical(out["itt"])  # the count; its denominator 21 is printed as for any figure


def test_published_figures_are_exempt_only_when_they_agree() -> None:
    from evidence_site.numbers import proportion

    agreeing = replace(proportion("x", "x", 3, 48, population="p", method="m"), published_value="6%",
                       agrees_with_published=True)
    differing = replace(agreeing, agrees_with_published=False)
    assert not protect([agreeing], 5)[0].suppressed
    assert protect([differing], 5)[0].suppressed


def test_privacy_page_is_in_the_site_and_its_navigation(site: Path) -> None:
    page = (site / "privacy" / "index.html").read_text(encoding="utf-8")
    assert "Small-number rule" in page or "small-number rule" in page
    assert 'href="privacy/"' in (site / "index.html").read_text(encoding="utf-8")
