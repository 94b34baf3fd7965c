"""Make a larger or smaller copy of a study's cohort, or a library of copies, for the benchmark.

Usage: python scripts/make_scaled_cohort.py --patients N [--studies K] [--seed S] [--source FOLDER] --out FOLDER

Patients are drawn from the source study (default: the demonstration cohort), seeded, and
given new ids (S00001, ...) that are consistent across patients.csv, visits.csv and events.csv; each patient's
visits and events come with them. Above the source's size a patient is drawn more than once: its k-th copy has every
date moved k days earlier (weeks, values and the intervals between dates unchanged), as no two children share every
date and value (the build refuses a copied child). ``--studies K`` writes K study folders (``<source-id>-s01``
...), each a different draw. The same arguments always give byte-identical files. The data are as synthetic as
the source.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from pathlib import Path

import pandas as pd

from evidence_site import schema

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT / "data" / "studies" / "example-clinic-records"
# each table's date columns, from the data contract
DATE_COLUMNS = {t.file.removesuffix(".csv"): [c.name for c in t.columns if c.type == "date"] for t in schema.TABLES}


def scale_study(source: Path, out: Path, patients: int, seed: int) -> None:
    """Write ``out`` (study.yml copied) with ``patients`` patients resampled from ``source``."""
    read = {name: pd.read_csv(source / f"{name}.csv", dtype=str, keep_default_na=False)
            for name in ("patients", "visits", "events")}
    ids = list(read["patients"]["patient_id"])
    rng = random.Random(seed)
    # Up to the source's size: without replacement (at the source's size, the same patients in a new order
    # with new ids, so every copy has the source's figures); above it, with replacement.
    drawn = rng.sample(ids, patients) if patients <= len(ids) else [rng.choice(ids) for _ in range(patients)]
    width = max(5, len(str(patients)))
    new_ids = [f"S{i + 1:0{width}d}" for i in range(patients)]
    seen: dict[str, int] = {}
    copy = []  # how many times each drawn patient was drawn before: its dates move that many days earlier
    for old in drawn:
        copy.append(seen.get(old, 0))
        seen[old] = copy[-1] + 1
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / "study.yml", out / "study.yml")
    for name in ("patients", "visits", "events"):
        frame = read[name]
        # each drawn patient's rows, in the source's order, by position (one take, not a frame per patient)
        rows_of = {pid: list(rows) for pid, rows in frame.groupby("patient_id", sort=False).indices.items()}
        taken = [(rows_of.get(old, []), new, k) for old, new, k in zip(drawn, new_ids, copy, strict=True)]
        frame = frame.take([i for rows, _, _ in taken for i in rows]).reset_index(drop=True)
        frame["patient_id"] = [new for rows, new, _ in taken for _ in rows]
        if any(copy):
            earlier = pd.to_timedelta([k for rows, _, k in taken for _ in rows], unit="D")
            for column in DATE_COLUMNS[name]:
                dates = pd.to_datetime(frame[column].where(frame[column] != ""), format="%Y-%m-%d")
                frame[column] = (dates - earlier).dt.strftime("%Y-%m-%d").fillna("")
        if name == "events":
            frame = frame.assign(event_id=[f"E{i + 1:07d}" for i in range(len(frame))])
        frame.to_csv(out / f"{name}.csv", index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, required=True, help="patients per study")
    parser.add_argument("--studies", type=int, default=1, help="number of study folders (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=16, help="random seed (default: %(default)s)")
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="study to resample (default: the demo)")
    parser.add_argument("--out", type=Path, required=True, help="folder of study folders to write")
    args = parser.parse_args(argv)
    for k in range(args.studies):
        folder = args.out / (f"{args.source.name}-s{k + 1:02d}" if args.studies > 1 else args.source.name)
        scale_study(args.source, folder, args.patients, args.seed * 1000 + k)
        print(f"wrote {folder} ({args.patients} patients)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
