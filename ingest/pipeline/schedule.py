"""When and for which day the pipeline runs: the assets the ingest DAGs emit, and the day a run
judges the marts at. Light on imports, because every DAG file reads it when Airflow parses it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
# Emitted after an ingest run that loaded something; each also triggers warehouse_nightly.
PORTAL_ASSET_URI = "parwh://raw/portal_dossiers"
INDEX_ASSET_URI = "parwh://raw/index_scores"


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
