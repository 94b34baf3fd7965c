"""Files put in a staged folder once: linked to the last build's copy only when that is the same plain file."""

from __future__ import annotations

import os
from pathlib import Path

from evidence_site.placing import Previous, replace_bytes


def _staged(tmp_path: Path) -> tuple[Path, Path]:
    last, stage = tmp_path / "last", tmp_path / "stage"
    (last / "a").mkdir(parents=True)
    (stage / "a").mkdir(parents=True)
    return last, stage


def test_a_file_with_the_same_bytes_is_linked_and_any_other_is_written(tmp_path: Path) -> None:
    last, stage = _staged(tmp_path)
    (last / "a" / "same.html").write_bytes(b"same")
    (last / "a" / "changed.html").write_bytes(b"before")
    previous = Previous(last)
    previous.place(stage / "a" / "same.html", "a/same.html", b"same")
    previous.place(stage / "a" / "changed.html", "a/changed.html", b"after")
    previous.place(stage / "a" / "new.html", "a/new.html", b"new")
    assert os.path.samefile(stage / "a" / "same.html", last / "a" / "same.html")
    assert not os.path.samefile(stage / "a" / "changed.html", last / "a" / "changed.html")
    assert (stage / "a" / "changed.html").read_bytes() == b"after"
    assert (last / "a" / "changed.html").read_bytes() == b"before"
    assert (stage / "a" / "new.html").read_bytes() == b"new"
    assert (previous.linked, previous.written) == (1, 2)


def test_an_empty_file_is_never_linked_and_a_replaced_file_leaves_the_last_build_as_it_was(tmp_path: Path) -> None:
    """An empty file is a chart's placeholder, filled later: its own file. A staged file is changed by replacing
    it, so a link to the last build's file never changes that file."""
    last, stage = _staged(tmp_path)
    (last / "a" / "chart.svg").write_bytes(b"")
    (last / "a" / "page.html").write_bytes(b"page")
    previous = Previous(last)
    previous.place(stage / "a" / "chart.svg", "a/chart.svg", b"")
    previous.place(stage / "a" / "page.html", "a/page.html", b"page")
    assert not os.path.samefile(stage / "a" / "chart.svg", last / "a" / "chart.svg")
    replace_bytes(stage / "a" / "page.html", b"fixed")
    assert (stage / "a" / "page.html").read_bytes() == b"fixed" and (last / "a" / "page.html").read_bytes() == b"page"


def test_nothing_outside_the_last_build_is_read_or_linked(tmp_path: Path) -> None:
    """A link in the last build's folder (to a file, or a folder leading out of it) is never followed, and a
    path that climbs out is refused: the file is written."""
    last, stage = _staged(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.html").write_bytes(b"secret")
    (last / "a" / "link.html").symlink_to(outside / "secret.html")
    (last / "out").symlink_to(outside, target_is_directory=True)
    previous = Previous(last)
    previous.place(stage / "a" / "link.html", "a/link.html", b"secret")
    (stage / "out").mkdir()
    previous.place(stage / "out" / "secret.html", "out/secret.html", b"secret")
    previous.place(stage / "a" / "up.html", "../outside/secret.html", b"secret")
    assert previous.linked == 0
    for made in (stage / "a" / "link.html", stage / "out" / "secret.html", stage / "a" / "up.html"):
        assert not made.is_symlink() and not os.path.samefile(made, outside / "secret.html")


def test_without_a_last_build_every_file_is_written(tmp_path: Path) -> None:
    stage = tmp_path / "stage"
    stage.mkdir()
    previous = Previous(tmp_path / "missing")
    previous.place(stage / "page.html", "page.html", b"page")
    assert (stage / "page.html").read_bytes() == b"page" and previous.written == 1


def test_a_file_whose_permissions_a_new_file_would_not_have_is_written(tmp_path: Path) -> None:
    """A link shares its file's permissions: under a stricter umask, the last build's readable file is not linked."""
    last, stage = _staged(tmp_path)
    (last / "a" / "page.html").write_bytes(b"page")
    umask = os.umask(0o077)
    try:
        previous = Previous(last)
        previous.place(stage / "a" / "page.html", "a/page.html", b"page")
    finally:
        os.umask(umask)
    assert previous.linked == 0 and (stage / "a" / "page.html").stat().st_mode & 0o077 == 0


def test_a_last_build_folder_that_is_a_link_or_a_file_with_another_name_is_never_linked_to(tmp_path: Path) -> None:
    """site/ made a link to a folder served elsewhere, or a page hard-linked from outside: the new build shares no
    file with them (a later edit there would change the site)."""
    last, stage = _staged(tmp_path)
    (last / "a" / "page.html").write_bytes(b"page")
    (tmp_path / "site").symlink_to(last, target_is_directory=True)
    through_link = Previous(tmp_path / "site")
    through_link.place(stage / "a" / "page.html", "a/page.html", b"page")
    os.link(last / "a" / "page.html", tmp_path / "outside.html")
    twice_named = Previous(last)
    twice_named.place(stage / "a" / "again.html", "a/page.html", b"page")
    assert through_link.linked == twice_named.linked == 0
    assert (stage / "a" / "page.html").stat().st_nlink == (stage / "a" / "again.html").stat().st_nlink == 1
