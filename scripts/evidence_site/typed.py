"""A small typed-declaration reader: YAML data -> frozen dataclasses, every problem collected with its path.

A declaration is a dataclass whose fields carry documentation in ``field(metadata=doc("...", rules=...))``.
:func:`parse` checks types (str, int, float, bool, lists, mappings, ``Literal`` choices, optional values and
nested declarations), reports unknown keys with a "did you mean", and never raises on any shape of input:
everything wrong becomes a :class:`~evidence_site.errors.Problem` whose column is the dotted field path
(``outcomes.remission.thresholds.PUCAI``). :func:`describe` walks the same declarations for the Data format
page, so the documentation is generated from what is checked.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, get_args, get_origin

from .errors import Problem

MAX_LIST = 10_000  # a list longer than this in study.yml is a mistake, not data


def doc(text: str, *, rules: tuple[str, ...] = (), example: str = "") -> dict[str, Any]:
    """Field metadata: the meaning of a field, the rules checked beyond its type, and an example."""
    return {"doc": text, "rules": rules, "example": example}


def spec_field(text: str, *, default: Any = dataclasses.MISSING, rules: tuple[str, ...] = (),
               example: str = "") -> Any:
    """A documented dataclass field (required unless a default is given; lists and dicts copy their default)."""
    meta = doc(text, rules=rules, example=example)
    if isinstance(default, list | dict):
        value = default
        return field(default_factory=lambda: type(value)(value), metadata=meta)
    if default is dataclasses.MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


@dataclass
class Reader:
    """Collects problems while parsing one file."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # numbers and yes/no as the file writes them, by path

    def add(self, path: str, message: str, expected: str, found: Any, hint: str = "") -> None:
        """A problem at ``path``; a number or yes/no found there is quoted as the file writes it (45.50, not 45.5)."""
        written = self.texts.get(path) if isinstance(found, int | float) else None
        self.problems.append(Problem(self.file, message, column=path or None, expected=expected,
                                     found=_show(found, written), hint=hint))


def _show(value: Any, written: str | None = None) -> str:
    if isinstance(value, str) and value in ("nothing",):
        return value
    kind = {bool: "yes/no", int: "a whole number", float: "a decimal number"}.get(type(value))
    if written is not None and kind:
        text = f"{written} ({kind})"
    else:
        text = f"{type(value).__name__} {value!r}" if not isinstance(value, str) else repr(value)
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= 80 else text[:77] + "..."


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def type_name(tp: Any) -> str:
    """Plain words for a declared type, used in messages and on the Data format page."""
    origin, args = get_origin(tp), get_args(tp)
    if tp is str:
        return "text"
    if tp is bool:
        return "yes/no (true or false)"
    if tp is int:
        return "a whole number"
    if tp is float:
        return "a number"
    if origin is Literal:
        return "one of " + ", ".join(str(a) for a in args)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        return " or ".join(type_name(a) for a in inner)
    if origin is list:
        return f"a list of {type_name(args[0])}"
    if origin is dict:
        return f"a mapping of names to {type_name(args[1])}"
    if dataclasses.is_dataclass(tp):
        return f"a mapping ({tp.__name__})"
    return getattr(tp, "__name__", str(tp))


def parse(cls: type, data: Any, reader: Reader, path: str = "") -> Any:
    """Read ``data`` as an instance of the declaration ``cls``; None (and problems) when it cannot."""
    return _read(cls, data, reader, path)


def _read(tp: Any, value: Any, reader: Reader, path: str) -> Any:
    origin, args = get_origin(tp), get_args(tp)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        if value is None:
            return None
        return _read(inner[0], value, reader, path)
    if dataclasses.is_dataclass(tp):
        return _read_declaration(tp, value, reader, path)
    if origin is Literal:
        if isinstance(value, bool) or value not in args:
            reader.add(path, "The value is not one of the allowed choices.", type_name(tp), value,
                       closest(str(value), [str(a) for a in args]) or "Use exactly one of the listed values.")
            return None
        return value
    if origin is list:
        if not isinstance(value, list):
            reader.add(path, "The field should be a list.", type_name(tp), value,
                       "Write a list in brackets, e.g. [0, 8, 52], or one '- item' per line.")
            return None
        if len(value) > MAX_LIST:
            reader.add(path, "The list is far too long.", f"at most {MAX_LIST} entries", f"{len(value)} entries")
            return None
        items = [_read(args[0], item, reader, f"{path}[{i}]") for i, item in enumerate(value)]
        return items
    if origin is dict:
        if not isinstance(value, dict):
            reader.add(path, "The field should be a mapping.", type_name(tp), value,
                       "Write indented 'name: value' lines under the field name.")
            return None
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                reader.add(f"{path}.{key}", "A name in this mapping is not text.", "text", key,
                           "Write names as plain words, e.g. PUCAI.")
                continue
            out[key] = _read(args[1], item, reader, f"{path}.{key}")
        return out
    return _read_scalar(tp, value, reader, path)


def _read_scalar(tp: Any, value: Any, reader: Reader, path: str) -> Any:
    if tp is str:
        if isinstance(value, bool) or value is None or isinstance(value, list | dict):
            reader.add(path, "The field should be text.", "text", value,
                       "Write it as text; put it in double quotes if it contains a colon.")
            return None
        return str(value)
    if tp is bool:
        if not isinstance(value, bool):
            reader.add(path, "The field should be yes/no.", "true or false", value, "Write true or false.")
            return None
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            reader.add(path, "The field should be a whole number.", "a whole number", value,
                       "Write a whole number without quotes or units, e.g. 52.")
            return None
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            reader.add(path, "The field should be a number.", "a number", value,
                       "Write a number without quotes or units, e.g. 12.5.")
            return None
        return float(value)
    if tp is typing.Any:
        return value
    raise TypeError(f"unsupported declared type {tp!r}")  # a programming error in a declaration


def _read_declaration(cls: type, value: Any, reader: Reader, path: str) -> Any:
    if not isinstance(value, dict):
        reader.add(path, "The field should be a mapping of names to values." if path else
                   "The file should be a mapping of field names to values.", type_name(cls), value,
                   "Write indented 'name: value' lines." if path else "Start from the template study.yml.")
        return None
    hints = _hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in value:
        if key not in fields:
            reader.add(_join(path, str(key)), f"Unknown field {key!r}.", "one of " + ", ".join(fields), key,
                       closest(str(key), list(fields)) or "Remove the field, or see the Data format page.")
    kwargs: dict[str, Any] = {}
    ok = True
    for name, f in fields.items():
        where = _join(path, name)
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if name not in value:
            if required:
                reader.add(where, f"The field {name!r} is missing.", type_name(hints[name]) + ": "
                           + f.metadata.get("doc", ""), "nothing", "See the Data format page for every field.")
                ok = False
            continue
        if value[name] is None and not required:
            continue  # an empty optional field means "use the default"
        before = len(reader.problems)
        parsed = _read(hints[name], value[name], reader, where)
        if len(reader.problems) > before or (parsed is None and value[name] is not None):
            ok = False
            continue
        if required and hints[name] is str and not parsed.strip():  # a required text cannot be left blank
            reader.add(where, f"The field {name!r} is blank.", "text: " + f.metadata.get("doc", ""), value[name],
                       "Write the words; a blank title or label would show as an empty link or heading.")
        kwargs[name] = parsed
    return cls(**kwargs) if ok else None


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def nearest(word: str, options: list[str]) -> str | None:
    """The option closest to ``word`` as it must be written ('UC' for 'uc'), or None when nothing is close."""
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not match:  # compare in lower case, then name the option in its own case
        lower = {o.lower(): o for o in options}
        match = [lower[m] for m in difflib.get_close_matches(word.lower(), list(lower), n=1, cutoff=0.6)]
    return match[0] if match else None


def closest(word: str, options: list[str]) -> str:
    """"Did you mean 'X'?" with the option as it must be written ('UC' for 'uc'), or "" when nothing is close."""
    match = nearest(word, options)
    return f"Did you mean {match!r}?" if match else ""


@dataclass(frozen=True)
class FieldDoc:
    """One documented field, as the Data format page lists it."""

    path: str
    type: str
    required: bool
    default: str
    text: str
    rules: tuple[str, ...]


def describe(cls: type, path: str = "") -> Iterator[FieldDoc]:
    """Every field of a declaration, nested ones included, in declaration order."""
    hints = _hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        default = "" if required else _default_text(f)
        where = _join(path, f.name)
        yield FieldDoc(where, type_name(tp), required, default, f.metadata.get("doc", ""),
                       tuple(f.metadata.get("rules", ())))
        inner = _nested(tp)
        if inner is not None:
            suffix = {"list": "[]", "dict": ".<name>", "": ""}[inner[1]]
            yield from describe(inner[0], where + suffix)


def _default_text(f: dataclasses.Field) -> str:
    value = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[misc]
    if value in ([], {}, None, ""):
        return "none"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _nested(tp: Any) -> tuple[type, str] | None:
    origin, args = get_origin(tp), get_args(tp)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in args if a is not type(None)]
        return _nested(inner[0])
    if dataclasses.is_dataclass(tp):
        return tp, ""
    if origin is list and dataclasses.is_dataclass(args[0]):
        return args[0], "list"
    if origin is dict and dataclasses.is_dataclass(args[1]):
        return args[1], "dict"
    return None
