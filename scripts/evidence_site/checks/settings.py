"""Settings of the publication gates: one declarative table, each value documented in place."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths

# Output and tool locations (all under build/, which is git-ignored).
TOOLS = paths.BUILD / "tools"
SCREENSHOTS = paths.BUILD / "screenshots"
REPORT = paths.BUILD / "site-report.md"

CHROMIUM = Path("/usr/bin/chromium")
# Launch flags: without the background-networking ones Chromium keeps trying to reach the network.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Belt and braces: no host name resolves, so a third-party request is recorded but never leaves the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)

# The Nu Html Checker, installed with `npm install --prefix build/tools vnu-jar@<version>`.
VNU_JAR_VERSION = "26.9.27"
# Material's search form carries attributes the checker rejects (`autocomplete` on the search <input>
# and <form>); these errors are known and harmless. This pattern filters them and nothing else.
VNU_FILTER = r".*[Aa]ttribute .autocomplete. .*"

# axe-core rule tags: WCAG 2.0/2.1 A and AA, plus Deque's best practices.
AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice")

KB = 1000  # bytes in a kilobyte, as budgets and the report count them


@dataclass(frozen=True)
class Viewport:
    """A browser window size the pages are checked and photographed at."""

    name: str
    width: int
    height: int


PHONE = Viewport("phone", 390, 844)
DESKTOP = Viewport("desktop", 1280, 900)


@dataclass(frozen=True)
class Settings:
    """What the gates check against. Every field has a default; the command line can override the budgets."""

    site_dir: Path = paths.SITE
    # Gzipped bytes a family page may transfer on a first visit (empty cache).
    family_first_visit_kb: float = 150
    # Gzipped bytes a family page may transfer on a repeat visit (theme CSS and JS cached from another page).
    family_repeat_visit_kb: float = 40
    # URL prefix (relative to the site root) of the pages the weight budgets and the Vega rule apply to.
    family_prefix: str = "families/"
    # Path pattern (fnmatch: * also matches /) of printable handouts, relative to the site root: a study's
    # (families/<id>/handout/), a medicine's (families/topics/<medicine>/handout/) and their translated twins.
    handout_glob: str = "*families/*/handout/index.html"
    # Of those, the handouts that may print on both sides of one sheet (two pages): a medicine's, which gives a
    # finding and the side effects of every published study, so grows with them; a study's prints on one page.
    two_sided_glob: str = "*families/topics/*/handout/index.html"
    # The public address of the site; QR codes must encode site_url + "families/<id>/".
    # Empty: read it from the home page's <link rel="canonical">, which MkDocs writes from mkdocs.yml.
    site_url: str = ""
    viewports: tuple[Viewport, ...] = (PHONE, DESKTOP)
    # Colour schemes axe checks each page in at phone width (Material's palette follows the system setting).
    dark_scheme: bool = True
    # Words a family types into search from the family short version; the first result must be a family page.
    # Empty: no search check (Zensical's search is its own interface, which search-audience.js does not order).
    family_search_words: tuple[str, ...] = ("acne", "infection", "blood test", "pregnancy", "stop")
    # The same from a translated site's short versions (<lang>/families/<id>/), in that language: the first result
    # must be one of its family pages (<lang>/families/...), never its home page or another site's page.
    translated_search_words: dict[str, tuple[str, ...]] = field(default_factory=lambda: {
        "es": ("granos", "infección", "embarazo", "remisión", "estudios")})  # estudios also finds the Spanish home
    # Pages search must never offer (relative to the site root): the developers' Data format page.
    search_never: tuple[str, ...] = ("reference/data-format/",)
    # Keyboard on a phone: Tab presses from the top of a page to its own content, and the focus outline.
    max_tabs_to_content: int = 8
    min_focus_outline_px: float = 2
    # Greyscale contrast between the handout's two kinds of child figure (solid and outlined).
    min_icon_contrast: float = 3
    axe_tags: tuple[str, ...] = AXE_TAGS
    # Full-page screenshots (light at each width, dark at phone width) in screenshots_dir, for people to look at:
    # no gate reads them, so a run whose screenshots nobody keeps (a test's temporary folder) can turn them off.
    screenshots: bool = True
    # Browsers checking pages side by side (each page in a fresh context; the repeat visits run in one more).
    browser_workers: int = 2
    # The pages the browser checks run on, by address (None: every page). Links and HTML are always checked on
    # every page. ``pages.one_of_each_kind`` picks a page of each kind, for a second engine's copy of a site
    # whose every page the first engine's gates check.
    browser_pages: frozenset[str] | None = None
    screenshots_dir: Path = SCREENSHOTS
    report_path: Path = REPORT
    tools_dir: Path = TOOLS
    chromium: Path = CHROMIUM
    chromium_args: tuple[str, ...] = field(default=CHROMIUM_ARGS)

    def is_family(self, url: str) -> bool:
        """True for the pages that the family budgets and the no-Vega rule apply to (translated twins included:
        ``es/families/...``, and a translated site's home ``es/``)."""
        return url.startswith(self.family_prefix) or re.match(r"^[a-z]{2}/(?:$|" + re.escape(self.family_prefix) + ")",
                                                              url) is not None
