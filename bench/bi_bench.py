"""BI benchmark: every query in bi/queries/ against millions of dossiers, run as bi_reader, as
users meet it right after the nightly build.

    .venv/bin/python bench/bi_bench.py [--dossiers 5000000] [--repeat 3] [--keep]

In a scratch database on the warehouse server (WAREHOUSE_URL, else the embedded one), dropped
afterwards:

1. the warehouse is migrated and dbt seeds and runs every model on empty raw tables, so the marts
   have their real columns, constraints, grants, the seeded dim_province / bridge_province_2025,
   and the BI indexes, which are post-hooks of fct_dossiers_base (dbt_project/macros/bi_index.sql);
2. SQL generate_series fills marts.fct_dossiers_base (the table under the view fct_dossiers) with
   --dossiers synthetic rows (63 old provinces received over 2023-01 .. 2026-11, each read on the
   list in force at receipt, 400 procedures, 3,000 agencies, outcomes roughly as the portal
   reports them), plus dim_procedure, dim_agency, province_scorecard on both province lists and
   fct_service_index (provinces and agencies by month);
3. what the nightly does after its dbt build for BI: ingest.runtime.dbt_runner.vacuum_marts (the
   same call, from ingest.pipeline.rebuild_marts.gate), nothing more;
4. each bi/queries/*.sql runs over a connection logged in as bi_reader
   (`parwh warehouse url --role bi_reader`): once cold, then --repeat more times.

Target (issue 9): every query answers in < 1 s at 5M dossiers. A query meets it when every one of
its runs, the cold one included, took < 1 s; a query that fails to run misses it. The last line is
the verdict; exit status 1 when a query missed the target. Results go to
.local/bench/bi_results.json.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench_db import admin_url, drop_database, scratch_database  # noqa: E402
from ingest_bench import machine_facts  # noqa: E402

from ingest.runtime import dbt_runner, migrate, warehouse  # noqa: E402

QUERIES = ROOT / "bi" / "queries"
TARGET_SECONDS = 1.0
AS_OF = "2026-11-20"

FILL_DIMENSIONS = """
insert into marts.dim_procedure (procedure_id, procedure_name, field_name, statutory_limit_value,
    statutory_limit_unit, statutory_limit_working_days, has_fee, is_in_catalogue, dossier_count)
select format('1.%s', lpad(n::text, 6, '0')), format('Thủ tục tổng hợp %s', n), format('Lĩnh vực %s', n % 25),
       1 + n % 30, 'working_days', 1 + n % 30, n % 3 = 0, true, 0
from generate_series(0, 399) as n;

insert into marts.dim_agency (agency_id, province_key, gso_code, list_version, agency_name, level, dossier_count)
select format('A%s', n), bridge.new_province_key, bridge.new_gso_code, '2025', format('Cơ quan tổng hợp %s', n),
       (array['province', 'commune'])[1 + n % 2], 0
from generate_series(0, 2999) as n
inner join (select row_number() over (order by old_gso_code) - 1 as position, * from marts.bridge_province_2025)
    as bridge on bridge.position = n % 63;
"""

# One row per dossier; the outcome mix follows the portal's published reports roughly: 80 %
# finished (most early), 4 % overdue, 6 % in progress, the rest refused or withdrawn.
FILL_DOSSIERS = """
select setseed(0.20250701);
insert into marts.fct_dossiers_base (dossier_id, gso_code, list_version, gso_code_2025, province_key,
    province_key_2025, procedure_code, agency_code, load_id, submitted_at, received_at, due_at, finished_at,
    clock_start_date, working_days_used, paused_working_days, supplement_count, statutory_limit_working_days, outcome,
    is_finished, is_overdue_at_as_of, status_code, channel, online_level, is_paid_online, fee_amount,
    has_digitised_components, has_electronic_result, loaded_at)
select
    format('BENCH-%s', n),
    case when received_at >= '2025-07-01 00:00+07' then bridge.new_gso_code else bridge.old_gso_code end,
    case when received_at >= '2025-07-01 00:00+07' then '2025' else '2004' end,
    bridge.new_gso_code,
    case when received_at >= '2025-07-01 00:00+07' then bridge.new_province_key else bridge.old_province_key end,
    bridge.new_province_key,
    format('1.%s', lpad(procedure_number::text, 6, '0')),
    format('A%s', (n * 7919) % 3000),
    1,
    received_at,
    received_at,
    received_at + make_interval(days => (1.4 * limit_days)::integer),
    case when outcome_draw < 0.80 then received_at + make_interval(days => days_used) end,
    received_at::date,
    days_used,
    0,
    0,
    limit_days,
    case when outcome_draw < 0.55 then 'early' when outcome_draw < 0.67 then 'on_time'
         when outcome_draw < 0.80 then 'late' when outcome_draw < 0.84 then 'overdue'
         when outcome_draw < 0.90 then 'in_progress' end,
    outcome_draw < 0.80 or outcome_draw >= 0.90,
    outcome_draw >= 0.80 and outcome_draw < 0.84,
    case when outcome_draw < 0.80 then 10 when outcome_draw < 0.90 then 4 else 3 end,
    1 + n % 3,
    (array['full_online', 'partial_online', 'not_online'])[1 + n % 3],
    n % 4 = 0,
    0,
    n % 2 = 0,
    n % 5 = 0,
    now()
from (
    select
        n,
        timestamptz '2023-01-01 08:00+07' + random() * interval '1414 days' as received_at,
        random() as outcome_draw,
        (n * 31) % 400 as procedure_number,
        1 + ((n * 31) % 400) % 30 as limit_days,
        floor(random() * 1.6 * (1 + ((n * 31) % 400) % 30))::integer as days_used,
        n % 63 as territory
    from generate_series(1::bigint, {dossiers}) as n
) as drawn
inner join (select row_number() over (order by old_gso_code) - 1 as position, * from marts.bridge_province_2025)
    as bridge on bridge.position = drawn.territory;
"""

# Composite index scores on both lists for a province scorecard: eight yearly editions of four
# indices, published on the 63-province list and derived onto the 34-province one.
FILL_SCORECARD = """
insert into marts.province_scorecard (province_scorecard_id, province_key, gso_code, list_version, province_name,
    edition_year, pci_total, pci_is_derived, papi_total, papi_is_derived, par_index_total, par_index_is_derived,
    sipas_total, sipas_is_derived, has_derived_values)
select provinces.province_key || '|' || year, provinces.province_key, provinces.gso_code, provinces.list_version,
       provinces.province_name, year, 60 + random() * 10, provinces.list_version = '2025', 40 + random() * 10,
       provinces.list_version = '2025', 80 + random() * 10, provinces.list_version = '2025', 80 + random() * 10,
       provinces.list_version = '2025', provinces.list_version = '2025'
from marts.dim_province as provinces
cross join generate_series(2018, 2025) as year;
"""

# The computed 766 indicators at the same scale: every province on both lists and every agency,
# for each month of the dossiers' span (the marts' own rows, not recomputed from the dossiers).
FILL_SERVICE_INDEX = """
insert into marts.fct_service_index (fct_service_index_id, unit_type, list_version, gso_code, province_key,
    agency_code, month_start, received_count, received_online_count, received_with_fee_count, paid_online_count,
    digitised_count, finished_count, electronic_result_count, handled_count, handled_in_time_count, progress_points,
    online_service_points, online_payment_points, digitisation_points)
select format('%s|%s|%s', units.unit_type, units.unit_code, month), units.unit_type, units.list_version,
       units.gso_code, units.province_key, units.agency_code, month::date, 1000, 600, 300, 200, 700, 900, 500,
       950, 900, random() * 20, random() * 12, random() * 10, random() * 22
from (
    select 'province' as unit_type, gso_code || '-' || list_version as unit_code, list_version, gso_code,
           province_key, null::text as agency_code
    from marts.dim_province
    union all
    select 'agency', agency_id, null, null, null, agency_id from marts.dim_agency
) as units
cross join generate_series(date '2023-01-01', date '2026-11-01', interval '1 month') as month;
"""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(url: str, dossiers: int, dbt_target: Path) -> dict[str, float]:
    """Build the empty marts (with their post-hook indexes) and fill them; returns the seconds of each step."""
    steps: dict[str, float] = {}
    started = time.monotonic()
    with psycopg.connect(url) as conn:
        migrate.migrate(conn)
    for command in (["seed", "--quiet"], ["run", "--quiet"]):
        dbt_runner.run_dbt(command, url, vars={"as_of_date": AS_OF}, target_path=dbt_target)
    steps["dbt seed + run (empty raw)"] = time.monotonic() - started
    with psycopg.connect(url, autocommit=True) as conn:
        started = time.monotonic()
        conn.execute(FILL_DIMENSIONS)
        conn.execute(FILL_SCORECARD)
        conn.execute(FILL_SERVICE_INDEX)
        conn.execute(sql.SQL(FILL_DOSSIERS).format(dossiers=sql.Literal(dossiers)))
        steps["generate the marts' rows"] = time.monotonic() - started
    started = time.monotonic()
    dbt_runner.vacuum_marts(url)
    steps["the nightly's vacuum of the marts (dbt_runner.vacuum_marts)"] = time.monotonic() - started
    return steps


def bi_indexes(url: str) -> list[str]:
    """The indexes on marts.fct_dossiers_base as the build left them, printed with the results."""
    with psycopg.connect(url) as conn:
        return [name for (name,) in conn.execute(
            "select indexname from pg_indexes where schemaname = 'marts' and tablename = 'fct_dossiers_base'"
            " order by 1")]


def time_queries(url: str, repeat: int) -> list[dict]:
    """Each bi/queries/*.sql as bi_reader: cold time, best of `repeat` warm runs, rows, plan's top scan."""
    results = []
    reader_url = warehouse.role_url(url, "bi_reader", environ={})
    with psycopg.connect(reader_url, autocommit=True) as conn:
        assert conn.execute("select current_user").fetchone()[0] == "bi_reader"
        for path in sorted(QUERIES.glob("*.sql")):
            text = path.read_text(encoding="utf-8")
            timings, rows, error = [], None, None
            for _ in range(1 + repeat):
                started = time.monotonic()
                try:
                    rows = len(conn.execute(text).fetchall())
                except psycopg.Error as exc:
                    error = str(exc).splitlines()[0]
                    break
                timings.append(time.monotonic() - started)
            plan = [] if error else [line for (line,) in conn.execute("explain " + text)]
            scans = sorted({line.split("->")[-1].strip().split(" on ")[0] + " on " + line.split(" on ")[1].split()[0]
                            for line in plan if " on " in line and "Scan" in line})
            results.append({"query": path.name, "rows": rows, "error": error, "timings": timings,
                            "cold_seconds": timings[0] if timings else None,
                            "best_seconds": min(timings[1:] or timings) if timings else None, "scans": scans})
    return results


def verdict(result: dict) -> str:
    if result["error"]:
        return "NOT met (error)"
    return "met" if max(result["timings"]) < TARGET_SECONDS else "NOT met"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dossiers", type=int, default=5_000_000, help="rows generated into marts.fct_dossiers")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs per query after the cold one")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and print its URL")
    parser.add_argument("--out", type=Path, default=ROOT / ".local" / "bench" / "bi_results.json")
    args = parser.parse_args(argv)

    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    command = shlex.join([".venv/bin/python", "bench/bi_bench.py", *argv])
    admin = admin_url()
    name, url = scratch_database(admin, "parwh_bench_bi", migrated=False)   # prepare() migrates
    try:
        machine = machine_facts(url)
        _log(f"preparing {args.dossiers:,} dossiers in scratch database {name} ...")
        steps = prepare(url, args.dossiers, args.out.parent / "bi_dbt_target")
        for step, seconds in steps.items():
            _log(f"  {step}: {seconds:.1f} s")
        with psycopg.connect(url) as conn:
            size = conn.execute(
                "select pg_size_pretty(pg_total_relation_size('marts.fct_dossiers_base'))").fetchone()[0]
        indexes = bi_indexes(url)
        results = time_queries(url, args.repeat)
    finally:
        if args.keep:
            _log(f"kept scratch database: {warehouse.redact(url)}")
        else:
            drop_database(admin, name)

    print(f"`{command}`, {started}")
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB; {machine['postgresql']} "
          f"({machine['warehouse']}); load average at start {machine['load_average']}")
    print(f"{args.dossiers:,} dossiers, fct_dossiers_base {size} with its indexes ({', '.join(indexes)}); "
          "as bi_reader, right after the build and its vacuum of the marts; target: every run < 1 s")
    print("")
    print("| query | rows | cold (s) | best warm (s) | slowest run (s) | result | plan's scans |")
    print("|---|---|---|---|---|---|---|")
    for result in results:
        if result["error"]:
            print(f"| `{result['query']}` | | | | | {verdict(result)} | {result['error']} |")
            continue
        print(f"| `{result['query']}` | {result['rows']:,} | {result['cold_seconds']:.3f} | "
              f"{result['best_seconds']:.3f} | {max(result['timings']):.3f} | {verdict(result)} | "
              + "; ".join(result["scans"]) + " |")
    missed = [r["query"] for r in results if verdict(r) != "met"]
    print("")
    print("verdict: " + ("every query met the target" if not missed else "target NOT met by " + ", ".join(missed)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"command": command, "started": started, "machine": machine,
                                    "dossiers": args.dossiers, "table_size": size, "indexes": indexes,
                                    "prepare_seconds": steps, "queries": results}, indent=2), encoding="utf-8")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
