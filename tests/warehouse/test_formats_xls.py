"""Provincial reports saved as Excel 97–2003 (.xls): the same title block, two-row merged header,
date cells and footer as the .xlsx report must read to the same records and load the same way."""

from __future__ import annotations

import psycopg
import pytest

from ingest.landing import loader, readers
from tests.support.xls_writer import write_xls
from tests.warehouse.test_formats_xlsx import data_row, write_report


@pytest.fixture(autouse=True)
def pii_key(monkeypatch):
    monkeypatch.setenv("PARWH_PII_KEY", "xls-test-key")


def _records(path):
    opened = readers.open_file(path)
    try:
        return opened.format, opened.headers, [(n, {k: v for k, v in r.items() if k != readers.WHERE})
                                               for n, r in opened.records], dict(opened.ignored)
    finally:
        opened.close()


def test_an_xls_report_reads_exactly_like_its_xlsx(tmp_path):
    rows = [data_row(1, "HN-1"), data_row(2, "HN-2", c9="06/03/2025 08:00"), data_row(3, "HN-3", status="Đang xử lý")]
    xlsx = write_report(tmp_path / "report.xlsx", rows)
    xls = write_xls(xlsx, tmp_path / "report.xls")
    fmt, headers, records, ignored = _records(xls)
    assert fmt == "xlsx"     # one spreadsheet format to the profiles, whatever the file generation
    assert (headers, records, ignored) == _records(xlsx)[1:]
    assert records[0][1]["Ngày Tiếp nhận"] == "2025-03-04 08:30:00"    # a date cell, not a serial number


@pytest.mark.warehouse
def test_an_xls_report_loads_and_rejects_rows_like_the_xlsx(fresh_database, tmp_path):
    rows = [data_row(1, "HN-1"), data_row(2, None), data_row(3, "HN-3", status="Chưa rõ")]
    xls = write_xls(write_report(tmp_path / "bao_cao.xlsx", rows), tmp_path / "bao_cao.xls")
    result = loader.land_file(fresh_database, xls, province="01")
    assert (result.status, result.profile) == ("loaded", "provincial_xlsx")
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (3, 1, 2)
    with psycopg.connect(fresh_database) as conn:
        reasons = conn.execute("select reason_code from audit.rejected_rows order by row_number").fetchall()
        received = conn.execute("select received_at from raw.portal_dossiers").fetchall()
    assert [r for (r,) in reasons] == ["missing_dossier_code", "unknown_status"]
    assert received == [("2025-03-04 08:30:00",)]
