"""The reading-level gate for family pages (pure): Flesch–Kincaid grade of each page's prose.

Only running prose is measured. Front matter, headings, tables, images, HTML tags, footnote
definitions (sources), link targets, admonition markers and inline formatting are removed first.
Glossary words (explained on the glossary page) are replaced by a one-syllable stand-in, and numbers
by another, so that a page is not marked down for naming the medicine or for its figures.

The build prints each page's grade and stops, naming the page and its hardest sentences, when a page
is above the limit. The limit is ``extra.family_reading_grade_max`` in mkdocs.yml (default
:data:`MAX_GRADE`); the aim is :data:`TARGET_GRADE` or lower.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import textstat

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
    return float(textstat.flesch_kincaid_grade(text)) if text.strip() else 0.0


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


def family_gate(pages: dict[str, str], templates: Path, max_grade: float | None = None,
                progress: Callable[[str], None] = lambda _: None) -> list[PageGrade]:
    """:func:`gate` with the glossary words of ``templates/families/glossary.yml`` (the pipeline's entry point)."""
    from .families import GLOSSARY_FILE, parse_glossary

    terms = [form for t in parse_glossary((templates / GLOSSARY_FILE).read_text(encoding="utf-8")) for form in t.forms]
    return gate(pages, terms, MAX_GRADE if max_grade is None else float(max_grade), progress)
