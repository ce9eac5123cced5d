"""Raw-gate benchmark: the raw gate of a large load, timed against the landing of that same load.

    .venv/bin/python bench/gate_bench.py [--rows 1000000] [--seed 20250701]

In one run, on one scratch database (WAREHOUSE_URL's server, else the embedded PostgreSQL; dropped
afterwards): land the synthetic provincial CSV export with ingest.landing.loader.land_file (timed), then run
expectations.run_raw_gate on that load (timed) in a fresh subprocess, as an Airflow task would: it
imports Great Expectations, validates the load's dossiers and events with both raw suites in SQL
(GX's Postgres datasource, nothing pulled into pandas), samples offending keys, records the audit
rows and renders Data Docs (into a temporary site). The subprocess reports its own peak RSS, which
stays flat whatever the row count if the work is done in the database.

Target (issue 7): the raw gate <= 50 % of the landing time of the same load. The verdict is on the
gate's own work (run_raw_gate, timed after Great Expectations is imported): the import costs about
10 s once per process whatever the load size, and the nightly ingest task pays it once for all the
night's files. The ratio with the import counted is reported beside it.
The generated file is shared with bench/ingest_bench.py (.local/bench/).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_db import admin_url, drop_database, scratch_database  # noqa: E402
from ingest_bench import machine_facts, write_export  # noqa: E402  (the shared generator, bench/synthetic_export)

TARGET_RATIO = 0.5
RUN_ID = "bench__gate"


def land(url: str, path: Path) -> dict:
    from ingest.landing import loader

    started = time.perf_counter()
    result = loader.land_file(url, path, run_id=RUN_ID)
    seconds = time.perf_counter() - started
    if result.status != "loaded":
        raise SystemExit(f"landing did not load: {result.status}: {result.error}")
    with psycopg.connect(url) as conn:
        events = conn.execute("select count(*) from raw.portal_dossier_events where _load_id = %s",
                              (result.load_id,)).fetchone()[0]
    print(f"  landing: {result.rows_loaded:,} rows loaded, {result.rows_rejected:,} rejected, {events:,} events "
          f"in {seconds:.2f} s", file=sys.stderr)
    return {"load_id": result.load_id, "landing_seconds": seconds, "rows_read": result.rows_read,
            "rows_loaded": result.rows_loaded, "rows_rejected": result.rows_rejected, "event_rows": events}


def gate(url: str, load_id: int, workdir: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--gate-only", url, str(load_id), str(workdir)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"gate subprocess failed:\n{proc.stderr[-4000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  raw gate: {result['outcome']} ({result['expectations']} expectations in {len(result['suites'])} "
          f"suites) in {result['gate_seconds']:.2f} s + {result['import_seconds']:.2f} s importing Great "
          f"Expectations, peak RSS {result['peak_rss_mb']:.0f} MB", file=sys.stderr)
    return result


def gate_only(url: str, load_id: int, workdir: Path) -> None:
    """Runs in the subprocess: import GX, gate the load, print times, verdict and peak RSS as JSON."""
    started = time.perf_counter()
    import great_expectations  # noqa: F401  (timed on its own: every cold task pays it once)

    imported = time.perf_counter()
    from expectations import run_raw_gate

    result = run_raw_gate(url, load_id, RUN_ID, site_dir=workdir / "site", gx_root=workdir / "gx")
    finished = time.perf_counter()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(json.dumps({
        "import_seconds": imported - started, "gate_seconds": finished - imported, "outcome": result.outcome,
        "expectations": result.expectations, "suites": list(result.suite_names),
        "failed": [o.expectation_name for o in result.failed], "peak_rss_mb": peak_kb / 1024,
    }))


def report(results: dict) -> str:
    r = results
    warm, imported = r["gate"]["gate_seconds"], r["gate"]["import_seconds"]
    ratio_warm, ratio_cold = warm / r["landing_seconds"], (warm + imported) / r["landing_seconds"]
    machine = r["machine"]

    def verdict(ratio: float) -> str:
        return "met" if ratio <= TARGET_RATIO else "NOT met"

    return "\n".join([
        f"file: {r['rows']:,} rows, {r['file_mb']:.0f} MB ({r['file']}); loaded {r['rows_loaded']:,} dossiers "
        f"and {r['event_rows']:,} events, {r['rows_rejected']:,} rows rejected",
        f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB; Python {machine['python']}; "
        f"{machine['postgresql']} ({machine['warehouse']}); load average at start {machine['load_average']}",
        "",
        "| measurement | time | share of landing | target | result |",
        "|---|---|---|---|---|",
        f"| landing (`loader.land_file`) | {r['landing_seconds']:.2f} s | 100 % | | |",
        f"| raw gate (`run_raw_gate`: SQL checks, samples, audit rows, Data Docs) | {warm:.2f} s | {ratio_warm:.1%} "
        f"| <= 50 % | {verdict(ratio_warm)} |",
        f"| the same plus importing Great Expectations (once per process, any load size) | {warm + imported:.2f} s "
        f"| {ratio_cold:.1%} | (<= 50 %) | {verdict(ratio_cold)} |",
        f"| raw gate process peak RSS | {r['gate']['peak_rss_mb']:.0f} MB | | | |",
        "",
        f"gate: {r['gate']['outcome']}, {r['gate']['expectations']} expectations over suites "
        f"{', '.join(r['gate']['suites'])}" + (f"; failed: {', '.join(r['gate']['failed'])}" if r["gate"]["failed"]
                                              else ""),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="data rows in the generated export")
    parser.add_argument("--seed", type=int, default=20250701)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".local" / "bench")
    parser.add_argument("--gate-only", nargs=3, metavar=("URL", "LOAD_ID", "WORKDIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.gate_only:
        gate_only(args.gate_only[0], int(args.gate_only[1]), Path(args.gate_only[2]))
        return 0

    os.environ.setdefault("PARWH_PII_KEY", "bench-key-not-secret")
    path = args.data_dir / f"synthetic_provincial_{args.rows}_{args.seed}.csv"
    if not path.exists():
        print(f"writing {path} ...", file=sys.stderr)
        write_export(path, args.rows, args.seed)
    admin = admin_url()
    name, url = scratch_database(admin, "parwh_gate_bench")
    try:
        results: dict = {"rows": args.rows, "file_mb": path.stat().st_size / 2**20,
                         "file": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
                         "machine": machine_facts(url)}
        results.update(land(url, path))
        with tempfile.TemporaryDirectory(prefix="parwh-gate-bench-") as workdir:
            results["gate"] = gate(url, results["load_id"], Path(workdir))
    finally:
        drop_database(admin, name)
    text = report(results)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    (args.data_dir / "gate_results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
