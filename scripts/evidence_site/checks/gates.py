"""The per-page browser checks: axe at each width, requests, page weight, Vega, screenshots (and print).

Each page gets:

1. a fresh context (empty cache) at phone width: load, scroll to the bottom, wait for the network to
   settle -> first-visit bytes and every request made; axe, the layout (rules.LAYOUT_SCRIPT: nothing scrolls
   sideways, wide tables keep their labels in view) and a screenshot at phone width, then the window is widened
   for the same at desktop width (axe is injected once per page);
   handouts are also printed here; then the system is switched to dark, which the theme follows without a
   reload (axe's colour rules and a screenshot at phone width); last, from a family short version, search;
   Pages share no state here, so ``run`` shares them out between browsers side by side, each with its own
   local server (each counts only its own bytes);
2. a visit in one long-lived "warm" context that has already loaded the home page (and the pages
   before this one, in order), so the theme's CSS and JS come from the cache -> repeat-visit bytes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from . import family as fam
from . import rules
from .pages import Page
from .rules import Check
from .serve import StaticServer
from .settings import Settings, Viewport

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext
    from playwright.sync_api import Page as Tab

# To the bottom and back, so whatever loads when it comes into view loads. A page with lazy-loading images or
# frames is scrolled a screen at a time (at most 60 screens) instead, so each one is in view for a moment.
_SCROLL = """async () => {
  const pause = () => new Promise(r => setTimeout(r, 30));
  if (!document.querySelector('[loading="lazy"]')) {
    window.scrollTo(0, document.documentElement.scrollHeight);
    await pause();
  }
  for (let i = 0; i < 60 && window.scrollY + innerHeight < document.documentElement.scrollHeight; i++) {
    window.scrollBy(0, innerHeight);
    await pause();
  }
  window.scrollTo(0, 0);
}"""
# In the dark scheme only colours change (Material's palette is a set of CSS colour variables), so axe runs the
# rules that read colours: text contrast, and links told apart from the text around them.
DARK_RULES = ("color-contrast", "link-in-text-block")
_VEGA_GLOBALS = "() => typeof window.vega !== 'undefined' || typeof window.vegaEmbed !== 'undefined'"
# Two animation frames for layout, then every running CSS transition or animation to its end (at most 2 s).
_SETTLE = """async () => {
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const done = Promise.all(document.getAnimations().map(a => a.finished.catch(() => null)));
  await Promise.race([done, new Promise(r => setTimeout(r, 2000))]);
}"""
_NAV_TIMEOUT_MS = 30_000
# The dark scheme shown, and the theme done switching (it turns transitions off while it switches).
_DARK_SHOWN = """() => document.body.getAttribute('data-md-color-scheme') === 'slate'
    && !document.body.hasAttribute('data-md-color-switching')"""
_SWITCH_TIMEOUT_MS = 5_000
# Every chart in the page's content: its text alternative, and whether a data table sits in the same block or
# within two blocks before or after it.
_CHARTS = """() => [...document.querySelectorAll(
    'article img.chart, article figure img, article svg[role="img"]')].map(el => {
  const name = (el.getAttribute('alt') || el.getAttribute('aria-label') ||
                (el.querySelector && el.querySelector('title') || {}).textContent || '').trim();
  let block = el;
  while (block.parentElement && !block.parentElement.matches('article')) block = block.parentElement;
  const near = [block];
  for (let i = 0, b = block; i < 2 && (b = b.previousElementSibling); i++) near.push(b);
  for (let i = 0, b = block; i < 2 && (b = b.nextElementSibling); i++) near.push(b);
  const table = near.some(b => b.matches('table') || b.querySelector('table'));
  return {src: el.getAttribute('src') || el.id || el.tagName.toLowerCase(), name, table};
})"""


class BrowserGates:
    """Runs the browser checks page by page against a served site; use as a context manager.

    ``check`` runs everything but the repeat visit, each page in a fresh context, so pages can be shared out
    between several instances (each with its own browser and server, so that each counts only its own bytes);
    ``repeat_visit`` needs the warm context (``warm=True``) and the pages in order, in one instance.
    """

    def __init__(self, browser: Browser, server: StaticServer, settings: Settings, warm: bool = True) -> None:
        self.browser, self.server, self.settings, self.warm = browser, server, settings, warm
        self.axe = Axe()
        self._warm: BrowserContext | None = None
        self._warm_tab: Tab | None = None
        self.timings: dict[str, float] = {}  # seconds per step of the last page checked, in the order run

    @contextmanager
    def _timed(self, step: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[step] = self.timings.get(step, 0.0) + time.monotonic() - started

    def __enter__(self) -> BrowserGates:
        if not self.warm:
            return self
        first = self.settings.viewports[0]
        self._warm = self.browser.new_context(viewport={"width": first.width, "height": first.height})
        self._warm_tab = self._warm.new_page()
        self._load(self._warm_tab, "")  # the home page fills the cache with the theme's CSS and JS
        for home in translated_homes(self.settings.site_dir):  # each translated site (es/) has its own theme files
            self._load(self._warm_tab, home)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._warm is not None:
            self._warm.close()

    def _load(self, tab: Tab, url: str) -> None:
        tab.goto(f"{self.server.origin}/{url}", wait_until="load", timeout=_NAV_TIMEOUT_MS)
        tab.evaluate(_SCROLL)
        self.server.log.wait_idle()

    def check(self, page: Page, shots: Path, printer: Callable[[Tab], dict[str, Check]] | None = None,
              ) -> dict[str, Check]:
        """Every browser check of one page but the repeat visit, keyed by check name. ``printer`` is called on
        handouts."""
        settings = self.settings
        family = settings.is_family(page.url)
        first_vp = settings.viewports[0]
        self.timings = {}
        with self._timed("context"):
            context = self.browser.new_context(viewport={"width": first_vp.width, "height": first_vp.height})
        requested: list[str] = []
        context.on("request", lambda request: requested.append(request.url))
        try:
            with self._timed("first visit"):
                tab = context.new_page()
                mark = self.server.log.mark()
                self._load(tab, page.url)
                first = self.server.log.since(mark)
                results = {
                    "third-party": rules.third_party_check(requested, self.server.origin),
                    "first visit": rules.weight_check(first, settings.family_first_visit_kb if family else None),
                    "vega": rules.vega_check(requested, bool(tab.evaluate(_VEGA_GLOBALS)), family),
                    "charts": rules.charts_check(tab.evaluate(_CHARTS)),
                }
            results.update(self._family_checks(tab, page))
            results.update(self._axe_and_shots(tab, page, shots))
            if printer is not None:
                with self._timed("print"):
                    results.update(printer(tab))
            if settings.dark_scheme:
                results.update(self._dark(tab, page, shots))
                shot = results["screenshots"]
                if settings.screenshots:
                    shot.details.append(screenshot_name(page, first_vp, "dark"))
                    shot.figure = str(len(shot.details))
            results.update(self._search(tab, page))  # last: what it opens and types is left on the page
        finally:
            with self._timed("context"):
                context.close()
        return results

    def _axe_and_shots(self, tab: Tab, page: Page, shots: Path) -> dict[str, Check]:
        """axe (injected once) and a full-page screenshot at each width."""
        results: dict[str, Check] = {}
        with self._timed("axe inject"):
            tab.evaluate(self.axe.axe_script)
        options = {"runOnly": {"type": "tag", "values": list(self.settings.axe_tags)}, "resultTypes": ["violations"]}
        for i, viewport in enumerate(self.settings.viewports):
            if i:
                with self._timed("resize"):
                    tab.set_viewport_size({"width": viewport.width, "height": viewport.height})
                    tab.evaluate(_SETTLE)  # let the layout settle and CSS transitions finish after the resize
            with self._timed(f"axe {viewport.width}"):
                response = tab.evaluate("options => axe.run(document, options)", options)
            results[f"axe {viewport.width}"] = rules.axe_check(response["violations"])
            with self._timed(f"layout {viewport.width}"):
                results[f"layout {viewport.width}"] = rules.layout_check(tab.evaluate(rules.LAYOUT_SCRIPT))
            if self.settings.screenshots:
                with self._timed(f"shot {viewport.width}"):
                    tab.screenshot(path=str(shots / screenshot_name(page, viewport)), full_page=True)
        if not self.settings.screenshots:  # no gate reads them: they are for people to look at
            results["screenshots"] = Check(None, "off", ["not taken (settings.screenshots is off)"])
            return results
        names = [screenshot_name(page, viewport) for viewport in self.settings.viewports]
        results["screenshots"] = Check(True, str(len(names)), names)
        return results

    def _dark(self, tab: Tab, page: Page, shots: Path) -> dict[str, Check]:
        """With the system switched to dark: the dark scheme, axe's colour rules and a screenshot at phone width.

        The page is not reloaded: the theme's automatic palette (the first one, which a first visit gets)
        follows the system's scheme while the page is open, so the switch shows it follows the system, and axe,
        injected on the first visit, runs again at once. A palette that does not follow it fails the check."""
        phone = self.settings.viewports[0]
        with self._timed("dark switch"):
            tab.set_viewport_size({"width": phone.width, "height": phone.height})
            tab.emulate_media(media="screen", color_scheme="dark")
            with suppress(PlaywrightTimeout):  # the scheme shown is reported below
                tab.wait_for_function(_DARK_SHOWN, timeout=_SWITCH_TIMEOUT_MS)
            tab.evaluate(_SETTLE)
        scheme = tab.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
        if scheme != "slate":
            return {"axe dark 390": Check(False, str(scheme), [
                f"with the system switched to dark, the page shows the {scheme!r} scheme, expected 'slate' "
                "(the first palette in mkdocs.yml must follow the system's scheme)"])}
        options = {"runOnly": {"type": "rule", "values": list(DARK_RULES)}, "resultTypes": ["violations"]}
        with self._timed("axe dark"):
            response = tab.evaluate("options => axe.run(document, options)", options)
        if self.settings.screenshots:
            with self._timed("shot dark"):
                tab.screenshot(path=str(shots / screenshot_name(page, phone, "dark")), full_page=True)
        return {"axe dark 390": rules.axe_check(response["violations"])}

    def _family_checks(self, tab: Tab, page: Page) -> dict[str, Check]:
        """At phone width, on a fresh load: the keyboard path to the content on every page; on family pages the
        icon arrays' text equivalents and the previous/next links."""
        settings = self.settings
        with self._timed("keyboard"):
            stops = fam.tab_stops(tab, settings.max_tabs_to_content + 12)
        results = {"keyboard": fam.keyboard_check(stops, settings.max_tabs_to_content, settings.min_focus_outline_px)}
        if not settings.is_family(page.url):
            return results
        results["icon text"] = fam.one_sentence_check(tab.evaluate(_CHARTS))
        if len(self._own_address(page)[1]) >= 2:  # a study's family page (not the family index)
            results["pager"] = fam.pager_check(fam.pager_links(tab))
        return results

    def _own_address(self, page: Page) -> tuple[str, list[str]]:
        """The page's translated site (``es``; "" for the English one) and its address inside that site, in parts."""
        parts = [p for p in page.url.split("/") if p]
        lang = parts[0] if parts and parts[0] in self.settings.translated_search_words else ""  # a translated twin
        return lang, parts[1:] if lang else parts

    def _search(self, tab: Tab, page: Page) -> dict[str, Check]:
        """From a study's family short version, search as a family would, in the page's language."""
        settings = self.settings
        lang, own = self._own_address(page)
        words = settings.translated_search_words[lang] if lang else settings.family_search_words
        if not settings.is_family(page.url) or len(own) != 2 or not words:  # no words: the engine's search is not
            return {}                                               # the one the family ordering works in (Zensical)
        with self._timed("search"):
            found = {word: fam.search(tab, word) for word in words}
        made_up = [f"{lang}/" * bool(lang) + p for p in fam.made_up_prefixes(tab)]
        return {"search": fam.search_check(found, f"{lang}/" * bool(lang) + settings.family_prefix,
                                           settings.search_never, made_up)}

    def repeat_visit(self, page: Page) -> Check:
        """The bytes of a visit in the warm context, whose cache holds the theme and the pages visited before."""
        assert self._warm_tab is not None, "use BrowserGates(warm=True) as a context manager"
        mark = self.server.log.mark()
        self._load(self._warm_tab, page.url)
        budget = self.settings.family_repeat_visit_kb if self.settings.is_family(page.url) else None
        return rules.weight_check(self.server.log.since(mark), budget)


def translated_homes(site_dir: Path) -> list[str]:
    """The home pages of the translated sites built inside this one (``es/``: its own theme files and search)."""
    return sorted(f"{d.name}/" for d in site_dir.iterdir()
                  if d.is_dir() and re.fullmatch(r"[a-z]{2}", d.name) and (d / "index.html").is_file())


def screenshot_name(page: Page, viewport: Viewport, scheme: str = "") -> str:
    """``families__<id>--390.png``: the page's address and the window width (and ``-dark`` in dark mode)."""
    return f"{page.slug}--{viewport.width}{'-' + scheme if scheme else ''}.png"
