"""What the Data format page documents, gathered from the declarations the build checks against (pure).

The page is generated from these, so it cannot drift from validation: the CSV tables (``schema.py``), every
field of study.yml, of a medicine file and of the vocabulary (``spec.py`` via ``typed.describe``), every rule
beyond the types (``spec.RULES``) and every rule across tables (``validate.CROSS_TABLE_RULES``).
"""

from __future__ import annotations

from typing import Any

from . import typed
from .errors import SHOWN
from .load import MAX_CELL_CHARS
from .schema import AGGREGATE_TABLES, MISSING_MARKERS, TABLES
from .spec import RULES, AggregateSpec, Medicine, StudySpec, Vocabulary
from .validate import AGGREGATE_RULES, CROSS_TABLE_RULES, FALSE_WORDS, TRUE_WORDS


def data_format_docs() -> dict[str, Any]:
    return {
        "tables": TABLES,
        "missing_markers": MISSING_MARKERS,
        "max_cell_chars": MAX_CELL_CHARS,
        "yes_words": sorted(TRUE_WORDS - {"yes"}),  # read as yes beside "yes" itself
        "no_words": sorted(FALSE_WORDS - {"no"}),
        "max_per_column": SHOWN,
        "study_fields": list(typed.describe(StudySpec)),
        "medicine_fields": list(typed.describe(Medicine)),
        "vocab_fields": list(typed.describe(Vocabulary)),
        "rules": RULES,
        "cross_table_rules": CROSS_TABLE_RULES,
        "aggregate_tables": AGGREGATE_TABLES,
        "aggregate_fields": list(typed.describe(AggregateSpec)),
        "aggregate_rules": AGGREGATE_RULES,
    }
