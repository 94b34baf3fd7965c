"""One run of every gate over a built site: links from the files, the Nu Html Checker (Java) over the whole site
while the browsers check every page (``settings.browser_workers`` side by side, the repeat visits in one more)."""

from __future__ import annotations

import fnmatch
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page as Tab

from . import vnu
from .browser import launch
from .gates import BrowserGates
from .links import LinkChecker
from .pages import Page, canonical_site_url, find_pages
from .printing import print_checks
from .report import PageResults, SiteResults
from .rules import Check
from .serve import StaticServer
from .settings import Settings

Log = Callable[[str], None]
Printer = Callable[[Tab], dict[str, Check]]


class SiteMissing(RuntimeError):
    """Raised by ``run`` when the site folder has no home page: build it first with ``make site``."""


def run(settings: Settings, log: Log = print) -> SiteResults:
    """Every gate on every page of ``settings.site_dir``; nothing is written but the screenshots."""
    site = settings.site_dir
    if not (site / "index.html").is_file():
        raise SiteMissing(f"No site at {site} (no index.html). Build it first: make site")
    pages = find_pages(site)
    site_url = settings.site_url or canonical_site_url(site)
    results = SiteResults(pages=[PageResults(page.label) for page in pages])
    by_url = dict(zip((p.url for p in pages), results.pages, strict=True))
    results.notes.append(
        f"Budgets for pages under /{settings.family_prefix}: first visit ≤ {settings.family_first_visit_kb:g} kB, "
        f"repeat visit ≤ {settings.family_repeat_visit_kb:g} kB; other pages' weights are reported only. "
        "First visit: empty cache, page loaded and scrolled to the bottom. Repeat visit: in a browser that opened "
        "the home page, each translated site's home (es/: its own copy of the theme and its own search index) "
        "and the pages above first, so the theme's CSS, JS and search index are cached; "
        "for the home page itself that is a revalidation.")

    started = time.monotonic()
    jar = vnu.ensure_vnu(settings.tools_dir)
    with ThreadPoolExecutor(max_workers=1) as pool:  # Java checks the HTML while the browsers check the pages
        html = pool.submit(vnu.validate, jar, settings.site_dir)
        _link_checks(settings, pages, site_url, results, by_url)
        results.notes.append(f"Nu Html Checker {vnu.installed_version(settings.tools_dir)}, errors only, filtered "
                             f"by the pattern {vnu.VNU_FILTER!r} (Material's search form) and nothing else.")
        log(f"links checked on {len(pages)} pages in {time.monotonic() - started:.1f} s")
        _browser_checks(settings, pages, site_url, results, by_url, log)
        _html_checks(pages, html.result(), results, by_url)
    log(f"all gates ran in {time.monotonic() - started:.1f} s")
    return results


def _link_checks(settings: Settings, pages: list[Page], site_url: str, results: SiteResults,
                 by_url: dict[str, PageResults]) -> None:
    """Links and anchors, from the files."""
    checker = LinkChecker(settings.site_dir, site_url)
    for page in pages:
        found = checker.check(page)
        by_url[page.url].checks["links"] = Check(not found.broken, f"{found.internal} ({len(found.broken)})",
                                                 found.broken)
        for url in found.external:
            results.external.setdefault(url, []).append(page.label)



def _html_checks(pages: list[Page], errors: dict[Path, list[str]], results: SiteResults,
                 by_url: dict[str, PageResults]) -> None:
    """The Nu Html Checker's errors (one run over the whole site), per page; errors in other files are problems."""
    files = {page.file.resolve(): page for page in pages}
    for file, lines in errors.items():
        if file not in files:
            results.problems.append(f"HTML errors in {file}: " + "; ".join(lines))
    for page in pages:
        lines = errors.get(page.file.resolve(), [])
        by_url[page.url].checks["html"] = Check(not lines, str(len(lines)), lines)


def _browser_checks(settings: Settings, pages: list[Page], site_url: str, results: SiteResults,
                    by_url: dict[str, PageResults], log: Log) -> None:
    """Serves the site and runs the browser checks on every page but redirects; prints the handouts."""
    handouts = {p.url for p in pages if fnmatch.fnmatch(p.file.relative_to(settings.site_dir).as_posix(),
                                                        settings.handout_glob)}
    if not handouts:
        results.notes.append(f"Print and QR checks SKIPPED: this site has no handout page ({settings.handout_glob}).")
    elif not site_url:
        results.problems.append("No site_url: set it in mkdocs.yml (the QR code must encode it).")
    redirects = [p.label for p in pages if p.redirect]
    if redirects:
        results.notes.append("Redirect pages (links and HTML checked; a browser would leave them): "
                             + ", ".join(redirects))
    shots = settings.screenshots_dir
    shots.mkdir(parents=True, exist_ok=True)
    for old in shots.glob("*.png"):
        old.unlink()

    checked = [p for p in pages if not p.redirect]
    if settings.browser_pages is not None:
        chosen = [p for p in checked if p.url in settings.browser_pages]
        results.notes.append(f"Browser checks on {len(chosen)} of {len(checked)} pages (chosen by the run: "
                             + ", ".join(p.label for p in chosen) + "); links and HTML on every page.")
        checked = chosen
    pending: queue.Queue[Page] = queue.Queue()
    for page in sorted(checked, key=lambda p: p.file.stat().st_size, reverse=True):  # longest first: no long tail
        pending.put(page)
    fresh: dict[str, dict[str, Check]] = {}
    failures: list[BaseException] = []

    def printer_for(page: Page) -> Printer | None:
        two_sided = fnmatch.fnmatch(page.file.relative_to(settings.site_dir).as_posix(), settings.two_sided_glob)
        return (partial(print_checks, site_url=site_url, page_url=page.url,
                        min_icon_contrast=settings.min_icon_contrast, max_pages=2 if two_sided else 1)
                if page.url in handouts else None)

    def worker() -> None:
        try:
            _fresh_visits(settings, pending, printer_for, fresh, results, log)
        except BaseException as error:  # re-raised in the main thread once every worker has stopped
            failures.append(error)
            while not pending.empty():  # the other workers stop too
                pending.get_nowait()

    workers = [threading.Thread(target=worker, name=f"gates-{i}", daemon=True)
               for i in range(max(1, settings.browser_workers))]
    for thread in workers:
        thread.start()
    repeat: dict[str, Check] = {}
    try:
        with (StaticServer(settings.site_dir) as server, launch(settings) as browser,
              BrowserGates(browser, server, settings) as gates):
            results.notes.append(f"Chromium {browser.version}, site served locally with gzip; first visits and the "
                                 f"other checks in {len(workers)} browser(s) side by side, each page in a fresh "
                                 f"context; repeat visits in one more, page after page; "
                                 + (f"screenshots in {shots}." if settings.screenshots else "no screenshots."))
            for page in checked:
                try:
                    repeat[page.url] = gates.repeat_visit(page)
                except PlaywrightError as error:
                    results.problems.append(f"{page.label}: the repeat visit stopped: {error}")
    finally:
        for thread in workers:
            thread.join()
    if failures:
        raise failures[0]
    for page in checked:
        if page.url not in fresh:
            continue
        checks = by_url[page.url].checks
        checks.update(fresh[page.url])
        if page.url in repeat:
            checks["repeat visit"] = repeat[page.url]
        no_table = [line.split(":")[0] for line in checks["charts"].details if "no data table" in line]
        if no_table:
            results.notes.append(f"{page.label}: {len(no_table)} chart(s) without a data table beside them: "
                                 + "; ".join(no_table))


def _fresh_visits(settings: Settings, pending: queue.Queue[Page], printer_for: Callable[[Page], Printer | None],
                  fresh: dict[str, dict[str, Check]], results: SiteResults, log: Log) -> None:
    """One worker: its own server and browser; takes pages from ``pending`` until none is left."""
    with (StaticServer(settings.site_dir) as server, launch(settings) as browser,
          BrowserGates(browser, server, settings, warm=False) as gates):
        while True:
            try:
                page = pending.get_nowait()
            except queue.Empty:
                return
            started = time.monotonic()
            try:
                fresh[page.url] = gates.check(page, settings.screenshots_dir, printer_for(page))
            except PlaywrightError as error:  # a page that hangs or crashes the tab fails; the others still run
                results.problems.append(f"{page.label}: the browser checks stopped: {error}")
                continue
            failed = [name for name, check in fresh[page.url].items() if check.ok is False]
            steps = ", ".join(f"{step} {seconds:.1f}" for step, seconds in gates.timings.items())
            log(f"{page.label}: {'FAILED ' + ', '.join(failed) if failed else 'ok'} "
                f"({time.monotonic() - started:.1f} s: {steps})")
