"""The Vietnamese working-day calendar: hand counts over Tết and make-up Saturdays, the office-hours
cutoff, the committed dbt seed, and a property test against a day-by-day count."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest import calendar
from ingest.settings import paths

SEED_FILE = paths().dbt_project / "seeds" / "vn_public_holidays.csv"

# An independent statement of the rule, straight from the sources, for the brute-force count.
_VN = holidays.country_holidays("VN", years=range(2015, 2031))
with calendar.MAKEUP_WORKING_DAYS_FILE.open(encoding="utf-8", newline="") as _handle:
    _MAKEUP = {date.fromisoformat(r["date"]) for r in csv.DictReader(_handle) if r["kind"] == "make_up_working_day"}


def _brute_is_working(d: date) -> bool:
    return (d.weekday() < 5 and d not in _VN) or d in _MAKEUP


def _brute_between(start: date, end: date) -> int:
    sign, low, high = (1, start, end) if start <= end else (-1, end, start)
    return sign * sum(_brute_is_working(low + timedelta(days=i)) for i in range(1, (high - low).days + 1))


def test_tet_2025_days_are_holidays_and_count_as_one_working_day_between_the_fridays_and_monday():
    for day in range(27, 32):
        assert not calendar.is_working_day(date(2025, 1, day))
        assert calendar.holiday_name(date(2025, 1, day))
    assert calendar.holiday_name(date(2025, 2, 1))  # a Saturday, still named
    assert calendar.is_working_day(date(2025, 1, 24))
    assert calendar.is_working_day(date(2025, 2, 3))
    assert calendar.working_days_between(date(2025, 1, 24), date(2025, 2, 3)) == 1
    assert calendar.working_days_between(date(2025, 1, 24), date(2025, 2, 7)) == 5
    assert calendar.working_days_between(date(2025, 2, 3), date(2025, 1, 24)) == -1


def test_make_up_saturday_2024_05_04_works_and_the_days_it_pays_for_are_off():
    assert calendar.is_working_day(date(2024, 5, 4))
    assert calendar.holiday_name(date(2024, 5, 4)) is None
    for day in (date(2024, 4, 29), date(2024, 4, 30), date(2024, 5, 1)):
        assert not calendar.is_working_day(day)
        assert calendar.holiday_name(day)
    # Fri 26 Apr -> Mon 6 May: Thu 2, Fri 3, Sat 4 (make-up), Mon 6.
    assert calendar.working_days_between(date(2024, 4, 26), date(2024, 5, 6)) == 4
    assert calendar.is_working_day(date(2025, 4, 26))
    assert not calendar.is_working_day(date(2025, 5, 2))


def test_weekends_are_off_and_carry_the_previous_working_days_number():
    friday, saturday, sunday, monday = (date(2024, 6, d) for d in (7, 8, 9, 10))
    assert not calendar.is_working_day(saturday)
    assert not calendar.is_working_day(sunday)
    assert calendar.holiday_name(saturday) is None
    assert calendar.working_day_number(saturday) == calendar.working_day_number(friday)
    assert calendar.working_day_number(sunday) == calendar.working_day_number(friday)
    assert calendar.working_day_number(monday) == calendar.working_day_number(friday) + 1
    assert calendar.working_days_between(friday, monday) == 1
    assert calendar.working_days_between(saturday, sunday) == 0


def test_working_day_number_starts_at_2015_01_01():
    assert calendar.working_day_number(date(2015, 1, 1)) == 0      # New Year's Day
    assert calendar.working_day_number(date(2015, 1, 2)) == 0      # substituted day off
    assert calendar.working_day_number(date(2015, 1, 5)) == 1
    assert calendar.working_day_numbered(1) == date(2015, 1, 5)


def test_start_of_clock_rolls_receipts_at_or_after_17_00_and_on_days_off():
    assert calendar.start_of_clock(datetime(2025, 3, 4, 16, 59, 59), time(17, 0)) == date(2025, 3, 4)
    assert calendar.start_of_clock(datetime(2025, 3, 4, 17, 0), time(17, 0)) == date(2025, 3, 5)
    assert calendar.start_of_clock(datetime(2025, 3, 7, 18, 30), time(17, 0)) == date(2025, 3, 10)
    assert calendar.start_of_clock(datetime(2025, 1, 24, 17, 0), time(17, 0)) == date(2025, 2, 3)
    assert calendar.start_of_clock(datetime(2025, 1, 29, 9, 0), time(17, 0)) == date(2025, 2, 3)
    assert calendar.start_of_clock(datetime(2024, 5, 4, 10, 0), time(17, 0)) == date(2024, 5, 4)
    assert calendar.start_of_clock(datetime(2024, 6, 9, 8, 0), time(17, 0)) == date(2024, 6, 10)
    assert calendar.start_of_clock(datetime(2025, 3, 4, 16, 45), time(16, 30)) == date(2025, 3, 5)


def test_start_of_clock_reads_local_time_from_aware_datetimes():
    utc = UTC
    assert calendar.start_of_clock(datetime(2025, 3, 4, 9, 59, tzinfo=utc), time(17, 0)) == date(2025, 3, 4)
    assert calendar.start_of_clock(datetime(2025, 3, 4, 10, 0, tzinfo=utc), time(17, 0)) == date(2025, 3, 5)


def test_cutoff_defaults_to_17_00_and_follows_the_environment(monkeypatch):
    monkeypatch.delenv(calendar.OFFICE_HOURS_CUTOFF_ENV, raising=False)
    assert calendar.office_hours_cutoff() == time(17, 0)
    assert calendar.start_of_clock(datetime(2025, 3, 4, 16, 30)) == date(2025, 3, 4)
    monkeypatch.setenv(calendar.OFFICE_HOURS_CUTOFF_ENV, "16:00")
    assert calendar.start_of_clock(datetime(2025, 3, 4, 16, 30)) == date(2025, 3, 5)
    monkeypatch.setenv(calendar.OFFICE_HOURS_CUTOFF_ENV, "five pm")
    with pytest.raises(ValueError, match=calendar.OFFICE_HOURS_CUTOFF_ENV):
        calendar.office_hours_cutoff()


def test_add_working_days_skips_tet():
    assert calendar.add_working_days(date(2025, 1, 24), 1) == date(2025, 2, 3)
    assert calendar.add_working_days(date(2025, 1, 23), 2) == date(2025, 2, 3)
    assert calendar.add_working_days(date(2025, 1, 24), 5) == date(2025, 2, 7)
    assert calendar.add_working_days(date(2025, 1, 28), 1) == date(2025, 2, 3)  # from a holiday
    assert calendar.add_working_days(date(2024, 4, 26), 3) == date(2024, 5, 4)  # onto the make-up Saturday
    assert calendar.add_working_days(date(2025, 1, 25), 0) == date(2025, 1, 25)
    with pytest.raises(ValueError):
        calendar.add_working_days(date(2025, 1, 24), -1)


def test_dates_outside_2015_2030_are_refused_clearly():
    for outside in (date(2014, 12, 31), date(2031, 1, 1)):
        with pytest.raises(ValueError, match="outside the working-day calendar"):
            calendar.is_working_day(outside)
    with pytest.raises(ValueError, match="beyond the calendar"):
        calendar.add_working_days(date(2030, 12, 27), 5)
    with pytest.raises(ValueError):
        calendar.holiday_seed_rows(2014, 2020)


def test_committed_holiday_seed_matches_the_holidays_package(tmp_path):
    regenerated = calendar.write_holiday_seed(tmp_path / "vn_public_holidays.csv")
    assert SEED_FILE.read_bytes() == regenerated.read_bytes(), (
        "dbt_project/seeds/vn_public_holidays.csv is stale: the holidays package changed; "
        "regenerate it with ingest.calendar.write_holiday_seed and review the diff"
    )
    with SEED_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == calendar.SEED_HEADER
    seeded = [date.fromisoformat(day) for day, _ in rows[1:]]
    assert seeded == sorted(seeded)
    assert {date(2024, 4, 29), date(2025, 5, 2), date(2025, 1, 27), date(2026, 11, 24)} <= set(seeded)
    assert all(name for _, name in rows[1:])


def test_reference_make_up_days_cover_what_the_holidays_package_knows():
    # The package also lists make-up Saturdays (weekend_workdays); a new one there means our
    # reference file (and the dbt seed, kept equal to it) needs it too.
    package = {d for d in _VN.weekend_workdays if calendar.FIRST_DAY <= d <= calendar.LAST_DAY}
    assert package <= calendar.read_makeup_working_days()


def test_dbt_seed_of_make_up_days_equals_the_python_reference():
    seed = paths().dbt_project / "seeds" / "vn_makeup_working_days.csv"
    reference = Path(calendar.__file__).parent / "reference" / "vn_makeup_working_days.csv"
    assert seed.read_bytes() == reference.read_bytes()


@settings(max_examples=150, deadline=None)
@given(
    st.dates(min_value=calendar.FIRST_DAY, max_value=calendar.LAST_DAY),
    st.dates(min_value=calendar.FIRST_DAY, max_value=calendar.LAST_DAY),
)
def test_working_days_between_equals_a_day_by_day_count(start, end):
    assert calendar.working_days_between(start, end) == _brute_between(start, end)


@settings(max_examples=150, deadline=None)
@given(st.dates(min_value=calendar.FIRST_DAY, max_value=date(2030, 6, 30)), st.integers(min_value=1, max_value=60))
def test_add_working_days_lands_on_the_nth_working_day(start, n):
    result = calendar.add_working_days(start, n)
    assert _brute_is_working(result)
    assert _brute_between(start, result) == n
    assert _brute_between(start, result - timedelta(days=1)) == n - 1
