"""Index publications: the real PCI 2016 and PAPI 2011–2016 workbooks (byte-identical copies of
the public publications in ingest/indices/publications/), name resolution failures, duplicates and the
load checks, on a fresh database (embedded server, or WAREHOUSE_URL's server)."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import openpyxl
import psycopg
import pytest

from ingest.indices import papi, pci
from ingest.indices.model import UnresolvedProvinces
from ingest.indices.publish import publish_file
from tests.support.paths import REAL_FIXTURES

REAL = REAL_FIXTURES
PCI_2016 = REAL / "PCI_2016.xlsx"
PAPI_2011_2016 = REAL / "PAPI_2011-2016.xlsx"


def _open(path: Path) -> openpyxl.Workbook:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return openpyxl.load_workbook(path, data_only=True)


def test_pci_2016_composite_rank_and_tier():
    [edition] = pci.read(PCI_2016)
    totals = {s.province.name: s for s in edition.scores if s.component == "total"}
    assert (edition.index_code, edition.period, edition.list_version, edition.source_sheet) == (
        "PCI", "2016", "2004", "Summary_VN")
    assert len(totals) == 63
    assert round(totals["Đà Nẵng"].value, 2) == 70.00 and totals["Đà Nẵng"].rank_published == 1
    assert round(totals["Cao Bằng"].value, 2) == 52.99 and totals["Cao Bằng"].rank_published == 63
    assert totals["Đà Nẵng"].tier == "Rất tốt"
    # The footer's median province (Yên Bái, rank 47) is not read twice.
    assert sum(1 for s in edition.scores if s.province.name == "Yên Bái" and s.component == "total") == 1
    assert totals["Yên Bái"].rank_published == 47


def test_pci_subindices_are_each_read_from_their_own_sorted_pair_of_columns():
    [edition] = pci.read(PCI_2016)
    components = {s.component for s in edition.scores}
    assert len(components) == 11
    for component in components:
        assert len({s.province for s in edition.scores if s.component == component}) == 63, component
    # Independently from the sheet: find each sub-index's score of Hà Nội next to its name.
    sheet = _open(PCI_2016)["Summary_VN"]
    header = [c.value for c in sheet[1]]
    land_column = next(i for i, h in enumerate(header) if h and "đất đai" in h)
    expected = next(row[land_column].value for row in sheet.iter_rows(min_row=2, max_row=64)
                    if row[land_column - 1].value == "Hà Nội")
    [got] = [s.value for s in edition.scores if s.component == "land_access" and s.province.name == "Hà Nội"]
    assert got == pytest.approx(expected)


def test_papi_2016_dimensions_match_the_workbook():
    editions = {e.period: e for e in papi.read(PAPI_2011_2016)}
    assert sorted(editions) == [str(y) for y in range(2011, 2017)]
    edition = editions["2016"]
    assert len({s.province for s in edition.scores}) == 63
    assert all(s.unit_name != "Điểm cao nhất" for s in edition.scores)
    sheet = _open(PAPI_2011_2016)["2016_PAPI"]
    header = [c.value for c in sheet[1]]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True) if row[0] is not None}
    got = {(s.province.gso_code, s.component): s.value for s in edition.scores}
    for code in (1, 48, 79, 96):
        row = rows[code]
        assert got[(f"{code:02d}", "transparency")] == pytest.approx(row[header.index("Transparency")])
        assert got[(f"{code:02d}", "public_service_delivery")] == pytest.approx(
            row[header.index("Public Service Delivery")])
        assert got[(f"{code:02d}", "total")] == pytest.approx(row[header.index("Un-weighted2015PAPI")])


def test_papi_2014_unscored_provinces_count_without_an_invented_value():
    edition = next(e for e in papi.read(PAPI_2011_2016) if e.period == "2014")
    unscored = {s.province.name for s in edition.scores if s.value is None}
    assert unscored == {"Bắc Giang", "Đồng Tháp"}
    assert len({s.province for s in edition.scores}) == 63


def _misspelled_pci(tmp_path: Path) -> Path:
    book = _open(PCI_2016)
    sheet = book["Summary_VN"]
    assert sheet["B2"].value == "Quảng Ninh"
    sheet["B2"] = "Quãng Nihn"
    path = tmp_path / "PCI_2016_misspelled.xlsx"
    book.save(path)
    return path


def test_unresolved_name_lists_the_name_and_candidates(tmp_path):
    with pytest.raises(UnresolvedProvinces) as raised:
        pci.read(_misspelled_pci(tmp_path))
    [(where, message)] = raised.value.problems
    assert "row 2" in where and "Quãng Nihn" in message and "Quảng Ninh" in message


def _load(conn: psycopg.Connection, load_id: int) -> tuple:
    return conn.execute("select status, gate_outcome, error, rows_loaded from audit.loads where load_id = %s",
                        (load_id,)).fetchone()


@pytest.mark.warehouse
def test_publish_real_workbooks_duplicate_and_rejection(fresh_database, tmp_path):
    pci_result = publish_file(fresh_database, PCI_2016)
    papi_result = publish_file(fresh_database, PAPI_2011_2016)
    again = publish_file(fresh_database, shutil.copy(PCI_2016, tmp_path / "PCI_2016_again.xlsx"))
    rejected = publish_file(fresh_database, _misspelled_pci(tmp_path), index_code="PCI")
    with psycopg.connect(fresh_database) as conn:
        status, gate, error, rows = _load(conn, pci_result.load_id)
        # PCI's weights are not published: the composite cannot be checked (warning, still visible).
        assert (status, gate, rows) == ("loaded", "warn", 693) and "composite_formula_unknown" in error
        assert _load(conn, papi_result.load_id)[:2] == ("loaded", "pass")
        assert _load(conn, again.load_id)[0] == "duplicate"
        status, gate, error, _ = _load(conn, rejected.load_id)
        assert status == "rejected" and "Quãng Nihn" in error and "Quảng Ninh" in error
        assert conn.execute("select count(*) from raw.index_scores where _load_id = %s",
                            (rejected.load_id,)).fetchone()[0] == 0
        da_nang = conn.execute(
            "select value, rank_published, tier, list_version, universe, methodology_version, source_sheet"
            " from raw.index_scores where index_code = 'PCI' and gso_code = '48' and component = 'total'"
        ).fetchone()
        assert round(float(da_nang[0]), 2) == 70.00
        assert da_nang[1:] == ("1", "Rất tốt", "2004", "63", "pci_10_subindices", "Summary_VN")
        editions = conn.execute(
            "select period, universe, methodology_version from audit.index_editions where load_id = %s"
            " order by period", (papi_result.load_id,)).fetchall()
        assert [e[0] for e in editions] == [str(y) for y in range(2011, 2017)]
        assert {e[1:] for e in editions} == {(63, "papi_6_dimensions")}


@pytest.mark.warehouse
def test_checks_quarantine_a_load_whose_ranks_contradict_its_values(fresh_database, tmp_path):
    book = _open(PCI_2016)
    sheet = book["Summary_VN"]
    header = [c.value for c in sheet[1]]
    rank_column = header.index("Xếp hạng") + 1
    # Swap the published ranks of the first two provinces: 70.00 ranked 2nd, 65.60 ranked 1st.
    sheet.cell(2, rank_column).value, sheet.cell(3, rank_column).value = 2, 1
    path = tmp_path / "PCI_2016_bad_ranks.xlsx"
    book.save(path)
    result = publish_file(fresh_database, path, index_code="PCI")
    assert (result.status, result.gate_outcome) == ("quarantined", "fail")
    assert any(f.check == "rank_consistent" for f in result.failures)
    with psycopg.connect(fresh_database) as conn:
        assert _load(conn, result.load_id)[:2] == ("quarantined", "fail")


@pytest.mark.warehouse
def test_cli_publish_exit_codes(fresh_database, tmp_path, monkeypatch, capsys):
    from ingest.cli import main

    monkeypatch.setenv("WAREHOUSE_URL", fresh_database)
    assert main(["publish", str(PCI_2016)]) == 0
    assert main(["publish", str(PCI_2016)]) == 0  # a duplicate is not an error
    assert main(["publish", "--index", "PCI", str(_misspelled_pci(tmp_path))]) == 1
    out = capsys.readouterr().out
    assert "loaded  gate warn" in out and "duplicate" in out and "rejected" in out and "Quảng Ninh" in out
