"""Vega-Lite specifications as plain dicts, the same (key for key, in the same order) as Altair writes them.

Building the dicts directly spares a build Altair's import (about 1 s) and the deep copies it makes when charts
are layered; the specs are the same, so vl-convert draws the same SVGs (tests/test_charts_spec.py builds every
chart with Altair too, compares the two specs and validates them against the Vega-Lite schema).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any

import pandas as pd

from .escape import CONTROL

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.4.1.json"  # Altair's (altair.SCHEMA_URL, checked in the tests)
Spec = dict[str, Any]


# Characters XML 1.0 does not allow (C0 controls other than tab and line breaks, lone surrogates, U+FFFE and
# U+FFFF): vl-convert aborts the whole process (a Rust panic, not an exception) when chart text holds one.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def svg_text(text: str) -> str:
    """``text`` fit for an SVG: each character XML does not allow, and each control character that page text
    shows as a space (escape.CONTROL), as a space."""
    return CONTROL.sub(" ", _NOT_XML.sub(" ", text))


def drawable(spec: Any) -> Any:
    """``spec`` with every string (data values, titles, labels) fit for an SVG (:func:`svg_text`). Text from data
    reaches charts, and one character XML does not allow would otherwise stop the build with no message."""
    if isinstance(spec, str):
        return svg_text(spec)
    if isinstance(spec, dict):
        return {key: drawable(value) for key, value in spec.items()}
    if isinstance(spec, list):
        return [drawable(value) for value in spec]
    return spec


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A table's rows as Altair puts them in a spec: Python numbers and strings, a missing or infinite number as
    None (``null``)."""
    rows = frame.astype(object).to_dict(orient="records")
    return [{k: _plain(v) for k, v in row.items()} for row in rows]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if hasattr(value, "item"):  # a numpy scalar left in an object column
        return _plain(value.item())
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def dataset_name(values: list[dict[str, Any]]) -> str:
    """Altair's name of an inline dataset: a hash of its values."""
    if values == [{}]:
        return "empty"
    return "data-" + hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:32]


class Datasets:
    """The named datasets of one spec, in the order they are first used."""

    def __init__(self) -> None:
        self.named: dict[str, list[dict[str, Any]]] = {}

    def ref(self, frame: pd.DataFrame) -> dict[str, str]:
        """``{"name": ...}`` for ``frame``'s rows (stored once under their hash)."""
        values = records(frame)
        name = dataset_name(values)
        self.named.setdefault(name, values)
        return {"name": name}


def top(config: Spec, body: Spec, properties: Spec, datasets: Datasets) -> Spec:
    """A top-level spec in Altair's order: config, the body (layer, data, facet, spec or vconcat, as given),
    the other properties by name, the schema and the datasets."""
    return {"config": config, **body, **dict(sorted(properties.items())), "$schema": SCHEMA,
            "datasets": datasets.named}


def mark(kind: str, **options: Any) -> Spec:
    """A mark: its type first, then its options by name."""
    return {"type": kind, **dict(sorted(options.items()))}


def channel(field: str, kind: str | None = None, **options: Any) -> Spec:
    """An encoding channel's definition (field, its type, options), keys by name as Altair writes them."""
    out: Spec = {"field": field, **options}
    if kind is not None:
        out["type"] = kind
    return dict(sorted(out.items()))


def encoding(**channels: Spec) -> Spec:
    return dict(sorted(channels.items()))
