"""The CSV fast path: one RecordMapper's plan compiled, per column of one file's header, into a
function from a CSV row (a list in header order) to COPY values.

Each output column becomes a fused, remembered function of its raw cell (text, required, value
map, timestamp, number: everything the reference mapper does to that column). If any of them would
reject, or a cross-column rule fails, the row goes through the reference (RecordMapper._finish),
which picks the first problem in the fixed order. So the fast path only ever answers for rows the
reference would load, and answers the same (tests/unit/landing/test_ingest_fastpath.py). It reads
the plan RecordMapper compiled; nothing here decides how a value maps.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import itemgetter
from typing import Any

from ingest.errors import RowRejection
from ingest.landing.records import (
    _CACHE_LIMIT,
    _MISS,
    _REJECT,
    MappedRecord,
    RecordMapper,
    _hashing_converter,
    _text,
)


def compile_rows(mapper: RecordMapper, headers: list[str]) -> Callable[[list[str]], tuple[list[str], list]]:
    """A function mapping one CSV row (a list in header order) to (output values, events).

    Output values are strings, "" for NULL (the reference never produces an empty string, so
    the two cannot be confused; the loader COPYs with NULL ''). Raises RowRejection.

    Fast path: each output column is a fused, remembered function of its raw cell (text,
    required, value map, timestamp, number: everything the reference does to that column).
    If any of them would reject, or a cross-column rule fails, the row goes through the
    reference (`_finish`), which picks the first problem in the fixed order. So the fast
    path only ever answers for rows the reference would load, and answers the same.
    """
    reference = _reference_rows(mapper, headers)
    fast = _fast_rows(mapper, headers, reference)
    return fast or (lambda row: _as_output(reference(row)))


def _reference_rows(mapper: RecordMapper, headers: list[str]) -> Callable[[list[str]], MappedRecord]:
    plan = mapper.row_plan(headers)
    width = len(headers)
    blank = [None] * len(mapper._names)
    steps = [(position, work, personal, mapper._text_memos.get(canonical, _text))
             for position, work, canonical, personal in plan]
    position = {h: i for i, h in enumerate(headers)}
    split_positions = [(c, position.get(header) if header else None)
                       for _, _, pairs in mapper._split_events for c, header in pairs]
    hasher = mapper.hash

    def map_row(row: list[str]) -> MappedRecord:
        if len(row) != width:
            raise RowRejection("malformed_record", f"the record has {len(row)} fields, the header has {width}")
        work = blank[:]
        for source, index, personal, convert in steps:
            work[index] = hasher(_text(row[source])) if personal else convert(row[source])
        split_sources = {c: (_text(row[p]) if p is not None else None) for c, p in split_positions}
        return mapper._finish(work, None, split_sources)

    return map_row


def _as_output(mapped: MappedRecord) -> tuple[list[str], list]:
    return ["" if v is None else v for v in mapped.row], mapped.events


def _fused(mapper: RecordMapper, canonical: str, virtual_status_code: bool = False) -> Callable[[str | None], Any]:
    """Everything the reference does to one column's raw value, as one function; _REJECT if it would reject."""
    profile = mapper.profile
    personal = canonical in profile.personal_data
    required = canonical in profile.required
    lookup = mapper._status[2] if virtual_status_code else (
        next((m for i, m in mapper._maps if mapper._names[i] == canonical), None))
    is_time = canonical in profile.timestamps and not virtual_status_code
    number = next((convert for i, convert in mapper._numbers if mapper._names[i] == canonical), None)
    parse_time = mapper._parse_time
    hasher = mapper.hash
    if is_time and not required and lookup is None and number is None and not personal:
        return parse_time.converter(canonical, _text, _REJECT)
    if personal and not required:
        return _hashing_converter(hasher)
    if required and not personal and lookup is None and not is_time and number is None:
        def required_text(raw: str | None) -> Any:
            value = (raw.strip() if raw.isascii() else (_text(raw) or "")) if raw else ""
            return value or _REJECT

        return required_text

    def convert(raw: str | None) -> Any:
        try:
            value = hasher(_text(raw)) if personal else _text(raw)
            if required and not value:
                return _REJECT
            if lookup is not None:
                value = lookup(value)
            elif is_time and value:
                value = parse_time(value, canonical)
            if number is not None and value and not virtual_status_code:
                value = number(value)
        except RowRejection:
            return _REJECT
        return "" if value is None else value

    return convert


def _fast_rows(mapper: RecordMapper, headers: list[str],
               reference) -> Callable[[list[str]], tuple[list[str], list]] | None:
    profile = mapper.profile
    columns = mapper.columns
    if profile.lists or mapper._nested_events or any(c not in columns for c in profile.columns) \
            or any(c not in columns for c in profile.personal_data):
        return None
    if mapper.province is not None and not (mapper.province.isascii() and mapper.province.isdigit()
                                          and len(mapper.province) <= 2):
        return None
    position = {h: i for i, h in enumerate(headers)}
    width = len(headers)
    unique = {profile.key_column, *profile.personal_data, *profile.timestamps}
    slots: list[tuple[str, bool]] = [(c, False) for c in [*profile.columns, *profile.personal_data]]
    if mapper._status is not None:
        slots.append(("status_code", True))
    template: list[Any] = [""] * len(columns)
    cached, stamps, direct = [], [], []      # (source position, output position, function)
    layout = mapper._parse_time.layout()
    for canonical, is_status_code in slots:
        function = _fused(mapper, "status" if is_status_code else canonical, is_status_code)
        header = mapper.header_map.get("status" if is_status_code else canonical)
        target = columns.index(canonical)
        if header is None or header not in position:
            constant = function(None)
            if constant is _REJECT:
                return None       # every row would be rejected: leave it all to the reference
            template[target] = constant
            continue
        # Inlined timestamps treat an empty cell as NULL, so a required one keeps its own check.
        inline = canonical in profile.timestamps and canonical not in profile.required and layout
        group = stamps if inline else direct if canonical in unique else cached
        group.append((position[header], target, function))
    caches: list[dict[str, Any]] = [{} for _ in cached]
    cached_functions = [f for _, _, f in cached]
    cached_sources = [s for s, _, _ in cached]
    cached_targets = [t for _, t, _ in cached]
    stamp_sources = [s for s, _, _ in stamps]
    stamp_functions = [f for _, _, f in stamps]
    direct_sources = [s for s, _, _ in direct]
    direct_targets = [t for _, t, _ in direct]
    if len(columns) < 2:
        return None
    direct_functions = [f for _, _, f in direct]
    # One gather puts every value in its output place: template constants, then the computed ones.
    order = list(range(len(columns)))
    base = len(columns)
    for i, target in enumerate(cached_targets + [t for _, t, _ in stamps] + direct_targets):
        order[target] = base + i
    gather = itemgetter(*order)
    # itemgetter returns a bare value for one index: a repeated last index keeps it a tuple
    # (zip below stops at the shorter side).
    take_cached = itemgetter(*cached_sources, *cached_sources[-1:]) if cached_sources else (lambda row: ())
    take_direct = itemgetter(*direct_sources, *direct_sources[-1:]) if direct_sources else (lambda row: ())
    take_stamps = itemgetter(*stamp_sources, *stamp_sources[-1:]) if stamp_sources else (lambda row: ())
    length, split, dates, times = layout or (-1, 0, {}, {})
    gso = columns.index("gso_code") if mapper._portal else None
    received, finished, due = (columns.index(c) for c in ("received_at", "finished_at", "due_at")) \
        if mapper._portal else (None, None, None)
    province = mapper.province.zfill(2) if mapper.province else ""
    key_at = columns.index(profile.key_column) if profile.key_column in columns else None
    seen = mapper._seen_keys
    split_positions = [(c, position.get(header) if header else None)
                       for _, _, pairs in mapper._split_events for c, header in pairs]
    split_events = mapper._events
    supplement_count = columns.index("supplement_count") if "supplement_count" in columns else None

    def fill_misses(values: list[Any], raws: tuple) -> None:
        for i, value in enumerate(values):
            if value is _MISS:
                raw = raws[i]
                value = values[i] = cached_functions[i](raw)
                cache = caches[i]
                if len(cache) < _CACHE_LIMIT:
                    cache[raw] = value

    def map_row(row: list[str]) -> tuple[list[str], list]:
        if len(row) != width:
            return _as_output(reference(row))
        raws = take_cached(row)
        values = [cache.get(raw, _MISS) for cache, raw in zip(caches, raws, strict=False)]
        if _MISS in values:
            fill_misses(values, raws)
        # Timestamps laid out like the first format, both halves seen before: no call at all.
        values += ["" if not raw else f"{day} {clock}" if len(raw) == length
                   and (day := dates.get(raw[:split])) and day != "!" and (clock := times.get(raw[split:]))
                   else convert(raw)
                   for convert, raw in zip(stamp_functions, take_stamps(row), strict=False)]
        values += [function(raw) for function, raw in zip(direct_functions, take_direct(row), strict=False)]
        if _REJECT in values:
            return _as_output(reference(row))
        out = list(gather(template + values))
        if gso is not None:
            code = out[gso] or province
            if not (code and code.isascii() and code.isdigit() and len(code) <= 2):
                return _as_output(reference(row))
            out[gso] = code.zfill(2)
            start, end, deadline = out[received], out[finished], out[due]
            if start and ((end and end < start) or (deadline and deadline[:10] < start[:10])):
                return _as_output(reference(row))
        key = (out[key_at] or None) if key_at is not None else None
        if key in seen:
            return _as_output(reference(row))
        seen.add(key)
        events: list = []
        if split_positions and any(row[p] for _, p in split_positions if p is not None):
            sources = {c: (_text(row[p]) if p is not None else None) for c, p in split_positions}
            if any(sources.values()):
                events = split_events(None, sources)   # may reject, after the key is taken, as the reference
                if supplement_count is not None and not out[supplement_count] and events:
                    out[supplement_count] = str(sum(1 for kind, _, _ in events if kind == "supplement"))
        return out, events

    return map_row
