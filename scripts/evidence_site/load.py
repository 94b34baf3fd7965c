"""Read a study folder: the only module that reads study files.

Everything is read as text. Turning text into typed values is validation's
job, so that every problem can be reported with the cell it came from.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .errors import BuildError, Problem
from .schema import AGGREGATE_TABLES, TABLES


@dataclass
class RawStudy:
    """A study folder as read from disk, before validation."""

    id: str
    folder: Path
    meta: dict[str, Any]
    tables: dict[str, pd.DataFrame]  # file name -> all-text frame (missing files are absent)
    fingerprint: str
    problems: list[Problem] = field(default_factory=list)


def decode(data: bytes) -> tuple[str, str]:
    """Decode exported text: UTF-8 (with or without BOM), else Latin-1. Returns (text, encoding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def read_csv_text(name: str, data: bytes) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Parse CSV bytes into an all-text frame, reporting an empty file or ragged rows."""
    text, _ = decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, [Problem(name, "The file is empty.", expected="a header row and one row per record",
                              found="no text", hint="Export the table again, including the header row.")]
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    header = [h.strip() for h in rows[0]]
    problems = []
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            problems.append(Problem(
                name, "The row has the wrong number of cells.", row=i, expected=f"{len(header)} cells",
                found=f"{len(row)} cells", hint="Look for a stray comma, or a decimal comma in an unquoted number."))
    body = [r for r in rows[1:] if len(r) == len(header)]
    frame = pd.DataFrame(body, columns=header, dtype="string") if body else pd.DataFrame(columns=header, dtype="string")
    frame.index = range(2, 2 + len(frame))  # index = line number in the file, the header being line 1
    return frame, problems


def read_study(folder: Path) -> RawStudy:
    """Read ``study.yml`` and every table of a study folder, collecting problems instead of stopping."""
    problems: list[Problem] = []
    digest = hashlib.sha256()
    meta: dict[str, Any] = {}
    yml = folder / "study.yml"
    if not yml.is_file():
        problems.append(Problem("study.yml", "The study description is missing.", expected=f"a file {yml}",
                                found="no such file", hint="Copy study.yml from the demonstration study and edit it."))
    else:
        data = yml.read_bytes()
        digest.update(b"study.yml\0" + data)
        try:
            loaded = yaml.safe_load(decode(data)[0])
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problems.append(Problem(
                "study.yml", f"The file is not valid YAML: {getattr(exc, 'problem', exc)}.",
                row=mark.line + 1 if mark else None, expected="valid YAML", found="a syntax error",
                hint="Check indentation (spaces, not tabs) and quote text that contains a colon."))
            loaded = {}
        if loaded is not None and not isinstance(loaded, dict):
            problems.append(Problem("study.yml", "The file must be a mapping of field names to values.",
                                    expected="`title: ...` style fields", found=type(loaded).__name__,
                                    hint="Start from the study.yml of the demonstration study."))
        else:
            meta = loaded or {}

    tables: dict[str, pd.DataFrame] = {}
    kind = meta.get("kind", "records")
    wanted, other = (AGGREGATE_TABLES, TABLES) if kind == "aggregate" else (TABLES, AGGREGATE_TABLES)
    # rule: kind_matches_files
    for table in other:
        if (folder / table.file).is_file():
            problems.append(Problem(table.file, f"This table does not belong to a study of kind {kind!r}.",
                                    expected="records: patients.csv, visits.csv, events.csv; aggregate: "
                                    "results.csv", found=f"{table.file} in the folder",
                                    hint="Set `kind:` in study.yml to the kind of data the folder holds, or "
                                    "remove the file."))
    for table in wanted:
        path = folder / table.file
        if not path.is_file():
            problems.append(Problem(table.file, "The table is missing.", expected=f"a file {table.file} in the "
                                    "study folder", found="no such file",
                                    hint=f"Every study of kind {kind!r} needs {table.file} ({table.grain})."))
            continue
        data = path.read_bytes()
        digest.update(table.file.encode() + b"\0" + data)
        frame, found = read_csv_text(table.file, data)
        problems += found
        if frame is not None:
            tables[table.file] = frame
    return RawStudy(folder.name, folder, meta, tables, digest.hexdigest()[:12], problems)


def read_yaml(path: Path, name: str) -> tuple[Any, list[Problem]]:
    """Read one YAML file as data; a syntax error becomes a Problem naming ``name`` and the line."""
    if not path.is_file():
        return None, [Problem(name, "The file is missing.", expected=f"a file {name}", found="no such file",
                              hint="See the Data format page.")]
    try:
        return yaml.safe_load(decode(path.read_bytes())[0]), []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(name, f"The file is not valid YAML: {getattr(exc, 'problem', exc)}.",
                              row=mark.line + 1 if mark else None, expected="valid YAML", found="a syntax error",
                              hint="Check indentation (spaces, not tabs) and quote text that contains a colon.")]


@dataclass
class RawShared:
    """The shared data every study draws on: the vocabulary sections and the medicines, as read."""

    vocab: dict[str, Any]  # section name -> mapping as read
    medicines: dict[str, Any]  # medicine name (file stem) -> mapping as read
    fingerprint: str
    problems: list[Problem] = field(default_factory=list)


def read_shared(data: Path, more_medicines: Path | None = None) -> RawShared:
    """Read data/vocab/*.yml and data/medicines/*.yml (and the medicine files in ``more_medicines``, a library
    of studies kept elsewhere, such as the test fixtures)."""
    problems: list[Problem] = []
    digest = hashlib.sha256()
    vocab: dict[str, Any] = {}
    for path in sorted((data / "vocab").glob("*.yml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        loaded, found = read_yaml(path, f"data/vocab/{path.name}")
        problems += found
        vocab[path.stem] = loaded
    medicines: dict[str, Any] = {}
    folders = [data / "medicines"] + ([more_medicines] if more_medicines and more_medicines.is_dir()
                                      and more_medicines.resolve() != (data / "medicines").resolve() else [])
    for path in sorted(p for folder in folders for p in folder.glob("*.yml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        loaded, found = read_yaml(path, f"data/medicines/{path.name}")
        problems += found
        medicines[path.stem] = loaded
    return RawShared(vocab, medicines, digest.hexdigest()[:12], problems)


def study_folders(studies: Path) -> list[Path]:
    """Study folders in id order; a folder counts when it holds a study.yml or any table."""
    if not studies.is_dir():
        return []
    return sorted(p for p in studies.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))


def load_redirects(path: Path) -> dict[str, str]:
    """``data/redirects.yml``: old site-relative URL -> new one, for pages that moved. Missing file: none."""
    if not path.is_file():
        return {}
    try:
        loaded = yaml.safe_load(decode(path.read_bytes())[0]) or {}
    except yaml.YAMLError as exc:
        raise BuildError(f"{path}: not valid YAML: {exc}") from None
    redirects = loaded.get("redirects") if isinstance(loaded, dict) else None
    if not isinstance(redirects, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in redirects.items()):
        raise BuildError(f"{path}: expected `redirects:` mapping old URL to new URL "
                         f"(e.g. families/old-id/: families/new-id/), found {redirects!r}.")
    return redirects
