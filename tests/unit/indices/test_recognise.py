"""Which reader a publication needs, told by its headers alone (ingest/indices/recognise.py): the
real PCI and PAPI workbooks, SYNTHETIC PCI editions in the older layouts, the 766 dashboard and the
long template, under names that say nothing; files that are none of them, or not readable."""

from __future__ import annotations

import json
import shutil

import openpyxl
import pytest

from ingest.errors import FileRejected
from ingest.indices.recognise import TEMPLATE, recognise
from tests.support import pci_editions
from tests.support.paths import REAL_FIXTURES
from tests.warehouse.test_index_marts import write_template_csv
from tests.warehouse.test_indices_766 import synthetic_dashboard_rows, synthetic_par_index_rows


def test_real_workbooks_are_recognised_by_their_headers(tmp_path):
    assert recognise(shutil.copy(REAL_FIXTURES / "PCI_2016.xlsx", tmp_path / "a.xlsx")) == "PCI"
    assert recognise(shutil.copy(REAL_FIXTURES / "PAPI_2011-2016.xlsx", tmp_path / "b.xlsx")) == "PAPI"


@pytest.mark.parametrize("year", [2005, 2007, 2010])
def test_older_pci_layouts_are_recognised(tmp_path, year):
    published = pci_editions.edition(year)
    assert recognise(pci_editions.write(published, tmp_path / f"bang{published.suffix}")) == "PCI"


def test_the_dashboard_and_the_template_are_recognised(tmp_path):
    dashboard = tmp_path / "rows.json"
    dashboard.write_text(json.dumps(synthetic_dashboard_rows(), ensure_ascii=False), encoding="utf-8")
    assert recognise(dashboard) == "DVC766"     # its rows, though the name gives no period
    template_csv = write_template_csv(tmp_path / "values.txt", synthetic_par_index_rows())
    assert recognise(template_csv) == TEMPLATE


def test_files_that_are_no_publication_are_not_recognised(tmp_path):
    (tmp_path / "notes.txt").write_text("not an index publication\n", encoding="utf-8")
    (tmp_path / "list.json").write_text(json.dumps([{"name": "Hà Nội", "score": 1}]), encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.append(["Tỉnh", "Điểm"])
    book.save(tmp_path / "table.xlsx")
    for name in ("notes.txt", "list.json", "table.xlsx"):
        assert recognise(tmp_path / name) is None, name


@pytest.mark.parametrize(("name", "reason"), [
    ("noise.xlsx", "unreadable_spreadsheet"), ("noise.xls", "unreadable_spreadsheet"),
    ("noise.json", "unreadable_json"), ("noise.txt", "unreadable_file"), ("noise.pdf", "not_a_workbook"),
])
def test_unreadable_files_are_rejected_in_one_line(tmp_path, name, reason):
    (tmp_path / name).write_bytes(bytes(range(256)) * 4)
    with pytest.raises(FileRejected) as raised:
        recognise(tmp_path / name)
    assert raised.value.reason_code == reason and "\n" not in raised.value.message
