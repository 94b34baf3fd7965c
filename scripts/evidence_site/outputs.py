"""The whole generated output of the last build, kept under build/cache/ and keyed by a hash of every input.

A build whose inputs are byte for byte those of the last one (every file under the data folders, the
templates, mkdocs.yml, the package's source and the versions of the libraries it computes with; see
``inputs_key``) reuses that build's generated pages, navigation, footer, numbers.json and redirect pages,
and goes straight to the engine: no study is read, nothing is computed, and pandas, Altair and Jinja are never
imported. Any change to any input gives a new key, so a stale output is never read; the per-study cache
(cache.py) then makes the full generation recompute only the studies that changed.

When, besides, docs/ and site/ hold exactly what the last build put there (every file's name and bytes, the
hand-written pages too), and the engine and the packages installed where it runs are those it built with, the
engine is not run either: it would write the same site again (``SiteRecord``; ``build.py site --force`` runs it).

This module imports only the standard library and the light modules of the package (no pandas).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import paths
from .errors import BuildError

Progress = Callable[[str], None]


class Deferred:
    """Generated files still being made (the charts, drawn by the converter process): their docs/-relative paths
    (each a translated twin's under its language) now, their contents from :meth:`files`, which waits. The
    waiting starts at once in a thread of its own, so the engine's process can run meanwhile."""

    def __init__(self, paths: tuple[str, ...], make: Callable[[], dict[str, bytes]]) -> None:
        self.paths = paths
        self._made: dict[str, bytes] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(make,), name="charts", daemon=True)
        self._thread.start()  # a daemon: a build stopped meanwhile does not wait for it to exit

    def _run(self, make: Callable[[], dict[str, bytes]]) -> None:
        try:
            self._made = make()
        except BaseException as error:  # handed to the build's thread by files()
            self._error = error

    def files(self) -> dict[str, bytes]:
        """The files, once made (raises what making them raised)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._made is not None
        if set(self._made) != set(self.paths):
            raise BuildError(f"Internal error: the charts drawn ({len(self._made)}) are not those announced "
                             f"({len(self.paths)}). Nothing was changed in docs/ or site/.")
        return self._made


class Background:
    """A value computed in a thread of its own while the build goes on (numbers.json, made while the engine's
    process builds the pages: the build's own thread only waits for that process meanwhile)."""

    def __init__(self, make: Callable[[], Any], name: str) -> None:
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(make,), name=name, daemon=True)
        self._thread.start()  # a daemon: a build stopped meanwhile does not wait for it to exit

    def _run(self, make: Callable[[], Any]) -> None:
        try:
            self._value = make()
        except BaseException as error:  # handed to the build's thread by result()
            self._error = error

    def result(self) -> Any:
        """The value, once computed (raises what computing it raised)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value


@dataclass(frozen=True)
class Twin:
    """A translated twin of the family pages, built as its own site under site/<lang>/."""

    lang: str
    files: dict[str, bytes]  # docs/<lang>/-relative path -> content
    nav: list[Any]
    extra: dict[str, Any]  # what its theme shows beyond its own strings (footer words, the way back)
    overrides: dict[str, Any]  # config keys it changes (theme language, site name, address)


@dataclass(frozen=True)
class Output:
    """What generation hands the engine: enough to stage, build and publish without the studies."""

    files: dict[str, bytes]  # docs/-relative path -> content (the English site)
    nav: list[Any]
    footer: dict[str, str]
    manifest: dict[str, Any]  # numbers.json
    redirects: dict[str, str]  # site-relative path -> redirect page
    epoch: int  # the data's date (the build's SOURCE_DATE_EPOCH when that is not set)
    conflicts: tuple[str, ...]  # published figures the data do not reproduce
    twins: tuple[Twin, ...] = ()
    site_url: str = ""
    notices: tuple[str, ...] = ()  # what generation said about the pages (privacy, reading level), said again on reuse
    warnings: tuple[str, ...] = ()  # and its loud warnings (protection switched off)


def inputs_key(studies_dir: Path, templates: Path, config: Path, data: Path = paths.DATA) -> str:
    """sha256 of everything generation reads: the data folders (studies, shared vocabularies and medicines,
    releases, redirects, site words), the templates, the config, the code and the libraries' versions."""
    from .cache import code_version, tree_hash

    folders = dict.fromkeys(p.resolve() for p in (studies_dir.parent, data, studies_dir))
    # A folder inside another one of the list is in that one's hash already (data/studies inside data/): hashing
    # it again read every study file twice.
    folders = {f: None for f in folders if not any(f != other and f.is_relative_to(other) for other in folders)}
    text = config.read_bytes() if config.is_file() else b""
    parts = [code_version(), tree_hash(templates) if templates.is_dir() else "", hashlib.sha256(text).hexdigest(),
             *(f"{name}={os.environ.get(name)!r}" for name in env_names(text.decode("utf-8", "replace")))]
    parts += [f"{folder}\0{tree_hash(folder) if folder.is_dir() else ''}" for folder in folders]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


_ENV_TAG = re.compile(r"!ENV\s+(\[[^\]]*\]|\S+)")


def env_names(config_text: str) -> list[str]:
    """The environment variables the config's ``!ENV`` tags name (``!ENV NAME``, ``!ENV [NAME, OTHER, default]``:
    each item, the default too, which costs nothing), so that a changed variable (the site's address) is a changed
    input."""
    names = []
    for found in _ENV_TAG.findall(config_text):
        items = found.strip("[]").split(",") if found.startswith("[") else [found]
        names += [item.strip().strip("'\"") for item in items]
    return sorted({name for name in names if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)})


@dataclass(frozen=True)
class Kept:
    """An output as kept for the next build: what that build reads before it knows whether the engine must run
    (every generated docs/-relative path, a twin's under its language; the site's address; what generation said
    and warned; the contradicted published figures), and the output itself, unpickled only then (its pages'
    bytes are most of it: 25 MB at 50 studies)."""

    key: str  # the inputs' key it was stored under: an entry copied from another build's is not served
    paths: tuple[str, ...]
    site_url: str
    notices: tuple[str, ...]
    warnings: tuple[str, ...]
    conflicts: tuple[str, ...]
    body: bytes  # the pickled Output

    @staticmethod
    def of(key: str, output: Output) -> Kept:
        paths = (*output.files, *(f"{twin.lang}/{path}" for twin in output.twins for path in twin.files))
        return Kept(key, paths, output.site_url, output.notices, output.warnings, output.conflicts,
                    pickle.dumps(output, protocol=pickle.HIGHEST_PROTOCOL))

    def output(self) -> Output | None:
        """The output (None when it cannot be read)."""
        try:
            value = pickle.loads(self.body)
        except (EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
            return None
        return value if isinstance(value, Output) else None


def read(cache: Path, key: str) -> Kept | None:
    """The output kept under ``key``: None when there is none, when its bytes are not those stored (cache.seal)
    or when it was stored under another key (an older build's entry copied over it)."""
    from .cache import unseal

    try:
        value = unseal((cache / f"site-{key}.pickle").read_bytes())
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError):
        return None
    return value if isinstance(value, Kept) and value.key == key else None


def store(cache: Path, key: str, output: Output) -> None:
    """Keep ``output`` as the one entry (older entries are removed); a read-only folder only costs speed."""
    from .cache import seal

    try:
        cache.mkdir(parents=True, exist_ok=True)
        for old in cache.glob("site-*.pickle"):
            old.unlink(missing_ok=True)
        tmp = cache / f"site-{key}.{os.getpid()}.tmp"
        tmp.write_bytes(seal(Kept.of(key, output)))
        tmp.replace(cache / f"site-{key}.pickle")
    except OSError:
        pass


# In build/: what the last build put in a docs/ and site/ pair (``SiteRecord``), one file per pair (the tests build
# other folders with the same build/).
SITE_RECORD = "site-record-{}.json"


@dataclass(frozen=True)
class SiteRecord:
    """What a build put in docs/ and site/, to tell whether the next one would write the same: ``stamp``, what
    the engine's output depends on beyond docs/ (``engine_stamp``), and a hash of each folder's files (their
    names, bytes and permissions; a link or a named pipe marked as such: cache.tree_hash) as it was put in place."""

    stamp: str
    docs: str
    site: str

    @staticmethod
    def path(build: Path, docs: Path, site: Path) -> Path:
        folders = f"{docs.resolve()}\0{site.resolve()}".encode()
        return build / SITE_RECORD.format(hashlib.sha256(folders).hexdigest()[:12])

    @staticmethod
    def of(stamp: str, docs: Path, site: Path) -> SiteRecord:
        from .cache import tree_hash

        return SiteRecord(stamp, tree_hash(docs, modes=True), tree_hash(site, modes=True))

    def write(self, path: Path) -> None:
        """Kept atomically; a read-only build folder only costs the next build its shortcut."""
        import json

        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(json.dumps({"stamp": self.stamp, "docs": self.docs, "site": self.site}), encoding="utf-8")
            tmp.replace(path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

    @staticmethod
    def matches(path: Path, stamp: str, docs: Path, site: Path) -> bool:
        """Whether the record at ``path`` has ``stamp`` and docs/ and site/ still hold what it says, file for file."""
        import json

        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        if not isinstance(saved, dict) or saved.get("stamp") != stamp or not docs.is_dir() or not site.is_dir():
            return False
        try:
            now = SiteRecord.of(stamp, docs, site)
        except OSError:  # a file or folder nobody may read: not what the build left
            return False
        return saved.get("docs") == now.docs and saved.get("site") == now.site


def engine_stamp(key: str, engine: str) -> str:
    """What the engine's site depends on beyond the pages it is given: the generated output (``key``, the hash of
    every input of generation), the engine, the packages installed where it runs (by name and version: a package
    edited in place is not seen), $SOURCE_DATE_EPOCH (the sitemap's date) and the umask (the files'
    permissions)."""
    from .engines import engine_packages

    umask = os.umask(0o022)
    os.umask(umask)
    parts = (key, engine, engine_packages(engine), os.environ.get("SOURCE_DATE_EPOCH", ""), f"{umask:o}")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def warn_stderr(message: str) -> None:
    print(f"[build] WARNING: {message}", file=sys.stderr, flush=True)


def check_conflicts(conflicts: tuple[str, ...] | list[str], strict: bool, warn: Progress) -> None:
    """Stop (``strict``) or warn for each published figure the data do not reproduce."""
    if conflicts and strict:
        raise BuildError("The data contradict published figures (--strict-published). Nothing was written.\n"
                         + "\n".join(f"  - {c}" for c in conflicts)
                         + "\n    hint:     Check the data against the source, or the figure's `precision` in "
                           "study.yml.")
    for conflict in conflicts:
        warn(f"the data contradict a published figure: {conflict}. The clinicians' overview page says so.")


def check_publication_address(site_url: str, config_name: str) -> None:
    """A build for publication (``--publish``) stops while the site address is a placeholder: handouts print it."""
    from .urls import publication_address_problem

    problem = publication_address_problem(site_url, config_name)
    if problem:
        raise BuildError(f"Not a publication build: the site address is not set. Nothing was written.\n  - {problem}")


def write_output(output: Output, docs: Path, site: Path, config: Path, build: Path, engine: str,
                 current: Callable[[], bool] | None = None, late: Deferred | None = None,
                 manifest: Background | None = None, checks: Background | None = None,
                 stamp: str = "") -> Output:
    """Stage the hand-written and generated docs, build them with ``engine`` (the English site and each translated
    twin, each in its own engine process, side by side with MkDocs, one at a time with Zensical; a twin's site then
    goes under site/<lang>/), add
    numbers.json and the redirect pages, then swap docs/ and site/ into place; nothing changes there unless every
    step succeeds.

    ``current``: whether the inputs are still those the output was made from, asked just before the swap. A file
    saved during the build, or another build finishing first with newer files, would otherwise leave site/
    printing figures that the files on disk no longer give (an outside tester): the build stops instead.

    ``late``: files of ``output`` still being made (the charts: empty in ``output`` until then). The sites are
    built with them empty (an engine only copies a chart's file) while they are made; then each is written over
    its empty copy in the staged docs and in the site built from them (only where the engine put that copy).
    ``manifest``: numbers.json, still being computed (it replaces ``output.manifest`` once the engines are done).
    ``checks``: checks of the generated pages still running (the reading gates): their failure stops the build
    before anything is put in place, and comes first when an engine failed too (a build that waited for the
    checks would have stopped there).
    ``stamp`` (``engine_stamp``): noted with a hash of the docs/ and site/ put in place (``SiteRecord``), so that
    the next build with the same stamp and nothing changed in either folder need not run the engine.
    Returns ``output`` with every file complete."""
    from concurrent.futures import ThreadPoolExecutor

    from .urls import check_menu_pages
    from .write import check_docs, mkdocs_build, stage_docs, staging, swap_into_place, write_files, write_json

    check_apart(docs, site)
    check_menu_pages(output.nav, output.files, docs)  # a listed hand-written page removed since (data/site.yml)
    check_docs(docs, build, (site, build))  # before the engines run: every problem of docs/ in one message

    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    with staging(build) as stage, _environment("SOURCE_DATE_EPOCH", epoch if epoch.isdigit() else str(output.epoch)):
        # (docs-relative prefix of its files, staged docs folder, the site the engine builds from it)
        sites = [("", stage_docs(docs, output.files, stage, apart=(site, build)), stage / "site")]
        sites += [(f"{twin.lang}/", stage_docs(docs, twin.files, stage / f"docs-{twin.lang}", only=paths.ASSETS,
                                               apart=(site, build), previous=docs / twin.lang),
                   stage / f"site-{twin.lang}") for twin in output.twins]
        # Each waits on its own engine process. Zensical keeps its build state in a .cache folder beside the config,
        # which the sites' configs share (the staging folder): two Zensical builds at once raced there (a NotFound
        # panic in CI), so its builds run one at a time.
        with ThreadPoolExecutor(len(sites) if engine != "zensical" else 1) as engines:
            running = [engines.submit(mkdocs_build, config, sites[0][1], sites[0][2], output.nav, output.footer,
                                      engine, cache=build / "cache", previous=site)]
            running += [engines.submit(mkdocs_build, config, folder, built, twin.nav, output.footer | twin.extra,
                                       engine, twin.overrides, cache=build / "cache", previous=site / twin.lang)
                        for twin, (_, folder, built) in zip(output.twins, sites[1:], strict=True)]
            try:
                for job in running:
                    job.result()  # the first engine's failure, once every engine has stopped
            except BuildError:
                if checks is not None:
                    checks.result()
                raise
        if checks is not None:
            checks.result()
        if late is not None:
            output = _with_late_files(output, late.files(), sites, (docs, site))
        if manifest is not None:
            output = replace(output, manifest=manifest.result())
        for twin, (_, folder, built) in zip(output.twins, sites[1:], strict=True):
            built.rename(_new_folder(stage / "site", twin.lang))
            folder.rename(_new_folder(stage / "docs", twin.lang))
        write_json(stage / "site" / paths.NUMBERS_JSON, output.manifest)
        write_files(stage / "site", output.redirects)
        if current is not None and not current():
            raise BuildError(INPUTS_CHANGED)
        record = SiteRecord.path(build, docs, site)
        with contextlib.suppress(OSError):  # a record that cannot be removed (a folder) is not a record of this site
            record.unlink(missing_ok=True)
        # hashed as staged, which is what the swap puts in place (not afterwards: another build may swap meanwhile)
        made = SiteRecord.of(stamp, stage / "docs", stage / "site") if stamp else None
        swap_into_place(stage, docs, site)
        if made is not None:
            made.write(record)
    return output


def check_apart(docs: Path, site: Path, inputs: tuple[Path, ...] = (), holders: tuple[Path, ...] = ()) -> None:
    """docs/ and site/ are two folders, neither inside the other, neither overlapping an input folder (``inputs``:
    the studies, the templates, build/, the generator's own code) nor being or holding a folder that holds inputs
    (``holders``: the data folder, beside the studies; a site inside it is allowed). Every build replaces site/
    whole and the generated parts of docs/, which would delete what is there (an outside tester lost the study
    folders to ``--site data/studies``), and MkDocs refuses a site inside its docs."""
    def overlap(a: Path, b: Path, inside_allowed: bool = False) -> str:
        a, b = a.resolve(), b.resolve()
        if a == b:
            return "the same folder"
        return "one inside the other" if b.is_relative_to(a) or (a.is_relative_to(b) and not inside_allowed) else ""

    pairs = [("docs folder", docs, "site folder", site, False)]
    pairs += [(f"{name} folder", folder, "input folder", other, other in holders)
              for name, folder in (("site", site), ("docs", docs)) for other in (*inputs, *holders)]
    for name, folder, other_name, other, inside_allowed in pairs:
        how = overlap(folder, other, inside_allowed)
        if how:
            raise BuildError(f"The {name} {folder} and the {other_name} {other} overlap. Nothing was written.\n"
                             "    expected: separate folders (a build replaces the site whole, and the generated "
                             "parts of docs)\n"
                             f"    found:    {how}\n"
                             "    hint:     Give --site and --docs folders of their own (by default, site/ and docs/ "
                             "beside data/), outside data/studies/, templates/, build/ and scripts/.")


def _new_folder(root: Path, name: str) -> Path:
    """``root / name``, which must not exist yet (a translated site's folder inside the English one's)."""
    from .write import contained

    path = contained(root, name)
    if path.exists():
        raise BuildError(f"Internal error: {root.name}/{name} is already there; the {name} site would replace it. "
                         "Nothing was changed in docs/ or site/.")
    return path


def _with_late_files(output: Output, made: dict[str, bytes], sites: list[tuple[str, Path, Path]],
                     last: tuple[Path, Path]) -> Output:
    """``output`` with the files ``made`` (docs/-relative; a twin's under its language), each put in place of its
    empty copies in its site's staged docs and in the site the engine built from them (``sites``: each site's
    prefix, staged docs and built site, the English one first, with the prefix ""), linked to the same file of
    the docs and site folders the last build put in place (``last``) where that holds the same bytes."""
    from .placing import Previous
    from .write import contained

    def site_of(path: str) -> tuple[str, Path, Path]:
        return next((s for s in sites[1:] if path.startswith(s[0])), sites[0])

    previous = {prefix: (Previous(last[0] / prefix), Previous(last[1] / prefix)) for prefix, _, _ in sites}
    for path, data in sorted(made.items()):
        prefix, folder, built = site_of(path)
        for root, before in zip((folder, built), previous[prefix], strict=True):
            relative = path[len(prefix):]
            target = contained(root, relative)
            if not target.is_file() or target.stat().st_size:
                raise BuildError(f"Internal error: {root.name}/{relative} is not the empty file the engine "
                                 "was given to copy. Nothing was changed in docs/ or site/.")
            target.unlink()  # an empty file of its own (placing.py links no empty file): replaced, not written into
            before.place(target, relative, data)
    twins = tuple(replace(twin, files=twin.files | {path[len(twin.lang) + 1:]: data for path, data in made.items()
                                                    if path.startswith(f"{twin.lang}/")}) for twin in output.twins)
    langs = tuple(f"{twin.lang}/" for twin in output.twins)
    return replace(output, files=output.files | {p: d for p, d in made.items() if not p.startswith(langs)},
                   twins=twins)


INPUTS_CHANGED = ("An input changed while the site was being built (a file saved during the build, or another build "
                  "running at the same time): its pages would not match the files. Nothing was changed in docs/ or "
                  "site/.\n    hint:     Build again once the files are saved (make site); run one build at a time.")


class _environment:
    """Set an environment variable for the duration of a ``with`` block."""

    def __init__(self, name: str, value: str) -> None:
        self.name, self.value, self.old = name, value, os.environ.get(name)

    def __enter__(self) -> None:
        os.environ[self.name] = self.value

    def __exit__(self, *_: object) -> None:
        if self.old is None:
            os.environ.pop(self.name, None)
        else:
            os.environ[self.name] = self.old


def build(studies_dir: Path = paths.STUDIES, templates: Path = paths.TEMPLATES, docs: Path = paths.DOCS,
          site: Path = paths.SITE, config: Path = paths.MKDOCS_YML, build_dir: Path = paths.BUILD,
          progress: Progress = print, strict_published: bool = False, warn: Progress = warn_stderr,
          engine: str = "mkdocs", publish: bool = False, force: bool = False) -> None:
    """``make site``: the last build's generated output when no input changed, else the full build (pipeline).
    When, besides, docs/ and site/ are as the last build left them, built by the same engine, nothing is built
    (``SiteRecord``) unless ``force``.

    ``publish``: a build for publication, which refuses a placeholder ``site_url``.
    """
    started = time.perf_counter()
    from .engines import PACKAGE_ROOT

    check_apart(docs, site, (studies_dir, templates, build_dir, PACKAGE_ROOT), (studies_dir.parent,))
    cache = build_dir / "cache"
    key = inputs_key(studies_dir, templates, config)
    stamp = engine_stamp(key, engine)

    def current() -> bool:
        return inputs_key(studies_dir, templates, config) == key

    kept = read(cache, key)
    if kept is None:
        _generate_and_build(studies_dir, templates, docs, site, config, build_dir, progress, strict_published, warn,
                            engine, publish, key, stamp, current)
        return
    if publish:
        check_publication_address(kept.site_url, config.name)
    progress(f"no input changed since the last build: reused its {len(kept.paths)} generated files "
             f"(build/cache/site-{key[:8]}…)")
    from .urls import check_page_clashes, clashing_pages

    # the hand-written docs/ are not among the inputs of generation: a page added there is checked here too
    check_page_clashes(clashing_pages(list(kept.paths), docs))
    for notice in kept.notices:
        progress(notice)
    for warning in kept.warnings:
        warn(warning)
    check_conflicts(kept.conflicts, strict_published, warn)
    if not force and SiteRecord.matches(SiteRecord.path(build_dir, docs, site), stamp, docs, site):
        progress(f"{docs} and {site} are as the last build left them, built by {engine} with the same packages: "
                 f"nothing to build (build.py site --force builds them again); checked in "
                 f"{time.perf_counter() - started:.1f} s")
        return
    output = kept.output()
    if output is None:  # a damaged entry: generated again
        _generate_and_build(studies_dir, templates, docs, site, config, build_dir, progress, strict_published, warn,
                            engine, publish, key, stamp, current)
        return
    write_output(output, docs, site, config, build_dir, engine, current, stamp=stamp)
    progress(f"built {site} in {time.perf_counter() - started:.1f} s")


def _generate_and_build(studies_dir: Path, templates: Path, docs: Path, site: Path, config: Path, build_dir: Path,
                        progress: Progress, strict_published: bool, warn: Progress, engine: str, publish: bool,
                        key: str, stamp: str, current: Callable[[], bool]) -> None:
    """The full build (pipeline.build_site), whose output is kept under ``key`` if no input changed meanwhile."""
    from . import svg_cache
    from .cache import jinja_folder

    cache = build_dir / "cache"
    svg_cache.start()  # the charts' converter process starts while the pipeline's libraries are imported
    svg_cache.precompile(templates, jinja_folder(cache))  # and compiles the page templates meanwhile
    from .pipeline import build_site

    def keep(out: Output) -> None:
        # Kept only if no input changed while the build read them (checked again: the swap was just before):
        # an edit during the build would otherwise be stored under the key of inputs it never saw.
        if current():
            store(cache, key, out)

    build_site(studies_dir, templates, docs, site, config, build_dir, progress, strict_published, warn, engine,
               publish, keep=keep, current=current, stamp=stamp)
