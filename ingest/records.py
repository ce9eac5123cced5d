"""Map one delivered record onto the canonical raw columns, or say why it is rejected.

Pure functions: a record and a profile in, a MappedRecord or a RowRejection out.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ingest.pii import Hasher
from ingest.profiles import Profile
from ingest.text import fold

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
EARLIEST_PLAUSIBLE_YEAR = 1990


@dataclass
class RowRejection(Exception):
    reason_code: str
    reason: str


@dataclass
class MappedRecord:
    values: dict[str, str | None]
    events: list[tuple[str, int, dict[str, str | None]]] = field(default_factory=list)


def _text(value: Any) -> str | None:
    """Trimmed text in NFC, so composed and decomposed deliveries of a name load (and hash) alike."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value)).strip()
    return text or None


def parse_timestamp(value: str, formats: list[str], column: str) -> str:
    for fmt in formats:
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if parsed.year < EARLIEST_PLAUSIBLE_YEAR or parsed.year > 2100:
            raise RowRejection("implausible_date", f"column {column}: {value!r} is outside 1990-2100")
        return parsed.strftime("%Y-%m-%d %H:%M:%S")
    raise RowRejection(
        "unparseable_date", f"column {column}: {value!r} matches none of the formats {', '.join(formats)}"
    )


def _decimal(value: str, column: str) -> str:
    try:
        number = Decimal(value.replace(" ", "").replace(",", ""))
    except InvalidOperation:
        raise RowRejection("not_a_number", f"column {column}: {value!r} is not a number") from None
    if number < 0:
        raise RowRejection("negative_number", f"column {column}: {value!r} is negative")
    return format(number.normalize(), "f")


class RecordMapper:
    """Maps records of one file; remembers dossier codes to catch duplicates within the file."""

    def __init__(self, profile: Profile, hasher: Hasher, province: str | None, header_map: dict[str, str]):
        self.profile = profile
        self.hash = hasher
        self.province = province
        self.header_map = header_map
        self.columns = TARGET_COLUMNS[profile.target_table]
        self._seen_keys: set[str] = set()

    def source_value(self, record: dict[str, Any], canonical: str) -> str | None:
        header = self.header_map.get(canonical)
        if header is not None:
            return _text(record.get(header))
        # JSON records may carry fields the first record lacked.
        for alias in self.profile.columns.get(canonical, []) + self.profile.personal_data.get(canonical, []):
            if alias in record:
                return _text(record[alias])
        return None

    def map(self, record: dict[str, Any]) -> MappedRecord:
        if "__shape_error__" in record:
            raise RowRejection("malformed_record", f"the record {record['__shape_error__']}")
        profile = self.profile
        values: dict[str, str | None] = {c: self.source_value(record, c) for c in profile.columns}
        for canonical in profile.personal_data:
            values[canonical] = self.hash(self.source_value(record, canonical))
        for column in profile.required:
            if not values.get(column):
                raise RowRejection(f"missing_{column}", f"column {column}: required value is empty")
        if "status" in profile.value_maps:
            values["status_code"] = self._mapped("status", values.get("status"), "unknown_status")
        for column in profile.value_maps:
            if column != "status":
                values[column] = self._mapped(column, values.get(column), f"unknown_{column}")
        for column in profile.timestamps:
            if values.get(column):
                values[column] = parse_timestamp(values[column], profile.timestamp_formats, column)
        for column in profile.numbers + (["fee_amount"] if "fee_amount" in profile.columns else []):
            if values.get(column):
                values[column] = _decimal(values[column], column)
        self._apply_lists(record, values)
        if profile.target_table == "portal_dossiers":
            self._portal_rules(values)
        key = values.get(profile.key_column)
        if key in self._seen_keys:
            raise RowRejection(
                "duplicate_in_file", f"column {profile.key_column}: {key!r} appears earlier in this file"
            )
        self._seen_keys.add(key)
        mapped = MappedRecord({c: values.get(c) for c in self.columns})
        mapped.events = self._events(record)
        if "supplement_count" in self.columns and not mapped.values.get("supplement_count") and mapped.events:
            count = sum(1 for kind, _, _ in mapped.events if kind == "supplement")
            mapped.values["supplement_count"] = str(count)
        return mapped

    def _mapped(self, column: str, value: str | None, reason_code: str) -> str | None:
        mapping = self.profile.value_maps[column]
        key = fold(value or "")
        if key in mapping:
            return mapping[key] or None
        known = sorted({v for v in mapping.values() if v})
        raise RowRejection(reason_code, f"column {column}: {value!r} is not a known value (maps to {known})")

    def _portal_rules(self, values: dict[str, str | None]) -> None:
        if not values.get("gso_code"):
            if not self.province:
                raise RowRejection(
                    "missing_province", "column gso_code: empty and no --province was given for this file"
                )
            values["gso_code"] = self.province
        code = values["gso_code"]
        if not (code.isdigit() and len(code) <= 2):
            raise RowRejection("bad_province_code", f"column gso_code: {code!r} is not a 2-digit GSO code")
        values["gso_code"] = code.zfill(2)
        received, finished = values.get("received_at"), values.get("finished_at")
        if received and finished and finished < received:
            raise RowRejection(
                "received_after_finished",
                f"columns received_at/finished_at: received {received} after finished {finished}",
            )
        due = values.get("due_at")
        if received and due and due[:10] < received[:10]:
            raise RowRejection(
                "due_before_received", f"columns received_at/due_at: due {due} before received {received}"
            )

    def _apply_lists(self, record: dict[str, Any], values: dict[str, str | None]) -> None:
        for column, spec in self.profile.lists.items():
            items = record.get(spec["field"])
            items = items if isinstance(items, list) else []
            if spec.get("count"):
                values[column] = str(len(items))
            elif spec.get("non_empty"):
                values[column] = "1" if items else "0"
            elif spec.get("sum_of"):
                total = Decimal(0)
                for item in items:
                    amount = _text(item.get(spec["sum_of"])) if isinstance(item, dict) else None
                    if amount:
                        total += Decimal(_decimal(amount, f"{spec['field']}[].{spec['sum_of']}"))
                values[column] = format(total.normalize(), "f") if items else None

    def _events(self, record: dict[str, Any]) -> list[tuple[str, int, dict[str, str | None]]]:
        events: list[tuple[str, int, dict[str, str | None]]] = []
        for kind, spec in self.profile.events.items():
            stamps = spec.get("timestamps", [])
            if "field" in spec:
                items = record.get(spec["field"])
                for seq, item in enumerate(items if isinstance(items, list) else [], start=1):
                    if not isinstance(item, dict):
                        raise RowRejection("malformed_record", f"{spec['field']}[{seq}] is not an object")
                    row = {c: _text(item.get(src)) for c, src in spec["columns"].items()}
                    for c in spec.get("personal_data", []):
                        row[c] = self.hash(row[c])
                    events.append((kind, seq, self._event_stamps(row, stamps, f"{spec['field']}[{seq}]")))
            elif "split_columns" in spec:
                split = {
                    c: [p.strip() for p in (_text(record.get(self.header_map.get(f"event:{c}", ""))) or "").split(
                        spec.get("separator", ";")) if p.strip()]
                    for c in spec["split_columns"]
                }
                for seq in range(1, max((len(v) for v in split.values()), default=0) + 1):
                    row = {c: (parts[seq - 1] if seq <= len(parts) else None) for c, parts in split.items()}
                    events.append((kind, seq, self._event_stamps(row, stamps, f"{kind} {seq}")))
        return events

    def _event_stamps(self, row: dict[str, str | None], stamps: list[str], where: str) -> dict[str, str | None]:
        for column in stamps:
            if row.get(column):
                try:
                    row[column] = parse_timestamp(row[column], self.profile.timestamp_formats, column)
                except RowRejection as exc:
                    raise RowRejection(exc.reason_code, f"{where}: {exc.reason}") from None
        return row
