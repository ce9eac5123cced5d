"""A large synthetic provincial CSV export for the ingest benchmark (deterministic for rows and seed).

Same header and value conventions as `parwh sample`'s provincial CSV (ingest.synthetic.sample.CSV_HEADER),
but generated row by row without the dossier life-cycle model, so a million rows take seconds.
About 1 row in 200 carries a problem the loader must reject (unknown status label, a date that
does not exist, received after finished, a duplicate code), so the rejection path is timed too.
Every name is invented; the note column says the data is synthetic.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

from ingest.synthetic.sample import CSV_HEADER

NOTE = "synthetic"

PROCEDURES = [
    ("1.001612", "Đăng ký khai sinh", "Hộ tịch"),
    ("1.001193", "Đăng ký kết hôn", "Hộ tịch"),
    ("1.000894", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", "Chứng thực"),
    ("1.004227", "Cấp giấy chứng nhận quyền sử dụng đất lần đầu", "Đất đai"),
    ("1.009994", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "Xây dựng"),
    ("2.001610", "Đăng ký thành lập doanh nghiệp tư nhân", "Thành lập và hoạt động doanh nghiệp"),
    ("2.000720", "Đăng ký thành lập hộ kinh doanh", "Đăng ký kinh doanh"),
]
AGENCIES = [("H26.12", "Sở Tư pháp"), ("H26.15", "Sở Tài nguyên và Môi trường"), ("H26.18", "Sở Xây dựng"),
            ("H26.21", "Sở Kế hoạch và Đầu tư"), ("H26.101", "UBND phường Phúc Xá")]
STATUSES = ["Đã trả kết quả"] * 6 + ["Đang xử lý", "Đã tiếp nhận", "Chờ bổ sung", "Đã xử lý xong", "Trả lại"]
CHANNELS = ["Trực tiếp", "Trực tuyến", "Trực tuyến", "Bưu chính công ích"]
LEVELS = ["Toàn trình", "Một phần", "Không"]
PAID = ["Không", "Cổng DVCQG", "Cổng tỉnh"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ"]
MIDDLE = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Đức", "Thanh", "Quốc"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Hoa", "Hùng", "Lan", "Long", "Mai", "Nam", "Phúc", "Quân", "Thảo"]
STAMP = "%d/%m/%Y %H:%M"
START = datetime(2024, 1, 2, 7, 30)


def _stamp(moment: datetime | None) -> str:
    return moment.strftime(STAMP) if moment else ""


def _row(rng: random.Random, number: int) -> list[str]:
    code, name, field = PROCEDURES[rng.randrange(len(PROCEDURES))]
    agency_code, agency_name = AGENCIES[rng.randrange(len(AGENCIES))]
    channel = CHANNELS[rng.randrange(len(CHANNELS))]
    received = START + timedelta(minutes=rng.randrange(0, 60 * 24 * 700))
    due = received + timedelta(days=rng.randrange(1, 20))
    status = STATUSES[rng.randrange(len(STATUSES))]
    finished = returned = refused = None
    if status in ("Đã trả kết quả", "Đã xử lý xong"):
        finished = received + timedelta(hours=rng.randrange(1, 400))
        if status == "Đã trả kết quả":
            returned = finished + timedelta(hours=rng.randrange(1, 48))
    elif status == "Trả lại":
        refused = received + timedelta(hours=2)
    supplements = rng.randrange(1, 3) if rng.random() < 0.15 else 0
    requested = [received + timedelta(hours=4 * (i + 1)) for i in range(supplements)]
    answered = [moment + timedelta(hours=2) for moment in requested]
    dossier = f"{agency_code}-{received:%y%m%d}-{number:07d}"
    received_text = _stamp(received)
    problem = rng.randrange(200)           # about 1 row in 200 is one the loader must reject
    if problem == 0:
        status = "Không rõ trạng thái"
    elif problem == 1:
        received_text = "31/02/2025 08:00"
    elif problem == 2 and finished:
        finished = received - timedelta(days=1)
    elif problem == 3 and number > 1:
        dossier = f"{agency_code}-{received:%y%m%d}-{number - 1:07d}"  # may repeat the previous row's code
    applicant = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
    return [
        str(number), "01", dossier, code, name, field, agency_code, agency_name,
        channel, LEVELS[rng.randrange(len(LEVELS))], status,
        received_text if channel == "Trực tuyến" else "", received_text, _stamp(due), _stamp(finished),
        _stamp(returned), _stamp(refused), PAID[rng.randrange(len(PAID))],
        str(rng.choice((0, 0, 15000, 50000, 100000))), rng.choice(("Có", "Không")), rng.choice(("Có", "Không")),
        str(len(requested)), "; ".join(_stamp(m) for m in requested), "; ".join(_stamp(m) for m in answered),
        applicant, f"{rng.randrange(10**11, 10**12):012d}", NOTE,
    ]


def write_export(path: Path, rows: int, seed: int = 20250701) -> Path:
    """Write `rows` data rows (plus the header) to path; the same (rows, seed) gives the same bytes."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(CSV_HEADER)
        batch: list[list[str]] = []
        for number in range(1, rows + 1):
            batch.append(_row(rng, number))
            if len(batch) == 10_000:
                writer.writerows(batch)
                batch.clear()
        writer.writerows(batch)
    partial.replace(path)
    return path
