"""The report site and `parwh status` on a warehouse filled by the real loader and the real gates.

Two runs: an earlier clean one, then the night of tests/warehouse/test_quarantine_flow.py (a good load
with one rejected row, a bad load quarantined by its events). The page must answer an
auditor's questions offline: runs, loads by run, rejections by reason with an escaped CSV,
gate outcomes with their Data Docs pages, what failed and why, and the rows per mart.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from contextlib import redirect_stdout
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import psycopg
import pytest

from expectations import run_raw_gate
from ingest.landing import loader
from ingest.reporting import report_site, status
from ingest.reporting.rejections_csv import FORMULA_PREFIXES, escape_cell, write_rejections_csv
from ingest.reporting.report_site import site_link
from ingest.runtime import dbt_node_runs
from tests.unit.landing.test_ingest_unit import provincial_row
from tests.warehouse.test_quarantine_flow import FORMULA_CODE, NO_SUPPLEMENT, RUN_ID, land_night, write_provincial_csv

EARLIER_RUN = "scheduled__2026-11-19T19:00:00+00:00"


# ---- CSV escaping -----------------------------------------------------------------------------
@pytest.mark.parametrize("prefix", FORMULA_PREFIXES)
def test_a_cell_starting_like_a_formula_is_kept_as_text(prefix):
    value = f"{prefix}SUM(A1:A9)"
    assert escape_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["H29.1-250304-0001", "50000", "Đang xử lý", "", "a=b", " =not first", "'quoted"])
def test_ordinary_cells_are_unchanged(value):
    assert escape_cell(value) == value


def test_none_and_numbers_become_plain_text():
    assert (escape_cell(None), escape_cell(7), escape_cell(-3)) == ("", "7", "'-3")


@pytest.mark.warehouse
def test_rejection_csv_escapes_every_cell_including_the_original_fields(fresh_database, tmp_path):
    url = fresh_database
    record = {"Mã hồ sơ": "=cmd|' /C calc'!A0", "Lệ phí": "+50000", "Ghi chú": "-1", "Chủ hồ sơ": "@hash",
              "Tab": "\tx", "CR": "\rx", "=Header": "plain", "Danh sách": ["a", "b"], "line": "=raw line"}
    with psycopg.connect(url) as conn:
        (load_id,) = conn.execute(
            "insert into audit.loads (source_kind, file_name, file_sha256, rows_read, rows_loaded, rows_rejected,"
            " status, finished_at) values ('portal_export', 'x.csv', %s, 2, 0, 2, 'loaded', now()) returning load_id",
            (uuid.uuid4().hex,),
        ).fetchone()
        conn.execute(
            "insert into audit.rejected_rows (load_id, row_number, reason_code, reason, record) values"
            " (%s, 1, 'unknown_status', '=HYPERLINK(\"http://x\")', %s), (%s, 2, 'missing_status', 'row 2: ok', '{}')",
            (load_id, psycopg.types.json.Jsonb(record), load_id),
        )
        path = write_rejections_csv(conn, load_id, tmp_path)

    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, first, second = list(csv.reader(handle))
    row = dict(zip(header, first, strict=True))
    assert header[:4] == ["load_id", "row_number", "reason_code", "reason"] and header[-1] == "line"
    assert "'=Header" in header
    assert row["reason"] == "'=HYPERLINK(\"http://x\")"
    assert (row["Mã hồ sơ"], row["Lệ phí"], row["Ghi chú"], row["Chủ hồ sơ"]) == (
        "'=cmd|' /C calc'!A0", "'+50000", "'-1", "'@hash")
    assert (row["Tab"], row["CR"], row["line"], row["'=Header"]) == ("'\tx", "'\rx", "'=raw line", "plain")
    assert row["Danh sách"] == '["a", "b"]'
    assert second[:4] == [str(load_id), "2", "missing_status", "row 2: ok"]
    for cell in header + first + second:
        assert not cell.startswith(FORMULA_PREFIXES), cell


# ---- the page ---------------------------------------------------------------------------------
class Page(HTMLParser):
    """The bits of index.html the tests look at: links, <details> blocks, visible text, resources."""

    def __init__(self, markup: str):
        super().__init__()
        self.links: list[str] = []
        self.details: list[dict] = []
        self.resources: list[str] = []
        self.text: list[str] = []
        self.scripts = 0
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag == "details":
            self.details.append({"open": "open" in attrs, "text": []})
        if tag == "script":
            self.scripts += 1
        for name in ("src", "srcset"):
            if attrs.get(name):
                self.resources.append(attrs[name])
        if tag == "link" and attrs.get("href"):
            self.resources.append(attrs["href"])

    def handle_data(self, data):
        self.text.append(data)
        if self.details:
            self.details[-1]["text"].append(data)

    @property
    def plain(self) -> str:
        return " ".join(" ".join(self.text).split())


def section(markup: str, section_id: str) -> str:
    """Visible text of one <section>/<h2 id=...> part of the page, up to the next <h2>."""
    start = markup.index(f'id="{section_id}"')
    end = markup.find("<h2 ", start + 10)
    return Page(markup[start: end if end != -1 else None]).plain


@pytest.fixture(autouse=True)
def pii_key(monkeypatch):
    monkeypatch.setenv("PARWH_PII_KEY", "test-key-not-secret")


@pytest.mark.warehouse
def test_site_answers_the_auditor_for_every_run_offline(fresh_database, tmp_path):
    url = fresh_database
    site, gx_root = tmp_path / "site", tmp_path / "gx"
    earlier_file = write_provincial_csv(tmp_path / "portal_hcm_2026-11-19.csv", [
        provincial_row(**{**NO_SUPPLEMENT, "Mã hồ sơ": "E-OLD-1"})])
    earlier = loader.land_file(url, earlier_file, run_id=EARLIER_RUN)
    run_raw_gate(url, earlier.load_id, EARLIER_RUN, site_dir=site, gx_root=gx_root)

    # After a clean run: nothing to alarm anyone.
    calm = report_site.build(url, site_dir=site).read_text(encoding="utf-8")
    assert 'id="failures"' not in calm and "Nothing failed in this run." in calm

    night = land_night(url, tmp_path / "landing", site_dir=site, gx_root=gx_root)
    with psycopg.connect(url) as conn:  # marts made by hand: the page counts whatever is there
        conn.execute("create table marts.fct_dossiers as select 'D-' || n as dossier_id, 'early' as outcome"
                     " from generate_series(1, 3) as n")
    index = report_site.build(url, site_dir=site)
    markup = index.read_text(encoding="utf-8")
    page = Page(markup)

    # Offline: no scripts, no resource or link that needs the network.
    assert page.scripts == 0 and page.resources == []
    assert not [href for href in page.links if re.match(r"[a-z]+:", href)]
    # Every relative link points at a file in the site (Data Docs pages, CSVs, the Data Docs index).
    files = [href for href in page.links if not href.startswith("#")]
    assert files and all((site / unquote(href)).is_file() for href in files), files

    # What failed and why, at the top, for the latest run.
    assert markup.index('id="failures"') < markup.index('id="latest"')
    failures = section(markup, "failures")
    for words in (RUN_ID, "supplement_received_not_before_requested", "supplement_received_at", "B-TIME-TRAVEL",
                  "negative pause", f"load {night.bad.load_id}"):
        assert words in failures, words
    assert "E-OLD-1" not in failures

    # Run history: both runs, newest first.
    history = section(markup, "runs")
    assert history.index(RUN_ID) < history.index(EARLIER_RUN)

    # Loads grouped by run: the latest run open, the older one folded away.
    assert [d["open"] for d in page.details] == [True, False]
    latest, older = (" ".join(" ".join(d["text"]).split()) for d in page.details)
    assert RUN_ID in latest and EARLIER_RUN in older and "portal_hcm_2026-11-19.csv" in older
    good_row = re.search(r"portal_hcm_good_2026-11-20\.csv provincial_csv 4 3 1 unknown_status × 1 rejected rows "
                         r"\(CSV\) loaded (pass|warn)", latest)
    assert good_row, latest
    assert re.search(r"portal_hcm_bad_2026-11-20\.csv provincial_csv 3 3 0 none quarantined fail", latest), latest

    # Each load's gate links its Data Docs pages, one per suite, by relative path.
    docs_links = [href for href in page.links if href.startswith("data_docs/validations/")]
    for gate in (night.good_gate, night.bad_gate):
        for suite in gate.suites:
            assert site_link(str(suite.data_docs_path), site) in docs_links
    assert "data_docs/index.html" in page.links

    # The rejection CSV is linked and escaped.
    csv_href = f"rejections/load_{night.good.load_id}_rejected_rows.csv"
    assert csv_href in page.links
    rejected = (site / csv_href).read_text(encoding="utf-8-sig")
    assert "'" + FORMULA_CODE.replace('"', '""') in rejected and "unknown_status" in rejected

    # The warehouse contract, counted.
    marts = section(markup, "marts")
    assert "marts.fct_dossiers 3 in the contract" in marts
    assert "marts.dim_index - not built yet" in marts


@pytest.mark.warehouse
def test_status_prints_runs_loads_and_the_latest_runs_failures_with_their_keys(fresh_database, tmp_path):
    url = fresh_database
    night = land_night(url, tmp_path / "landing", site_dir=tmp_path / "site", gx_root=tmp_path / "gx")

    printed = io.StringIO()
    with redirect_stdout(printed):
        status.print_status(url)
    out = printed.getvalue()

    assert RUN_ID in out
    assert re.search(rf"{night.bad.load_id}\s.*portal_hcm_bad_2026-11-20\.csv.*quarantined / fail", out)
    assert re.search(rf"{night.good.load_id}\s.*portal_hcm_good_2026-11-20\.csv.*\b4\s+3\s+1\s+loaded / ", out)
    failure = next(line for line in out.splitlines() if "supplement_received_not_before_requested" in line)
    for words in (f"load {night.bad.load_id}", "raw_portal_dossier_events", "column supplement_received_at",
                  "1 unexpected", "sample keys: B-TIME-TRAVEL"):
        assert words in failure, failure


def test_site_link_follows_a_site_that_was_moved(tmp_path):
    page = tmp_path / "copy" / "data_docs" / "validations" / "raw_portal_dossiers" / "run:1+0" / "p.html"
    page.parent.mkdir(parents=True)
    page.write_text("x")
    recorded = "/srv/old/site/data_docs/validations/raw_portal_dossiers/run:1+0/p.html"
    assert site_link(recorded, tmp_path / "copy") == "data_docs/validations/raw_portal_dossiers/run%3A1%2B0/p.html"
    assert site_link(str(page), tmp_path / "copy") == "data_docs/validations/raw_portal_dossiers/run%3A1%2B0/p.html"
    assert site_link("/srv/old/site/data_docs/validations/missing.html", tmp_path / "copy") is None
    assert site_link(None, tmp_path) is None


def test_a_failing_dbt_test_says_where_its_failing_rows_are_kept():
    results = {"metadata": {"invocation_id": "inv-1"}, "results": [
        {"unique_id": "test.par_warehouse.unique_fct_dossiers_dossier_id", "status": "fail", "failures": 2,
         "message": "Got 2 results, configured to fail if != 0",
         "relation_name": '"parwh"."dbt_test__audit"."unique_fct_dossiers_dossier_id"'},
        {"unique_id": "test.par_warehouse.not_null_fct_dossiers_dossier_id", "status": "pass", "failures": 0,
         "message": None, "relation_name": '"parwh"."dbt_test__audit"."not_null_fct_dossiers_dossier_id"'},
        {"unique_id": "model.par_warehouse.fct_dossiers", "status": "success", "message": "SELECT 3",
         "relation_name": '"parwh"."marts"."fct_dossiers"', "adapter_response": {"rows_affected": 3}},
    ]}
    failed, passed, model = dbt_node_runs.node_rows(results, "run-1")
    assert failed[8] == ('Got 2 results, configured to fail if != 0 (failing rows kept in '
                         '"parwh"."dbt_test__audit"."unique_fct_dossiers_dossier_id")')
    assert (failed[4], failed[7]) == ("fail", 2)
    assert passed[8] is None
    assert (model[3], model[6], model[8]) == ("model", 3, "SELECT 3")


def test_run_results_file_follows_the_target_path(tmp_path):
    assert dbt_node_runs.run_results_file(target_path=tmp_path) == tmp_path / "run_results.json"
    assert dbt_node_runs.run_results_file(project_dir=Path("/p")) == Path("/p/target/run_results.json")
