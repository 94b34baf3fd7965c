"""Build a site (here, or at another git ref in a worktree) and read back what ``diff`` compares.

The I/O half of ``make diff``: :mod:`evidence_site.diff` stays pure. A :class:`Snapshot` holds a built
site's ``numbers.json`` and the visible text of every page, keyed by site-relative URL.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from .errors import BuildError

NUMBERS_JSON = "numbers.json"
BLOCK_TAGS = {"p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "div", "section", "table", "br", "dt", "dd",
              "figcaption", "blockquote", "pre"}
SKIPPED_DIRS = {"assets", "search"}


@dataclass
class Snapshot:
    """What one build published: its numbers (None when it wrote no numbers.json) and page texts."""

    numbers: dict[str, Any] | None
    pages: dict[str, str] = field(default_factory=dict)
    note: str = ""  # why the snapshot is empty or partial, for the report


class _ArticleText(HTMLParser):
    """Collect the text of the first <article> (Material's page body), else of <body>, one block per line."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.article: list[str] = []
        self.body: list[str] = []
        self._article_depth = 0
        self._article_done = False
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1
        if tag == "article" and not self._article_done:
            self._article_depth += 1
        if tag in BLOCK_TAGS:
            self._emit("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1
        if tag in BLOCK_TAGS:
            self._emit("\n")
        if tag == "article" and self._article_depth:
            self._article_depth -= 1
            self._article_done = self._article_depth == 0

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self._emit(data)

    def _emit(self, text: str) -> None:
        self.body.append(text)
        if self._article_depth:
            self.article.append(text)


def page_text(html: str) -> str:
    """The visible text of a built page's content (navigation and scripts left out), whitespace-normalised."""
    parser = _ArticleText()
    parser.feed(html)
    parser.close()
    raw = "".join(parser.article or parser.body)
    lines = (" ".join(line.split()) for line in raw.splitlines())
    return "\n".join(line for line in lines if line)


def page_url(relative: Path) -> str:
    """'families/x/index.html' -> 'families/x/'; 'index.html' -> ''; '404.html' -> '404.html'."""
    posix = relative.as_posix()
    if posix == "index.html":
        return ""
    return posix[: -len("index.html")] if posix.endswith("/index.html") else posix


def read_site(site_dir: Path, note: str = "") -> Snapshot:
    """Read ``numbers.json`` and every HTML page of a built site (assets and search index skipped)."""
    numbers_path = site_dir / NUMBERS_JSON
    numbers = json.loads(numbers_path.read_text(encoding="utf-8")) if numbers_path.is_file() else None
    pages = {}
    for path in sorted(site_dir.rglob("*.html")):
        relative = path.relative_to(site_dir)
        if relative.parts[0] in SKIPPED_DIRS:
            continue
        pages[page_url(relative)] = page_text(path.read_text(encoding="utf-8", errors="replace"))
    return Snapshot(numbers, pages, note)


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"git {' '.join(args)} failed in {root}:\n{result.stderr.strip()}")
    return result.stdout.strip()


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def build_site(root: Path, python: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``<python> scripts/build.py site`` with ``root`` as the working directory."""
    return subprocess.run([python, "scripts/build.py", "site"], cwd=root, env=env, capture_output=True, text=True)


def build_here(root: Path, python: str) -> Snapshot:
    """Build the working tree's site and read it; a failed build is an error (the change does not build)."""
    result = build_site(root, python)
    if result.returncode != 0:
        raise BuildError(f"Building the working tree failed (exit {result.returncode}):\n"
                         f"{_tail(result.stdout + result.stderr)}")
    return read_site(root / "site")


def resolve_ref(root: Path, ref: str) -> str:
    """The full commit id of ``ref``, or a BuildError naming the ref."""
    try:
        return _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except BuildError:
        raise BuildError(f"Unknown git ref {ref!r}: expected a branch, tag or commit, e.g. BASE=origin/main or "
                         "BASE=HEAD~1. In a shallow CI checkout, fetch with fetch-depth: 0.") from None


def build_at_ref(root: Path, ref: str, worktree: Path, python: str) -> Snapshot:
    """Check ``ref`` out into a temporary git worktree, build its site with its own code, and read it.

    The base's own ``scripts/`` is put first on PYTHONPATH so its package is used, not this checkout's
    editable install. A base without ``scripts/build.py``, or whose build fails, gives an empty snapshot
    with a note (every value then shows as added) rather than stopping the report.
    """
    commit = resolve_ref(root, ref)
    _remove_worktree(root, worktree)
    worktree.parent.mkdir(parents=True, exist_ok=True)
    _git(root, "worktree", "add", "--detach", str(worktree), commit)
    try:
        label = f"{ref} ({commit[:10]})"
        if not (worktree / "scripts" / "build.py").is_file():
            return Snapshot(None, {}, f"The base {label} has no scripts/build.py (first release): "
                                      "every value is listed as added.")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(worktree / "scripts"), env.get("PYTHONPATH")) if p)
        result = build_site(worktree, python, env)
        if result.returncode != 0:
            return Snapshot(None, {}, f"The base {label} could not be built (exit {result.returncode}), so every "
                                      "value is listed as added. Its build said:\n>\n> "
                            + _tail(result.stdout + result.stderr, 8).replace("\n", "\n> "))
        snapshot = read_site(worktree / "site")
        if snapshot.numbers is None:
            snapshot.note = (f"The base {label} published no numbers.json (first release): "
                             "every value is listed as added.")
        return snapshot
    finally:
        _remove_worktree(root, worktree)


def _remove_worktree(root: Path, worktree: Path) -> None:
    """Remove a worktree left by this or an earlier run (ignoring one that is not there)."""
    subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=root, capture_output=True)
    if worktree.exists():
        shutil.rmtree(worktree)
    subprocess.run(["git", "worktree", "prune"], cwd=root, capture_output=True)
