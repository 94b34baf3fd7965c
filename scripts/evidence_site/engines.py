"""The site engines: MkDocs (the default) and Zensical, run on the same staged folder.

The generator writes a complete configuration into the staging folder (``mkdocs.yml``: the project's
mkdocs.yml with absolute paths, the generated navigation and the library's footer values in ``extra``), so the
engine gets nothing through a Python API and either engine can build the same folder from the command line:

    mkdocs build --strict -f build/stage-*/mkdocs.yml
    zensical build --strict -f build/stage-*/mkdocs.yml

Zensical lives in its own virtual environment (``.venv-zensical``, pinned in
``scripts/requirements-zensical.lock``), because it pins its own versions of Markdown and friends.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .cache import metadata_names
from .errors import BuildError
from .paths import ROOT

ENGINES = ("mkdocs", "zensical")
DEFAULT_ENGINE = "mkdocs"
ZENSICAL_VENV = ROOT / ".venv-zensical"
STAGED_CONFIG = "mkdocs.yml"
PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # the folder holding this package (scripts/)
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


def staged_config(config_file: Path, where: Path, docs_dir: Path, site_dir: Path, nav: list[Any],
                  extra: dict[str, Any] | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The project's mkdocs.yml made complete for a build of ``docs_dir`` into ``site_dir``, written to ``where``.

    ``docs_dir`` and ``site_dir`` are made relative to ``where`` (Zensical 0.0.73 fails on absolute ones);
    the theme's ``custom_dir`` and any ``hooks`` become absolute; ``overrides`` replace top-level keys (a
    translated site's ``site_name``), its ``theme`` merged into the theme (``language``). ``extra.nav_width``
    (the longest list in the navigation) bounds the loops of the theme override that names nested navigation landmarks.
    """
    from .staged_yaml import load_config

    config = load_config(config_file.read_text(encoding="utf-8"))
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
    from .staged_yaml import dump_config

    path.write_text("# Written by the evidence-site generator for one build (see engines.py).\n" + dump_config(config),
                    encoding="utf-8")
    return path


def write_staged_config(config_file: Path, docs_dir: Path, site_dir: Path, nav: list[Any], extra: dict[str, Any],
                        overrides: dict[str, Any] | None, path: Path, cache: Path | None = None) -> Path:
    """``write_config(staged_config(...), path)``, with ``path``'s folder as the staging folder. The text is
    kept in ``cache`` (``engine-config/``), keyed by a hash of everything it is made from (the project's config,
    its folder, the paths, the navigation, ``extra``, ``overrides`` and this module's code), so a build with
    nothing to do reuses it without importing or running the YAML parser and emitter. The kept file's name also
    carries a hash of its text, checked before it is used: a truncated or emptied file is written again."""
    where = path.parent
    code = Path(__file__).read_bytes() + Path(__file__).with_name("staged_yaml.py").read_bytes()
    parts = [code, str(config_file.resolve()).encode(), config_file.read_bytes(),
             json.dumps([os.path.relpath(docs_dir.resolve(), where.resolve()),
                         os.path.relpath(site_dir.resolve(), where.resolve()), nav, extra, overrides],
                        default=repr).encode()]
    key = hashlib.sha256(b"\0".join(parts)).hexdigest()[:24]
    folder = cache / "engine-config" if cache is not None else None
    if folder is not None:
        for kept in folder.glob(f"{path.stem}-{key}-*.yml"):
            with contextlib.suppress(OSError):
                text = kept.read_bytes()
                if kept.stem.rsplit("-", 1)[1] == _text_hash(text):
                    path.write_bytes(text)
                    return path
    write_config(staged_config(config_file, where, docs_dir, site_dir, nav, extra, overrides), path)
    if folder is not None:
        with contextlib.suppress(OSError):  # a read-only build folder costs speed, never correctness
            folder.mkdir(parents=True, exist_ok=True)
            for old in folder.glob(f"{path.stem}-*.yml"):
                old.unlink()
            text = path.read_bytes()
            kept = folder / f"{path.stem}-{key}-{_text_hash(text)}.yml"
            tmp = kept.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(text)
            tmp.replace(kept)
    return path


def _text_hash(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()[:16]


def engine_command(engine: str, config: Path, memo: Path | None = None, finish: bool = False,
                   previous: Path | None = None) -> list[str]:
    """The command line that builds ``config`` with ``engine`` in strict mode. MkDocs with a ``memo`` file: the
    same build, reusing what the last build of that site converted (mkdocs_run.py); with ``finish``, its markup
    fixed and its theme pruned before anything is written, files linked to ``previous`` (the last build's site)
    where they are the same."""
    if engine == "mkdocs" and memo is not None:
        return [sys.executable, "-m", "evidence_site.mkdocs_run", "--memo", str(memo), "-f", str(config),
                *(["--finish"] if finish else []), *(["--previous", str(previous)] if finish and previous else [])]
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


def engine_packages(engine: str) -> str:
    """The packages installed where ``engine`` runs, as their metadata folders name them (name and version; sorted,
    one a line): an upgraded theme, engine or Markdown extension can change the site built from the same pages.
    Zensical's are those of the environment its executable is in (with the executable's size and time, for one
    installed some other way)."""
    if engine == "zensical":
        executable = Path(zensical_executable()).resolve()
        info = executable.stat()
        roots = [*(executable.parent.parent / "lib").glob("python*/site-packages")]
        head = [f"{executable} {info.st_size} {info.st_mtime_ns}"]
    else:
        roots, head = [Path(entry) for entry in sys.path if entry], [sys.executable]
    names = {name for root in roots for name in metadata_names(root)}
    return "\n".join([*head, *sorted(names)])


def run_engine(engine: str, config: Path, site_dir: Path, memo: Path | None = None,
               previous: Path | None = None) -> float:
    """Build with ``engine`` as a separate process; raise BuildError on any warning. Returns the seconds taken.
    ``memo``: MkDocs' memo file for this site (``engine_command``), which then also fixes the markup and prunes
    the theme before writing, and links what is unchanged from ``previous`` (the last build's site)."""
    finished = engine == "mkdocs" and memo is not None
    env = os.environ | {"NO_MKDOCS_2_WARNING": "1", "PYTHONUNBUFFERED": "1"}
    if engine == "mkdocs" and memo is not None:  # the engine process runs this package, from where this one is
        env["PYTHONPATH"] = os.pathsep.join([str(PACKAGE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])
    started = time.perf_counter()
    result = subprocess.run(engine_command(engine, config, memo, finished, previous), capture_output=True, text=True,
                            env=env,
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
    if not finished:
        fix_markup(engine, site_dir)
        prune_theme(site_dir)
    return seconds


# The search's languages, from the head of the search index the engine wrote (Material: {"config":{"lang":[...]).
_SEARCH_LANG = re.compile(rb'^\{"config":\{"lang":\[((?:"[a-z-]+",?)*)\]')
_MAP_LINK = re.compile(r"\n?//# sourceMappingURL=[^\n]*\s*$")


def search_languages(head: bytes) -> set[str] | None:
    """The languages of a site's search, from the first bytes of its ``search/search_index.json``
    (``config.lang``), or None if the engine wrote no index of that form."""
    found = _SEARCH_LANG.match(head[:400])
    return set(re.findall(r'"([a-z-]+)"', found.group(1).decode())) if found else None


def prune_theme(site_dir: Path) -> None:
    """Remove the theme files that no page of the built site loads (:func:`theme_pruned`), in ``site_dir``."""
    from .placing import replace_bytes

    assets = site_dir / "assets"
    present = [p.relative_to(site_dir).as_posix() for p in assets.glob("**/*") if p.is_file()]
    index = site_dir / "search" / "search_index.json"
    present += ["search/search_index.json"] if index.is_file() else []
    removed, rewritten = theme_pruned(present, lambda relative: (site_dir / relative).read_bytes())
    for relative, text in rewritten.items():
        replace_bytes(site_dir / relative, text.encode("utf-8"))
    for relative in removed:
        (site_dir / relative).unlink()


def theme_pruned(present: Iterable[str], read: Callable[[str], bytes]) -> tuple[set[str], dict[str, str]]:
    """What to remove from a built site of the files ``present`` (site-relative paths; ``read`` gives a file's
    bytes), and the scripts to write again (path -> text): the theme files that no page loads. These are source
    maps (read only by a browser's developer tools; the line naming each map goes from its script too) and the
    search's support for languages it does not use. Material's search worker loads
    ``lunr/min/lunr.<lang>.min.js`` for each language of the index other than English, with
    ``lunr.stemmer.support`` and ``lunr.multi``, plus ``tinyseg.js`` (Japanese) or ``wordcut.js`` (Hindi, Thai);
    the rest (about 0.9 MB, and 1.2 MB of maps) is never requested. A site whose index names no languages keeps
    every language file."""
    files = set(present)
    removed: set[str] = set()
    rewritten: dict[str, str] = {}
    for source_map in sorted(f for f in files if f.startswith("assets/") and f.endswith(".map")):
        script = source_map[:-len(".map")]
        if script.endswith(".js") and script in files:
            text = page_text(read(script))
            if _MAP_LINK.search(text):
                rewritten[script] = _MAP_LINK.sub("\n", text).rstrip("\n") + "\n"
        removed.add(source_map)
    index = "search/search_index.json"
    languages = search_languages(read(index)) if index in files else None
    lunr = "assets/javascripts/lunr/"
    if not languages:
        return removed, rewritten
    keep = {f"lunr.{lang}.min.js" for lang in languages} | {"lunr.stemmer.support.min.js", "lunr.multi.min.js"}
    keep |= {"tinyseg.js"} if "ja" in languages else set()
    keep |= {"wordcut.js"} if languages & {"hi", "th"} else set()
    for path in files:
        inside = path[len(lunr):] if path.startswith(lunr) else ""
        if inside.endswith(".js") and inside.removeprefix("min/").count("/") == 0 \
                and inside.rsplit("/", 1)[-1] not in keep:
            removed.add(path)
    rewritten = {k: v for k, v in rewritten.items() if k not in removed}
    return removed, rewritten


def fix_markup(engine: str, site_dir: Path) -> None:
    """Apply :func:`markup_fixed` to every HTML page the engine wrote in ``site_dir``."""
    from .placing import replace_bytes

    pages = {page.relative_to(site_dir).as_posix(): page.read_text(encoding="utf-8")
             for page in site_dir.rglob("*.html")}
    for relative, text in markup_fixed(engine, pages).items():
        (site_dir / relative).parent.mkdir(parents=True, exist_ok=True)
        replace_bytes(site_dir / relative, text.encode("utf-8"))


def markup_fixed(engine: str, pages: dict[str, str]) -> dict[str, str]:
    """The files to write (site-relative path -> text) after applying ``MARKUP_FIXES[engine]`` to the HTML
    ``pages`` an engine wrote (site-relative path -> text), dropping the indentation of their lines
    (:func:`compact_html`), drawing the theme's icons from one file per site (icons.py) and loading the inline
    scripts that pages repeat from one file each (shared_scripts.py): each page whose text changes, and the files
    of the icons and shared scripts. The last two only for MkDocs' pages, where they are checked pixel for pixel:
    on Zensical's, the extra requests put a family page over its first-visit budget."""
    from . import icons, shared_scripts

    share = engine == "mkdocs"
    fixes = MARKUP_FIXES.get(engine, ())
    fixed: dict[str, str] = {}
    drawings: dict[str, str] = {}
    counts: dict[str, int] = {}
    for relative, text in pages.items():
        for old, new in fixes:
            text = text.replace(old, new)
        text = compact_html(text)
        if share:
            drawings |= icons.drawings_in(text)
            shared_scripts.script_counts(text, counts)
        fixed[relative] = text
    sprite = icons.sprite_name(drawings)
    written = {sprite: icons.sprite(drawings)} if drawings else {}
    scripts = shared_scripts.shared_files(counts)
    written |= {path: text for text, path in scripts.items()}
    for relative, text in fixed.items():
        text = icons.with_shared_icons(text, sprite) if drawings else text
        text = shared_scripts.with_shared_scripts(text, scripts)
        if text != pages[relative]:
            written[relative] = text
    return written


def page_text(data: bytes) -> str:
    """``data`` as ``Path.read_text(encoding="utf-8")`` reads a file of those bytes (line endings made ``\\n``)."""
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8").read()


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
