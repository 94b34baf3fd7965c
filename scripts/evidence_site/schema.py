"""The data contract for the CSV tables, version 2: one declarative definition of every table.

This module and ``spec.py`` (study.yml, medicines, vocabulary) are the single source of truth for the data
format. They drive validation (``validate.py``), the generated "Data format" page of the site
(``templates/reference/data-format.md.j2``) and the tests that keep the two in step. Change the format here,
nowhere else. Allowed codes are not listed here: they come from the vocabulary (``data/vocab/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .fmt import MADE_UP

SCHEMA_VERSION = 2

ColumnType = Literal["id", "category", "code", "codes", "integer", "number", "boolean", "date", "text"]


@dataclass(frozen=True)
class Column:
    """One column of a patient-level table."""

    name: str
    type: ColumnType
    description: str
    required: bool = True  # False: the cell may be empty
    choices: tuple[str, ...] = ()  # allowed values for "category"
    minimum: float | None = None
    maximum: float | None = None
    unit: str = ""
    private: bool = False  # never published, in any form (ids, dates, free text)
    optional: bool = False  # the whole column may be left out of the file
    vocab: str = ""  # "code"/"codes": the vocabulary section holding the allowed codes

    @property
    def expected(self) -> str:
        """Plain description of an acceptable value, used in error messages and docs."""
        if self.type == "category":
            return "one of " + ", ".join(self.choices)
        if self.type == "code":
            return f"a code from data/vocab/{self.vocab}.yml (or the study's `vocab: {self.vocab}:`)"
        if self.type == "codes":
            return f"codes from data/vocab/{self.vocab}.yml separated by semicolons, or empty"
        if self.type == "boolean":
            return "yes or no"
        if self.type == "date":
            return "a date written YYYY-MM-DD"
        if self.type == "id":
            return "a pseudonymous patient id: letters, digits, - or _"
        if self.type in ("integer", "number"):
            kind = "a whole number" if self.type == "integer" else "a number"
            if self.minimum is not None and self.maximum is not None:
                return f"{kind} from {_num(self.minimum)} to {_num(self.maximum)}"
            if self.minimum is not None:
                return f"{kind} of at least {_num(self.minimum)}"
            return kind
        return "any text"


@dataclass(frozen=True)
class Table:
    """One CSV file of a study folder."""

    file: str
    description: str
    grain: str  # what one row is
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()  # columns that must be unique together

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _num(x: float) -> str:
    return f"{x:g}"


# Columns of type "code" and "codes" take their allowed values from a section of the vocabulary
# (data/vocab/<section>.yml, extended by the study's `vocab:`), so no code list lives here.
EVENT_TYPES = ("dose_change", "discontinuation", "surgery", "endoscopy", "adverse_event")
SEXES = ("F", "M")
DOSE_UNITS = ("mg", "mg/kg")
FORMULATIONS = ("tablet", "liquid")

PATIENTS = Table(
    file="patients.csv",
    description="Who started treatment, and how they arrived at it.",
    grain="one row per patient",
    key=("patient_id",),
    columns=(
        Column("patient_id", "id", "Study-specific pseudonymous id. Never published.", private=True),
        Column("diagnosis", "code", "Diagnosis at start; one of the study's `diagnoses`.", vocab="diagnoses"),
        Column("sex", "category", "Sex recorded in the chart.", choices=SEXES),
        Column("age_at_diagnosis_years", "number", "Age when IBD was diagnosed.", minimum=0, maximum=18, unit="years"),
        Column("age_at_start_years", "number", "Age at the first dose of the medicine; not below the age at "
               "diagnosis.", minimum=0, maximum=18, unit="years"),
        Column("start_date", "date", "Date of the first dose. Never published.", private=True),
        Column("centre", "text", "Centre where the patient was treated (multicentre studies). Checked against "
               "design.centres in study.yml; never published per patient.", required=False, optional=True,
               private=True),
        Column("prior_therapies", "codes", "Earlier advanced therapies that failed, separated by semicolons "
               "(e.g. anti_tnf; thiopurine); empty for none. Only the study's `prior_therapies` are counted.",
               required=False, optional=True, vocab="therapies"),
        Column("baseline_steroids", "boolean", "On systemic corticosteroids at start.", required=False,
               optional=True),
        Column("starting_dose", "number", "Dose at start, in `dose_unit`, per dose.", minimum=0, maximum=100,
               required=False, optional=True),
        Column("dose_unit", "category", "Unit of the doses (default mg).", choices=DOSE_UNITS, required=False,
               optional=True),
        Column("dose_frequency", "code", "How often the dose is given (default once_daily).", vocab="frequencies",
               required=False, optional=True),
        Column("formulation", "category", "Tablet or liquid (default tablet).", choices=FORMULATIONS,
               required=False, optional=True),
        Column("follow_up_end_week", "number", "Week follow-up ended, for patients followed for less than the "
               "study's follow_up_weeks (lost to follow-up, moved away); empty when followed to the end. Such "
               "patients are censored then.", minimum=0, maximum=520, unit="weeks", required=False, optional=True),
        Column("follow_up_end_reason", "code", "Why follow-up ended early; required when follow_up_end_week is "
               "given.", vocab="follow_up_end", required=False, optional=True),
    ),
)

VISITS = Table(
    file="visits.csv",
    description="Assessments at the study's time points.",
    grain="one row per patient per assessment week",
    key=("patient_id", "week"),
    columns=(
        Column("patient_id", "id", "Links to patients.csv.", private=True),
        Column("week", "integer", "Assessment week; must be one of the study's time points.", minimum=0, maximum=520,
               unit="weeks"),
        Column("visit_date", "date", "Date of the assessment. Never published.", private=True),
        Column("on_treatment", "boolean", "Still taking the medicine at this assessment."),
        Column("activity_index", "code", "Disease activity index used (e.g. PUCAI, wPCDAI).", vocab="activity",
               required=False),
        Column("activity_score", "number", "Score on that index, within the index's range.", minimum=0,
               maximum=1000, required=False),
        Column("steroids", "boolean", "On systemic corticosteroids at this assessment.", required=False,
               optional=True),
        Column("crp_mg_l", "number", "C-reactive protein.", minimum=0, maximum=500, unit="mg/L", required=False,
               optional=True),
        Column("calprotectin_ug_g", "number", "Faecal calprotectin.", minimum=0, maximum=10000, unit="µg/g",
               required=False, optional=True),
        Column("weight_z", "number", "Weight-for-age z-score.", minimum=-6, maximum=6, required=False, optional=True),
        Column("height_z", "number", "Height-for-age z-score.", minimum=-6, maximum=6, required=False, optional=True),
    ),
)

EVENTS = Table(
    file="events.csv",
    description="Things that happened between assessments.",
    grain="one row per event",
    key=("event_id",),
    columns=(
        Column("event_id", "text", "Unique id of the event within the study. Never published.", private=True),
        Column("patient_id", "id", "Links to patients.csv.", private=True),
        Column("week", "number", "Weeks since the first dose when the event happened.", minimum=0, maximum=520,
               unit="weeks"),
        Column("event_date", "date", "Date of the event. Never published.", private=True),
        Column("event_type", "category", "What kind of event this row records.", choices=EVENT_TYPES),
        Column("new_dose", "number", "For dose_change: the new dose, in the patient's dose_unit.", minimum=0,
               maximum=100, required=False, optional=True),
        Column("new_dose_frequency", "code", "For dose_change: how often the new dose is given (default: as "
               "before).", vocab="frequencies", required=False, optional=True),
        Column("reason", "code", "For discontinuation: why treatment stopped.", vocab="stop_reasons",
               required=False, optional=True),
        Column("surgery_type", "code", "For surgery: what operation.", vocab="surgery", required=False,
               optional=True),
        Column("endoscopy_index", "code", "For endoscopy: the index scored (e.g. Mayo, SES-CD).", vocab="endoscopy",
               required=False, optional=True),
        Column("endoscopy_score", "number", "For endoscopy: the score, within the index's range.", minimum=0,
               maximum=1000, required=False, optional=True),
        Column("ae_type", "code", "For adverse_event: its type.", vocab="adverse_events", required=False,
               optional=True),
        Column("serious", "boolean", "For adverse_event: met the definition of a serious adverse event.",
               required=False, optional=True),
        Column("led_to_discontinuation", "boolean", "For adverse_event: treatment stopped because of it.",
               required=False, optional=True),
        Column("notes", "text", "Free text for the study team. Never published.", required=False, private=True,
               optional=True),
    ),
)

TABLES: tuple[Table, ...] = (PATIENTS, VISITS, EVENTS)

# --- aggregate studies (kind: aggregate): the figures a publication reports ----------------------------------

SECTIONS = ("outcome", "adverse_event", "baseline")
POPULATIONS = ("all_started", "on_treatment", "with_data", "subgroup", "unclear")
COUNT_BASES = ("reported", "derived", "percent_only", "summary")

RESULTS = Table(
    file="results.csv",
    description="Aggregate studies only (`kind: aggregate`): every figure the source reports, one per row, entered "
                "from the source. Nothing here is recomputed; the site prints these figures and, where a count "
                "and its denominator are known, a 95% Wilson interval labelled as computed here.",
    grain="one row per reported figure",
    key=("section", "key", "population", "group", "week"),
    columns=(
        Column("section", "category", "Which table of the source the figure belongs to.", choices=SECTIONS),
        Column("key", "text", "The measure: a key of `measures` in study.yml (it becomes part of the value id)."),
        Column("population", "category", "Who the denominator is: all who started (intention to treat), those "
               "still on treatment, those with the measurement, a subgroup, or unclear (the source does not "
               "say).", choices=POPULATIONS),
        Column("group", "text", "all, a diagnosis code of the study's `diagnoses`, or a key of its `subgroups`."),
        Column("week", "integer", "Time point in weeks since the first dose (1 or later for outcomes and side "
               "effects: a figure at the start is a baseline row); empty when the source gives none.",
               minimum=0, maximum=520, unit="weeks", required=False),
        Column("numerator", "integer", "Patients with the outcome (empty when the source gives only a "
               "percentage and the count cannot be worked out).", minimum=0, maximum=100000, required=False),
        Column("denominator", "integer", "Patients it is out of (empty when the source does not say).", minimum=1,
               maximum=100000, required=False),
        Column("percent", "number", "The percentage as the source prints it.", minimum=0, maximum=100,
               required=False),
        Column("count_basis", "category", "reported: the source gives n/N; derived: the source gives a "
               "percentage of a stated N and the count follows exactly (labelled computed here); percent_only: "
               "a percentage with no usable denominator (no interval is shown); summary: a median or mean "
               "(baseline rows).", choices=COUNT_BASES),
        Column("median", "number", "Baseline rows: the median (or mean, if the measure's label says so).",
               required=False, optional=True),
        Column("q1", "number", "Baseline rows: the lower quartile.", required=False, optional=True),
        Column("q3", "number", "Baseline rows: the upper quartile.", required=False, optional=True),
        Column("unit", "text", "Baseline rows: the unit, e.g. years.", required=False, optional=True),
        Column("where", "text", "Where in the source: page, table, figure or section (e.g. abstract, results)."),
        Column("confirmed", "category", "primary: checked against the source itself (its abstract on PubMed or "
               "the journal page); secondary: only in a secondary source (the page says 'reported by a "
               f"secondary source'); {MADE_UP}: a row of a made-up study (`status: synthetic`), with no source to "
               "check (every row of a made-up study says so, and no row of a published one).",
               choices=("primary", "secondary", MADE_UP)),
        Column("note", "text", "A note printed beside the figure for clinicians.", required=False, optional=True),
    ),
)
AGGREGATE_TABLES: tuple[Table, ...] = (RESULTS,)

# Placeholders that spreadsheet exports use for "missing". They are treated as
# empty cells, so a required column holding one is reported as missing.
MISSING_MARKERS = ("", "na", "n/a", "nan", "null", "none", "-", "--", "missing", "unknown", ".")

