"""Every PCI edition since 2005 landed by `publish_file` without --index, under file names that say
nothing, then the marts built: the composites as published, Hà Tây a province until 2008 and
bridged to Hà Nội, the series across 2008 flagged; an edition outside the methodology table
landed with methodology 'unknown' and a warning; each publication recognised by its headers.

PCI 2005–2015 and PAPI 2010 are SYNTHETIC (tests/support/pci_editions.py; scores made up, layouts
and names as published); PCI 2016 and PAPI 2011–2016 are the real workbooks. One database and
one dbt build for the module; runs on the embedded server or WAREHOUSE_URL's."""

from __future__ import annotations

import json
import shutil
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import openpyxl
import psycopg
import pytest
from psycopg.rows import dict_row

from ingest.indices.publish import publish_file
from ingest.reference import provinces
from ingest.runtime import dbt_runner, migrate, warehouse
from tests.conftest import create_database, drop_database
from tests.support import pci_editions
from tests.support.paths import REAL_FIXTURES
from tests.warehouse.test_index_marts import write_template_csv
from tests.warehouse.test_indices_766 import synthetic_dashboard_rows, synthetic_par_index_rows

pytestmark = pytest.mark.warehouse

SYNTHETIC_YEARS = sorted(pci_editions.EDITION_LAYOUTS)
PAPI_2010_PROVINCES = 30   # PAPI 2010 surveyed 30 provinces; no methodology row covers 2010


def _open(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return openpyxl.load_workbook(path, data_only=True)


def _papi_2010(folder: Path) -> tuple[Path, dict[str, Decimal]]:
    """SYNTHETIC: the real 2011 sheet relabelled 2010 and cut to its first 30 provinces (its values
    are 2011's, not PAPI 2010's); (file, gso code -> total)."""
    book = _open(REAL_FIXTURES / "PAPI_2011-2016.xlsx")
    for name in book.sheetnames:
        if name != "2011_PAPI":
            del book[name]
    sheet = book["2011_PAPI"]
    sheet.title = "2010_PAPI"
    header = [c.value for c in sheet[1]]
    code_at, total_at = header.index("tinhid"), next(i for i, h in enumerate(header) if h and "eighted" in str(h))
    totals, dropped = {}, []
    for number, row in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
        code = row[code_at]
        if not isinstance(code, int | float) or code == 999:
            continue
        if len(totals) < PAPI_2010_PROVINCES:
            totals[f"{int(code):02d}"] = row[total_at]
        else:
            dropped.append(number)
    for number in reversed(dropped):
        sheet.delete_rows(number)
    path = folder / "undp_2010.xlsx"
    book.save(path)
    return path, {code: Decimal(str(value)) for code, value in totals.items()}


@pytest.fixture(scope="module")
def landed(admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Every edition published into a new database, the project built; the results and expectations."""
    name = create_database(admin_url, prefix="parwh_test_index_editions")
    url = warehouse.with_database(admin_url, name)
    folder = tmp_path_factory.mktemp("editions")
    try:
        with psycopg.connect(url) as conn:
            migrate.migrate(conn)
        editions = {year: pci_editions.edition(year) for year in SYNTHETIC_YEARS}
        results = {}
        for year, published in editions.items():
            # 2005's file name has no year either: it is in the title row above the header.
            stem = "vcci_bang_xep_hang" if year == 2005 else f"vcci_{year}"
            results[year] = publish_file(url, pci_editions.write(published, folder / f"{stem}{published.suffix}"))
        results[2016] = publish_file(url, shutil.copy(REAL_FIXTURES / "PCI_2016.xlsx", folder / "vcci_2016.xlsx"))
        papi_2010, papi_totals = _papi_2010(folder)
        results["PAPI 2010"] = publish_file(url, papi_2010)
        dbt_runner.build(url, vars={"as_of_date": "2026-11-20"}, target_path=tmp_path_factory.mktemp("dbt_target"))
        yield {"url": url, "results": results, "editions": editions, "papi_2010": papi_totals}
    finally:
        drop_database(admin_url, name)


def _rows(url: str, query: str, params: tuple = ()) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


def _published_2016_composites() -> dict[str, Decimal]:
    """Straight from the real sheet: the composite's own province column and its score."""
    sheet = _open(REAL_FIXTURES / "PCI_2016.xlsx")["Summary_VN"]
    header = [c.value for c in sheet[1]]
    at = header.index("PCI 2016")
    return {provinces.resolve(row[at - 1], list_version="2004").gso_code: Decimal(str(row[at]))
            for row in sheet.iter_rows(min_row=2, max_row=64, values_only=True)}


def test_every_pci_edition_lands_recognised_by_its_headers(landed):
    for year in [*SYNTHETIC_YEARS, 2016]:
        result = landed["results"][year]
        assert (result.profile, result.status, result.gate_outcome) == ("pci_vcci_workbook", "loaded", "warn"), (
            year, result.error)
        assert {f.check for f in result.failures} == {"composite_formula_unknown"}, (year, result.error)


@pytest.mark.parametrize("year", [*SYNTHETIC_YEARS, 2016])
def test_each_province_composite_equals_the_published_one(landed, year):
    raw = {r["gso_code"]: (Decimal(r["value"]), int(r["rank_published"])) for r in _rows(
        landed["url"], "select gso_code, value, rank_published from raw.index_scores"
        " where index_code = 'PCI' and period = %s and component = 'total'", (str(year),))}
    if year == 2016:
        assert {code: value for code, (value, _) in raw.items()} == _published_2016_composites()
        return
    assert raw == {code: (Decimal(str(s.composite)), s.rank) for code, s in landed["editions"][year].by_code().items()}


def test_ha_tay_appears_until_2008_with_the_universe_of_each_edition(landed):
    editions = {r["period"]: r for r in _rows(
        landed["url"], "select period, universe, methodology_version, list_version from audit.index_editions"
        " where index_code = 'PCI'")}
    assert {period: (e["universe"], e["methodology_version"]) for period, e in editions.items()} == {
        "2005": (42, "pci_2005"), **{str(y): (64, "pci_2006") for y in (2006, 2007, 2008)},
        **{str(y): (63, "pci_2006") for y in range(2009, 2013)},
        **{str(y): (63, "pci_10_subindices") for y in range(2013, 2017)}}
    ha_tay = _rows(landed["url"], "select period, unit_name from raw.index_scores"
                                  " where gso_code = '28' and component = 'total' order by period")
    assert [(r["period"], r["unit_name"]) for r in ha_tay] == [
        ("2005", "Hà Tây"), ("2006", "Hà Tây"), ("2007", "Ha Tay"), ("2008", "Ha Tay")]


def test_ha_tay_bridges_to_ha_noi_and_the_series_across_2008_is_flagged(landed):
    url = landed["url"]
    scores = {(r["period"], r["province_key"]): r for r in _rows(
        url, "select * from marts.fct_index_scores where index_code = 'PCI' and component = 'total'")}
    # Hà Nội on the 2025 list, derived: before the merger the mean of Hà Nội and Hà Tây.
    for year in (2006, 2007, 2008):
        published = landed["editions"][year].by_code()
        derived = scores[(str(year), "01-2025")]
        assert (derived["is_derived"], derived["constituent_count"]) == (True, 2)
        ha_noi, ha_tay = (Decimal(str(published[code].composite)) for code in ("01", "28"))
        assert derived["value"] == (ha_noi + ha_tay) / 2
    assert scores[("2009", "01-2025")]["constituent_count"] == 1
    assert scores[("2009", "01-2025")]["value"] == Decimal(str(landed["editions"][2009].by_code()["01"].composite))
    # Hà Nội's own series: compared up to 2008, flagged and not compared across the merger.
    hanoi = {year: scores[(str(year), "01-2004")] for year in range(2006, 2011)}
    assert [hanoi[y]["is_territory_break"] for y in range(2006, 2011)] == [False, False, False, True, False]
    assert hanoi[2009]["change_from_previous"] is None and hanoi[2008]["change_from_previous"] is not None
    assert scores[("2009", "26-2004")]["is_territory_break"] is True     # Vĩnh Phúc ceded Mê Linh
    assert scores[("2009", "48-2004")]["is_territory_break"] is False
    assert sorted(p for p, key in scores if key == "28-2004") == ["2005", "2006", "2007", "2008"]
    # The methodology breaks: 2005 -> 2006 and 2012 -> 2013.
    assert [scores[(str(y), "48-2004")]["is_methodology_break"] for y in (2006, 2007, 2013, 2014)] == [
        True, False, True, False]
    [bridge] = _rows(url, "select * from marts.bridge_province_2025 where old_gso_code = '28'")
    assert (bridge["new_gso_code"], bridge["new_province_name"], bridge["role"]) == (
        "01", "Hà Nội", "absorbed_before_2025")
    scorecard = _rows(url, "select edition_year, pci_total from marts.province_scorecard"
                           " where province_key = '28-2004' order by edition_year")
    assert [r["edition_year"] for r in scorecard] == [2005, 2006, 2007, 2008]


def test_an_edition_outside_the_methodology_table_lands_as_unknown_with_a_warning(landed):
    result = landed["results"]["PAPI 2010"]
    assert (result.profile, result.status, result.gate_outcome) == (
        "papi_undp_workbook", "loaded", "warn"), result.error
    [warning] = result.failures
    assert warning.check == "methodology_unknown" and "covers edition 2010" in warning.message
    [edition] = _rows(landed["url"], "select * from audit.index_editions where load_id = %s", (result.load_id,))
    assert (edition["methodology_version"], edition["scale_min"], edition["scale_max"]) == ("unknown", None, None)
    raw = {r["gso_code"]: round(Decimal(r["value"]), 9) for r in _rows(
        landed["url"], "select gso_code, value from raw.index_scores where _load_id = %s and component = 'total'",
        (result.load_id,))}
    # openpyxl wrote the sheet back with 15 significant digits: compared to 9 decimals.
    assert raw == {code: round(value, 9) for code, value in landed["papi_2010"].items()}
    assert len(raw) == PAPI_2010_PROVINCES


def test_each_publication_is_recognised_by_its_headers_when_its_name_says_nothing(fresh_database, tmp_path):
    """No --index, and no index in the file name: the reader comes from the content."""
    dashboard = tmp_path / "bang_diem.json"
    dashboard.write_text(json.dumps(synthetic_dashboard_rows(), ensure_ascii=False), encoding="utf-8")
    export = openpyxl.Workbook()
    rows = synthetic_dashboard_rows()
    export.active.append(["BẢNG ĐÁNH GIÁ (SYNTHETIC)"])
    export.active.append(list(rows[0]))
    for row in rows:
        export.active.append(list(row.values()))
    export.save(tmp_path / "xuat_excel.xlsx")
    template_book = openpyxl.Workbook()
    template_rows = synthetic_par_index_rows()
    template_book.active.append(list(template_rows[0]))
    for row in template_rows:
        template_book.active.append(list(row.values()))
    template_book.save(tmp_path / "so_lieu.xlsx")
    cases = {
        shutil.copy(REAL_FIXTURES / "PAPI_2011-2016.xlsx", tmp_path / "undp.xlsx"): ("papi_undp_workbook", None),
        dashboard: ("dvc766_dashboard_json", "2025-Q3"),
        tmp_path / "xuat_excel.xlsx": ("dvc766_dashboard_json", "2025-10"),
        write_template_csv(tmp_path / "so_lieu.csv", template_rows): ("index_long_template", None),
        tmp_path / "so_lieu.xlsx": ("index_long_template", "2023"),
    }
    for path, (profile, edition) in cases.items():
        result = publish_file(fresh_database, path, edition_year=edition)
        assert (result.profile, result.status) == (profile, "loaded"), (path.name, result.error)
    unknown = openpyxl.Workbook()
    unknown.active.append(["Tên", "Điểm"])
    unknown.active.append(["Hà Nội", 7.5])
    unknown.save(tmp_path / "bang.xlsx")
    result = publish_file(fresh_database, tmp_path / "bang.xlsx")
    assert (result.profile, result.status) == (None, "rejected")
    assert result.error.startswith("unrecognised_publication: bang.xlsx:") and "pass --index" in result.error
    assert "\n" not in result.error
