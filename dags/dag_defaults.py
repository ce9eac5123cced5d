"""Shared wiring for the PAR warehouse DAGs: default arguments, the retry policy, the assets the
ingest DAGs emit and the nightly listens to, and the run window.

Not a DAG file (it defines no DAG). Heavy imports stay inside functions.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from airflow.sdk import Asset

from ingest.pipeline import schedule
from ingest.runtime import task_failures
from ingest.settings import count_setting

LOCAL_TZ = "Asia/Ho_Chi_Minh"
# Emitted by portal_ingest / index_publications after a run that loaded something; each one
# also triggers warehouse_nightly (besides its 02:00 cron).
PORTAL_DOSSIERS = Asset(schedule.PORTAL_ASSET_URI)
INDEX_SCORES = Asset(schedule.INDEX_ASSET_URI)

DEFAULT_ARGS = {
    "owner": "par-warehouse",
    "retries": count_setting("PARWH_TASK_RETRIES", 2),
    "retry_delay": timedelta(seconds=count_setting("PARWH_RETRY_DELAY_SECONDS", 60)),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=15),
    "execution_timeout": timedelta(hours=2),
    "on_failure_callback": task_failures.on_failure,
    "on_retry_callback": task_failures.on_retry,
}


def as_of_date(logical_date, run_after) -> str:
    """Template macro: the day a run judges the marts at (see schedule.as_of_date).

    Asset-triggered runs have no logical date; their trigger time stands in for it."""
    return schedule.as_of_date(logical_date or run_after).isoformat()


# Every task of a run derives its window from this, never from the (zero-length) data interval.
AS_OF_DATE = "{{ as_of_date(logical_date, dag_run.run_after) }}"
WINDOW_MACROS = {"as_of_date": as_of_date}


@contextlib.contextmanager
def retry_only_transient_errors():
    """Let connection problems retry (with back-off); fail at once on anything else.

    A validation failure or a bug gives the same result on every try, so retrying it only
    delays the morning report.
    """
    import psycopg
    from airflow.sdk.exceptions import AirflowFailException

    from ingest.runtime.warehouse import WarehouseError

    try:
        yield
    except (psycopg.OperationalError, WarehouseError, ConnectionError, TimeoutError):
        raise
    except AirflowFailException:
        raise
    except Exception as exc:
        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
