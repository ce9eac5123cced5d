"""The index marts built by dbt from the real publications: fct_index_scores (published values,
recomputed ranks, changes between editions, values derived onto the 34-province list) and
province_scorecard, and fct_agency_index_scores. The real PCI 2016 and PAPI 2011–2016 workbooks,
plus SYNTHETIC 766 dashboard rows (2025-Q3), a SYNTHETIC four-sheet 766 export for October 2025
(ingest.synthetic.dvc766_export) and a SYNTHETIC PAR INDEX 2023 template
(tests/warehouse/test_indices_766.py), are published with ingest.indices.publish into a new
database, then the whole project is built once per module. Expected values are read from
raw.index_scores, the synthetic rows (as written to the files) and the crosswalk CSV, never from
the marts.

Runs on the embedded server or WAREHOUSE_URL's."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from ingest.indices.model import COMPONENTS_FILE, METHODOLOGIES_FILE
from ingest.indices.publish import publish_file
from ingest.runtime import dbt_runner, migrate, warehouse
from ingest.settings import paths
from ingest.synthetic import dvc766_export
from tests.conftest import create_database, drop_database
from tests.support.paths import REAL_FIXTURES
from tests.warehouse.test_indices_766 import synthetic_dashboard_rows, synthetic_par_index_rows

REAL = REAL_FIXTURES
PCI_2016 = REAL / "PCI_2016.xlsx"
PAPI_2011_2016 = REAL / "PAPI_2011-2016.xlsx"
SEEDS = paths().dbt_project / "seeds"
AS_OF = "2026-11-20"
CORRECTED_HA_NOI = Decimal("94.80")
AN_GIANG = "91"
GROUPS = {"CKMB": "transparency", "TDGQ": "progress", "CLGQ": "online_service", "TTTT": "online_payment",
          "MDSH": "digitisation", "MDHL": "satisfaction", "TONG_SCORE": "total"}


def write_template_csv(path: Path, rows: list[dict]) -> Path:
    """The long template for indices published only as PDF (one dict per row, its keys the header)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_index_reference_seeds_equal_the_readers_reference():
    for original in (METHODOLOGIES_FILE, COMPONENTS_FILE):
        copy = SEEDS / original.name
        assert copy.read_bytes() == original.read_bytes(), (
            f"{copy} differs from {original}: the load checks and the marts would disagree; copy it again")


@pytest.fixture(scope="module")
def export_766(tmp_path_factory: pytest.TempPathFactory) -> dvc766_export.Export:
    """October 2025 as An Giang's dashboard exports it: 34 + 34 provinces, 15 departments, 102 communes."""
    return dvc766_export.write_export(tmp_path_factory.mktemp("export_766") / "T10_2025.xlsx", year=2025, month=10,
                                      featured=AN_GIANG, codes={AN_GIANG: "H01"})


@pytest.fixture(scope="module")
def built(admin_url: str, tmp_path_factory: pytest.TempPathFactory, export_766: dvc766_export.Export) -> Iterator[str]:
    """A new migrated database with both real publications landed and the project built."""
    name = create_database(admin_url, prefix="parwh_test_index_marts")
    url = warehouse.with_database(admin_url, name)
    try:
        with psycopg.connect(url) as conn:
            migrate.migrate(conn)
        folder = tmp_path_factory.mktemp("publications")
        dashboard = folder / "dvc766_2025-Q3.json"
        dashboard.write_text(json.dumps(synthetic_dashboard_rows(), ensure_ascii=False), encoding="utf-8")
        par_index = write_template_csv(folder / "par_index_2023.csv", synthetic_par_index_rows())
        # Republished with Hà Nội's total corrected: the later delivery wins.
        corrected = synthetic_par_index_rows()
        corrected[0].update(value=CORRECTED_HA_NOI, source_reference="Báo cáo PAR INDEX 2023 (đính chính)")
        par_index_corrected = write_template_csv(folder / "par_index_2023_corrected.csv", corrected)
        for path in (PCI_2016, PAPI_2011_2016, dashboard, par_index, par_index_corrected):
            result = publish_file(url, path, run_id="test_index_marts")
            assert result.status == "loaded", result.error
        # The whole export in one publish, as `parwh publish --index DVC766 --edition 2025-YTD-10` lands it.
        result = publish_file(url, export_766.path, index_code="DVC766", edition_year="2025-YTD-10")
        assert (result.status, result.gate_outcome) == ("loaded", "pass"), result.error
        # A quarantined load (its total is not the sum of the groups) never reaches the marts.
        bad = synthetic_dashboard_rows()
        bad[3]["TONG_SCORE"] += 5
        quarantined = folder / "dvc766_2025-10.json"
        quarantined.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
        assert publish_file(url, quarantined).status == "quarantined"
        dbt_runner.build(url, vars={"as_of_date": AS_OF}, target_path=tmp_path_factory.mktemp("dbt_target"))
        yield url
    finally:
        drop_database(admin_url, name)


def _rows(url: str, query: str, params: tuple = ()) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


def _raw_values(url: str, index_code: str) -> dict[tuple[str, str, str], Decimal | None]:
    """(period, gso_code, component) -> published value, straight from raw.index_scores."""
    return {
        (r["period"], r["gso_code"], r["component"]): (Decimal(r["value"]) if r["value"] else None)
        for r in _rows(url, "select period, gso_code, component, value from raw.index_scores where index_code = %s",
                       (index_code,))
    }


def _constituents() -> dict[str, list[str]]:
    """New (2025) GSO code -> its old (2004) codes, from the crosswalk seed."""
    found: dict[str, list[str]] = defaultdict(list)
    with (SEEDS / "province_crosswalk_2025.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found[row["new_code"]].append(row["old_code"])
    return found


def _score(url: str, index_code: str, period: str, province_key: str, component: str = "total") -> dict:
    [row] = _rows(url, "select * from marts.fct_index_scores where index_code = %s and period = %s"
                  " and province_key = %s and component = %s", (index_code, period, province_key, component))
    return row


@pytest.mark.warehouse
def test_pci_2016_published_totals_and_ranks(built: str):
    da_nang = _score(built, "PCI", "2016", "48-2004")
    assert (round(da_nang["value"], 2), da_nang["rank_published"], da_nang["rank_recomputed"]) == (
        Decimal("70.00"), 1, 1)
    assert da_nang["is_derived"] is False and da_nang["derivation_method"] is None
    assert da_nang["value_normalised"] == da_nang["value"]  # already on a 0–100 scale

    cao_bang = _score(built, "PCI", "2016", "04-2004")
    assert (round(cao_bang["value"], 2), cao_bang["rank_published"]) == (Decimal("52.99"), 63)
    totals = [v for (period, _, c), v in _raw_values(built, "PCI").items() if period == "2016" and c == "total"]
    assert cao_bang["rank_recomputed"] == 1 + sum(v > cao_bang["value"] for v in totals)

    [count] = _rows(built, "select count(*) as n, count(distinct gso_code) as provinces from marts.fct_index_scores"
                    " where index_code = 'PCI' and period = '2016' and component = 'total' and not is_derived")
    assert (count["n"], count["provinces"]) == (63, 63)


@pytest.mark.warehouse
def test_papi_2016_has_63_provinces_per_dimension(built: str):
    per_component = _rows(built, "select component, count(distinct gso_code) as provinces, count(value) as valued"
                          " from marts.fct_index_scores where index_code = 'PAPI' and period = '2016'"
                          " and list_version = '2004' and not is_derived group by component")
    assert {r["component"] for r in per_component} == {
        "total", "participation", "transparency", "vertical_accountability", "control_of_corruption",
        "administrative_procedures", "public_service_delivery"}
    assert all((r["provinces"], r["valued"]) == (63, 63) for r in per_component), per_component


@pytest.mark.warehouse
def test_derived_2025_values_are_the_mean_of_all_constituents(built: str):
    raw = _raw_values(built, "PCI")
    constituents = _constituents()
    merged = [code for code, old in constituents.items() if len(old) > 1]
    # Đà Nẵng (48) absorbed Quảng Nam (49): computed here from the published values.
    assert sorted(constituents["48"]) == ["48", "49"]
    expected = (raw[("2016", "48", "total")] + raw[("2016", "49", "total")]) / 2
    derived = _score(built, "PCI", "2016", "48-2025")
    assert derived["value"] == pytest.approx(expected, abs=Decimal("1e-9"))
    assert derived["is_derived"] is True and derived["derivation_method"] == "mean_of_constituents"
    assert (derived["rank_published"], derived["rank_recomputed"], derived["constituent_count"]) == (None, None, 2)

    rows = _rows(built, "select gso_code, component, value from marts.fct_index_scores"
                 " where index_code = 'PCI' and period = '2016' and list_version = '2025'")
    assert {r["gso_code"] for r in rows if r["component"] == "total"} >= set(merged)
    for row in rows:
        values = [raw[("2016", old, row["component"])] for old in constituents[row["gso_code"]]]
        assert row["value"] == pytest.approx(sum(values) / len(values), abs=Decimal("1e-9")), row


@pytest.mark.warehouse
def test_no_derived_value_when_a_constituent_has_none(built: str):
    raw = _raw_values(built, "PAPI")
    unscored = {gso for (period, gso, c), v in raw.items() if period == "2014" and c == "total" and v is None}
    assert unscored, "PAPI 2014 lists provinces without scores (Bắc Giang, Đồng Tháp)"
    blocked = {new for new, old in _constituents().items() if unscored & set(old)}
    rows = _rows(built, "select gso_code from marts.fct_index_scores where index_code = 'PAPI' and period = '2014'"
                 " and list_version = '2025' and gso_code = any(%s)", (list(blocked),))
    assert rows == []


@pytest.mark.warehouse
def test_published_rows_are_never_derived_and_derived_rows_never_ranked(built: str):
    [counts] = _rows(built, """
        select
            count(*) filter (where not is_derived and derivation_method is not null) as derived_method_on_published,
            count(*) filter (where is_derived and (rank_published is not null or rank_recomputed is not null))
                as ranked_derived,
            count(*) filter (where is_derived and list_version <> '2025') as derived_off_2025,
            count(*) filter (where not is_derived and index_code in ('PCI', 'PAPI') and list_version <> '2004')
                as published_off_2004
        from marts.fct_index_scores
    """)
    assert counts == {"derived_method_on_published": 0, "ranked_derived": 0, "derived_off_2025": 0,
                      "published_off_2004": 0}
    [published] = _rows(built, "select count(*) as n from marts.fct_index_scores where not is_derived")
    # Every distinct published key of the loaded (not quarantined) publications, once.
    [raw] = _rows(built, "select count(distinct (index_code, period, gso_code, list_version, component)) as n"
                  " from raw.index_scores join audit.loads on load_id = _load_id where status = 'loaded'")
    assert published["n"] == raw["n"]


@pytest.mark.warehouse
def test_papi_change_from_previous_edition(built: str):
    raw = _raw_values(built, "PAPI")
    rows = _rows(built, "select gso_code, component, value, previous_period, change_from_previous"
                 " from marts.fct_index_scores where index_code = 'PAPI' and period = '2016' and not is_derived")
    assert len(rows) == 63 * 7
    for row in rows:
        before = raw[("2015", row["gso_code"], row["component"])]
        assert row["previous_period"] == "2015"
        assert row["change_from_previous"] == raw[("2016", row["gso_code"], row["component"])] - before, row
    # The first edition has nothing to compare with.
    [first] = _rows(built, "select count(change_from_previous) as n, count(previous_period) as p"
                    " from marts.fct_index_scores where index_code = 'PAPI' and period = '2011'")
    assert first == {"n": 0, "p": 0}


@pytest.mark.warehouse
def test_province_scorecard_sets_indices_side_by_side_on_both_lists(built: str):
    da_nang = _rows(built, "select * from marts.province_scorecard where edition_year = 2016"
                    " and province_key in ('48-2004', '48-2025') order by list_version")
    assert [r["list_version"] for r in da_nang] == ["2004", "2025"]
    published, derived = da_nang
    assert published["pci_total"] == _score(built, "PCI", "2016", "48-2004")["value"]
    assert published["papi_total"] == _score(built, "PAPI", "2016", "48-2004")["value"]
    assert (published["pci_is_derived"], published["papi_is_derived"], published["has_derived_values"]) == (
        False, False, False)
    assert derived["pci_total"] == _score(built, "PCI", "2016", "48-2025")["value"]
    assert (derived["pci_is_derived"], derived["has_derived_values"]) == (True, True)
    assert derived["sipas_total"] is None and derived["sipas_is_derived"] is None
    [counts] = _rows(built, "select count(*) filter (where list_version = '2004') as old,"
                     " count(*) filter (where list_version = '2025') as new"
                     " from marts.province_scorecard where edition_year = 2016")
    assert counts == {"old": 63, "new": 34}


@pytest.mark.warehouse
def test_766_scores_published_on_the_34_province_list(built: str):
    dashboard = {row["TEN"]: row for row in synthetic_dashboard_rows() if row["LOAI_COQUAN"] == 1}
    rows = _rows(built, "select published_name, list_version, value, rank_published, rank_recomputed, is_derived,"
                 " period_grain from marts.fct_index_scores where index_code = 'DVC766' and component = 'total'"
                 " and period = '2025-Q3'")
    assert len(rows) == 34
    for row in rows:
        published = dashboard[row["published_name"]]
        assert (row["list_version"], row["is_derived"], row["period_grain"]) == ("2025", False, "quarter")
        assert row["value"] == Decimal(str(published["TONG_SCORE"]))
        # The dashboard's ROW_STT is a competition rank of TONG_SCORE, as is rank_recomputed.
        assert row["rank_recomputed"] == row["rank_published"] == published["ROW_STT"]

@pytest.mark.warehouse
def test_the_scorecard_takes_the_year_to_date_before_the_quarter(built: str, export_766):
    year_to_date = {row["TEN_COQUAN"]: row for row in export_766.rows(dvc766_export.YEAR_SHEET)}
    hue = _rows(built, "select dvc766_total, dvc766_is_derived, dvc766_period, pci_total from marts.province_scorecard"
                " where province_key = '46-2025' and edition_year = 2025")
    assert hue == [{"dvc766_total": Decimal(str(year_to_date["UBND Thành phố Huế"]["TONG_SCORE"])),
                    "dvc766_is_derived": False, "dvc766_period": "2025-YTD-10", "pci_total": None}]


def _file_values(rows: list[dict]) -> dict[tuple[str, str], tuple[Decimal, int | None]]:
    """(unit name, component) -> (value, rank) as written in one sheet of the export."""
    return {(row["TEN_COQUAN"], component): (Decimal(str(row[column])), row["ROW_STT"] if component == "total"
                                             else None)
            for row in rows for column, component in GROUPS.items()}


@pytest.mark.warehouse
def test_one_export_gives_34_plus_34_province_values_equal_to_the_file(built: str, export_766):
    for period, sheet, grain in (("2025-YTD-10", dvc766_export.YEAR_SHEET, "year_to_date"),
                                 ("2025-10", dvc766_export.MONTH_SHEET, "month")):
        rows = _rows(built, "select published_name, component, value, rank_published, period_grain, list_version"
                     " from marts.fct_index_scores where index_code = 'DVC766' and period = %s and not is_derived",
                     (period,))
        assert {(r["published_name"], r["component"]): (r["value"], r["rank_published"]) for r in rows} == (
            _file_values(export_766.rows(sheet)))
        assert sum(r["component"] == "total" for r in rows) == 34
        assert {(r["period_grain"], r["list_version"]) for r in rows} == {(grain, "2025")}


@pytest.mark.warehouse
def test_every_department_and_commune_lands_in_its_province(built: str, export_766):
    rows = _rows(built, "select * from marts.fct_agency_index_scores where source_file = 'T10_2025.xlsx'")
    expected = {**_file_values(export_766.rows(dvc766_export.DEPARTMENT_SHEET)),
                **_file_values(export_766.rows(dvc766_export.COMMUNE_SHEET))}
    assert {(r["agency_name"], r["component"]): (r["value"], r["rank_published"]) for r in rows} == expected
    codes = {row["TEN_COQUAN"]: row["MA_COQUAN"] for sheet in (dvc766_export.DEPARTMENT_SHEET,
                                                                 dvc766_export.COMMUNE_SHEET)
             for row in export_766.rows(sheet)}
    assert all(r["agency_code"] == codes[r["agency_name"]] for r in rows)
    levels = {(r["unit_level"], r["component"]) for r in rows}
    assert sum(1 for r in rows if r["component"] == "total" and r["unit_level"] == "department") == 15
    assert sum(1 for r in rows if r["component"] == "total" and r["unit_level"] == "commune") == 102
    assert {level for level, _ in levels} == {"department", "commune"}
    assert {(r["index_code"], r["period"], r["period_grain"], r["gso_code"], r["list_version"], r["province_key"])
            for r in rows} == {("DVC766", "2025-YTD-10", "year_to_date", AN_GIANG, "2025", f"{AN_GIANG}-2025")}
    # The dashboard ranks each sheet by TONG_SCORE, as rank_recomputed ranks a level within its province.
    assert all(r["rank_recomputed"] == r["rank_published"] for r in rows if r["component"] == "total")
    [load] = _rows(built, "select load_id from audit.loads where file_name = 'T10_2025.xlsx'")
    assert {r["load_id"] for r in rows} == {load["load_id"]}
    # The JSON dashboard's department and commune (2025-Q3) are there too, in the province coded H01.
    json_agencies = _rows(built, "select agency_code, unit_level, gso_code from marts.fct_agency_index_scores"
                          " where period = '2025-Q3' and component = 'total' order by agency_code")
    assert json_agencies == [{"agency_code": "H01.13", "unit_level": "department", "gso_code": "01"},
                             {"agency_code": "H01.187", "unit_level": "commune", "gso_code": "01"}]


@pytest.mark.warehouse
def test_template_values_reach_the_marts_latest_delivery_winning(built: str):
    row = _score(built, "PAR_INDEX", "2023", "01-2004")
    assert (row["value"], row["rank_published"], row["methodology_version"], row["source_reference"]) == (
        CORRECTED_HA_NOI, 1, "par_index_2022", "Báo cáo PAR INDEX 2023 (đính chính)")
    [latest] = _rows(built, "select max(load_id) as load_id from audit.loads where file_name = %s",
                     ("par_index_2023_corrected.csv",))
    [counts] = _rows(built, "select count(*) as n, count(*) filter (where load_id = %s) as from_latest"
                     " from marts.fct_index_scores where index_code = 'PAR_INDEX' and not is_derived",
                     (latest["load_id"],))
    assert counts == {"n": 63 * 2, "from_latest": 63 * 2}
    [scorecard] = _rows(built, "select par_index_total, par_index_is_derived from marts.province_scorecard"
                        " where province_key = '01-2004' and edition_year = 2023")
    assert scorecard == {"par_index_total": CORRECTED_HA_NOI, "par_index_is_derived": False}


@pytest.mark.warehouse
def test_quarantined_publication_never_reaches_the_marts(built: str):
    [quarantined] = _rows(built, "select load_id, status from audit.loads where file_name = 'dvc766_2025-10.json'")
    assert quarantined["status"] == "quarantined"
    load_id = quarantined["load_id"]
    assert _rows(built, "select 1 from raw.index_scores where _load_id = %s", (load_id,))  # landed in raw ...
    assert _rows(built, "select 1 from raw.agency_index_scores where _load_id = %s", (load_id,))
    assert _rows(built, "select 1 from marts.fct_index_scores where load_id = %s", (load_id,)) == []  # ... not beyond
    assert _rows(built, "select 1 from marts.fct_agency_index_scores where load_id = %s", (load_id,)) == []


@pytest.mark.warehouse
def test_mart_gate_checks_the_index_and_reference_marts(built: str, tmp_path):
    """The index marts' suites pass on real publications; a derived value given a rank (the contract's
    check dropped to let it in) fails the gate by name and key. Last in the module: it restores the row."""
    from expectations.gate import run_mart_gate

    dirs = {"site_dir": tmp_path / "site", "gx_root": tmp_path / "gx"}
    passed = run_mart_gate(built, "test-index-marts-pass", **dirs)
    names = [suite.suite_name for suite in passed.suites]
    assert {"marts_fct_index_scores", "marts_fct_agency_index_scores", "marts_province_scorecard",
            "marts_dim_province", "marts_dim_date"} <= set(names)
    assert passed.outcome != "fail", passed.message()
    [derived] = _rows(built, "select fct_index_scores_id from marts.fct_index_scores where is_derived limit 1")
    key = derived["fct_index_scores_id"]
    with psycopg.connect(built, autocommit=True) as conn:
        conn.execute("alter table marts.fct_index_scores drop constraint derived_rows_have_a_method_and_no_rank")
        conn.execute("update marts.fct_index_scores set rank_recomputed = 1 where fct_index_scores_id = %s", (key,))
        try:
            failed = run_mart_gate(built, "test-index-marts-fail", **dirs)
        finally:
            conn.execute("update marts.fct_index_scores set rank_recomputed = null where fct_index_scores_id = %s",
                         (key,))
    assert failed.outcome == "fail"
    assert "derived_values_never_ranked" in failed.message() and key in failed.message()
