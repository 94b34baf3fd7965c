"""Every path the generator uses, and nothing else. Imports nothing from the project."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
STUDIES = DATA / "studies"
TEMPLATES = ROOT / "templates"
THEME_OVERRIDES = TEMPLATES / "theme"
DOCS = ROOT / "docs"
SITE = ROOT / "site"
BUILD = ROOT / "build"
MKDOCS_YML = ROOT / "mkdocs.yml"

# Folders under docs/ that the generator owns. They are rebuilt as a whole on
# every build and git-ignored; everything else under docs/ is hand-written.
GENERATED_DOCS = ("families", "clinicians", "reference", "es")  # es: the Spanish twins (pages.yml `languages`)
# the same, as messages name them: "families/, clinicians/, reference/ and es/"
GENERATED_FOLDERS = ", ".join(f"{n}/" for n in GENERATED_DOCS[:-1]) + f" and {GENERATED_DOCS[-1]}/"
ASSETS = "assets"  # hand-written files every site needs (stylesheets), copied into each translated site

NUMBERS_JSON = "numbers.json"  # written at the root of site/
# Folders of the running system, not of files: what a link there leads to can change, or never end, when read.
SYSTEM_FOLDERS = ("/proc", "/sys", "/dev")


def within(real: str, folder: str) -> bool:
    """Whether the real (resolved) path ``real`` is ``folder`` or lies in it."""
    return real == folder or real.startswith(folder.rstrip("/") + "/")


def system_folder(real: str) -> str | None:
    """The folder of ``SYSTEM_FOLDERS`` that the real (resolved) path ``real`` is or lies in; None if none."""
    return next((f for f in SYSTEM_FOLDERS if within(real, f)), None)


def study_dir(study_id: str, studies: Path = STUDIES) -> Path:
    return studies / study_id
