"""Synthetic portal exports for `parwh sample`: clearly marked, deterministic for (seed, until).
This module writes the files; ingest.synthetic.dossiers makes the dossiers from ingest.synthetic.vocabulary.

The files imitate what the warehouse receives (DOMAIN.md §1 and §3): the national record as
JSON Lines from some provincial systems, a provincial one-stop CSV export from others, and a
procedure catalogue. They exercise the hard cases: Tết and make-up Saturdays in due dates,
receipts after office hours, supplement pauses, missing due dates, every status code, and the
2025-07-01 province reorganisation (codes 74 and 77 fold into 79; code 15 is Yên Bái before and
the new Lào Cai after). Nothing here is real: every file name starts with `synthetic_`, every
record says so, and names, ID numbers and procedure codes are invented.

Only `random.Random(seed)` drives the choices and nothing reads the clock, so the same
(seed, until) always writes the same bytes.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

from ingest.synthetic.dossiers import Dossier, build_dossiers
from ingest.synthetic.vocabulary import (
    CATALOGUE_FILE_NAME,
    CATALOGUE_HEADER,
    CHANNEL_LABELS,
    CSV_HEADER,
    CSV_TIMESTAMP,
    DEFAULT_SEED,
    DEFAULT_UNTIL,
    FILE_PREFIX,
    JSON_TIMESTAMP,
    ONLINE_LEVEL_LABELS,
    ONLINE_LEVEL_MUC_DO,
    PAID_ONLINE_LABELS,
    PROCEDURES,
    SUPPLEMENT_DATE_SEPARATOR,
    SYNTHETIC_MARK,
    SYNTHETIC_NOTE,
    YES_NO_LABELS,
)


# -- rendering ------------------------------------------------------------------------------------
def _json_time(value: datetime | None) -> str:
    return value.strftime(JSON_TIMESTAMP) if value else ""


def _csv_time(value: datetime | None) -> str:
    return value.strftime(CSV_TIMESTAMP) if value else ""


def _json_record(d: Dossier) -> dict[str, object]:
    p = d.procedure
    return {
        "MaHoSo": d.code,
        "MaTinh": d.export_code,
        "MaTTHC": p.code,
        "TenTTHC": p.name,
        "MaLinhVuc": p.field_code,
        "TenLinhVuc": p.field_name,
        "MaDonViXuLy": d.agency_code,
        "DonViXuLy": d.agency_name,
        "KenhThucHien": str(d.channel),
        "MucDo": ONLINE_LEVEL_MUC_DO[p.online_level],
        "NgayNopHoSo": _json_time(d.submitted_at),
        "NgayTiepNhan": _json_time(d.received_at),
        "NgayHenTra": _json_time(d.due_at),
        "NgayKetThucXuLy": _json_time(d.finished_at),
        "NgayTra": _json_time(d.returned_at),
        "NgayTuChoi": _json_time(d.refused_at),
        "TrangThaiHoSo": str(d.status),
        "DuocThanhToanTrucTuyen": str(d.paid_online),
        "DanhSachLePhi": [{"TenPhiLePhi": p.fee_name, "Gia": str(p.fee)}] if p.fee else [],
        "HoSoCoThanhPhanSoHoa": "1" if d.has_digitised_components else "0",
        "DanhSachGiayToKetQua": (
            [{"TenGiayTo": p.result_name,
              "DuongDan": f"https://ketqua.dichvucong.example.invalid/{d.code}.pdf"}]
            if d.has_electronic_result else []
        ),
        "DanhSachHoSoBoSung": [
            {"NgayBoSung": _json_time(s.requested_at), "NgayTiepNhanBoSung": _json_time(s.received_at),
             "NgayHenTraTruoc": _json_time(s.previous_due_at), "NgayHenTraMoi": _json_time(s.new_due_at)}
            for s in d.supplements
        ],
        "QuaTrinhXuLy": [
            {"PhongBanXuLy": s.department, "NguoiXuLy": s.handler, "ThoiDiemXuLy": _json_time(s.at),
             "TrangThai": str(s.status), "NgayKetThucTheoQuyDinh": _json_time(s.step_due_at)}
            for s in d.steps
        ],
        "ChuHoSo": d.applicant_name,
        "SoGiayToChuHoSo": d.applicant_id,
        "_synthetic": SYNTHETIC_MARK,
    }


def _csv_row(d: Dossier, row_number: int) -> list[str]:
    p = d.procedure
    return [
        str(row_number), d.export_code, d.code, p.code, p.name, p.field_name, d.agency_code, d.agency_name,
        CHANNEL_LABELS[d.channel], ONLINE_LEVEL_LABELS[p.online_level], d.status_label,
        _csv_time(d.submitted_at), _csv_time(d.received_at), _csv_time(d.due_at), _csv_time(d.finished_at),
        _csv_time(d.returned_at), _csv_time(d.refused_at), PAID_ONLINE_LABELS[d.paid_online], str(p.fee),
        YES_NO_LABELS[d.has_digitised_components], YES_NO_LABELS[d.has_electronic_result],
        str(len(d.supplements)),
        SUPPLEMENT_DATE_SEPARATOR.join(_csv_time(s.requested_at) for s in d.supplements),
        # A request still awaiting the applicant (status 5) is the last one and has no entry here.
        SUPPLEMENT_DATE_SEPARATOR.join(_csv_time(s.received_at) for s in d.supplements if s.received_at),
        d.applicant_name, d.applicant_id, SYNTHETIC_NOTE,
    ]


def _write_catalogue(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CATALOGUE_HEADER)
        for p in PROCEDURES:
            writer.writerow([p.code, p.name, p.field_name, p.limit_value, p.limit_unit, p.online_level,
                             1 if p.fee else 0])


def _write_dossier_file(path: Path, export_format: str, dossiers: list[Dossier]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        if export_format == "dvcqg":
            for d in dossiers:
                handle.write(json.dumps(_json_record(d), ensure_ascii=False) + "\n")
            return
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for row_number, d in enumerate(dossiers, start=1):
            writer.writerow(_csv_row(d, row_number))


def generate(out_dir: Path, dossiers: int, seed: int = DEFAULT_SEED, until: date = DEFAULT_UNTIL) -> list[Path]:
    """Write the synthetic catalogue and portal exports into out_dir; return the paths written.

    One file per (format, province code as exported, receipt year):
    synthetic_dvcqg_<code>_<year>.jsonl and synthetic_provincial_<code>_<year>.csv.
    """
    records = build_dossiers(dossiers, seed, until)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    catalogue = out_dir / CATALOGUE_FILE_NAME
    _write_catalogue(catalogue)
    groups: dict[tuple[str, str, int], list[Dossier]] = defaultdict(list)
    for d in records:
        groups[(d.export_format, d.export_code, d.reference_at.year)].append(d)
    written = [catalogue]
    for (export_format, code, year), members in sorted(groups.items()):
        extension = "jsonl" if export_format == "dvcqg" else "csv"
        path = out_dir / f"{FILE_PREFIX}{export_format}_{code}_{year}.{extension}"
        members.sort(key=lambda d: (d.reference_at, d.code))
        _write_dossier_file(path, export_format, members)
        written.append(path)
    return written
