"""Debian's Chromium driven by Playwright; and a plain statement of what is missing when it cannot run.

``playwright install`` cannot download browsers on the build machines, so Playwright is pointed at
the system Chromium (``apt-get install -y chromium``), started headless with the network-quiet flags.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .settings import VNU_JAR_VERSION, Settings
from .vnu import installed_version

if TYPE_CHECKING:
    from playwright.sync_api import Browser


def missing_tools(settings: Settings) -> list[str]:
    """What the browser gates need and this machine lacks, each with how to get it (empty: all there)."""
    missing = []
    if not settings.chromium.is_file():
        missing.append(f"Chromium at {settings.chromium} (install it with: apt-get install -y chromium)")
    for module, package in (("playwright", "playwright"), ("axe_playwright_python", "axe-playwright-python"),
                            ("pypdfium2", "pypdfium2"), ("zxingcpp", "zxing-cpp")):
        if importlib.util.find_spec(module) is None:
            missing.append(f"the Python package {package} (install with: pip install -r scripts/requirements.lock)")
    if shutil.which("java") is None:
        missing.append("Java, for the Nu Html Checker (install it with: apt-get install -y default-jre-headless)")
    if installed_version(settings.tools_dir) != VNU_JAR_VERSION and shutil.which("npm") is None:
        missing.append(f"npm, to install the Nu Html Checker vnu-jar@{VNU_JAR_VERSION} into {settings.tools_dir} "
                       "(install it with: apt-get install -y npm)")
    return missing


@contextmanager
def launch(settings: Settings) -> Iterator[Browser]:
    """One headless Chromium for the whole run (starting it is the slow part), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(settings.chromium), headless=True, args=list(settings.chromium_args))
        try:
            yield browser
        finally:
            browser.close()

