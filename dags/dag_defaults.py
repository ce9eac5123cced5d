"""Shared wiring for the PAR warehouse DAGs: default arguments and the retry policy.

Not a DAG file (Airflow skips it: it defines no DAG). Heavy imports stay inside functions.
"""

from __future__ import annotations

import contextlib
import os
from datetime import timedelta

from ingest import failures

DEFAULT_ARGS = {
    "owner": "par-warehouse",
    "retries": int(os.environ.get("PARWH_TASK_RETRIES", "2")),
    "retry_delay": timedelta(seconds=int(os.environ.get("PARWH_RETRY_DELAY_SECONDS", "60"))),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=15),
    "execution_timeout": timedelta(hours=2),
    "on_failure_callback": failures.on_failure,
    "on_retry_callback": failures.on_retry,
}


@contextlib.contextmanager
def retry_only_transient_errors():
    """Let connection problems retry (with back-off); fail at once on anything else.

    A validation failure or a bug gives the same result on every try, so retrying it only
    delays the morning report.
    """
    import psycopg
    from airflow.sdk.exceptions import AirflowFailException

    from ingest.warehouse import WarehouseError

    try:
        yield
    except (psycopg.OperationalError, WarehouseError, ConnectionError, TimeoutError):
        raise
    except AirflowFailException:
        raise
    except Exception as exc:
        raise AirflowFailException(f"{type(exc).__name__}: {exc}") from exc
