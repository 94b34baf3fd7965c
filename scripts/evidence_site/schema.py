"""The data contract, version 1: one declarative definition of every study file.

This module is the single source of truth for the data format. It drives
validation (``validate.py``), the generated "Data format" page of the site
(``templates/reference/data-format.md.j2``) and the tests that keep the two in
step. Change the format here, nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SCHEMA_VERSION = 1

ColumnType = Literal["id", "category", "integer", "number", "boolean", "date", "text"]


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

    @property
    def expected(self) -> str:
        """Plain description of an acceptable value, used in error messages and docs."""
        if self.type == "category":
            return "one of " + ", ".join(self.choices)
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


@dataclass(frozen=True)
class Field:
    """One top-level field of ``study.yml``."""

    name: str
    type: Literal["text", "integer", "list", "mapping", "category"]
    description: str
    required: bool = True
    choices: tuple[str, ...] = ()
    default: object = None


def _num(x: float) -> str:
    return f"{x:g}"


DIAGNOSES = ("CD", "UC", "IBDU")
ACTIVITY_INDICES = ("PUCAI", "wPCDAI")
ENDOSCOPY_INDICES = ("Mayo", "SES-CD")
EVENT_TYPES = ("dose_escalation", "discontinuation", "surgery", "endoscopy", "adverse_event")
DISCONTINUATION_REASONS = ("lack_of_response", "loss_of_response", "adverse_event", "patient_choice", "other")
PRIOR_THERAPIES = ("anti_tnf", "ustekinumab", "vedolizumab", "tofacitinib", "risankizumab")

PATIENTS = Table(
    file="patients.csv",
    description="Who started treatment, and how they arrived at it.",
    grain="one row per patient",
    key=("patient_id",),
    columns=(
        Column("patient_id", "id", "Study-specific pseudonymous id. Never published.", private=True),
        Column("diagnosis", "category", "Diagnosis at start: Crohn's disease, ulcerative colitis or IBD-unclassified.",
               choices=DIAGNOSES),
        Column("sex", "category", "Sex recorded in the chart.", choices=("F", "M")),
        Column("age_at_diagnosis_years", "number", "Age when IBD was diagnosed.", minimum=0, maximum=18, unit="years"),
        Column("age_at_start_years", "number", "Age at the first dose of upadacitinib.", minimum=0, maximum=18,
               unit="years"),
        Column("start_date", "date", "Date of the first dose. Never published.", private=True),
        *(Column(f"prior_{t}", "boolean", f"Earlier treatment with {t.replace('_', '-')} that failed.")
          for t in PRIOR_THERAPIES),
        Column("baseline_steroids", "boolean", "On systemic corticosteroids at start."),
        Column("starting_dose_mg", "integer", "Daily dose at start.", minimum=1, maximum=45, unit="mg"),
    ),
)

VISITS = Table(
    file="visits.csv",
    description="Assessments at the study's time points.",
    grain="one row per patient per assessment week",
    key=("patient_id", "week"),
    columns=(
        Column("patient_id", "id", "Links to patients.csv.", private=True),
        Column("week", "integer", "Assessment week; must be one of the study's time points.", minimum=0, maximum=104,
               unit="weeks"),
        Column("visit_date", "date", "Date of the assessment. Never published.", private=True),
        Column("on_treatment", "boolean", "Still taking upadacitinib at this assessment."),
        Column("activity_index", "category", "Disease activity index used: PUCAI for UC and IBD-U, wPCDAI for CD.",
               choices=ACTIVITY_INDICES, required=False),
        Column("activity_score", "number", "Score on that index (PUCAI 0-85, wPCDAI 0-125).", minimum=0, maximum=125,
               required=False),
        Column("steroids", "boolean", "On systemic corticosteroids at this assessment.", required=False),
        Column("crp_mg_l", "number", "C-reactive protein.", minimum=0, maximum=500, unit="mg/L", required=False),
        Column("calprotectin_ug_g", "number", "Faecal calprotectin.", minimum=0, maximum=10000, unit="µg/g",
               required=False),
        Column("weight_z", "number", "Weight-for-age z-score.", minimum=-6, maximum=6, required=False),
        Column("height_z", "number", "Height-for-age z-score.", minimum=-6, maximum=6, required=False),
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
        Column("week", "number", "Weeks since the first dose when the event happened.", minimum=0, maximum=104,
               unit="weeks"),
        Column("event_date", "date", "Date of the event. Never published.", private=True),
        Column("event_type", "category", "What kind of event this row records.", choices=EVENT_TYPES),
        Column("new_dose_mg", "integer", "For dose_escalation: the new daily dose.", minimum=1, maximum=45,
               unit="mg", required=False),
        Column("reason", "category", "For discontinuation: why treatment stopped.",
               choices=DISCONTINUATION_REASONS, required=False),
        Column("endoscopy_index", "category", "For endoscopy: Mayo endoscopic subscore (UC) or SES-CD (CD).",
               choices=ENDOSCOPY_INDICES, required=False),
        Column("endoscopy_score", "number", "For endoscopy: the score (Mayo 0-3, SES-CD 0-56).", minimum=0,
               maximum=56, required=False),
        Column("ae_type", "text", "For adverse_event: short type, e.g. acne, herpes_zoster, infection.",
               required=False),
        Column("serious", "boolean", "For adverse_event: met the definition of a serious adverse event.",
               required=False),
        Column("led_to_discontinuation", "boolean", "For adverse_event: treatment stopped because of it.",
               required=False),
        Column("notes", "text", "Free text for the study team. Never published.", required=False, private=True),
    ),
)

TABLES: tuple[Table, ...] = (PATIENTS, VISITS, EVENTS)

# Placeholders that spreadsheet exports use for "missing". They are treated as
# empty cells, so a required column holding one is reported as missing.
MISSING_MARKERS = ("", "na", "n/a", "nan", "null", "none", "-", "--", "missing", "unknown", ".")

MIN_CELL_DEFAULT = 5  # small-cell protection: counts from 1 to min_cell - 1 are never published

STUDY_FIELDS: tuple[Field, ...] = (
    Field("title", "text", "Full title of the study, shown as the page heading for clinicians."),
    Field("short_title", "text", "Short title for navigation and the family pages."),
    Field("drug", "mapping", "The medicine: `name`, `brand`, `class`, `route`, and plain-language `about` facts."),
    Field("population", "text", "Who was studied, in one sentence."),
    Field("design", "mapping", "`type`, `setting`, `centres`, `dates`, `eligibility` and `data_source`; optional "
          "`populations`, the analysis populations (each with `label` and `definition`) for the methods page."),
    Field("follow_up_weeks", "integer", "Length of follow-up."),
    Field("timepoints_weeks", "list", "Assessment weeks, starting with 0 (baseline)."),
    Field("outcomes", "mapping", "Outcome definitions with their thresholds (see below)."),
    Field("status", "category", "Whether the patient-level data are real or a synthetic demonstration.",
          choices=("synthetic", "real")),
    Field("data_date", "text", "Date the data were frozen (YYYY-MM-DD); printed on pages and handouts."),
    Field("citations", "mapping", "Sources, keyed by a short name used elsewhere in the file."),
    Field("published", "list", "Published headline figures, each with `id`, `label`, `value`, `precision` "
          "and `source` (a key of `citations`)."),
    Field("assumptions", "list", "Choices made where the source is silent, printed on the methods page.",
          required=False, default=[]),
    Field("limitations", "list", "Limitations of the design, for both audiences.", required=False, default=[]),
    Field("certainty", "mapping", "GRADE-style certainty for the clinicians' summary of findings: `start` (the "
          "rating an uncontrolled cohort starts at, e.g. low), `start_reason`, `source` (a key of `citations`) and "
          "`outcomes`, a list with one row per key outcome: `value` (a computed value id, without the study "
          "prefix), optional `also` (a second value id, e.g. the other denominator), `rating` (high, moderate, low "
          "or very low), `reasons` (a list of reasons for rating down), `statement` (one sentence in GRADE wording: "
          "low 'may', very low 'the evidence is very uncertain') and `comment`.", required=False, default={}),
    Field("min_cell", "integer", "Small-cell protection: a count computed from the patient data from 1 to "
          "`min_cell` - 1, or whose complement is, is shown as \"fewer than `min_cell`\" and its percentage and "
          "interval are withheld (see the site's privacy page). 0 turns protection off, for test fixtures only.",
          required=False, default=MIN_CELL_DEFAULT),
)
