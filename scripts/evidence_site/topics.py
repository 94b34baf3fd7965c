"""Aggregate studies prepared for pages, and the topic view across the studies of one medicine (pure).

``aggregate_view`` is the aggregate kind's StudyView: tables of value ids from results.csv. ``topic_views``
lines up every published study of a medicine: the cross-study table keeps design, n, population, disease and
time point beside each figure; a random-effects estimate is added to the number book only where at least two
studies report the same outcome, definition, population, disease and time point with n/N and share no
patients; every other outcome carries the reason it is not pooled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from . import fmt, ids
from .charts import (
    CONFIG,
    FILLED,
    LABEL_SPLIT,
    MUTED,
    PERCENT,
    Figure,
    draw,
    icon_figure,
    padding,
    row_step,
    title_lines,
    wrap_label,
)
from .families import LEVELS, certainty
from .handout import page_address, page_qr
from .numbers import NumberBook, Value
from .pooling import METHOD, dersimonian_laird
from .summarise.aggregate import POPULATION_WORDS, row_id
from .summarise.aggregate import citation as reference
from .validate import AggregateStudy
from .vegalite import Datasets, Spec, channel, encoding, mark, top

SOURCE_MARKS = {
    "journal_article": "from a journal article: {short}",
    "conference_abstract": "from a conference report, not yet checked by other experts: {short}",
    "registry": "from a trial register: {short}",
}
SYNTHETIC_MARK = fmt.MADE_UP
POPULATION_SHORT = {"all_started": "all who started", "on_treatment": "still on treatment",
                    "with_data": "those with data", "subgroup": "subgroup", "unclear": "not stated"}


@dataclass(frozen=True)
class Row:
    """One reported figure, with everything that must stay visible beside it."""

    id: str  # qualified value id
    section: str
    key: str
    label: str
    definition: str
    population: str  # code
    disease: str  # words
    week: int | None
    note: str
    confirmed: str  # primary / secondary
    has_interval: bool
    families: bool
    plain: str
    headline: bool = False  # the study's figure on the home page
    family_note: str = ""
    family_note_es: str = ""
    plain_es: str = ""  # the Spanish twin's words (empty: no Spanish page)
    diseases_es: tuple[str, ...] = ()  # the group in Spanish words, one name per diagnosis ("o" joins them)
    plain_not: str = ""  # words for the other side (empty: "were not")
    plain_not_es: str = ""  # the same in Spanish (empty: "no")
    derived: bool = False  # the count is worked out here from a published percentage of a stated N
    # the value id of how many children started, when the figure counts only those still on treatment (or those who
    # had the test) and its group is the whole study (n in study.yml): the family pages then give both denominators
    started_id: str | None = None
    group: str = "all"  # results.csv `group`: all, a diagnosis code or a subgroup key
    share: float | None = None  # the share of children it counts (n/N, or the percentage), where the source gives it

    @property
    def when(self) -> str:
        if self.week is not None:
            return f"week {self.week}"
        return "at the start" if self.section == "baseline" else "time not stated"

    @property
    def icons(self) -> str:
        """The name of this figure's icon array on a medicine's handout (a file name: no dots)."""
        return "icons-" + self.id.replace(".", "-")


# The population a headline is given among, where the source gives one figure among several (``headline_rows``).
HEADLINE_POPULATIONS = ("all_started", "on_treatment", "with_data", "unclear", "subgroup")


def _headline_rank(row: Row) -> int:
    if row.population in HEADLINE_POPULATIONS:
        return HEADLINE_POPULATIONS.index(row.population)
    return len(HEADLINE_POPULATIONS)


@dataclass
class AggregateView:
    """Everything a template may know about one aggregate study."""

    id: str
    spec: Any
    medicine: Any
    synthetic: bool
    kind: str
    names: dict[str, str]
    mark: str  # the plain source mark for families
    citation: str
    links: list[tuple[str, str]]
    n_id: str | None
    baseline: list[Row] = field(default_factory=list)
    outcomes: list[Row] = field(default_factory=list)
    adverse: list[Row] = field(default_factory=list)
    level: str = "very_low"

    @property
    def family_rows(self) -> list[Row]:
        return [r for r in self.outcomes + self.adverse if r.families]

    @property
    def headline_rows(self) -> list[Row]:
        """The figure for the home page and the handouts: the one marked `headline` (of the whole study when the
        measure is also given by group: one main finding per study), else the first family outcome. A measure
        given among several populations (all who started, those still taking it, those who had the test,
        unclear) gives it among the first of ``HEADLINE_POPULATIONS`` it has, whatever the weeks: the same children
        once, out of everyone where the source says (two sentences once listed them twice, also when one row's week
        was left empty)."""
        rows = self.family_rows
        marked = [r for r in rows if r.headline]
        whole = [r for r in marked if r.group == "all"] or marked
        best = {g: min(_headline_rank(r) for r in whole if r.group == g) for g in {r.group for r in whole}}
        return [r for r in whole if _headline_rank(r) == best[r.group]] or rows[:1]

    @property
    def harm_rows(self) -> list[Row]:
        """The side effects shown to families (of the whole study where it gives them so, else by group)."""
        rows = [r for r in self.adverse if r.families]
        return [r for r in rows if r.group == "all"] or rows

    @property
    def harm_summary(self) -> list[Row]:
        """The side effect that stands for the study's side effects in the lists beside a medicine's findings
        (``_partials/side_effects.md.j2``: the home page, a medicine's handout), so that no list of benefits goes
        without its harms: the broadest, the one that counts the largest share of children (any side effect, where
        the source gives it), whatever the order of results.csv (a sorted sheet once put acne first)."""
        rows = self.harm_rows
        return [max(rows, key=lambda r: -1.0 if r.share is None else r.share)] if rows else []


def source_mark(study: AggregateStudy) -> str:
    if study.synthetic:
        return SYNTHETIC_MARK
    pub = study.spec.publication
    return SOURCE_MARKS.get(pub.kind, "from: {short}").format(short=pub.short)


def disease_words(study: AggregateStudy, group: str) -> str:
    if group == "all":  # the study's condition in its own words (e.g. acute severe ulcerative colitis)
        return study.spec.condition
    if group in study.spec.subgroups:
        return study.spec.subgroups[group]
    return study.vocab.diagnoses[group].label


def diseases_es(study: AggregateStudy, group: str) -> tuple[str, ...]:
    """The group in Spanish family words (``plain_es`` of each diagnosis, or the subgroup's Spanish label)."""
    if group == "all":  # the study's condition in its own words, as in English
        return (study.spec.condition_es,) if study.spec.condition_es else tuple(
            study.vocab.diagnoses[d].plain_es for d in study.spec.diagnoses)
    if group in study.spec.subgroups:
        return (study.spec.subgroups_es.get(group, ""),)
    return (study.vocab.diagnoses[group].plain_es,)


def _share(r: pd.Series) -> float | None:
    """The share of children a results.csv row counts: n/N, else its percentage (None for a median)."""
    if pd.notna(r["numerator"]) and pd.notna(r["denominator"]) and r["denominator"]:
        return float(r["numerator"]) / float(r["denominator"])
    return float(r["percent"]) / 100 if pd.notna(r["percent"]) else None


def aggregate_view(study: AggregateStudy) -> AggregateView:
    spec, pub = study.spec, study.spec.publication
    links = [(f"doi:{pub.doi}", f"https://doi.org/{pub.doi}")] if pub.doi else []
    if pub.pmid:
        links.append((f"PMID {pub.pmid}", f"https://pubmed.ncbi.nlm.nih.gov/{pub.pmid}/"))
    if pub.url and not any(u == pub.url for _, u in links):
        links.append((pub.registry_id or "source", pub.url))
    med = study.medicine
    names = {"medicine": med.name, "Medicine": med.name[:1].upper() + med.name[1:], "brand": med.brand,
             "condition": spec.condition, "status": spec.status}
    citation = reference(pub)
    citation += "" if citation.endswith(("?", "!")) else "."
    sv = AggregateView(study.id, spec, med, study.synthetic, "aggregate", names, source_mark(study), citation, links,
                       f"{study.id}.{ids.STUDY_N}" if spec.n is not None else None,
                       level=certainty(spec.certainty).level)
    for _, r in study.results.iterrows():
        m = spec.measures[r["key"]]
        row = Row(f"{study.id}.{row_id(r)}", r["section"], r["key"], m.label, m.definition, r["population"],
                  disease_words(study, r["group"]), None if pd.isna(r["week"]) else int(r["week"]),
                  "" if pd.isna(r["note"]) else r["note"], r["confirmed"], r["count_basis"] in ("reported", "derived"),
                  m.families and bool(m.plain) and r["section"] != "baseline", m.plain, headline=m.headline,
                  family_note=m.family_note, family_note_es=m.family_note_es, plain_es=m.plain_es,
                  diseases_es=diseases_es(study, r["group"]), plain_not=m.plain_not, plain_not_es=m.plain_not_es,
                  derived=r["count_basis"] == "derived",
                  started_id=sv.n_id if r["population"] in ("on_treatment", "with_data") and r["group"] == "all"
                  else None,
                  group=r["group"], share=_share(r))
        {"baseline": sv.baseline, "outcome": sv.outcomes, "adverse_event": sv.adverse}[r["section"]].append(row)
    return sv


# --- the topic: every published study of one medicine --------------------------------------------------------------

@dataclass
class Comparison:
    """One outcome across studies: its rows, and the pooled value id or the reason there is none."""

    key: str
    label: str
    rows: list[tuple[AggregateView, Row]]
    pooled: str | None = None
    i2: str | None = None
    tau2: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class Profile:
    """How one study differs from the others, for the families' topic page (all from the study's data)."""

    study: AggregateView
    condition: str
    weeks: tuple[int, ...]  # the time points of its family figures
    counted: tuple[str, ...]  # population codes of its family figures


@dataclass
class TopicView:
    medicine: str
    names: dict[str, str]
    studies: list[AggregateView]  # published, with results or not, in order of year
    examples: list[Any]  # views of synthetic studies of this medicine (never mixed with real figures)
    comparisons: list[Comparison]
    diseases: list[str]
    weeks: list[str]
    level: str = "very_low"
    figure: str = ""
    profiles: list[Profile] = field(default_factory=list)  # studies with family figures
    drug: Any = None  # the medicine's data (spec.Medicine): names, facts, warning signs
    overlapping: tuple[frozenset[str], ...] = ()  # the pairs of studies (ids) whose patients may be the same
    language_of: TopicView | None = None  # the whole topic, for its view in one language (``in_language``)

    def in_language(self, lang: str) -> TopicView:
        """The topic as a page in ``lang`` tells it: only the studies with family pages in that language, and what
        is said of them all (how sure, the time frames, whether children may be in two) worked out from those alone
        (English: the topic itself). The others are named apart (``only_in_english``), from the whole topic."""
        if lang == "en":
            return self
        studies = self.studies_in(lang)
        return replace(self, studies=studies, profiles=self.profiles_in(lang), level=lowest_level(studies),
                       language_of=self)

    @property
    def overlap(self) -> bool:
        """Whether some children may be in two of the topic's studies (a pair of ``overlapping`` among them)."""
        shown = {sv.id for sv in self.studies}
        return any(pair <= shown for pair in self.overlapping)

    def profiles_in(self, lang: str) -> list[Profile]:
        """The profiles of the studies that have family pages in ``lang`` (English: all; another language: those
        whose study.yml gives ``family_about_<lang>``, and with it every word of that language)."""
        return [p for p in self.profiles if in_language(p.study, lang)]

    def studies_in(self, lang: str) -> list[AggregateView]:
        """The real studies (with results or not) that have family pages in ``lang``."""
        return [sv for sv in self.studies if in_language(sv, lang)]

    def only_in_english(self, lang: str) -> list[AggregateView]:
        """The real studies that have no family pages in ``lang``: a page in that language names how many, and
        links to the English page, rather than show them without their words."""
        whole = self.language_of or self
        return [sv for sv in whole.studies if not in_language(sv, lang)]

    @property
    def unshown(self) -> list[AggregateView]:
        """The real studies with no family figure (still running, or results not shown to families yet)."""
        shown = {p.study.id for p in self.profiles}
        return [sv for sv in self.studies if sv.id not in shown]

    @property
    def shortest(self) -> int | None:
        return min((w for p in self.profiles for w in p.weeks), default=None)

    @property
    def longest(self) -> int | None:
        return max((w for p in self.profiles for w in p.weeks), default=None)

    @property
    def conditions(self) -> list[str]:
        return sorted({p.condition for p in self.profiles})

    @property
    def counted(self) -> list[str]:
        return sorted({c for p in self.profiles for c in p.counted})


def in_language(study: Any, lang: str) -> bool:
    """Whether ``study`` (a study, its view or its info: anything with its ``spec``) has family pages in ``lang``
    (English always; another language with the study.yml's ``family_about_<lang>``)."""
    return lang == "en" or bool(getattr(study.spec, f"family_about_{lang}", ""))


def comparable_key(sv: AggregateView, row: Row) -> tuple:
    return (row.key, row.definition.strip().lower(), row.population, row.disease, row.week)


def lowest_level(studies: list[AggregateView]) -> str:
    """How sure the studies together let anyone be: the lowest certainty among them (very low when none)."""
    return min((sv.level for sv in studies), key=LEVELS.index, default="very_low")


def overlapping_pairs(studies: list[AggregateView], lookup: Callable[[str], Value]) -> tuple[frozenset[str], ...]:
    """The pairs of studies (ids) whose patients may be the same children: one names the other in
    ``overlaps_with``, or both give the same publication, or both report the very same figures (``same_source``)."""
    ids = {sv.id for sv in studies}
    pairs = {frozenset((sv.id, other)) for sv in studies for other in sv.spec.overlaps_with
             if other in ids and other != sv.id}
    pairs |= {frozenset((a.id, b.id)) for i, a in enumerate(studies) for b in studies[i + 1:]
              if a.id != b.id and same_source([a, b], lookup)}
    return tuple(sorted(pairs, key=sorted))


def same_source(studies: list[AggregateView], lookup: Callable[[str], Value] | None = None) -> bool:
    """Whether two different studies give the same publication (a DOI, PMID, registry id or link in common) or,
    with ``lookup`` (the number book), report the very same figures (:func:`figure_copies`)."""
    seen: dict[tuple[str, str], str] = {}
    for sv in studies:
        for source in sv.spec.publication.ids():
            if seen.setdefault(source, sv.id) != sv.id:
                return True
    return lookup is not None and bool(figure_copies(studies, lookup))


def figure_copies(studies: list[AggregateView], lookup: Callable[[str], Value]) -> list[list[str]]:
    """Groups of studies (ids) that report the very same figures: every row's id, value, count, denominator and
    interval equal, at least two rows each. A study folder copied to start another, whose source was changed but
    not its figures (an outside tester), would otherwise be pooled with its original."""
    by_figures: dict[tuple, list[str]] = {}
    for sv in studies:
        rows = [*sv.baseline, *sv.outcomes, *sv.adverse]
        if len(rows) < 2:
            continue
        figures = tuple(sorted((r.id.split(".", 1)[-1], repr(_figure(lookup(r.id)))) for r in rows))
        by_figures.setdefault(figures, []).append(sv.id)
    return [ids for ids in by_figures.values() if len(ids) > 1]


def _figure(v: Value) -> tuple[Any, ...]:
    return v.value, v.numerator, v.denominator, v.ci_low, v.ci_high, v.population, v.timepoint_weeks


def compare(key: str, rows: list[tuple[AggregateView, Row]], medicine: str,
            lookup: Callable[[str], Value]) -> tuple[Comparison, list[Value]]:
    """Pool where the rows allow it, else say why not. Returns the comparison and any pooled values.

    ``lookup`` gives the value of a row id (the number book)."""
    comparison = Comparison(key, rows[0][1].label, rows)
    buckets: dict[tuple, list[tuple[AggregateView, Row]]] = {}
    for sv, row in rows:
        buckets.setdefault(comparable_key(sv, row), []).append((sv, row))
    studies = {sv.id for sv, _ in rows}
    if len(studies) < 2:
        comparison.reason = "Not pooled: only one study reports this outcome."
        return comparison, []
    for bucket in buckets.values():
        ids_in = [sv.id for sv, _ in bucket]
        if len(set(ids_in)) < 2:
            continue
        overlap = any(other in sv.spec.overlaps_with for sv, _ in bucket for other in ids_in)
        if overlap:
            comparison.reason = ("Not pooled: the studies that report it alike may share patients (the same "
                                 "research network), so their results are not independent.")
            return comparison, []
        if same_source([sv for sv, _ in bucket], lookup):
            comparison.reason = ("Not pooled: two of the studies that report it alike give the same publication as "
                                 "their source, or report the very same figures, so they may be the same patients "
                                 "reported twice.")
            return comparison, []
        if not all(row.has_interval for _, row in bucket):
            comparison.reason = "Not pooled: a study gives only a percentage, without a count and denominator."
            return comparison, []
        return _pool(comparison, bucket, medicine, lookup)
    differ = [name for name, i in (("definition", 1), ("population", 2), ("disease", 3), ("time point", 4))
              if len({comparable_key(sv, r)[i] for sv, r in rows}) > 1]
    comparison.reason = ("Not pooled: no two studies report it with the same outcome definition, population, "
                         "disease and time point (they differ in " + ", ".join(differ or ["study design"]) + ").")
    return comparison, []


def _pool(comparison: Comparison, bucket: list[tuple[AggregateView, Row]], medicine: str,
          lookup: Callable[[str], Value]) -> tuple[Comparison, list[Value]]:
    counts = [(lookup(row.id).numerator, lookup(row.id).denominator) for _, row in bucket]
    p = dersimonian_laird(counts)  # type: ignore[arg-type]
    _, first = bucket[0]
    slug = f"{first.key}_{first.week if first.week is not None else 'na'}_{first.population}_" + \
        "".join(ch for ch in first.disease.lower() if ch.isalnum())[:24]
    vid = ids.pooled(medicine, slug)
    population = f"{POPULATION_WORDS[first.population]}, {first.disease}, {first.when} ({p.k} studies)"
    values = [
        Value(vid, f"{first.label} (pooled)", "proportion", p.estimate, METHOD, population, first.week,
              p.events, p.total, p.low, p.high, "DerSimonian–Laird random effects, 95%"),
        Value(vid + "_i2", "I² (share of variation between studies)", "statistic", p.i2 * 100, METHOD, population,
              unit="%"),
        Value(vid + "_tau2", "τ² (between-study variance, logit scale)", "statistic", p.tau2, METHOD, population),
    ]
    comparison.pooled, comparison.i2, comparison.tau2 = vid, vid + "_i2", vid + "_tau2"
    return comparison, values


def topic_views(studies: list, views: dict[str, Any], book: NumberBook) -> tuple[dict[str, TopicView], list[Value]]:
    """One topic per medicine that has at least one aggregate study; the pooled values to add to the book."""
    topics: dict[str, TopicView] = {}
    new: list[Value] = []
    for med in sorted({s.spec.medicine for s in studies if s.kind == "aggregate"}):
        real = [views[s.id] for s in studies if s.kind == "aggregate" and not s.synthetic and s.spec.medicine == med]
        real.sort(key=lambda sv: (sv.spec.publication.year, sv.id))
        examples = [views[s.id] for s in studies if s.synthetic and s.spec.medicine == med]
        rows: dict[str, list[tuple[AggregateView, Row]]] = {}
        for sv in real:
            for row in sv.outcomes:
                rows.setdefault(row.key, []).append((sv, row))
        comparisons = []
        for key, found in rows.items():
            comparison, pooled = compare(key, found, med, lambda i: book[i])
            comparisons.append(comparison)
            new += pooled
        medicine = real[0].medicine if real else examples[0].medicine
        diseases = sorted({sv.spec.condition for sv in real if not sv.spec.ongoing})
        weeks = sorted({r.when for sv in real for r in sv.outcomes})
        level = lowest_level(real)
        names = {"medicine": medicine.name, "Medicine": medicine.name[:1].upper() + medicine.name[1:],
                 "brand": medicine.brand}
        profiles = [Profile(sv, sv.spec.condition,
                            tuple(sorted({r.week for r in sv.family_rows if r.week is not None})),
                            tuple(sorted({r.population for r in sv.family_rows}))) for sv in real if sv.family_rows]
        overlapping = overlapping_pairs(real, lambda i: book[i])
        topics[med] = TopicView(med, names, real, examples, comparisons, diseases, weeks, level,
                                profiles=profiles, drug=medicine, overlapping=overlapping)
    return topics, new


def forest_figure(topic: TopicView, book: NumberBook) -> Figure | None:
    """Estimate and 95% interval per study, one panel per outcome; each row names the study, the figure's
    denominator, disease, time point and population, so a week-8 figure is never lined up with a week-52 one as
    if alike."""
    items = []  # (outcome, row label, value)
    for c in topic.comparisons:
        for sv, row in c.rows:
            value = book[row.id]
            n = f"N={value.denominator}" if value.denominator else "N not stated"  # the figure's own, not the study's
            panel = f"{c.label} · {row.when} · {POPULATION_SHORT[row.population]}"  # only alike rows share a panel
            items.append((panel, f"{sv.spec.publication.short} ({n}) · {row.disease}", value))
        if c.pooled:
            first = c.rows[0][1]
            items.append((f"{c.label} · {first.when} · {POPULATION_SHORT[first.population]}",
                          f"POOLED: {book[c.pooled].population}", book[c.pooled]))
    order: dict[str, int] = {}
    for panel, _, _ in items:
        order.setdefault(panel, len(order))
    items.sort(key=lambda item: order[item[0]])  # stable: rows keep their order within a panel
    if not items:
        return None
    frame = pd.DataFrame([{"outcome": outcome, "label": wrap_label(label), "pct": v.value * 100,
                           "low": None if v.ci_low is None else v.ci_low * 100,
                           "high": None if v.ci_high is None else v.ci_high * 100} for outcome, label, v in items])
    title = f"{topic.names['Medicine']}: what each study reported"
    alt_text = f"{title}. " + " ".join(
        f"{outcome}, {label}: {fmt.clinical(v) if v.ci_low is not None else fmt.percent(v) + ' reported, no interval'}."
        for outcome, label, v in items)
    return Figure("forest", draw(forest_chart, frame, list(order), title), alt_text, tuple(v.id for _, _, v in items))


def forest_chart(frame: pd.DataFrame, panels: list[str], title: str) -> Spec:
    """The forest plot of :func:`forest_figure`: ``frame`` has outcome (the panel), label, pct, low, high."""
    y = channel("label", "nominal", sort=None, title=None, axis={"labelExpr": LABEL_SPLIT, "labelLimit": 0})
    bars = {"mark": mark("rule", color=MUTED, strokeWidth=2), "encoding": encoding(
        y=y, x=channel("low", "quantitative", scale=PERCENT, axis={"values": [0, 25, 50, 75, 100]},
                       title="% (dot); 95% interval (line) where the source's numbers allow one"),
        x2=channel("high")), "transform": [{"filter": "isValid(datum.low)"}]}
    dots = {"mark": mark("point", filled=True, size=70, color=FILLED),
            "encoding": encoding(y=y, x=channel("pct", "quantitative", scale=PERCENT))}
    header = {"title": None, "labelAngle": 0, "labelAlign": "left", "labelAnchor": "start", "labelOrient": "top",
              "labelFontWeight": "bold", "labelFontSize": 12, "labelLimit": 700}
    data = Datasets()
    rows = channel("outcome", "nominal", sort=panels, header=dict(sorted(header.items())))
    return top(CONFIG, {"data": data.ref(frame), "facet": {"row": rows},
                        "spec": {"layer": [bars, dots], "height": {"step": row_step(list(frame["label"]), 22)},
                                 "width": 300}},
               {"description": title, "padding": padding(96), "resolve": {"scale": {"y": "independent"}},
                "spacing": 10, "title": title_lines(title)}, data)


def handout_figures(topic: TopicView, book: NumberBook, site_url: str, page_url: str,
                    lang: str = "en") -> list[Figure]:
    """A medicine's handout in ``lang``: an icon array (10 child figures) for the headline figure of each study
    with family pages in that language that can be shown out of 10, and, when the site's address is known, the QR
    code of ``page_url`` (the topic page, in the handout's language). The alt text of each picture is the
    template's, in the page's language."""
    figures = [icon_figure(row.icons, book[row.id], row.label) for p in topic.profiles_in(lang)
               for row in p.study.headline_rows
               if book[row.id].estimable and fmt.out_of_ten(book[row.id]) is not None]
    if site_url:
        figures.append(page_qr(page_address(site_url, page_url)))
    return figures
