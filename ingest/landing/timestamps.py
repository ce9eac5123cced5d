"""Timestamps as delivered -> ISO 'YYYY-MM-DD HH:MM:SS' (Vietnam local time), or a row rejection.

`parse_timestamp` is the reference: it tries the profile's formats in order with strptime.
`TimestampParser` gives the same answers faster: a string laid out exactly like the profile's
first format (fixed-width, zero-padded fields such as "04/03/2025 08:30" or "20250304083000")
is sliced apart and its date and time halves are looked up in small caches; anything else
falls back to the reference. Only the first format gets the fast path because strptime tries
the formats in order and an earlier, laxer format could accept a string meant for a later one.

The pseudo-format "excel_serial" accepts an Excel serial day number (1900 date system, the
fraction is the time of day) such as 45720.354166; spreadsheet profiles list it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from ingest.errors import RowRejection

EARLIEST_PLAUSIBLE_YEAR = 1990
LATEST_PLAUSIBLE_YEAR = 2100
EXCEL_SERIAL = "excel_serial"
EXCEL_EPOCH = datetime(1899, 12, 30)  # serial 1 = 1900-01-01 once Excel's 1900 leap-year bug is allowed for
_SERIAL = re.compile(r"\d{1,6}(\.\d{1,17})?")
_CACHE_LIMIT = 100_000
_FIELD_WIDTH = {"d": 2, "m": 2, "Y": 4, "H": 2, "M": 2, "S": 2}


def _implausible(column: str, value: str) -> RowRejection:
    return RowRejection("implausible_date", f"column {column}: {value!r} is outside 1990-2100")


def _from_serial(value: str) -> datetime | None:
    if not _SERIAL.fullmatch(value):
        return None
    try:
        return EXCEL_EPOCH + timedelta(seconds=round(float(value) * 86400))
    except OverflowError:
        return None


def parse_timestamp(value: str, formats: list[str], column: str) -> str:
    for fmt in formats:
        if fmt == EXCEL_SERIAL:
            parsed = _from_serial(value)
            if parsed is None:
                continue
        else:
            try:
                parsed = datetime.strptime(value, fmt)
            except ValueError:
                continue
        if parsed.year < EARLIEST_PLAUSIBLE_YEAR or parsed.year > LATEST_PLAUSIBLE_YEAR:
            raise _implausible(column, value)
        return parsed.strftime("%Y-%m-%d %H:%M:%S")
    raise RowRejection(
        "unparseable_date", f"column {column}: {value!r} matches none of the formats {', '.join(formats)}"
    )


class _FixedWidth:
    """A strptime format made only of %d %m %Y %H %M %S and punctuation, read by slicing.

    The string is cut in two at the end of its date (or time) fields; each half, literals
    included, is checked once and remembered, so most values cost two dictionary look-ups.
    """

    def __init__(self, fields: list[tuple[str, int]], literals: list[tuple[int, str]], length: int, split: int):
        self.length = length
        # A value laid out like this format starts and ends with a digit, so trimming it changes nothing.
        self.digit_edges = bool(fields) and min(p for _, p in fields) == 0 and \
            max(p + _FIELD_WIDTH[d] for d, p in fields) == length
        self.split = split
        self.date_first = min(p for d, p in fields if d in "dmY") < split
        self._fields = fields
        self._literals = literals
        self.dates: dict[str, str] = {}   # first half -> "YYYY-MM-DD", "" not this layout, "!" implausible year
        self.times: dict[str, str] = {}   # second half -> "HH:MM:SS", "" not this layout

    @classmethod
    def compile(cls, fmt: str) -> _FixedWidth | None:
        fields: list[tuple[str, int]] = []
        literals: list[tuple[int, str]] = []
        pos = i = 0
        while i < len(fmt):
            if fmt[i] == "%":
                directive = fmt[i + 1: i + 2]
                if directive not in _FIELD_WIDTH or directive in (d for d, _ in fields):
                    return None
                fields.append((directive, pos))
                pos += _FIELD_WIDTH[directive]
                i += 2
            else:
                if (fmt[i].isspace() and fmt[i] != " ") or fmt[i].isalnum():
                    return None  # strptime reads these loosely; a plain space (for it: any whitespace) is fine
                literals.append((pos, fmt[i]))
                pos += 1
                i += 1
        kinds = [d for d, _ in fields]
        if not {"d", "m", "Y"} <= set(kinds):
            return None
        date_end = max(p + _FIELD_WIDTH[d] for d, p in fields if d in "dmY")
        date_start = min(p for d, p in fields if d in "dmY")
        time_fields = [(d, p) for d, p in fields if d in "HMS"]
        if not time_fields:
            return cls(fields, literals, pos, pos)
        time_start = min(p for _, p in time_fields)
        time_end = max(p + _FIELD_WIDTH[d] for d, p in time_fields)
        if time_start >= date_end:
            return cls(fields, literals, pos, date_end)
        if time_end <= date_start:
            return cls(fields, literals, pos, time_end)
        return None  # date and time fields interleave

    def _read(self, text: str, offset: int) -> dict[str, int] | None:
        """The fields inside text (which starts at offset in the value), or None if the layout differs."""
        for pos, ch in self._literals:
            if offset <= pos < offset + len(text) and text[pos - offset] != ch:
                return None
        parts: dict[str, int] = {}
        for directive, pos in self._fields:
            if offset <= pos < offset + len(text):
                digits = text[pos - offset: pos - offset + _FIELD_WIDTH[directive]]
                if not (digits.isascii() and digits.isdigit()):
                    return None
                parts[directive] = int(digits)
        return parts

    def _date(self, text: str, offset: int) -> str:
        parts = self._read(text, offset)
        if not parts or "Y" not in parts:
            return ""
        try:
            day = datetime(parts["Y"], parts["m"], parts["d"])
        except ValueError:
            return ""
        if day.year < EARLIEST_PLAUSIBLE_YEAR or day.year > LATEST_PLAUSIBLE_YEAR:
            return "!"
        return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"

    def _time(self, text: str, offset: int) -> str:
        parts = self._read(text, offset)
        if parts is None:
            return ""
        hour, minute, second = parts.get("H", 0), parts.get("M", 0), parts.get("S", 0)
        if hour > 23 or minute > 59 or second > 59:
            return ""
        return f"{hour:02d}:{minute:02d}:{second:02d}"

    def halves(self, first: str, second: str) -> tuple[str, str]:
        """(date, time) for a value cut at self.split; computes and remembers unseen halves."""
        if len(self.dates) > _CACHE_LIMIT or len(self.times) > _CACHE_LIMIT:
            self.dates.clear()
            self.times.clear()
        if self.date_first:
            day = self.dates.get(first)
            if day is None:
                day = self.dates[first] = self._date(first, 0)
            clock = self.times.get(second)
            if clock is None:
                clock = self.times[second] = self._time(second, self.split)
        else:
            clock = self.times.get(first)
            if clock is None:
                clock = self.times[first] = self._time(first, 0)
            day = self.dates.get(second)
            if day is None:
                day = self.dates[second] = self._date(second, self.split)
        return day, clock


class TimestampParser:
    """parse_timestamp(value, formats, column) with a fast path for the first format."""

    def __init__(self, formats: list[str]):
        self.formats = list(formats)
        fast = _FixedWidth.compile(self.formats[0]) if self.formats else None
        self._fast = fast
        self._length = fast.length if fast else -1
        self._split = fast.split if fast else 0
        self._dates = fast.dates if fast and fast.date_first else {}
        self._times = fast.times if fast and fast.date_first else {}

    def __call__(self, value: str, column: str) -> str:
        if len(value) == self._length:
            split = self._split
            first, second = value[:split], value[split:]
            # The common case inline: both halves seen before (date-first layouts).
            day = self._dates.get(first)
            clock = self._times.get(second)
            if day is None or clock is None:
                day, clock = self._fast.halves(first, second)
            if day and clock:
                if day == "!":
                    raise _implausible(column, value)
                return f"{day} {clock}"
        return parse_timestamp(value, self.formats, column)

    def layout(self) -> tuple[int, int, dict[str, str], dict[str, str]] | None:
        """(length, split, date halves, time halves) of the first format's fast path, for callers
        that inline the look-up (the CSV fast path); None when there is no such path."""
        fast = self._fast
        if fast is None or not fast.date_first or not fast.digit_edges:
            return None
        return fast.length, fast.split, fast.dates, fast.times

    def converter(self, column: str, text: Callable[[str | None], str | None], rejected: object,
                  ) -> Callable[[str | None], object]:
        """raw cell -> ISO text, "" when empty, `rejected` when parse would reject; text() is the
        mapper's trimming. The common case (laid out exactly like the first format, both halves
        seen before) costs two look-ups and no further call."""
        fast = self._fast
        usable = fast is not None and fast.date_first and fast.digit_edges
        length = fast.length if usable else -1
        split = fast.split if usable else 0
        dates = fast.dates if usable else {}
        times = fast.times if usable else {}

        def convert(raw: str | None) -> object:
            if not raw:
                return ""
            if len(raw) == length and raw.isascii():
                day = dates.get(raw[:split])
                clock = times.get(raw[split:])
                if day and clock and day != "!":
                    return f"{day} {clock}"
            value = text(raw)
            if not value:
                return ""
            try:
                return self(value, column)
            except RowRejection:
                return rejected

        return convert
