"""The working-day calendar in SQL (marts.dim_date, built by dbt from the holiday and make-up
seeds) agrees with its Python statement (ingest.reference.working_days): day by day, on random date pairs,
and on the hand counts across Tết 2025 and the 2024-05-04 make-up Saturday.

Builds only the two calendar seeds and dim_date, once, in a fresh database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from psycopg.rows import dict_row

from ingest.reference import working_days
from ingest.runtime import dbt_runner, migrate, warehouse
from tests.conftest import create_database, drop_database

pytestmark = pytest.mark.warehouse


@pytest.fixture(scope="module")
def dim_date(admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[date, dict[str, Any]]]:
    """marts.dim_date of a fresh database, as date -> row."""
    name = create_database(admin_url, prefix="parwh_test_calendar")
    url = warehouse.with_database(admin_url, name)
    target = tmp_path_factory.mktemp("dbt_calendar")
    try:
        with psycopg.connect(url) as conn:
            migrate.migrate(conn)  # the marts grant select to roles the migration creates
        dbt_runner.run_dbt(["seed", "--select", "vn_public_holidays", "vn_makeup_working_days"], url,
                           target_path=target)
        dbt_runner.run_dbt(["run", "--select", "dim_date"], url, target_path=target)
        with psycopg.connect(url, row_factory=dict_row) as conn:
            rows = conn.execute("select * from marts.dim_date order by date_day").fetchall()
        yield {row["date_day"]: row for row in rows}
    finally:
        drop_database(admin_url, name)


def _sql_between(dim_date: dict[date, dict[str, Any]], start: date, end: date) -> int:
    return dim_date[end]["working_day_number"] - dim_date[start]["working_day_number"]


def test_dim_date_covers_the_python_calendars_range_without_gaps(dim_date):
    days = sorted(dim_date)
    assert days[0] == working_days.FIRST_DAY and days[-1] == working_days.LAST_DAY
    assert len(days) == (working_days.LAST_DAY - working_days.FIRST_DAY).days + 1


def test_every_day_has_the_same_working_status_and_holiday_in_sql_and_python(dim_date):
    mismatches = [
        (day, row["is_working_day"], row["holiday_name"])
        for day, row in dim_date.items()
        if row["is_working_day"] != working_days.is_working_day(day)
        or row["holiday_name"] != working_days.holiday_name(day)
        or row["working_day_number"] != working_days.working_day_number(day)
    ]
    assert mismatches == []


@settings(max_examples=500, deadline=None)
@given(
    st.dates(min_value=working_days.FIRST_DAY, max_value=working_days.LAST_DAY),
    st.dates(min_value=working_days.FIRST_DAY, max_value=working_days.LAST_DAY),
)
def test_working_days_between_random_dates_agree(dim_date, start, end):
    assert _sql_between(dim_date, start, end) == working_days.working_days_between(start, end)


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=working_days.FIRST_DAY, max_value=working_days.LAST_DAY - timedelta(days=120)),
       st.integers(min_value=0, max_value=60))
def test_short_spans_agree_too(dim_date, start, days):
    # Random pairs are mostly years apart; short spans are where an off-by-one would show.
    end = start + timedelta(days=days)
    assert _sql_between(dim_date, start, end) == working_days.working_days_between(start, end)


def test_tet_2025_hand_counts_in_sql(dim_date):
    for day in range(27, 32):
        assert dim_date[date(2025, 1, day)]["is_working_day"] is False
        assert dim_date[date(2025, 1, day)]["holiday_name"]
    # Fri 24 Jan -> Mon 3 Feb: only the Monday; -> Fri 7 Feb: Mon-Fri.
    assert _sql_between(dim_date, date(2025, 1, 24), date(2025, 2, 3)) == 1
    assert _sql_between(dim_date, date(2025, 1, 24), date(2025, 2, 7)) == 5
    assert _sql_between(dim_date, date(2025, 2, 3), date(2025, 1, 24)) == -1


def test_make_up_saturday_2024_05_04_hand_counts_in_sql(dim_date):
    saturday = dim_date[date(2024, 5, 4)]
    assert saturday["is_working_day"] is True and saturday["is_makeup_working_day"] is True
    assert saturday["holiday_name"] is None
    for day in (date(2024, 4, 29), date(2024, 4, 30), date(2024, 5, 1)):
        assert dim_date[day]["is_working_day"] is False and dim_date[day]["holiday_name"]
    # Fri 26 Apr -> Mon 6 May: Thu 2, Fri 3, Sat 4 (make-up), Mon 6.
    assert _sql_between(dim_date, date(2024, 4, 26), date(2024, 5, 6)) == 4
    assert dim_date[date(2025, 4, 26)]["is_working_day"] is True
    assert dim_date[date(2025, 5, 2)]["is_working_day"] is False
