"""What the DAG tasks do, kept out of the DAG files so they parse fast and stay testable without Airflow.

landing/ holds portal exports; landing/indices/ holds index publications (PCI, PAPI, 766, the
long template). Each file is one load, committed under the warehouse ingest lock, and moves to
archive/ or quarantine/ afterwards. Each run judges the marts at one day (its window), derived
from the run's date alone, so re-running a day gives the same marts whatever ran before.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from ingest.settings import paths

log = logging.getLogger(__name__)

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
INDEX_SUBFOLDER = "indices"  # landing/indices/: index publications; anything else in landing/ is a portal export
PORTAL_ASSET_URI = "parwh://raw/portal_dossiers"
INDEX_ASSET_URI = "parwh://raw/index_scores"
LOADED = ("loaded",)


@dataclass
class FileLoad:
    """One load of a landing file, as a task returns it (XCom: plain values only)."""

    file: str
    load_id: int | None
    status: str
    rows_loaded: int = 0
    rows_rejected: int = 0
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def as_of_date(run_date: datetime) -> date:
    """The day a run judges open dossiers at: the day before the run's date in Vietnam.

    Airflow 3 cron runs have zero-length data intervals, so the window comes from the run's
    logical date (or, for asset-triggered runs, which have none, the moment it was triggered).
    """
    if run_date.tzinfo is None:
        raise ValueError(f"run date {run_date!r} has no time zone")
    return run_date.astimezone(LOCAL_TZ).date() - timedelta(days=1)


def days_between(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"the backfill range ends ({end}) before it starts ({start})")
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _index_folder(landing: Path) -> Path:
    return landing / INDEX_SUBFOLDER


def portal_files(landing: Path | None = None) -> list[Path]:
    """Portal exports waiting in landing/ (everything outside landing/indices/)."""
    from ingest.landing import pending_files

    folder = landing or paths().landing
    indices = _index_folder(folder)
    return [p for p in pending_files(folder) if not p.is_relative_to(indices)]


def index_files(landing: Path | None = None) -> list[Path]:
    """Index publications waiting in landing/indices/."""
    from ingest.landing import pending_files

    return pending_files(_index_folder(landing or paths().landing))


def load_portal_file(warehouse_url: str, path: Path, run_id: str) -> list[FileLoad]:
    """One portal export (a .zip: one load per member), gated, then archived or quarantined."""
    from ingest.cli import ingest_files

    results = ingest_files(warehouse_url, [Path(path)], profile=None, province=None, dry_run=False, run_id=run_id,
                           folders=[paths().landing])
    loads = [FileLoad(r.name, r.load_id, r.status, r.rows_loaded, r.rows_rejected,
                      r.error if r.status not in ("loaded", "duplicate") else None) for r in results]
    for load in loads:
        _log_load(load)
    return loads


def publish_index_file(warehouse_url: str, path: Path, run_id: str) -> FileLoad | None:
    """One index publication, checked, then archived or quarantined; None when another run took it."""
    import os

    from ingest import landing
    from ingest.indices.publish import publish_file

    path = Path(path)
    if not os.path.lexists(path):  # another ingest filed it away already
        log.info("%s: already taken by another ingest", path.name)
        return None
    try:
        result = publish_file(warehouse_url, path, run_id=run_id, root=_index_folder(paths().landing))
        load = FileLoad(path.name, result.load_id, result.status, result.rows_loaded, 0,
                        result.error if result.status not in ("loaded", "duplicate") else None)
    except ValueError as exc:  # no reader for the file name: nothing was loaded
        load = FileLoad(path.name, None, "rejected", error=str(exc))
    if load.error is None or not load.error.startswith("file_changed_while_read"):
        landing.file_away(path, load.status, load.error)
    _log_load(load)
    return load


def _log_load(load: FileLoad) -> None:
    detail = f": {load.error}" if load.error else ""
    log.info("%s: %s (load %s, %d rows loaded, %d rejected)%s", load.file, load.status, load.load_id,
             load.rows_loaded, load.rows_rejected, detail)


def anything_loaded(loads: list[dict] | None) -> bool:
    return any(load and load.get("status") in LOADED for load in loads or [])


def rebuild_day(warehouse_url: str, day: date, *, run_id: str, full_refresh: bool = False) -> str:
    """Seeds and every model and test judged at `day`, then the mart gate; returns the gate outcome.

    Raises ValueError when the mart gate fails (a validation failure: retrying changes nothing)."""
    from expectations.gate import run_mart_gate
    from ingest import dbt, dbt_audit

    log.info("rebuilding the marts as of %s%s", day, " (full refresh)" if full_refresh else "")
    try:
        dbt.build(warehouse_url, full_refresh=full_refresh, vars={"as_of_date": day.isoformat()})
    finally:
        dbt_audit.record_run_results(warehouse_url, run_id)
    dbt.vacuum_marts(warehouse_url)
    gate = run_mart_gate(warehouse_url, run_id)
    if gate.outcome == "fail":
        raise ValueError(f"mart gate failed for {day}: {gate.message()}")
    return gate.outcome


def marts_fingerprint(warehouse_url: str) -> dict[str, str]:
    """md5 of the rows of every marts table and view, in a fixed order: equal fingerprints, equal marts."""
    import psycopg
    from psycopg import sql

    out = {}
    with psycopg.connect(warehouse_url) as conn:
        tables = [row[0] for row in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
            " and table_type in ('BASE TABLE', 'VIEW') order by 1")]
        for table in tables:
            query = sql.SQL("select t::text from marts.{} as t order by 1").format(sql.Identifier(table))
            digest = hashlib.md5()
            for (row,) in conn.execute(query):
                digest.update(row.encode("utf-8") + b"\n")
            out[table] = digest.hexdigest()
    return out
