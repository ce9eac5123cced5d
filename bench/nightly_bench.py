"""Nightly benchmark: the warehouse_nightly DAG (`airflow dags test`) against `parwh build`, side by side.

    .venv/bin/python bench/nightly_bench.py [--dossiers 2000] [--rounds 3]
    .venv/bin/python bench/nightly_bench.py --history 5000000 [--delivery 50000] [--rounds 2]

On one scratch database (WAREHOUSE_URL's server, else the embedded PostgreSQL; dropped afterwards)
with its own PARWH_HOME (landing, site, GX stores) and its own Airflow home (SQLite metadata):
1. data: by default the demo's data (`parwh sample --dossiers N`, landed with `parwh ingest`);
   with --history, the marts benchmark's history written straight into raw by SQL
   (bench/marts_bench.py) and its nightly delivery;
2. a first `parwh build` (untimed: it creates every table);
3. rounds: before each timed run a new delivery lands (untimed: a tenth of the demo's dossiers
   under another seed, or --delivery rows), then one of `parwh build --as-of D` and
   `airflow dags test warehouse_nightly` for a logical date judged at the same D, alternating which
   goes first from round to round, so both see the same amount of new data and the same machine.

Prints every timed run, the median of each and their ratio (nightly / build); exits 1 when the
ratio is over 1.5 (issue 17), 2 when a run failed. Results go to .local/bench/nightly_results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench_db import admin_url, drop_database, scratch_database  # noqa: E402

from ingest.runtime import airflow_env, dbt_runner  # noqa: E402

TARGET_RATIO = 1.5
RESULTS = HERE.parent / ".local" / "bench" / "nightly_results.json"
PII_KEY = "nightly-bench-key"
DEMO_AS_OF = date(2026, 11, 20)   # the sample's last receipt day (ingest.synthetic.sample.DEFAULT_UNTIL)


class RunFailed(RuntimeError):
    pass


def _environment(url: str, home: Path) -> dict[str, str]:
    env = airflow_env.airflow_environment(url, airflow_home=home / "airflow")
    env.update({"PARWH_HOME": str(home), "PARWH_PII_KEY": PII_KEY})
    return env


def _timed(label: str, command: list[str], env: dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as sink:
        code = subprocess.run(command, env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=HERE.parent).returncode
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.1f} s", flush=True)
    if code != 0:
        raise RunFailed(f"{label} exited {code}; log: {log}\n" + log.read_text(errors="replace")[-3000:])
    return seconds


def _parwh_build(env: dict[str, str], as_of: date, log: Path) -> float:
    command = [str(Path(sys.executable).with_name("parwh")), "build", "--as-of", as_of.isoformat()]
    return _timed("parwh build", command, env, log)


def _nightly(env: dict[str, str], as_of: date, round_number: int, log: Path) -> float:
    """The nightly judges the marts at the day before its logical date (Vietnam time): D + 1, 02:00,
    a minute later each round so every run is a new DAG run."""
    logical = datetime.combine(as_of + timedelta(days=1), datetime.min.time(), ZoneInfo("Asia/Ho_Chi_Minh"))
    logical += timedelta(hours=2, minutes=round_number)
    command = [*airflow_env.airflow_command(), "dags", "test", "warehouse_nightly", logical.isoformat()]
    seconds = _timed("nightly DAG (airflow dags test)", command, env, log)
    text = log.read_text(errors="replace")
    if "state=failed" in text or "Marking task as FAILED" in text:
        raise RunFailed(f"a nightly task failed; log: {log}")
    return seconds


def _land_sample(url: str, home: Path, dossiers: int, seed: int) -> None:
    from ingest.pipeline.ingest_batch import ingest_files
    from ingest.synthetic import sample

    files = sample.generate(home / "delivery" / f"seed_{seed}", dossiers, seed=seed, until=DEMO_AS_OF)
    os.environ["PARWH_PII_KEY"] = PII_KEY
    results = ingest_files(url, files, profile=None, province=None, dry_run=False, run_id=f"bench_seed_{seed}")
    bad = [r for r in results if r.status not in ("loaded", "duplicate")]
    if bad:
        raise RunFailed(f"sample files not loaded: {[(r.name, r.status, r.error) for r in bad]}")


def _deliver_history_batch(url: str, delivery: int) -> None:
    """The marts benchmark's nightly delivery, its file name freed afterwards so the next round's
    delivery (the same SQL) is a new load rather than a duplicate."""
    import marts_bench

    marts_bench._deliver(url, delivery)
    with psycopg.connect(url) as conn:
        conn.execute("update audit.loads set file_sha256 = file_sha256 || '-' || load_id,"
                     " file_name = 'delivery-' || load_id || '.csv' where file_sha256 = 'sha-delivery'")


def run(args: argparse.Namespace) -> dict:
    admin = admin_url()
    name, url = scratch_database(admin, "parwh_nightly_bench")
    home = Path(tempfile.mkdtemp(prefix="parwh_nightly_bench_"))
    env = _environment(url, home)
    logs = home / "logs"
    logs.mkdir()
    timings: dict[str, list[float]] = {"build": [], "nightly": []}
    try:
        if args.history:
            import marts_bench

            print(f"nightly benchmark: {args.history:,} dossiers of history, deliveries of {args.delivery:,}",
                  flush=True)
            dbt_runner.run_dbt(["seed"], url)
            marts_bench._write_history(url, args.history)
            as_of = date.fromisoformat(marts_bench.DELIVERY_DAY)
            deliver = lambda n: _deliver_history_batch(url, args.delivery)  # noqa: E731
        else:
            print(f"nightly benchmark: the demo's {args.dossiers:,} synthetic dossiers, "
                  f"{max(args.dossiers // 10, 1):,} more before each run", flush=True)
            _land_sample(url, home, args.dossiers, seed=1)
            as_of = DEMO_AS_OF
            deliver = lambda n: _land_sample(url, home, max(args.dossiers // 10, 1), seed=100 + n)  # noqa: E731
        dbt_runner.run_dbt(["parse"], url)   # the manifest the DAG's task group renders from
        airflow_env.migrate_metadata(env)
        print("  first build (untimed)", flush=True)
        _parwh_build(env, as_of, logs / "build_0.log")
        for round_number in range(1, args.rounds + 1):
            order = ("build", "nightly") if round_number % 2 else ("nightly", "build")
            for which in order:
                deliver(len(timings["build"]) + len(timings["nightly"]))
                log = logs / f"{which}_{round_number}.log"
                if which == "build":
                    timings["build"].append(_parwh_build(env, as_of, log))
                else:
                    timings["nightly"].append(_nightly(env, as_of, round_number, log))
        with psycopg.connect(url) as conn:
            nodes = conn.execute("select count(distinct unique_id) from audit.dbt_node_runs").fetchone()[0]
    finally:
        if args.keep:
            print(f"  kept the database {url} and {home}")
        else:
            drop_database(admin, name)
    build, nightly = statistics.median(timings["build"]), statistics.median(timings["nightly"])
    ratio = nightly / build
    results = {
        "data": f"history {args.history}, deliveries {args.delivery}" if args.history else f"demo {args.dossiers}",
        "rounds": args.rounds, "build_seconds": [round(t, 1) for t in timings["build"]],
        "nightly_seconds": [round(t, 1) for t in timings["nightly"]], "build_median": round(build, 1),
        "nightly_median": round(nightly, 1), "ratio": round(ratio, 2), "target_ratio": TARGET_RATIO,
        "met": ratio <= TARGET_RATIO, "dbt_nodes_audited": nodes, "load_average": os.getloadavg()[0],
    }
    print(f"  median: parwh build {build:.1f} s, nightly DAG {nightly:.1f} s; nightly / build = {ratio:.2f} "
          f"(target <= {TARGET_RATIO}): {'met' if results['met'] else 'NOT met'}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=2000, help="demo data size (default: the demo's 2,000)")
    parser.add_argument("--history", type=int, default=0, help="instead: the marts benchmark's history, e.g. 5000000")
    parser.add_argument("--delivery", type=int, default=None, help="with --history: rows per delivery (default 1 %%)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and home (logs)")
    args = parser.parse_args(argv)
    args.delivery = args.delivery or max(args.history // 100, 100)
    try:
        results = run(args)
    except RunFailed as exc:
        print(f"nightly benchmark: {exc}", file=sys.stderr)
        return 2
    return 0 if results["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
