"""Land one index publication file as one load: audit.loads (source_kind 'index_publication',
profile = the reader), its province rows in raw.index_scores and its department and commune rows
(766) in raw.agency_index_scores, one audit.index_editions row per edition (a PAPI workbook or a
766 export holds several), one audit.skipped_sheets row per sheet the reader read past, then
the checks of ingest.indices.checks. The reader is the one `--index` or the file name names, else
the one whose headers the file has (recognise.py); a file none fits, or that is not readable at
all, is 'rejected' with the reason in one line.

A file whose provinces do not all resolve is 'rejected' (error: every name with its nearest
candidates) and nothing of it reaches raw. A critical check failure quarantines the load
(status 'quarantined', gate_outcome 'fail'); otherwise gate_outcome is 'pass' or 'warn', and
the load is visible to staging through visible_loads().

As for portal exports (ingest.loader): only a regular file inside its folder is read, it is hashed
before and must hash the same after reading (else `file_changed_while_read`, nothing committed),
it is read without holding the ingest lock, and only its commit takes it. The same content with
the same reader, --index and --edition is a duplicate unless reload=True.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from ingest import intake
from ingest.errors import FileRejected
from ingest.indices import checks, dvc766, papi, pci, periods, recognise, template
from ingest.indices.model import Edition, LayoutNotFound, SkippedSheet, UnresolvedProvinces
from ingest.runtime import load_audit

SOURCE_KIND = "index_publication"
Reader = Callable[..., list[Edition]]
READERS: dict[str, tuple[str, Reader]] = {
    "PCI": (pci.READER, pci.read),
    "PAPI": (papi.READER, papi.read),
    "DVC766": (dvc766.READER, dvc766.read),
}
# Indices published only as PDF or infographics: typed into the long template.
TEMPLATE_INDICES = ("PAR_INDEX", "SIPAS", "ICT_INDEX")
TEMPLATE = (template.READER, template.read)
# What a reader raises for a file it cannot take: the load is rejected with the reason.
REJECTING = (UnresolvedProvinces, LayoutNotFound, template.TemplateRowsInvalid, periods.PeriodError,
             json.JSONDecodeError, UnicodeDecodeError, csv.Error)
RAW_COLUMNS = (
    "_load_id", "_row_number", "index_code", "edition_year", "period", "unit_name", "gso_code", "component",
    "value", "rank_published", "source_sheet", "methodology_version", "list_version", "universe", "scale_min",
    "scale_max", "tier", "source_file", "source_reference",
)
AGENCY_RAW_COLUMNS = (
    "_load_id", "_row_number", "index_code", "edition_year", "period", "unit_level", "agency_code", "agency_name",
    "gso_code", "list_version", "component", "value", "rank_published", "methodology_version", "scale_min",
    "scale_max", "source_file", "source_sheet",
)


@dataclass
class PublishResult:
    name: str
    profile: str | None
    load_id: int | None
    status: str
    rows_loaded: int = 0
    gate_outcome: str | None = None
    error: str | None = None
    failures: list[checks.CheckFailure] = field(default_factory=list)
    skipped_sheets: list[SkippedSheet] = field(default_factory=list)  # also in audit.skipped_sheets


def _choose_reader(path: Path, index_code: str | None) -> tuple[str, Reader] | None:
    """The reader of `index_code`, else the one the file name names ('PCI_2016.xlsx',
    'dvc766_2025-Q3.json', 'par_index_2023.csv'; any .csv is the long template), else None:
    the file's content will tell (_recognised)."""
    if index_code is not None:
        if index_code in TEMPLATE_INDICES:
            return TEMPLATE
        if index_code not in READERS:
            raise ValueError(f"no reader for index {index_code!r}; readers: "
                             f"{', '.join((*READERS, *TEMPLATE_INDICES))}")
        return READERS[index_code]
    stem = path.stem.lower().replace("-", "_")
    if path.suffix.lower() == ".csv" or "template" in stem or any(
            code.lower() in stem for code in TEMPLATE_INDICES):
        return TEMPLATE
    for code, reader in READERS.items():
        if code.lower() in stem:
            return reader
    return None


def _recognised(path: Path) -> tuple[str, Reader]:
    """The reader whose header signature the file has (ingest.indices.recognise)."""
    found = recognise.recognise(path)
    if found is None:
        raise FileRejected("unrecognised_publication",
                           f"{path.name}: neither its name nor its content says which index it publishes: found "
                           f"none of {recognise.LOOKED_FOR}; pass --index if it is one")
    return TEMPLATE if found == recognise.TEMPLATE else READERS[found]


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def raw_rows(load_id: int, source_file: str, editions: list[Edition]) -> list[tuple]:
    """raw.index_scores rows (RAW_COLUMNS order); one _row_number per published source row."""
    numbers: dict[tuple[str, str, int | None, str], int] = {}
    rows = []
    for edition in editions:
        for score in edition.scores:
            key = (edition.period, edition.source_sheet, score.source_row, score.component)
            # Rows without a source position (JSON, template) get their own number each.
            number_key = key[:3] if score.source_row is not None else (*key[:2], len(rows), "")
            number = numbers.setdefault(number_key, len(numbers) + 1)
            scale_min, scale_max = edition.methodology.scale(score.component)
            rows.append((
                load_id, number, edition.index_code, str(edition.edition_year), edition.period, score.unit_name,
                score.province.gso_code, score.component, _text(score.value), _text(score.rank_published),
                edition.source_sheet, edition.methodology.methodology_version, edition.list_version,
                str(edition.universe), _text(scale_min), _text(scale_max), score.tier, source_file,
                getattr(score, "source_reference", None),
            ))
    return rows


def agency_raw_rows(load_id: int, source_file: str, editions: list[Edition]) -> list[tuple]:
    """raw.agency_index_scores rows (AGENCY_RAW_COLUMNS order); one _row_number per source row."""
    numbers: dict[tuple[str, str | None, int | None], int] = {}
    rows = []
    for edition in editions:
        method = edition.methodology
        for score in edition.agency_scores:
            number = numbers.setdefault((edition.period, score.source_sheet, score.source_row), len(numbers) + 1)
            scale_min, scale_max = method.scale(score.component)
            rows.append((
                load_id, number, edition.index_code, str(edition.edition_year), edition.period, score.unit_level,
                score.agency_code, score.agency_name, score.province.gso_code, edition.list_version,
                score.component, _text(score.value), _text(score.rank_published), method.methodology_version,
                _text(scale_min), _text(scale_max), source_file, score.source_sheet,
            ))
    return rows


def _copy(conn: psycopg.Connection, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    names = sql.SQL(", ").join(map(sql.Identifier, columns))
    with conn.cursor().copy(sql.SQL("copy raw.{} ({}) from stdin").format(sql.Identifier(table), names)) as copy:
        for row in rows:
            copy.write_row(row)


def publish_file(
    warehouse_url: str,
    path: Path,
    *,
    index_code: str | None = None,
    edition_year: int | str | None = None,
    run_id: str | None = None,
    reload: bool = False,
    root: Path | None = None,
) -> PublishResult:
    """Land `path` as one load and validate it; never raises for a bad file (see the result).

    `edition_year` is a year, or for the 766 index and the template a period such as
    '2025-Q3', '2025-10' or '2025-YTD-10' (by default taken from the sheet or file name).
    `root` is the folder the file was found in (links must not lead out of it)."""
    path = Path(path)
    reader = _choose_reader(path, index_code)
    budget = intake.TimeBudget.start(path.name)
    snapshot = rejection = None
    try:
        with budget.active():
            intake.check_location(path, root)
            snapshot = intake.take_snapshot(path)
            reader = reader or _recognised(path)   # read only once it is known to be a file inside its folder
    except FileRejected as exc:
        rejection = f"{exc.reason_code}: {exc.message}"
    except OSError as exc:
        rejection = str(intake.unreadable(path.name, exc))
    profile, read = reader or (None, None)
    sha256 = snapshot.sha256 if snapshot else intake.unread_identity(path)
    key = load_audit.load_key(sha256, reload=reload, reader=profile, index=index_code,
                         edition=None if edition_year is None else str(edition_year))
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        load_audit.sweep_abandoned_loads(conn)
        load_id, duplicate_of = load_audit.start_load(
            conn, source_kind=SOURCE_KIND, profile=profile, file_name=path.name, file_path=str(path),
            file_sha256=sha256, file_bytes=snapshot.size if snapshot else None, province_code=None, run_id=run_id,
            key=key,
        )
        if duplicate_of is not None:
            return PublishResult(path.name, profile, load_id, "duplicate",
                                 error=f"same file content and arguments as load {duplicate_of}; skipped")
        if rejection is not None:
            _finish(conn, load_id, "rejected", rejection)
            return PublishResult(path.name, profile, load_id, "rejected", error=rejection)
        return _land(conn, load_id, path, profile, read, edition_year, snapshot, budget)


def _finish(conn: psycopg.Connection, load_id: int, status: str, error: str | None) -> None:
    conn.execute(
        "update audit.loads set status = %s, error = %s, rows_read = 0, rows_loaded = 0, rows_rejected = 0,"
        " finished_at = now() where load_id = %s",
        (status, error, load_id),
    )


def _land(conn: psycopg.Connection, load_id: int, path: Path, profile: str, read: Reader,
          edition_year: int | str | None, snapshot: intake.Snapshot, budget: intake.TimeBudget) -> PublishResult:
    try:
        with budget.active():
            editions = read(path, edition_year)
            intake.verify_snapshot(path, snapshot)
    except FileRejected as error:
        message = f"{error.reason_code}: {error.message}"
        _finish(conn, load_id, "rejected", message)
        return PublishResult(path.name, profile, load_id, "rejected", error=message)
    except REJECTING as error:
        if isinstance(error, (json.JSONDecodeError, UnicodeDecodeError, csv.Error)):
            message = f"unreadable_file: {path.name}: not UTF-8 text of its kind ({type(error).__name__}: {error})"
        else:
            message = str(error) if path.name in str(error) else f"{path.name}: {error}"
        _finish(conn, load_id, "rejected", message)
        return PublishResult(path.name, profile, load_id, "rejected", error=message)
    except Exception as error:  # a broken file must leave a finished audit row, then surface
        _finish(conn, load_id, "failed", f"{type(error).__name__}: {error}")
        raise
    rows = raw_rows(load_id, path.name, editions)
    agency_rows = agency_raw_rows(load_id, path.name, editions)
    with conn.transaction():
        load_audit.lock_for_commit(conn)
        _copy(conn, "index_scores", RAW_COLUMNS, rows)
        _copy(conn, "agency_index_scores", AGENCY_RAW_COLUMNS, agency_rows)
        for skipped in getattr(editions, "skipped_sheets", ()):
            conn.execute("insert into audit.skipped_sheets (load_id, sheet_name, reason) values (%s, %s, %s)",
                         (load_id, skipped.sheet, skipped.reason))
        for edition in editions:
            method = edition.methodology
            conn.execute(
                "insert into audit.index_editions (load_id, index_code, edition_year, period, list_version,"
                " universe, methodology_version, scale_min, scale_max, composite_formula, source_file,"
                " source_sheet) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (load_id, edition.index_code, edition.edition_year, edition.period, edition.list_version,
                 edition.universe, method.methodology_version, method.total_scale_min, method.total_scale_max,
                 method.composite_formula, path.name, edition.source_sheet),
            )
        conn.execute(
            "update audit.loads set status = 'loaded', rows_read = %s, rows_loaded = %s, rows_rejected = 0,"
            " finished_at = now() where load_id = %s",
            (len(rows) + len(agency_rows), len(rows) + len(agency_rows), load_id),
        )
    failures = checks.check_load(conn, load_id)
    gate = checks.outcome(failures)
    error = "; ".join(map(str, failures[:20])) or None
    status = "quarantined" if gate == "fail" else "loaded"
    conn.execute("update audit.loads set status = %s, gate_outcome = %s, error = %s where load_id = %s",
                 (status, gate, error, load_id))
    return PublishResult(path.name, profile, load_id, status, len(rows) + len(agency_rows), gate, error, failures,
                         list(getattr(editions, "skipped_sheets", ())))
