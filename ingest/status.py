"""`parwh status`: the last runs and loads, as a data engineer reads them in the morning."""

from __future__ import annotations

import psycopg


def print_status(warehouse_url: str, limit: int = 15) -> None:
    with psycopg.connect(warehouse_url) as conn:
        runs = conn.execute(
            "select run_id, min(started_at), count(*) filter (where gate = 'raw'),"
            " count(*) filter (where outcome = 'fail'), count(*) filter (where outcome = 'warn'),"
            " max(outcome) filter (where gate = 'mart')"
            " from audit.validation_runs group by run_id order by min(started_at) desc limit %s",
            (limit,),
        ).fetchall()
        loads = conn.execute(
            "select load_id, started_at, file_name, coalesce(profile, '-'), rows_read, rows_loaded, rows_rejected,"
            " status, coalesce(gate_outcome, '-'), coalesce(error, '') from audit.loads"
            " order by load_id desc limit %s",
            (limit,),
        ).fetchall()
    print("Runs (validation)")
    print(f"  {'run id':<48} {'started (UTC)':<20} {'raw gates':>9} {'failed':>6} {'warned':>6}  mart gate")
    for run_id, started, raw_gates, failed, warned, mart in runs:
        print(f"  {run_id[:48]:<48} {started:%Y-%m-%d %H:%M:%S}  {raw_gates:>9} {failed:>6} {warned:>6}  {mart or '-'}")
    if not runs:
        print("  (no runs yet)")
    print("\nLoads")
    print(f"  {'id':>5} {'started (UTC)':<19} {'file':<40} {'profile':<16} {'read':>8} {'loaded':>8} {'rejected':>8}"
          "  status / gate")
    for load_id, started, name, profile, read, loaded, rejected, status, gate, error in loads:
        print(f"  {load_id:>5} {started:%Y-%m-%d %H:%M:%S} {name[:40]:<40} {profile[:16]:<16} {read or 0:>8,} "
              f"{loaded or 0:>8,} {rejected or 0:>8,}  {status} / {gate}")
        if error and status not in ("loaded", "duplicate"):
            print(f"        {error[:160]}")
    if not loads:
        print("  (no loads yet)")
