#!/usr/bin/env python3
"""What changed: compare the published numbers and pages of two builds (``make diff BASE=<ref>``).

    numbers_diff.py --base origin/main          build <ref> in a git worktree and the working tree, compare
    numbers_diff.py --old-site A --new-site B   compare two sites that are already built
    ... --release-summary                       print a data/releases.yml entry instead of the report

The report is always written to build/numbers-diff.md (or --out).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from evidence_site import paths
from evidence_site.diff import diff_numbers, diff_pages, release_summary, render_report
from evidence_site.errors import BuildError
from evidence_site.releases import fingerprint_of
from evidence_site.snapshot import Snapshot, build_at_ref, build_here, read_site


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--base", metavar="REF", help="git ref to compare the working tree with, e.g. origin/main")
    source.add_argument("--old-site", type=Path, metavar="DIR", help="an already built 'before' site")
    parser.add_argument("--new-site", type=Path, metavar="DIR", help="with --old-site: the 'after' site")
    parser.add_argument("--root", type=Path, default=paths.ROOT, help="the repository (default: this checkout)")
    parser.add_argument("--out", type=Path, help="report file (default: <root>/build/numbers-diff.md)")
    parser.add_argument("--release-summary", action="store_true",
                        help="print a releases.yml entry (date, fingerprint, one-line summary) instead of the report")
    args = parser.parse_args(argv)
    if args.old_site and not args.new_site:
        parser.error("--old-site needs --new-site")
    return args


def snapshots(args: argparse.Namespace) -> tuple[Snapshot, Snapshot, str, str]:
    """(before, after, before label, after label), building what needs building."""
    if args.old_site:
        for site in (args.old_site, args.new_site):
            if not site.is_dir():
                raise BuildError(f"{site}: no such directory (expected a built site, e.g. site/)")
        return read_site(args.old_site), read_site(args.new_site), str(args.old_site), str(args.new_site)
    root = args.root.resolve()
    print(f"Building {args.base} in a worktree under build/diff-base ...", file=sys.stderr)
    before = build_at_ref(root, args.base, root / "build" / "diff-base", sys.executable)
    print("Building the working tree ...", file=sys.stderr)
    after = build_here(root, sys.executable)
    return before, after, args.base, "the working tree"


def release_entry(summary: str, after: Snapshot) -> str:
    """A YAML entry ready to paste into data/releases.yml."""
    fingerprint = fingerprint_of(after.numbers) or "<fill in: the fingerprint shown on the site>"
    return (f"  - date: {dt.date.today().isoformat()}\n"
            f"    fingerprint: {json.dumps(fingerprint, ensure_ascii=False)}\n"
            f"    summary: {json.dumps(summary, ensure_ascii=False)}\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        before, after, before_label, after_label = snapshots(args)
    except BuildError as exc:
        print(exc, file=sys.stderr)
        return 1
    if after.numbers is None:
        print(f"The 'after' site has no {paths.NUMBERS_JSON}: nothing to compare.", file=sys.stderr)
        return 1
    try:
        numbers = diff_numbers(before.numbers, after.numbers)
    except BuildError as exc:  # a numbers.json of a schema this generator cannot read
        print(exc, file=sys.stderr)
        return 1
    pages = diff_pages(before.pages, after.pages)
    report = render_report(numbers, pages, base_label=before_label, head_label=after_label, base_note=before.note)
    out = args.out or args.root / "build" / "numbers-diff.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    if args.release_summary:
        print(release_entry(release_summary(numbers, pages), after), end="")
    else:
        print(report, end="")
        print(f"(written to {out})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
