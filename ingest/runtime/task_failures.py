"""Task failures in audit.task_failures, and the one line a data engineer reads in the log.

Called from the DAGs' on_failure_callback / on_retry_callback with Airflow's context; it only
reads the context (no Airflow import), so it stays testable and the ingest package stays free
of Airflow.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def describe(context: dict[str, Any]) -> dict[str, Any]:
    ti = context.get("ti") or context.get("task_instance")
    exception = context.get("exception")
    message = str(exception) if exception is not None else "no exception recorded"
    return {
        "run_id": context.get("run_id") or getattr(ti, "run_id", None) or "unknown",
        "dag_id": getattr(ti, "dag_id", None) or "unknown",
        "task_id": getattr(ti, "task_id", None) or "unknown",
        "try_number": getattr(ti, "try_number", None),
        "exception_type": type(exception).__name__ if exception is not None else None,
        "message": message.strip().splitlines()[0][:500] if message.strip() else message,
        "detail": message[:4000],
    }


def record(context: dict[str, Any], will_retry: bool = False) -> dict[str, Any]:
    """Log one clear line and insert the failure into audit.task_failures (best effort)."""
    failure = describe(context)
    verb = "will retry" if will_retry else "FAILED"
    log.error("%s.%s %s (try %s) in run %s: %s: %s", failure["dag_id"], failure["task_id"], verb,
              failure["try_number"], failure["run_id"], failure["exception_type"], failure["message"])
    try:
        from ingest.runtime import warehouse

        with warehouse.connect(warehouse.url()) as conn:
            conn.execute(
                "insert into audit.task_failures (run_id, dag_id, task_id, try_number, will_retry, exception_type,"
                " message) values (%s, %s, %s, %s, %s, %s, %s)",
                (failure["run_id"], failure["dag_id"], failure["task_id"], failure["try_number"], will_retry,
                 failure["exception_type"], failure["detail"]),
            )
    except Exception as exc:  # the warehouse itself may be what failed; the log line above stands
        log.warning("could not record the failure in audit.task_failures: %s", exc)
    return failure


def on_failure(context: dict[str, Any]) -> None:
    record(context, will_retry=False)


def on_retry(context: dict[str, Any]) -> None:
    record(context, will_retry=True)
