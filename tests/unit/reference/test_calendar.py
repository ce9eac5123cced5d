"""The Vietnamese working-day calendar: hand counts over Tết and make-up Saturdays, the office-hours
cutoff, the committed dbt seed, and a property test against a day-by-day count."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.reference import working_days
from ingest.settings import paths

SEED_FILE = paths().dbt_project / "seeds" / "vn_public_holidays.csv"

# An independent statement of the rule, straight from the sources, for the brute-force count.
_VN = holidays.country_holidays("VN", years=range(2015, 2031))
with working_days.MAKEUP_WORKING_DAYS_FILE.open(encoding="utf-8", newline="") as _handle:
    _MAKEUP = {date.fromisoformat(r["date"]) for r in csv.DictReader(_handle) if r["kind"] == "make_up_working_day"}


def _brute_is_working(d: date) -> bool:
    return (d.weekday() < 5 and d not in _VN) or d in _MAKEUP


def _brute_between(start: date, end: date) -> int:
    sign, low, high = (1, start, end) if start <= end else (-1, end, start)
    return sign * sum(_brute_is_working(low + timedelta(days=i)) for i in range(1, (high - low).days + 1))


def test_tet_2025_days_are_holidays_and_count_as_one_working_day_between_the_fridays_and_monday():
    for day in range(27, 32):
        assert not working_days.is_working_day(date(2025, 1, day))
        assert working_days.holiday_name(date(2025, 1, day))
    assert working_days.holiday_name(date(2025, 2, 1))  # a Saturday, still named
    assert working_days.is_working_day(date(2025, 1, 24))
    assert working_days.is_working_day(date(2025, 2, 3))
    assert working_days.working_days_between(date(2025, 1, 24), date(2025, 2, 3)) == 1
    assert working_days.working_days_between(date(2025, 1, 24), date(2025, 2, 7)) == 5
    assert working_days.working_days_between(date(2025, 2, 3), date(2025, 1, 24)) == -1


def test_make_up_saturday_2024_05_04_works_and_the_days_it_pays_for_are_off():
    assert working_days.is_working_day(date(2024, 5, 4))
    assert working_days.holiday_name(date(2024, 5, 4)) is None
    for day in (date(2024, 4, 29), date(2024, 4, 30), date(2024, 5, 1)):
        assert not working_days.is_working_day(day)
        assert working_days.holiday_name(day)
    # Fri 26 Apr -> Mon 6 May: Thu 2, Fri 3, Sat 4 (make-up), Mon 6.
    assert working_days.working_days_between(date(2024, 4, 26), date(2024, 5, 6)) == 4
    assert working_days.is_working_day(date(2025, 4, 26))
    assert not working_days.is_working_day(date(2025, 5, 2))


def test_weekends_are_off_and_carry_the_previous_working_days_number():
    friday, saturday, sunday, monday = (date(2024, 6, d) for d in (7, 8, 9, 10))
    assert not working_days.is_working_day(saturday)
    assert not working_days.is_working_day(sunday)
    assert working_days.holiday_name(saturday) is None
    assert working_days.working_day_number(saturday) == working_days.working_day_number(friday)
    assert working_days.working_day_number(sunday) == working_days.working_day_number(friday)
    assert working_days.working_day_number(monday) == working_days.working_day_number(friday) + 1
    assert working_days.working_days_between(friday, monday) == 1
    assert working_days.working_days_between(saturday, sunday) == 0


def test_working_day_number_starts_at_2015_01_01():
    assert working_days.working_day_number(date(2015, 1, 1)) == 0      # New Year's Day
    assert working_days.working_day_number(date(2015, 1, 2)) == 0      # substituted day off
    assert working_days.working_day_number(date(2015, 1, 5)) == 1
    assert working_days.working_day_numbered(1) == date(2015, 1, 5)


def test_start_of_clock_rolls_receipts_at_or_after_17_00_and_on_days_off():
    assert working_days.start_of_clock(datetime(2025, 3, 4, 16, 59, 59), time(17, 0)) == date(2025, 3, 4)
    assert working_days.start_of_clock(datetime(2025, 3, 4, 17, 0), time(17, 0)) == date(2025, 3, 5)
    assert working_days.start_of_clock(datetime(2025, 3, 7, 18, 30), time(17, 0)) == date(2025, 3, 10)
    assert working_days.start_of_clock(datetime(2025, 1, 24, 17, 0), time(17, 0)) == date(2025, 2, 3)
    assert working_days.start_of_clock(datetime(2025, 1, 29, 9, 0), time(17, 0)) == date(2025, 2, 3)
    assert working_days.start_of_clock(datetime(2024, 5, 4, 10, 0), time(17, 0)) == date(2024, 5, 4)
    assert working_days.start_of_clock(datetime(2024, 6, 9, 8, 0), time(17, 0)) == date(2024, 6, 10)
    assert working_days.start_of_clock(datetime(2025, 3, 4, 16, 45), time(16, 30)) == date(2025, 3, 5)


def test_start_of_clock_reads_local_time_from_aware_datetimes():
    utc = UTC
    assert working_days.start_of_clock(datetime(2025, 3, 4, 9, 59, tzinfo=utc), time(17, 0)) == date(2025, 3, 4)
    assert working_days.start_of_clock(datetime(2025, 3, 4, 10, 0, tzinfo=utc), time(17, 0)) == date(2025, 3, 5)


def test_cutoff_defaults_to_17_00_and_follows_the_environment(monkeypatch):
    monkeypatch.delenv(working_days.OFFICE_HOURS_CUTOFF_ENV, raising=False)
    assert working_days.office_hours_cutoff() == time(17, 0)
    assert working_days.start_of_clock(datetime(2025, 3, 4, 16, 30)) == date(2025, 3, 4)
    monkeypatch.setenv(working_days.OFFICE_HOURS_CUTOFF_ENV, "16:00")
    assert working_days.start_of_clock(datetime(2025, 3, 4, 16, 30)) == date(2025, 3, 5)
    monkeypatch.setenv(working_days.OFFICE_HOURS_CUTOFF_ENV, "five pm")
    with pytest.raises(ValueError, match=working_days.OFFICE_HOURS_CUTOFF_ENV):
        working_days.office_hours_cutoff()


def test_add_working_days_skips_tet():
    assert working_days.add_working_days(date(2025, 1, 24), 1) == date(2025, 2, 3)
    assert working_days.add_working_days(date(2025, 1, 23), 2) == date(2025, 2, 3)
    assert working_days.add_working_days(date(2025, 1, 24), 5) == date(2025, 2, 7)
    assert working_days.add_working_days(date(2025, 1, 28), 1) == date(2025, 2, 3)  # from a holiday
    assert working_days.add_working_days(date(2024, 4, 26), 3) == date(2024, 5, 4)  # onto the make-up Saturday
    assert working_days.add_working_days(date(2025, 1, 25), 0) == date(2025, 1, 25)
    with pytest.raises(ValueError):
        working_days.add_working_days(date(2025, 1, 24), -1)


def test_dates_outside_2015_2030_are_refused_clearly():
    for outside in (date(2014, 12, 31), date(2031, 1, 1)):
        with pytest.raises(ValueError, match="outside the working-day calendar"):
            working_days.is_working_day(outside)
    with pytest.raises(ValueError, match="beyond the calendar"):
        working_days.add_working_days(date(2030, 12, 27), 5)
    with pytest.raises(ValueError):
        working_days.holiday_seed_rows(2014, 2020)


def test_committed_holiday_seed_matches_the_holidays_package(tmp_path):
    regenerated = working_days.write_holiday_seed(tmp_path / "vn_public_holidays.csv")
    assert SEED_FILE.read_bytes() == regenerated.read_bytes(), (
        "dbt_project/seeds/vn_public_holidays.csv is stale: the holidays package changed; "
        "regenerate it with ingest.reference.working_days.write_holiday_seed and review the diff"
    )
    with SEED_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == working_days.SEED_HEADER
    seeded = [date.fromisoformat(day) for day, _ in rows[1:]]
    assert seeded == sorted(seeded)
    assert {date(2024, 4, 29), date(2025, 5, 2), date(2025, 1, 27), date(2026, 11, 24)} <= set(seeded)
    assert all(name for _, name in rows[1:])


def test_reference_make_up_days_cover_what_the_holidays_package_knows():
    # The package also lists make-up Saturdays (weekend_workdays); a new one there means our
    # reference file (and the dbt seed, kept equal to it) needs it too.
    package = {d for d in _VN.weekend_workdays if working_days.FIRST_DAY <= d <= working_days.LAST_DAY}
    assert package <= working_days.read_makeup_working_days()


def test_python_reads_the_make_up_days_from_the_dbt_seed():
    # One copy: the calendar Python counts with is the seed dbt loads into reference.
    assert working_days.MAKEUP_WORKING_DAYS_FILE == paths().dbt_project / "seeds" / "vn_makeup_working_days.csv"


@settings(max_examples=150, deadline=None)
@given(
    st.dates(min_value=working_days.FIRST_DAY, max_value=working_days.LAST_DAY),
    st.dates(min_value=working_days.FIRST_DAY, max_value=working_days.LAST_DAY),
)
def test_working_days_between_equals_a_day_by_day_count(start, end):
    assert working_days.working_days_between(start, end) == _brute_between(start, end)


@settings(max_examples=150, deadline=None)
@given(st.dates(min_value=working_days.FIRST_DAY, max_value=date(2030, 6, 30)), st.integers(min_value=1, max_value=60))
def test_add_working_days_lands_on_the_nth_working_day(start, n):
    result = working_days.add_working_days(start, n)
    assert _brute_is_working(result)
    assert _brute_between(start, result) == n
    assert _brute_between(start, result - timedelta(days=1)) == n - 1
