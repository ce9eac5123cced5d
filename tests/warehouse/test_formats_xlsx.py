"""Provincial XLSX report exports: title block, two-row merged header, footer rows, several sheets,
dates as date cells, Excel serial numbers and text; detection and --profile for spreadsheets."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import psycopg
import pytest

from ingest.landing import loader, profiles, readers
from ingest.landing.spreadsheets import cell_text

# Columns of the report: (upper header text, lower header text or None when merged down).
REPORT_COLUMNS = [
    ("STT", None), ("Mã hồ sơ", None), ("Thủ tục", "Mã"), ("Thủ tục", "Tên"), ("Đơn vị xử lý", None),
    ("Kênh nộp", None), ("Trạng thái", None), ("Ngày", "Tiếp nhận"), ("Ngày", "Hẹn trả"),
    ("Ngày", "Kết thúc xử lý"), ("Lệ phí", None), ("Chủ hồ sơ", None), ("Số giấy tờ", None), ("Ghi chú", None),
]
RECEIVED = datetime(2025, 3, 4, 8, 30)
DUE_SERIAL = 45722.708333333336          # 2025-03-06 17:00 as Excel stores it


def data_row(n: int, code: str | None, status: str = "Đã trả kết quả", **overrides) -> list:
    row = [n, code, "1.001612", "Đăng ký khai sinh", "UBND phường Phúc Xá", "Trực tuyến", status,
           RECEIVED, DUE_SERIAL, "05/03/2025 10:00", 50000, f"Người Nộp Số {n}", f"0010990{n:05d}", None]
    for index, value in overrides.items():
        row[int(index.removeprefix("c"))] = value
    return row


def write_report_sheet(ws, rows: list[list], *, title_rows: int = 3, merge: bool = True,
                       footer: bool = True) -> None:
    """A report as provinces print it: title block, two-row header, column numbers, data, totals, signatures."""
    width = len(REPORT_COLUMNS)
    ws.cell(1, 1, "UBND THÀNH PHỐ HÀ NỘI")
    if title_rows >= 2:
        ws.cell(2, 1, "BÁO CÁO CHI TIẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH")
        if merge:
            ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    if title_rows >= 3:
        ws.cell(3, 1, "(Từ ngày 01/03/2025 đến ngày 31/03/2025)")
    top = title_rows + 1
    col = 1
    while col <= width:
        upper, lower = REPORT_COLUMNS[col - 1]
        if lower is None:
            ws.cell(top, col, upper)
            if merge:
                ws.merge_cells(start_row=top, start_column=col, end_row=top + 1, end_column=col)
            col += 1
            continue
        span = 1
        while col + span <= width and REPORT_COLUMNS[col + span - 1][0] == upper:
            span += 1
        ws.cell(top, col, upper)
        if merge and span > 1:
            ws.merge_cells(start_row=top, start_column=col, end_row=top, end_column=col + span - 1)
        for offset in range(span):
            ws.cell(top + 1, col + offset, REPORT_COLUMNS[col + offset - 1][1])
        col += span
    for c in range(1, width + 1):
        ws.cell(top + 2, c, f"({c})")
    r = top + 3
    for row in rows:
        for c, value in enumerate(row, start=1):
            if value is not None:
                ws.cell(r, c, value)
        r += 1
    if footer:
        ws.cell(r, 1, "Tổng cộng")
        ws.cell(r, 11, sum(x[10] for x in rows if isinstance(x[10], int)))
        ws.cell(r + 2, 8, "Hà Nội, ngày 31 tháng 3 năm 2025")
        ws.cell(r + 3, 2, "Người lập biểu")
        ws.cell(r + 3, 8, "THỦ TRƯỞNG ĐƠN VỊ")
        ws.cell(r + 4, 2, "(Ký, ghi rõ họ tên)")
        ws.cell(r + 6, 2, "Trần Thị Lập")      # names under the titles, in the dossier-code column
        ws.cell(r + 6, 8, "Lê Văn Thủ Trưởng")


def write_report(path: Path, rows: list[list], **options) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Báo cáo"
    write_report_sheet(ws, rows, **options)
    book.save(path)
    return path


@pytest.fixture(autouse=True)
def pii_key(monkeypatch):
    monkeypatch.setenv("PARWH_PII_KEY", "xlsx-test-key")


def test_cells_become_the_text_a_csv_export_would_hold():
    assert cell_text(datetime(2025, 3, 4, 8, 29, 59, 999_700)) == "2025-03-04 08:30:00"
    assert cell_text(50000.0) == "50000" and cell_text(7) == "7" and cell_text(1.5) == "1.5"
    assert cell_text(None) is None and cell_text(" x ") == " x "


def test_the_header_is_found_below_the_title_and_read_over_two_merged_rows(tmp_path):
    path = write_report(tmp_path / "report.xlsx", [data_row(1, "HN-1"), data_row(2, "HN-2")])
    opened = readers.open_file(path)
    try:
        assert opened.format == "xlsx"
        assert opened.headers[:4] == ["STT", "Mã hồ sơ", "Thủ tục Mã", "Thủ tục Tên"]
        assert opened.headers[7:10] == ["Ngày Tiếp nhận", "Ngày Hẹn trả", "Ngày Kết thúc xử lý"]
        assert "header row 4-5" in opened.detail
        assert profiles.detect("xlsx", opened.headers).name == "provincial_xlsx"
        records = list(opened.records)
    finally:
        opened.close()
    assert [n for n, _ in records] == [1, 2]
    first = records[0][1]
    assert first["Mã hồ sơ"] == "HN-1" and first["Ngày Tiếp nhận"] == "2025-03-04 08:30:00"
    assert first[readers.WHERE] == "sheet 'Báo cáo' row 7"
    # totals, place-and-date, titles, "(Ký ...)", names: footer; the "(1) (2) ..." row: column numbers
    assert opened.ignored == {"column_numbers": 1, "footer": 5}


def test_a_two_row_header_without_merge_records_still_reads(tmp_path):
    path = write_report(tmp_path / "unmerged.xlsx", [data_row(1, "HN-1")], merge=False, title_rows=1)
    opened = readers.open_file(path)
    try:
        assert opened.headers[7:10] == ["Ngày Tiếp nhận", "Ngày Hẹn trả", "Ngày Kết thúc xử lý"]
        assert [r["Mã hồ sơ"] for _, r in opened.records] == ["HN-1"]
    finally:
        opened.close()


@pytest.mark.warehouse
def test_a_report_loads_rejects_bad_rows_and_ignores_its_footer(fresh_database, tmp_path):
    rows = [
        data_row(1, "HN-1"),
        data_row(2, None, status="Đang xử lý"),                 # a real row without its code: rejected
        data_row(3, "HN-3", status="Chưa rõ"),                  # unknown status: rejected
        data_row(4, "HN-4", c8="2025-03-10", c9="06/03/2025 08:00"),   # text dates in two layouts
    ]
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Báo cáo"
    write_report_sheet(first, rows)
    notes = book.create_sheet("Ghi chú")
    notes["A1"] = "Số liệu trích xuất từ hệ thống một cửa"
    second = book.create_sheet("Tháng 4")
    second.append(["STT", "Số hồ sơ", "Trạng thái", "Ngày tiếp nhận", "Chủ hồ sơ"])
    second.append([1, "HN-5", "Đang xử lý", datetime(2025, 4, 1, 9, 0), "Phạm Thị Tư"])
    second.append([2, "HN-1", "Đang xử lý", datetime(2025, 4, 2, 9, 0), "Phạm Thị Năm"])   # duplicate of sheet 1
    path = tmp_path / "bao_cao.xlsx"
    book.save(path)

    result = loader.land_file(fresh_database, path, province="01")
    assert (result.status, result.profile) == ("loaded", "provincial_xlsx")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (6, 3, 3)
    assert result.rows_ignored == {"column_numbers": 1, "footer": 5}
    with psycopg.connect(fresh_database) as conn:
        loaded = dict(conn.execute(
            "select dossier_code, array[received_at, due_at, finished_at, gso_code] from raw.portal_dossiers"
        ).fetchall())
        rejected = conn.execute(
            "select row_number, reason_code, reason from audit.rejected_rows order by row_number").fetchall()
        error = conn.execute("select error from audit.loads").fetchone()[0]
    assert loaded["HN-1"] == ["2025-03-04 08:30:00", "2025-03-06 17:00:00", "2025-03-05 10:00:00", "01"]
    assert loaded["HN-4"] == ["2025-03-04 08:30:00", "2025-03-10 00:00:00", "2025-03-06 08:00:00", "01"]
    assert loaded["HN-5"][0] == "2025-04-01 09:00:00"
    assert [(n, code) for n, code, _ in rejected] == [
        (2, "missing_dossier_code"), (3, "unknown_status"), (6, "duplicate_in_file")]
    assert "sheet 'Báo cáo' row 8" in rejected[0][2] and "sheet 'Tháng 4' row 3" in rejected[2][2]
    assert "footer x5" in error


@pytest.mark.warehouse
def test_no_header_anywhere_rejects_the_file_listing_the_candidates(fresh_database, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["Tên", "Tuổi"])
    book.active.append(["An", 30])
    path = tmp_path / "lạ.xlsx"
    book.save(path)
    result = loader.land_file(fresh_database, path)
    assert result.status == "rejected"
    assert "unknown_layout" in result.error and "provincial_xlsx" in result.error
    assert "missing required" in result.error


@pytest.mark.warehouse
def test_profile_override_for_spreadsheets(fresh_database, tmp_path):
    path = write_report(tmp_path / "report.xlsx", [data_row(1, "HN-1")])
    assert loader.land_file(fresh_database, path, profile_name="provincial_csv", province="01").error.startswith(
        "profile_format_mismatch")
    path.write_bytes(path.read_bytes())  # same bytes: the rejected delivery does not count as loaded
    result = loader.land_file(fresh_database, path, profile_name="provincial_xlsx", province="01")
    assert (result.status, result.rows_loaded) == ("loaded", 1)


def test_damaged_spreadsheets_are_rejected_with_a_reason(tmp_path):
    for name, content in [("broken.xlsx", b"PK\x03\x04 not really a zip"), ("old.xls", b"\xd0\xcf\x11\xe0 junk"),
                          ("text.xlsx", "Mã hồ sơ,Trạng thái\n".encode())]:
        (tmp_path / name).write_bytes(content)
        result = loader.land_file(None, tmp_path / name, dry_run=True)
        assert result.status == "rejected" and result.error.startswith("unreadable_spreadsheet"), result.error
