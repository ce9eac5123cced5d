"""BI on the demo data: the example queries of bi/queries/, bi_reader's privileges on real marts,
and the scorecard (site/scorecard.html + charts) with a headless-Chromium screenshot.

One warehouse per module, built the way `parwh demo` builds it: SYNTHETIC sample exports
(`parwh sample`) landed and gated, the real PCI 2016 and PAPI 2011-2016 workbooks, the demo's
SYNTHETIC four-sheet 766 export and SYNTHETIC 766, PAR INDEX and SIPAS publications published,
then the whole dbt project. Expected values are
recomputed here in Python from marts.fct_dossiers / dim_procedure read as the owner, never taken
from the queries under test. Every query runs over a connection logged in as bi_reader.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from PIL import Image
from psycopg import sql
from psycopg.rows import dict_row

from expectations import run_raw_gate
from ingest.indices.publish import publish_file
from ingest.landing import loader
from ingest.reporting import report_site, scorecard
from ingest.runtime import dbt_runner, migrate, warehouse
from ingest.settings import paths
from ingest.synthetic import dvc766_export, sample
from tests.conftest import create_database, drop_database
from tests.support.paths import REAL_FIXTURES
from tests.warehouse.test_bi_access import PERSONAL_DATA_COLUMNS, readable_columns
from tests.warehouse.test_index_marts import write_template_csv
from tests.warehouse.test_indices_766 import synthetic_dashboard_rows, synthetic_par_index_rows
from tests.warehouse.test_site_screenshot import WINDOW, run_chromium

pytestmark = pytest.mark.warehouse

QUERIES = paths().root / "bi" / "queries"
REAL = REAL_FIXTURES
AS_OF = "2026-11-20"
RUN_ID = "test_bi_demo"
DOSSIERS = 1500
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _synthetic_sipas_rows(year: int = 2023) -> list[dict]:
    """SYNTHETIC SIPAS totals (made up) for the 63 provinces, in the long template."""
    return [{**row, "index": "SIPAS", "value": round(row["value"] - 10, 2), "source_reference": f"SIPAS {year}"}
            for row in synthetic_par_index_rows(year) if row["component"] == "Tổng"]


@pytest.fixture(scope="module")
def demo(admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("bi_demo")
    name = create_database(admin_url, prefix="parwh_test_bi_demo")
    url = warehouse.with_database(admin_url, name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PARWH_PII_KEY", "bi-demo-test-key")
        try:
            with psycopg.connect(url) as conn:
                migrate.migrate(conn)
            for path in sample.generate(folder / "landing", DOSSIERS):
                for result in loader.land_path(url, path, run_id=RUN_ID):
                    assert result.status == "loaded", (path.name, result.error)
                    gate = run_raw_gate(url, result.load_id, RUN_ID, site_dir=folder / "site", gx_root=folder / "gx")
                    assert gate.outcome != "fail", gate.message()
            dashboard = folder / "dvc766_2025-Q3.json"
            dashboard.write_text(json.dumps(synthetic_dashboard_rows(), ensure_ascii=False), encoding="utf-8")
            publications = [REAL / "PCI_2016.xlsx", REAL / "PAPI_2011-2016.xlsx", dashboard,
                            write_template_csv(folder / "par_index_2023.csv", synthetic_par_index_rows()),
                            write_template_csv(folder / "sipas_2023.csv", _synthetic_sipas_rows()),
                            dvc766_export.write_demo_export(folder).path]
            for path in publications:
                result = publish_file(url, path, run_id=RUN_ID)
                assert result.status == "loaded", (path.name, result.error)
            dbt_runner.build(url, vars={"as_of_date": AS_OF}, target_path=folder / "dbt_target")
            yield {"url": url, "reader": warehouse.role_url(url, "bi_reader", environ={}), "folder": folder}
        finally:
            drop_database(admin_url, name)


def _owner_rows(url: str, query: str, params: tuple = ()) -> list[dict]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query, params).fetchall()


def run_query(demo: dict, file_name: str) -> list[dict]:
    """A bi/queries file as bi_reader, the way a BI tool runs it."""
    with psycopg.connect(demo["reader"], row_factory=dict_row) as conn:
        assert conn.execute("select current_user as u").fetchone()["u"] == "bi_reader"
        return conn.execute((QUERIES / file_name).read_text(encoding="utf-8")).fetchall()


@pytest.fixture(scope="module")
def dossiers(demo: dict) -> list[dict]:
    return _owner_rows(demo["url"], "select * from marts.fct_dossiers")


# ---- the example queries ------------------------------------------------------------------------
def test_every_query_file_is_tested():
    tested = {"on_time_rate_by_province_month.sql", "procedures_slowest_against_limit.sql",
              "agencies_most_overdue_now.sql", "province_scorecard.sql"}
    assert {path.name for path in QUERIES.glob("*.sql")} == tested


def test_on_time_rate_is_continuous_across_the_merger(demo, dossiers):
    rows = run_query(demo, "on_time_rate_by_province_month.sql")
    expected: dict[tuple[str, date], Counter] = defaultdict(Counter)
    for d in dossiers:
        if d["outcome"] in ("early", "on_time", "late"):
            month = d["finished_at"].astimezone(VIETNAM).date().replace(day=1)
            expected[(d["gso_code_2025"], month)][d["outcome"] in ("early", "on_time")] += 1
    got = {(r["gso_code_2025"], r["finished_month"]): r for r in rows}
    assert got.keys() == expected.keys()
    for key, counts in expected.items():
        finished = counts[True] + counts[False]
        assert (got[key]["finished_dossiers"], got[key]["finished_early_or_on_time"]) == (finished, counts[True]), key
        assert float(got[key]["on_time_rate_percent"]) == pytest.approx(100 * counts[True] / finished, abs=0.05)
    # Hồ Chí Minh City absorbed Bà Rịa - Vũng Tàu (77) and Bình Dương (74): its series holds their
    # dossiers before the merger and runs on without a missing month across 2025-07-01.
    hcm = sorted(month for code, month in got if code == "79")
    assert date(2025, 6, 1) in hcm and date(2025, 7, 1) in hcm
    assert all((b.year * 12 + b.month) - (a.year * 12 + a.month) == 1 for a, b in zip(hcm, hcm[1:], strict=False))
    old_codes = {d["gso_code"] for d in dossiers if d["gso_code_2025"] == "79" and d["list_version"] == "2004"}
    assert {"74", "77", "79"} <= old_codes
    assert {r["province_name"] for r in rows if r["gso_code_2025"] == "79"} == {"Hồ Chí Minh"}


def test_procedures_slowest_against_their_limit(demo, dossiers):
    rows = run_query(demo, "procedures_slowest_against_limit.sql")
    limits = {r["procedure_id"]: r["statutory_limit_working_days"] for r in _owner_rows(
        demo["url"], "select procedure_id, statutory_limit_working_days from marts.dim_procedure")}
    days: dict[str, list[int]] = defaultdict(list)
    for d in dossiers:
        if d["is_finished"] and d["working_days_used"] is not None and limits.get(d["procedure_code"]):
            days[d["procedure_code"]].append(d["working_days_used"])
    assert rows and len(rows) == min(20, len(days))
    for row in rows:
        used = sorted(days[row["procedure_code"]])
        limit = float(limits[row["procedure_code"]])
        # percentile_disc: the smallest value with at least that share of dossiers at or below it.
        assert row["median_working_days"] == used[max(0, -(-len(used) * 5 // 10) - 1)]
        assert row["p90_working_days"] == used[max(0, -(-len(used) * 9 // 10) - 1)]
        assert row["finished_dossiers"] == len(used)
        assert float(row["over_limit_percent"]) == pytest.approx(
            100 * sum(1 for u in used if u > limit) / len(used), abs=0.05)
        assert float(row["p90_to_limit_ratio"]) == pytest.approx(row["p90_working_days"] / limit, abs=0.005)
    ratios = [float(r["p90_to_limit_ratio"]) for r in rows]
    assert ratios == sorted(ratios, reverse=True)


def test_agencies_with_the_most_overdue_dossiers_now(demo, dossiers):
    rows = run_query(demo, "agencies_most_overdue_now.sql")
    overdue = Counter(d["agency_code"] for d in dossiers if d["is_overdue_at_as_of"])
    assert overdue, "the demo data must hold overdue dossiers"
    assert rows and len(rows) == min(20, len(overdue))
    assert [r["overdue_dossiers"] for r in rows] == sorted(overdue.values(), reverse=True)[:len(rows)]
    for row in rows:
        assert row["overdue_dossiers"] == overdue[row["agency_code"]]
        assert row["agency_name"] and row["province_name"]
        assert str(row["as_of_date"]) == AS_OF


def test_province_scorecard_sets_the_indices_side_by_side(demo):
    rows = {r["edition_year"]: r for r in run_query(demo, "province_scorecard.sql")}
    assert {r["province_name"] for r in rows.values()} == {"Hồ Chí Minh"}
    # Published on the 63-province list, so derived onto the 34-province one and flagged.
    assert rows[2016]["pci_total"] is not None and rows[2016]["pci_is_derived"] is True
    assert rows[2016]["papi_total"] is not None and rows[2023]["par_index_total"] is not None
    assert rows[2023]["sipas_total"] is not None
    assert rows[2025]["published_766_total"] is not None and rows[2025]["published_766_period"] == "2025-Q3"
    computed = [r for r in rows.values() if r["computed_766_points_of_64"] is not None]
    assert computed and all(0 <= r["computed_766_points_of_64"] <= 64 for r in computed)
    assert {2024, 2025, 2026} <= {r["edition_year"] for r in computed}


def test_reconciliation_sets_published_beside_computed_per_agency(demo):
    """The demo's 766 export publishes Hà Nội's departments and communes for October 2026 under the
    agency codes the synthetic dossiers carry: where the codes meet, the computed points are
    fct_service_index's for that agency and month."""
    computed = {(r["agency_code"], component): r[f"{component}_points"]
                for r in _owner_rows(demo["url"], "select * from marts.fct_service_index where unit_type = 'agency'"
                                     " and month_start = '2026-10-01'")
                for component in ("progress", "online_service", "online_payment", "digitisation")}
    rows = _owner_rows(demo["url"], "select * from marts.fct_service_index_reconciliation"
                       " where unit_level in ('department', 'commune')")
    assert {(r["period"], r["gso_code"], r["list_version"]) for r in rows} == {("2026-10", "01", "2025")}
    assert len(rows) == (15 + 40) * 4
    for row in rows:
        assert row["computed_points"] == computed.get((row["agency_code"], row["component"])), row
        expected = None if row["computed_points"] is None else row["computed_points"] - row["published_points"]
        assert row["points_difference"] == expected
    matched = {(r["unit_level"], r["agency_code"]) for r in rows if r["computed_points"] is not None}
    assert {level for level, _ in matched} == {"department", "commune"}
    assert {code for _, code in matched} <= {code for code, _ in computed}


# ---- bi_reader on the real marts ----------------------------------------------------------------
def test_bi_reader_reads_every_mart_and_nothing_else(demo):
    marts = [r["table_name"] for r in _owner_rows(
        demo["url"], "select table_name from information_schema.tables where table_schema = 'marts'")]
    assert "fct_dossiers" in marts
    columns = readable_columns(demo["url"], "bi_reader")
    assert {table for schema, table, _ in columns if schema == "marts"} == set(marts)
    assert {schema for schema, _, _ in columns} == {"marts"}
    assert not {column for _, _, column in columns} & PERSONAL_DATA_COLUMNS
    with psycopg.connect(demo["reader"], autocommit=True) as conn:
        for relation in ("staging.stg_portal__dossiers", "raw.portal_dossiers", "audit.loads"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"select * from {relation} limit 1")
        # fct_dossiers is a view over fct_dossiers_base: the stored rows are what must be safe
        for statement in ("delete from marts.fct_dossiers", "delete from marts.fct_dossiers_base",
                          "update marts.dim_province set province_name = 'x'",
                          "truncate marts.fct_dossiers_base", "create table marts.mine (x int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


# ---- the scorecard -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(demo: dict) -> Path:
    site_dir = demo["folder"] / "site"
    report_site.build(demo["url"], site_dir=site_dir)
    return site_dir


def test_scorecard_charts_are_drawn_from_the_marts(demo, site):
    with psycopg.connect(demo["url"]) as conn:
        charts = {chart.name: chart for chart in scorecard.build_charts(conn, demo["folder"] / "charts_again")}
    expected = {"on_time_trend_34_provinces", "on_time_trend_63_provinces", "cycle_time_by_procedure",
                "service_index_published", "index_ranks_2004", "index_ranks_2025", "service_index_computed"}
    assert expected <= charts.keys()
    for name in expected:
        assert charts[name].points > 0, f"{name}: {charts[name].empty_reason}"
    on_time_rows = run_query(demo, "on_time_rate_by_province_month.sql")
    assert charts["on_time_trend_34_provinces"].points == len(on_time_rows)
    assert charts["service_index_published"].points == 34 * 6
    # Every published composite with a rank on the 63-province list is one cell of the heat map.
    ranked = _owner_rows(demo["url"], "select count(*) as n from marts.fct_index_scores where component = 'total'"
                         " and not is_derived and list_version = '2004'"
                         " and coalesce(rank_published, rank_recomputed) is not null")[0]["n"]
    assert charts["index_ranks_2004"].points == ranked
    for name in charts:
        with Image.open(site / "charts" / f"{name}.png") as png:
            colours = png.convert("RGB").getcolors(maxcolors=1 << 20)
            assert png.width > 300 and png.height > 150 and len(colours) > 40, (name, png.size, len(colours))


def coloured_rows(shot: Path) -> int:
    """Rows of a screenshot with more than 40 clearly coloured pixels: chart lines, bars and
    heat-map cells; text, grid lines and the page's greys do not count."""
    with Image.open(shot) as image:
        hsv = image.convert("RGB").convert("HSV")
        width = hsv.width
        saturation = hsv.getchannel("S").point(lambda s: 255 if s > 90 else 0).tobytes()
        value = hsv.getchannel("V").point(lambda v: 255 if v > 60 else 0).tobytes()
    return sum(1 for y in range(hsv.height)
               if sum(1 for x in range(y * width, (y + 1) * width) if saturation[x] and value[x]) > 40)


def test_chromium_shows_the_scorecard_with_every_chart_loaded(site, tmp_path):
    index_dom = run_chromium(tmp_path, "--dump-dom", (site / "index.html").as_uri()).stdout
    assert "href=\"scorecard.html\"" in index_dom

    page = (site / "scorecard.html").as_uri()
    dom = run_chromium(tmp_path, "--dump-dom", page).stdout
    assert "cdn" not in dom.lower() and "<script" not in dom
    images = [chunk.split(">")[0] for chunk in dom.split("<img ")[1:]]
    assert len(images) >= 6 and "No data yet" not in dom
    for image in images:
        source = image.split("src=\"")[1].split("\"")[0]
        assert (site / source).is_file(), source
        assert int(image.split("data-points=\"")[1].split("\"")[0]) > 0, image

    # The same page without its PNG files is the control: what text, links and broken-image
    # icons alone colour. The charts must add many rows of colour to it.
    control = tmp_path / "control"
    control.mkdir()
    (control / "scorecard.html").write_bytes((site / "scorecard.html").read_bytes())
    counts = {}
    for label, folder in (("charts", site), ("control", control)):
        shot = tmp_path / f"{label}.png"
        run_chromium(tmp_path, f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}", "--hide-scrollbars",
                     (folder / "scorecard.html").as_uri())
        with Image.open(shot) as image:
            assert image.size == WINDOW
        counts[label] = coloured_rows(shot)
    assert counts["charts"] > 3 * counts["control"] + 100, counts


def test_the_bi_indexes_survive_a_full_refresh_and_the_queries_use_them(demo):
    """The post-hooks (macros/bi_index.sql) index the rebuilt table, not dbt's backup of the old one.
    They are on fct_dossiers_base, the table under the view fct_dossiers that the queries read."""
    expected = {"fct_dossiers_finished_month_by_province", "fct_dossiers_finished_working_days_by_procedure",
                "fct_dossiers_overdue_by_agency"}

    def indexes() -> set[str]:
        rows = _owner_rows(demo["url"], "select indexname from pg_indexes where schemaname = 'marts'"
                                        " and tablename = 'fct_dossiers_base'")
        return {r["indexname"] for r in rows} & expected

    assert indexes() == expected
    dbt_runner.build(demo["url"], full_refresh=True, vars={"as_of_date": AS_OF},
              target_path=demo["folder"] / "dbt_target_refresh")
    assert indexes() == expected
    dbt_runner.vacuum_marts(demo["url"])
    with psycopg.connect(demo["url"]) as conn:
        conn.execute("set enable_seqscan = off")   # at demo size the planner would rather scan the table
        sql_text = (QUERIES / "agencies_most_overdue_now.sql").read_text(encoding="utf-8")
        plan = "\n".join(row[0] for row in conn.execute("explain " + sql_text).fetchall())
    assert "fct_dossiers_overdue_by_agency" in plan


def test_auditor_reads_the_failing_rows_dbt_keeps_and_bi_reader_does_not(demo):
    tables = _owner_rows(demo["url"], "select table_name from information_schema.tables"
                                      " where table_schema = 'dbt_test__audit' order by 1")
    assert tables, "store_failures keeps one table per data test"
    query = sql.SQL("select count(*) from {}").format(sql.Identifier("dbt_test__audit", tables[0]["table_name"]))
    with psycopg.connect(warehouse.role_url(demo["url"], "auditor", environ={})) as conn:
        conn.execute(query).fetchone()   # raises InsufficientPrivilege without the grants of ddl 006
    with psycopg.connect(demo["reader"]) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(query)
