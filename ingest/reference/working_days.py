"""The Vietnamese working-day calendar (DOMAIN.md §1 "Counting time").

A working day is Monday–Friday that is not a public holiday, plus the Saturdays the government
declares make-up working days. Holidays (including substituted days off such as 2024-04-29)
come from the `holidays` package, country VN; make-up Saturdays come from
the dbt seed `vn_makeup_working_days.csv`. dbt's `marts.dim_date` implements the same rule
in SQL from the seed written by `write_holiday_seed` and the same make-up file, so keep the two
in step: change the rule here and there together.

Supported range: 2015-01-01 to 2030-12-31; any date outside raises ValueError.
"""

from __future__ import annotations

import csv
import functools
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

from ingest.settings import SEEDS_DIR

FIRST_DAY = date(2015, 1, 1)
LAST_DAY = date(2030, 12, 31)
LOCAL_TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")

REFERENCE_DIR = SEEDS_DIR
MAKEUP_WORKING_DAYS_FILE = REFERENCE_DIR / "vn_makeup_working_days.csv"
MAKEUP_KIND = "make_up_working_day"

# Receipts at or after this local time count from the next working day (DOMAIN §1, configurable).
OFFICE_HOURS_CUTOFF_ENV = "PARWH_OFFICE_HOURS_CUTOFF"
DEFAULT_OFFICE_HOURS_CUTOFF = "17:00"

# Holiday names as published in Vietnam; fixed so the seed does not depend on the locale.
HOLIDAY_LANGUAGE = "vi"
SEED_HEADER = ("holiday_date", "holiday_name")


@dataclass(frozen=True)
class _Calendar:
    holiday_names: dict[date, str]
    makeup_days: frozenset[date]
    # numbers[i] = working_day_number(FIRST_DAY + i days)
    numbers: tuple[int, ...]
    # working_days[k - 1] = the working day whose number is k
    working_days: tuple[date, ...]


def _check_range(d: date, what: str = "date") -> date:
    if isinstance(d, datetime):
        d = d.date()
    if not FIRST_DAY <= d <= LAST_DAY:
        raise ValueError(
            f"{what} {d.isoformat()} is outside the working-day calendar's range "
            f"{FIRST_DAY.isoformat()}..{LAST_DAY.isoformat()} (ingest/reference/working_days.py FIRST_DAY/LAST_DAY)"
        )
    return d


def _vn_holidays(first_year: int, last_year: int) -> dict[date, str]:
    table = holidays.country_holidays("VN", years=range(first_year, last_year + 1), language=HOLIDAY_LANGUAGE)
    return {day: str(name) for day, name in sorted(table.items())}


def read_makeup_working_days(path: Path = MAKEUP_WORKING_DAYS_FILE) -> frozenset[date]:
    """The make-up working Saturdays listed in the reference file (kind = make_up_working_day)."""
    days: set[date] = set()
    with path.open(encoding="utf-8", newline="") as handle:
        for line_number, row in enumerate(csv.DictReader(handle), start=2):
            if row["kind"] != MAKEUP_KIND:
                continue
            try:
                day = date.fromisoformat(row["date"])
            except ValueError as error:
                raise ValueError(f"{path}, line {line_number}: date {row['date']!r} is not YYYY-MM-DD") from error
            if day.weekday() < 5:
                raise ValueError(f"{path}, line {line_number}: make-up working day {day} is not a weekend day")
            days.add(day)
    return frozenset(days)


@functools.cache
def _calendar() -> _Calendar:
    holiday_names = _vn_holidays(FIRST_DAY.year, LAST_DAY.year)
    makeup_days = frozenset(d for d in read_makeup_working_days() if FIRST_DAY <= d <= LAST_DAY)
    clash = sorted(d for d in makeup_days if d in holiday_names)
    if clash:
        raise ValueError(f"{MAKEUP_WORKING_DAYS_FILE}: make-up working days fall on holidays: {clash}")

    numbers: list[int] = []
    working_days: list[date] = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        if _is_working(day, holiday_names, makeup_days):
            working_days.append(day)
        numbers.append(len(working_days))
        day += timedelta(days=1)
    return _Calendar(holiday_names, makeup_days, tuple(numbers), tuple(working_days))


def _is_working(day: date, holiday_names: dict[date, str], makeup_days: frozenset[date]) -> bool:
    return (day.weekday() < 5 and day not in holiday_names) or day in makeup_days


def is_working_day(d: date) -> bool:
    """True for Monday–Friday that is not a holiday, and for make-up working Saturdays."""
    d = _check_range(d)
    cal = _calendar()
    return _is_working(d, cal.holiday_names, cal.makeup_days)


def holiday_name(d: date) -> str | None:
    """The public holiday's (Vietnamese) name on d, or None; weekend holidays are named too."""
    return _calendar().holiday_names.get(_check_range(d))


def working_day_number(d: date) -> int:
    """Running count of working days from 2015-01-01 inclusive up to d inclusive.

    A non-working day carries the number of the working day before it (0 before the first one).
    """
    d = _check_range(d)
    return _calendar().numbers[(d - FIRST_DAY).days]


def working_days_between(start: date, end: date) -> int:
    """Working days after start up to and including end (negative when end is before start)."""
    return working_day_number(end) - working_day_number(start)


def add_working_days(d: date, n: int) -> date:
    """The n-th working day after d (n >= 0); n = 0 returns d unchanged.

    For n >= 1 the result is always a working day and working_days_between(d, result) == n.
    """
    if n < 0:
        raise ValueError(f"add_working_days needs n >= 0, got {n}")
    d = _check_range(d)
    if n == 0:
        return d
    target = working_day_number(d) + n
    if target > len(_calendar().working_days):
        raise ValueError(
            f"{n} working days after {d.isoformat()} is beyond the calendar's last day {LAST_DAY.isoformat()}"
        )
    return working_day_numbered(target)


def working_day_numbered(k: int) -> date:
    """The working day whose working_day_number is k (k >= 1)."""
    working_days = _calendar().working_days
    if not 1 <= k <= len(working_days):
        raise ValueError(f"working day number {k} is outside 1..{len(working_days)} ({FIRST_DAY}..{LAST_DAY})")
    return working_days[k - 1]


def next_working_day(d: date) -> date:
    """The first working day strictly after d."""
    return add_working_days(d, 1)


def office_hours_cutoff() -> time:
    """The cutoff from PARWH_OFFICE_HOURS_CUTOFF ("HH:MM", default "17:00")."""
    value = os.environ.get(OFFICE_HOURS_CUTOFF_ENV, "").strip() or DEFAULT_OFFICE_HOURS_CUTOFF
    try:
        return time.fromisoformat(value)
    except ValueError as error:
        raise ValueError(
            f"{OFFICE_HOURS_CUTOFF_ENV}={value!r} is not a time of day; use HH:MM, e.g. 17:00"
        ) from error


def start_of_clock(received: datetime, cutoff: time | None = None) -> date:
    """The working day the statutory clock starts for a dossier received at `received`.

    The receipt date itself when it is a working day and the receipt is before the cutoff;
    otherwise the next working day. Naive datetimes are Vietnam local time; aware ones are
    converted to it. cutoff None means office_hours_cutoff() (PARWH_OFFICE_HOURS_CUTOFF).
    """
    if cutoff is None:
        cutoff = office_hours_cutoff()
    if received.tzinfo is not None:
        received = received.astimezone(LOCAL_TIMEZONE).replace(tzinfo=None)
    day = received.date()
    if is_working_day(day) and received.time() < cutoff:
        return day
    return next_working_day(day)


def holiday_seed_rows(first_year: int = 2015, last_year: int = 2030) -> list[tuple[date, str]]:
    """(date, name) for every VN public holiday and substituted day off, sorted by date."""
    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")
    _check_range(date(first_year, 1, 1), "first_year")
    _check_range(date(last_year, 12, 31), "last_year")
    return sorted(_vn_holidays(first_year, last_year).items())


def write_holiday_seed(path: Path, rows: Iterable[tuple[date, str]] | None = None) -> Path:
    """Write the dbt seed (header holiday_date,holiday_name; ISO dates; sorted)."""
    rows = holiday_seed_rows() if rows is None else sorted(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SEED_HEADER)
        writer.writerows((day.isoformat(), name) for day, name in rows)
    return path
