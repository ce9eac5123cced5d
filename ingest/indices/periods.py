"""Edition periods: '2016' (a yearly edition) and the 766 index's views '2025-Q3' (quarter),
'2025-10' (month) and '2025-YTD-10' (year to date through October). The province list of an
edition is the one in force on its period's last day. A file name may also carry a month the
dashboard's way, 'T10_2025' (tháng 10 năm 2025)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_PERIOD = re.compile(
    r"(?<![0-9])(?P<year>(?:19|20)[0-9]{2})"
    r"(?:[-_](?:(?P<quarter>Q[1-4])|YTD[-_](?P<ytd>[0-9]{1,2})|(?P<month>[0-9]{1,2})))?(?![0-9])",
    re.IGNORECASE,
)


# The dashboard's own file names: 'T10_2025', 'T10-2025', 'T10.2025' (month first, then the year).
_MONTH_FIRST = re.compile(r"(?<![0-9A-Za-z])T(?P<month>[0-9]{1,2})[-_.](?P<year>(?:19|20)[0-9]{2})(?![0-9])",
                          re.IGNORECASE)


class PeriodError(ValueError):
    """No period, or one that is not written as a period: the file is rejected, not failed."""


@dataclass(frozen=True)
class Period:
    label: str      # as stored in raw.index_scores.period
    year: int
    last_day: date

    @property
    def first_day(self) -> date:
        """A quarter's or a month's first day; a year (or year to date) starts on 1 January."""
        if "-Q" in self.label:
            return date(self.year, self.last_day.month - 2, 1)
        if "-YTD-" in self.label or self.label == str(self.year):
            return date(self.year, 1, 1)
        return self.last_day.replace(day=1)


def _month_end(year: int, month: int) -> date:
    if not 1 <= month <= 12:
        raise PeriodError(f"month {month} of {year} is not a month")
    return date(year, month, calendar.monthrange(year, month)[1])


def _from_match(found: re.Match[str]) -> Period:
    year = int(found["year"])
    if found["quarter"]:
        quarter = int(found["quarter"][1])
        return Period(f"{year}-Q{quarter}", year, _month_end(year, quarter * 3))
    if found["ytd"]:
        month = int(found["ytd"])
        return Period(f"{year}-YTD-{month:02d}", year, _month_end(year, month))
    if found["month"]:
        month = int(found["month"])
        return Period(f"{year}-{month:02d}", year, _month_end(year, month))
    return Period(str(year), year, date(year, 12, 31))


def parse(text: str | int) -> Period:
    """The period written exactly as `text` ('2025', '2025-Q3', '2025-10', '2025-YTD-10')."""
    found = _PERIOD.fullmatch(str(text).strip())
    if found is None:
        raise PeriodError(f"{text!r} is not a period: write 2025, 2025-Q3, 2025-10 or 2025-YTD-10")
    return _from_match(found)


def in_name(name: str) -> Period | None:
    """The period a file name carries ('dvc766_2025-Q3.json' -> 2025-Q3, 'T10_2025' -> 2025-10), or None."""
    month_first = _MONTH_FIRST.search(name)
    if month_first:
        return _from_match(_PERIOD.fullmatch(f"{month_first['year']}-{month_first['month']}"))
    found = _PERIOD.search(name)
    return _from_match(found) if found else None
