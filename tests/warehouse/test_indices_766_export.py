"""The 766 dashboard's Excel export as a whole: one workbook for a month with the year-to-date and
month province sheets, the departments' and communes' sheets and two trend sheets
(ingest.synthetic.dvc766_export writes one laid out as the real export is). Every sheet is read:
the province sheets become two periods, the departments and communes agency scores in their
province, and the trend sheets are skipped with their reason.

Every workbook here is SYNTHETIC (made-up scores and codes, real province names); the marts built
from it are checked in tests/warehouse/test_index_marts.py."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import psycopg
import pytest

from ingest.indices import dvc766, periods
from ingest.indices.model import UnresolvedProvinces
from ingest.indices.publish import publish_file
from ingest.synthetic import dvc766_export
from ingest.synthetic.dvc766_export import COMMUNE_SHEET, DEPARTMENT_SHEET, MONTH_SHEET, TREND_SHEETS, YEAR_SHEET

GROUPS = {"CKMB": "transparency", "TDGQ": "progress", "CLGQ": "online_service", "TTTT": "online_payment",
          "MDSH": "digitisation", "MDHL": "satisfaction", "TONG_SCORE": "total"}
AN_GIANG = "91"


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> dvc766_export.Export:
    """October 2025 as An Giang sees it: 34 provinces, its 15 departments and 102 communes."""
    path = tmp_path_factory.mktemp("dvc766") / "T10_2025.xlsx"
    return dvc766_export.write_export(path, year=2025, month=10, featured=AN_GIANG, codes={AN_GIANG: "H01"})


def _file_values(rows: list[dict]) -> dict[tuple[str, str], tuple[float, int | None]]:
    """(MA_COQUAN, component) -> (value, rank) as written in the sheet."""
    return {(row["MA_COQUAN"], component): (row[column], row["ROW_STT"] if component == "total" else None)
            for row in rows for column, component in GROUPS.items()}


def test_the_export_has_the_real_layout(export):
    book = openpyxl.load_workbook(export.path, read_only=True)
    assert book.sheetnames == [YEAR_SHEET, MONTH_SHEET, DEPARTMENT_SHEET, COMMUNE_SHEET, *TREND_SHEETS]
    book.close()
    assert [len(export.rows(sheet)) for sheet in (YEAR_SHEET, MONTH_SHEET, DEPARTMENT_SHEET, COMMUNE_SHEET)] == [
        34, 34, 15, 102]
    assert {row["LOAI_COQUAN"] for row in export.rows(DEPARTMENT_SHEET)} == {2}
    assert all(row["MA_COQUAN"].startswith("H01.") for row in export.rows(COMMUNE_SHEET))


def test_every_sheet_is_read_as_its_period(export):
    editions = dvc766.read(export.path, "2025-YTD-10")
    by_period = {edition.period: edition for edition in editions}
    assert by_period.keys() == {"2025-YTD-10", "2025-10"}
    year, month = by_period["2025-YTD-10"], by_period["2025-10"]
    assert (year.source_sheet, month.source_sheet, year.list_version) == (YEAR_SHEET, MONTH_SHEET, "2025")
    committee_codes = {row["TEN_COQUAN"]: row["MA_COQUAN"] for row in export.rows(YEAR_SHEET)}
    for edition, sheet in ((year, YEAR_SHEET), (month, MONTH_SHEET)):
        read = {(committee_codes[s.unit_name], s.component): (s.value, s.rank_published) for s in edition.scores}
        assert read == _file_values(export.rows(sheet))
        assert len({s.province.gso_code for s in edition.scores}) == 34
    # Departments and communes carry the period given (here the year to date), in An Giang.
    assert month.agency_scores == []
    for level, sheet in (("department", DEPARTMENT_SHEET), ("commune", COMMUNE_SHEET)):
        scores = [a for a in year.agency_scores if a.unit_level == level]
        assert {(a.agency_code, a.component): (a.value, a.rank_published) for a in scores} == _file_values(
            export.rows(sheet))
        assert {(a.province.gso_code, a.province.list_version, a.source_sheet) for a in scores} == {
            (AN_GIANG, "2025", sheet)}
    assert [(s.sheet, s.reason.split(":")[0]) for s in editions.skipped_sheets] == [
        (TREND_SHEETS[0], "column THANG dates each row"), (TREND_SHEETS[1], "a trend sheet (its name says so)")]


def test_the_month_in_the_file_name_gives_both_views(export):
    editions = dvc766.read(export.path)  # T10_2025.xlsx, no period given
    assert {e.period: len(e.agency_scores) for e in editions} == {"2025-YTD-10": 0, "2025-10": (15 + 102) * 7}
    assert periods.in_name("Bo_chi_so_766_T3-2026") == periods.parse("2026-03")


def test_a_month_sheet_needs_a_month(export):
    with pytest.raises(periods.PeriodError, match="'Điểm năm' is the year to date through a month; give the month"):
        dvc766.read(export.path, "2025-Q3")


def test_an_agency_whose_province_is_not_in_the_file_is_listed(tmp_path):
    path = tmp_path / "dvc766_T10_2025.xlsx"
    dvc766_export.write_export(path, featured=AN_GIANG, codes={AN_GIANG: "H01"}, communes=3)
    book = openpyxl.load_workbook(path)
    sheet = book[DEPARTMENT_SHEET]
    header_row = next(row for row in sheet.iter_rows() if row[0].value == "ID")
    code_column = next(cell.column for cell in header_row if cell.value == "MA_COQUAN")
    sheet.cell(row=header_row[0].row + 2, column=code_column, value="H99.7")
    book.save(path)
    with pytest.raises(UnresolvedProvinces) as caught:
        dvc766.read(path, "2025-YTD-10")
    [(where, message)] = caught.value.problems
    assert where == f"sheet 'Sở Ban' row {header_row[0].row + 2} (MA_COQUAN H99.7)"
    assert "H99 or 7" in message


@pytest.mark.warehouse
def test_one_publish_lands_every_sheet(fresh_database, export):
    result = publish_file(fresh_database, export.path, index_code="DVC766", edition_year="2025-YTD-10",
                          run_id="test_766_export")
    assert (result.status, result.gate_outcome) == ("loaded", "pass"), result.error
    assert result.rows_loaded == (34 + 34 + 15 + 102) * 7
    with psycopg.connect(fresh_database) as conn:
        editions = conn.execute("select period, source_sheet, universe from audit.index_editions"
                                " where load_id = %s order by period", (result.load_id,)).fetchall()
        skipped = conn.execute("select sheet_name, reason from audit.skipped_sheets where load_id = %s"
                               " order by sheet_name", (result.load_id,)).fetchall()
        provinces = conn.execute("select period, count(*) filter (where component = 'total') from raw.index_scores"
                                 " where _load_id = %s group by period order by period", (result.load_id,)).fetchall()
        agencies = conn.execute(
            "select agency_code, component, value, rank_published, unit_level, gso_code, period"
            " from raw.agency_index_scores where _load_id = %s", (result.load_id,)).fetchall()
    assert editions == [("2025-10", MONTH_SHEET, 34), ("2025-YTD-10", YEAR_SHEET, 34)]
    assert [name for name, _ in skipped] == sorted(TREND_SHEETS) and all(reason for _, reason in skipped)
    assert provinces == [("2025-10", 34), ("2025-YTD-10", 34)]
    expected = {**_file_values(export.rows(DEPARTMENT_SHEET)), **_file_values(export.rows(COMMUNE_SHEET))}
    assert {(code, component): (Decimal(value), int(rank) if rank else None)
            for code, component, value, rank, *_ in agencies} == {
        key: (Decimal(str(value)), rank) for key, (value, rank) in expected.items()}
    assert {(level, gso, period) for *_, level, gso, period in agencies} == {
        ("department", AN_GIANG, "2025-YTD-10"), ("commune", AN_GIANG, "2025-YTD-10")}


@pytest.mark.warehouse
def test_an_agency_total_that_is_not_the_sum_quarantines_the_load(fresh_database, tmp_path):
    path = tmp_path / "dvc766_T10_2025.xlsx"
    dvc766_export.write_export(path, featured=AN_GIANG, codes={AN_GIANG: "H01"}, communes=3)
    book = openpyxl.load_workbook(path)
    sheet = book[COMMUNE_SHEET]
    header_row = next(row for row in sheet.iter_rows() if row[0].value == "ID")
    total_column = next(cell.column for cell in header_row if cell.value == "TONG_SCORE")
    cell = sheet.cell(row=header_row[0].row + 1, column=total_column)
    cell.value = round(cell.value - 3, 2)
    book.save(path)
    result = publish_file(fresh_database, path)
    assert (result.status, result.gate_outcome) == ("quarantined", "fail")
    checks = {f.check for f in result.failures}
    assert "agency_composite_is_sum" in checks and all(check.startswith("agency_") for check in checks)
