"""The family pages of the built demonstration site, read as a parent would and checked against the manifest."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from test_family_words import tenths_by_hand

from evidence_site import families, paths, readability
from evidence_site.urls import publication_address_problem

pytestmark = pytest.mark.slow
STUDY = "example-clinic-records"
SLUGS = ("", "results/", "safety/", "medicine/", "limits/", "questions/", "glossary/", "handout/")


@pytest.fixture(scope="module")
def built(demo_build: Path) -> Path:
    return demo_build


@pytest.fixture(scope="module")
def records(built: Path) -> list[dict]:
    return json.loads((built / "site" / "numbers.json").read_text(encoding="utf-8"))["values"]


class Article(HTMLParser):
    """The text of a page's <article>, as (text, link href or None, not prose) runs.

    Not prose: headings, admonition titles, footnotes (the sources) and the note that explains the key
    messages' glossary words in place (its definitions).
    """

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[tuple[str, str | None, bool]] = []
        self.images: list[dict[str, str]] = []
        self._depth = 0  # inside <article>
        self._href: list[str | None] = []
        self._title = 0
        self._divs: list[bool] = []  # open <div>s: True for the footnotes (sources), which are not prose

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "article":
            self._depth += 1
        if not self._depth:
            return
        if tag == "a":
            self._href.append(a.get("href"))
        if re.fullmatch(r"h[1-6]", tag) or "admonition-title" in (a.get("class") or ""):
            self._title += 1
        if tag in ("div", "details"):
            self._divs.append(any(c in (a.get("class") or "") for c in ("footnote", "glossary-note")))
        if tag == "img":
            self.images.append({k: v or "" for k, v in a.items()})

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._depth -= 1
        if not self._depth:
            return
        if tag == "a" and self._href:
            self._href.pop()
        if tag in ("div", "details") and self._divs:
            self._divs.pop()
        if re.fullmatch(r"h[1-6]", tag) or (tag == "p" and self._title):
            self._title = max(0, self._title - 1)

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.runs.append((data, self._href[-1] if self._href else None, bool(self._title) or any(self._divs)))

    @property
    def text(self) -> str:
        return "".join(t for t, _, _ in self.runs)


def article(built: Path, slug: str) -> Article:
    parser = Article()
    parser.feed((built / "site" / "families" / STUDY / slug / "index.html").read_text(encoding="utf-8"))
    return parser


def clinician_text(built: Path, url: str) -> str:
    parser = Article()
    parser.feed((built / "site" / url / "index.html").read_text(encoding="utf-8"))
    return parser.text


def test_every_family_item_is_built(built: Path) -> None:
    for slug in SLUGS:
        assert (built / "site" / "families" / STUDY / slug / "index.html").is_file(), slug


def test_family_numbers_are_clinician_numbers_with_the_same_underlying_value(built: Path, records: list) -> None:
    """Every value a family page prints is printed on a clinician page too, and both show the same counts.

    The family words are recomputed here from the record's own numerator and denominator (whole-number
    half-up rounding), and the clinician page must show that numerator/denominator.
    """
    cited = [r for r in records if any(p.startswith(f"families/{STUDY}/") for p in r["pages"])]
    assert len(cited) >= 10
    for r in cited:
        family = [p for p in r["pages"] if p.startswith("families/")]
        clinic = [p for p in r["pages"] if p.startswith("clinicians/")]
        assert clinic, f"{r['id']} is on {family} but on no clinician page"
        clinic_text = " ".join(clinician_text(built, p) for p in clinic)
        family_text = " ".join(article(built, p.split("/", 2)[2]).text for p in family).lower()
        if r["kind"] == "count":
            assert str(r["value"]) in family_text and str(r["value"]) in clinic_text, r["id"]
            continue
        assert r["kind"] == "proportion", r["id"]
        if r.get("suppressed"):
            assert any(words in family_text for words in ("a few children or none", "all or nearly all children",
                                                          "we do not give this number")), r["id"]
            assert f"of {r['denominator']}" in clinic_text, r["id"]
            continue
        k, n = r["numerator"], r["denominator"]
        assert f"{k}/{n}" in clinic_text, r["id"]
        tenths = tenths_by_hand(k, n)
        if 0 < tenths < 10:
            assert f"about {tenths} out of every 10" in family_text, r["id"]
            assert f"about {10 - tenths} out of every 10" in family_text, f"{r['id']}: the other side is missing"


def test_every_family_page_reads_at_grade_8_or_lower_and_most_at_6(built: Path) -> None:
    pages = {str(md.relative_to(built / "docs")): md.read_text(encoding="utf-8")
             for md in (built / "docs" / "families").rglob("*.md")}
    terms = [f for t in families.parse_glossary((paths.TEMPLATES / families.GLOSSARY_FILE).read_text("utf-8"))
             for f in t.forms]
    grades = readability.gate(pages, terms, readability.MAX_GRADE)
    assert len(grades) == len(pages)  # every family page is graded
    assert sum(g.url.startswith(f"families/{STUDY}/") for g in grades) == len(SLUGS)
    assert sum(g.grade <= readability.TARGET_GRADE for g in grades) > len(grades) / 2
    report = (built / "progress.txt").read_text(encoding="utf-8")
    for slug in SLUGS:
        assert re.search(rf"reading level: grade +\d+\.\d .* families/{STUDY}/{slug} \(", report), slug


def all_terms() -> list[families.Term]:
    """The shared word list and the entries of the demonstration study's medicine."""
    import yaml

    medicine = yaml.safe_load((paths.DATA / "medicines" / "upadacitinib.yml").read_text(encoding="utf-8"))
    extra = yaml.safe_dump({"terms": medicine.get("glossary", [])})
    return families.parse_glossary((paths.TEMPLATES / families.GLOSSARY_FILE).read_text(encoding="utf-8")) + \
        families.parse_glossary(extra)


def test_first_use_of_each_glossary_word_links_to_its_entry(built: Path) -> None:
    terms = all_terms()
    used: set[str] = set()
    for slug in SLUGS:
        if slug == "glossary/":
            continue
        # Prose only: not headings or box titles, and not the labels of links to other pages (navigation).
        runs = [(t, href) for t, href, title in article(built, slug).runs
                if not title and (href is None or "glossary/" in href)]
        for term in terms:
            first = next(((t, href) for t, href in runs if term.pattern.search(t)), None)
            if first is None:
                continue
            used.add(term.anchor)
            text, href = first
            assert href and href.endswith(f"glossary/#{term.anchor}"), (
                f"families/{STUDY}/{slug}: the first use of {term.term!r} (in {text.strip()[:60]!r}) is not linked "
                "to the glossary")
    assert used, "no glossary word is used on the family pages"


def test_glossary_page_lists_exactly_the_words_the_family_pages_use(built: Path) -> None:
    html = (built / "site" / "families" / STUDY / "glossary" / "index.html").read_text(encoding="utf-8")
    linked = {a for slug in SLUGS if slug != "glossary/"
              for _, href, _ in article(built, slug).runs if href and "glossary/#" in href
              for a in [href.split("#", 1)[1]]}
    for term in all_terms():
        assert (f'id="{term.anchor}"' in html) == (term.anchor in linked), term.term


def test_no_percentages_no_one_in_x_and_no_recommendations(built: Path) -> None:
    for slug in SLUGS:
        text = article(built, slug).text
        assert "%" not in text, slug
        assert not re.search(r"\b1 in \d", text), slug
        assert not re.search(r"\b(you|your child|they) (should|must)\b", text, re.IGNORECASE), slug
        assert "95" not in text and "CI" not in text.split(), slug


def test_results_page_has_one_icon_array_per_result_all_out_of_ten(built: Path) -> None:
    page = article(built, "results/")
    icons = [i for i in page.images if i["src"].startswith("../figures/")]
    assert len(icons) >= 4
    for img in icons:
        assert img["alt"].startswith("A row of 10 child figures"), img
        svg = (built / "site" / "families" / STUDY / "figures" / img["src"].split("/")[-1]).read_text("utf-8")
        drawn = re.sub(r"<defs>.*?</defs>", "", svg)  # a child figure drawn three times or more is one <use>d path
        assert drawn.count("<use") + drawn.count("<path") - 1 >= 10  # ten child figures (and the background)


def test_handout_has_key_messages_icon_array_warning_signs_date_and_a_draft_box_while_the_address_is_a_placeholder(
        built: Path) -> None:
    page = article(built, "handout/")
    text = " ".join(page.text.split())
    site_url = re.search(r"^site_url:\s*(\S+)", paths.MKDOCS_YML.read_text(encoding="utf-8"), re.M).group(1)
    assert publication_address_problem(site_url) is not None, "mkdocs.yml is expected to hold the placeholder"
    assert "out of every 10 children were still taking it" in text
    # both sides of the harms, as the safety page gives them (an outside clinician: only benefits were given)
    assert re.search(r"About \d+ out of every 10 children had at least one side effect within one year\. About \d+ "
                     r"out of every 10 children had none written down\. .{5,40} had a serious one\. We cannot tell "
                     r"which ones the medicine caused\.", text), text
    assert "Call the emergency number now" in text and "Call your care team the same day" in text
    assert "15 January 2026" in text  # data_date of the study
    assert "Draft: the web address is not set yet. Do not hand out this sheet." in text
    assert site_url.rstrip("/") not in text
    assert not [i for i in page.images if i["src"].endswith("handout-qr.svg")]
    assert not (built / "site" / "families" / STUDY / "figures" / "handout-qr.svg").exists()
    assert sum(i["alt"].startswith("A row of 10 child figures") for i in page.images) == 1


def page_at(built: Path, url: str) -> Article:
    parser = Article()
    parser.feed((built / "site" / url / "index.html").read_text(encoding="utf-8"))
    return parser


@pytest.mark.parametrize(("url", "counted", "care_team", "signs", "draft"), [
    ("families/topics/upadacitinib/handout/", "of the {n} children who started", "Your care team",
     ("Call the emergency number now", "Call your care team the same day",
      "Health problems during treatment (not always caused by the medicine)",
      "the report we could read gives no figures for side effects"),  # a study that gives none says so
     "Draft: the web address is not set yet. Do not hand out this sheet."),
    ("es/families/topics/upadacitinib/handout/", "de los {n} que empezaron", "Su equipo médico",
     ("Llame ya al número de emergencias", "Llame a su equipo médico ese mismo día",
      "Problemas de salud durante el tratamiento", "el informe que pudimos leer no da cifras de efectos secundarios"),
     "Borrador: la dirección web aún no está puesta. No entregue esta hoja."),
])
def test_a_medicines_handout_gives_each_studys_headline_and_side_effects_with_counts_sources_signs_and_a_draft_box(
        built: Path, records: list, url: str, counted: str, care_team: str, signs: tuple[str, ...], draft: str) -> None:
    """One finding of each published study with its count and source, and beside them (outside clinician and
    parent reviewers: the handout gave benefits only) the side effects each study reports to families, and both
    kinds of warning sign."""
    page = page_at(built, url)
    text = " ".join(page.text.split())
    topic = url.removesuffix("handout/")
    cited = [r for r in records if url in r["pages"]]
    harms = [r for r in cited if ".rae_" in r["id"]]  # an adverse event a publication reports (ids.reported)
    assert len(cited) - len(harms) >= 3, "one headline figure per published study with family results"
    assert len(harms) >= 2, "the side effects of each study that reports them to families"
    for r in cited:
        assert topic in r["pages"], f"{r['id']} is on the handout but not on the topic page it summarises"
        assert f"{r['numerator']} {counted.format(n=r['denominator'])}" in text, r["id"]
    assert text.count("(from a journal article") + text.count("(de un artículo de revista") >= 2  # source marks
    assert care_team in text and all(words in text for words in signs)
    icons = [i for i in page.images if i["src"].split("/")[-1].startswith("icons-")]
    assert len(icons) == len(cited) - len(harms)
    site_url = re.search(r"^site_url:\s*(\S+)", paths.MKDOCS_YML.read_text(encoding="utf-8"), re.M).group(1)
    assert publication_address_problem(site_url) is not None, "mkdocs.yml is expected to hold the placeholder"
    assert draft in text and site_url.rstrip("/") not in text  # a draft: no address, no QR code
    assert not (built / "site" / topic / "figures" / "handout-qr.svg").exists()


def test_next_and_previous_links_name_the_study_they_lead_to_not_its_first_pages_title(built: Path) -> None:
    site = built / "site"
    pages = [p for p in (site / "families").rglob("index.html") if STUDY not in p.parts]
    pages += list((site / "es" / "families").rglob("index.html"))
    named = 0
    for file in pages:
        text = file.read_text(encoding="utf-8")
        links = re.findall(r'<a class="pager-(?:prev|next)" href="[^"]*">([^<]*)</a>', text)
        assert not [x for x in links if x.endswith((": The short version", ": Lo esencial"))], (file, links)
        named += sum(1 for x in links if "(" in x)  # short titles name their source, e.g. "(J Crohns Colitis 2024)"
    assert named >= 4
