"""Ending the build process at once after a success (evidence_site/exiting.py): nothing written is lost."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from evidence_site import paths
from evidence_site.exiting import files_open_for_writing


def _run(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(paths.ROOT / "scripts")!r})
        from pathlib import Path
        from evidence_site.exiting import finish
        out = Path({str(tmp_path / "out.txt")!r})
        """) + textwrap.dedent(body)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)


def test_a_file_held_open_for_writing_is_found_and_a_closed_or_read_only_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "held.txt"
    with path.open("w", encoding="utf-8") as held:
        held.write("x")
        assert str(path) in (files_open_for_writing() or [])
    assert str(path) not in (files_open_for_writing() or [])
    with path.open("r", encoding="utf-8"):
        assert str(path) not in (files_open_for_writing() or [])


def test_a_success_exits_at_once_with_its_log_and_closed_files_whole(tmp_path: Path) -> None:
    done = _run("""\
        out.write_text("written whole", encoding="utf-8")
        print("the last line of the log")  # buffered: the output is a pipe
        print("a warning", file=sys.stderr)
        finish(0)
        """, tmp_path)
    assert done.returncode == 0
    assert done.stdout == "the last line of the log\n"
    assert done.stderr == "a warning\n"
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "written whole"


def test_a_file_still_open_for_writing_makes_the_exit_a_normal_one_that_flushes_it(tmp_path: Path) -> None:
    done = _run("""\
        held = out.open("w", encoding="utf-8")
        held.write("buffered, not flushed")
        finish(0)
        """, tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == "buffered, not flushed"


def test_a_failure_keeps_its_exit_code(tmp_path: Path) -> None:
    done = _run("""\
        print("Build failed.", file=sys.stderr)
        finish(1)
        """, tmp_path)
    assert (done.returncode, done.stderr) == (1, "Build failed.\n")
