"""The Spanish family pages: twins of the English ones, with the same numbers, their own words and gates."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import load_study, shared_data
from evidence_site import families, fmt, paths, readability
from evidence_site.errors import BuildError, DataError
from evidence_site.numbers import Value
from evidence_site.pipeline import check_translations, generate, language_date, load_studies, site_inputs
from evidence_site.validate import check_medicine

_ARTICLE = re.compile(r'<article class="md-content__inner[^"]*">(.*?)</article>', re.DOTALL)
_NUMBER = re.compile(r"(?<![\w.-])\d+(?:[.,]\d+)?(?![\w-])")


def spanish_pages(site: Path) -> list[Path]:
    return sorted(p for p in (site / "es" / "families").rglob("index.html"))


def article(file: Path) -> str:
    text = file.read_text(encoding="utf-8")
    match = _ARTICLE.search(text)
    assert match, f"{file}: no article"
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1)))


def twin_of(site: Path, spanish: Path) -> Path:
    return site / spanish.relative_to(site / "es")


def test_every_published_study_and_the_topic_have_a_spanish_family_page(demo_build: Path) -> None:
    site = demo_build / "site"
    urls = {p.parent.relative_to(site).as_posix() for p in spanish_pages(site)}
    published = [s.id for s in load_studies(paths.STUDIES) if s.kind == "aggregate" and not s.synthetic]
    topic = "es/families/topics/upadacitinib"
    assert urls == {f"es/families/{sid}" for sid in published} | {topic, *(f"{topic}/{slug}" for slug in (
        "medicine", "questions", "handout"))}


def test_every_spanish_study_page_says_in_spanish_who_wrote_it_who_paid_and_any_conflicts(demo_build: Path) -> None:
    """The foot of each Spanish study page says what its English twin says (an outside clinician found funding and
    conflicts missing, and the authors named in English), in the Spanish words data/site.yml gives."""
    site = demo_build / "site"
    studies = [p for p in spanish_pages(site) if "/topics/" not in p.as_posix()]
    assert studies
    for spanish in studies:
        text = " ".join(article(spanish).split())
        assert "La escribió: El equipo del proyecto evidence-site." in text, spanish
        assert "Financiación: aún no se ha declarado. Conflictos de intereses: aún no se han declarado." in text
        assert "Las páginas se rehacen cada vez que cambian los datos" in text
        assert "project team" not in text, spanish


def test_every_number_on_a_spanish_page_is_the_number_on_its_english_twin(demo_build: Path) -> None:
    site = demo_build / "site"
    pages = spanish_pages(site)
    assert pages
    for spanish in pages:
        english = twin_of(site, spanish)
        es_numbers, en_numbers = set(_NUMBER.findall(article(spanish))), set(_NUMBER.findall(article(english)))
        assert es_numbers == en_numbers, (spanish, es_numbers ^ en_numbers)


def test_a_spanish_page_cites_the_same_computed_values_as_its_english_twin(demo_build: Path) -> None:
    manifest = json.loads((demo_build / "site" / paths.NUMBERS_JSON).read_text(encoding="utf-8"))
    cited: dict[str, set[str]] = {}
    for value in manifest["values"]:
        for page in value["pages"]:
            cited.setdefault(page, set()).add(value["id"])
    spanish = [url for url in cited if url.startswith("es/families/")]
    assert spanish
    for url in spanish:
        assert cited[url] == cited[url.removeprefix("es/")], url


def test_spanish_pages_are_built_with_the_themes_spanish_strings_and_link_to_their_twin(demo_build: Path) -> None:
    site = demo_build / "site"
    for spanish in [site / "es" / "index.html", *spanish_pages(site)]:
        text = spanish.read_text(encoding="utf-8")
        assert '<html lang="es"' in text
        assert 'placeholder="Búsqueda"' in text  # Material's own search string, in Spanish
        assert 'title="Cambiar a modo oscuro"' in text and "Switch to" not in text  # the light/dark switch too
        assert "Traducción sin revisar" in text  # data/site.yml records no review
        assert ">English</a>" in text
    for spanish in spanish_pages(site):
        english = twin_of(site, spanish).read_text(encoding="utf-8")
        href = re.search(r'<a href="([^"]+)" hreflang="es" lang="es">Español</a>', english)
        assert href, twin_of(site, spanish)
        target = (twin_of(site, spanish).parent / href.group(1) / "index.html").resolve()
        assert target == spanish.resolve()
        back = re.search(r'<a href="([^"]+)" hreflang="en" lang="en">English</a>', spanish.read_text(encoding="utf-8"))
        assert back and (spanish.parent / back.group(1) / "index.html").resolve() == twin_of(site, spanish).resolve()


def test_the_home_pages_link_to_each_other_in_words(demo_build: Path) -> None:
    site = demo_build / "site"
    assert '<a href="es/" hreflang="es" lang="es">Español</a>' in (site / "index.html").read_text(encoding="utf-8")
    assert '<a href="../" hreflang="en" lang="en">English</a>' in (site / "es" / "index.html").read_text(
        encoding="utf-8")


def test_the_spanish_footer_gives_the_date_in_spanish_words(demo_build: Path) -> None:
    words = yaml.safe_load((paths.TEMPLATES / "es" / "words.yml").read_text(encoding="utf-8"))
    day = max(s.spec.data_date for s in load_studies(paths.STUDIES))
    want = families.worded_date(day, words)
    assert re.fullmatch(r"\d{1,2} de [a-z]+ de \d{4}", want) and want.split()[2] in words["months"]
    for spanish in [demo_build / "site" / "es" / "index.html", *spanish_pages(demo_build / "site")]:
        html_text = spanish.read_text(encoding="utf-8")
        footer = html_text[html_text.index('<footer class="md-footer">'):html_text.index("</footer>")]
        assert f"el {want}." in " ".join(footer.split()) or f"del {want}" in " ".join(footer.split()), spanish
        assert day not in footer, f"{spanish}: the ISO date is still in the footer"


def test_a_words_file_without_month_names_is_refused_for_the_footer(tmp_path: Path) -> None:
    (tmp_path / "es").mkdir()
    (tmp_path / "es" / "words.yml").write_text("date: '{day} de {month} de {year}'\nmonths: [enero]\n",
                                               encoding="utf-8")
    with pytest.raises(BuildError, match="months"):
        language_date(tmp_path, "es", "2026-11-25")


def test_the_english_site_keeps_its_english_theme(demo_build: Path) -> None:
    text = (demo_build / "site" / "families" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="en"' in text and "Traducción" not in text


def test_the_medical_facts_keep_their_count_in_translation() -> None:
    med = yaml.safe_load((paths.DATA / "medicines" / "upadacitinib.yml").read_text(encoding="utf-8"))
    for name in ("emergency_signs", "same_day_signs", "unknowns", "blood_tests", "questions"):
        assert len(med[f"{name}_es"]) == len(med[name]), name
    assert list(med["about_es"]) == list(med["about"])
    assert [f["source"] for f in med["about_es"].values()] == [f["source"] for f in med["about"].values()]


def test_spanish_facts_must_match_the_english_facts_key_for_key_and_source_for_source() -> None:
    medicine = shared_data().medicines["upadacitinib"]
    assert check_medicine("upadacitinib", medicine) == []
    first, *rest = list(medicine.about_es.items())
    missing = dataclasses.replace(medicine, about_es=dict(rest))
    problems = check_medicine("upadacitinib", missing)
    assert [p.column for p in problems] == ["about_es"] and first[0] in problems[0].expected
    key, fact = first
    wrong = dataclasses.replace(medicine, about_es={**medicine.about_es, key: dataclasses.replace(fact, source="x")})
    assert [p.column for p in check_medicine("upadacitinib", wrong)] == [f"about_es.{key}.source"]
    fewer = dataclasses.replace(medicine, questions_es=medicine.questions_es[:-1])
    assert [p.column for p in check_medicine("upadacitinib", fewer)] == ["questions_es"]


@pytest.fixture(scope="module")
def studies() -> list:
    return load_studies(paths.STUDIES)


def test_a_recorded_review_replaces_the_unreviewed_note_and_half_a_record_is_refused(studies: list) -> None:
    site = site_inputs()
    site["translations"] = {"es": {**site["translations"]["es"],
                                   "review": {"by": "A. Ejemplo, traductora médica", "date": "2026-12-01"}}}
    page = generate(studies, paths.TEMPLATES, site=site).files["es/families/topics/upadacitinib/index.md"].decode()
    assert "Traducción revisada" in page and "Traducción sin revisar" not in page
    assert "A. Ejemplo, traductora médica el 1 de diciembre de 2026" in page
    with pytest.raises(BuildError, match="only one of `by` and `date`"):
        check_translations({"es": {"review": {"by": "Someone", "date": ""}}})
    with pytest.raises(BuildError, match="not a date"):
        check_translations({"es": {"review": {"by": "Someone", "date": "soon"}}})


def test_a_study_with_spanish_words_must_have_all_of_them_beside_the_english(tmp_path: Path) -> None:
    folder = tmp_path / "studies" / "cohen-2025-apt-cd"
    shutil.copytree(paths.STUDIES / "cohen-2025-apt-cd", folder)
    meta = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    meta["publication"]["short_es"] = ""
    meta["measures"]["ae_any"]["plain_es"] = ""
    meta["family_caveats_es"] = meta["family_caveats_es"][:1]
    meta["family_harms"] = "Two children had a serious infection."  # and no Spanish words for it
    (folder / "study.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataError) as error:
        load_study(folder)
    text = str(error.value)
    assert "publication.short_es" in text and "measures.ae_any.plain_es" in text
    assert "family_caveats_es" in text and "2 items" in text
    assert "family_harms_es" in text


def test_side_effects_a_source_names_without_a_figure_are_on_the_medicines_family_page_in_both_languages(
        demo_build: Path) -> None:
    """The severe-colitis study's serious harms were only among its own page's caveats (an outside clinician):
    the medicine's family page shows them under the study's results, in English and in Spanish."""
    site = demo_build / "site"
    english = " ".join(article(site / "families" / "topics" / "upadacitinib" / "index.html").split())
    spanish = " ".join(article(site / "es" / "families" / "topics" / "upadacitinib" / "index.html").split())
    assert ("Side effects: Over the six months the study followed the children, the summary we could read names two "
            "serious health problems") in english
    assert "Efectos secundarios: En los seis meses que el estudio siguió a los niños y niñas, el resumen" in spanish
    assert english.index("Acute severe colitis") < english.index("Side effects: Over the six months")


def _value(numerator: int, denominator: int, suppression: str = "") -> Value:
    return Value("s.x", "x", "proportion", numerator / denominator, "m", "p", numerator=numerator,
                 denominator=denominator, suppressed=bool(suppression), suppression=suppression)


ENGLISH = {"about": "about {n} out of every 10 children", "fewer_than_one": "fewer than {n} out of every 10 children",
           "none": "no children", "all": "all children", "nearly_all": "nearly all children",
           "few": "a few children or none", "all_or_nearly_all": "all or nearly all children",
           "withheld": "a number of children (not given, to protect privacy)", "too_few": "too few children to say",
           "not_known": "not known (too few children to say)"}


@pytest.mark.parametrize("denominator", [1, 3, 7, 20, 48, 100, 400])
def test_the_translated_wording_makes_the_same_decisions_as_the_english(denominator: int) -> None:
    for numerator in range(denominator + 1):
        v = _value(numerator, denominator)
        for other, english in ((False, families.frequency(v)), (True, families.frequency_not(v))):
            case, n = families.frequency_case(v, other)
            assert ENGLISH[case].format(n=n) == english, (numerator, denominator, other)
    for suppression in ("count", "complement", "middle", "secondary", "small_group"):
        v = _value(1, denominator, suppression)
        for other, english in ((False, fmt.for_families(v)), (True, families.frequency_not(v))):
            case, n = families.frequency_case(v, other)
            assert ENGLISH[case].format(n=n) == english


def test_the_spanish_reading_gate_passes_plain_spanish_and_stops_a_hard_page() -> None:
    easy = "# Título\n\nEl niño toma la pastilla. Su madre lo mira. Los dos están bien.\n"
    hard = ("# Título\n\nLa farmacocinética interindividual condiciona significativamente la biodisponibilidad "
            "sistémica, independientemente de características antropométricas, inmunológicas y genéticas "
            "heterogéneas, particularmente en pacientes pediátricos inmunocomprometidos.\n")
    assert readability.spanish_gate({"es/a/": easy}, 60)[0].grade >= 70
    with pytest.raises(BuildError, match="Fernández-Huerta"):
        readability.spanish_gate({"es/a/": easy, "es/b/": hard}, 60)
    assert readability.grade("The cat sat on the mat.") < 2  # English grading is left in English afterwards


def _without_spanish(value: object) -> object:
    """A study.yml's content with every Spanish field left out (a study written in English only)."""
    if isinstance(value, dict):
        return {k: _without_spanish(v) for k, v in value.items() if not str(k).endswith("_es")}
    if isinstance(value, list):
        return [_without_spanish(v) for v in value]
    return value


@pytest.fixture(scope="module")
def with_english_only(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The pages generated from the bundled studies and a copy of one under another id with every Spanish field
    left out, its clinical response figure moved to week 156 (3 years) and counted among those still taking the
    medicine (60 of 80)."""
    studies = tmp_path_factory.mktemp("english-only") / "studies"
    shutil.copytree(paths.STUDIES, studies)
    folder = studies / "english-only-2026"
    shutil.copytree(paths.STUDIES / "cohen-2025-apt-cd", folder)
    meta = _without_spanish(yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8")))
    assert isinstance(meta, dict)
    meta["short_title"] = "English only, 100 children"
    meta["publication"] |= {"title": "A study written up in English only", "short": "Englishonly and others, 2026",
                            "year": 2026}
    for name in ("doi", "pmid"):
        meta["publication"].pop(name, None)
    (folder / "study.yml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    results = (folder / "results.csv").read_text(encoding="utf-8")
    assert "outcome,clinical_response,all_started,all,8,75,100,75,derived" in results
    (folder / "results.csv").write_text(results.replace(  # a figure among those still on it, at 3 years
        "outcome,clinical_response,all_started,all,8,75,100,75,derived",
        "outcome,clinical_response,on_treatment,all,156,60,80,75,reported"), encoding="utf-8")
    files = generate(load_studies(studies), paths.TEMPLATES, site=site_inputs()).files
    return {name: data.decode() for name, data in files.items() if name.endswith(".md")}


def test_what_the_spanish_topic_page_says_of_all_its_studies_is_said_of_the_studies_it_shows(
        with_english_only: dict[str, str], demo_build: Path) -> None:
    """The time frame of the studies (and how sure they let anyone be) on a Spanish page are those of the studies
    it shows: a study in English only, with a figure at 3 years (week 156), moved the English time frame, not this
    one (the bundled studies' pages, ``demo_build``, are the 'before')."""
    def before(page: str) -> str:
        return (demo_build / "docs" / page).read_text(encoding="utf-8")

    for page in ("families/topics/upadacitinib/index.md", "families/topics/upadacitinib/handout.md"):
        assert "3 years" in with_english_only[page] and "3 years" not in before(page), page
    for page in ("es/families/topics/upadacitinib/index.md", "es/families/topics/upadacitinib/handout.md"):
        def frame(text: str) -> list[str]:
            return re.findall(r"Los estudios miraron cómo estaban[^.]*\.", text)
        assert frame(with_english_only[page]) == frame(before(page)) and frame(before(page)), page
        assert "3 años" not in with_english_only[page], page


def test_a_topic_in_one_language_is_as_sure_as_its_own_studies_and_names_overlap_only_among_them() -> None:
    from types import SimpleNamespace

    from evidence_site.topics import Profile, TopicView

    def study(sid: str, level: str, spanish: bool) -> SimpleNamespace:
        return SimpleNamespace(id=sid, level=level, spec=SimpleNamespace(family_about_es="Sí." if spanish else ""))

    a, b, c = study("a", "low", True), study("b", "moderate", True), study("c", "very_low", False)
    topic = TopicView("med", {}, [a, b, c], [], [], [], [], "very_low",
                      profiles=[Profile(s, "CD", (8,), ("all_started",)) for s in (a, b, c)],
                      overlapping=(frozenset({"a", "c"}),))
    spanish = topic.in_language("es")
    assert [s.id for s in spanish.studies] == ["a", "b"] and [p.study.id for p in spanish.profiles] == ["a", "b"]
    assert spanish.level == "low" and not spanish.overlap  # c, in English only, was the very low one and the pair
    assert [s.id for s in spanish.only_in_english("es")] == ["c"]
    assert topic.in_language("en") is topic and topic.overlap
    both = TopicView("med", {}, [a, b], [], [], [], [], "low", overlapping=(frozenset({"a", "b"}),))
    assert both.in_language("es").overlap


def test_a_study_in_english_only_is_named_on_the_spanish_topic_page_not_shown_without_its_words(
        with_english_only: dict[str, str]) -> None:
    files = with_english_only
    spanish = files["es/families/topics/upadacitinib/index.md"]
    handout = files["es/families/topics/upadacitinib/handout.md"]
    english = files["families/topics/upadacitinib/index.md"]
    assert "English only, 100 children" not in spanish and "Englishonly" not in spanish + handout
    assert not re.search(r"^#+\s*$", spanish, re.MULTILINE)  # no heading left without its words
    assert "Hay 1 estudio sobre upadacitinib que por ahora solo se describe en inglés" in spanish
    assert 'href="../../../../families/topics/upadacitinib/" hreflang="en"' in spanish
    assert "English only, 100 children" in english
    assert "Hay 1 estudio sobre upadacitinib que por ahora solo se describe en inglés" in handout
    # both denominators for a figure that counts only the children still taking the medicine
    assert ("(60 of the 80 children still taking it). About 2 out of every 10 children still taking it were not. "
            "Children who had stopped taking it are not counted here. Counting every child who started (worked out "
            "by us from the report's numbers): of all 100 children who started, 60 were still taking it and") in english


def test_a_time_frame_of_whole_years_beyond_two_reads_in_years_in_both_languages() -> None:
    import jinja2

    env = jinja2.Environment()
    families.install_words(env, yaml.safe_load((paths.TEMPLATES / "es" / "words.yml").read_text(encoding="utf-8")))
    spanish = env.filters["time_frame"]
    cases = {8: ("8 weeks", "8 semanas"), 52: ("one year", "un año"), 104: ("two years", "dos años"),
             156: ("3 years", "3 años"), 260: ("5 years", "5 años"), 150: ("150 weeks", "150 semanas")}
    assert {w: (fmt.time_frame(w), spanish(w)) for w in cases} == cases


@pytest.mark.parametrize(("edit", "said"), [
    ({"reviewed_by": "\u200b"}, "looks filled in but says nothing"),
    ({"reviewed_by": "\u3164"}, "looks filled in but says nothing"),  # a Hangul filler: a letter that shows nothing
    ({"funding": "."}, "looks filled in but says nothing"),
    ({"conflicts": "\u200b", "conflicts_es": "Ninguno"}, "given in Spanish only"),
    ({"conflict": "Consulting fees from AbbVie"}, "Did you mean 'conflicts'?"),
    ({"conflicts": False}, "The statement is not text"),
    ({"written_by": ["A", "B"]}, "The statement is not text"),
], ids=["invisible-reviewer", "filler-reviewer", "full-stop-funding", "invisible-english", "misspelt-key", "yes-no",
        "list"])
def test_a_trust_statement_that_would_hide_or_drop_a_declaration_is_refused(tmp_path: Path, edit: dict,
                                                                             said: str) -> None:
    """"Reviewed by: ." in place of "not yet reviewed by a clinician", a declared conflict dropped for a misspelt
    key, "['A', 'B']" or "not yet declared" for `conflicts: no` (outside hostile tester): each names its field."""
    words = yaml.safe_load((paths.DATA / "site.yml").read_text(encoding="utf-8"))
    words["trust"] |= edit
    (tmp_path / "site.yml").write_text(yaml.safe_dump(words, allow_unicode=True), encoding="utf-8")
    with pytest.raises(BuildError, match=re.escape(said)) as caught:
        site_inputs(paths.MKDOCS_YML, tmp_path)
    assert f"trust.{next(iter(edit))}" in str(caught.value) and "hint:" in str(caught.value)


def test_a_trust_statement_of_spaces_is_empty_so_the_page_says_it_is_not_yet_declared(tmp_path: Path) -> None:
    words = yaml.safe_load((paths.DATA / "site.yml").read_text(encoding="utf-8"))
    words["trust"] |= {"reviewed_by": "   ", "conflicts": " "}
    (tmp_path / "site.yml").write_text(yaml.safe_dump(words, allow_unicode=True), encoding="utf-8")
    trust = site_inputs(paths.MKDOCS_YML, tmp_path)["trust"]
    assert trust["reviewed_by"] == "" and trust["conflicts"] == ""


def test_the_trust_line_ends_each_statement_once_and_never_declares_in_spanish_only(tmp_path: Path) -> None:
    """A declared value ending in a full stop printed ".." ("Funded by AbbVie Inc.."); a Spanish declaration without
    its English one made the Spanish pages say "Ninguno" where the English said "not yet declared" (outside
    hostile tester): refused, naming the field."""
    words = yaml.safe_load((paths.DATA / "site.yml").read_text(encoding="utf-8"))
    words["trust"] |= {"funding": "Funded by the clinic.", "funding_es": "La financia la clínica.",
                       "conflicts": "None declared?", "conflicts_es": "Ninguno…",
                       "written_by": "(The clinic's team.)", "written_by_es": "“El equipo.”"}
    for name in ("releases.yml", "redirects.yml"):
        shutil.copy2(paths.DATA / name, tmp_path / name)
    (tmp_path / "site.yml").write_text(yaml.safe_dump(words, allow_unicode=True), encoding="utf-8")
    site = site_inputs(paths.MKDOCS_YML, tmp_path)
    files = generate(load_studies(paths.STUDIES), paths.TEMPLATES, site=site).files
    english = files["families/cohen-2025-apt-cd/index.md"].decode()
    spanish = files["es/families/cohen-2025-apt-cd/index.md"].decode()
    assert "Funding: Funded by the clinic. Conflicts" in english, english[english.find("Funding"):][:120]
    assert "Financiación: La financia la clínica. Conflictos" in spanish
    assert "Conflicts of interest: None declared?\n" in english and "Conflictos de intereses: Ninguno…\n" in spanish
    assert "Written by: (The clinic's team.)\n" in english
    assert "La escribió: “El equipo.”\n" in spanish
    words["trust"] |= {"conflicts": "", "conflicts_es": "Ninguno"}
    (tmp_path / "site.yml").write_text(yaml.safe_dump(words, allow_unicode=True), encoding="utf-8")
    with pytest.raises(BuildError, match=r"trust\.conflicts_es.*\n.*\n.*trust\.conflicts empty|given in Spanish only"):
        site_inputs(paths.MKDOCS_YML, tmp_path)
