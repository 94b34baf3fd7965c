"""Plain words for the family pages (pure): natural frequencies, certainty wording and glossary links.

Three rules of the family pages live here, each in one place:

- **Natural frequencies.** A proportion becomes "about 8 out of every 10" through :func:`frequency`
  (``fmt.for_families``); the rounding itself is ``fmt.out_of_ten`` (half-up), and the other side is
  10 minus that, so the two sides always add up to 10. A withheld figure reads as its band, never a
  number: "a few children or none", "all or nearly all children" (``fmt.FAMILY_BANDS``).
- **Certainty wording** follows GRADE: high -> plain verbs, moderate -> "probably", low -> "may",
  very low -> "we are very uncertain". :data:`CERTAINTY` is the only mapping from rating to words.
- **Glossary links.** The first use of each glossary word on a family page links to its entry on the
  glossary page (:func:`link_glossary_terms`). Words and definitions live in
  ``templates/families/glossary.yml``, not here.

:func:`install` adds these as filters and globals to the Jinja environment.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import jinja2
import yaml

from . import escape, fmt
from .errors import TemplateError
from .numbers import Value

DENOMINATOR = 10  # families always see "out of every 10" (fmt.out_of_ten rounds to it)
GLOSSARY_FILE = "families/glossary.yml"
WORDS_FILE = "families/words.yml"


# Natural frequencies ---------------------------------------------------------------------------
# The side that happened is fmt.for_families (which also words small-cell protection); the other side is
# worded here from the same rounding (10 minus fmt.out_of_ten), so the two sides always add up to 10.


def _check(v: Value) -> None:
    if v.kind != "proportion":
        raise TemplateError(f"{v.id}: families see natural frequencies of proportions only; this value is a {v.kind}.")


def frequency(v: Value, noun: str = "children") -> str:
    """The side that happened: 'about 8 out of every 10 children', 'a few children', 'no children' ..."""
    _check(v)
    return fmt.for_families(v, noun)


def frequency_not(v: Value, noun: str = "children") -> str:
    """The other side: 'about 2 out of every 10 children' when the first side is 'about 8 out of every 10'."""
    _check(v)
    if v.suppressed:
        return fmt.suppressed_for_families(fmt.FAMILY_BANDS_OTHER.get(v.suppression or "", v.suppression), noun)
    if not v.estimable:
        return f"not known (too few {noun} to say)"
    if fmt.counts_all(v):
        return f"no {noun}"
    if fmt.counts_none(v):
        return f"all {noun}"
    tenths = DENOMINATOR - fmt.out_of_ten(v)
    if tenths <= 0:
        return f"fewer than 1 out of every {DENOMINATOR} {noun}"
    if tenths >= DENOMINATOR:
        return f"nearly all {noun}"
    return f"about {tenths} out of every {DENOMINATOR} {noun}"


def frequency_case(v: Value, other: bool = False) -> tuple[str, int | None]:
    """Which family wording a proportion takes, and its number out of 10, without any words.

    The same decisions as :func:`frequency` (``other=False``) and :func:`frequency_not` (``other=True``), for
    pages whose words live in a words file (``frequency:`` in ``templates/<lang>/words.yml``): ``about``,
    ``fewer_than_one``, ``none``, ``all``, ``nearly_all``, ``few``, ``all_or_nearly_all``, ``withheld``,
    ``too_few`` or ``not_known``."""
    _check(v)
    if v.suppressed:
        reason = fmt.FAMILY_BANDS_OTHER.get(v.suppression or "", v.suppression) if other else v.suppression
        return fmt.FAMILY_BAND_CASES.get(reason or "", "too_few"), None
    if not v.estimable:
        return "not_known", None
    numerator, everyone = fmt.counts_none(v), fmt.counts_all(v)
    if numerator or everyone:
        return ("all" if numerator == other else "none"), None
    tenths = fmt.out_of_ten(v)
    if other:
        tenths = DENOMINATOR - tenths
    if tenths <= 0:
        return "fewer_than_one", 1
    if tenths >= DENOMINATOR:
        return "nearly_all", None
    return "about", tenths


def install_words(env: jinja2.Environment, words: dict[str, Any]) -> None:
    """Family filters that take their words from a words file (a translated site): ``freq``, ``freq_not`` and
    ``time_frame`` with the same numbers and decisions as the English ones, and ``long_date``."""

    def worded(v: Value, other: bool) -> str:
        case, n = frequency_case(v, other)
        return str(words["frequency"][case]).format(n=n, of=DENOMINATOR)

    def time_frame(weeks: int) -> str:
        named, years = words.get("time_frames") or {}, fmt.whole_years(weeks)
        if weeks in named:
            return str(named[weeks])
        return str(words["years"]).format(n=years) if years else str(words["weeks"]).format(n=weeks)

    env.filters.update(freq=lambda v: worded(v, False), freq_not=lambda v: worded(v, True), time_frame=time_frame,
                       long_date=lambda day: worded_date(day, words))


def worded_date(day: dt.date | str, words: dict[str, Any]) -> str:
    """A date in a translated site's words ('25 de noviembre de 2026'): its words file's ``date`` pattern and
    ``months`` names, never the machine's locale."""
    parsed = dt.date.fromisoformat(str(day))
    return str(words["date"]).format(day=parsed.day, month=words["months"][parsed.month - 1], year=parsed.year)


def icon_count(v: Value) -> int:
    """How many of the 10 child figures are coloured (the same rounding as the words)."""
    _check(v)
    tenths = fmt.out_of_ten(v)
    if tenths is None:
        raise TemplateError(f"{v.id}: no icon array for a withheld or not-estimable value.")
    return tenths


# Certainty --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Certainty:
    """How sure the evidence lets us be, in family words."""

    level: str
    hedge: str  # goes before the verb: "", "probably", "may"
    how_sure: str  # one plain sentence


CERTAINTY: dict[str, Certainty] = {
    "high": Certainty("high", "", "We can be quite sure about this."),
    "moderate": Certainty("moderate", "probably", "New studies could change this a little."),
    "low": Certainty("low", "may", "New studies could change this a lot."),
    "very_low": Certainty("very_low", "very uncertain", "The real answer could be quite different."),
}
LEVELS = ("very_low", "low", "moderate", "high")  # lowest first: the evidence together is as sure as its lowest


def certainty(level: str) -> Certainty:
    """The wording for a GRADE rating ('high', 'moderate', 'low', 'very low' in any spelling)."""
    key = re.sub(r"[\s-]+", "_", str(level).strip().lower())
    if key not in CERTAINTY:
        raise TemplateError(f"Unknown certainty rating {level!r}: expected one of high, moderate, low, very low.")
    return CERTAINTY[key]


def claim(level: str, subject: str, verb: str, verb_s: str, rest: str = "") -> str:
    """A sentence hedged for its certainty: 'It may help ...', 'We are very uncertain whether it helps ...'.

    ``verb`` is the plain form ("help") and ``verb_s`` the form after he/she/it ("helps").
    """
    c = certainty(level)
    tail = f" {rest}" if rest else ""
    if c.level == "high":
        return f"{subject} {verb_s}{tail}"
    if c.level == "moderate":
        return f"{subject} probably {verb_s}{tail}"
    if c.level == "low":
        return f"{subject} may {verb}{tail}"
    return f"We are very uncertain whether {subject[:1].lower() + subject[1:]} {verb_s}{tail}"


# Glossary ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One glossary entry: its anchor on the glossary page, the forms it is found by, and its definition."""

    term: str
    anchor: str
    forms: tuple[str, ...]
    definition: str
    source: str = ""

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:  # compiled once per entry (every line of every family page asks)
        return _forms_pattern(self.forms)


def _forms_pattern(forms: Iterable[str]) -> re.Pattern[str]:
    """Any of ``forms`` as a whole word, case ignored, the longest form first."""
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


@functools.lru_cache(maxsize=16)
def _any_term(terms: tuple[Term, ...]) -> re.Pattern[str]:
    """Any form of any of ``terms``: a line where it finds nothing has no glossary word to link."""
    return _forms_pattern({form for term in terms for form in term.forms})


def parse_glossary(text: str) -> list[Term]:
    return list(_parse_glossary(text))


@functools.lru_cache(maxsize=8)
def _parse_glossary(text: str) -> tuple[Term, ...]:
    """Parsed once per text: every family page's template asks for the word list (0.6 s a build when not kept)."""
    entries = template_yaml(text)["terms"]
    terms = []
    for e in entries:
        anchor = e.get("anchor") or _anchor(e["term"])
        terms.append(Term(e["term"], anchor, tuple(e.get("forms") or [e["term"]]), " ".join(e["definition"].split()),
                          e.get("source", "")))
    return tuple(terms)


# Lines that are not running prose: front matter fences, headings, admonition openers, images, HTML,
# footnote definitions and table rules.
_SKIP_LINE = re.compile(r"^\s*(#|!!!|\?\?\?|!\[|<|\[\^|---|\|?\s*:?-{3})")
# Spans inside a line that must not be touched: links and images, inline HTML, footnote references,
# attribute lists, inline code.
_PROTECTED = re.compile(r"!?\[[^\]]*\]\([^)]*\)|<[^>]+>|\[\^[^\]]+\]|\{[^}]*\}|`[^`]*`")


def link_glossary_terms(markdown: str, terms: list[Term], href: str) -> str:
    """Link the first use of each glossary term in the page's prose to ``href#<anchor>``.

    Front matter, headings, admonition titles, images, HTML lines, existing links and inline code are
    left alone. Longer forms are matched first, so "ulcerative colitis" wins over "colitis".
    """
    lines = markdown.split("\n")
    start = 0
    if lines and lines[0].strip() == "---":
        start = next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
    todo = list(terms)
    anywhere = _any_term(tuple(terms))
    for i in range(start, len(lines)):
        if not todo:
            break
        if _SKIP_LINE.match(lines[i]) or not anywhere.search(lines[i]):
            continue
        lines[i], todo = _link_line(lines[i], todo, href)
    return "\n".join(lines)


def _link_line(line: str, todo: list[Term], href: str) -> tuple[str, list[Term]]:
    # Earliest match first; on a tie, the longer form, so "ulcerative colitis" wins over "colitis".
    while True:
        free = _free_spans(line)
        best = None
        for term in todo:
            for m in term.pattern.finditer(line):
                if any(a <= m.start() and m.end() <= b for a, b in free):
                    key = (m.start(), -(m.end() - m.start()))
                    if best is None or key < best[0]:
                        best = (key, term, m)
                    break
        if best is None:
            return line, todo
        _, term, m = best
        line = f"{line[:m.start()]}[{m.group(0)}]({href}#{term.anchor}){line[m.end():]}"
        todo = [t for t in todo if t is not term]


KEY_MESSAGES = '<div class="key-messages" markdown>'


def explain_key_terms(markdown: str, terms: list[Term], href: str, summary: str) -> str:
    """After the key messages, an expandable note that explains in place the glossary words linked in them.

    The links still lead to the word list (the fallback without the note); the note saves a phone reader the
    trip. Definitions and terms are escaped (they may come from a medicine's data file).
    """
    lines = markdown.split("\n")
    if KEY_MESSAGES not in (line.strip() for line in lines):
        return markdown
    start = next(i for i, line in enumerate(lines) if line.strip() == KEY_MESSAGES)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].strip() == "</div>"), None)
    if end is None:
        return markdown
    linked = re.findall(rf"\]\({re.escape(href)}#([\w-]+)\)", "\n".join(lines[start:end]))
    by_anchor = {t.anchor: t for t in terms}
    used = [by_anchor[a] for a in dict.fromkeys(linked) if a in by_anchor]
    if not used:
        return markdown
    note = ["", '<details class="glossary-note" markdown>', f"<summary>{escape.html_text(summary)}</summary>", ""]
    note += [f"- **{escape.text(t.term)}**: {escape.text(t.definition)}" for t in used]
    note += ["", "</details>", ""]
    return "\n".join(lines[:end + 1] + note + lines[end + 1:])


def _free_spans(line: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for m in _PROTECTED.finditer(line):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, len(line)))
    return spans


# Jinja ------------------------------------------------------------------------------------------


def _load_yaml(env: jinja2.Environment, name: str) -> Any:
    source, _, _ = env.loader.get_source(env, name)
    return copy.deepcopy(_parsed_template_yaml(source))  # a copy: a template may not change the next page's words


def template_yaml(text: str) -> Any:
    """YAML of the project's own template files (trusted, not study data): libyaml's safe loader when built."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@functools.lru_cache(maxsize=8)
def _parsed_template_yaml(text: str) -> Any:
    return template_yaml(text)


def install(env: jinja2.Environment) -> None:
    """Add the family filters and globals to a template environment."""

    @jinja2.pass_context
    def glossary_terms(context: jinja2.runtime.Context) -> list[Term]:
        """The shared word list plus the entries of the page's medicine."""
        source, _, _ = context.environment.loader.get_source(context.environment, GLOSSARY_FILE)
        terms = parse_glossary(source)
        study = context.get("study")
        if study is not None:
            terms += [Term(e.term, e.anchor or _anchor(e.term), tuple(e.forms or [e.term]),
                           " ".join(e.definition.split()), e.source) for e in study.medicine.glossary]
        return terms

    @jinja2.pass_context
    def glossary_links(context: jinja2.runtime.Context, markdown: str) -> str:
        page = context["page"]
        href = context["link"](f"families/{page.study}/glossary.md")
        terms = glossary_terms(context)
        linked = link_glossary_terms(markdown, terms, href)
        return explain_key_terms(linked, terms, href, _load_yaml(context.environment, WORDS_FILE)["glossary_note"])

    @jinja2.pass_environment
    def family_words(environment: jinja2.Environment) -> dict[str, Any]:
        return _load_yaml(environment, WORDS_FILE)

    env.filters.update(upper_first=lambda text: text[:1].upper() + text[1:], freq=frequency, freq_not=frequency_not,
                       icons=icon_count, glossary_links=glossary_links)
    env.globals.update(certainty=certainty, claim=claim, glossary_terms=glossary_terms, family_words=family_words)


def _anchor(term: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")
