#!/usr/bin/env python3
"""Benchmark the real build command, run as a separate process, at several sizes (`make bench`).

    python scripts/bench.py [--runs 3] [--quick] [--out build]

For each size (libraries of 1, 10 and 50 studies of the demonstration cohort; one study of 48, 500 and 5,000
patients, resampled by scripts/make_scaled_cohort.py), a copy of the project (scripts/, templates/, docs/,
mkdocs.yml and the generated data) is made under build/bench/, and `python scripts/build.py site` is run in
it as a child process:

- cold:   build/cache, docs' generated pages and site/ removed first (the copy's Python code is compiled when the
          copy is made, as pip compiles an installed package and Python a module it imports, unless
          PYTHONDONTWRITEBYTECODE is set; the engine's and the other libraries' code is already compiled);
- warm:   run again with nothing changed (docs/ and site/ are as the last build left them, so the engine is not
          run: outputs.SiteRecord);
- forced: the same with `--force`, which runs the engine on the reused pages (what a warm build did before the
          engine could be skipped; the warm build's generation / engine is against this engine time);
- change: one value changed in one study (a CRP result in the first study's visits.csv), then built.

Measured per run: wall time, peak memory of the child process tree (RSS, from os.wait4), the engine's time
(printed by the build), generation = wall - engine (charts still being drawn, reading gates, numbers.json overlap it),
pages, bytes of site/ and of the largest page.
Median and spread (min-max) of --runs runs; results to build/bench.md and build/bench.json.
Page growth: each page's HTML in a library of N studies against the same page at 1 study (a page of the first
study against the demonstration study's page), the largest ratio and its page (target: at most 1.3x).
`--quick` (used by the tests) runs only the smallest size once, cold and warm.
`--preview` measures the live preview instead: `build.py serve` runs in a copy of the one-study project, one
week-8 activity score in visits.csv is saved (alternating between remission and not, so a printed count changes),
and the time from the save to the end of the rebuild the server logs (when it tells the browsers to reload; the
page's file changes earlier, while MkDocs builds, and its charts may be written later) is taken; the clinicians'
effectiveness page must then differ over HTTP.
"""

from __future__ import annotations

import argparse
import compileall
import itertools
import json
import os
import queue
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "studies" / "example-clinic-records"
LIBRARIES = (1, 10, 50)
COHORTS = (48, 500, 5000)
ENGINE_LINE = re.compile(r"engine (\w+): ([0-9.]+) s")
PAGE_GROWTH_MAX = 1.3  # issue 16: at 50 studies no page's HTML more than 1.3x its size at 1 study


def make_project(work: Path, studies: int, patients: int) -> Path:
    """A copy of the project with ``studies`` studies of ``patients`` patients each, under ``work``."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    shutil.copytree(ROOT / "scripts", work / "scripts", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    # compiled as an installed package is (pip compiles it; Python does at a first run, unless
    # PYTHONDONTWRITEBYTECODE is set, as on the machine this was written on): a cold build is cold in what the build
    # makes, not in Python's compiled code, which every other library and the engine have already
    compileall.compile_dir(work / "scripts", quiet=1)
    shutil.copytree(ROOT / "templates", work / "templates")
    shutil.copytree(ROOT / "docs", work / "docs", ignore=lambda d, names: [
        n for n in names if Path(d) == ROOT / "docs" and n in ("families", "clinicians", "reference", "index.md")])
    shutil.copy2(ROOT / "mkdocs.yml", work / "mkdocs.yml")
    (work / "data" / "studies").mkdir(parents=True)
    # redirects.yml points at the demonstration study's pages: only a project with that study id keeps it
    for name in ("releases.yml", "site.yml", *(("redirects.yml",) if studies == 1 else ())):
        if (ROOT / "data" / name).exists():
            shutil.copy2(ROOT / "data" / name, work / "data" / name)
    for name in ("vocab", "medicines"):  # the shared data every study is read with
        shutil.copytree(ROOT / "data" / name, work / "data" / name)
    if studies == 1 and patients == 48:
        shutil.copytree(DEMO, work / "data" / "studies" / DEMO.name)
    else:
        subprocess.run([sys.executable, str(ROOT / "scripts" / "make_scaled_cohort.py"), "--patients", str(patients),
                        "--studies", str(studies), "--out", str(work / "data" / "studies")],
                       check=True, capture_output=True)
    return work


def clear(work: Path) -> None:
    for path in (work / "build", work / "site", *(work / "docs" / n for n in ("families", "clinicians", "reference"))):
        shutil.rmtree(path, ignore_errors=True)
    (work / "docs" / "index.md").unlink(missing_ok=True)


def change_one_value(work: Path, step: int) -> None:
    """Change one CRP value in the first study's visits.csv (a different value each step)."""
    visits = sorted((work / "data" / "studies").iterdir())[0] / "visits.csv"
    lines = visits.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    col = header.index("crp_mg_l")
    for i in range(1, len(lines)):
        cells = lines[i].rstrip("\n").split(",")
        if cells[col]:
            cells[col] = f"{1.0 + (step % 7) * 0.1:.1f}"
            lines[i] = ",".join(cells) + "\n"
            break
    visits.write_text("".join(lines), encoding="utf-8")


def run_build(work: Path, engine: str, force: bool = False) -> dict[str, float]:
    """One `build.py site` as a child process: wall seconds, engine seconds (0 when the build found nothing to
    build), peak RSS (MB)."""
    env = os.environ | {"PYTHONPATH": str(work / "scripts"), "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, str(work / "scripts" / "build.py"), "site", "--engine", engine,
               *(("--force",) if force else ())]
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"build failed in {work}:\n{output[-3000:]}")
    engine_runs = [float(m.group(2)) for m in ENGINE_LINE.finditer(output)]  # one per site (a translated twin too)
    engine_s = sum(engine_runs) if engine_runs else 0.0 if "nothing to build" in output else float("nan")
    cache = re.search(r"cache: (\d+) entries reused, (\d+) computed(?: \(([^)]*)\))?", output)
    reused, computed = (int(cache.group(1)), int(cache.group(2))) if cache else (-1, -1)
    studies = len(cache.group(3).split(", ")) if cache and cache.group(3) else (0 if cache else -1)
    whole = re.search(r"no input changed since the last build: reused its (\d+) generated files", output)
    if whole:  # outputs.py: the last build's whole output reused, nothing generated
        reused, computed, studies = int(whole.group(1)), 0, 0
    return {"wall": wall, "engine": engine_s, "generation": wall - engine_s, "rss_mb": usage.ru_maxrss / 1024,
            "reused": reused, "computed": computed, "studies_computed": studies}


def site_size(site: Path) -> dict[str, float]:
    files = [p for p in site.rglob("*") if p.is_file()]
    pages = [p for p in files if p.suffix == ".html"]
    return {"pages": len(pages), "site_bytes": sum(p.stat().st_size for p in files),
            "largest_page_bytes": max((p.stat().st_size for p in pages), default=0)}


def page_sizes(work: Path) -> dict[str, int]:
    """Bytes of each HTML page, by its path in site/ with the first study's id written as <study>, and counted
    with that id written as <study> in the page too: the one-study library's study (the demonstration's id) and
    a larger library's first study (``<id>-s01``) then compare like with like, page for page and link for link."""
    first = sorted((work / "data" / "studies").iterdir())[0].name
    return {"/".join("<study>" if part == first else part for part in p.relative_to(work / "site").parts):
            len(p.read_bytes().replace(first.encode(), b"<study>")) for p in (work / "site").rglob("*.html")}


def page_growth(base: dict[str, int], grown: dict[str, int]) -> tuple[float, str, list[str]]:
    """The largest ratio of a page's bytes in ``grown`` to the same page in ``base``, that page, and every page
    above PAGE_GROWTH_MAX (with its ratio)."""
    ratios = sorted(((grown[k] / base[k], k) for k in base.keys() & grown.keys() if base[k]), reverse=True)
    if not ratios:
        return float("nan"), "", []
    return ratios[0][0], ratios[0][1], [f"{k} {r:.2f}x" for r, k in ratios if r > PAGE_GROWTH_MAX]


def summarise(runs: list[dict[str, float]]) -> dict[str, float | list[float]]:
    out: dict[str, float | list[float]] = {}
    for key in ("wall", "engine", "generation", "rss_mb"):
        values = [r[key] for r in runs]
        out[key] = statistics.median(values)
        out[f"{key}_min"], out[f"{key}_max"] = min(values), max(values)
    out["ratio"] = out["generation"] / out["engine"] if out["engine"] else float("nan")
    out["computed"] = runs[-1]["computed"]
    out["studies_computed"] = runs[-1]["studies_computed"]
    out["reused"] = runs[-1]["reused"]
    return out


def bench(sizes: list[tuple[int, int, tuple[str, ...]]], runs: int, out: Path, engine: str) -> list[dict]:
    rows = []
    one_study: dict[str, int] = {}  # page sizes of the one-study library (48 patients), for page growth
    for studies, patients, modes in sizes:
        work = make_project(out / "bench" / f"s{studies}-p{patients}", studies, patients)
        results: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
        for r in range(runs):
            clear(work)
            for mode in modes:  # cold, then warm, then change: alternating within each run
                if mode == "change":
                    change_one_value(work, r)
                results[mode].append(run_build(work, engine, force=mode == "forced"))
                print(f"  {studies} studies x {patients} patients, {mode}, run {r + 1}: "
                      f"{results[mode][-1]['wall']:.2f} s", flush=True)
        size: dict = site_size(work / "site")
        if patients == 48:
            pages = page_sizes(work)
            if studies == 1:
                one_study = pages
            elif one_study:
                growth, page, above = page_growth(one_study, pages)
                size |= {"page_growth": growth, "page_growth_page": page, "pages_above_target": above}
        summaries = {mode: summarise(results[mode]) for mode in modes}
        if "forced" in summaries and summaries["warm"]["engine"] == 0:  # the engine was not run: against the
            # engine's time on the same pages (the forced build), as the target reads
            summaries["warm"]["ratio"] = summaries["warm"]["generation"] / summaries["forced"]["engine"]
            summaries["warm"]["ratio_against"] = "forced"
        for mode in modes:
            rows.append({"studies": studies, "patients": patients, "mode": mode, "engine": engine, "runs": runs,
                         **summaries[mode], **size})
        shutil.rmtree(work, ignore_errors=True)
    return rows


def table(rows: list[dict]) -> str:
    head = ("| studies | patients | mode | wall s (min–max) | generation s | engine s | generation / engine "
            "| peak RSS MB | recomputed | pages | site MB | largest page KB |\n|" + "---|" * 12 + "\n")
    body = "".join(
        f"| {r['studies']} | {r['patients']} | {r['mode']} | {r['wall']:.2f} ({r['wall_min']:.2f}–{r['wall_max']:.2f}) "
        f"| {r['generation']:.2f} | {'not run' if r['engine'] == 0 else format(r['engine'], '.2f')} "
        f"| {r['ratio']:.2f}×{' (against forced)' if r.get('ratio_against') else ''} | {r['rss_mb']:.0f} "
        f"| {r['studies_computed'] if r['studies_computed'] >= 0 else '?'} studies "
        f"| {r['pages']} | {r['site_bytes'] / 1e6:.1f} | {r['largest_page_bytes'] / 1e3:.0f} |\n" for r in rows)
    return head + body


def costs(rows: list[dict]) -> str:
    lines = []
    cold = {(r["studies"], r["patients"]): r for r in rows if r["mode"] == "cold"}
    for (s, p), r in sorted(cold.items()):
        if p == 48:
            lines.append(f"- {s} studies, cold: generation {r['generation'] / s:.2f} s per study, engine "
                         f"{1000 * r['engine'] / r['pages']:.0f} ms per page, "
                         f"largest page {r['largest_page_bytes'] / 1e3:.0f} KB")
            if "page_growth" in r:
                above = r["pages_above_target"]
                lines.append(f"  - page growth against 1 study: at most {r['page_growth']:.2f}× "
                             f"({r['page_growth_page']}); "
                             + (f"{len(above)} page(s) above {PAGE_GROWTH_MAX}×: {', '.join(above[:8])}"
                                + (", …" if len(above) > 8 else "") if above
                                else f"no page above {PAGE_GROWTH_MAX}×"))
    lines += added_costs([r for (_, p), r in sorted(cold.items()) if p == 48])
    for (s, p), r in sorted(cold.items()):
        if s == 1:
            lines.append(f"- 1 study of {p} patients, cold: generation {r['generation']:.2f} s "
                         f"({1000 * r['generation'] / p:.1f} ms per patient)")
    return "\n".join(lines) + "\n"


def added_costs(cold: list[dict]) -> list[str]:
    """What each study added to a cold build costs, between consecutive library sizes (``cold``: the cold rows of
    48-patient libraries, smallest first): seconds of generation per added study and milliseconds of engine per
    added page. The per-study and per-page figures above divide the whole build, fixed costs included (imports,
    start-up, the shared pages), so they fall as the library grows; these say whether the cost of one more study
    stays flat (target: within ±30% of each other)."""
    per_study, per_page, lines = [], [], []
    for a, b in itertools.pairwise(cold):
        per_study.append((b["generation"] - a["generation"]) / (b["studies"] - a["studies"]))
        line = (f"- from {a['studies']} to {b['studies']} studies, cold: each added study {per_study[-1]:.2f} s "
                "of generation")
        if b["pages"] > a["pages"]:
            per_page.append(1000 * (b["engine"] - a["engine"]) / (b["pages"] - a["pages"]))
            line += f", each added page {per_page[-1]:.0f} ms of engine"
        lines.append(line)
    for name, values in (("generation per added study", per_study), ("engine per added page", per_page)):
        if len(values) > 1 and min(values) > 0:
            mean = statistics.fmean(values)
            lines.append(f"  - {name}: at most {100 * max(abs(v / mean - 1) for v in values):.0f}% from their "
                         "mean (target: within 30%)")
    return lines


def _fetch(url: str) -> bytes | None:
    """The page's article (MkDocs' live-reload script differs on every request, so the whole page always would)."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            page = response.read()
    except OSError:
        return None
    start, end = page.find(b"<article"), page.find(b"</article>")
    return page[start:end] if 0 <= start < end else None


def toggle_week8_score(work: Path) -> None:
    """The first patient's week-8 activity score, between a remission value and a flare value."""
    visits = sorted((work / "data" / "studies").iterdir())[0] / "visits.csv"
    lines = visits.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    week, score = header.index("week"), header.index("activity_score")
    for i in range(1, len(lines)):
        cells = lines[i].rstrip("\n").split(",")
        if cells[week] == "8":
            cells[score] = "60" if cells[score] != "60" else "5"
            lines[i] = ",".join(cells) + "\n"
            break
    visits.write_text("".join(lines), encoding="utf-8")


def preview(runs: int, out: Path) -> dict[str, float]:
    """Median seconds from saving one value to the live preview's rebuild ending (its browsers told to reload)."""
    work = make_project(out / "bench" / "preview", 1, 48)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {"PYTHONPATH": str(work / "scripts"), "NO_MKDOCS_2_WARNING": "1", "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([sys.executable, str(work / "scripts" / "build.py"), "serve", "--port", str(port)],
                              cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    said: queue.Queue[tuple[float, str]] = queue.Queue()  # the server's lines, with when each came

    def read() -> None:
        for line in server.stdout or ():
            said.put((time.perf_counter(), line))

    threading.Thread(target=read, daemon=True).start()
    study = sorted((work / "data" / "studies").iterdir())[0].name
    url = f"http://127.0.0.1:{port}/clinicians/{study}/effectiveness/"
    times: list[float] = []
    try:
        deadline = time.monotonic() + 120
        while _fetch(url) is None:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the preview server did not start")
            time.sleep(0.2)
        time.sleep(2)  # let the first build settle
        for r in range(runs):
            before = _fetch(url)
            while not said.empty():
                said.get_nowait()
            toggle_week8_score(work)
            started = time.perf_counter()
            # Done when the rebuild has finished (the preview then tells the browsers to reload): the page's file
            # changes before that, while MkDocs is still building, and its charts may be written after it.
            while True:
                try:
                    when, line = said.get(timeout=max(0.1, 60 - (time.perf_counter() - started)))
                except queue.Empty:
                    raise SystemExit("the preview did not rebuild within 60 s") from None
                if "site built in" in line:
                    break
            if _fetch(url) in (None, before):
                raise SystemExit(f"the preview rebuilt but {url} did not change: {line.strip()}")
            times.append(when - started)
            print(f"  preview, one value saved, run {r + 1}: {times[-1]:.2f} s", flush=True)
            time.sleep(1.5)  # the reload after the page changed finishes before the next save
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return {"runs": runs, "median": statistics.median(times), "min": min(times), "max": max(times)}


def _size(text: str) -> tuple[int, int]:
    """"50x5000" -> (50 studies, 5000 patients each)."""
    studies, _, patients = text.strip().lower().partition("x")
    if not (studies.isdigit() and patients.isdigit() and int(studies) > 0 and int(patients) > 0):
        raise SystemExit(f"--sizes: expected STUDIESxPATIENTS such as 50x5000, found {text!r}")
    return int(studies), int(patients)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per size and mode (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="only the smallest size, once, cold and warm")
    parser.add_argument("--preview", action="store_true", help="measure the live preview's save-to-page time")
    parser.add_argument("--engine", default="mkdocs", choices=("mkdocs", "zensical"))
    parser.add_argument("--out", type=Path, default=ROOT / "build", help="where bench.md and bench.json go")
    parser.add_argument("--libraries", default=",".join(map(str, LIBRARIES)),
                        help="numbers of studies (48 patients each) (default: %(default)s)")
    parser.add_argument("--cohorts", default=",".join(map(str, COHORTS)),
                        help="patients in one study (default: %(default)s)")
    parser.add_argument("--sizes", default="",
                        help="instead of --libraries/--cohorts: STUDIESxPATIENTS sizes, cold and warm "
                             "(e.g. 50x5000, the issue's peak-memory size)")
    args = parser.parse_args(argv)
    if not (DEMO / "study.yml").is_file():  # every size is made from it (make_scaled_cohort.py resamples it)
        raise SystemExit(f"bench.py builds copies of the made-up demonstration study, and {DEMO} is missing "
                         "(a project that replaced it). Run the benchmark in a fresh clone of the generator, or "
                         "restore the folder: git checkout -- data/studies/example-clinic-records")
    args.out = args.out.resolve()  # the child builds run in their own folders
    if args.preview:
        args.out.mkdir(parents=True, exist_ok=True)
        result = preview(args.runs, args.out)
        text = (f"# Live preview ({result['runs']} saves)\n\nsave-to-updated-page: median {result['median']:.2f} s "
                f"(min {result['min']:.2f}, max {result['max']:.2f})\n")
        (args.out / "bench-preview.md").write_text(text, encoding="utf-8")
        (args.out / "bench-preview.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(text)
        return 0
    libraries = [int(n) for n in args.libraries.split(",") if n]
    cohorts = [int(n) for n in args.cohorts.split(",") if n]
    if args.quick:
        sizes, runs = [(1, 48, ("cold", "warm"))], 1
    elif args.sizes:
        sizes, runs = [(*_size(text), ("cold", "warm", "forced")) for text in args.sizes.split(",") if text], args.runs
    else:
        all_modes = ("cold", "warm", "forced", "change")
        sizes = [(n, 48, all_modes if n <= 10 else ("cold", "warm", "forced")) for n in libraries]
        sizes += [(1, p, ("cold", "warm", "forced")) for p in cohorts if p != 48 or 1 not in libraries]
        runs = args.runs
    args.out.mkdir(parents=True, exist_ok=True)
    rows = bench(sizes, runs, args.out, args.engine)
    text = (f"# Build benchmark ({args.engine}; {runs} run(s) each; median, min–max)\n\n"
            "Each run is `python scripts/build.py site` as a separate process in a copy of the project. "
            "generation = wall − engine (imports, validation, summaries, charts, pages, reading gate, writing, "
            "start-up and shutdown; charts still being drawn, the reading gates and numbers.json overlap the "
            "engine, so they count only where they outlast it). "
            "warm: nothing changed, and docs/ and site/ as the last build left them, so the engine is not run; "
            "its ratio is its whole time against the engine's time in `forced` (the same build with --force, which "
            "runs the engine on the same pages). "
            "recomputed: studies whose summaries and charts were not in the cache.\n\n"
            + table(rows) + "\n" + costs(rows))
    (args.out / "bench.md").write_text(text, encoding="utf-8")
    (args.out / "bench.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
