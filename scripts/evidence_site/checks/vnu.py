"""HTML validity with the Nu Html Checker (npm ``vnu-jar``, run by Java), errors only.

The jar is installed on first use with ``npm install --prefix build/tools vnu-jar@<pinned>`` (it ships
inside the npm package, so nothing else is downloaded). One run checks the whole site.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from .settings import VNU_FILTER, VNU_JAR_VERSION


class ToolMissing(RuntimeError):
    """Raised by ``ensure_vnu`` when npm or Java is not installed; the message says how to install it."""


def jar_path(tools_dir: Path) -> Path:
    """Where npm puts the checker's jar under ``tools_dir``."""
    return tools_dir / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def installed_version(tools_dir: Path) -> str:
    """The installed vnu-jar version ("" when it is not installed)."""
    manifest = tools_dir / "node_modules" / "vnu-jar" / "package.json"
    if not manifest.is_file():
        return ""
    return str(json.loads(manifest.read_text(encoding="utf-8")).get("version", ""))


def ensure_vnu(tools_dir: Path, version: str = VNU_JAR_VERSION) -> Path:
    """The checker's jar at the pinned version, installing it with npm when missing or different."""
    if shutil.which("java") is None:
        raise ToolMissing("Java is needed for the Nu Html Checker: apt-get install -y default-jre-headless")
    if installed_version(tools_dir) != version:
        npm = shutil.which("npm")
        if npm is None:
            raise ToolMissing(f"npm is needed to install vnu-jar@{version}: apt-get install -y npm")
        tools_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--prefix", str(tools_dir), "--no-audit", "--no-fund", "--save-exact",
                        "--loglevel=error", f"vnu-jar@{version}"], check=True)
    return jar_path(tools_dir)


def parse_messages(output: str, site_dir: Path) -> dict[Path, list[str]]:
    """The checker's JSON output -> error lines ("line N: message") per file."""
    errors: dict[Path, list[str]] = {}
    for message in json.loads(output or '{"messages": []}').get("messages", []):
        if message.get("type") not in ("error", "non-document-error"):
            continue
        url = str(message.get("url", ""))
        file = Path(re.sub(r"^file:(//)?", "", url)) if url else site_dir
        where = f"line {message['lastLine']}: " if "lastLine" in message else ""
        errors.setdefault(file.resolve(), []).append(where + str(message.get("message", "")))
    return errors


def validate(jar: Path, site_dir: Path, filter_pattern: str = VNU_FILTER) -> dict[Path, list[str]]:
    """Every unfiltered HTML error in ``site_dir``, per file (absent files have none)."""
    command = ["java", "-jar", str(jar), "--errors-only", "--skip-non-html", "--format", "json",
               "--filterpattern", filter_pattern, str(site_dir)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):
        raise RuntimeError(f"The Nu Html Checker failed (exit {done.returncode}): {done.stderr[-2000:]}")
    return parse_messages(done.stderr, site_dir)
