"""Property-based: arbitrary bytes and mutations of valid deliveries either load or reject with a
reason. Never an unhandled exception, never a 'failed' load (the loader's own bug marker), never a
partial load: rows_read = rows_loaded + rows_rejected, and a rejected file leaves nothing in raw.

Most examples run as dry runs (no database); a smaller number load for real, each example into a
database of its own (new and migrated, dropped after it), so no example sees another's loads.

The examples are derandomised: each run tries the same inputs (the explicit ones below, then those
Hypothesis derives from each test's name), so a failure in CI is reproduced by running the test
again. No health check is suppressed: every fixture the properties use outlives the examples.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import psycopg
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ingest.landing import loader
from tests.conftest import new_database
from tests.unit.landing.test_ingest_unit import PROVINCIAL_HEADER, provincial_row, to_cp1258
from tests.warehouse.test_formats_xlsx import data_row, write_report_sheet

SUFFIXES = [".csv", ".tsv", ".txt", ".json", ".jsonl", ".xlsx", ".xls", ".zip", ".pdf"]
FUZZ = settings(deadline=None, max_examples=250, derandomize=True, database=None)
FUZZ_DB = settings(FUZZ, max_examples=40)
_names = itertools.count()


@pytest.fixture(scope="module", autouse=True)
def pii_key():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARWH_PII_KEY", "fuzz-key")
        yield


@pytest.fixture(scope="module")
def deliveries(tmp_path_factory) -> Path:
    """The examples' files, each under a name of its own (write())."""
    return tmp_path_factory.mktemp("fuzz")


# ---- valid deliveries to start from ----------------------------------------------------------
def provincial_csv_text(rows: int = 4) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PROVINCIAL_HEADER.split(","), lineterminator="\r\n")
    writer.writeheader()
    for n in range(rows):
        writer.writerow(provincial_row(**{"Mã hồ sơ": f"F-{n}", "Ghi chú": "dòng\nmới" if n == 1 else ""}))
    return out.getvalue()


def national_records(rows: int = 3) -> list[dict]:
    return [{"MaHoSo": f"N-{n}", "MaTinh": "79", "TrangThaiHoSo": "9", "NgayTiepNhan": "20250304083000",
             "NgayKetThucXuLy": "20250305083000", "ChuHoSo": "Lý Thị Mẫu", "DanhSachLePhi": [{"Gia": "20000"}],
             "DanhSachHoSoBoSung": [{"NgayBoSung": "20250304090000", "NgayTiepNhanBoSung": "20250304100000"}],
             "QuaTrinhXuLy": [{"NguoiXuLy": "Cán bộ", "ThoiDiemXuLy": "20250304090000"}]} for n in range(rows)]


def xlsx_bytes(rows: list[list] | None = None) -> bytes:
    book = openpyxl.Workbook()
    write_report_sheet(book.active, rows if rows is not None else [data_row(1, "X-1"), data_row(2, "X-2")])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


CSV_TEXT = provincial_csv_text()
SEEDS: list[tuple[str, bytes]] = [
    (".csv", CSV_TEXT.encode("utf-8")),
    (".csv", codecs.BOM_UTF8 + CSV_TEXT.replace(",", ";").encode("utf-8")),
    (".txt", CSV_TEXT.replace(",", "\t").encode("utf-16")),
    (".csv", to_cp1258(CSV_TEXT)),
    (".jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in national_records()).encode("utf-8")),
    (".json", json.dumps(national_records(), ensure_ascii=False).encode("utf-8")),
    (".xlsx", xlsx_bytes()),
    (".zip", zip_bytes({"a.csv": CSV_TEXT.encode("utf-8"), "b.jsonl": json.dumps(national_records(1)[0]).encode()})),
]
_RECORD = national_records(1)[0]
# Inputs that crashed the first loader (kept as explicit examples): a BOM and nothing else; NUL in a
# CSV cell or a JSON string (PostgreSQL text cannot hold it); a lone surrogate from a JSON escape;
# an integer beyond Python's digit limit; nesting deeper than the recursion limit; fees of NaN and
# 1E+999999 (Decimal signals, or a megabyte of zeros).
NASTY: list[tuple[str, bytes]] = [
    (".csv", codecs.BOM_UTF8),
    (".csv", CSV_TEXT.replace("F-2", "F\x00-2").encode()),
    (".csv", CSV_TEXT.replace('"50,000"', "1E+999999", 1).replace('"50,000"', "NaN", 1).encode()),
    (".jsonl", (json.dumps({**_RECORD, "ChuHoSo": "\ud800x"}) + "\n"
                + json.dumps({**_RECORD, "MaHoSo": "S-2", "TenTTHC": "\ud800"})).encode()),
    (".jsonl", (json.dumps({**_RECORD, "MaHoSo": "N\u0000-1"}) + "\n" + '{"MaHoSo": ' + "9" * 5000 + "}").encode()),
    (".jsonl", (json.dumps(_RECORD) + "\n" + "[" * 100_000).encode()),
    (".json", b"[" * 100_000),
    (".jsonl", json.dumps({**_RECORD, "DanhSachLePhi": [{"Gia": "NaN"}]}).encode()),
]
SPECIAL_BYTES = [b"\x00", b'"', b",", b";", b"\t", b"\r", b"\n", b"\\", b"\xff\xfe", b"\xef\xbb\xbf", b"\xc3",
                 b"\xed\xa0\x80", b"[", b"{", b"}", b'"\\ud800"', b"1e999999", b"NaN", b"\x1a", b"PK\x03\x04",
                 b"\xe1\xba\xa1", "Đã trả kết quả".encode(), b"31/02/2025 08:00", b"9" * 5000]


# ---- mutations -----------------------------------------------------------------------------
@st.composite
def mutated(draw) -> tuple[str, bytes]:
    suffix, data = draw(st.sampled_from(SEEDS))
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "duplicate", "truncate", "special"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif kind == "delete":
            del data[at: at + draw(st.integers(1, 64))]
        elif kind == "duplicate":
            data[at:at] = data[at: at + draw(st.integers(1, 200))]
        elif kind == "truncate":
            del data[at:]
        else:
            data[at:at] = draw(st.sampled_from(SPECIAL_BYTES))
    if draw(st.booleans()):
        suffix = draw(st.sampled_from(SUFFIXES))
    return suffix, bytes(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
cell_text = st.text(max_size=40) | st.sampled_from(
    ["", " ", "Đang xử lý", "31/02/2025 08:00", "04/03/2025 08:30", "-1", "1e999999", "NaN", "٣", "00",
     "04/03/2025 09:00; x", "\x00", "a\\b", "tab\there", "line\nbreak", "Trực tuyến", "Có"])


@st.composite
def structured(draw) -> tuple[str, bytes]:
    """Valid files whose values (not bytes) are arbitrary: every mapper path, every rejection."""
    kind = draw(st.sampled_from(["csv", "jsonl", "xlsx"]))
    if kind == "csv":
        headers = PROVINCIAL_HEADER.split(",")
        rows = []
        for n in range(draw(st.integers(1, 6))):
            row = provincial_row(**{"Mã hồ sơ": f"S-{n}"})
            for header in draw(st.lists(st.sampled_from(headers), max_size=5)):
                row[header] = draw(cell_text)
            rows.append(row)
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=headers)
        writer.writeheader()
        writer.writerows(rows)
        return ".csv", out.getvalue().encode("utf-8", "surrogatepass")
    if kind == "jsonl":
        records = national_records(draw(st.integers(1, 4)))
        for record in records:
            for key in draw(st.lists(st.sampled_from(sorted(record) + ["extra"]), max_size=4)):
                record[key] = draw(json_values | cell_text)
        lines = [json.dumps(r, ensure_ascii=draw(st.booleans())) for r in records]
        return ".jsonl", "\n".join(lines).encode("utf-8", "surrogatepass")
    cells = st.one_of(cell_text.filter(lambda t: all(c.isprintable() or c in "\t\n" for c in t)),
                      st.integers(-10**6, 10**12), st.floats(allow_nan=False, allow_infinity=False),
                      st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2200, 1, 1)))
    rows = []
    for n in range(draw(st.integers(0, 4))):
        row = data_row(n + 1, f"X-{n}")
        for index in draw(st.lists(st.integers(0, len(row) - 1), max_size=4)):
            row[index] = draw(cells | st.none())
        rows.append(row)
    return ".xlsx", xlsx_bytes(rows)


# ---- the properties ------------------------------------------------------------------------
def _examples(test):
    for delivery in NASTY:
        test = example(delivery=delivery)(test)
    return test


def write(folder: Path, suffix: str, data: bytes) -> Path:
    path = folder / f"f{next(_names)}{suffix}"
    path.write_bytes(data)
    return path


def check_dry_run(path: Path) -> None:
    for result in loader.land_path(None, path, dry_run=True, province="01"):
        assert result.status in ("dry-run", "rejected"), (result.status, result.error)
        if result.status == "rejected":
            assert result.error and ":" in result.error
        else:
            assert result.rows_read == result.rows_loaded + result.rows_rejected


@FUZZ
@given(st.sampled_from(SUFFIXES), st.binary(max_size=2048))
def test_arbitrary_bytes_are_read_or_rejected(deliveries, suffix, data):
    check_dry_run(write(deliveries, suffix, data))


@FUZZ
@given(mutated())
@_examples
def test_mutated_deliveries_are_read_or_rejected(deliveries, delivery):
    check_dry_run(write(deliveries, *delivery))


@FUZZ
@given(structured())
def test_arbitrary_values_in_valid_files_are_read_or_rejected(deliveries, delivery):
    check_dry_run(write(deliveries, *delivery))


@pytest.mark.warehouse
@FUZZ_DB
@given(st.one_of(mutated(), structured(), st.tuples(st.sampled_from(SUFFIXES), st.binary(max_size=512))))
@_examples
def test_real_loads_are_whole_or_nothing(admin_url, deliveries, delivery):
    with new_database(admin_url) as url:
        _check_whole_or_nothing(url, loader.land_path(url, write(deliveries, *delivery), province="01"))


def _check_whole_or_nothing(url: str, results: list[loader.LoadResult]) -> None:
    with psycopg.connect(url) as conn:
        for result in results:
            assert result.status in ("loaded", "rejected", "duplicate"), (result.status, result.error)
            status, read, loaded, rejected = conn.execute(
                "select status, rows_read, rows_loaded, rows_rejected from audit.loads where load_id = %s",
                (result.load_id,)).fetchone()
            raw_rows = conn.execute("select count(*) from raw.portal_dossiers where _load_id = %s",
                                    (result.load_id,)).fetchone()[0]
            raw_rows += conn.execute("select count(*) from raw.procedure_catalogue where _load_id = %s",
                                     (result.load_id,)).fetchone()[0]
            events = conn.execute("select count(*) from raw.portal_dossier_events where _load_id = %s",
                                  (result.load_id,)).fetchone()[0]
            reasons = conn.execute("select count(*) from audit.rejected_rows where load_id = %s",
                                   (result.load_id,)).fetchone()[0]
            assert status == result.status
            if status == "loaded":
                assert read == loaded + rejected == result.rows_read
                assert (raw_rows, reasons) == (loaded, rejected)
            else:
                assert raw_rows == events == reasons == 0
        assert conn.execute("select count(*) from audit.loads where status in ('started', 'failed')").fetchone()[0] == 0
