"""The site engines: MkDocs (the default) and Zensical, run on the same staged folder.

The generator writes a complete configuration into the staging folder (``mkdocs.yml``: the project's
mkdocs.yml with absolute paths, the generated navigation and the footer's values in ``extra``), so the
engine gets nothing through a Python API and either engine can build the same folder from the command line:

    mkdocs build --strict -f build/stage-*/mkdocs.yml
    zensical build --strict -f build/stage-*/mkdocs.yml

Zensical lives in its own virtual environment (``.venv-zensical``, pinned in
``scripts/requirements-zensical.lock``), because it pins its own versions of Markdown and friends.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from .errors import BuildError
from .paths import ROOT

ENGINES = ("mkdocs", "zensical")
DEFAULT_ENGINE = "mkdocs"
ZENSICAL_VENV = ROOT / ".venv-zensical"
STAGED_CONFIG = "mkdocs.yml"
# Above this many studies, an audience's menu lists only its library index page (which lists every study)
# instead of one section per study: with Material's navigation.prune, each page then stays the size it has
# at one study, instead of carrying every study's title (97 KB instead of 42 KB a page at 50 studies).
# Each study's section costs every page about 520 bytes (both audiences) and a row of the index of studies
# another 320, so page growth against one study peaks at this many studies (1.46x at 10, the index of studies;
# 1.31x at 7) and falls back above it (1.10x at 50; issue 16 asks at most 1.3x at 50). Kept at 10: a lower cap
# would flip the menu of the bundled seven-study library to the index-only form at its next study.
NAV_STUDIES_MAX = 10
# Markup that an engine writes outside every block a theme override can reach, corrected in its output (exact
# strings; checked by the browser gates on each engine's output). Zensical 0.0.73's base.html hides the
# drawer's overlay label from assistive technology although it is bound to a control (Nu Html Checker:
# aria-hidden must not be used on a label associated with a labelable element); Material writes it plain.
MARKUP_FIXES: dict[str, tuple[tuple[str, str], ...]] = {
    "zensical": (('<label class="md-overlay" for="__drawer" aria-hidden="true"></label>',
                  '<label class="md-overlay" for="__drawer"></label>'),),
}


# Elements whose text keeps its whitespace (shown as written, or code): their lines keep their indentation.
_KEEP_WHITESPACE = re.compile(r"<(pre|code|textarea|script|style)\b.*?</\1\s*>", re.S | re.I)
# A line break and the indentation (and blank lines) after it, outside those elements.
_INDENT = re.compile(r"\n[ \t\r\n]*")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml's parser where installed: same values, faster
    """Reads mkdocs.yml keeping ``!ENV`` and ``!!python/name`` tags as they are (they are written back)."""


class _Tagged(str):
    def __new__(cls, tag: str, value: Any) -> _Tagged:
        obj = super().__new__(cls, str(value))
        obj.tag, obj.value = tag, value
        return obj


def _keep_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> _Tagged:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node)
    else:
        value = loader.construct_mapping(node)
    return _Tagged(suffix, value)


_Loader.add_multi_constructor("!", _keep_tag)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: _keep_tag(
    loader, "tag:yaml.org,2002:python/" + suffix, node))


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml's emitter where installed: same YAML, faster
    pass


def _represent_tagged(dumper: yaml.SafeDumper, data: _Tagged) -> yaml.Node:
    if isinstance(data.value, list):
        return dumper.represent_sequence(data.tag, data.value)
    if isinstance(data.value, dict):
        return dumper.represent_mapping(data.tag, data.value)
    return dumper.represent_scalar(data.tag, data.value)


_Dumper.add_representer(_Tagged, _represent_tagged)


def staged_config(config_file: Path, where: Path, docs_dir: Path, site_dir: Path, nav: list[Any],
                  extra: dict[str, Any] | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The project's mkdocs.yml made complete for a build of ``docs_dir`` into ``site_dir``, written to ``where``.

    ``docs_dir`` and ``site_dir`` are made relative to ``where`` (Zensical 0.0.73 fails on absolute ones);
    the theme's ``custom_dir`` and any ``hooks`` become absolute; ``overrides`` replace top-level keys (a
    translated site's ``site_name``), its ``theme`` merged into the theme (``language``). ``extra.nav_width``
    (the longest list in the navigation) bounds the loops of the theme override that names nested navigation landmarks.
    """
    config = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_Loader) or {}
    for key, value in (overrides or {}).items():
        config[key] = {**(config.get(key) or {}), **value} if key == "theme" else value
    base = config_file.resolve().parent
    config["docs_dir"] = os.path.relpath(docs_dir.resolve(), where.resolve())
    config["site_dir"] = os.path.relpath(site_dir.resolve(), where.resolve())
    theme = config.get("theme")
    if isinstance(theme, dict) and theme.get("custom_dir"):
        theme["custom_dir"] = str((base / theme["custom_dir"]).resolve())
    if config.get("hooks"):
        config["hooks"] = [str((base / h).resolve()) for h in config["hooks"]]
    nav = compact_nav(nav)
    config["nav"] = nav
    config["extra"] = {**(config.get("extra") or {}), **(extra or {}), "nav_width": nav_width(nav)}
    return config


def compact_nav(nav: list[Any], most: int = NAV_STUDIES_MAX) -> list[Any]:
    """The navigation with each section that holds more than ``most`` sub-sections (one per study) cut down
    to its plain pages (the audience's library index). The study pages are still built and linked from the
    index; MkDocs reports them at INFO level as not in the navigation."""
    out: list[Any] = []
    for item in nav:
        if isinstance(item, dict) and len(item) == 1:
            (title, children), = item.items()
            if isinstance(children, list) and sum(isinstance(c, dict) for c in children) > most:
                item = {title: [c for c in children if not isinstance(c, dict)]}
        out.append(item)
    return out


def nav_width(nav: Any) -> int:
    """The length of the longest list anywhere in a MkDocs navigation."""
    if isinstance(nav, list):
        return max([len(nav), *(nav_width(item) for item in nav)])
    if isinstance(nav, dict):
        return max([0, *(nav_width(v) for v in nav.values())])
    return 0


def write_config(config: dict[str, Any], path: Path) -> Path:
    path.write_text("# Written by the evidence-site generator for one build (see engines.py).\n"
                    + yaml.dump(config, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120),
                    encoding="utf-8")
    return path


def engine_command(engine: str, config: Path) -> list[str]:
    """The command line that builds ``config`` with ``engine`` in strict mode."""
    if engine == "mkdocs":
        return [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config)]
    if engine == "zensical":
        return [zensical_executable(), "build", "--strict", "--clean", "-f", str(config)]
    raise BuildError(f"Unknown engine {engine!r}; choose one of {', '.join(ENGINES)}.")


def zensical_executable() -> str:
    """``$ZENSICAL``, else .venv-zensical/bin/zensical, else ``zensical`` on PATH."""
    for candidate in (os.environ.get("ZENSICAL"), ZENSICAL_VENV / "bin" / "zensical", shutil.which("zensical")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    raise BuildError("Zensical is not installed. Run `make zensical` (it installs scripts/requirements-zensical.lock "
                     "into .venv-zensical), or set $ZENSICAL to its executable.")


def run_engine(engine: str, config: Path, site_dir: Path) -> float:
    """Build with ``engine`` as a separate process; raise BuildError on any warning. Returns the seconds taken."""
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1", "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    result = subprocess.run(engine_command(engine, config), capture_output=True, text=True, env=env,
                            cwd=config.parent)
    seconds = time.perf_counter() - started
    output = (result.stdout + result.stderr).strip()
    problems = [line for line in output.splitlines()
                if line.lstrip().lower().startswith(("warning", "error")) or "Aborted" in line]
    if problems and all("Aborted" in line for line in problems):  # the reason is in the lines before it
        problems = output.splitlines()[-25:]
    if engine == "zensical" and result.returncode == 0 and not (site_dir / "index.html").is_file():
        problems.append("Zensical finished but wrote no index.html")
    if result.returncode != 0 or problems:
        detail = "\n".join(f"  {engine}: {line}" for line in (problems or output.splitlines()[-15:]))
        raise BuildError(f"{engine} build --strict failed:\n{detail}\nNothing was changed in docs/ or site/.")
    fix_markup(engine, site_dir)
    return seconds


def fix_markup(engine: str, site_dir: Path) -> None:
    """Apply ``MARKUP_FIXES[engine]`` to every HTML page the engine wrote, and drop the indentation of its
    lines (:func:`compact_html`)."""
    fixes = MARKUP_FIXES.get(engine, ())
    for page in site_dir.rglob("*.html"):
        text = original = page.read_text(encoding="utf-8")
        for old, new in fixes:
            text = text.replace(old, new)
        text = compact_html(text)
        if text != original:
            page.write_text(text, encoding="utf-8")


def compact_html(html: str) -> str:
    """``html`` without the indentation and blank lines between its tags, which the engines' templates write
    (about a fifth of a page): a line break stays, so what a browser shows is unchanged (the break alone is
    the white space between two words or inline elements), and ``pre``, ``code``, ``textarea``, ``script`` and
    ``style`` elements are kept byte for byte."""
    out: list[str] = []
    last = 0
    for kept in _KEEP_WHITESPACE.finditer(html):
        out += [_INDENT.sub("\n", html[last:kept.start()]), kept.group(0)]
        last = kept.end()
    out.append(_INDENT.sub("\n", html[last:]))
    return "".join(out)
