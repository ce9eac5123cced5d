"""Which reader a publication needs, told by its content when neither `--index` nor the file name
says: each reader's own header signature. A workbook's sheets are read once and shown to the
long template's header test, the PCI summary layout and the PAPI yearly sheet in turn; a text
file and the 766 dashboard (JSON, or a workbook none of those fit) are tried with their reader,
which refuses a file without its header or columns (LayoutNotFound).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from ingest.errors import FileRejected
from ingest.indices import dvc766, papi, pci, template, workbook
from ingest.indices.model import LayoutNotFound

TEMPLATE = "template"
LOOKED_FOR = ("a PCI summary (composite and sub-index columns), a PAPI yearly sheet (tinhid and dimensions), "
              "the 766 dashboard's columns (LOAI_COQUAN, TONG_SCORE) or the long template's header "
              f"({', '.join(template.COLUMNS)})")


def recognise(path: Path) -> str | None:
    """'PCI', 'PAPI', 'DVC766' or TEMPLATE, by the file's headers; None when none fits.
    Raises FileRejected when the file cannot be read at all (a damaged workbook, not JSON)."""
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return TEMPLATE if _is_template(path) else None
    if suffix == ".json":
        return dvc766.INDEX_CODE if _is_dashboard(path) else None
    found = workbook.sheets(path)
    if any(rows and template.header(rows[0]) for _, rows in found):
        return TEMPLATE
    if any(pci.find_layout(name, rows) for name, rows in found):
        return pci.INDEX_CODE
    if any(papi.find_header(name, rows) for name, rows in found):
        return papi.INDEX_CODE
    return dvc766.INDEX_CODE if _is_dashboard(path) else None


def _is_template(path: Path) -> bool:
    try:
        template.read(path)
    except LayoutNotFound:
        return False
    except (UnicodeDecodeError, csv.Error) as exc:
        raise FileRejected("unreadable_file", f"{path.name}: not UTF-8 delimited text ({exc})") from None
    except (ValueError, LookupError):
        return True   # the template's header, with rows its reader refuses: it says which
    return True


def _is_dashboard(path: Path) -> bool:
    try:
        dvc766.read(path)
    except LayoutNotFound:
        return False
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FileRejected("unreadable_json", f"{path.name}: not UTF-8 JSON ({exc})") from None
    except (ValueError, LookupError):
        return True   # the dashboard's rows, with another problem (no period, a name): its reader says which
    return True
