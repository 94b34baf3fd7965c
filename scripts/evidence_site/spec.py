"""The typed specification of a study (``study.yml``), a medicine (``data/medicines/<name>.yml``) and the
shared vocabulary (``data/vocab/*.yml``): one declaration each, nested fields included.

These declarations are the single source of truth for the YAML side of the data format: ``typed.parse``
checks them, ``typed.describe`` documents them on the Data format page, and the rules listed in each
field's ``rules=`` are the checks of :func:`check_study` (a test keeps the two in step). The CSV side is
``schema.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .typed import spec_field as f

Rating = Literal["high", "moderate", "low", "very low"]
RuleName = Literal["score_below", "score_at_most", "fall_from_baseline", "lab_below", "lab_at_most",
                   "endoscopy_at_most", "all_of"]
Lab = Literal["crp_mg_l", "calprotectin_ug_g"]
Precision = Literal["integer", "1dp", "percent", "just_over_half"]
SourceKind = Literal["journal_article", "conference_abstract", "news", "label", "guideline", "registry", "other",
                     "made_up"]
StudyKind = Literal["records", "aggregate"]
Status = Literal["synthetic", "real", "published"]
MIN_CELL_DEFAULT = 5


# --- vocabulary --------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Term:
    label: str = f("Clinician wording.")
    plain: str = f("Family wording.", default="")
    short: str = f("Short wording for table headings.", default="")
    plain_es: str = f("Family wording in Spanish, for the Spanish family pages.",
                      default="")
    lab: bool = f("Adverse events only: a laboratory finding.", default=False)
    advanced: bool = f("Therapies only: an advanced therapy (a biologic or small molecule), counted in 'two or more "
                       "earlier advanced therapies'; false for conventional ones (thiopurines, methotrexate, "
                       "calcineurin inhibitors).", default=True)


@dataclass(frozen=True, kw_only=True)
class Index:
    label: str = f("Short name shown in tables.")
    name: str = f("Full name.")
    min: float = f("Lowest possible score.")
    max: float = f("Highest possible score.")
    diagnoses: list[str] = f("Diagnoses the index is meant for (empty: any diagnosis). A score on it for a patient "
                             "of another diagnosis is an error.", default=[], rules=("index_fits_diagnosis",))


@dataclass(frozen=True, kw_only=True)
class Frequency:
    label: str = f("Words, e.g. once daily.")
    per_day: float = f("Doses per day (e.g. 2 for twice daily; 0.0178571 for every 8 weeks).")


@dataclass(frozen=True, kw_only=True)
class Vocabulary:
    """Codes a study's data may use. The shared files are data/vocab/<section>.yml; a study can extend any
    section under `vocab:` in study.yml."""

    diagnoses: dict[str, Term] = f("Diagnosis codes (patients.csv `diagnosis`).", default={})
    therapies: dict[str, Term] = f("Earlier therapies (patients.csv `prior_therapies`).", default={})
    adverse_events: dict[str, Term] = f("Adverse-event types (events.csv `ae_type`).", default={})
    stop_reasons: dict[str, Term] = f("Reasons for stopping (events.csv `reason`).", default={})
    surgery: dict[str, Term] = f("Surgery types (events.csv `surgery_type`).", default={})
    follow_up_end: dict[str, Term] = f("Why follow-up ended early (patients.csv `follow_up_end_reason`).",
                                       default={})
    activity: dict[str, Index] = f("Disease-activity indices (visits.csv `activity_index`).", default={})
    endoscopy: dict[str, Index] = f("Endoscopy indices (events.csv `endoscopy_index`).", default={})
    frequencies: dict[str, Frequency] = f("Dose frequencies (`dose_frequency`).", default={})
    limitations: dict[str, str] = f("Kinds of limitation, each in plain words for families.", default={})


VOCAB_SECTIONS = ("diagnoses", "therapies", "adverse_events", "stop_reasons", "surgery", "follow_up_end",
                  "activity", "endoscopy", "frequencies", "limitations")


# --- medicine ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Citation:
    text: str = f("The reference as it should be printed.")
    kind: SourceKind = f("What sort of source it is; a conference abstract is flagged as not peer reviewed. "
                         "`made_up`: an invented source of a made-up example (a template's), never a real one: "
                         "the pages then do not say the example reproduces a publication.", default="other")
    url: str | None = f("Link to the source.", default=None, rules=("url_https",))
    note: str | None = f("A note printed after the reference.", default=None)
    revised: str | None = f("Revision date of a label or guideline (YYYY-MM or YYYY-MM-DD).", default=None)


@dataclass(frozen=True, kw_only=True)
class Fact:
    text: str = f("One fact in our own words (family pages: grade 6 or lower).")
    source: str = f("The citation it comes from.", rules=("fact_source_known",))
    heading: str = f("Family facts: the section of the 'About the medicine' page it goes under.", default="")
    title: str = f("Clinician facts: a short bold title.", default="")


@dataclass(frozen=True, kw_only=True)
class GlossaryEntry:
    term: str = f("The word as a heading.")
    forms: list[str] = f("The ways it appears in text (matched whole, ignoring case).", default=[])
    definition: str = f("Plain definition (grade 6 or lower).")
    source: str = f("Key of the medicine's `citations`.", default="")
    anchor: str = f("Anchor on the word-list page (default: from the term).", default="")


@dataclass(frozen=True, kw_only=True)
class Medicine:
    """Facts about one medicine, shared by every study of it: data/medicines/<name>.yml."""

    name: str = f("Generic name, lower case as in running text.")
    brand: str = f("Brand name.")
    drug_class: str = f("Clinician wording of the class (e.g. selective JAK1 inhibitor).")
    class_plain: str = f("Family wording of the class (e.g. JAK inhibitor).")
    route: str = f("How it is taken, in plain words.")
    citations: dict[str, Citation] = f("Sources of the facts below, keyed by a short name.")
    about: dict[str, Fact] = f("Family facts: what_it_is, how_it_works, who_it_is_for, children, "
                               "before_starting, blood_tests, boxed_warning (each with its source). Keys that start "
                               "with young_people speak to the teenager; the short version links to the first.")
    clinician: dict[str, Fact] = f("Clinician facts: boxed_warning and any others, each with its source.",
                                   default={})
    emergency_signs: list[str] = f("Signs that need the emergency number now (stroke, clot, heart attack, severe "
                                   "allergic reaction, signs of sepsis, sudden severe belly pain), in plain words.",
                                   default=[])
    same_day_signs: list[str] = f("Signs that need the care team the same day (infection, shingles, liver "
                                  "trouble, belly pain with fever, a new lump), in plain words.", default=[])
    emergency_signs_es: list[str] = f("The same signs in Spanish, item for item, for the Spanish family pages "
                                      "(empty: the medicine has no Spanish pages).", default=[],
                                      rules=("spanish_beside_english",))
    same_day_signs_es: list[str] = f("The same-day signs in Spanish, item for item.", default=[],
                                     rules=("spanish_beside_english",))
    about_es: dict[str, Fact] = f("The family facts in Spanish for the Spanish 'About the medicine' page, with the "
                                  "same keys as `about` and the same sources, written for families (not word for "
                                  "word); headings in Spanish (empty: no Spanish page about the medicine).",
                                  default={}, rules=("spanish_beside_english",))
    blood_tests: list[str] = f("What the blood tests check, in plain words.", default=[])
    blood_tests_es: list[str] = f("The same in Spanish, item for item.", default=[], rules=("spanish_beside_english",))
    questions: list[str] = f("Questions about this medicine for the 'Questions to ask' page.", default=[])
    questions_es: list[str] = f("The same in Spanish, item for item.", default=[], rules=("spanish_beside_english",))
    glossary: list[GlossaryEntry] = f("Word-list entries for this medicine, added to every study of it.",
                                      default=[])
    topic_context: list[str] = f("Keys of `clinician` facts the clinicians' cross-study page shows as context "
                                 "(for example the adult trials, labelled as adult).", default=[],
                                 rules=("topic_context_known",))
    unknowns: list[str] = f("For the families' topic page: what the studies of this medicine cannot tell yet, in "
                            "plain words (one short sentence each).", default=[])
    unknowns_es: list[str] = f("The same in Spanish, item for item.", default=[], rules=("spanish_beside_english",))
    name_es: str = f("Generic name in Spanish running text (empty: the same as `name`).", default="")

    @property
    def for_young_people(self) -> bool:
        """Whether the family facts have a part written to the teenager (``about`` keys young_people...)."""
        return any(key.startswith("young_people") for key in self.about)

    @property
    def for_young_people_es(self) -> bool:
        """The same for the Spanish facts (``about_es``)."""
        return any(key.startswith("young_people") for key in self.about_es)


# --- study -------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Population:
    label: str = f("Name of the analysis population.")
    definition: str = f("Who is in it.")


@dataclass(frozen=True, kw_only=True)
class Design:
    type: str = f("Study design in words, e.g. retrospective cohort (review of medical records).")
    setting: str = f("Where, e.g. one children's hospital (name, country).")
    centres: int = f("Number of centres.", rules=("centres_positive",))
    comparator: str = f("Comparison group, or none.", default="none")
    data_source: str = f("Where the data come from.")
    eligibility: str = f("Who could be included.")
    populations: list[Population] = f("Analysis populations, for the methods page.", default=[])


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """A declared rule over the tables, evaluated at each time point after baseline."""

    label: str = f("Name of the outcome, e.g. Clinical remission.")
    definition: str = f("Definition in words, printed with every result.")
    rule: RuleName = f(
        "score_below / score_at_most: the visit's activity score below (at most) the cut-off for its index; "
        "fall_from_baseline: a fall of at least the cut-off from the week-0 score; lab_below / lab_at_most: "
        "the lab value below (at most) `limit`; endoscopy_at_most: the endoscopy score at most the cut-off for "
        "its index, at the last repeat endoscopy; all_of: every outcome in `of` (and, with `steroid_free`, no "
        "systemic corticosteroids at the visit).", rules=("rule_needs_its_settings",))
    thresholds: dict[str, float] = f("Cut-off per index (score, fall and endoscopy rules), e.g. {PUCAI: 10}.",
                                     default={}, rules=("threshold_index_known",))
    lab: Lab | None = f("Lab rules: the visits.csv column.", default=None)
    limit: float | None = f("Lab rules: the limit.", default=None)
    among: Literal["all", "raised_at_baseline"] = f(
        "Lab rules: `raised_at_baseline` counts only patients above the limit at week 0.", default="all")
    of: list[str] = f("all_of: the outcomes combined.", default=[], rules=("all_of_known",))
    steroid_free: bool = f("all_of: also no systemic corticosteroids at the visit.", default=False)
    implies: list[str] = f(
        "Outcomes that every patient achieving this one also achieves at the same visit (e.g. steroid-free "
        "remission implies remission). An all_of rule implies the outcomes in `of` without saying so. The "
        "disclosure audit uses it, because a reader can subtract one count from the other.", default=[],
        rules=("implies_known",))
    scopes: Literal["any", "on_treatment"] = f(
        "endoscopy_at_most: which repeat endoscopies count: any after the first dose, or only those while "
        "still on treatment.", default="any")
    plain: str = f("Family words for achieving it, read after 'were' ('children were ...'), e.g. 'in remission "
                   "without steroids', 'back to a normal stool test'; without the time, which the page adds ('after "
                   "8 weeks').", default="", rules=("plain_after_were",))
    family_caveat: str = f("A plain sentence families read with this result, e.g. what the source does not say.",
                           default="")
    families_by: Literal["diagnosis", "all"] = f(
        "Family pages: one result per diagnosis, or one for all the children (use `all` where the groups are "
        "too small to show).", default="diagnosis")
    families: bool = f("Show it on the family pages: at the last time point, by diagnosis, among those still "
                       "taking the medicine and among all who started (endoscopy rules: among those scoped and "
                       "among all who started).", default=False)

    def reads(self) -> tuple[tuple[str, str, str], ...]:
        """(file, column, field of the outcome that makes it read it) for each optional or nullable table column
        ``summarise/outcomes.py`` reads to evaluate this rule itself (an all_of's parts read their own). A column
        with no value at all would count every patient as not achieving it (``validate.check_outcome_columns``)."""
        if self.rule in ("score_below", "score_at_most", "fall_from_baseline"):
            return (("visits.csv", "activity_index", "rule"), ("visits.csv", "activity_score", "rule"))
        if self.rule in ("lab_below", "lab_at_most"):
            return (("visits.csv", self.lab, "lab"),) if self.lab else ()
        if self.rule == "endoscopy_at_most":
            return (("events.csv", "endoscopy_index", "rule"), ("events.csv", "endoscopy_score", "rule"))
        return (("visits.csv", "steroids", "steroid_free"),) if self.steroid_free else ()


PROTECTION_OFF = "off-for-synthetic-test-data-only"


@dataclass(frozen=True, kw_only=True)
class Disclosure:
    """Disclosure-control settings beyond `min_cell`, all with safe defaults (see the site's privacy page)."""

    protection: Literal["on", "off-for-synthetic-test-data-only"] = f(
        "`on`, or `off-for-synthetic-test-data-only` to publish every count as it is (synthetic test data only; "
        "the build says so loudly). `min_cell` 0 or 1 needs this setting.", default="on",
        rules=("protection_off_explicit",))
    protection_interval: int | None = f(
        "The narrowest range a reader may narrow a withheld count to, whatever figures they combine (the audit "
        "checks it). Default `min_cell` - 2, the width of \"fewer than `min_cell`\" itself.", default=None,
        rules=("protection_interval_range",))
    small_group_below: int = f(
        "In a group of fewer patients than this, none-or-all figures are withheld, every withheld figure reads "
        "only \"suppressed (small group)\", and a subgroup shows its figures among all who started only. The "
        "number still on treatment at each visit is shown as it is, in a small group too (the privacy page says "
        "why).",
        default=10, rules=("protection_interval_range",))
    order_statistics_min_n: int = f(
        "Medians and quartiles of fewer values than this are withheld (they would be individual patients' "
        "values).", default=10, rules=("protection_interval_range",))


@dataclass(frozen=True, kw_only=True)
class Subgroup:
    label: str = f("Name of the subgroup, e.g. Earlier anti-TNF failure.")
    prior_therapy: str = f("Patients whose earlier therapy of this code failed.", rules=("subgroup_therapy",))
    outcomes: list[str] = f("Outcomes reported for the subgroup.", rules=("subgroup_outcomes",))


@dataclass(frozen=True, kw_only=True)
class Published:
    id: str = f("The computed value the figure is compared with (its id without the study prefix).",
                rules=("published_id_computed",))
    label: str = f("What the figure is.")
    value: str = f("The figure as published, e.g. 81% or 6 of 7 (86%).")
    precision: Precision = f("How to compare: integer / 1dp (rounded value equal), percent (whole percent "
                             "equal, and n of N when given), just_over_half (between 50% and 60%).")
    source: str = f("Key of `citations`.", rules=("published_source_known",))
    confirmed: str = f("Where the figure was confirmed (e.g. the abstract on PubMed).", default="")
    note: str = f("An assumption made to compare it (e.g. the time point, when the source gives none); printed "
                  "wherever the figure is shown.", default="")


@dataclass(frozen=True, kw_only=True)
class Limitation:
    kind: str = f("A kind of limitation from the vocabulary (its plain words go to families).",
                  rules=("limitation_kind_known",))
    text: str = f("The limitation for clinicians.")
    plain: str = f("Family words, when the kind is not in the vocabulary.", default="")


@dataclass(frozen=True, kw_only=True)
class CertaintyRow:
    value: str = f("Computed value id of the result (without the study prefix).", rules=("certainty_value_computed",))
    also: str | None = f("A second value id, e.g. the other denominator.", default=None)
    rating: Rating = f("GRADE rating.")
    reasons: list[str] = f("Reasons for rating down.", default=[])
    statement: str = f("One sentence in GRADE wording (low: may; very low: very uncertain).")
    comment: str = f("Comment for clinicians.", default="")
    claim: str = f("Key of `claims` in templates/families/words.yml for the family sentence.", default="")


@dataclass(frozen=True, kw_only=True)
class Certainty:
    start: Rating = f("Rating the evidence starts at (an uncontrolled cohort: low).")
    start_reason: str = f("Why it starts there.")
    source: str = f("Key of `citations` the ratings are about.", rules=("certainty_source_known",))
    outcomes: list[CertaintyRow] = f("One row per key outcome. With `status: synthetic` the ratings are about the "
                                     "published evidence, so only a row whose `value` or `also` has a published "
                                     "figure (`published`) shows its rating and statement; any other row says "
                                     "it is not rated.", default=[])


@dataclass(frozen=True, kw_only=True)
class StudySpec:
    """study.yml: everything about a study that is not a patient table."""

    title: str = f("Full title, the heading of the clinician pages.")
    short_title: str = f("Short title for navigation and the family pages. For `status: synthetic` the site "
                         "marks it as made-up example data itself; the title need not say so.")
    medicine: str = f("The medicine studied: the name of a file `data/medicines/<name>.yml`.",
                      rules=("medicine_known",))
    condition: str = f("The condition in words for titles, e.g. Crohn's disease or ulcerative colitis.")
    population: str = f("Who was studied, in one sentence.")
    family_about: str = f("For families: who was studied and why, in two or three short plain sentences "
                          "(grade 6), e.g. which medicines had not worked before.", default="")
    diagnoses: list[str] = f("Diagnosis codes the study includes, in display order.",
                             rules=("diagnoses_known", "patients_diagnosis_declared"))
    design: Design = f("How the study was done.")
    follow_up_weeks: int = f("Length of follow-up in weeks.", rules=("follow_up_positive",))
    timepoints_weeks: list[int] = f("Assessment weeks, starting with 0.", rules=("timepoints_ordered",))
    prior_therapies: list[str] = f("Earlier therapies the study records (vocabulary codes), in display order.",
                                   default=[], rules=("therapies_known",))
    outcomes: dict[str, Outcome] = f("Outcome rules, keyed by the short name used in value ids "
                                     "(letters, digits and _).", rules=("outcome_key_slug",))
    subgroups: dict[str, Subgroup] = f("Subgroups reported separately, keyed by a short name used in value ids.",
                                       default={})
    kind: StudyKind = f("records: patient-level tables (patients.csv, visits.csv, events.csv); aggregate: "
                        "figures reported by a publication (results.csv), described by the fields of the "
                        "aggregate study.yml below.", default="records", rules=("kind_matches_files",))
    status: Status = f("Whether the patient-level data are real or a synthetic demonstration (`published` is "
                       "for aggregate studies only).", rules=("real_needs_protection",))
    data_date: str = f("Date the data were frozen (YYYY-MM-DD).", rules=("data_date_is_date", "data_date_in_range"))
    citations: dict[str, Citation] = f("Sources, keyed by a short name used elsewhere in the file.")
    published: list[Published] = f("Published figures, compared with the recomputed values.", default=[])
    assumptions: list[str] = f("Choices made where the source is silent, printed on the methods page.",
                               default=[])
    limitations: list[Limitation] = f("Limitations of the design, for both audiences.", default=[])
    certainty: Certainty | None = f("GRADE-style certainty for the summary of findings.", default=None)
    min_cell: int = f("Small-cell protection: counts from 1 to min_cell - 1 are withheld (see the privacy "
                      "page). 0 turns protection off, for synthetic test fixtures only, and only together with "
                      "`disclosure: {protection: off-for-synthetic-test-data-only}`.",
                      default=MIN_CELL_DEFAULT, rules=("min_cell_range",))
    disclosure: Disclosure | None = f("Disclosure control beyond `min_cell` (optional, every setting has a safe "
                                      "default; see the privacy page).", default=None)

    @property
    def protection(self) -> Disclosure:
        """The disclosure settings, with the defaults where study.yml gives none."""
        return self.disclosure or Disclosure()

    def implications(self) -> dict[str, tuple[str, ...]]:
        """Each outcome -> the outcomes every patient achieving it also achieves (`implies`, and `of` of all_of)."""
        out = {}
        for key, o in self.outcomes.items():
            within = [*o.implies, *(o.of if o.rule == "all_of" else [])]
            if within:
                out[key] = tuple(dict.fromkeys(within))
        return out
    vocab: Vocabulary | None = f("Codes this study adds to the shared vocabulary (same sections as data/vocab/).",
                                 default=None, rules=("vocab_adds_only",))


# --- aggregate study: figures reported by a publication ---------------------------------------------------------

SOURCE_IDS = ("doi", "pmid", "registry_id", "url")  # the fields of a publication that name it (Publication.ids)

@dataclass(frozen=True, kw_only=True)
class Publication:
    """The source of an aggregate study's figures."""

    kind: SourceKind = f("What sort of source it is, one of the values listed (most often journal_article, "
                         "conference_abstract or registry); a conference abstract is flagged to families as not yet "
                         "checked by other experts.")
    authors: str = f("Authors as printed in the reference.")
    short: str = f("Author and year for source marks, e.g. Cohen and others, 2025.")
    short_es: str = f("The same for the Spanish pages, e.g. Cohen y otros, 2025.", default="")
    title: str = f("Title of the publication (or the news headline that reported it).")
    venue: str = f("Journal with volume and pages, the conference, or the registry.")
    year: int = f("Year of publication.")
    doi: str | None = f("DOI without the https://doi.org/ prefix.", default=None, rules=("doi_pmid_form",))
    pmid: str | None = f("PubMed id.", default=None, rules=("doi_pmid_form",))
    registry_id: str | None = f("Trial registry id, e.g. NCT05782907.", default=None)
    url: str | None = f("Link to the source.", default=None, rules=("url_https",))
    reported_by: str | None = f("A secondary source the figures were read from (e.g. a news report), with "
                                "its date and address.", default=None)
    confirmed: str = f("Where the figures were confirmed, e.g. the abstract on PubMed (primary) or a news "
                       "report (secondary).")

    def ids(self) -> set[tuple[str, str]]:
        """What names this publication: its DOI, PMID, registry id and link (field, lower-cased value). Two studies
        sharing one report the same patients, or one study folder was copied from the other."""
        return {(name, str(value).strip().lower()) for name in SOURCE_IDS
                if (value := getattr(self, name)) is not None and str(value).strip()}


@dataclass(frozen=True, kw_only=True)
class Measure:
    """One outcome, adverse event or baseline characteristic that results.csv reports."""

    label: str = f("Clinician wording, e.g. Corticosteroid-free clinical remission.")
    definition: str = f("Definition as the source gives it (say when the source does not state it).")
    plain: str = f("Family words for having it, read after 'were' ('children were ...'), e.g. 'in remission "
                   "without steroids', 'still without an operation'; without the time, which the page adds ('after "
                   "8 weeks') (empty: not shown to families).", default="",
                   rules=("plain_after_were", "family_words_no_figures"))
    plain_es: str = f("The same in Spanish, as a plural predicate with its verb, e.g. 'estaban en remisión sin "
                      "corticoides' (Spanish family pages; needed when `families` is true and the study has "
                      "Spanish words).", default="", rules=("family_words_no_figures",))
    families: bool = f("Show it on the family pages and the family topic page. Of a study's adverse events shown to "
                       "families, the one that counts the largest share of children (any side effect, where the "
                       "source gives it) also stands for its side effects on the home page and the medicine's "
                       "handout, whatever the order of results.csv; where the source gives no figure for any side "
                       "effect, those two show only its most common one (the study's own family page shows them "
                       "all).", default=False)
    headline: bool = f("The study's one figure for the home page and a medicine's handout (choose the primary or "
                       "the strictest outcome, not the most favourable one). Where results.csv gives it at one time "
                       "among several populations, those two show one: among all who started where there is such a "
                       "row, else on treatment, with data, unclear (the study's page shows them all).",
                       default=False, rules=("one_headline",))
    family_note: str = f("A plain sentence printed after the figure on family pages (e.g. what it does not show).",
                         default="", rules=("family_words_no_figures",))
    family_note_es: str = f("The same sentence in Spanish (Spanish family pages).", default="",
                            rules=("family_words_no_figures",))
    plain_not: str = f("Family words for the other side, when 'were not' after `plain` would read as a double "
                       "negative, e.g. 'had an operation to remove the large bowel' (empty: 'were not').",
                       default="", rules=("family_words_no_figures",))
    plain_not_es: str = f("The same in Spanish, as a plural predicate with its verb (empty: 'no').", default="",
                          rules=("family_words_no_figures",))


@dataclass(frozen=True, kw_only=True)
class AggregateSpec:
    """study.yml of an aggregate study (`kind: aggregate`): a publication's reported figures, with results.csv."""

    kind: Literal["aggregate"] = f("Always aggregate for this kind.")
    title: str = f("Full title, the heading of the clinician pages.")
    short_title: str = f("Short title for navigation and the family pages. For `status: synthetic` the site "
                         "marks it as made-up example data itself; the title need not say so.",
                         rules=("family_words_no_shares",))
    medicine: str = f("The medicine studied: the name of a file `data/medicines/<name>.yml`.",
                      rules=("medicine_known",))
    condition: str = f("The condition in words for titles.")
    population: str = f("Who was studied, in one sentence.")
    family_about: str = f("For families: who was studied, in two or three short plain sentences (grade 6).",
                          rules=("family_words_no_shares",))
    family_about_es: str = f("The same in Spanish, written for families (not word for word). Giving it builds "
                             "the study's Spanish family page, and then every Spanish field below is needed.",
                             default="", rules=("spanish_complete", "family_words_no_shares"))
    short_title_es: str = f("The short title in Spanish.", default="", rules=("family_words_no_shares",))
    condition_es: str = f("The condition in Spanish words, e.g. enfermedad de Crohn.", default="")
    diagnoses: list[str] = f("Diagnosis codes the study includes (the `group` column may use them).",
                             rules=("diagnoses_known",))
    design: str = f("Study design in words, e.g. retrospective multicentre cohort, no comparison group.")
    setting: str = f("Where, e.g. 30 centres worldwide.")
    n: int | None = f("Number of patients who started (empty for a trial still recruiting).", default=None,
                      rules=("n_positive",))
    follow_up: str = f("Follow-up and time points in words, e.g. week 8 (end of induction).")
    status: Literal["published", "synthetic"] = f("published: figures from a public source; synthetic: a "
                                                  "made-up example (pages carry the banner).")
    ongoing: bool = f("A registered trial with no results yet (results.csv holds only its header).",
                      default=False)
    data_date: str = f("Date the figures were entered from the source (YYYY-MM-DD).",
                       rules=("data_date_is_date", "data_date_in_range"))
    publication: Publication = f("The source of the figures.")
    measures: dict[str, Measure] = f("What results.csv reports, keyed by the `key` column (letters, digits "
                                     "and _).", default={}, rules=("outcome_key_slug",))
    subgroups: dict[str, str] = f("Subgroups the `group` column may name, key -> label.", default={})
    subgroups_es: dict[str, str] = f("The subgroup labels in Spanish, key -> label.", default={})
    certainty: Rating = f("GRADE-style certainty of the study's findings (an uncontrolled retrospective "
                          "series: low or very low).")
    caveats: list[str] = f("What the source cannot tell us, for clinicians.", default=[])
    family_caveats: list[str] = f("The same in plain words for families.", default=[],
                                  rules=("family_words_no_figures",))
    family_caveats_es: list[str] = f("The family caveats in Spanish, item for item.", default=[],
                                     rules=("spanish_beside_english", "family_words_no_figures"))
    family_harms: str = f("Side effects the source names but results.csv gives no figure for, in plain words for "
                          "families: the medicine's family page shows them under the study's results.", default="",
                          rules=("family_harms_words",))
    family_harms_es: str = f("The same in Spanish (for the Spanish page).", default="", rules=("family_harms_words",))
    overlaps_with: list[str] = f("Ids of studies whose patients may overlap with this one's (never pooled or "
                                 "added together).", default=[])


# Every rule checked beyond the types, in words (the Data format page prints these; test_docs checks that
# each rule named in a declaration is here and that check_study implements it).
RULES: dict[str, str] = {
    "url_https": "Links must start with https:// (mailto: is allowed for e-mail addresses).",
    "fact_source_known": "Each fact's `source` is a key of the medicine's `citations`.",
    "topic_context_known": "Each key in `topic_context` is a key of the medicine's `clinician` facts.",
    "centres_positive": "At least 1.",
    "n_positive": "At least 1 (leave `n` out for a trial still recruiting); no denominator in results.csv is "
                  "larger than `n`.",
    "rule_needs_its_settings": "score and endoscopy rules need `thresholds`; lab rules need `lab` and `limit`; "
                               "all_of needs `of`.",
    "threshold_index_known": "Each threshold names an index of the vocabulary (activity indices for score and "
                             "fall rules, endoscopy indices for endoscopy rules).",
    "all_of_known": "Each outcome in `of` is another outcome of the study that is not itself an endoscopy rule.",
    "implies_known": "Each outcome in `implies` is another outcome of the study of the same kind (both evaluated "
                     "at each time point, or both endoscopy rules); the build stops if a count of this outcome is "
                     "ever larger than the same count of an outcome it implies.",
    "subgroup_therapy": "A code listed in the study's `prior_therapies`.",
    "subgroup_outcomes": "Outcomes of the study that are evaluated at each time point (not endoscopy rules).",
    "published_id_computed": "The id of a value the build computes (see site/numbers.json, without the study "
                             "prefix); otherwise the build stops and lists the ids it has.",
    "published_source_known": "A key of `citations`.",
    "limitation_kind_known": "A kind in data/vocab/limitations.yml (or the study's `vocab: limitations:`), or "
                             "give `plain` words.",
    "certainty_value_computed": "The id of a value the build computes; otherwise the build stops.",
    "certainty_source_known": "A key of `citations`.",
    "medicine_known": "A file `data/medicines/<name>.yml` exists.",
    "one_headline": "At most one measure of a study is marked `headline: true`, and one shown to families "
                    "(`families: true` and `plain`); a study that shows families an outcome (results.csv) marks "
                    "one, so the home page never falls back to whichever outcome comes first.",
    "family_harms_words": "Words only, no figures (a figure goes in results.csv, where it is counted, sourced and "
                          "in numbers.json); not blank; the Spanish words only beside English ones.",
    "family_words_no_figures": "No figures but time frames: a number is allowed only as a time ('the first 8 "
                               "weeks', 'before week 8', 'semana 8'); no number symbol (½, Ⅸ), percentage, 'per "
                               "cent' or 'out of every' at all. A figure goes in results.csv, where it is counted, "
                               "sourced and in numbers.json (numbers written as words are not caught: do not use "
                               "them).",
    "family_words_no_shares": "Who took part and how (counts, ages, places, years), but no result: no "
                              "percentage, 'per cent' or 'out of every' (a result goes in results.csv).",
    "plain_after_were": "Family words that follow 'were': they do not start with a verb such as had, got, needed "
                        "or stopped ('were had an operation' does not read; use `plain_not` for such words).",
    "diagnoses_known": "Codes of the diagnosis vocabulary.",
    "patients_diagnosis_declared": "Every diagnosis in patients.csv is listed here.",
    "vocab_adds_only": "New codes only: a code of the shared vocabulary (`data/vocab/<section>.yml`) cannot be "
                       "given again with other words (use a new code for another meaning; change the shared "
                       "file to reword a code for every study).",
    "follow_up_positive": "At least 1 week.",
    "timepoints_ordered": "Whole weeks in increasing order, starting at 0, the last at most `follow_up_weeks`.",
    "therapies_known": "Codes of the therapies vocabulary.",
    "index_fits_diagnosis": "A score in visits.csv (`activity_index`) or events.csv (`endoscopy_index`) is on an "
                            "index meant for the patient's diagnosis (patients.csv `diagnosis`): one listed in the "
                            "index's `diagnoses`, or any diagnosis when the index lists none.",
    "outcome_key_slug": "Keys are lower-case letters, digits and _ (they become part of value ids).",
    "real_needs_protection": "With `status: real`, `min_cell` must be at least 3.",
    "kind_matches_files": "records: patients.csv, visits.csv and events.csv; aggregate: results.csv and the "
                          "aggregate study.yml fields. `status: published` is for aggregate studies.",
    "data_date_is_date": "A real calendar date.",
    "data_date_in_range": "Not in the future; in a records study, not before the latest date in its tables (data "
                          "cannot be frozen before they were recorded).",
    "doi_pmid_form": "A DOI as printed after https://doi.org/: 10., the registrant's digits, a slash and the "
                     "suffix (e.g. 10.1111/apt.70016), with no spaces, quotes or angle brackets; a PubMed id: "
                     "digits only.",
    "min_cell_range": "From 0 to 50.",
    "protection_off_explicit": "`min_cell` 0 or 1, or `protection: off-for-synthetic-test-data-only`, turns "
                               "protection off: both must be given together, and only with `status: synthetic`.",
    "protection_interval_range": "A whole number from 0 to 50.",
    "spanish_beside_english": "A Spanish list has exactly as many items as the English list beside it (item i "
                              "says what English item i says), or is empty; Spanish facts (`about_es`) have the "
                              "keys of `about`, in the same order, each with the same source.",
    "spanish_complete": "With `family_about_es`, the study also gives `short_title_es`, `condition_es`, "
                        "`publication.short_es`, `plain_es` for every measure shown to families, a Spanish label "
                        "for every subgroup, `family_caveats_es` and (with `family_harms`) `family_harms_es`; its "
                        "medicine gives its Spanish signs, "
                        "unknowns, facts, blood tests and questions; its diagnoses have `plain_es`.",
}
