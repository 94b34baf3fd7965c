"""Read a study folder: the only module that reads study files.

Everything is read as text. Turning text into typed values is validation's
job, so that every problem can be reported with the cell it came from.

Reading is bounded and refuses what it cannot read safely, with one clear message each:

- **Files**: only regular files are read; a symbolic link, a folder or a device named like a data file is
  refused (never followed), and so is a file larger than :data:`MAX_CSV_BYTES` / :data:`MAX_YAML_BYTES`.
- **YAML** (:func:`load_yaml`, for ``study.yml`` and every YAML file under ``data/``): the safe loader, plus
  no duplicate keys at any level, nesting at most :data:`MAX_YAML_DEPTH` deep, and aliases that may not
  expand the document beyond :data:`MAX_YAML_NODES` values ("billion laughs" fails at once).
- **CSV** (:func:`read_csv_text`): a cell may hold at most :data:`MAX_CELL_CHARS` characters; a binary
  spreadsheet, UTF-16 text, or semicolon- or tab-separated export is named in one line with how to save the
  file correctly; duplicate and empty column names are reported as such, and a stray NUL byte in a cell with
  its row and column. Row numbers are those a spreadsheet shows (the header is row 1, and blank lines count);
  a column without a header is named by its spreadsheet letter (A, B, ... M).

Messages never quote file content other than the data file's own cells and header, and never print control
characters (``errors.Problem`` cleans every field it prints).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import hashlib
import io
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from .errors import SHOWN, BuildError, DataError, Problem, summarise
from .escape import safe_url
from .kept import kept
from .paths import GENERATED_FOLDERS
from .schema import AGGREGATE_TABLES, TABLES
from .typed import closest
from .urls import check_redirects, normalise, redirect_loops, unserved_targets

MAX_YAML_BYTES = 1_000_000  # study.yml of the demonstration study is about 20 KB
MAX_YAML_DEPTH = 40  # the deepest real structure is about 5 levels
MAX_YAML_NODES = 100_000  # values in the document with every alias expanded
MAX_CSV_BYTES = 200_000_000
MAX_CELL_CHARS = 100_000  # csv's own limit is 131,072; a longer cell is a missing closing quote or a paste
STUDY_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_STUDY_ID = 64


@dataclass
class RawStudy:
    """A study folder as read from disk, before validation."""

    id: str
    folder: Path
    meta: dict[str, Any]
    tables: dict[str, pd.DataFrame]  # file name -> all-text frame (missing files are absent)
    fingerprint: str
    problems: list[Problem] = field(default_factory=list)
    meta_text: dict[str, str] = field(default_factory=dict)  # study.yml's numbers and yes/no as written (yaml_texts)
    files: str = ""  # files_digest of the bytes read (the cache's key of the validated study, pipeline.read_one)


# --- files -------------------------------------------------------------------------------------------------------


class Unreadable(Exception):
    """A data file that must not be read: ``problem`` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_regular_file(path: Path, name: str, limit: int) -> bytes | None:
    """The bytes of ``path`` if it is a regular file (not a symlink, folder or device); None if it is absent.

    Raises :class:`Unreadable` for anything else. The link is never followed (O_NOFOLLOW) and the type is
    checked on the opened file itself, so a file swapped for a link between check and read is refused too.
    """
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise Unreadable(Problem(name, "The file cannot be read.", expected="a readable file",
                                 found=exc.strerror or "an error", hint="Check the file's permissions.")) from None
    kind = _kind(info.st_mode)
    if kind != "file":
        raise Unreadable(Problem(
            name, f"{name} is {kind}, not a file; it was not read.", expected=f"a plain file named {name}",
            found=kind, hint=f"Put the file itself in the study folder (a copy, not a link), named {name}."))
    if info.st_size > limit:
        raise Unreadable(Problem(name, "The file is too large to be a study file.",
                                 expected=f"at most {limit:,} bytes", found=f"{info.st_size:,} bytes",
                                 hint="Check that this is the right file."))
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise Unreadable(Problem(name, "The file cannot be read.", expected="a readable plain file",
                                 found=exc.strerror or "an error", hint="Check the file's permissions.")) from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise Unreadable(Problem(name, f"{name} is not a plain file; it was not read.",
                                     expected=f"a plain file named {name}", found="something else",
                                     hint="Put the file itself in the study folder."))
        data = f.read(limit + 1)
    if len(data) > limit:
        raise Unreadable(Problem(name, "The file is too large to be a study file.",
                                 expected=f"at most {limit:,} bytes", found=f"more than {limit:,} bytes",
                                 hint="Check that this is the right file."))
    return data


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "a special file (device, pipe or socket)"


def decode(data: bytes) -> tuple[str, str]:
    """Decode exported text: UTF-8 (with or without BOM), else Windows-1252 (what a spreadsheet program on Windows
    saves: Latin-1's letters plus dashes, curly quotes and the euro sign, which Latin-1 would read as invisible
    control characters, so "5–10" lost its dash), else Latin-1 (the five bytes Windows-1252 leaves undefined).
    Returns (text, encoding)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    for encoding in ("utf-8", "cp1252"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1"), "latin-1"


# --- YAML --------------------------------------------------------------------------------------------------------


class _Limit(yaml.YAMLError):
    def __init__(self, message: str, mark: Any = None) -> None:
        super().__init__(message)
        self.problem, self.problem_mark = message, mark


_EDITOR_BREAK = re.compile(r"\r\n|\r|\n")


def editor_line(text: str, mark: Any) -> int | None:
    """The 1-based line of a YAML mark as an editor numbers it, within the file's lines.

    PyYAML counts lines from 0, also breaks lines at NEL, U+2028 and U+2029 (an editor does not), and puts the
    end of the stream on the line after a final line break: here lines are counted as an editor shows them,
    and a mark past the last line names the last line.
    """
    if mark is None:
        return None
    index = min(getattr(mark, "index", len(text)), len(text))
    last = len(_EDITOR_BREAK.findall(text.rstrip("\r\n"))) + 1
    return min(len(_EDITOR_BREAK.findall(text, 0, index)) + 1, last)


class _Bounds:
    """A nesting limit and duplicate keys refused, for a loader built of PyYAML's parts (the alias expansion limit
    is checked on the composed document: ``_expanded_size``)."""

    text: str
    _depth: int = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _Limit(f"it is nested more than {MAX_YAML_DEPTH} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = self.construct_object(key_node)
                try:
                    if key in seen:
                        first, again = editor_line(self.text, seen[key]), editor_line(self.text, key_node.start_mark)
                        raise _Limit(f"the key {str(key)[:60]!r} appears twice in the same mapping (lines {first} "
                                     f"and {again})", key_node.start_mark)
                    seen[key] = key_node.start_mark
                except TypeError:
                    pass
        return super().construct_mapping(node, deep)


class _BoundedLoader(_Bounds, yaml.SafeLoader):
    """The safe loader, bounded; pure Python: its messages and marks are the ones problems quote."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.text = stream


# Where libyaml and PyYAML's pure-Python reader disagree (found by tests/test_yaml_reading.py): tabs (libyaml
# accepts some PyYAML refuses), tags ("!" alone is read as '' by one and None by the other) and the line breaks only
# PyYAML counts. A text holding one of these characters is read in Python only.
_NOT_FAST = re.compile("[\t\x85\u2028\u2029!]")

try:
    from yaml._yaml import CParser
except ImportError:  # PyYAML built without libyaml: every file is read by the pure-Python loader
    _FastLoader: type | None = None
else:
    class _FastLoader(_Bounds, Composer, CParser, SafeConstructor, Resolver):  # type: ignore[no-redef, misc]
        """The bounded loader reading libyaml's events (about 8 times faster); composing and constructing are the
        Python ones, so the limits and the values are the same. A document it cannot read is read again by
        ``_BoundedLoader``, whose messages are the ones shown."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            self.text = stream


def _expanded_size(root: Any) -> int:
    """How many values the document holds with every alias expanded, computed without expanding."""
    sizes: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[id(node)] = 1
            continue
        children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
        if done:
            sizes[id(node)] = min(1 + sum(sizes.get(id(c), 1) for c in children), 10 * MAX_YAML_NODES)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes.get(id(root), 0)


_OPENERS = {"quoted scalar": "a quoted text", "flow sequence": "a list in [ ]", "flow mapping": "a mapping in { }"}


# What YAML refuses to read at all: control characters other than tab and line breaks (a spreadsheet's line break
# in a cell, text pasted from a word processor), lone surrogates and U+FFFE/U+FFFF.
_NOT_YAML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def _unreadable_character(name: str, text: str) -> Problem | None:
    """The first character YAML cannot read, named with its line and column (PyYAML's own message names only
    a position in the file)."""
    m = _NOT_YAML.search(text)
    if m is None:
        return None
    line = text.count("\n", 0, m.start()) + 1
    column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
    return Problem(name, f"The file holds an invisible control character (U+{ord(m.group()):04X}) on line {line}, "
                   f"column {column}.", row=line, expected="text with no control characters",
                   found=f"U+{ord(m.group()):04X}", hint="Delete it and retype that spot (it often comes with text "
                   "copied from a spreadsheet cell or a word processor).")


def _syntax_problem(name: str, text: str, exc: yaml.YAMLError) -> Problem:
    """A YAML syntax error on the line an editor shows; a quote or bracket at fault names the line where it opens
    (one never closed runs to the end of the file, so that line is the one to look at)."""
    problem = getattr(exc, "problem", None) or "a syntax error"
    mark, context = getattr(exc, "problem_mark", None), getattr(exc, "context_mark", None)
    row = editor_line(text, mark)
    message = f"The file is not valid YAML: {problem}"
    opened = editor_line(text, context)
    what = next((words for key, words in _OPENERS.items() if key in str(getattr(exc, "context", ""))), None)
    if what and opened is not None and opened != row:
        if mark is None or getattr(mark, "index", 0) >= len(text.rstrip()):
            message += f" ({what} that opens on line {opened} is never closed)"
            row = opened
        else:
            message += f" ({what} that opens on line {opened}; the problem is on line {row})"
    if isinstance(exc, yaml.constructor.ConstructorError):  # a tag: !!python/object, !custom
        return Problem(name, message + ".", row=row, expected="plain values (text, numbers, lists, fields)",
                       found="a YAML tag (a word starting with ! or !!)",
                       hint="Remove the tag: a study file holds plain values only.")
    return Problem(name, message + ".", row=row, expected="valid YAML", found="a syntax error",
                   hint="Check indentation (spaces, not tabs), close every quote and bracket, and quote text "
                   "that contains a colon.")


_WRITTEN_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool")


def yaml_texts(root: Any) -> dict[str, str]:
    """The numbers and yes/no values of a composed YAML document as the file writes them, by field path
    (``n``, ``published[1].value``, typed.py's paths): a message's "found" quotes ``45.50``, not 45.5."""
    out: dict[str, str] = {}
    stack: list[tuple[Any, str]] = [(root, "")]
    seen = 0
    while stack and seen < MAX_YAML_NODES:
        node, path = stack.pop()
        seen += 1
        if isinstance(node, yaml.ScalarNode):
            if node.tag in _WRITTEN_TAGS and path:
                out[path] = node.value
        elif isinstance(node, yaml.MappingNode):
            stack.extend((v, f"{path}.{k.value}" if path else str(k.value)) for k, v in node.value
                         if isinstance(k, yaml.ScalarNode))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node.value))
    return out


def load_yaml(source: Path | bytes, name: str, texts: dict[str, str] | None = None) -> tuple[Any, list[Problem]]:
    """Read YAML safely and within bounds: ``(data, problems)``; data is None when there is a problem.

    ``source`` is a path (refused unless a regular file; a missing file gives ``(None, [])``) or the bytes.
    ``name`` is how messages name the file (``study.yml``, ``releases.yml``). ``texts``, when given, is filled
    with the document's numbers and yes/no values as written (:func:`yaml_texts`).
    """
    if isinstance(source, Path):
        try:
            data = read_regular_file(source, name, MAX_YAML_BYTES)
        except Unreadable as exc:
            return None, [exc.problem]
        if data is None:
            return None, []
    else:
        data = source
    loaded, problems, written = kept("yaml", (name, data), lambda: _parsed_yaml(data, name), _copied_yaml,
                                     len(data))
    if texts is not None:
        texts.update(written)
    return loaded, problems


def _copied_yaml(parsed: tuple[Any, list[Problem], dict[str, str]]) -> tuple[Any, list[Problem], dict[str, str]]:
    return copy.deepcopy(parsed[0]), list(parsed[1]), dict(parsed[2])


def _parsed_yaml(data: bytes, name: str) -> tuple[Any, list[Problem], dict[str, str]]:
    """``load_yaml`` of bytes: ``(data, problems, numbers and yes/no values as written)``."""
    written: dict[str, str] = {}
    loaded, problems = _parse_yaml(data, name, written)
    return loaded, problems, written


def _parse_yaml(data: bytes, name: str, texts: dict[str, str]) -> tuple[Any, list[Problem]]:
    if len(data) > MAX_YAML_BYTES:
        return None, [Problem(name, "The file is too large.", expected=f"at most {MAX_YAML_BYTES:,} bytes",
                              found=f"{len(data):,} bytes", hint="Check that this is the right file.")]
    if b"\0" in data:
        return None, [Problem(name, "The file is not text.", expected="YAML text (UTF-8)",
                              found="binary content (NUL bytes)", hint=f"Check that {name} is the right file.")]
    text = decode(data)[0]
    unreadable = _unreadable_character(name, text)
    if unreadable is not None:
        return None, [unreadable]
    if _FastLoader is not None and not _NOT_FAST.search(text):
        try:
            return _read_document(_FastLoader(text), name, texts)
        except (yaml.YAMLError, RecursionError):
            pass  # read again below, for the message
    try:
        return _read_document(_BoundedLoader(text), name, texts)
    except _Limit as exc:
        return None, [Problem(name, f"The file cannot be used: {exc.problem}.",
                              row=editor_line(text, exc.problem_mark),
                              expected="a study description of plain fields",
                              found=str(exc.problem), hint="Remove the repeated or deeply nested part.")]
    except yaml.YAMLError as exc:
        return None, [_syntax_problem(name, text, exc)]
    except RecursionError:
        return None, [Problem(name, "The file is nested too deeply.", expected=f"at most {MAX_YAML_DEPTH} levels",
                              found="deeper nesting", hint="Remove the deeply nested part.")]


def _read_document(loader: Any, name: str, texts: dict[str, str]) -> tuple[Any, list[Problem]]:
    """One document read by ``loader`` (disposed of after): ``(data, problems)``; raises what the loader raises."""
    try:
        node = loader.get_single_node()
        if node is not None and _expanded_size(node) > MAX_YAML_NODES:
            return None, [Problem(
                name, "The file's aliases (*name) expand into too many values.",
                expected=f"at most {MAX_YAML_NODES:,} values with aliases expanded", found="more than that",
                hint="Write the values out instead of repeating anchors (&name) and aliases (*name).")]
        loaded = loader.construct_document(node) if node is not None else None
        if node is not None:
            texts.update(yaml_texts(node))
    finally:
        loader.dispose()
    return loaded, []


# --- CSV ---------------------------------------------------------------------------------------------------------

EXPORT_HINT = ("In Excel: File > Save As > 'CSV UTF-8 (Comma delimited)'. In LibreOffice: File > Save As > "
               "'Text CSV', character set UTF-8, field delimiter ','.")


def sniff(name: str, data: bytes) -> Problem | None:
    """One problem naming what the file looks like, when it is not comma-separated UTF-8/Windows-1252 text."""
    looks = found = None
    if data.startswith(b"PK\x03\x04"):
        looks = "This looks like an Excel workbook; save it as CSV UTF-8."
        found = "an Excel workbook (.xlsx: a zip archive) renamed .csv"
    elif data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        looks = "This looks like an Excel workbook; save it as CSV UTF-8."
        found = "an old-format Excel workbook (.xls) renamed .csv"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or (len(data) > 3 and (data[1::2][:64].count(0) > 16
                                                                             or data[0::2][:64].count(0) > 16)):
        looks = "This looks like UTF-16 text (Excel's 'Unicode Text'), not UTF-8; save it as CSV UTF-8."
        found = "UTF-16 encoded text"
    elif data.startswith(b"%PDF"):
        looks, found = "This looks like a PDF document, not a CSV file.", "a PDF document"
    elif _binary(data[:4096]):
        looks, found = "This looks like a binary file, not CSV text.", "binary content (NUL bytes)"
    if looks:
        return Problem(name, looks, expected="comma-separated text in UTF-8", found=found, hint=EXPORT_HINT)
    return None


def _binary(sample: bytes) -> bool:
    """Whether ``sample`` (the start of a file) is binary rather than text holding a few stray NUL bytes in its
    cells (those are reported with their row and column: ``_nul_cells``)."""
    return sample.count(0) > 16


def spreadsheet_column(index: int) -> str:
    """The letters a spreadsheet heads column ``index`` (from 0) with: A, B, ... Z, AA, AB ..."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _column_name(header: list[str], index: int) -> str:
    """How a message names column ``index`` (from 0): its header, or the spreadsheet's letter when it has none."""
    name = header[index].strip() if index < len(header) else ""
    return name or f"{spreadsheet_column(index)} (no header)"


def _nul_cells(name: str, numbered: list[tuple[int, list[str]]]) -> list[Problem]:
    """A NUL character (byte 0) in a cell, which no text holds: one problem per cell, with its row and column."""
    header = numbered[0][1] if numbered else []
    return summarise([Problem(name, "A cell holds a NUL character (byte 0), which text never holds.", row=number,
                              column=_column_name(header, i), expected="text without NUL characters",
                              found=f"{cell.count(chr(0))} NUL character(s) in the cell",
                              hint="Clear the cell and type it again (the character comes from copying out of "
                                   "another program, or from a damaged export).")
                      for number, row in numbered for i, cell in enumerate(row) if "\0" in cell],
                     "cells with NUL characters")


def _delimiter(name: str, header_line: str) -> Problem | None:
    commas = header_line.count(",")
    for char, word, origin in ((";", "semicolons", "a spreadsheet set to a European language"),
                               ("\t", "tabs", "'Text (Tab delimited)' or a copy from a spreadsheet")):
        if header_line.count(char) > commas:
            return Problem(name, f"The file is separated by {word}, not commas (as saved by {origin}).",
                           expected="comma-separated columns", found=f"{header_line.count(char)} {word} and "
                                                                      f"{commas} commas in the header row",
                           hint=EXPORT_HINT)
    return None


def read_csv_text(name: str, data: bytes) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Parse CSV bytes into an all-text frame, reporting what cannot be read. The index is the spreadsheet row."""
    return kept("csv", (name, data), lambda: _read_csv_text(name, data), _copied_table, len(data))


def _copied_table(read: tuple[pd.DataFrame | None, list[Problem]]) -> tuple[pd.DataFrame | None, list[Problem]]:
    return (None if read[0] is None else read[0].copy()), list(read[1])


def _read_csv_text(name: str, data: bytes) -> tuple[pd.DataFrame | None, list[Problem]]:
    looks = sniff(name, data)
    if looks:
        return None, [looks]
    text, _ = decode(data)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, [Problem(name, "The file is empty.", expected="a header row and one row per record",
                              found="no text", hint="Export the table again, including the header row.")]
    numbered: list[tuple[int, list[str]]] = []
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # the cell's length is checked here, naming its row and column
    try:
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            long = next((i for i, cell in enumerate(row) if len(cell) > MAX_CELL_CHARS), None)
            if long is not None:
                return None, [Problem(
                    name, "A cell is far too long.", row=number,
                    column=_column_name(numbered[0][1] if numbered else [], long),
                    expected=f"cells of at most {MAX_CELL_CHARS:,} characters",
                    found=f"a cell of {len(row[long]):,} characters",
                    hint="Look for a quote mark (\") that is opened and never closed: everything after it is read "
                         "as one cell. Free text pasted into a cell belongs in the study's own records, not here.")]
            numbered.append((number, row))
    except csv.Error:
        return None, [Problem(
            name, "The file is not valid CSV.", row=len(numbered) + 1, expected="comma-separated values",
            found="text the CSV reader cannot split into cells",
            hint="Look for a quote mark (\") that is opened and never closed, or a stray character after a closing "
                 "quote.")]
    finally:
        csv.field_size_limit(limit)
    numbered = [(n, r) for n, r in numbered if any(cell.strip() for cell in r)]
    raw_header = numbered[0][1]
    problem = _delimiter(name, ",".join(raw_header) if len(raw_header) == 1 else "")
    if problem:
        return None, [problem]
    header = [h.strip() for h in raw_header]
    problems = _header_problems(name, header, numbered[1:]) + (_nul_cells(name, numbered) if "\0" in text else [])
    ragged = []
    for number, row in numbered[1:]:
        if len(row) != len(header):
            ragged.append(Problem(
                name, "The row has the wrong number of cells.", row=number, expected=f"{len(header):,} cells",
                found=f"{len(row):,} cells", hint="Look for a stray comma, or a decimal comma in an unquoted number."))
    problems += summarise(ragged, "rows with the wrong number of cells")
    for number, row in numbered[1:]:
        swallowed = next((c for c in row if "\n" in c and any(line.count(",") >= len(header) - 1
                                                                 for line in c.split("\n")[1:])), None)
        if swallowed is not None:
            problems.append(Problem(
                name, "A quote mark is opened and never closed: the lines after it were read as one cell.",
                row=number, expected="a closing quote mark (\") in the same cell",
                found=f"one cell spanning {swallowed.count(chr(10)) + 1} lines that look like rows",
                hint="Close the quote, or remove it; a quote mark inside a cell is written twice (\"\")."))
            break
    first_of = _first_columns(header)  # a repeated header is reported by _header_problems
    keep = [i for i, h in enumerate(header) if h and first_of[h] == i]
    body = [(n, [r[i] for i in keep]) for n, r in numbered[1:] if len(r) == len(header)]
    columns = [header[i] for i in keep]
    frame = pd.DataFrame([r for _, r in body], columns=columns, dtype="string") if body else pd.DataFrame(
        columns=columns, dtype="string")
    frame.index = [n for n, _ in body]  # index = the row number a spreadsheet shows, the header being row 1
    return frame, problems


def _header_problems(name: str, header: list[str], body: list[tuple[int, list[str]]]) -> list[Problem]:
    """Header cells with no name (at the end, or among the others) and names given twice; ``body``: the rows below
    (numbered), to tell empty unnamed columns at the end from ones that hold values."""
    problems = []
    trailing = len(header) - len(list(_rstrip_empty(header)))
    if trailing:
        start = len(header) - trailing
        filled = sum(any(cell.strip() for cell in row[start:]) for _, row in body)
        problems.append(Problem(
            name, "The header row ends with an empty column." if not filled else
            "The header row ends with columns that have no name, and rows have values in them.",
            column=f"{spreadsheet_column(start)} (an empty column after the last header)",
            expected="a name for every column",
            found=f"{trailing:,} unnamed column(s) at the end" + (f", with values in {filled:,} row(s)" if filled
                                                                  else ""),
            hint="Every line ends with an extra comma: delete the empty last column(s) in the spreadsheet "
                 "(select them, Delete Columns) and save again." if not filled else
                 "Name each column as on the Data format page, or delete the columns if the study does not use "
                 "them (select them, Delete Columns) and save again."))
    unnamed = [i for i, h in enumerate(header[: len(header) - trailing]) if not h]
    problems += summarise([Problem(name, f"Column {spreadsheet_column(i)} has no name.", column=_column_name(header, i),
                                   expected="a name for every column", found="an empty header cell",
                                   hint="Name the column as on the Data format page, or delete it.")
                           for i in unnamed[:SHOWN]], "columns with no name", total=len(unnamed))
    first = _first_columns(header)
    repeated = [(first[h], i) for i, h in enumerate(header) if h and first[h] != i]
    problems += summarise([Problem(
        name, f"The column {header[i]!r} appears more than once (columns {spreadsheet_column(j)} and "
              f"{spreadsheet_column(i)}).", column=header[i],
        expected="each column once", found=f"a second column headed {header[i]!r}",
        hint="Delete the copy, or rename it if it holds something else.") for j, i in repeated[:SHOWN]],
        "repeated columns", total=len(repeated))
    return problems


def _first_columns(header: list[str]) -> dict[str, int]:
    """Each header's first column (by position)."""
    first: dict[str, int] = {}
    for i, h in enumerate(header):
        first.setdefault(h, i)
    return first


def _rstrip_empty(header: list[str]) -> list[str]:
    out = list(header)
    while out and not out[-1]:
        out.pop()
    return out


# --- a study folder ----------------------------------------------------------------------------------------------


def check_study_id(study_id: str) -> Problem | None:
    """Study ids become URLs and folder names: lowercase letters, digits and single hyphens only."""
    if STUDY_ID.fullmatch(study_id) and len(study_id) <= MAX_STUDY_ID:
        return None
    return Problem("study folder", "The study folder's name cannot be used as a study id.", column="study id",
                   expected=f"a lowercase slug: letters a-z, digits and single hyphens, at most {MAX_STUDY_ID} "
                            "characters (e.g. my-study-2026)",
                   found=repr(study_id)[:100],
                   hint="Rename the folder under data/studies/; the name becomes part of every page address.")


# Every file reading a study folder may open (study.yml and the tables of either kind), in a fixed order.
STUDY_FILES = (("study.yml", MAX_YAML_BYTES), *((t.file, MAX_CSV_BYTES) for t in (*TABLES, *AGGREGATE_TABLES)))


def files_digest(contents: dict[str, bytes]) -> str:
    """A hash of a study folder's files (``STUDY_FILES``) by name and bytes, a file not in ``contents`` marked as
    absent: equal digests mean that reading the folder gives the same study."""
    digest = hashlib.sha256(b"study-files\0")
    for name, _ in STUDY_FILES:
        data = contents.get(name)
        digest.update(name.encode() + (b"\0absent\0" if data is None else b"\0%d\0" % len(data) + data))
    return digest.hexdigest()


def study_files_digest(folder: Path) -> str | None:
    """:func:`files_digest` of the folder's files as they are now, without parsing them: a build looks the
    validated study up in the cache with it (pipeline.read_one), and reads the folder only when it is not there.

    None when a file is one that :func:`read_study` refuses (a link, a folder, a file too large) or the folder's
    name is not a study id: then only reading it says what is wrong."""
    if check_study_id(folder.name) is not None or folder.is_symlink():
        return None
    contents = {}
    for name, limit in STUDY_FILES:
        try:
            data = read_regular_file(folder / name, name, limit)
        except Unreadable:
            return None
        if data is not None:
            contents[name] = data
    return files_digest(contents)


def read_study(folder: Path) -> RawStudy:
    """Read ``study.yml`` and every table of a study folder, collecting problems instead of stopping.

    The folder's name (the study id) is checked first; a bad id stops here, before any file is read.
    """
    bad_id = check_study_id(folder.name)
    if bad_id:
        raise DataError(folder.name, [bad_id])
    if folder.is_symlink():
        raise DataError(folder.name, [Problem("study folder", "The study folder is a symbolic link; it was not read.",
                                              column="study id", expected="a real folder under data/studies/",
                                              found="a symbolic link", hint="Copy the folder instead of linking it.")])
    problems: list[Problem] = []
    digest = hashlib.sha256()
    read: dict[str, bytes] = {}  # the bytes of each file read (``files_digest``)
    meta: dict[str, Any] = {}
    meta_text: dict[str, str] = {}
    yml = folder / "study.yml"
    try:
        data = read_regular_file(yml, "study.yml", MAX_YAML_BYTES)
    except Unreadable as exc:
        problems.append(exc.problem)
        data = b""
    else:
        if data is None:
            problems.append(Problem("study.yml", "The study description is missing.", expected=f"a file {yml}",
                                    found="no such file",
                                    hint="Copy study.yml from the demonstration study and edit it."))
    if data is not None:
        read["study.yml"] = data
    if data:
        digest.update(b"study.yml\0" + data)
        loaded, found = load_yaml(data, "study.yml", meta_text)
        problems += found
        if loaded is not None and not isinstance(loaded, dict):
            problems.append(Problem("study.yml", "The file must be a mapping of field names to values.",
                                    expected="`title: ...` style fields", found=type(loaded).__name__,
                                    hint="Start from the study.yml of the demonstration study."))
        elif loaded:
            meta = {str(k): v for k, v in loaded.items()}

    tables: dict[str, pd.DataFrame] = {}
    # Without a readable `kind:` (a YAML error above), the files present decide, so that a typo in study.yml
    # is never reported as "remove results.csv".
    inferred = "aggregate" if (folder / "results.csv").is_file() and not (folder / "patients.csv").is_file() \
        else "records"
    kind = meta.get("kind", inferred if not meta else "records")
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
        try:
            data = read_regular_file(path, table.file, MAX_CSV_BYTES)
        except Unreadable as exc:
            problems.append(exc.problem)
            continue
        if data is None:
            problems.append(Problem(table.file, "The table is missing.",
                                    expected=f"a file {table.file} in the study folder", found="no such file",
                                    hint=f"Every study of kind {kind!r} needs {table.file} ({table.grain})."))
            continue
        read[table.file] = data
        digest.update(table.file.encode() + b"\0" + data)
        frame, found = read_csv_text(table.file, data)
        problems += found
        if frame is not None:
            tables[table.file] = frame
    # A table of the other kind is only looked for (there, it is a problem: such a study is never cached).
    return RawStudy(folder.name, folder, meta, tables, digest.hexdigest()[:12], problems, meta_text,
                    files_digest(read))


def as_written(text: pd.DataFrame | None, row: Any, column: str) -> str:
    """A cell of an all-text frame as the file holds it (spaces around it dropped), for a message's "found":
    never the typed value (45.0 for a cell that says 45, or 45 for one that says 45.0)."""
    if text is None or column not in text.columns or row not in text.index:
        return ""
    cell = text.at[row, column]
    return "" if pd.isna(cell) else str(cell).strip()


def read_yaml(path: Path, name: str) -> tuple[Any, list[Problem]]:
    """Read one shared YAML file with the bounded loader (``load_yaml``); a missing file is a problem here."""
    data, problems = load_yaml(path, name)
    if data is None and not problems and not path.exists():
        problems = [Problem(name, "The file is missing.", expected=f"a file {name}", found="no such file",
                            hint="See the Data format page.")]
    return data, problems


@dataclass
class RawShared:
    """The shared data every study draws on: the vocabulary sections and the medicines, as read."""

    vocab: dict[str, Any]  # section name -> mapping as read
    medicines: dict[str, Any]  # medicine name (file stem) -> mapping as read
    fingerprint: str
    problems: list[Problem] = field(default_factory=list)


def shared_files(data: Path, more_medicines: Path | None = None) -> tuple[list[Path], list[Path]]:
    """The shared data files, in the order they are read: data/vocab/*.yml, then the medicine files of
    data/medicines/ and of ``more_medicines`` (a library of studies kept elsewhere)."""
    folders = [data / "medicines"] + ([more_medicines] if more_medicines and more_medicines.is_dir()
                                      and more_medicines.resolve() != (data / "medicines").resolve() else [])
    return sorted((data / "vocab").glob("*.yml")), sorted(p for folder in folders for p in folder.glob("*.yml"))


def shared_digest(data: Path, more_medicines: Path | None = None) -> str:
    """sha256 of the shared data files' names and bytes, in the order ``read_shared`` reads them (its
    fingerprint is the first 12 characters of this)."""
    digest = hashlib.sha256()
    for path in (p for group in shared_files(data, more_medicines) for p in group):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def read_shared(data: Path, more_medicines: Path | None = None) -> RawShared:
    """Read data/vocab/*.yml and data/medicines/*.yml (and the medicine files in ``more_medicines``, a library
    of studies kept elsewhere, such as the test fixtures)."""
    problems: list[Problem] = []
    digest = hashlib.sha256()
    vocab: dict[str, Any] = {}
    vocab_files, medicine_files = shared_files(data, more_medicines)
    for path in vocab_files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        loaded, found = read_yaml(path, f"data/vocab/{path.name}")
        problems += found
        vocab[path.stem] = loaded
    medicines: dict[str, Any] = {}
    for path in medicine_files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
        loaded, found = read_yaml(path, f"data/medicines/{path.name}")
        problems += found
        medicines[path.stem] = loaded
    return RawShared(vocab, medicines, digest.hexdigest()[:12], problems)


def study_folders(studies: Path) -> list[Path]:
    """Study folders in id order: every entry of ``studies`` except hidden ones and those starting with '_'.

    Plain files are ignored; anything else (a folder, a link) is returned so that its id is checked.
    """
    if not studies.is_dir():
        return []
    return sorted(p for p in studies.iterdir()
                  if not p.name.startswith((".", "_")) and (p.is_dir() or p.is_symlink()))


def skipped_folders(studies: Path) -> list[str]:
    """The names of the folders ``study_folders`` leaves out (a name starting with '.' or '_'), for a warning:
    a study hidden by its name must not vanish from the site without a word."""
    if not studies.is_dir():
        return []
    return sorted(p.name for p in studies.iterdir() if p.name.startswith((".", "_")) and p.is_dir())


def load_data_yaml(path: Path, name: str) -> Any:
    """A YAML file under ``data/`` (releases.yml, redirects.yml ...): its content, None when absent.

    Raises BuildError with the problem when it cannot be read.
    """
    loaded, problems = load_yaml(path, name)
    if problems:
        raise BuildError(f"data/{name}: {len(problems)} problem(s). Nothing was written.\n"
                         + "\n".join(map(str, problems)))
    return loaded


def load_redirects(path: Path) -> dict[str, str]:
    """``data/redirects.yml``: old site-relative URL -> new one, for pages that moved. Missing file: none.

    Each address is checked by ``urls.check_redirects`` before anything is written.
    """
    loaded = load_data_yaml(path, "redirects.yml")
    if loaded is None:
        return {}
    redirects = loaded.get("redirects") if isinstance(loaded, dict) else None
    if redirects is None and isinstance(loaded, dict) and "redirects" in loaded:
        redirects = {}
    if not isinstance(redirects, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in redirects.items()):
        raise BuildError("data/redirects.yml: 1 problem(s). Nothing was written.\n" + str(Problem(
            "redirects.yml", "The file must map old addresses to new ones under `redirects:`.", column="redirects",
            expected="redirects: {old/url/: new/url/}", found=type(redirects).__name__,
            hint="Write one `old/url/: new/url/` line per moved page, indented under `redirects:`.")))
    bad = [(old, *problem) for old, new in redirects.items() for problem in check_redirects({old: new})]
    lines = _entry_lines(path)
    if bad:
        raise BuildError(f"data/redirects.yml: {len(bad)} problem(s). Nothing was written.\n" + "\n".join(
            str(Problem("redirects.yml", f"The {side} address cannot be used: it is {why}.",
                        row=lines.get(normalise(old)), column=f"{side} address",
                        expected="a site-relative address such as families/old-id/ (letters, digits, - and /, no "
                                 "leading /)", found=repr(url)[:100],
                        hint="Map each old address to the new one, both relative to the site root, ending in /, as "
                             "the other entries of data/redirects.yml are written."))
            for old, side, url, why in bad))
    loops = [Problem("redirects.yml", "The address redirects to itself." if len(loop) == 1 else
                     "The redirects go round in a loop and never reach a page.",
                     row=lines.get(loop[0]), column=loop[0],
                     expected="a new address that is a page of the site, or leads to one",
                     found=" -> ".join([*loop, loop[0]])[:300],
                     hint="Point each old address at the page's current address (the one its pages are built at).")
             for loop in redirect_loops(redirects)]
    if loops:
        raise BuildError(f"data/redirects.yml: {len(loops)} problem(s). Nothing was written.\n"
                         + "\n".join(map(str, loops)))
    return redirects


TRUST_KEYS = ("written_by", "written_by_es", "reviewed_by", "next_review", "update_policy", "update_policy_es",
              "funding", "funding_es", "conflicts", "conflicts_es", "report_error")
# A letter or a digit that shows: a statement that says something (Hangul fillers count as letters but show
# nothing, and the braille blank is a symbol: neither says anything).
_WORDS = re.compile(r"[^\W_\u115f\u1160\u3164\uffa0]")


def check_trust(trust: Any, path: Path) -> dict[str, Any]:
    """data/site.yml ``trust``: the words at the foot of every study page, each text or left empty. Raise
    BuildError naming the line of every problem: a key the pages do not print (a misspelt one would drop a declared
    conflict without a word), a value that is not text, one that looks filled in but says nothing (" ", ".", an
    invisible character: the page would print "Reviewed by: ." instead of "not yet reviewed"), a statement in
    Spanish only, and a ``report_error`` that is neither empty, a mailto: address nor an https: address (every
    study page prints it as a link)."""
    if not isinstance(trust, dict):
        return {}
    problems: list[Problem] = []

    def add(key: str, message: str, expected: str, found: str, hint: str) -> None:
        problems.append(Problem("site.yml", message, row=_field_line(path, ("trust", key)), column=f"trust.{key}",
                                expected=expected, found=found[:100], hint=hint))

    said: dict[str, bool] = {}
    for key, value in trust.items():
        if key not in TRUST_KEYS:
            add(str(key), "The pages do not print this statement.", "one of " + ", ".join(TRUST_KEYS), repr(key),
                closest(str(key), list(TRUST_KEYS)) or "Remove it, or name it as the list above does.")
        elif value is not None and not isinstance(value, str | dt.date):
            add(key, "The statement is not text.", "words (in quotes if they could be read as yes/no or a list)",
                repr(value), "Write the statement as words, e.g. \"None declared\", or leave it empty.")
        elif isinstance(value, str) and value.strip() and not _WORDS.search(value):
            add(key, "The statement looks filled in but says nothing.", "words, or empty (the page then says it is "
                "not yet declared)", repr(value), "Write the statement, or leave it empty: \"\".")
        said[str(key)] = value is not None and (not isinstance(value, str) or bool(_WORDS.search(value)))
    for key in TRUST_KEYS:
        if key.endswith("_es") and said.get(key) and not said.get(key.removesuffix("_es")):
            # the Spanish pages would declare what the English ones say is not declared
            add(key, "A statement is given in Spanish only.", f"trust.{key.removesuffix('_es')} in English beside "
                "it", f"trust.{key.removesuffix('_es')} empty", "Families reading in English must be told the same "
                "(funding, conflicts of interest, who wrote it): write the English words too, or remove the Spanish.")
    address = trust.get("report_error")
    if not (address is None or (isinstance(address, str) and not address.strip())
            or (isinstance(address, str) and safe_url(address, mailto=True) is not None)):
        add("report_error", "The address for reporting an error is neither an e-mail address (mailto:) nor an https "
            "address.", "mailto:name@example.org, an address starting with https://, or empty", repr(address),
            "Every study page shows it as the place to report an error: write mailto: before an e-mail address, or "
            "copy the https address of the form from the browser's address bar.")
    if problems:
        raise BuildError(f"data/site.yml: {len(problems)} problem(s). Nothing was written.\n"
                         + "\n".join(str(problem) for problem in problems))
    return {key: value.strip() if isinstance(value, str) else value for key, value in trust.items()}  # " " is empty


MARKUP = re.compile(r"[<>]")  # in words the engine prints without escaping (a page's <title>)
ABOUT_PAGES_HINT = ("List hand-written pages of docs/ as `- title: <the menu's words>` and `page: <file>.md` "
                    "(docs-relative, e.g. clinic/contact.md); the generated folders and index.md are not hand-written.")


def check_about_pages(pages: Any, path: Path) -> list[tuple[str, str]]:
    """data/site.yml ``about_pages``: hand-written pages of docs/ listed in the menu's "About this site" section,
    after the generator's own pages, as ``(title, docs-relative path)``; raise BuildError naming the line of each
    entry that is not a title and a Markdown file of docs/ outside the generated folders. Whether each file is
    there is checked when the site is built (outputs.write_output)."""
    from .write import is_generated

    if pages is None:
        return []
    if not isinstance(pages, list):
        problem = Problem("site.yml", "`about_pages` is not a list of pages.", row=_field_line(path, ("about_pages",)),
                          column="about_pages", expected="a list of entries with `title` and `page`",
                          found=type(pages).__name__, hint=ABOUT_PAGES_HINT)
        raise BuildError(f"data/site.yml: 1 problem(s). Nothing was written.\n{problem}")
    out: list[tuple[str, str]] = []
    first: dict[str, int] = {}  # each page listed, to the index of its entry
    problems = []
    for i, item in enumerate(pages):
        title = item.get("title") if isinstance(item, dict) else None
        page = item.get("page") if isinstance(item, dict) else None
        parts = page.split("/") if isinstance(page, str) else []
        unknown = sorted(map(str, set(item) - {"title", "page"})) if isinstance(item, dict) else []
        expected = "`title:` (text) and `page:` (a .md file of docs/)"
        if not isinstance(item, dict):
            problem = "The entry is not a `title:` and a `page:`."
        elif unknown:
            problem = f"The entry has a field the menu does not know: {', '.join(unknown)}."
        elif title is None or (isinstance(title, str) and not title.strip()):
            problem = "The entry has no title (the words the menu shows)."
        elif not isinstance(title, str):
            problem = f"The entry's title is not text (found a {type(title).__name__}); put it in quotes."
        elif MARKUP.search(title):
            problem = "The title has < or >: the browser's tab would read them as HTML."
            expected = "a title in plain words, without < or >"
        elif page is None:
            problem = "The entry has no page (`page:`, the file under docs/)."
        elif not isinstance(page, str) or not page.endswith(".md") or "\\" in page or any(
                not part or part.startswith(".") for part in parts):
            problem = "The entry's page is not a Markdown file's docs-relative path."
        elif is_generated(page):
            problem = "The entry's page is where the generator writes its own pages."
            expected = f"a page outside {GENERATED_FOLDERS}, and not index.md"
        elif page == "privacy.md":
            problem = "privacy.md is in the menu always; it need not be listed."
            expected = "only your own pages"
        elif page in first:
            problem = f"The page is listed twice (also in about_pages[{first[page]}])."
            expected = "each page once"
        else:
            out.append((" ".join(title.split()), page))
            first[page] = i
            continue
        problems.append(Problem("site.yml", problem, row=_field_line(path, ("about_pages", i)),
                                column=f"about_pages[{i}]",
                                expected=expected, found=repr(item)[:100], hint=ABOUT_PAGES_HINT))
    if problems:
        raise BuildError(f"data/site.yml: {len(problems)} problem(s). Nothing was written.\n"
                         + "\n".join(str(p) for p in problems))
    return out


def _field_line(path: Path, keys: tuple[str | int, ...]) -> int | None:
    """The line (from 1) of the value at ``keys`` (mapping keys; an int indexes a list) in the YAML file ``path``,
    for messages; None if not found."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeError, yaml.YAMLError):
        return None
    for key in keys:
        if isinstance(key, int):
            node = node.value[key] if isinstance(node, yaml.SequenceNode) and key < len(node.value) else None
        elif isinstance(node, yaml.MappingNode):
            node = next((value for k, value in node.value if getattr(k, "value", None) == key), None)
        else:
            return None
    return node.start_mark.line + 1 if node is not None else None


def check_redirect_targets(path: Path, redirects: dict[str, str], pages: set[str]) -> None:
    """Each redirect of ``path`` (data/redirects.yml) leads to a page of the site (``urls.site_pages``), directly
    or through other redirects; raise BuildError naming the line and entry of each one that does not."""
    missing = unserved_targets(redirects, pages)
    if not missing:
        return
    lines = _entry_lines(path)
    raise BuildError(f"data/redirects.yml: {len(missing)} problem(s). Nothing was written.\n" + "\n".join(
        str(Problem("redirects.yml", "The new address is not a page of the site.", row=lines.get(normalise(old)),
                    column=old, expected="the address of a page this build makes, e.g. families/<study-id>/",
                    found=repr(new)[:100],
                    hint="Check the new address against the built site (a study's id is its folder name); a "
                         "redirect to a missing page leaves printed handouts with a dead link."))
        for old, new in missing))


def _entry_lines(path: Path) -> dict[str, int]:
    """Line numbers (from 1) of the entries under ``redirects:`` in ``path``, by old address (``normalise``d),
    for messages."""
    try:
        node = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, UnicodeError, yaml.YAMLError):
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    entries = next((value.value for key, value in node.value
                    if getattr(key, "value", None) == "redirects" and isinstance(value, yaml.MappingNode)), [])
    return {normalise(str(key.value)): key.start_mark.line + 1 for key, _ in entries
            if isinstance(key, yaml.ScalarNode)}
