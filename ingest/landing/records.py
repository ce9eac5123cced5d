"""Map one delivered record onto the canonical raw columns, or say why it is rejected.

A RecordMapper is built once per file: it compiles the profile and the file's header into a
plan (which source field feeds which output column, in which order the checks run) and keeps
small caches of conversions that repeat (status labels, agency names, fees, the date and time
halves of timestamps), so a row costs little more than its lookups. The checks run in a fixed
order, so a record with several problems is always rejected for the same first one:
shape, required values, status, other value maps, timestamps, numbers, nested lists, province
and date-order rules, duplicate key, events.

`map(record)` takes a dict (JSON, spreadsheets, tests) and is the reference; `_finish` holds the
checks every path shares. ingest.landing.csv_fast_path compiles the same plan, per column of a
CSV header, into the loader's fast path, and falls back to `_finish` for any row that might be
rejected, so both give the same answer (tests/unit/landing/test_ingest_fastpath.py).
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from ingest.errors import RowRejection
from ingest.landing.formats import SHAPE_CODE, SHAPE_ERROR
from ingest.landing.pii import Hasher
from ingest.landing.profiles import Profile
from ingest.landing.timestamps import EARLIEST_PLAUSIBLE_YEAR, TimestampParser, parse_timestamp
from ingest.text import drop_invisible, fold

__all__ = [
    "CATALOGUE_COLUMNS", "EARLIEST_PLAUSIBLE_YEAR", "EVENT_COLUMNS", "PORTAL_COLUMNS", "TARGET_COLUMNS",
    "MappedRecord", "RecordMapper", "RowRejection", "parse_timestamp",
]

PORTAL_COLUMNS = [
    "gso_code", "dossier_code", "procedure_code", "procedure_name", "field_code", "field_name",
    "agency_code", "agency_name", "channel", "online_level", "status", "status_code",
    "submitted_at", "received_at", "due_at", "finished_at", "returned_at", "refused_at",
    "paid_online", "fee_amount", "has_digitised_components", "has_electronic_result",
    "supplement_count", "applicant_name_hash", "applicant_id_hash",
]
CATALOGUE_COLUMNS = [
    "procedure_code", "procedure_name", "field_name", "statutory_limit_value",
    "statutory_limit_unit", "online_level", "has_fee",
]
EVENT_COLUMNS = [
    "requested_at", "supplement_received_at", "previous_due_at", "new_due_at",
    "department", "handler_hash", "occurred_at", "step_status", "step_due_at",
]
TARGET_COLUMNS = {"portal_dossiers": PORTAL_COLUMNS, "procedure_catalogue": CATALOGUE_COLUMNS}
_CACHE_LIMIT = 50_000          # entries per column cache; a column with more distinct values stops caching
_NOT_CACHED = object()
_MISS = object()     # not in a fast-path cache yet
_REJECT = object()   # the reference would reject this value
MAX_MAGNITUDE = 30            # digits before or after the point: far beyond any fee or count


class MappedRecord:
    """One output row (values in TARGET_COLUMNS order) and its events."""

    __slots__ = ("row", "columns", "events")

    def __init__(self, row: list[str | None], columns: list[str],
                 events: list[tuple[str, int, dict[str, str | None]]] | None = None):
        self.row = row
        self.columns = columns
        self.events = events or []

    @property
    def values(self) -> dict[str, str | None]:
        return dict(zip(self.columns, self.row, strict=True))


class PrecomputedHasher(Hasher):
    """ingest.landing.pii.Hasher with the HMAC key schedule done once: the same digests, half the work.

    HMAC-SHA256(key, m) = SHA256((key ^ opad) || SHA256((key ^ ipad) || m)); the two padded-key
    blocks are hashed once and copied per value. tests/unit/landing/test_ingest_unit.py checks it against Hasher.
    """

    def __init__(self, key: bytes):
        super().__init__(key)
        block = hashlib.sha256(key).digest() if len(key) > 64 else key
        block = block.ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def __call__(self, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        inner = self._inner.copy()
        # surrogatepass: a lone surrogate (a broken JSON escape) still hashes, deterministically.
        inner.update(" ".join(value.split()).encode("utf-8", "surrogatepass"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def _hashing_converter(hasher: Hasher) -> Callable[[str | None], str]:
    """raw cell -> hasher(_text(raw)) or "", without the intermediate calls when the hasher is precomputed."""
    if not isinstance(hasher, PrecomputedHasher):
        return lambda raw: hasher(_text(raw)) or ""
    inner, outer, normalize = hasher._inner, hasher._outer, unicodedata.normalize

    def convert(raw: str | None) -> str:
        if not raw:
            return ""
        words = (raw if raw.isascii() else drop_invisible(normalize("NFC", raw))).split()
        if not words:
            return ""
        digest = inner.copy()
        digest.update(" ".join(words).encode("utf-8", "surrogatepass"))
        final = outer.copy()
        final.update(digest.digest())
        return final.hexdigest()

    return convert


def _text(value: Any) -> str | None:
    """Trimmed text in NFC without invisible format characters, so composed and decomposed deliveries
    of a name, or a dossier code with a zero-width space pasted in, load (and hash) alike."""
    if value is None:
        return None
    if type(value) is not str:
        value = str(value)
    if not value.isascii():
        value = drop_invisible(unicodedata.normalize("NFC", value))
    return value.strip() or None


def _decimal(value: str, column: str) -> str:
    try:
        number = Decimal(value.replace(" ", "").replace(",", ""))
    except InvalidOperation:
        raise RowRejection("not_a_number", f"column {column}: {value!r} is not a number") from None
    if not number.is_finite():
        raise RowRejection("not_a_number", f"column {column}: {value!r} is not a finite number")
    if number < 0:
        raise RowRejection("negative_number", f"column {column}: {value!r} is negative")
    number = number.normalize()
    # Written out in full below: an exponent like 1E+999999 would become a megabyte of zeros.
    if number and (number.adjusted() > MAX_MAGNITUDE or number.as_tuple().exponent < -MAX_MAGNITUDE):
        raise RowRejection("not_a_number", f"column {column}: {value!r} is out of range")
    return format(number, "f")


class _Memo:
    """Remembers a pure function's results (and rejections) per input until it has seen too many."""

    __slots__ = ("function", "cache")

    def __init__(self, function):
        self.function = function
        self.cache: dict[Any, Any] | None = {}

    def __call__(self, value):
        cache = self.cache
        if cache is None:
            return self.function(value)
        try:
            found = cache.get(value, _NOT_CACHED)
        except TypeError:  # a JSON list or object: not hashable, not worth remembering
            return self.function(value)
        if found is _NOT_CACHED:
            try:
                found = self.function(value)
            except RowRejection as exc:
                found = exc
            if len(cache) >= _CACHE_LIMIT:
                self.cache = None
            else:
                cache[value] = found
        if type(found) is RowRejection:
            raise RowRejection(found.reason_code, found.reason)
        return found


class RecordMapper:
    """Maps the records of one file; remembers dossier codes to catch duplicates within the file."""

    def __init__(self, profile: Profile, hasher: Hasher, province: str | None, header_map: dict[str, str]):
        self.profile = profile
        self.hash = hasher
        self.province = province
        self.header_map = header_map
        self.columns = TARGET_COLUMNS[profile.target_table]
        self._seen_keys: set[str] = set()
        self._compile()

    # ---- the plan ---------------------------------------------------------------------------
    def _compile(self) -> None:
        profile = self.profile
        # Work vector: the output columns first (so a row is a slice of it), then anything else.
        names = list(self.columns)
        for name in [*profile.columns, *profile.personal_data, *profile.lists, *profile.value_maps,
                     *profile.timestamps, *profile.numbers, *profile.required]:
            if name not in names:
                names.append(name)
        if "status" in profile.value_maps and "status_code" not in names:
            names.append("status_code")
        self._names = names
        self._index = {name: i for i, name in enumerate(names)}
        self._width = len(self.columns)
        # Inputs: (work index, canonical name, is personal data); in the order the profile lists them.
        self._inputs = [(self._index[c], c, False) for c in profile.columns]
        self._inputs += [(self._index[c], c, True) for c in profile.personal_data]
        personal = set(profile.personal_data)
        self._text_memos = {c: _Memo(_text) for c in profile.columns if c != profile.key_column
                            and c not in personal}
        self._required = [(self._index[c], c) for c in profile.required]
        self._status = (
            (self._index["status"], self._index["status_code"], self._map_memo("status", "unknown_status"))
            if "status" in profile.value_maps else None
        )
        self._maps = [(self._index[c], self._map_memo(c, f"unknown_{c}"))
                      for c in profile.value_maps if c != "status"]
        self._parse_time = TimestampParser(profile.timestamp_formats)
        self._timestamps = [(self._index[c], c) for c in profile.timestamps]
        numbers = profile.numbers + (["fee_amount"] if "fee_amount" in profile.columns else [])
        self._numbers = [(self._index[c], _Memo(lambda v, c=c: _decimal(v, c))) for c in numbers]
        self._key = self._index.get(profile.key_column)
        self._portal = profile.target_table == "portal_dossiers"
        if self._portal:
            at = self._index
            self._gso, self._received, self._finished, self._due = (
                at["gso_code"], at["received_at"], at["finished_at"], at["due_at"])
        self._split_events = [
            (kind, spec, [(c, self.header_map.get(f"event:{c}")) for c in spec["split_columns"]])
            for kind, spec in profile.events.items() if "split_columns" in spec
        ]
        self._nested_events = [(kind, spec) for kind, spec in profile.events.items() if "field" in spec]
        self._supplement_count = self._index.get("supplement_count") if "supplement_count" in self.columns else None

    def _map_memo(self, column: str, reason_code: str) -> _Memo:
        mapping = self.profile.value_maps[column]
        known = sorted({v for v in mapping.values() if v})

        def lookup(value: str | None) -> str | None:
            key = fold(value or "")
            if key in mapping:
                return mapping[key] or None
            raise RowRejection(reason_code, f"column {column}: {value!r} is not a known value (maps to {known})")

        return _Memo(lookup)

    def row_plan(self, headers: list[str]) -> list[tuple[int, int, str, bool]]:
        """(position in the row, work index, canonical, is personal) for each input the header has."""
        position = {h: i for i, h in enumerate(headers)}  # a repeated header: the last one wins, as in a dict
        plan = []
        for work, canonical, personal in self._inputs:
            header = self.header_map.get(canonical)
            if header is not None and header in position:
                plan.append((position[header], work, canonical, personal))
        return plan

    # ---- entry points ------------------------------------------------------------------------
    def source_value(self, record: dict[str, Any], canonical: str) -> Any:
        header = self.header_map.get(canonical)
        if header is not None and header in record:
            return record[header]
        # JSON records may carry fields the first record lacked; spreadsheet sheets may use another alias.
        for alias in self.profile.columns.get(canonical, []) + self.profile.personal_data.get(canonical, []):
            if alias in record:
                return record[alias]
        return None

    def map(self, record: dict[str, Any]) -> MappedRecord:
        if SHAPE_ERROR in record:
            raise RowRejection(record.get(SHAPE_CODE, "malformed_record"), f"the record {record[SHAPE_ERROR]}")
        work: list[Any] = [None] * len(self._names)
        for index, canonical, personal in self._inputs:
            value = self.source_value(record, canonical)
            if personal:
                work[index] = self.hash(_text(value))
            elif value is not None:
                work[index] = self._text_memos.get(canonical, _text)(value)
        split_sources = {c: _text(record.get(header)) if header else None
                         for _, _, pairs in self._split_events for c, header in pairs}
        return self._finish(work, record, split_sources)

    # ---- the checks, in their fixed order ----------------------------------------------------
    def _finish(self, work: list[Any], record: dict[str, Any] | None,
                split_sources: dict[str, str | None]) -> MappedRecord:
        for index, column in self._required:
            if not work[index]:
                raise RowRejection(f"missing_{column}", f"column {column}: required value is empty")
        if self._status is not None:
            source, target, lookup = self._status
            work[target] = lookup(work[source])
        for index, lookup in self._maps:
            work[index] = lookup(work[index])
        parse_time = self._parse_time
        for index, column in self._timestamps:
            if work[index]:
                work[index] = parse_time(work[index], column)
        for index, convert in self._numbers:
            if work[index]:
                work[index] = convert(work[index])
        if self.profile.lists:
            self._apply_lists(record or {}, work)
        if self._portal:
            self._portal_rules(work)
        key = work[self._key] if self._key is not None else None
        if key in self._seen_keys:
            raise RowRejection(
                "duplicate_in_file", f"column {self.profile.key_column}: {key!r} appears earlier in this file"
            )
        self._seen_keys.add(key)
        row = work[: self._width]
        events = self._events(record, split_sources) if (self._nested_events or any(split_sources.values())) \
            else []
        if self._supplement_count is not None and not row[self._supplement_count] and events:
            row[self._supplement_count] = str(sum(1 for kind, _, _ in events if kind == "supplement"))
        return MappedRecord(row, self.columns, events)

    def _portal_rules(self, work: list[Any]) -> None:
        code = work[self._gso]
        if not code:
            if not self.province:
                raise RowRejection(
                    "missing_province", "column gso_code: empty and no --province was given for this file"
                )
            code = self.province
        if not (code.isascii() and code.isdigit() and len(code) <= 2):
            raise RowRejection("bad_province_code", f"column gso_code: {code!r} is not a 2-digit GSO code")
        work[self._gso] = code.zfill(2)
        received, finished = work[self._received], work[self._finished]
        if received and finished and finished < received:
            raise RowRejection(
                "received_after_finished",
                f"columns received_at/finished_at: received {received} after finished {finished}",
            )
        due = work[self._due]
        if received and due and due[:10] < received[:10]:
            raise RowRejection(
                "due_before_received", f"columns received_at/due_at: due {due} before received {received}"
            )

    def _apply_lists(self, record: dict[str, Any], work: list[Any]) -> None:
        for column, spec in self.profile.lists.items():
            index = self._index[column]
            items = record.get(spec["field"])
            items = items if isinstance(items, list) else []
            if spec.get("count"):
                work[index] = str(len(items))
            elif spec.get("non_empty"):
                work[index] = "1" if items else "0"
            elif spec.get("sum_of"):
                total = Decimal(0)
                for item in items:
                    amount = _text(item.get(spec["sum_of"])) if isinstance(item, dict) else None
                    if amount:
                        total += Decimal(_decimal(amount, f"{spec['field']}[].{spec['sum_of']}"))
                work[index] = format(total.normalize(), "f") if items else None

    def _events(self, record: dict[str, Any] | None,
                split_sources: dict[str, str | None]) -> list[tuple[str, int, dict[str, str | None]]]:
        events: list[tuple[str, int, dict[str, str | None]]] = []
        for kind, spec in self.profile.events.items():
            stamps = spec.get("timestamps", [])
            if "field" in spec:
                items = (record or {}).get(spec["field"])
                for seq, item in enumerate(items if isinstance(items, list) else [], start=1):
                    if not isinstance(item, dict):
                        raise RowRejection("malformed_record", f"{spec['field']}[{seq}] is not an object")
                    row = {c: _text(item.get(src)) for c, src in spec["columns"].items()}
                    for c in spec.get("personal_data", []):
                        row[c] = self.hash(row[c])
                    events.append((kind, seq, self._event_stamps(row, stamps, f"{spec['field']}[{seq}]")))
            elif "split_columns" in spec:
                separator = spec.get("separator", ";")
                split = {c: [p.strip() for p in (split_sources.get(c) or "").split(separator) if p.strip()]
                         for c in spec["split_columns"]}
                for seq in range(1, max((len(v) for v in split.values()), default=0) + 1):
                    row = {c: (parts[seq - 1] if seq <= len(parts) else None) for c, parts in split.items()}
                    events.append((kind, seq, self._event_stamps(row, stamps, f"{kind} {seq}")))
        return events

    def _event_stamps(self, row: dict[str, str | None], stamps: list[str], where: str) -> dict[str, str | None]:
        for column in stamps:
            if row.get(column):
                try:
                    row[column] = self._parse_time(row[column], column)
                except RowRejection as exc:
                    raise RowRejection(exc.reason_code, f"{where}: {exc.reason}") from None
        return row
