"""Write the synthetic demonstration cohort (patients.csv, visits.csv, events.csv) for the demo study.

Usage: python scripts/make_demo_cohort.py [--seed N] [--out FOLDER]
The data are invented; see scripts/demo_cohort.py. The same seed always gives byte-identical files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # demo_cohort.py (and the package) sit beside this script
import demo_cohort

from evidence_site import schema
from evidence_site.paths import STUDIES

DEFAULT_OUT = STUDIES / "example-clinic-records"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=20260124, help="random seed (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="study folder (default: %(default)s)")
    args = parser.parse_args(argv)
    frames = demo_cohort.make_cohort(seed=args.seed)
    demo_cohort.write_cohort(frames, args.out)
    for key, table in zip(("patients", "visits", "events"), schema.TABLES, strict=True):
        print(f"wrote {args.out / table.file} ({len(frames[key])} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
