"""Check a raw study against the data contract and turn it into typed tables (pure).

Every problem is collected, then reported at once in a :class:`DataError`:
file, row, column, what was expected, what was found and a hint.
"""

from __future__ import annotations

import datetime
import hashlib
import math
import re
import typing
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import crosschecks, typed
from .errors import SHOWN, DataError, Problem, printable, rest_counted, summarise
from .fmt import MADE_UP, round_half_up
from .kept import CELL_BYTES, kept, series_key
from .load import RawShared, RawStudy, as_written
from .schema import MISSING_MARKERS, PATIENTS, RESULTS, TABLES, Column, Table
from .spec import PROTECTION_OFF, VOCAB_SECTIONS, AggregateSpec, Citation, Medicine, Outcome, StudySpec, Vocabulary
from .typed import Reader, closest, nearest

TABLES_WITH_ROWS = ("patients.csv", "visits.csv")  # events.csv may be empty: a study with no events
TRUE_WORDS = {"yes", "y", "true", "1"}
FALSE_WORDS = {"no", "n", "false", "0"}
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DOI = re.compile(r"10\.\d{4,9}/[^\s<>\"'`]+")
PMID = re.compile(r"[1-9]\d{0,9}")
SLUG = re.compile(r"^[a-z][a-z0-9_]*$")
# Each index column pair: the score must lie within the range of the index named in the same row.
SCORE_COLUMNS = (("visits.csv", "activity_index", "activity_score", "activity"),
                 ("events.csv", "endoscopy_index", "endoscopy_score", "endoscopy"))


@dataclass
class Study:
    """A validated study: its typed specification, its medicine, its vocabulary and typed tables."""

    id: str
    folder: Path
    spec: StudySpec
    medicine: Medicine
    vocab: Vocabulary
    patients: pd.DataFrame
    visits: pd.DataFrame
    events: pd.DataFrame
    fingerprint: str

    kind = "records"

    @property
    def synthetic(self) -> bool:
        return self.spec.status == "synthetic"


@dataclass
class AggregateStudy:
    """A validated aggregate study: its typed study.yml and the figures its source reports (results.csv)."""

    id: str
    folder: Path
    spec: AggregateSpec
    medicine: Medicine
    vocab: Vocabulary
    results: pd.DataFrame
    fingerprint: str
    kind = "aggregate"
    min_cell = 0  # every figure is already public; nothing is recomputed from patients

    @property
    def synthetic(self) -> bool:
        return self.spec.status == "synthetic"


@dataclass(frozen=True)
class StudyInfo:
    """A study once the build has summarised it and let its tables go (``pipeline.generate`` holds one study's
    tables at a time): what the navigation, the topic pages, the numbers book and the footer still read. It has
    no table, so a step that reaches for one after summarising fails loudly instead of reading stale rows."""

    id: str
    folder: Path
    spec: StudySpec | AggregateSpec
    medicine: Medicine
    vocab: Vocabulary
    fingerprint: str
    kind: str
    rows: int  # patients (a study of records) or reported figures (an aggregate study), for the build log
    min_cell: int  # an aggregate study's (nothing recomputed), else study.yml's

    @property
    def synthetic(self) -> bool:
        return self.spec.status == "synthetic"


class OnDemand:
    """A study that an earlier build found valid, with the same files, shared data and code: what the pages need
    (its :class:`StudyInfo`) at once, its tables read from the cache only when a step asks for them
    (:meth:`study`). A build whose summaries, views and charts of this study all come from the cache never reads
    them (``pipeline.read_studies`` with ``lazy``)."""

    def __init__(self, info: StudyInfo, load: Callable[[], Study | AggregateStudy]) -> None:
        self.info = info
        self.id, self.fingerprint, self.kind = info.id, info.fingerprint, info.kind
        self._load = load
        self._study: Study | AggregateStudy | None = None

    def study(self) -> Study | AggregateStudy:
        if self._study is None:
            self._study = self._load()
        return self._study


def tables(study: Study | AggregateStudy | OnDemand) -> Study | AggregateStudy:
    """The study with its tables (read now for a study read on demand)."""
    return study.study() if isinstance(study, OnDemand) else study


def study_info(study: Study | AggregateStudy | StudyInfo | OnDemand) -> StudyInfo:
    """What the pages need of ``study`` without its tables."""
    if isinstance(study, StudyInfo):
        return study
    if isinstance(study, OnDemand):
        return study.info
    if isinstance(study, AggregateStudy):
        return StudyInfo(study.id, study.folder, study.spec, study.medicine, study.vocab, study.fingerprint,
                         study.kind, len(study.results), study.min_cell)
    return StudyInfo(study.id, study.folder, study.spec, study.medicine, study.vocab, study.fingerprint, study.kind,
                     len(study.patients), study.spec.min_cell)


@dataclass(frozen=True)
class Shared:
    """The validated shared data: vocabulary and medicines."""

    vocab: Vocabulary
    medicines: dict[str, Medicine]
    fingerprint: str


def validate_shared(raw: RawShared) -> Shared:
    """Type-check data/vocab/ and data/medicines/; raise DataError listing every problem."""
    problems = list(raw.problems)
    sections: dict[str, Any] = {}
    hints = typing.get_type_hints(Vocabulary)
    for name, data in raw.vocab.items():
        if name not in VOCAB_SECTIONS:
            problems.append(Problem(f"data/vocab/{name}.yml", "Unknown vocabulary file.",
                                    expected="one of " + ", ".join(f"{s}.yml" for s in VOCAB_SECTIONS), found=name,
                                    hint=closest(name, list(VOCAB_SECTIONS)) or "Rename or remove the file."))
            continue
        reader = Reader(f"data/vocab/{name}.yml")
        sections[name] = typed.parse(hints[name], data or {}, reader)
        problems += reader.problems
    for name in VOCAB_SECTIONS:
        if name not in raw.vocab:
            problems.append(Problem(f"data/vocab/{name}.yml", "A vocabulary file is missing.",
                                    expected=f"a file data/vocab/{name}.yml", found="no such file",
                                    hint="Restore it from the project; every study's codes are checked against it."))
    medicines = {}
    for name, data in raw.medicines.items():
        reader = Reader(f"data/medicines/{name}.yml")
        medicine = typed.parse(Medicine, data, reader)
        problems += reader.problems
        if medicine is not None:
            problems += check_medicine(name, medicine)
            medicines[name] = medicine
    if problems:
        raise DataError("shared", problems, "The shared data (data/vocab/, data/medicines/)")
    return Shared(Vocabulary(**{k: v for k, v in sections.items() if v is not None}), medicines, raw.fingerprint)


def check_medicine(name: str, medicine: Medicine) -> list[Problem]:
    """rule: fact_source_known; rule: url_https"""
    file = f"data/medicines/{name}.yml"
    problems = [Problem(file, "A fact cites an unknown source.", column=f"{part}.{key}.source",
                        expected="a key of citations: " + ", ".join(medicine.citations), found=repr(fact.source),
                        hint=closest(fact.source, list(medicine.citations)) or "Add the source under `citations:`.")
                for part, facts in (("about", medicine.about), ("clinician", medicine.clinician))
                for key, fact in facts.items() if fact.source not in medicine.citations]
    problems += _check_urls(file, "citations", medicine.citations)
    # rule: topic_context_known
    problems += [Problem(file, "topic_context names a clinician fact that does not exist.",
                         column=f"topic_context[{i}]", expected="a key of clinician: " + ", ".join(medicine.clinician),
                         found=repr(key), hint=closest(key, list(medicine.clinician)) or "Add the fact under "
                         "`clinician:` first.")
                 for i, key in enumerate(medicine.topic_context) if key not in medicine.clinician]
    problems += spanish_beside_english(file, [
        ("emergency_signs", medicine.emergency_signs, medicine.emergency_signs_es),
        ("same_day_signs", medicine.same_day_signs, medicine.same_day_signs_es),
        ("unknowns", medicine.unknowns, medicine.unknowns_es),
        ("blood_tests", medicine.blood_tests, medicine.blood_tests_es),
        ("questions", medicine.questions, medicine.questions_es)])
    if medicine.about_es and list(medicine.about_es) != list(medicine.about):
        problems.append(Problem(file, "The Spanish facts do not match the English facts beside them.",
                                column="about_es",
                                expected="the keys of `about`, in the same order: " + ", ".join(medicine.about),
                                found=", ".join(medicine.about_es),
                                hint="Give one Spanish fact per English fact, under the same key, or none."))
    problems += [Problem(file, "A Spanish fact cites a different source from its English fact.",
                         column=f"about_es.{key}.source", expected=repr(medicine.about[key].source),
                         found=repr(fact.source), hint="A translation keeps the source of the fact it translates.")
                 for key, fact in medicine.about_es.items() if key in medicine.about
                 and fact.source != medicine.about[key].source]
    return problems


def spanish_beside_english(file: str, pairs: list[tuple[str, list[str], list[str]]]) -> list[Problem]:
    """rule: spanish_beside_english -- each Spanish list is empty or says item for item what its English list says."""
    return [Problem(file, "The Spanish list does not match the English list beside it.", column=f"{name}_es",
                    expected=f"{len(english)} items (one per item of `{name}`), or none",
                    found=f"{len(spanish)} items",
                    hint=f"Translate each item of `{name}` in the same order; a reviewer compares them side by side.")
            for name, english, spanish in pairs if spanish and len(spanish) != len(english)]


def spanish_missing(spec: AggregateSpec, vocab: Vocabulary, medicine: Medicine | None) -> list[tuple[str, str]]:
    """rule: spanish_complete -- (field path, what is missing) for a study that gives `family_about_es`."""
    if not spec.family_about_es.strip():
        return []
    missing = [(name, "empty") for name in ("short_title_es", "condition_es") if not getattr(spec, name).strip()]
    if not spec.publication.short_es.strip():
        missing.append(("publication.short_es", "empty"))
    missing += [(f"measures.{key}.plain_es", "empty") for key, m in spec.measures.items()
                if m.families and m.plain and not m.plain_es.strip()]
    missing += [(f"subgroups_es.{key}", "no Spanish label") for key in spec.subgroups if key not in spec.subgroups_es]
    if spec.family_caveats and not spec.family_caveats_es:
        missing.append(("family_caveats_es", "empty"))
    if spec.family_harms.strip() and not spec.family_harms_es.strip():
        missing.append(("family_harms_es", "empty"))
    missing += [(f"data/vocab/diagnoses.yml: {dx}.plain_es", "empty") for dx in spec.diagnoses
                if dx in vocab.diagnoses and not vocab.diagnoses[dx].plain_es.strip()]
    if medicine is not None:
        missing += [(f"data/medicines/{spec.medicine}.yml: {name}_es", "empty")
                    for name in ("emergency_signs", "same_day_signs", "unknowns", "about", "blood_tests", "questions")
                    if getattr(medicine, name) and not getattr(medicine, f"{name}_es")]
    return missing


def merge_vocab(shared: Vocabulary, extra: Vocabulary | None) -> Vocabulary:
    """The shared vocabulary with a study's own codes added (a study cannot reword a shared code:
    ``check_study_vocab``)."""
    if extra is None:
        return shared
    return Vocabulary(**{s: {**getattr(shared, s), **getattr(extra, s)} for s in VOCAB_SECTIONS})


def validate(raw: RawStudy, shared: Shared) -> Study | AggregateStudy:
    """Return the typed study, or raise DataError listing every problem found."""
    if raw.meta.get("kind") == "aggregate":
        return validate_aggregate(raw, shared)
    problems = list(raw.problems)
    reader = Reader("study.yml", texts=raw.meta_text)
    yml_broken = any(p.file == "study.yml" for p in raw.problems)
    spec = None if yml_broken else typed.parse(StudySpec, raw.meta, reader)
    problems += reader.problems
    vocab = merge_vocab(shared.vocab, spec.vocab if spec else None)
    if spec is not None:
        problems += check_study(spec, vocab, shared.medicines)
        problems += check_study_vocab(spec.vocab, shared.vocab)
    typed_tables: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        if table.file in raw.tables:
            frame, found = check_table(table, raw.tables[table.file], vocab)
            problems += found
            typed_tables[table.file] = frame
    for file, index_col, score_col, section in SCORE_COLUMNS:
        if file in typed_tables:
            problems += check_score_ranges(file, typed_tables[file], index_col, score_col,
                                           getattr(vocab, section), raw.tables[file])
    # Reported last: an unfilled column leaves the typed tables usable, so the checks below (run only while no
    # problem is found) still run and every problem is listed at once.
    unfilled = check_outcome_columns(spec, raw.tables) if spec is not None else []
    if not problems and spec is not None:
        problems += check_links(typed_tables, spec, raw.tables)
    if not problems and spec is not None:
        for file, index_col, _, section in SCORE_COLUMNS:
            problems += check_index_fits_diagnosis(file, typed_tables[file], index_col, section,
                                                   getattr(vocab, section), typed_tables["patients.csv"])
    if not problems and spec is not None:  # logic across tables (crosschecks.RULES), on typed and linked tables
        problems += crosschecks.check_tables(typed_tables["patients.csv"], typed_tables["visits.csv"],
                                             typed_tables["events.csv"], raw.tables["patients.csv"],
                                             spec.timepoints_weeks)
    if not problems and spec is not None:
        problems += check_copied_patients(raw.tables)
    problems += unfilled
    if problems or spec is None:
        raise DataError(raw.id, problems)
    # The fingerprint covers the study's files and the shared data it is read with (vocabulary, medicines).
    fingerprint = hashlib.sha256(f"{raw.fingerprint}\0{shared.fingerprint}".encode()).hexdigest()[:12]
    return Study(raw.id, raw.folder, spec, shared.medicines[spec.medicine], vocab, typed_tables["patients.csv"],
                 typed_tables["visits.csv"], typed_tables["events.csv"], fingerprint)


# --- study.yml: the rules beyond types (spec.RULES names each one) -----------------------------------------------

def check_study(spec: StudySpec, vocab: Vocabulary, medicines: dict[str, Any]) -> list[Problem]:
    """Every rule of spec.RULES that one study.yml can break, each problem with its field path."""
    problems: list[Problem] = []

    def add(path: str, message: str, expected: str, found: Any, hint: str = "") -> None:
        problems.append(Problem("study.yml", message, column=path, expected=expected, found=str(found)[:80],
                                hint=hint))

    def known(path: str, code: str, options: dict[str, Any] | list[str], what: str, hint: str = "") -> None:
        if code not in options:
            add(path, f"Unknown {what}.", "one of " + ", ".join(options), repr(code),
                " If not: ".join(h for h in (closest(code, list(options)), hint) if h))

    # rule: medicine_known
    if spec.medicine not in medicines:
        add("medicine", "Unknown medicine.", "one of " + ", ".join(medicines), repr(spec.medicine),
            _medicine_hint(spec.medicine, medicines))
    # rule: diagnoses_known; rule: therapies_known
    for i, dx in enumerate(spec.diagnoses):
        known(f"diagnoses[{i}]", dx, vocab.diagnoses, "diagnosis", "Add it under `vocab: diagnoses:`.")
    for i, t in enumerate(spec.prior_therapies):
        known(f"prior_therapies[{i}]", t, vocab.therapies, "therapy", "Add it under `vocab: therapies:`.")
    # rule: kind_matches_files (the tables are checked when the folder is read)
    if spec.status == "published":
        add("status", "`status: published` is for aggregate studies.", "synthetic or real (with kind: records)",
            spec.status, "Set `kind: aggregate` and give results.csv for figures taken from a publication.")
    # rule: centres_positive; rule: follow_up_positive; rule: min_cell_range; rule: real_needs_protection;
    # rule: data_date_is_date
    if spec.design.centres < 1:
        add("design.centres", "The number of centres must be at least 1.", "a whole number of at least 1",
            spec.design.centres)
    if spec.follow_up_weeks < 1:
        add("follow_up_weeks", "Follow-up must be at least 1 week.", "a whole number of at least 1",
            spec.follow_up_weeks)
    if not 0 <= spec.min_cell <= 50:
        add("min_cell", "min_cell is out of range.", "a whole number from 0 to 50 (5 is the usual choice)",
            spec.min_cell, "Counts from 1 to min_cell - 1 are withheld from the site; 0 turns this off.")
    elif spec.status == "real" and spec.min_cell < 3:
        add("min_cell", "Real patient data need small-cell protection.", "min_cell of at least 3 with status: real",
            spec.min_cell, "Protection can be lowered only for synthetic data (status: synthetic).")
    # rule: protection_off_explicit; rule: protection_interval_range
    off = spec.protection.protection == PROTECTION_OFF
    if spec.status == "real" and off:
        add("disclosure.protection", "Real patient data need disclosure control.", "protection: on with status: real",
            spec.protection.protection, "Protection can be switched off only for synthetic test data.")
    elif 0 <= spec.min_cell <= 1 and not off and spec.status != "real":
        add("min_cell", "min_cell 0 or 1 would turn protection off without saying so.",
            f"disclosure: {{protection: {PROTECTION_OFF}}} as well, or min_cell of at least 2", spec.min_cell,
            "Switching protection off must be explicit (synthetic test data only); the build reports it.")
    elif off and spec.min_cell > 1:
        add("disclosure.protection", "Protection is switched off but min_cell still asks for it.",
            "min_cell: 0 with protection off, or protection: on", spec.protection.protection,
            "Say one thing: both settings off, or protection on.")
    for name in ("protection_interval", "small_group_below", "order_statistics_min_n"):
        given = getattr(spec.protection, name)
        if given is not None and not 0 <= given <= 50:
            add(f"disclosure.{name}", f"{name} is out of range.", "a whole number from 0 to 50", given)
    if not ISO_DATE.match(spec.data_date) or _not_a_date(spec.data_date):
        add("data_date", "The field 'data_date' is not a date.", "a date written YYYY-MM-DD, in quotes",
            repr(spec.data_date), 'Write it as data_date: "2026-01-15".')
    else:
        problems += _future_data_date(spec.data_date)
    # rule: timepoints_ordered
    weeks = spec.timepoints_weeks
    if not weeks or weeks != sorted(set(weeks)) or weeks[0] != 0 or weeks[-1] > spec.follow_up_weeks \
            or len(weeks) < 2:
        add("timepoints_weeks", "The time points are not usable.",
            f"at least two whole weeks in increasing order from 0 to at most {spec.follow_up_weeks}",
            repr(weeks), "Write them as a list, e.g. [0, 8, 12, 26, 52].")
    # rule: outcome_key_slug (and each outcome's own rules in _check_rule)
    for key, o in spec.outcomes.items():
        path = f"outcomes.{key}"
        if not SLUG.match(key):
            add(path, "The outcome key cannot be used in value ids.", "lower-case letters, digits and _, "
                "starting with a letter", repr(key), "Rename the key, e.g. sf_remission.")
        problems += _check_rule(path, o, spec, vocab)
        problems += _plain_after_were(f"{path}.plain", o.plain)
    # rule: subgroup_therapy; rule: subgroup_outcomes
    for key, g in spec.subgroups.items():
        path = f"subgroups.{key}"
        if not SLUG.match(key):
            add(path, "The subgroup key cannot be used in value ids.", "lower-case letters, digits and _",
                repr(key))
        if g.prior_therapy not in spec.prior_therapies:
            add(f"{path}.prior_therapy", "The subgroup names a therapy the study does not record.",
                "one of prior_therapies: " + ", ".join(spec.prior_therapies), repr(g.prior_therapy),
                "Add it to `prior_therapies`, or correct the code.")
        for i, name in enumerate(g.outcomes):
            if name not in spec.outcomes or spec.outcomes[name].rule == "endoscopy_at_most":
                add(f"{path}.outcomes[{i}]", "The subgroup names an outcome that is not evaluated at each week.",
                    "one of " + ", ".join(k for k, o in spec.outcomes.items() if o.rule != "endoscopy_at_most"),
                    repr(name), closest(name, list(spec.outcomes)))
    # rule: published_source_known; rule: certainty_source_known; rule: url_https
    for i, p in enumerate(spec.published):
        known(f"published[{i}].source", p.source, spec.citations, "source", "Add the source under `citations:`.")
    if spec.certainty is not None:
        known("certainty.source", spec.certainty.source, spec.citations, "source",
              "Add the source under `citations:`.")
    problems += _check_urls("study.yml", "citations", spec.citations)
    for key in spec.citations:
        if not crosschecks.KEY.fullmatch(key):
            add("citations", "A citation key cannot be used.", "letters, digits, - and _ (e.g. smith2024)",
                repr(key), "Citation keys become link anchors on the site; rename the key and the places that cite it.")
    # rule: limitation_kind_known
    for i, lim in enumerate(spec.limitations):
        if lim.kind not in vocab.limitations and not lim.plain:
            add(f"limitations[{i}].kind", "Unknown kind of limitation, and no plain words given.",
                "one of " + ", ".join(vocab.limitations) + ", or a `plain:` sentence for families",
                repr(lim.kind), closest(lim.kind, list(vocab.limitations)) or "Add `plain:` words for families.")
    return problems


MEDICINE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _medicine_hint(name: str, medicines: dict[str, Any]) -> str:
    """What to do about an unknown `medicine`: the name of a medicine file, never a path (a name with / or .. would
    have the hint suggest a file outside data/medicines/)."""
    if not MEDICINE_NAME.fullmatch(name):
        example = f", e.g. {next(iter(medicines))}" if medicines else ""
        return (f"Write the name of a file in data/medicines/ without .yml{example}: a plain lower-case name, not a "
                "path (no /, \\ or ..).")
    return " If not: ".join(h for h in (closest(name, list(medicines)), f"add a file data/medicines/{name}.yml (copy "
                                        "an existing medicine file and rewrite every fact).") if h)


def check_study_vocab(extra: Vocabulary | None, shared: Vocabulary) -> list[Problem]:
    """rule: vocab_adds_only -- a study's `vocab:` adds codes; it never gives a shared code other words (a study's
    `CD: {label: Hodgkin lymphoma}` would make its family pages speak of another disease)."""
    if extra is None:
        return []
    problems = []
    for section in VOCAB_SECTIONS:
        known = getattr(shared, section)
        for code, entry in getattr(extra, section).items():
            if code in known and entry != known[code]:
                shared_words, own = (e if isinstance(e, str) else e.label for e in (known[code], entry))
                problems.append(Problem(
                    "study.yml", "The study gives a code of the shared vocabulary other words.",
                    column=f"vocab.{section}.{code}", expected=f"a new code (data/vocab/{section}.yml already has "
                    f"{code!r}: {printable(shared_words, 60)!r})", found=f"{code!r}: {printable(own, 60)!r}",
                    hint=f"Use a code of your own for another meaning; to reword {code!r} for every study, edit "
                         f"data/vocab/{section}.yml; or delete the entry here."))
    return problems


def _check_rule(path: str, o: Outcome, spec: StudySpec, vocab: Vocabulary) -> list[Problem]:
    problems: list[Problem] = []

    def add(where: str, message: str, expected: str, found: Any, hint: str = "") -> None:
        problems.append(Problem("study.yml", message, column=where, expected=expected, found=str(found)[:80],
                                hint=hint))

    # rule: rule_needs_its_settings; rule: threshold_index_known; rule: all_of_known
    if o.rule in ("score_below", "score_at_most", "fall_from_baseline", "endoscopy_at_most"):
        indices = vocab.endoscopy if o.rule == "endoscopy_at_most" else vocab.activity
        if not o.thresholds:
            add(f"{path}.thresholds", f"The rule {o.rule} needs a cut-off for each index.",
                "a mapping of index to cut-off, e.g. {PUCAI: 10}", "nothing")
        for index, cut in o.thresholds.items():
            if index not in indices:
                add(f"{path}.thresholds.{index}", "The threshold names an unknown index.",
                    "one of " + ", ".join(indices), repr(index), closest(index, list(indices)))
            elif not indices[index].min <= cut <= indices[index].max:
                add(f"{path}.thresholds.{index}", "The cut-off is outside the index's range.",
                    f"from {indices[index].min:g} to {indices[index].max:g}", cut)
    elif o.rule in ("lab_below", "lab_at_most"):
        if o.lab is None or o.limit is None:
            add(path, f"The rule {o.rule} needs `lab` and `limit`.", "lab: crp_mg_l or calprotectin_ug_g, and "
                "limit: a number", f"lab {o.lab!r}, limit {o.limit!r}")
    elif o.rule == "all_of":
        if not o.of:
            add(f"{path}.of", "The rule all_of needs the outcomes it combines.", "a list of outcome keys", "nothing")
        for i, name in enumerate(o.of):
            other = spec.outcomes.get(name)
            if other is None or other.rule in ("all_of", "endoscopy_at_most"):
                add(f"{path}.of[{i}]", "all_of names an outcome it cannot combine.",
                    "an outcome of the study that is a score, fall or lab rule", repr(name),
                    closest(name, list(spec.outcomes)))
    # rule: implies_known
    endoscopy = o.rule == "endoscopy_at_most"
    for i, name in enumerate(o.implies):
        other = spec.outcomes.get(name)
        if other is None or other is o or (other.rule == "endoscopy_at_most") != endoscopy:
            kind = "an endoscopy rule" if endoscopy else "evaluated at each time point"
            add(f"{path}.implies[{i}]", "implies names an outcome this one cannot lie within.",
                f"another outcome of the study that is {kind}", repr(name), closest(name, list(spec.outcomes)))
    return problems


# Words that make a verb of family words printed after "were" ("were had an operation").
VERBS_AFTER_WERE = ("had", "has", "have", "was", "were", "got", "needed", "stopped", "took", "did", "went", "became")


def _plain_after_were(path: str, plain: str) -> list[Problem]:
    # rule: plain_after_were
    first = plain.strip().split(" ", 1)[0].lower()
    if first not in VERBS_AFTER_WERE:
        return []
    return [Problem("study.yml", "These family words are printed after 'were' and start with a verb.", column=path,
                    expected="words that read after 'children were', e.g. 'in remission' or 'still without an "
                             "operation'", found=repr(plain)[:80],
                    hint=f"'were {plain}' does not read. Reword it, or put it in `plain_not` (the other side, "
                         "printed after the number on its own).")]


def _check_urls(file: str, path: str, citations: dict[str, Citation]) -> list[Problem]:
    return [Problem(file, f"The link of citation {printable(key, 40)!r} is not an https address.",
                    column=f"{path}.{key}.url",
                    expected="an address starting with https://", found=repr(c.url)[:80],
                    hint="Only https links are published; copy the address from the browser's address bar.")
            for key, c in citations.items()
            if c.url is not None and not (c.url.startswith("https://") or c.url.startswith("mailto:"))]


# --- tables ------------------------------------------------------------------------------------------------------

def check_table(table: Table, raw: pd.DataFrame, vocab: Vocabulary) -> tuple[pd.DataFrame, list[Problem]]:
    """Check columns and cells of one table; return the typed frame (bad cells empty) and the problems.

    Optional columns may be left out of the file: they are then empty in the typed frame.
    """
    names = set(table.column_names)
    misspelt = _misspelt_headers(table, list(raw.columns))
    if len(raw.columns) > 1 and not misspelt and not names & set(raw.columns):
        return pd.DataFrame(index=raw.index), [Problem(
            table.file, "The file has no header row: its first row with values names none of the table's columns.",
            expected=f"a first row naming the columns ({', '.join(table.column_names[:4])}, ...)",
            found=f"a first row of {len(raw.columns):,} cells, none of them a column name (a row of data, or "
                  "empty cells)",
            hint="Put the header row first, as on the Data format page; if the first row of the file is empty, "
                 "delete it, and if the header was deleted, add it back.")]
    unknown = [col for col in raw.columns if col not in names]
    problems = summarise([_unknown_column(table, col, misspelt.get(col), names) for col in unknown[:SHOWN]],
                         "unknown columns", total=len(unknown))
    if raw.empty and table.file in TABLES_WITH_ROWS:
        problems.append(Problem(table.file, "The table has no rows.", expected=f"{table.grain}, below the header",
                                found="only the header row",
                                hint="Export the table again with its data, or check that this is the right file."))
    typed_frame = pd.DataFrame(index=raw.index)
    for column in table.columns:
        if column.name not in raw.columns:
            if column.optional:
                cells = pd.Series("", index=raw.index, dtype="string")
            elif column.name in misspelt.values():  # said once, with the misspelt header
                continue
            else:
                problems.append(Problem(table.file, f"The column {column.name!r} is missing.", column=column.name,
                                        expected=column.expected, found="no such column",
                                        hint=f"Add a column headed {column.name!r}: {column.description}"))
                continue
        else:
            cells = raw[column.name]
        choices = tuple(getattr(vocab, column.vocab)) if column.vocab else column.choices
        typed_frame[column.name], found = check_column(table.file, column, cells, choices)
        problems += found
    if not problems and table.key:
        dup = typed_frame.duplicated(list(table.key), keep="first")
        for row in (bad := typed_frame.index[dup])[:SHOWN]:
            key = ", ".join(f"{k}={typed_frame.at[row, k]}" for k in table.key)
            problems.append(Problem(table.file, "Duplicate row.", row=int(row), column=table.key[-1],
                                    expected=f"one row per {' and '.join(table.key)}", found=f"a second row with {key}",
                                    hint="Delete the repeated row, or correct its key."))
        problems += _rest(bad, "duplicate rows", problems)
    return typed_frame, problems


def _misspelt_headers(table: Table, headers: list[str]) -> dict[str, str]:
    """Each unknown header that is close to a column of the contract missing from the file: ``{header: column}``
    (a column is claimed by one header at most, the first; only the first 100 unknown headers are compared, as a
    file of thousands of extra columns is not a typo)."""
    missing = [c for c in table.column_names if c not in headers]
    unknown = [h for h in headers if h not in table.column_names][:100]
    found: dict[str, str] = {}
    for header in unknown if missing else ():
        match = nearest(header, [c for c in missing if c not in found.values()])
        if match:
            found[header] = match
    return found


def _unknown_column(table: Table, header: str, meant: str | None, names: set[str]) -> Problem:
    """A header that is not a column of the contract: one problem, naming the column it misspells if any."""
    invisible = _invisible(header)
    found = printable(repr(header) if invisible or not header.isprintable() else header, 120)  # escaped: it
    # looks like the name it is not
    pasted = (f"The header holds an invisible character ({', '.join(invisible[:3])}): clear the header cell and "
              "type the name again. ") if invisible else ""
    if meant:
        column = next(c for c in table.columns if c.name == meant)
        return Problem(table.file, f"The column {header!r} is not known; did you mean {meant!r}?", column=header,
                       expected=f"a column headed {meant!r}: {column.description}", found=found,
                       hint=f"{pasted}Correct the header to {meant!r}; no column {meant!r} was found in the file.")
    if header.casefold() in {n.casefold() for n in names}:
        same = next(n for n in names if n.casefold() == header.casefold())
        return Problem(table.file, f"Unknown column {header!r}.", column=header,
                       expected="only the columns of the data contract, each once", found=found,
                       hint=f"{pasted}A column {same!r} is in the file already: delete this one if it is a copy, or "
                            "rename it if it holds something else (names are lower case).")
    return Problem(table.file, f"Unknown column {header!r}.", column=header,
                   expected="only the columns of the data contract", found=found,
                   hint=pasted + (closest(header, list(names))
                                  or "Remove the column; the Data format page lists every column."))


def check_column(file: str, column: Column, cells: pd.Series, choices: tuple[str, ...] = ()
                 ) -> tuple[pd.Series, list[Problem]]:
    """The column's cells typed (bad cells empty) and its problems; the live preview keeps each column's result
    for the same cells, row numbers, contract and allowed codes (kept.py)."""
    return kept("column", (file, column, choices, series_key(cells)),
                lambda: _check_column(file, column, cells, choices), _copied_column, len(cells) * CELL_BYTES)


def _copied_column(checked: tuple[pd.Series, list[Problem]]) -> tuple[pd.Series, list[Problem]]:
    return checked[0].copy(), list(checked[1])


def missing_cells(cells: pd.Series) -> pd.Series:
    """Which cells (as read) count as missing: empty, or a placeholder of ``MISSING_MARKERS``."""
    return cells.fillna("").str.strip().str.lower().isin(MISSING_MARKERS)


def _stripped(frame: pd.DataFrame) -> pd.DataFrame:
    """A table as read, every cell text without surrounding spaces (empty cells empty)."""
    return pd.DataFrame({c: [str(x).strip() for x in frame[c].fillna("").to_numpy(dtype=object)]
                         for c in frame.columns}, index=frame.index, columns=frame.columns)


def _check_column(file: str, column: Column, cells: pd.Series, choices: tuple[str, ...] = ()
                  ) -> tuple[pd.Series, list[Problem]]:
    text = cells.fillna("").str.strip()
    missing = missing_cells(cells)
    parsed, bad = _parse(column, text.where(~missing, ""), choices)
    bad &= ~missing
    problems = []
    if column.required:
        for row in text.index[missing]:
            shown = repr(cells[row]) if text[row] else "an empty cell"
            problems.append(Problem(file, "A required value is missing.", row=int(row), column=column.name,
                                    expected=column.expected, found=shown,
                                    hint="Fill in the value from the record; this column cannot be left empty."))
    for row in text.index[bad]:
        problems.append(Problem(file, "The value is not valid.", row=int(row), column=column.name,
                                expected=_expected(column, choices), found=repr(cells[row])[:80],
                                hint=_hint(column, text[row], choices)))
    return parsed, _cap(problems)


def _expected(column: Column, choices: tuple[str, ...]) -> str:
    if column.type in ("code", "codes") and len(choices) <= 12:
        return column.expected + ": " + ", ".join(choices)
    return column.expected


def _parse(column: Column, text: pd.Series, choices: tuple[str, ...] = ()) -> tuple[pd.Series, pd.Series]:
    """Convert text to the column's type; return (values, mask of cells that failed)."""
    empty = text == ""
    if column.type in ("integer", "number"):
        values = pd.to_numeric(text.where(~empty), errors="coerce")
        bad = values.isna() & ~empty
        if column.type == "integer":
            bad |= values.notna() & (values % 1 != 0)
        if column.minimum is not None:
            bad |= values < column.minimum
        if column.maximum is not None:
            bad |= values > column.maximum
        values = values.where(~bad)
        return (values.astype("Int64") if column.type == "integer" else values.astype("Float64")), bad
    if column.type == "boolean":
        low = text.str.lower()
        values = pd.Series(pd.NA, index=text.index, dtype="boolean")
        values[low.isin(TRUE_WORDS)] = True
        values[low.isin(FALSE_WORDS)] = False
        return values, values.isna() & ~empty
    if column.type == "date":
        ok = text.str.match(ISO_DATE)
        values = pd.to_datetime(text.where(ok & ~empty), format="%Y-%m-%d", errors="coerce")
        return values, values.isna() & ~empty
    if column.type in ("category", "code"):
        bad = ~text.isin(choices) & ~empty
        return text.where(~empty & ~bad).astype("string"), bad
    if column.type == "codes":
        lists = text.map(lambda t: tuple(sorted({c.strip() for c in t.split(";") if c.strip()})))
        bad = lists.map(lambda codes: any(c not in choices for c in codes)) & ~empty
        return lists.where(~bad, ()), bad
    if column.type == "id":
        bad = ~text.str.match(r"^[A-Za-z0-9_-]+$") & ~empty
        return text.where(~empty).astype("string"), bad
    return text.where(~empty).astype("string"), pd.Series(False, index=text.index)


def _invisible(text: str) -> list[str]:
    """The invisible characters of ``text`` that a spreadsheet shows as nothing (zero-width spaces, direction marks
    and overrides, a byte-order mark, a soft hyphen, spaces other than the plain one), each as U+XXXX NAME."""
    found = [c for c in text if unicodedata.category(c) == "Cf" or (unicodedata.category(c) == "Zs" and c != " ")]
    return [f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed')}" for c in dict.fromkeys(found)]


def _other_digits(text: str) -> str:
    """'full-width' (or 'non-ASCII') when ``text`` holds digits other than 0-9, else ''."""
    digits = [c for c in text if c.isdigit() and not c.isascii()]
    if not digits:
        return ""
    return "full-width" if any("FULLWIDTH" in unicodedata.name(c, "") for c in digits) else "non-ASCII"


def _hint(column: Column, text: str, choices: tuple[str, ...] = ()) -> str:
    invisible = _invisible(text)
    if invisible:
        return (f"The cell holds an invisible character ({', '.join(invisible[:3])}), often pasted in with the "
                "text: clear the cell and type the value again.")
    kind = _other_digits(text) if column.type in ("integer", "number", "date") else ""
    if kind:
        return (f"The digits are {kind} ({text.strip()[:20]!r}), as some keyboards and input methods type them: "
                "retype the value with the ASCII digits 0-9.")
    if column.type in ("integer", "number") and re.fullmatch(r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):
        plain = text.replace(",", "")
        return (f"This looks like a thousands separator ({text} = {plain}); write numbers without separators "
                f"({plain}). If a decimal comma was meant, write it with a point.")
    if column.type in ("integer", "number") and re.fullmatch(r"-?\d+,\d+", text):
        return "This looks like a decimal comma; write decimals with a point (3.5, not 3,5)."
    if column.type in ("integer", "number") and re.fullmatch(r"\s*-?(?=[\dOoIl]*[OoIl])[\dOoIl]*\d[\dOoIl]*\s*", text):
        meant = text.strip().translate(str.maketrans("OoIl", "0011"))
        return (f"A letter where a digit belongs ({text.strip()!r}: the letter O for a zero, or I or l for a one?): "
                f"type the digits ({meant}?).")
    if column.type in ("integer", "number") and re.fullmatch(r"\s*-?\d+(?:[.,]\d+)?\s*(?:%|[^\W\d_][^\d]*)", text):
        number = re.match(r"\s*(-?\d+(?:[.,]\d+)?)", text).group(1)
        return (f"Write the number alone, without a unit or a % sign ({number}, not {text.strip()}): the column's "
                "unit is fixed (see the Data format page).")
    if column.type == "date" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        return "No such day in the calendar (check the day and the month); write dates as YYYY-MM-DD."
    if column.type == "date" and re.fullmatch(r"\d{5}(?:\.0+)?", text.strip()):
        return ("This looks like a spreadsheet's date number (days since 1900): format the column as a date, "
                "YYYY-MM-DD, before exporting it as CSV.")
    if column.type == "date":
        return "Write dates as YYYY-MM-DD (for example 2023-04-01), the same in every row."
    if column.type in ("category", "code"):
        where = (f" To add a new code, put it in data/vocab/{column.vocab}.yml, or under `vocab: {column.vocab}:` "
                 "in study.yml, with its clinician label and plain words.") if column.vocab else ""
        return (closest(text, list(choices)) or "Use exactly one of the listed codes.") + where
    if column.type == "codes":
        unknown = [c.strip() for c in text.split(";") if c.strip() and c.strip() not in choices]
        return (f"Unknown code {unknown[0]!r}. " + (closest(unknown[0], list(choices)) or "")
                + f" Separate codes with semicolons; new codes go in data/vocab/{column.vocab}.yml.").strip()
    if column.type in ("integer", "number") and (column.minimum is not None or column.maximum is not None) \
            and re.fullmatch(r"\s*-?\d+(?:\.\d+)?\s*", text, re.ASCII):
        return "Check the value against the source record; it is outside the possible range."
    return f"{column.description}"


def _not_a_date(text: str) -> bool:
    try:
        pd.Timestamp(text)
    except ValueError:
        return True
    return False


def _rest(rows: Any, noun: str, problems: list[Problem]) -> list[Problem]:
    """After a check listed the first SHOWN of ``rows`` (the last of ``problems``), a line counting the
    rest (errors.rest_counted)."""
    return rest_counted(len(rows), noun, problems[-min(len(rows), SHOWN):], SHOWN)


def _cap(problems: list[Problem]) -> list[Problem]:
    """The first SHOWN of a check's problems, then one line counting the rest (errors.summarise)."""
    return summarise(problems, "rows with the same kind of problem")


def check_score_ranges(file: str, frame: pd.DataFrame, index_col: str, score_col: str,
                       indices: dict[str, Any], text: pd.DataFrame | None = None) -> list[Problem]:
    """A score must lie within the range of the index named in the same row (PUCAI 0-85, wPCDAI 0-125, ...).
    ``text`` is the table as read (all text), for "found" as the file writes it."""
    problems = []
    if index_col not in frame.columns or score_col not in frame.columns:
        return problems
    has_score = frame[score_col].notna()
    for row in (bad := frame.index[has_score & frame[index_col].isna()])[:SHOWN]:
        problems.append(Problem(file, "A score is given without its index.", row=int(row), column=index_col,
                                expected="one of " + ", ".join(indices), found="an empty cell",
                                hint=f"Name the index the score in {score_col!r} was measured on."))
    problems += _rest(bad, "scores without their index", problems)
    for name, ix in indices.items():
        rows = frame.index[(frame[index_col] == name).fillna(False)
                           & ((frame[score_col] < ix.min) | (frame[score_col] > ix.max)).fillna(False)]
        for row in rows:
            problems.append(Problem(
                file, f"The score is outside the range of the {name} index.", row=int(row), column=score_col,
                expected=f"a {name} score from {ix.min:g} to {ix.max:g}",
                found=as_written(text, row, score_col) or f"{frame.at[row, score_col]:g}",
                hint=f"Check the score against the record, and that {index_col} names the index it was scored on."))
    return _cap(problems)


def check_index_fits_diagnosis(file: str, frame: pd.DataFrame, index_col: str, section: str,
                               indices: dict[str, Any], patients: pd.DataFrame) -> list[Problem]:
    """rule: index_fits_diagnosis -- a score is on an index meant for the patient's diagnosis, as the vocabulary
    declares it (an index's `diagnoses`; none listed: any diagnosis). The frames are typed and linked."""
    if index_col not in frame.columns:
        return []
    diagnosis = frame["patient_id"].map(patients.set_index("patient_id")["diagnosis"])
    problems = []
    for index, ix in indices.items():
        if not ix.diagnoses:
            continue
        wrong = (frame[index_col] == index).fillna(False) & diagnosis.notna() & ~diagnosis.isin(ix.diagnoses)
        for row in frame.index[wrong]:
            dx = diagnosis[row]
            fitting = [name for name, other in indices.items() if not other.diagnoses or dx in other.diagnoses]
            problems.append(Problem(
                file, f"The {index} index is not meant for this patient's diagnosis ({dx}).", row=int(row),
                column=index_col, expected=f"an index meant for {dx}, the diagnosis of "
                f"{frame.at[row, 'patient_id']} in patients.csv: " + (", ".join(fitting) or "none is declared"),
                found=f"{index} (meant for {', '.join(ix.diagnoses)})",
                hint=f"Check the index and the patient's diagnosis against the record. Which diagnoses an index is "
                     f"meant for is declared in data/vocab/{section}.yml, or under the study's `vocab: {section}:` "
                     "(its `diagnoses:`)."))
    return _cap(sorted(problems, key=lambda p: p.row or 0))


# --- across tables -----------------------------------------------------------------------------------------------
# Rules (documented on the Data format page from CROSS_TABLE_RULES): see each check below.

CROSS_TABLE_RULES = (
    "Every patient_id in visits.csv and events.csv is listed in patients.csv.",
    "Every diagnosis in patients.csv is one of the study's `diagnoses`.",
    "Visit weeks are time points of the study (`timepoints_weeks`).",
    "Events and visits are not after the end of follow-up (`follow_up_weeks`, or the patient's "
    "`follow_up_end_week`).",
    "Within a patient, dates do not go backwards as the week goes up.",
    "After a discontinuation, visits are marked on_treatment = no, and there is no dose_change; adverse events, "
    "surgery and endoscopy after stopping are allowed (they are real outcomes).",
    "A follow_up_end_week needs a follow_up_end_reason, and the other way round; it is at most the study's "
    "`follow_up_weeks`.",
    "No date in the tables is after the study's `data_date`.",
    "The `centre` column names no more centres than `design.centres` in study.yml (the pages print that number).",
    "dose_change rows give new_dose; surgery rows give surgery_type; adverse_event rows give ae_type; "
    "discontinuation rows give a reason.",
    "No child appears twice under two ids: a patient whose rows in patients.csv, visits.csv and events.csv are those "
    "of another in every column but the ids stops the build (a copied row given a new id).",
    "A column an outcome of `study.yml` reads has a value in at least one row (`activity_index` and "
    "`activity_score` for score and fall rules, the `lab` column for lab rules, `steroids` for `steroid_free`, "
    "`endoscopy_index` and `endoscopy_score` in events.csv for endoscopy rules): a column left out, or empty in "
    "every row, stops the build, as it would count every child as not achieving the outcome. A partly filled "
    "column is accepted (a child not assessed at a visit).",
)


def check_copied_patients(text: dict[str, pd.DataFrame]) -> list[Problem]:
    """A patient whose rows in patients.csv, visits.csv and events.csv are those of an earlier patient in every
    column but the ids: one child entered twice, a copied row given a new id (an outside tester's C06 copied as
    C006 was counted as a 17th child). Two children never share every date and value. ``text``: the tables as
    read (their index is the file's row number)."""
    def rows_of(file: str, ids: tuple[str, ...]) -> dict[str, tuple[tuple[str, ...], ...]]:
        table = _stripped(text[file])
        columns = [c for c in table.columns if c not in ids]
        rows: dict[str, list[tuple[str, ...]]] = {}
        for pid, cells in zip(table["patient_id"].tolist(), table[columns].to_numpy(dtype=object).tolist(),
                              strict=True):
            rows.setdefault(pid, []).append(tuple(cells))
        return {pid: tuple(sorted(cells)) for pid, cells in rows.items()}

    patients = _stripped(text["patients.csv"])
    visits, events = rows_of("visits.csv", ("patient_id",)), rows_of("events.csv", ("patient_id", "event_id"))
    columns = [c for c in patients.columns if c != "patient_id"]
    first: dict[tuple, tuple[str, int]] = {}
    problems = []
    for row, pid, cells in zip(patients.index, patients["patient_id"].tolist(),
                               patients[columns].to_numpy(dtype=object).tolist(), strict=True):
        key = (tuple(cells), visits.get(pid, ()), events.get(pid, ()))
        if key not in first:
            first[key] = (pid, int(row))
            continue
        earlier, earlier_row = first[key]
        problems.append(Problem(
            "patients.csv", f"This child's rows in patients.csv, visits.csv and events.csv are those of {earlier} "
            f"(row {earlier_row}) in every column but the id.", row=int(row), column="patient_id",
            expected="each child once", found=f"{pid}, the same as {earlier} in every other column",
            hint=f"If {pid} is a copy of {earlier}, delete its rows in the three files; if they are two children, "
                 "correct the copied values from the records (two children never share every date and value)."))
    return summarise(problems, "children copied under another id")


def check_outcome_columns(spec: StudySpec, text: dict[str, pd.DataFrame]) -> list[Problem]:
    """A column an outcome reads (``Outcome.reads``) with no value in any row, or not in its file at all: one
    problem per outcome and column. Every child would count as not achieving the outcome among all who started
    (a confident 0 of N for a column nobody filled). ``text`` holds the tables as read; a partly filled column
    passes (a child not assessed)."""
    problems = []
    for key, o in spec.outcomes.items():
        for file, column, field in o.reads():
            if file not in text:
                continue  # the missing file is a problem of its own
            table, headers = next(t for t in TABLES if t.file == file), list(text[file].columns)
            if not set(table.column_names) & set(headers):
                continue  # the file has no header row: said once, by check_table
            if column not in headers:
                if column in _misspelt_headers(table, headers).values():
                    continue  # said once, with the misspelt header (check_table)
                found = f"no {column} column"
            else:
                if not all(missing_cells(cells).all() for _, cells in text[file].loc[:, [column]].items()):
                    continue
                found = "the column is empty in every row"
            path = f"outcomes.{key}.{field}"
            remove = (f"remove `steroid_free: true` from outcomes.{key} in study.yml" if field == "steroid_free"
                      else f"remove the outcome {key!r} from study.yml (and the places that name it)")
            problems.append(Problem(
                file, f"The outcome {key!r} in study.yml ({path}) reads this column, but no row has a value in it.",
                column=column, expected=f"values in {column} (outcome {key} reads it)", found=found,
                hint=f"Fill the column from the records ({table.column(column).expected}; a cell may stay empty "
                     f"for a child not assessed), or {remove}. Left unfilled, every child would count as not "
                     "achieving the outcome."))
    return problems


def check_links(tables: dict[str, pd.DataFrame], spec: StudySpec, text: dict[str, pd.DataFrame] | None = None
                ) -> list[Problem]:
    """Rules that need more than one row: known patients, time points, follow-up, order of dates and events.
    ``text`` holds the tables as read (all text): a "found" quotes the cell as the file writes it."""
    text = text or {}
    problems = []
    patients, visits, events = tables["patients.csv"], tables["visits.csv"], tables["events.csv"]
    known = set(patients["patient_id"])
    for file, frame in (("visits.csv", visits), ("events.csv", events)):
        for row in (bad := frame.index[~frame["patient_id"].isin(known)])[:SHOWN]:
            problems.append(Problem(file, "The patient is not in patients.csv.", row=int(row), column="patient_id",
                                    expected=f"an id listed in {PATIENTS.file}",
                                    found=repr(frame.at[row, "patient_id"]),
                                    hint="Add the patient to patients.csv, or correct the id."))
        problems += _rest(bad, "rows for patients not in patients.csv", problems)
    # rule: patients_diagnosis_declared
    for row in (bad := patients.index[~patients["diagnosis"].isin(spec.diagnoses)])[:SHOWN]:
        problems.append(Problem("patients.csv", "The diagnosis is not one of the study's diagnoses.", row=int(row),
                                column="diagnosis", expected="one of " + ", ".join(spec.diagnoses),
                                found=repr(patients.at[row, "diagnosis"]),
                                hint="Add the code to `diagnoses` in study.yml, or correct the cell."))
    problems += _rest(bad, "patients with a diagnosis not in study.yml", problems)
    weeks = set(spec.timepoints_weeks)
    for row in (bad := visits.index[~visits["week"].isin(weeks)])[:SHOWN]:
        problems.append(Problem("visits.csv", "The week is not one of the study's time points.", row=int(row),
                                column="week", expected="one of " + ", ".join(map(str, sorted(weeks))),
                                found=as_written(text.get("visits.csv"), row, "week") or str(visits.at[row, "week"]),
                                hint="Use the nearest scheduled assessment week."))
    problems += _rest(bad, "visits at a week that is not a time point", problems)
    end_week = patients.set_index("patient_id")["follow_up_end_week"].astype("Float64").fillna(
        float(spec.follow_up_weeks)).clip(upper=float(spec.follow_up_weeks))
    has_end = patients["follow_up_end_week"].notna()
    has_reason = patients["follow_up_end_reason"].notna()
    for row in (bad := patients.index[has_end != has_reason])[:SHOWN]:
        column = "follow_up_end_reason" if has_end[row] else "follow_up_end_week"
        problems.append(Problem("patients.csv", "Early end of follow-up needs both its week and its reason.",
                                row=int(row), column=column, expected="both follow_up_end_week and "
                                "follow_up_end_reason, or neither", found="only one of them",
                                hint="Fill in the other cell, or clear both if the patient was followed to the end."))
    problems += _rest(bad, "patients with only one of follow_up_end_week and follow_up_end_reason", problems)
    late_end = patients["follow_up_end_week"] > spec.follow_up_weeks
    for row in (bad := patients.index[late_end.fillna(False)])[:SHOWN]:
        problems.append(Problem("patients.csv", "The end of follow-up is after the end of the study's follow-up.",
                                row=int(row), column="follow_up_end_week",
                                expected=f"a week from 0 to {spec.follow_up_weeks} (follow_up_weeks in study.yml)",
                                found=f"{patients.at[row, 'follow_up_end_week']:g}",
                                hint="follow_up_end_week is for a patient followed for less than the study: correct "
                                     "it, or clear it and its reason if the patient was followed to the end."))
    problems += _rest(bad, "patients whose follow-up ends after the study's", problems)
    problems += _future_dates(patients, visits, events)
    problems += _centres(spec, patients)
    problems += _data_date_after_records(spec.data_date, patients, visits, events)
    for file, frame in (("visits.csv", visits), ("events.csv", events)):
        limit = frame["patient_id"].map(end_week)
        for row in (bad := frame.index[(frame["week"] > limit).fillna(False)])[:SHOWN]:
            problems.append(Problem(file, "The row is after the end of follow-up.", row=int(row), column="week",
                                    expected=f"a week from 0 to {limit[row]:g} (the patient's end of follow-up)",
                                    found=as_written(text.get(file), row, "week") or str(frame.at[row, "week"]),
                                    hint="Rows after follow-up are outside the study: delete the row, or correct "
                                         "the week (or the patient's follow_up_end_week)."))
        problems += _rest(bad, "rows after the end of follow-up", problems)
    required = {"dose_change": "new_dose", "surgery": "surgery_type", "adverse_event": "ae_type",
                "discontinuation": "reason", "endoscopy": "endoscopy_score"}
    for kind, column in required.items():
        rows = events.index[(events["event_type"] == kind) & events[column].isna()]
        for row in rows[:SHOWN]:
            problems.append(Problem("events.csv", f"A {kind} row needs {column}.", row=int(row), column=column,
                                    expected=EVENT_COLUMN_EXPECTED.get(column, f"a value in {column}"),
                                    found="an empty cell", hint="Fill it in from the record."))
        problems += _rest(rows, f"{kind} rows without {column}", problems)
    problems += _check_order(visits, "visits.csv", "visit_date", spec.data_date)
    problems += _check_order(events, "events.csv", "event_date", spec.data_date)
    stops = events[events["event_type"] == "discontinuation"].groupby("patient_id")["week"].min()
    visit_stop = visits["patient_id"].map(stops)
    after = (visits["week"] > visit_stop) & visits["on_treatment"].fillna(False)
    for row in (bad := visits.index[after.fillna(False)])[:SHOWN]:
        problems.append(Problem("visits.csv", "This visit is marked on treatment after the patient stopped.",
                                row=int(row), column="on_treatment",
                                expected=f"on_treatment = no after week {visit_stop[row]:g} (the discontinuation)",
                                found="yes",
                                hint="Check the discontinuation row, or mark this visit on_treatment = no."))
    problems += _rest(bad, "visits marked on treatment after the patient stopped", problems)
    event_stop = events["patient_id"].map(stops)
    late_dose = (events["event_type"] == "dose_change") & (events["week"] > event_stop)
    for row in (bad := events.index[late_dose.fillna(False)])[:SHOWN]:
        week = as_written(text.get("events.csv"), row, "week") or f"{events.at[row, 'week']:g}"
        problems.append(Problem("events.csv", "A dose change after the patient stopped treatment.", row=int(row),
                                column="week", expected=f"week {event_stop[row]:g} or earlier (the discontinuation)",
                                found=f"week {week}",
                                hint="Check the discontinuation row; a restart after stopping is not supported."))
    problems += _rest(bad, "dose changes after the patient stopped", problems)
    return problems


def _centres(spec: StudySpec, patients: pd.DataFrame) -> list[Problem]:
    """More centres named in patients.csv's ``centre`` column than ``design.centres`` in study.yml: the pages would
    say '1 hospital' of children treated at two."""
    if "centre" not in patients.columns:
        return []
    named = sorted({str(c).strip() for c in patients["centre"].dropna() if str(c).strip()})
    if len(named) <= spec.design.centres:
        return []
    return [Problem("patients.csv", "More centres are named in the centre column than study.yml declares.",
                    column="centre",
                    expected=f"at most {spec.design.centres:,} centre(s) (design.centres in study.yml)",
                    found=f"{len(named):,} different centres: " + ", ".join(repr(c) for c in named[:6])
                          + (", ..." if len(named) > 6 else ""),
                    hint="Correct design.centres in study.yml (the pages print it), or the centre names if one "
                         "centre is written in two ways.")]


EVENT_COLUMN_EXPECTED = {"new_dose": "the new dose, a number", "surgery_type": "a code from data/vocab/surgery.yml",
                         "ae_type": "a code from data/vocab/adverse_events.yml",
                         "reason": "a code from data/vocab/stop_reasons.yml",
                         "endoscopy_score": "the score on the index in endoscopy_index"}


def _latest_possible_date() -> datetime.date:
    """Today, with a day of grace for time zones: no date in the data can be after it."""
    return datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=1)


def _future_data_date(data_date: str) -> list[Problem]:
    """rule: data_date_in_range -- not in the future (a day of grace for time zones)."""
    if datetime.date.fromisoformat(data_date) <= _latest_possible_date():
        return []
    today = datetime.datetime.now(datetime.UTC).date()
    return [Problem("study.yml", "The data date is in the future.", column="data_date",
                    expected=f"a date on or before today ({today:%Y-%m-%d})", found=repr(data_date),
                    hint="Write the day the data were frozen (records) or the figures entered (aggregate).")]


def _table_dates(patients: pd.DataFrame, visits: pd.DataFrame, events: pd.DataFrame
                 ) -> tuple[tuple[str, pd.DataFrame, str], ...]:
    return (("visits.csv", visits, "visit_date"), ("events.csv", events, "event_date"),
            ("patients.csv", patients, "start_date"))


def _future_dates(patients: pd.DataFrame, visits: pd.DataFrame, events: pd.DataFrame) -> list[Problem]:
    """A date in the tables after today is a slip in that row (2099 typed for 2023): the row is named, not the data
    date (which cannot be in the future either) nor the next row (whose date then seems to go backwards)."""
    latest = pd.Timestamp(_latest_possible_date())
    problems = []
    for file, frame, column in _table_dates(patients, visits, events):
        problems += _cap([Problem(file, "The date is in the future.", row=int(row), column=column,
                                  expected=f"a date on or before today ({latest - pd.Timedelta(days=1):%Y-%m-%d})",
                                  found=f"{frame.at[row, column]:%Y-%m-%d}",
                                  hint="Check the date against the record (a mistyped year?).")
                          for row in frame.index[(frame[column] > latest).fillna(False)]])
    return problems


def _data_date_after_records(data_date: str, patients: pd.DataFrame, visits: pd.DataFrame,
                             events: pd.DataFrame) -> list[Problem]:
    """rule: data_date_in_range -- the data are not frozen before their latest date (a date in the future is the
    row's slip: ``_future_dates``)."""
    if not ISO_DATE.match(data_date) or _not_a_date(data_date):
        return []  # reported by check_study
    frozen, latest = pd.Timestamp(data_date), pd.Timestamp(_latest_possible_date())
    for file, frame, column in _table_dates(patients, visits, events):
        dates = frame[column].where(frame[column] <= latest)
        if dates.notna().any() and dates.max() > frozen:
            row = dates.idxmax()
            return [Problem("study.yml", "The data date is before a date in the tables.", column="data_date",
                            expected=f"on or after {dates.max():%Y-%m-%d} (the latest date: {file}, row {row}, "
                                     f"column {column!r})", found=repr(data_date),
                            hint="Write the day the data were frozen, after the last record; or correct that "
                                 "record's date.")]
    return []


def _check_order(frame: pd.DataFrame, file: str, date_col: str, data_date: str = "") -> list[Problem]:
    """Within a patient, dates must not go backwards as the week goes up. The row named is the one a person would
    correct: a date later than the patient's next two rows, or after the study's data_date, is itself the slip (the
    row after it only seems to go backwards); a date in the future is reported by ``_future_dates`` alone."""
    ordered = frame.sort_values(["patient_id", "week"], kind="stable")
    dates = ordered.groupby("patient_id")[date_col]
    previous, following = dates.shift(), dates.shift(-1)
    before = pd.Series(ordered.index, index=ordered.index).groupby(ordered["patient_id"]).shift()
    frozen = pd.Timestamp(data_date) if ISO_DATE.match(data_date) and not _not_a_date(data_date) else None
    latest = pd.Timestamp(_latest_possible_date())
    problems: list[Problem] = []
    for row in ordered.index[(ordered[date_col] < previous).fillna(False)]:
        high = previous[row]
        if high > latest:
            continue  # _future_dates names that row
        late = frozen is not None and high > frozen
        if late or (pd.notna(following[row]) and following[row] < high):
            where = "its next rows" if not late else "its next row, and after the study's data_date"
            problems.append(Problem(
                file, "The date is later than the patient's next rows.", row=int(before[row]), column=date_col,
                expected=f"on or before {ordered.at[row, date_col]:%Y-%m-%d} (the patient's next row, row {row})",
                found=f"{high:%Y-%m-%d}",
                hint=f"Check this date against the record (a mistyped year or month?): it is after {where}."))
        else:
            problems.append(Problem(
                file, "The date goes backwards in time for this patient.", row=int(row), column=date_col,
                expected=f"on or after {high:%Y-%m-%d} (the patient's previous row, row {int(before[row])})",
                found=f"{ordered.at[row, date_col]:%Y-%m-%d}",
                hint="Check the date and the week of this row against the record."))
    return _cap(problems)


# --- aggregate studies --------------------------------------------------------------------------------------------

# Units of a summary row (results.csv `unit`, compared without case) whose values cannot be below zero: lengths of
# time, percentages, amounts, sizes and concentrations. A z-score or a change in a score may be negative.
NON_NEGATIVE_UNITS = ("years", "months", "weeks", "days", "hours", "%", "kg", "g", "cm", "mm", "m", "kg/m²",
                      "kg/m2", "mg/L", "mg/dL", "g/L", "g/dL", "µg/g", "ug/g", "mmol/L", "µmol/L", "umol/L",
                      "mm/h")

LARGEST = 1e9  # no figure of a study is larger (a larger number is a spreadsheet's overflow, and crashed rounding)
AGGREGATE_RULES = (
    "Each `key` is a key of `measures` in study.yml; each `group` is all, one of the study's `diagnoses` or a "
    "key of its `subgroups`.",
    "reported and derived rows give numerator and denominator, with the numerator not above the denominator; "
    "a derived row also gives the percent, and the numerator is that percent of the denominator.",
    "When a row gives both n/N and a percent, n/N rounds to the percent.",
    "percent_only rows give a percent; summary rows are baseline rows with a median.",
    "A study marked `ongoing: true` has no result rows.",
    f"`confirmed` is {MADE_UP} on every row of a made-up study (`status: synthetic`) and on no row of a published "
    "one, as the values' `data` flag in numbers.json says.",
    "No denominator is larger than the study's `n` (every row counts the study's own patients: all who started, "
    "those on treatment, those with the measurement, a subgroup, or an unclear part of them).",
    "A figure of all who started (`population: all_started`, group `all`) counts all of them: its denominator is "
    "the study's `n`.",
    "Every number is at most 1,000,000,000 in size (not a spreadsheet's inf or overflow).",
    "A summary row gives both quartiles (q1 and q3) or neither, with q1 <= median <= q3.",
    "A median or quartile whose unit cannot be negative (" + ", ".join(NON_NEGATIVE_UNITS) + ") is not "
    "negative; other units (a z-score, a change in a score) may be.",
)


def validate_aggregate(raw: RawStudy, shared: Shared) -> AggregateStudy:
    """The aggregate kind: study.yml against AggregateSpec and results.csv against schema.RESULTS."""
    problems = list(raw.problems)
    reader = Reader("study.yml", texts=raw.meta_text)
    yml_broken = any(p.file == "study.yml" for p in raw.problems)
    spec = None if yml_broken else typed.parse(AggregateSpec, raw.meta, reader)
    problems += reader.problems
    vocab = shared.vocab
    if spec is not None:
        problems += check_aggregate_spec(spec, vocab, shared.medicines)
    frame = None
    if RESULTS.file in raw.tables:
        frame, found = check_table(RESULTS, raw.tables[RESULTS.file], vocab)
        problems += found
        if not found and spec is not None:
            problems += check_results(frame, spec, raw.tables[RESULTS.file])
    if problems or spec is None or frame is None:
        raise DataError(raw.id, problems)
    # As for a records study: the study's files and the shared data it is read with (vocabulary, medicines).
    fingerprint = hashlib.sha256(f"{raw.fingerprint}\0{shared.fingerprint}".encode()).hexdigest()[:12]
    return AggregateStudy(raw.id, raw.folder, spec, shared.medicines[spec.medicine], vocab, frame, fingerprint)


def check_aggregate_spec(spec: AggregateSpec, vocab: Vocabulary, medicines: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []

    def add(path: str, message: str, expected: str, found: Any, hint: str = "") -> None:
        problems.append(Problem("study.yml", message, column=path, expected=expected, found=str(found)[:80],
                                hint=hint))

    # rule: medicine_known
    if spec.medicine not in medicines:
        add("medicine", "Unknown medicine.", "one of " + ", ".join(medicines), repr(spec.medicine),
            _medicine_hint(spec.medicine, medicines))
    # rule: diagnoses_known
    for i, dx in enumerate(spec.diagnoses):
        if dx not in vocab.diagnoses:
            add(f"diagnoses[{i}]", "Unknown diagnosis.", "one of " + ", ".join(vocab.diagnoses), repr(dx),
                closest(dx, list(vocab.diagnoses)))
    # rule: data_date_is_date
    if not ISO_DATE.match(spec.data_date) or _not_a_date(spec.data_date):
        add("data_date", "The field 'data_date' is not a date.", "a date written YYYY-MM-DD, in quotes",
            repr(spec.data_date), 'Write it as data_date: "2026-01-15".')
    else:
        problems += _future_data_date(spec.data_date)
    # rule: doi_pmid_form
    doi, pmid = spec.publication.doi, spec.publication.pmid
    if doi is not None and not DOI.fullmatch(doi):
        add("publication.doi", "The DOI is not a DOI.", "10.<digits>/<suffix>, e.g. 10.1111/apt.70016",
            repr(doi), "Copy the DOI alone, without https://doi.org/ or other words (it is printed after "
            "https://doi.org/); leave it out if the source has none.")
    if pmid is not None and not PMID.fullmatch(pmid):
        add("publication.pmid", "The PubMed id is not a PubMed id.", "digits only, e.g. 39921898", repr(pmid),
            "Copy the number after PMID: on PubMed; leave it out if the source has none.")
    # rule: outcome_key_slug
    for key in list(spec.measures) + list(spec.subgroups):
        if not SLUG.match(key):
            add(f"measures.{key}", "The key cannot be used in value ids.", "lower-case letters, digits and _, "
                "starting with a letter", repr(key), "Rename the key, e.g. sf_remission.")
    for key, measure in spec.measures.items():
        problems += _plain_after_were(f"measures.{key}.plain", measure.plain)
    # rule: one_headline
    headlines = [key for key, measure in spec.measures.items() if measure.headline]
    if len(headlines) > 1:
        add(f"measures.{headlines[1]}.headline", "More than one measure is the study's headline.",
            "headline: true on one measure only", f"headline: true on {', '.join(headlines)}",
            "Keep it on the primary or strictest outcome; remove it from the others.")
    for key in headlines:
        if not (spec.measures[key].families and spec.measures[key].plain.strip()):
            add(f"measures.{key}.headline", "The headline is a measure families are not shown.",
                "headline: true on a measure with families: true and plain words", f"headline: true on {key}",
                "Put it on the primary or strictest outcome shown to families, or give this one `families: true` "
                "and `plain` words.")
    # rule: family_harms_words
    for name in ("family_harms", "family_harms_es"):
        words = getattr(spec, name)
        if words and not re.search(r"[^\W\d_]", words):
            add(name, "The side effects are blank.", "words naming side effects, or no field at all",
                repr(words), f"Write the side effects, or remove `{name}`.")
        elif re.search(r"\d", words):
            add(name, "The side effects the source names without a figure hold a figure.",
                "words only, no numbers", repr(words), "Put a figure in results.csv (a row with families: true), "
                "where it is counted, sourced and listed in numbers.json; keep only the names here.")
    # rule: family_words_no_figures
    worded = [(f"{name}[{i}]", words) for name in ("family_caveats", "family_caveats_es")
              for i, words in enumerate(getattr(spec, name))]
    worded += [(f"measures.{key}.{name}", getattr(measure, name)) for key, measure in spec.measures.items()
               for name in ("plain", "plain_es", "plain_not", "plain_not_es", "family_note", "family_note_es")]
    for path, words in worded:
        figure = figure_in_words(words)
        if figure:
            add(path, "Family words hold a figure.", "words, and times such as 'the first 8 weeks'", repr(figure),
                "Put the figure in results.csv (a row with families: true), where it is counted, sourced and "
                "listed in numbers.json; the page prints it beside these words.")
    # rule: family_words_no_shares
    for name in ("family_about", "family_about_es", "short_title", "short_title_es"):
        share = share_in_words(getattr(spec, name, "") or "")
        if share:
            add(name, "Words about the study hold a result.", "who took part and how (counts, ages, places)",
                repr(share), "Put the result in results.csv (a row with families: true), where it is counted, "
                "sourced and listed in numbers.json.")
    if spec.family_harms_es.strip() and not spec.family_harms.strip():
        add("family_harms", "Side effects are named in Spanish only.", "the same side effects in English",
            "an empty field", "Families reading in English must be told the same: write `family_harms` too.")
    # rule: n_positive (denominators against n: check_results)
    if spec.n is not None and spec.n < 1:
        add("n", "The number of patients who started must be at least 1.", "a whole number of at least 1",
            spec.n, "Copy N from the source; leave `n` out (or empty) for a trial still recruiting.")
    # rule: url_https
    url = spec.publication.url
    if url is not None and not url.startswith("https://"):
        add("publication.url", "A link must be https.", "a URL starting https://", repr(url)[:80])
    # rule: spanish_complete
    for path, found in spanish_missing(spec, vocab, medicines.get(spec.medicine)):
        add(path, "The study has Spanish family words (family_about_es) but this Spanish field is missing.",
            "Spanish words for families, beside the English ones", found,
            "Fill it in, or remove family_about_es until the whole study is translated.")
    problems += spanish_beside_english("study.yml", [("family_caveats", spec.family_caveats, spec.family_caveats_es)])
    return problems


# Family words may hold a number only as a time ("the first 8 weeks", "before week 8", "semana 8", "2 to 17
# years"); a percentage, "per cent" or "out of every" is a figure whatever its number is written as.
_TIME = re.compile(r"\b(?:weeks?|months?|years?|days?|semanas?|mes(?:es)?|años?|días?)\s+\d+(?:[.,]\d+)?"
                   r"|\d+(?:[.,]\d+)?(?:\s*(?:-|–|to|a|and|y)\s*\d+(?:[.,]\d+)?)?\s*"
                   r"(?:weeks?|months?|years?|days?|semanas?|mes(?:es)?|años?|días?)\b", re.IGNORECASE)
_SHARE = re.compile(r"%|\bper\s*cent\b|\bpercent\b|\bpor\s+ciento\b|\bout\s+of\s+every\b", re.IGNORECASE)


def figure_in_words(words: str) -> str | None:
    """The first figure in family words that is not a time ('95%', '22', 'out of every', '½', 'Ⅸ'), or None."""
    share = _SHARE.search(words)
    if share:
        return share.group(0)
    rest = _TIME.sub(" ", words)
    number = re.search(r"\d+(?:[.,]\d+)?", rest)
    return number.group(0) if number else next((c for c in rest if c.isnumeric()), None)  # ½, Ⅸ, ⑨


def share_in_words(words: str) -> str | None:
    """A percentage, 'per cent' or 'out of every' in words that may hold counts and ages ('100 children, ages 2 to
    17') but no result, or None."""
    share = _SHARE.search(words)
    return share.group(0) if share else None


def check_results(frame: pd.DataFrame, spec: AggregateSpec, text: pd.DataFrame | None = None) -> list[Problem]:
    """The rules of AGGREGATE_RULES, one problem per bad row with its line number. ``text`` is results.csv as read
    (all text): a "found" quotes the cells as the file writes them (45.0 stays 45.0), never a converted value."""
    problems: list[Problem] = []
    groups = ["all", *spec.diagnoses, *spec.subgroups]

    def add(row: int, column: str, message: str, expected: str, found: Any, hint: str = "") -> None:
        problems.append(Problem(RESULTS.file, message, row=int(row), column=column, expected=expected,
                                found=str(found)[:80], hint=hint))

    if spec.ongoing and len(frame):
        add(int(frame.index[0]), "section", "An ongoing study has no results.", "only the header row",
            f"{len(frame)} rows", "Remove the rows, or set `ongoing: false` once results are published.")
    made_up = spec.status == "synthetic"
    for row, r in frame.iterrows():
        if r["key"] not in spec.measures:
            add(row, "key", "The measure is not declared.", "a key of `measures` in study.yml", repr(r["key"]),
                closest(str(r["key"]), list(spec.measures)) or "Declare it under `measures:`.")
        if r["group"] not in groups:
            add(row, "group", "Unknown group.", "one of " + ", ".join(groups), repr(r["group"]),
                closest(str(r["group"]), groups) or "Add it to `diagnoses` or `subgroups` in study.yml.")
        num, den, pct, basis = r["numerator"], r["denominator"], r["percent"], r["count_basis"]
        has_n, has_d, has_p = pd.notna(num), pd.notna(den), pd.notna(pct)

        def cell(column: str, row: Any = row, r: pd.Series = r) -> str:  # as the file writes it
            return as_written(text, row, column) or ("empty" if pd.isna(r[column]) else str(r[column]))

        # rule: made_up_rows_say_so
        if made_up and r["confirmed"] != MADE_UP:
            add(row, "confirmed", "A row of a made-up study says its figure was checked against a source.",
                MADE_UP, cell("confirmed"), f"Write {MADE_UP} in every row while `status: synthetic`; once the rows "
                "are entered from the source, write primary or secondary and set `status: published`.")
        elif not made_up and r["confirmed"] == MADE_UP:
            add(row, "confirmed", "A published study holds a made-up row.", "primary or secondary",
                cell("confirmed"), "Enter the row from the source (primary or secondary), or delete it; a study "
                "whose figures are still made up keeps `status: synthetic`.")
        if basis in ("reported", "derived"):
            if not (has_n and has_d):
                add(row, "numerator", f"A {basis} count needs numerator and denominator.",
                    "both numerator and denominator", f"{cell('numerator')}/{cell('denominator')}",
                    "Use count_basis percent_only when the source gives only a percentage.")
            elif num > den:
                add(row, "numerator", "The numerator is above the denominator.", f"at most {cell('denominator')}",
                    cell("numerator"))
            if basis == "derived":
                if not has_p:
                    add(row, "percent", "A derived count needs the reported percent.", "the percent as printed",
                        "an empty cell")
                elif has_n and has_d and round_half_up(float(pct) * float(den) / 100) != num:
                    add(row, "numerator", "The derived count is not the percent of the denominator.",
                        f"{round_half_up(float(pct) * float(den) / 100):g}", cell("numerator"),
                        "Derive a count only where it follows exactly from the printed percent and N.")
        if basis == "percent_only" and not has_p:
            add(row, "percent", "A percent_only row needs the percent.", "a number from 0 to 100", "an empty cell")
        if basis == "summary" and (r["section"] != "baseline" or pd.isna(r["median"])):
            add(row, "median", "A summary row is a baseline row with a median.", "section baseline and a median",
                f"section {cell('section')}, median {cell('median')}")
        for column in ("numerator", "denominator", "percent", "median", "q1", "q3"):
            if column in r and pd.notna(r[column]) and not abs(float(r[column])) <= LARGEST:
                add(row, column, "The number is not a figure a source could print.",
                    f"a number of at most {LARGEST:,.0f}", cell(column),
                    "Copy the figure from the source (a spreadsheet's inf, #NUM! or 1E+30 is not a figure).")
        week = r["week"]
        if r["section"] in ("outcome", "adverse_event") and pd.notna(week) and week == 0:
            add(row, "week", "An outcome or side effect at week 0 is a figure from before the first dose.",
                "the week the source gives it (1 or later), or empty when the source gives none", cell("week"),
                "A figure at the start is a baseline row (section baseline, week empty); families would read "
                "'after 0 weeks'.")
        whole = r["group"] == "all" or [r["group"]] == list(spec.diagnoses)  # the study's only diagnosis: everyone
        if (has_d and spec.n is not None and spec.n >= 1 and r["population"] == "all_started" and whole
                and math.isfinite(float(den)) and den != spec.n):
            # rule: n_positive -- a figure of all who started counts all of them
            add(row, "denominator", "A figure of all the children who started does not count all of them.",
                f"{spec.n} (n in study.yml)", cell("denominator"),
                "If the source counts only some of them, set `population` to with_data, on_treatment or "
                "unclear; otherwise check the denominator and `n` against the source.")
        if has_d and spec.n is not None and spec.n >= 1 and den > spec.n:
            # rule: n_positive -- every population of results.csv is a part of the study's own patients
            add(row, "denominator", "The denominator is larger than the number of patients in the study.",
                f"at most {spec.n} (n in study.yml)", cell("denominator"),
                "Check the denominator against the source, and `n` in study.yml (the patients who started).")
        if basis == "summary":
            problems += _check_quartiles(row, r)
        if basis == "reported" and has_n and has_d and has_p and num <= den:
            shown = float(pct)
            digits = 0 if shown == int(shown) else 1
            if round_half_up(100 * num / den, digits) != shown:
                add(row, "percent", "n/N does not round to the percent.",
                    f"{round_half_up(100 * num / den, digits):g}", cell("percent"),
                    "Check both figures against the source.")
    # rule: one_headline -- families shown an outcome are shown the one the study team chose, not the first
    shown = [k for k in dict.fromkeys(frame.loc[frame["section"] == "outcome", "key"]) if k in spec.measures
             and spec.measures[k].families and spec.measures[k].plain.strip()]
    for key in (k for k, m in spec.measures.items() if m.headline):
        sections = set(frame.loc[frame["key"] == key, "section"])
        if len(frame) and "outcome" not in sections:  # (no rows of it at all: the home page fell back to another)
            problems.append(Problem("study.yml", "The headline is not an outcome.", column=f"measures.{key}.headline",
                                    expected="headline: true on an outcome (section outcome in results.csv)",
                                    found=f"{key}: " + (f"section {', '.join(sorted(sections))}" if sections
                                                        else "no row in results.csv"), hint="The home page shows "
                                    "the headline as the study's finding: mark the primary or strictest outcome; a "
                                    "side effect is shown beside the findings anyway."))
    if shown and not any(spec.measures[k].headline for k in spec.measures):
        problems.append(Problem("study.yml", "No measure is the study's headline, though families are shown its "
                                "outcomes.", column="measures", expected="headline: true on one measure shown to "
                                "families", found="no headline (outcomes shown to families: " + ", ".join(shown)
                                + ")", hint="Mark the primary or strictest outcome `headline: true`: the home page "
                                "and the handout show it (not the most favourable one)."))
    return problems


def _check_quartiles(row: int, r: pd.Series) -> list[Problem]:
    """A summary row's median and quartiles: both quartiles or neither, in order, and not negative where the
    unit cannot be (AGGREGATE_RULES)."""
    median, q1, q3 = (r[c] for c in ("median", "q1", "q3"))
    problems = []

    def add(column: str, message: str, expected: str, found: str, hint: str) -> None:
        problems.append(Problem(RESULTS.file, message, row=int(row), column=column, expected=expected, found=found,
                                hint=hint))

    if pd.notna(q1) != pd.notna(q3):
        add("q3" if pd.notna(q1) else "q1", "A summary row gives only one quartile.", "both q1 and q3, or neither",
            f"q1 {q1 if pd.notna(q1) else 'empty'}, q3 {q3 if pd.notna(q3) else 'empty'}",
            "Copy both ends of the interquartile range from the source, or leave both empty.")
    elif pd.notna(q1) and pd.notna(median) and not q1 <= median <= q3:
        column = "q1" if q1 > q3 else "median"
        add(column, "The median and quartiles are not in order.", "q1 <= median <= q3",
            f"median {median:g}, q1 {q1:g}, q3 {q3:g}",
            "Check them against the source: q1 is the lower quartile, q3 the upper one (were they swapped?).")
    unit = str(r["unit"]).strip() if "unit" in r and pd.notna(r["unit"]) else ""
    if _unit_key(unit) in {_unit_key(u) for u in NON_NEGATIVE_UNITS}:
        for column, value in (("median", median), ("q1", q1), ("q3", q3)):
            if pd.notna(value) and value < 0:
                add(column, f"A value in {unit} cannot be negative.", f"a number of at least 0 ({unit})",
                    f"{value:g}", "Check the sign against the source (a minus sign typed by mistake?).")
                break
    return problems


def _unit_key(unit: str) -> str:
    """A unit compared without case or a plural s: 'Years', 'year' and 'years' are one unit."""
    return unit.strip().lower().removesuffix("s")
