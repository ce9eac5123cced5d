"""Raw-gate benchmark: what the raw gate adds to a file's cost in the DAG that lands it.

    .venv/bin/python bench/gate_bench.py [--rows 1000000] [--seed 20250701]

portal_ingest lands each file in a task of its own (`load_portal_file`, mapped: one task instance,
one fresh process, per file), and that task calls ingest.pipeline.ingest_batch.load_portal_file:
land the file, run the raw gate on the load (which imports Great Expectations: the process has
not), file the landing file away. This benchmark runs exactly that call in a fresh process per
file, on a scratch database (WAREHOUSE_URL's server, else the embedded PostgreSQL; dropped
afterwards) with a PARWH_HOME of its own (so the gate renders Data Docs into a new site, every
suite page included), and times its parts from inside: the landing (loader.land_path), the raw
gate (run_raw_gate, of which importing Great Expectations is timed apart) and the whole call.
The process reports its own peak RSS.

Target (issue 7): the raw gate, Great Expectations' import included since every file's task pays
it, takes <= 50 % of the landing time of the same load. Exit status 1 when the target is missed,
2 when the run itself failed. The generated file is shared with bench/ingest_bench.py
(.local/bench/). Results go to .local/bench/gate_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_db import admin_url, drop_database, scratch_database  # noqa: E402
from ingest_bench import machine_facts, write_export  # noqa: E402  (the shared generator, bench/synthetic_export)

TARGET_RATIO = 0.5
RUN_ID = "bench__gate"


def file_task(url: str, path: Path) -> None:
    """Runs in the fresh process: the portal_ingest task's call for one file, its parts timed.
    Prints the timings, the load's counts and the process's peak RSS as JSON."""
    started = time.perf_counter()
    from ingest.landing import loader
    from ingest.pipeline import ingest_batch

    assert "great_expectations" not in sys.modules, "a task process starts without Great Expectations"
    timings: dict[str, float] = {}
    land_path, run_raw_gate = loader.land_path, ingest_batch.run_raw_gate

    def timed_land_path(*args, **kwargs):
        begun = time.perf_counter()
        try:
            return land_path(*args, **kwargs)
        finally:
            timings["landing_seconds"] = time.perf_counter() - begun

    def timed_gate(*args, **kwargs):
        begun = time.perf_counter()
        import great_expectations  # noqa: F401  (run_raw_gate would import it here; timed apart)

        timings["import_seconds"] = time.perf_counter() - begun
        try:
            return run_raw_gate(*args, **kwargs)
        finally:
            timings["gate_seconds"] = time.perf_counter() - begun

    loader.land_path, ingest_batch.run_raw_gate = timed_land_path, timed_gate
    imported = time.perf_counter()
    [load] = ingest_batch.load_portal_file(url, path, RUN_ID)
    finished = time.perf_counter()
    with psycopg.connect(url) as conn:
        events = conn.execute("select count(*) from raw.portal_dossier_events where _load_id = %s",
                              (load.load_id,)).fetchone()[0]
        gate = conn.execute("select gate_outcome from audit.loads where load_id = %s", (load.load_id,)).fetchone()[0]
        expectations = conn.execute("select coalesce(sum(expectations), 0) from audit.validation_runs"
                                    " where load_id = %s", (load.load_id,)).fetchone()[0]
    print(json.dumps({
        **timings, "import_modules_seconds": imported - started, "task_seconds": finished - imported,
        "status": load.status, "error": load.error, "rows_loaded": load.rows_loaded,
        "rows_rejected": load.rows_rejected, "event_rows": events, "gate_outcome": gate,
        "expectations": expectations, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def run_file_task(url: str, source: Path, workdir: Path) -> dict:
    """One file through the task's call in a fresh process, with landing/ and the rest under workdir."""
    landing = workdir / "landing"
    landing.mkdir()
    delivered = landing / source.name
    try:
        os.link(source, delivered)        # the task moves it to archive/; the shared file stays
    except OSError:
        shutil.copyfile(source, delivered)
    env = {**os.environ, "PARWH_HOME": str(workdir), "WAREHOUSE_URL": url,
           "PARWH_PII_KEY": os.environ.get("PARWH_PII_KEY", "bench-key-not-secret")}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--file-task", url, str(delivered)],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        print(f"the file's task failed:\n{proc.stderr[-4000:]}", file=sys.stderr)
        raise SystemExit(2)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    if result["status"] != "loaded":
        print(f"the file did not load: {result['status']}: {result['error']}", file=sys.stderr)
        raise SystemExit(2)
    print(f"  task: landing {result['landing_seconds']:.2f} s, raw gate {result['gate_seconds']:.2f} s (of which "
          f"importing Great Expectations {result['import_seconds']:.2f} s), whole call {result['task_seconds']:.2f} s",
          file=sys.stderr)
    return result


def verdict(results: dict) -> tuple[float, bool]:
    ratio = results["task"]["gate_seconds"] / results["task"]["landing_seconds"]
    return ratio, ratio <= TARGET_RATIO


def report(results: dict) -> str:
    r, t, machine = results, results["task"], results["machine"]
    ratio, met = verdict(results)
    work = t["gate_seconds"] - t["import_seconds"]
    landing = t["landing_seconds"]
    return "\n".join([
        f"`{r['command']}`, {r['started']}",
        f"file: {r['rows']:,} rows, {r['file_mb']:.0f} MB ({r['file']}); loaded {t['rows_loaded']:,} dossiers "
        f"and {t['event_rows']:,} events, {t['rows_rejected']:,} rows rejected",
        f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB; Python {machine['python']}; "
        f"{machine['postgresql']} ({machine['warehouse']}); load average at start {machine['load_average']}",
        "",
        "| one file's task (`ingest_batch.load_portal_file`, fresh process) | time | share of landing | target |",
        "|---|---|---|---|",
        f"| landing (`loader.land_path`) | {landing:.2f} s | 100 % | |",
        f"| raw gate (`run_raw_gate`), Great Expectations' import included | {t['gate_seconds']:.2f} s "
        f"| **{ratio:.1%}** | <= 50 % |",
        f"| of which importing Great Expectations | {t['import_seconds']:.2f} s "
        f"| {t['import_seconds'] / landing:.1%} | |",
        f"| of which the gate's own work (SQL checks, samples, audit rows, Data Docs) | {work:.2f} s "
        f"| {work / landing:.1%} | |",
        f"| the whole call (landing, gate, filing away, statistics) | {t['task_seconds']:.2f} s | | |",
        f"| the task process's peak RSS | {t['peak_rss_mb']:.0f} MB | | |",
        "",
        f"gate: {t['gate_outcome']}, {t['expectations']} expectations",
        f"verdict: raw gate {ratio:.1%} of the landing: target (<= 50 %) {'met' if met else 'NOT met'}",
    ])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="data rows in the generated export")
    parser.add_argument("--seed", type=int, default=20250701)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".local" / "bench")
    parser.add_argument("--file-task", nargs=2, metavar=("URL", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.file_task:
        file_task(args.file_task[0], Path(args.file_task[1]))
        return 0

    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    path = args.data_dir / f"synthetic_provincial_{args.rows}_{args.seed}.csv"
    if not path.exists():
        print(f"writing {path} ...", file=sys.stderr)
        write_export(path, args.rows, args.seed)
    admin = admin_url()
    name, url = scratch_database(admin, "parwh_gate_bench")
    try:
        results: dict = {"command": shlex.join([".venv/bin/python", "bench/gate_bench.py", *argv]),
                         "started": started, "rows": args.rows, "file_mb": path.stat().st_size / 2**20,
                         "file": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
                         "machine": machine_facts(url)}
        with tempfile.TemporaryDirectory(prefix="parwh-gate-bench-", dir=args.data_dir) as workdir:
            results["task"] = run_file_task(url, path, Path(workdir))
    finally:
        drop_database(admin, name)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    (args.data_dir / "gate_results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(report(results))
    return 0 if verdict(results)[1] else 1


if __name__ == "__main__":
    sys.exit(main())
