"""Ingest benchmark: landing a large provincial CSV export, side by side with a bare COPY and to_sql.

    .venv/bin/python bench/ingest_bench.py [--rows 1000000] [--repeat 1] [--to-sql-rows 20000]

In one run, on the same file and the same PostgreSQL server (WAREHOUSE_URL, else the embedded one),
each in a scratch database that is dropped afterwards:

(a) bare COPY: the file's bytes through psycopg's COPY (format csv, header) into a table of 27 text
    columns, no keys, no indexes; the floor for getting these bytes into PostgreSQL;
(b) landing: ingest.landing.loader.land_file on the file (sha256, detection, mapping every row through the
    provincial profile, PII hashing, COPY into raw.portal_dossiers with its keys, rejected rows,
    supplement events, audit rows, one commit), in a subprocess that reports its own time and
    peak RSS (resource.getrusage maxrss);
(e) keyed COPY: the same bytes through COPY into a table keyed and indexed like raw.portal_dossiers
    (primary key on load and row, an index on the trimmed dossier code), nothing mapped: the floor
    for any loader that lands these rows in the raw table, however fast its mapping;
(c) pandas.DataFrame.to_sql (defaults, SQLAlchemy + psycopg2) of the first --to-sql-rows rows,
    compared per row.

Targets (issue 3): landing <= 1.5x bare COPY; landing rows/s >= 30x to_sql rows/s; peak RSS <= 400 MB.
The last line is the verdict; exit status 1 when a target is missed, 2 when the run failed.
With --repeat N, (a) and (b) run N times each and the best time counts (the machine is shared).
The generated file is kept in .local/bench/ for the next run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from bench_db import admin_url, drop_database, scratch_database  # noqa: E402
from synthetic_export import write_export  # noqa: E402

from ingest.runtime import warehouse  # noqa: E402
from ingest.synthetic.sample import CSV_HEADER  # noqa: E402

TARGET_VS_COPY = 1.5
TARGET_VS_TO_SQL = 30.0
TARGET_RSS_MB = 400.0


# ---- scratch databases ---------------------------------------------------------------------
def bare_copy(url: str, path: Path) -> float:
    columns = sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(f"c{i}")) for i in range(len(CSV_HEADER)))
    with psycopg.connect(url) as conn:
        conn.execute(sql.SQL("create table bare_copy ({})").format(columns))
        conn.commit()
        started = time.perf_counter()
        with conn.cursor().copy("copy bare_copy from stdin with (format csv, header true)") as copy, \
                path.open("rb") as source:
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
        rows = conn.execute("select count(*) from bare_copy").fetchone()[0]
    print(f"  bare COPY: {rows:,} rows in {seconds:.2f} s", file=sys.stderr)
    return seconds


def keyed_copy(url: str, path: Path) -> float:
    """(e): COPY into 27 text columns plus the raw table's keys and its dossier-code index (ingest/runtime/ddl)."""
    columns = [f"c{i}" for i in range(len(CSV_HEADER))]
    code = f"c{CSV_HEADER.index('Mã hồ sơ')}"
    with psycopg.connect(url) as conn:
        conn.execute(sql.SQL(
            "create table keyed_copy (_load_id bigint not null default 1, "
            "_row_number bigint generated always as identity, {}, primary key (_load_id, _row_number))"
        ).format(sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in columns)))
        conn.execute(sql.SQL("create index on keyed_copy ((nullif(trim({}), '')))").format(sql.Identifier(code)))
        conn.commit()
        started = time.perf_counter()
        copy_sql = sql.SQL("copy keyed_copy ({}) from stdin with (format csv, header true)").format(
            sql.SQL(", ").join(map(sql.Identifier, columns)))
        with conn.cursor().copy(copy_sql) as copy, path.open("rb") as source:
            while chunk := source.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
    print(f"  keyed COPY: {seconds:.2f} s", file=sys.stderr)
    return seconds


def raw_indexes(url: str) -> list[str]:
    """The indexes of raw.portal_dossiers as migrated, printed beside (e) so the two can be compared."""
    with psycopg.connect(url) as conn:
        return [row[0] for row in conn.execute(
            "select indexdef from pg_indexes where schemaname = 'raw' and tablename = 'portal_dossiers' order by 1")]


def landing(url: str, path: Path) -> dict:
    env = {**os.environ, "PARWH_PII_KEY": os.environ.get("PARWH_PII_KEY", "bench-key-not-secret")}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--land-only", url, str(path)],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        print(f"landing subprocess failed:\n{proc.stderr}", file=sys.stderr)
        raise SystemExit(2)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"  landing: {result['rows_loaded']:,} loaded, {result['rows_rejected']:,} rejected in "
          f"{result['seconds']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MB", file=sys.stderr)
    return result


def land_only(url: str, path: Path) -> None:
    """Runs in the subprocess: land the file, print time, counts and this process's peak RSS as JSON."""
    from ingest.landing import loader

    started = time.perf_counter()
    result = loader.land_file(url, path, run_id="bench")
    seconds = time.perf_counter() - started
    if result.status != "loaded":
        raise SystemExit(f"landing did not load: {result.status}: {result.error}")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss   # kilobytes on Linux
    print(json.dumps({"seconds": seconds, "rows_read": result.rows_read, "rows_loaded": result.rows_loaded,
                      "rows_rejected": result.rows_rejected, "peak_rss_mb": peak_kb / 1024}))


def to_sql(url: str, path: Path, rows: int) -> float:
    import pandas as pd
    from sqlalchemy import create_engine

    frame = pd.read_csv(path, dtype=str, nrows=rows, keep_default_na=False, encoding="utf-8")
    engine = create_engine(warehouse.sqlalchemy_url(url))
    try:
        started = time.perf_counter()
        frame.to_sql("to_sql_slice", engine, index=False, if_exists="replace")
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    print(f"  to_sql: {len(frame):,} rows in {seconds:.2f} s", file=sys.stderr)
    return seconds


# ---- report --------------------------------------------------------------------------------
def machine_facts(url: str) -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    with psycopg.connect(url) as conn:
        server = conn.execute("select version()").fetchone()[0].split(" on ")[0]
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(memory_gb, 1),
            "python": platform.python_version(), "postgresql": server,
            "warehouse": "WAREHOUSE_URL" if os.environ.get("WAREHOUSE_URL") else "embedded (Unix socket)",
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def missed_targets(results: dict) -> list[str]:
    """The targets this run missed, as the verdict line names them."""
    r = results
    vs_copy = r["landing_seconds"] / r["copy_seconds"]
    vs_to_sql = (r["rows"] / r["landing_seconds"]) / (r["to_sql_rows"] / r["to_sql_seconds"])
    checks = {f"(b) landing {vs_copy:.2f}x bare COPY (target <= {TARGET_VS_COPY}x)": vs_copy <= TARGET_VS_COPY,
              f"(c) landing {vs_to_sql:.1f}x to_sql per row (target >= {TARGET_VS_TO_SQL:.0f}x)":
                  vs_to_sql >= TARGET_VS_TO_SQL,
              f"(d) peak RSS {r['peak_rss_mb']:.0f} MB (target <= {TARGET_RSS_MB:.0f} MB)":
                  r["peak_rss_mb"] <= TARGET_RSS_MB}
    return [name for name, ok in checks.items() if not ok]


def report(results: dict) -> str:
    r = results
    vs_copy = r["landing_seconds"] / r["copy_seconds"]
    landing_rate = r["rows"] / r["landing_seconds"]
    to_sql_rate = r["to_sql_rows"] / r["to_sql_seconds"]
    vs_to_sql = landing_rate / to_sql_rate
    keyed_vs_copy = r["keyed_copy_seconds"] / r["copy_seconds"]
    copy_vs_to_sql = r["rows"] / r["copy_seconds"] / to_sql_rate
    missed = missed_targets(results)

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    lines = [
        f"`{r['command']}`, {r['started']}",
        f"file: {r['rows']:,} rows, {r['file_mb']:.0f} MB ({r['file']})",
        f"machine: {r['machine']['cpu']}, {r['machine']['cores']} cores, {r['machine']['memory_gb']} GB; "
        f"Python {r['machine']['python']}; {r['machine']['postgresql']} ({r['machine']['warehouse']}); "
        f"load average at start {r['machine']['load_average']}",
        "",
        "| measurement | time | rows/s | target | result |",
        "|---|---|---|---|---|",
        f"| (a) bare COPY into an all-text table | {r['copy_seconds']:.2f} s | {r['rows'] / r['copy_seconds']:,.0f} "
        "| | |",
        f"| (b) parwh landing (`loader.land_file`) | {r['landing_seconds']:.2f} s | {landing_rate:,.0f} | "
        f"<= {TARGET_VS_COPY}x COPY | {vs_copy:.2f}x: {verdict(vs_copy <= TARGET_VS_COPY)} |",
        f"| (c) `DataFrame.to_sql`, {r['to_sql_rows']:,}-row slice | {r['to_sql_seconds']:.2f} s "
        f"| {to_sql_rate:,.0f} | "
        f"landing >= {TARGET_VS_TO_SQL:.0f}x per row | {vs_to_sql:.0f}x: {verdict(vs_to_sql >= TARGET_VS_TO_SQL)} |",
        f"| (e) keyed COPY, nothing mapped | {r['keyed_copy_seconds']:.2f} s | "
        f"{r['rows'] / r['keyed_copy_seconds']:,.0f} | floor of any landing | {keyed_vs_copy:.2f}x bare COPY |",
        f"| (d) landing peak RSS | {r['peak_rss_mb']:.0f} MB | | <= {TARGET_RSS_MB:.0f} MB | "
        f"{verdict(r['peak_rss_mb'] <= TARGET_RSS_MB)} |",
        "",
        f"landing: {r['rows_loaded']:,} rows loaded, {r['rows_rejected']:,} rejected with reasons; "
        f"best of {r['repeat']} for (a), (b) and (e).",
        f"bare COPY itself is {copy_vs_to_sql:.0f}x to_sql per row; the keyed COPY (e) is "
        f"{keyed_vs_copy:.2f}x the bare COPY before any row is mapped.",
        "raw.portal_dossiers indexes: " + "; ".join(r.get("raw_indexes", [])),
        "verdict: " + ("every target met" if not missed else "targets NOT met: " + "; ".join(missed)),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="data rows in the generated export")
    parser.add_argument("--seed", type=int, default=20250701)
    parser.add_argument("--repeat", type=int, default=1, help="run (a), (b) and (e) this many times; the best counts")
    parser.add_argument("--to-sql-rows", type=int, default=20_000)
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".local" / "bench")
    parser.add_argument("--land-only", nargs=2, metavar=("URL", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.land_only:
        land_only(args.land_only[0], Path(args.land_only[1]))
        return 0

    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    path = args.data_dir / f"synthetic_provincial_{args.rows}_{args.seed}.csv"
    if not path.exists():
        print(f"writing {path} ...", file=sys.stderr)
        write_export(path, args.rows, args.seed)
    admin = admin_url()
    results: dict = {"command": shlex.join([".venv/bin/python", "bench/ingest_bench.py", *argv]), "started": started,
                     "rows": args.rows, "file": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
                     "file_mb": path.stat().st_size / 2**20, "repeat": args.repeat, "to_sql_rows": args.to_sql_rows}
    name, url = scratch_database(admin, "parwh_bench", migrated=False)
    try:
        results["machine"] = machine_facts(url)
    finally:
        drop_database(admin, name)
    copies, lands, keyed = [], [], []
    for _ in range(args.repeat):
        name, url = scratch_database(admin, "parwh_bench", migrated=False)
        try:
            copies.append(bare_copy(url, path))
        finally:
            drop_database(admin, name)
        name, url = scratch_database(admin, "parwh_bench", migrated=False)
        try:
            keyed.append(keyed_copy(url, path))
        finally:
            drop_database(admin, name)
        name, url = scratch_database(admin, "parwh_bench")
        try:
            results["raw_indexes"] = raw_indexes(url)
            lands.append(landing(url, path))
        finally:
            drop_database(admin, name)
    best = min(lands, key=lambda r: r["seconds"])
    results.update(copy_seconds=min(copies), keyed_copy_seconds=min(keyed),
                   landing_seconds=best["seconds"], rows_loaded=best["rows_loaded"],
                   rows_rejected=best["rows_rejected"], peak_rss_mb=max(r["peak_rss_mb"] for r in lands))
    name, url = scratch_database(admin, "parwh_bench", migrated=False)
    try:
        results["to_sql_seconds"] = to_sql(url, path, args.to_sql_rows)
    finally:
        drop_database(admin, name)
    text = report(results)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    (args.data_dir / "ingest_results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(text)
    return 1 if missed_targets(results) else 0


if __name__ == "__main__":
    sys.exit(main())
