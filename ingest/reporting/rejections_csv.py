"""The rejected rows of a load as a CSV an auditor can open in a spreadsheet: every cell escaped
against formula injection (OWASP CSV injection), personal data as the loader stored it (hashed)."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import psycopg

from ingest.reporting.atomic_files import replacing

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# ---- CSV of rejected rows ---------------------------------------------------------------------
def escape_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will show as text, never run as a formula.

    A cell starting with =, +, -, @, tab or carriage return gets a leading apostrophe, which
    Excel, LibreOffice and Google Sheets display as text (OWASP's CSV-injection advice).
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _record_value(value: object) -> str:
    if value is None or isinstance(value, str):
        return "" if value is None else value
    return json.dumps(value, ensure_ascii=False)


def write_rejections_csv(conn: psycopg.Connection, load_id: int, folder: Path) -> Path | None:
    """load_<id>_rejected_rows.csv: one line per rejected row, the reason, then the original fields.

    The original record (personal data already hashed at landing) is spread into one column per
    field, so an auditor can filter it in a spreadsheet; every cell, headers included, is escaped.
    Rows are streamed from a server-side cursor, so a load with a million rejections stays cheap.
    """
    keys = [
        key for (key,) in conn.execute(
            "select distinct jsonb_object_keys(record) from audit.rejected_rows"
            " where load_id = %s and jsonb_typeof(record) = 'object' order by 1",
            (load_id,),
        )
    ]
    keys.sort(key=lambda key: key == "line")  # the raw line of a malformed record goes last
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"load_{load_id}_rejected_rows.csv"
    written = 0
    with replacing(target) as partial, partial.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([escape_cell(h) for h in ("load_id", "row_number", "reason_code", "reason", *keys)])
        with conn.cursor(name=f"rejections_{load_id}") as cursor:
            cursor.itersize = 10_000
            cursor.execute(
                "select row_number, reason_code, reason, record from audit.rejected_rows where load_id = %s"
                " order by row_number",
                (load_id,),
            )
            for row_number, reason_code, reason, record in cursor:
                fields = record if isinstance(record, dict) else {}
                writer.writerow([escape_cell(v) for v in (
                    load_id, row_number, reason_code, reason, *(_record_value(fields.get(k)) for k in keys))])
                written += 1
    if not written:
        target.unlink(missing_ok=True)   # only the header: no file for a load without rejections
        return None
    return target


def rejections_csv_of_load(conn: psycopg.Connection, load_id: int, finished_at: datetime | None,
                           site: Path) -> Path | None:
    """The load's CSV, written once: a finished load's rejected rows never change."""
    target = site / "rejections" / f"load_{load_id}_rejected_rows.csv"
    if target.exists() and finished_at is not None and target.stat().st_mtime >= finished_at.timestamp():
        return target
    return write_rejections_csv(conn, load_id, site / "rejections")
