"""``numbers.json``, schema 3: what every value is (its ``data`` flag) and each method text stored once.

Written by the build (:func:`manifest_values`), read back by ``diff.py`` and ``scripts/numbers_diff.py``
(:func:`flat_values`). The layout:

- ``studies``: study id -> title, kind, status, data date, fingerprint, min_cell (as in schema 2).
- ``texts``: short key -> text. Every method, population and interval-method text once; the key is the first
  10 hex digits of the text's SHA-256, so it is the same in every build that prints the same words.
- ``values``: one record per computed value, sorted by id. ``method_ref``, ``population_ref`` and
  ``ci_method_ref`` name entries of ``texts`` (schema 2 repeated the texts in every value). ``data`` says what
  the value is, so a value copied out alone still says it: ``fmt.MADE_UP`` (a made-up demonstration study,
  ``status: synthetic``), ``RECORDS`` (recomputed from a study's own patient records) or ``PUBLISHED`` (a figure
  as a publication reports it, ``kind: aggregate``). A recomputed value with a published figure beside it
  carries ``published_value``, ``published_precision``, ``source`` and ``agrees_with_published`` for real
  records; for made-up data the published figure is not the value's source but what the made-up data were built
  to reproduce: ``reproduces: {value, precision, source, agrees}``. ``timepoint_weeks`` is the value's own time
  point (the week the build computed it at, or the week a publication reports), never the published figure's.

Schema 1 and 2 files (a release's old numbers.json) are read too: :func:`flat_values` gives their values in the
same flat form, with the flag and ``reproduces`` derived from the study's status and kind, so ``make diff``
across the change lists only real differences.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import BuildError
from .fmt import MADE_UP, RECORDS

NUMBERS_SCHEMA_VERSION = 3  # numbers.json's own layout (the data contract of study folders is schema.SCHEMA_VERSION)
READABLE_VERSIONS = (1, 2, 3)
PUBLISHED = "published figure"
TEXT_FIELDS = ("method", "population", "ci_method")
PUBLISHED_FIELDS = ("published_value", "published_precision", "source", "agrees_with_published")
KEY_DIGITS = 10


def text_key(text: str) -> str:
    """The short stable key of a text: the first hex digits of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:KEY_DIGITS]


def data_flag(study: Mapping[str, Any]) -> str:
    """What a study's values are, from its numbers.json entry (status and kind)."""
    if study.get("status") == "synthetic":
        return MADE_UP
    if study.get("kind") == "aggregate":
        return PUBLISHED
    return RECORDS


def study_of(value_id: str, study_ids: Iterable[str]) -> str:
    """The study a value id belongs to: the longest study id that prefixes it with a dot."""
    matches = [s for s in study_ids if value_id.startswith(s + ".")]
    return max(matches, key=len) if matches else value_id.split(".", 1)[0]


def _flagged(record: dict[str, Any], flag: str) -> dict[str, Any]:
    """A flat record with its ``data`` flag; for made-up data the published figure moves to ``reproduces``."""
    out = {k: v for k, v in record.items() if k not in PUBLISHED_FIELDS}
    pages = out.pop("pages", None)
    out["data"] = flag
    if "published_value" in record:
        published = {"value": record["published_value"], "precision": record.get("published_precision"),
                     "source": record.get("source"), "agrees": record.get("agrees_with_published")}
        if flag == MADE_UP:
            out["reproduces"] = {k: v for k, v in published.items() if v is not None}
        else:
            out.update({k: record[k] for k in PUBLISHED_FIELDS if k in record})
    if pages is not None:
        out["pages"] = pages
    return out


def manifest_values(records: list[dict[str, Any]], studies: Mapping[str, Mapping[str, Any]]
                    ) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """(texts, values) of numbers.json from the book's flat records (``NumberBook.records``)."""
    texts: dict[str, str] = {}
    values = []
    for record in records:
        flat = _flagged(record, data_flag(studies.get(study_of(record["id"], studies), {})))
        out: dict[str, Any] = {}
        for k, v in flat.items():
            if k in TEXT_FIELDS:
                key = text_key(v)
                if texts.setdefault(key, v) != v:
                    raise BuildError(f"numbers.json: two texts share the key {key!r} ({texts[key][:40]!r} and "
                                     f"{v[:40]!r}); raise manifest.KEY_DIGITS.")
                out[k + "_ref"] = key
            else:
                out[k] = v
        values.append(out)
    return dict(sorted(texts.items())), values


def flat_values(manifest: Mapping[str, Any], label: str = "numbers.json") -> list[dict[str, Any]]:
    """Every value of a numbers.json (schema 1, 2 or 3) as a flat record: texts in place, ``data`` flag set."""
    version = manifest.get("schema_version", 1)  # the earliest files had no version: the flat layout of 1
    if version not in READABLE_VERSIONS:
        raise BuildError(f"{label}: schema_version {version!r} cannot be read.\n    expected: one of "
                         f"{', '.join(map(str, READABLE_VERSIONS))}\n    hint:     A newer generator wrote it; "
                         "compare with the generator that wrote it, or rebuild both sides with this one.")
    studies = manifest.get("studies", {})
    if version < 3:
        return [_flagged(dict(r), data_flag(studies.get(study_of(r["id"], studies), {})))
                for r in manifest.get("values", [])]
    texts = manifest.get("texts", {})
    out = []
    for i, record in enumerate(manifest.get("values", [])):
        flat: dict[str, Any] = {}
        for k, v in record.items():
            if k.endswith("_ref") and k[:-4] in TEXT_FIELDS:
                if v not in texts:
                    raise BuildError(f"{label}: values[{i}].{k}: no entry {v!r} in `texts`.\n    expected: a key "
                                     "of `texts`\n    hint:     The file is incomplete; rebuild the site.")
                flat[k[:-4]] = texts[v]
            else:
                flat[k] = v
        out.append(flat)
    return out
