"""
### warehouse_backfill

Re-judges the marts for a range of days, by hand (no schedule). Trigger it with the params
`start` and `end` (dates, inclusive; empty: the day before the run, in Vietnam) and, optionally,
`full_refresh` (rebuild every table from scratch on the first day). Each day, in order, is a
full dbt build with `as_of_date` = that day, followed by the mart gate; the marts end judged at
`end`. A day's marts depend only on that day and the raw data, so re-running a range (in any
order) gives the same marts. It holds the marts lease (`audit.marts_lease`) from its first day to
its end, so the nightly run waits for it rather than interleaving with it.

Nothing is ingested here: files in `landing/` are for `portal_ingest` and `index_publications`.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import Param, dag, task
from dag_defaults import DEFAULT_ARGS, LOCAL_TZ, retry_only_transient_errors
from warehouse_tasks import claim_marts, prepare_warehouse, publish_site, release_marts, run_verdict


@dag(
    dag_id="warehouse_backfill",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz=LOCAL_TZ),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params={
        "start": Param(None, type=["null", "string"], format="date",
                       description="first day to judge the marts at (YYYY-MM-DD); empty: the run's own day"),
        "end": Param(None, type=["null", "string"], format="date",
                     description="last day, inclusive (the marts end judged at it); empty: same as start"),
        "full_refresh": Param(False, type="boolean", description="dbt --full-refresh on the first day"),
    },
    tags=["par-warehouse", "backfill"],
    doc_md=__doc__,
)
def warehouse_backfill():
    @task(execution_timeout=timedelta(hours=12))
    def rebuild_days(params: dict | None = None, run_id: str | None = None, logical_date=None,
                     dag_run=None) -> dict[str, str]:
        """dbt build + mart gate for each day of the range, in order; returns each day's gate outcome."""
        import logging
        from datetime import date

        from ingest.pipeline import rebuild_marts, schedule
        from ingest.runtime import warehouse

        log = logging.getLogger("airflow.task")
        # Without params, the day a nightly run at this date would judge (Vietnam day before).
        own_day = schedule.as_of_date(logical_date or dag_run.run_after)
        start = date.fromisoformat(params["start"]) if params.get("start") else own_day
        end = date.fromisoformat(params["end"]) if params.get("end") else start
        days = schedule.days_between(start, end)
        outcomes = {}
        with retry_only_transient_errors():
            url = warehouse.url()
            for n, day in enumerate(days):
                outcomes[day.isoformat()] = rebuild_marts.rebuild_day(
                    url, day, run_id=run_id, full_refresh=bool(params["full_refresh"]) and n == 0)
                log.info("marts as of %s: mart gate %s (%d/%d)", day, outcomes[day.isoformat()], n + 1, len(days))
        return outcomes

    rebuilt = rebuild_days()
    site = publish_site()
    verdict = run_verdict()
    claim, release = claim_marts(), release_marts()
    prepare_warehouse() >> claim >> rebuilt >> site >> release
    [rebuilt, site, release] >> verdict


warehouse_backfill()
