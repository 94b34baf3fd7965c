"""The live preview (``build.py serve``): one long-running process that regenerates and rebuilds after a save.

After a change under data/, templates/ or the hand-written docs/ (file-system events through watchdog, which
MkDocs already uses; polling only where the platform has no events):

1. the pages are generated in memory (``pipeline.generate``), unchanged studies' summaries and charts from the
   per-study cache (cache.py), only changed charts converted (svg_cache.py); the YAML and CSV files, the
   checked columns and the family pages' reading grades whose inputs did not change are kept in memory from the
   last save (kept.py, keyed by content);
2. only the generated files whose bytes changed are written into docs/ (and those no longer generated removed),
   so nothing is copied or swapped; the staged config is rewritten only when it changed (a study added changes
   the navigation, a data change the library's fingerprint in the footer of hand-written pages);
3. MkDocs builds the whole site in this process (so every page carries the same footer and navigation as a
   built site), with these kept in memory between builds: the theme's compiled templates (keyed by each
   template's source), each page's Markdown converted to HTML (keyed by the page's path and Markdown, the
   list of files its links resolve against, and the config minus ``nav`` and ``extra``, which conversion does
   not read; a conversion that logged a warning is not kept), each page's search entries (keyed by all the
   search plugin reads of the page) and each page's HTML as the theme made it (``theming``: keyed by all the
   theme reads). It builds into a new folder, each file linked to the served one where it is the same (placing.py),
   which then replaces it. Then the browsers are told to reload (MkDocs' script in every served page).

MkDocs' own server would poll docs/ every half second and rebuild in a second pass; here one pass does both.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import paths
from .engine_memo import converting, indexing, page_config_key, theme_listing, theming
from .errors import BuildError
from .kept import Memo, keeping
from .write import contained, is_generated

Progress = Callable[[str], None]
IGNORED_SUFFIXES = (".tmp", "~", ".swp", ".swx", ".part")  # an editor's or this module's half-written files


class Preview:
    """What the preview keeps between saves: the generated files as last written, and the theme's templates."""

    def __init__(self, studies: Path, templates: Path, docs: Path, build: Path = paths.BUILD,
                 config: Path = paths.MKDOCS_YML, progress: Progress = print) -> None:
        import jinja2

        self.studies, self.templates, self.docs, self.build_dir, self.config = studies, templates, docs, build, config
        self.progress = progress
        self.where = build / "serve"
        self.staged = self.where / "mkdocs.yml"
        self.site_dir = self.where / "site"
        self.written: dict[str, bytes] | None = None  # docs/-relative path -> bytes last written there
        self.theme_code: dict[str, bytes] = {}  # the theme's compiled templates (keyed by name and source hash)
        cache = self.theme_code

        class ThemeBytecode(jinja2.BytecodeCache):  # in memory: a template's key includes its source checksum
            def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
                code = cache.get(f"{bucket.key}:{bucket.checksum}")
                if code is not None:
                    bucket.bytecode_from_string(code)

            def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
                cache[f"{bucket.key}:{bucket.checksum}"] = bucket.bytecode_to_string()

        self.bytecode = ThemeBytecode()
        self.converted: dict[str, dict[str, Any]] = {}  # a page's Markdown converted to HTML (``converting``)
        self.theme_files: dict[str, list[str]] = {}  # the theme's files, listed once per set of its own files
        self.theme_static: dict[str, list[str]] = {}  # its static files among them (``theme_listing``)
        self.markdown_key: str | None = ""  # what of the staged config conversion reads (mkdocs_run.markdown_key)
        self.indexed: dict[str, list[dict[str, Any]]] = {}  # each page's search entries (``indexing``)
        self.themed: dict[str, str] = {}  # each page's HTML as the theme's templates made it (``theming``)
        self.page_key = ""  # what of the staged config the theme reads (``page_config_key``)
        self.memo = Memo()  # parsed YAML and CSV files and checked columns, by content (kept.py)
        self.saved_at: float | None = None  # when the first file event since the last rebuild came (``serve``)

    def regenerate(self) -> list[str]:
        """Generate every page in memory; write into docs/ only what changed. Returns the docs/-relative paths
        written or removed (the staged config counts as ``mkdocs.yml``)."""
        from .engines import staged_config, write_config
        from .hand_written import check_hand_written
        from .mkdocs_run import markdown_key
        from .pipeline import generate, read_studies, site_inputs
        from .urls import check_page_clashes, clashing_pages
        from .write import record_generated, stage_docs, staging, swap_into_place

        cache = self.build_dir / "cache"
        with keeping(self.memo):
            site = site_inputs(self.config, self.studies.parent)
            studies = read_studies(self.studies, cache=cache, lazy=True)
            generated = generate(studies, self.templates, lambda _: None, site, cache=cache)
        check_page_clashes(clashing_pages(generated.files, self.docs))  # as the build does
        check_hand_written(self.docs, (self.build_dir,))  # MkDocs copies docs/ itself: no endless copy either
        if self.written is None:  # the first time: the all-or-nothing swap of `build.py pages`
            with staging(self.build_dir) as stage:
                stage_docs(self.docs, generated.files, stage)
                swap_into_place(stage, self.docs, None)
            changed = sorted(generated.files)
        else:
            changed = self._write_changed(generated.files)
            record_generated(self.build_dir, self.docs, list(generated.files))  # a build then checks docs/ by it
        self.written = dict(generated.files)
        self.where.mkdir(parents=True, exist_ok=True)
        text = self.where / "mkdocs.yml.new"
        staged = staged_config(self.config, self.where, self.docs, self.site_dir, generated.nav(site["about_pages"]),
                               generated.footer())
        write_config(staged, text)
        self.markdown_key = markdown_key(staged)
        self.page_key = page_config_key(staged)
        if not self.staged.exists() or text.read_bytes() != self.staged.read_bytes():
            text.replace(self.staged)
            changed.append("mkdocs.yml")
        else:
            text.unlink()
        return changed

    def _write_changed(self, files: dict[str, bytes]) -> list[str]:
        assert self.written is not None
        changed = sorted(k for k, v in files.items()  # or removed by hand since: written again
                         if self.written.get(k) != v or not (self.docs / k).is_file())
        removed = sorted(set(self.written) - set(files))
        for relative in changed:
            if not is_generated(relative):
                raise BuildError(f"The generator tried to write {relative!r}, outside its own folders.")
            path = contained(self.docs, relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(files[relative])
            tmp.replace(path)  # a page being read is never half-written
        for relative in removed:
            contained(self.docs, relative).unlink(missing_ok=True)
        return changed + removed

    def build_site(self, serve_url: str | None = None) -> None:
        """MkDocs builds the staged config into ``site_dir`` in this process (the theme's templates compiled
        once per source)."""
        from mkdocs.commands.build import build
        from mkdocs.config import load_config

        from .mkdocs_run import finish, held

        fresh = self.where / "site.new"
        shutil.rmtree(fresh, ignore_errors=True)  # a build stopped half-way
        config = load_config(config_file=str(self.staged), site_dir=str(fresh))
        if serve_url:
            config.site_url = serve_url
        theme = config.theme
        make_env = theme.get_env

        def get_env() -> Any:
            env = make_env()
            env.bytecode_cache = self.bytecode
            theme_listing(env, theme, self.theme_files, self.theme_static)
            return env

        theme.get_env = get_env  # type: ignore[method-assign]
        with (converting(self.converted, self.markdown_key) if self.markdown_key is not None
              else contextlib.nullcontext(), indexing(self.indexed), theming(self.themed, self.page_key),
              held(fresh) as out):
            build(config, serve_url=serve_url)
        finish(out, fresh, self.site_dir, fixed=False)  # what did not change: linked to the site served until now
        old = self.where / "site.old"
        shutil.rmtree(old, ignore_errors=True)
        if self.site_dir.is_dir():
            self.site_dir.rename(old)
        fresh.rename(self.site_dir)
        shutil.rmtree(old, ignore_errors=True)

    def rebuild(self, serve_url: str | None = None) -> bool:
        """Regenerate, then build the site if anything changed (or on the first call). False on a data or
        template problem, which is shown and leaves docs/ and the served site as they were."""
        started, cpu = time.perf_counter(), time.process_time()
        saved, self.saved_at = self.saved_at, None
        first = self.written is None
        try:
            changed = self.regenerate()
        except BuildError as exc:
            self.progress(f"not regenerated: {exc}")
            return False
        generated = time.perf_counter()
        if changed or first or not self.site_dir.is_dir():
            self.build_site(serve_url)
        waited = f"started {started - saved:.2f} s after the save, " if saved is not None else ""
        self.progress(f"{waited}regenerated in {generated - started:.2f} s ({len(changed)} file(s) changed, "
                      f"{self.memo.hits} parsed files and columns reused), site built in "
                      f"{time.perf_counter() - generated:.2f} s; {time.process_time() - cpu:.2f} s of CPU in all")
        return True

    def watched(self) -> list[Path]:
        """data/ (studies, shared data, releases, redirects), templates/ and the hand-written docs/."""
        return [self.studies.parent, self.templates, self.docs]

    def relevant(self, path: str) -> bool:
        """Whether a file event should rebuild: not a half-written file, and not a file the preview writes."""
        if path.endswith(IGNORED_SUFFIXES) or Path(path).name.startswith(".#"):
            return False
        resolved = Path(path).resolve()
        docs = self.docs.resolve()
        if resolved.is_relative_to(docs):
            return not is_generated(resolved.relative_to(docs).as_posix())
        return not resolved.is_relative_to(self.build_dir.resolve())


def serve(preview: Preview, port: int) -> None:
    """Serve ``preview.site_dir`` on 127.0.0.1:``port`` with live reload, rebuilding after every relevant save."""
    from . import cache

    cache.KEEP_IN_MEMORY = True  # unchanged studies' summaries and charts are not read back from disk each save
    server = live_server(preview, port)
    if not preview.rebuild(server.serve_url):
        raise BuildError("The first build of the preview failed (see above); nothing is served.")
    observer = watch(preview.watched(), preview.relevant, server.rebuild_soon)
    preview.progress(f"serving on {server.serve_url} (Ctrl-C stops); watching "
                     + ", ".join(map(str, preview.watched())))
    try:
        server.serve()
    except KeyboardInterrupt:
        preview.progress("stopped")
    finally:
        server.shutdown()
        observer.stop()


def live_server(preview: Preview, port: int) -> Any:
    """MkDocs' live-reload server for the preview (not yet serving): it rebuilds through ``preview`` after
    ``rebuild_soon`` and adds its reload script to every page it serves."""
    from mkdocs.livereload import LiveReloadServer

    class Server(LiveReloadServer):
        serve_url = f"http://127.0.0.1:{port}/"

        def rebuild_soon(self) -> None:
            """What LiveReloadServer's own watcher does on an event (mkdocs 1.6, pinned in requirements.lock)."""
            if preview.saved_at is None:
                preview.saved_at = time.perf_counter()
            with self._rebuild_cond:
                self._want_rebuild = True
                self._rebuild_cond.notify_all()

    server = Server(builder=lambda: preview.rebuild(Server.serve_url), host="127.0.0.1", port=port,
                    root=str(preview.site_dir))

    def error_page(code: int) -> bytes | None:
        page = preview.site_dir / f"{code}.html"
        return page.read_bytes() if code in (404, 500) and page.is_file() else None

    server.error_handler = error_page
    # MkDocs adds its reload script to a served page only while it watches a folder itself (``watch``, which
    # would also poll it); this module watches instead, so the folders are named without being polled: without
    # them, a browser would show a change only when reloaded by hand.
    server._watched_paths.update(dict.fromkeys(map(str, preview.watched()), 1))
    return server


def watch(folders: list[Path], relevant: Callable[[str], bool], on_change: Callable[[], object]) -> Any:
    """Call ``on_change`` for each relevant file event under ``folders``: watchdog's native observer (inotify,
    FSEvents, ...), which falls back to polling on a platform without events. Returns the started observer."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    class Handler(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.is_directory or event.event_type in ("opened", "closed_no_write"):
                return
            paths_ = [str(event.src_path), str(getattr(event, "dest_path", "") or "")]
            if any(p and relevant(p) for p in paths_):
                on_change()

    observer = Observer()
    for folder in folders:
        if folder.is_dir():
            observer.schedule(Handler(), str(folder), recursive=True)
    observer.daemon = True
    observer.start()
    return observer
