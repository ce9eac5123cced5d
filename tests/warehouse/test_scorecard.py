"""The scorecard before any data: every chart is a clear "no data yet" panel (and a PNG saying so),
both when the marts are not built at all and when they are built but empty; the report site links
to it. Quantities drawn from real marts are tested in tests/warehouse/test_bi_demo.py."""

from __future__ import annotations

import psycopg
import pytest
from PIL import Image

from ingest.reporting import report_site, scorecard

pytestmark = pytest.mark.warehouse

CHARTS = {"on_time_trend_34_provinces", "on_time_trend_63_provinces", "cycle_time_by_procedure",
          "service_index_published", "index_ranks_2004", "index_ranks_2025"}


def test_unbuilt_marts_give_no_data_panels_and_the_site_links_the_scorecard(fresh_database, tmp_path):
    index = report_site.build(fresh_database, site_dir=tmp_path / "site")
    assert "<a href=\"scorecard.html\">Scorecard</a>" in index.read_text(encoding="utf-8")
    page = (tmp_path / "site" / "scorecard.html").read_text(encoding="utf-8")
    assert page.count("No data yet.") == len(CHARTS)
    assert "run `parwh build`" in page and "<img" not in page and "<script" not in page
    for name in CHARTS:
        with Image.open(tmp_path / "site" / "charts" / f"{name}.png") as png:
            assert png.width > 300 and png.height > 100 and png.convert("L").getextrema()[0] < 160, name


def test_empty_marts_say_what_would_fill_each_chart(fresh_database, tmp_path):
    # The tables as dbt leaves them on a warehouse that has loaded nothing yet.
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("create table marts.dim_province (province_key text, gso_code text, province_name text)")
        conn.execute("insert into marts.dim_province values ('79-2025', '79', 'Hồ Chí Minh')")
        conn.execute("create table marts.dim_procedure (procedure_id text, procedure_name text,"
                     " statutory_limit_working_days numeric)")
        conn.execute("create table marts.fct_dossiers (province_key text, province_key_2025 text, list_version text,"
                     " finished_at timestamptz, outcome text, is_finished boolean, procedure_code text,"
                     " working_days_used integer)")
        conn.execute("create table marts.fct_on_time_rate (province_key text, gso_code text, list_version text,"
                     " province_name text, finished_month date, finished_dossiers bigint,"
                     " finished_early_or_on_time bigint, on_time_rate_percent numeric)")
        conn.execute("create table marts.fct_index_scores (index_code text, component text, edition_year integer,"
                     " period text, province_key text, list_version text, value numeric, rank_published integer,"
                     " rank_recomputed integer, is_derived boolean)")
    with psycopg.connect(fresh_database) as conn:
        charts = {chart.name: chart for chart in scorecard.build_charts(conn, tmp_path / "charts")}
    assert charts.keys() == CHARTS
    assert all(chart.points == 0 for chart in charts.values())
    assert "no finished dossiers" in charts["on_time_trend_34_provinces"].empty_reason
    assert "parwh publish" in charts["service_index_published"].empty_reason
    assert "no published ranks" in charts["index_ranks_2004"].empty_reason


def test_the_computed_766_chart_shows_the_latest_complete_month(fresh_database, tmp_path):
    """The marts are built for 2026-11-20: November has twenty days of dossiers, so the chart shows
    October, with October's points, not November's."""
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("create table marts.dim_province (province_key text, gso_code text, province_name text)")
        conn.execute("insert into marts.dim_province values ('79-2025', '79', 'Hồ Chí Minh')")
        conn.execute("create table marts.fct_dossiers (as_of_date date)")
        conn.execute("insert into marts.fct_dossiers values ('2026-11-20')")
        conn.execute("create table marts.fct_service_index (province_key text, month_start date,"
                     " progress_points numeric, online_service_points numeric)")
        conn.execute("insert into marts.fct_service_index values ('79-2025', '2026-10-01', 18, 11),"
                     " ('79-2025', '2026-11-01', 5, 2)")
    with psycopg.connect(fresh_database) as conn:
        marts = scorecard._relations(conn)
        assert scorecard.as_of_date(conn, marts).isoformat() == "2026-11-20"
        month, scores = scorecard.computed_766(conn, marts["fct_service_index"], scorecard.as_of_date(conn, marts))
        charts = {chart.name: chart for chart in scorecard.build_charts(conn, tmp_path / "charts")}
    assert (month, scores) == ("2026-10", {"Hồ Chí Minh": {"progress": 18.0, "online_service": 11.0}})
    assert charts["service_index_computed"].title.endswith("— 2026-10") and charts["service_index_computed"].points
    # On the month's last day the month is complete.
    with psycopg.connect(fresh_database, autocommit=True) as conn:
        conn.execute("update marts.fct_dossiers set as_of_date = '2026-11-30'")
    with psycopg.connect(fresh_database) as conn:
        marts = scorecard._relations(conn)
        assert scorecard.computed_766(conn, marts["fct_service_index"], scorecard.as_of_date(conn, marts))[0] == (
            "2026-11")
