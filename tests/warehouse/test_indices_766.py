"""The Decision 766 dashboard reader (ingest/indices/dvc766.py), edition periods, and the long
template for indices published only as PDF or infographics (ingest/indices/template.py).

Every file here is SYNTHETIC, written by the tests: the dashboard rows and template values
are made up (deterministic), only the province names and codes are real. No real 766 export
or PAR INDEX table ships with the project."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from ingest.indices import dvc766, periods, template
from ingest.indices.model import UnresolvedProvinces
from ingest.indices.publish import publish_file
from ingest.reference import provinces

CITIES_2025 = {"01", "31", "46", "48", "79", "92"}  # centrally governed cities on the 34-province list
# Dashboard column -> maximum (DOMAIN.md §2).
MAXIMA = {"CKMB": 18, "TDGQ": 20, "CLGQ": 12, "TTTT": 10, "MDSH": 22, "MDHL": 18}


def _unit_name(province: provinces.Province) -> str:
    unit = "Thành phố" if province.gso_code in CITIES_2025 else "tỉnh"
    return f"UBND {unit} {province.name}"


def synthetic_dashboard_rows() -> list[dict]:
    """SYNTHETIC: one People's Committee row per 2025 province, plus a department and a commune
    row that must not become province scores (they are agency scores). Scores are made up; TONG_SCORE is their sum and
    ROW_STT the competition rank of TONG_SCORE."""
    rows = []
    for number, province in enumerate(provinces.provinces("2025"), start=1):
        scores = {column: round(maximum * ((number * 7 + i * 3) % 10 + 1) / 11, 2)
                  for i, (column, maximum) in enumerate(MAXIMA.items())}
        rows.append({"ID": 1000 + number, "TEN": _unit_name(province), "MA_COQUAN": f"H{number:02d}",
                     "LOAI_COQUAN": 1, **scores, "TONG_SCORE": round(sum(scores.values()), 2)})
    for row in rows:
        row["ROW_STT"] = 1 + sum(other["TONG_SCORE"] > row["TONG_SCORE"] for other in rows)
    # Both belong to the province published as H01 (the first on the list, Hà Nội, in these made-up codes).
    department = {**rows[0], "ID": 1, "TEN": "Sở Công Thương - Thành phố Hà Nội", "MA_COQUAN": "H01.13",
                  "LOAI_COQUAN": 2}
    commune = {**rows[1], "ID": 2, "TEN": "UBND phường Hoàn Kiếm - Thành phố Hà Nội", "MA_COQUAN": "H01.187",
               "LOAI_COQUAN": "3"}
    return [department, *rows, commune]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "label", "last_day"), [
    ("2016", "2016", date(2016, 12, 31)),
    ("2025-Q2", "2025-Q2", date(2025, 6, 30)),
    ("2025-q3", "2025-Q3", date(2025, 9, 30)),
    ("2025-10", "2025-10", date(2025, 10, 31)),
    ("2025-YTD-9", "2025-YTD-09", date(2025, 9, 30)),
    ("2024-02", "2024-02", date(2024, 2, 29)),
])
def test_periods(text, label, last_day):
    period = periods.parse(text)
    assert (period.label, period.last_day) == (label, last_day)
    assert periods.in_name(f"dvc766_{text}") == period


def test_period_errors_and_names_without_a_period():
    with pytest.raises(ValueError, match="not a period"):
        periods.parse("Q3 2025")
    with pytest.raises(ValueError, match="not a month"):
        periods.parse("2025-13")
    assert periods.in_name("dvc766_latest") is None


def test_dashboard_rows_become_province_scores(tmp_path):
    rows = synthetic_dashboard_rows()
    [edition] = dvc766.read(_write(tmp_path / "dvc766_2025-Q3.json", rows))
    assert (edition.index_code, edition.period, edition.edition_year, edition.list_version) == (
        "DVC766", "2025-Q3", 2025, "2025")
    assert edition.universe == 34
    totals = {s.province.gso_code: s for s in edition.scores if s.component == "total"}
    assert len(totals) == 34  # the department and the commune rows are not provinces
    agencies = {(a.unit_level, a.agency_code, a.province.gso_code, a.value, a.rank_published)
                for a in edition.agency_scores if a.component == "total"}
    assert agencies == {("department", "H01.13", "01", rows[1]["TONG_SCORE"], rows[1]["ROW_STT"]),
                        ("commune", "H01.187", "01", rows[2]["TONG_SCORE"], rows[2]["ROW_STT"])}
    hue = next(r for r in rows if r["TEN"] == "UBND Thành phố Huế")
    assert (totals["46"].value, totals["46"].rank_published, totals["46"].unit_name) == (
        hue["TONG_SCORE"], hue["ROW_STT"], "UBND Thành phố Huế")
    transparency = {s.province.gso_code: s.value for s in edition.scores if s.component == "transparency"}
    assert transparency["46"] == hue["CKMB"]
    assert {s.component for s in edition.scores} == {
        "total", "transparency", "progress", "online_service", "online_payment", "digitisation", "satisfaction"}


def test_dashboard_period_before_the_reorganisation_reads_the_63_province_list(tmp_path):
    rows = [{"ID": 1, "TEN": "UBND tỉnh Bắc Giang", "LOAI_COQUAN": 1, "TONG_SCORE": 80, "ROW_STT": 1}]
    [edition] = dvc766.read(_write(tmp_path / "dashboard.json", rows), "2025-Q2")
    assert edition.list_version == "2004" and edition.period == "2025-Q2"
    assert [s.province.gso_code for s in edition.scores] == ["24"]  # Bắc Giang's own code until 2025-06-30


def test_dashboard_name_that_does_not_resolve_is_listed(tmp_path):
    rows = synthetic_dashboard_rows()
    rows[5]["TEN"] = "UBND tỉnh Bắc Ninhh"
    with pytest.raises(UnresolvedProvinces, match="Bắc Ninhh"):
        dvc766.read(_write(tmp_path / "dvc766_2025-Q3.json", rows))


@pytest.mark.warehouse
def test_publish_dashboard_rows(fresh_database, tmp_path):
    result = publish_file(fresh_database, _write(tmp_path / "dvc766_2025-Q3.json", synthetic_dashboard_rows()),
                          run_id="test_766")
    assert (result.profile, result.status, result.gate_outcome) == ("dvc766_dashboard_json", "loaded", "pass")
    assert result.rows_loaded == 34 * 7 + 2 * 7  # the provinces, then the department and the commune
    bad = synthetic_dashboard_rows()
    bad[3]["TONG_SCORE"] += 5  # the total is no longer the sum of the six groups
    failed = publish_file(fresh_database, _write(tmp_path / "dvc766_2025-10.json", bad))
    assert (failed.status, failed.gate_outcome) == ("quarantined", "fail")
    assert any(f.check == "composite_is_sum" for f in failed.failures)
    with psycopg.connect(fresh_database) as conn:
        edition = conn.execute("select period, list_version, universe, methodology_version from audit.index_editions"
                               " where load_id = %s", (result.load_id,)).fetchall()
        agencies = conn.execute("select unit_level, agency_code, gso_code, list_version, period, count(*)"
                                " from raw.agency_index_scores where _load_id = %s"
                                " group by 1, 2, 3, 4, 5 order by 1", (result.load_id,)).fetchall()
    assert edition == [("2025-Q3", "2025", 34, "qd766_2023")]
    assert agencies == [("commune", "H01.187", "01", "2025", "2025-Q3", 7),
                        ("department", "H01.13", "01", "2025", "2025-Q3", 7)]


def synthetic_par_index_rows(year: int = 2023) -> list[dict]:
    """SYNTHETIC PAR INDEX values (made up) for all 63 provinces: the total and one field."""
    rows = []
    for number, province in enumerate(provinces.provinces("2004"), start=1):
        total = round(95 - number * 0.25, 2)
        rows.append({"index": "PAR_INDEX", "edition": year, "province": province.name, "component": "Tổng",
                     "value": total, "rank": number, "source_reference": f"Báo cáo PAR INDEX {year}, tr. 12"})
        rows.append({"index": "PAR_INDEX", "edition": year, "province": province.name,
                     "component": "Cải cách thủ tục hành chính", "value": round(90 - number * 0.5, 2), "rank": "",
                     "source_reference": f"Infographic {year}, field 3"})
    return rows


def _write_template(path: Path, rows: list[dict], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_template_reads_every_row(tmp_path):
    rows = synthetic_par_index_rows()
    rows[0]["province"] = "TP. Hồ Chí Minh"  # a published spelling of a 2004 province
    [edition] = template.read(_write_template(tmp_path / "par_index_2023.csv", rows, delimiter=";"))
    assert (edition.index_code, edition.period, edition.list_version, edition.methodology.methodology_version) == (
        "PAR_INDEX", "2023", "2004", "par_index_2022")
    assert {s.component for s in edition.scores} == {"total", "cai_cach_thu_tuc_hanh_chinh"}
    first = edition.scores[0]
    assert (first.province.gso_code, first.value, first.rank_published, first.source_reference) == (
        "79", 94.75, 1, "Báo cáo PAR INDEX 2023, tr. 12")


def test_template_rejects_unreadable_rows_with_their_row_numbers(tmp_path):
    rows = synthetic_par_index_rows()
    rows[2]["value"] = "chín mươi"
    rows[4]["index"] = "PAR"
    with pytest.raises(template.TemplateRowsInvalid) as caught:
        template.read(_write_template(tmp_path / "par_index_2023.csv", rows))
    assert [p.split(":")[0] for p in caught.value.problems] == ["par_index_2023.csv row 4", "par_index_2023.csv row 6"]


@pytest.mark.warehouse
def test_publish_template(fresh_database, tmp_path):
    result = publish_file(fresh_database, _write_template(tmp_path / "par_index_2023.csv", synthetic_par_index_rows()))
    # PAR INDEX's composite formula is not published: the composite cannot be checked (warning).
    assert (result.profile, result.status, result.gate_outcome) == ("index_long_template", "loaded", "warn")
    short = publish_file(fresh_database, _write_template(tmp_path / "sipas_2023.csv", [
        {**row, "index": "SIPAS"} for row in synthetic_par_index_rows()[:20]]))
    assert (short.status, short.gate_outcome) == ("quarantined", "fail")  # 10 provinces, not 63
    with psycopg.connect(fresh_database) as conn:
        [(count, reference, value)] = conn.execute(
            "select count(*), min(source_reference), max(value::numeric) from raw.index_scores"
            " where _load_id = %s and component = 'total'", (result.load_id,)).fetchall()
    assert (count, reference, value) == (63, "Báo cáo PAR INDEX 2023, tr. 12", Decimal("94.75"))


def test_template_as_a_workbook_with_a_title_sheet(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Ghi chú"
    book.active.append(["SYNTHETIC values typed from an infographic"])
    sheet = book.create_sheet("SIPAS 2023")
    rows = [{**row, "index": "SIPAS"} for row in synthetic_par_index_rows() if row["component"] == "Tổng"]
    sheet.append(["Index", "Edition", "Province", "Component", "Value", "Rank", "Source reference"])
    for row in rows:
        sheet.append(list(row.values()))
    book.save(tmp_path / "sipas_2023.xlsx")
    [edition] = template.read(tmp_path / "sipas_2023.xlsx")
    assert (edition.index_code, edition.source_sheet, len(edition.scores)) == ("SIPAS", "SIPAS 2023", 63)
    assert {s.component for s in edition.scores} == {"total"}
    assert edition.scores[-1].source_reference == rows[-1]["source_reference"]


@pytest.mark.warehouse
def test_dashboard_without_a_period_is_rejected(fresh_database, tmp_path):
    result = publish_file(fresh_database, _write(tmp_path / "dvc766_latest.json", synthetic_dashboard_rows()))
    assert (result.status, result.rows_loaded) == ("rejected", 0)
    assert "no period in the file name" in result.error


@pytest.mark.parametrize("suffix", [".xlsx", ".xls"])
def test_dashboard_excel_export_reads_like_its_json(tmp_path, suffix):
    """The dashboard's 'export to Excel' (a title row above the column names), in both generations."""
    import openpyxl

    from tests.support.xls_writer import write_xls

    rows = synthetic_dashboard_rows()
    columns = list(rows[0])
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["BẢNG ĐÁNH GIÁ CHẤT LƯỢNG PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP (SYNTHETIC)"])
    sheet.append(columns)
    for row in rows:
        sheet.append([row[c] for c in columns])
    sheet.append([])
    sheet.append(["Nguồn: Cổng Dịch vụ công quốc gia"])    # below the blank row: not a dashboard row
    xlsx = tmp_path / "dvc766_2025-Q3.xlsx"
    book.save(xlsx)
    path = xlsx if suffix == ".xlsx" else write_xls(xlsx, tmp_path / "dvc766_2025-Q3.xls")

    def scores(editions):
        return sorted((s.province.gso_code, s.component, s.value, s.rank_published) for e in editions for s in e.scores)

    from_json = dvc766.read(_write(tmp_path / "dvc766_2025-Q3.json", rows))
    assert scores(dvc766.read(path)) == scores(from_json)
    assert len({s.province for s in from_json[0].scores}) == 34


def test_dashboard_excel_without_its_columns_is_not_a_dashboard(tmp_path):
    import openpyxl

    from ingest.indices.model import LayoutNotFound

    book = openpyxl.Workbook()
    book.active.append(["Tỉnh", "Điểm"])
    book.save(tmp_path / "dvc766_2025-Q3.xlsx")
    with pytest.raises(LayoutNotFound, match="LOAI_COQUAN"):
        dvc766.read(tmp_path / "dvc766_2025-Q3.xlsx")
