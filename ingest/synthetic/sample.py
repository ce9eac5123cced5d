"""Synthetic portal exports for `parwh sample`: clearly marked, deterministic for (seed, until).

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
import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from ingest.reference import working_days
from ingest.settings import SEEDS_DIR

SYNTHETIC_MARK = "parwh sample (synthetic data, not real dossiers)"
SYNTHETIC_NOTE = "DỮ LIỆU MẪU TỔNG HỢP - synthetic"
FILE_PREFIX = "synthetic_"

DEFAULT_SEED = 20250701
DEFAULT_UNTIL = date(2026, 11, 20)
RECEIPTS_FROM = date(2024, 1, 2)
REORGANISATION_DAY = date(2025, 7, 1)
# Open dossiers may fall due up to ~45 calendar days after `until`; keep them inside the calendar.
LATEST_UNTIL = working_days.LAST_DAY - timedelta(days=120)
EARLIEST_UNTIL = RECEIPTS_FROM + timedelta(days=30)

# Source systems compute due dates with their own fixed rule, so the sample does not follow
# PARWH_OFFICE_HOURS_CUTOFF (that would make the output depend on the environment).
SAMPLE_CUTOFF = time(17, 0)
DUE_TIME = time(17, 0)
# Hours-limited procedures (chứng thực practice): same working day when received before 15:00.
SAME_DAY_BEFORE = time(15, 0)
HOURS_PER_WORKING_DAY = 8

CROSSWALK_FILE = SEEDS_DIR / "province_crosswalk_2025.csv"
JSON_TIMESTAMP = "%Y%m%d%H%M%S"
CSV_TIMESTAMP = "%d/%m/%Y %H:%M"


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    field_code: str
    field_name: str
    limit_value: int
    limit_unit: str          # working_days | hours
    online_level: str        # full_online | partial_online | not_online
    fee: int                 # VND, 0 = free
    fee_name: str
    result_name: str
    level: str               # province (a department) | commune
    department: str | None   # key of DEPARTMENTS for province-level procedures
    weight: int              # relative frequency in the sample


# Codes follow the national pattern ^[0-9]\.[0-9]{6}$ but are illustrative, not the real catalogue.
PROCEDURES: tuple[Procedure, ...] = (
    Procedure("1.001193", "Đăng ký khai sinh", "TP-HT", "Hộ tịch", 1, "working_days", "full_online",
              0, "", "Giấy khai sinh", "commune", None, 14),
    Procedure("1.000894", "Đăng ký kết hôn", "TP-HT", "Hộ tịch", 5, "working_days", "partial_online",
              0, "", "Giấy chứng nhận kết hôn", "commune", None, 6),
    Procedure("1.004873", "Cấp Giấy xác nhận tình trạng hôn nhân", "TP-HT", "Hộ tịch", 3, "working_days",
              "full_online", 0, "", "Giấy xác nhận tình trạng hôn nhân", "commune", None, 8),
    Procedure("2.000908", "Cấp bản sao có chứng thực từ bản chính giấy tờ, văn bản do cơ quan, tổ chức có "
              "thẩm quyền của Việt Nam cấp hoặc chứng nhận", "TP-CT", "Chứng thực", 8, "hours",
              "partial_online", 2000, "Phí chứng thực bản sao từ bản chính", "Bản sao có chứng thực",
              "commune", None, 14),
    Procedure("1.001612", "Cấp Phiếu lý lịch tư pháp cho công dân Việt Nam, người nước ngoài đang cư trú "
              "tại Việt Nam", "TP-LLTP", "Tư pháp", 10, "working_days", "full_online", 200000,
              "Phí cung cấp thông tin lý lịch tư pháp", "Phiếu lý lịch tư pháp", "province", "tu_phap", 6),
    Procedure("1.004227", "Đăng ký biến động quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
              "TNMT-DD", "Đất đai", 10, "working_days", "partial_online", 50000, "Lệ phí cấp Giấy chứng nhận",
              "Giấy chứng nhận quyền sử dụng đất (xác nhận biến động)", "province", "dat_dai", 10),
    Procedure("1.003003", "Đăng ký đất đai, cấp Giấy chứng nhận quyền sử dụng đất lần đầu", "TNMT-DD",
              "Đất đai", 30, "working_days", "not_online", 100000, "Lệ phí cấp Giấy chứng nhận",
              "Giấy chứng nhận quyền sử dụng đất", "province", "dat_dai", 5),
    Procedure("1.002273", "Hòa giải tranh chấp đất đai", "TNMT-DD", "Đất đai", 30, "working_days",
              "not_online", 0, "", "Biên bản hòa giải thành", "commune", None, 3),
    Procedure("1.009972", "Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", "XD-GP", "Xây dựng", 15,
              "working_days", "partial_online", 75000, "Lệ phí cấp giấy phép xây dựng", "Giấy phép xây dựng",
              "commune", None, 8),
    Procedure("1.009974", "Cấp giấy phép xây dựng mới đối với công trình cấp II, cấp III", "XD-GP",
              "Xây dựng", 20, "working_days", "partial_online", 150000, "Lệ phí cấp giấy phép xây dựng",
              "Giấy phép xây dựng", "province", "xay_dung", 3),
    Procedure("2.000575", "Đăng ký thành lập doanh nghiệp tư nhân", "KH-DKKD", "Đăng ký kinh doanh", 3,
              "working_days", "full_online", 50000, "Lệ phí đăng ký doanh nghiệp",
              "Giấy chứng nhận đăng ký doanh nghiệp", "province", "kinh_doanh", 7),
    Procedure("2.000720", "Đăng ký thành lập hộ kinh doanh", "KH-DKKD", "Đăng ký kinh doanh", 3,
              "working_days", "full_online", 100000, "Lệ phí đăng ký hộ kinh doanh",
              "Giấy chứng nhận đăng ký hộ kinh doanh", "commune", None, 8),
)
PROCEDURES_BY_CODE: dict[str, Procedure] = {p.code: p for p in PROCEDURES}

CATALOGUE_FILE_NAME = "synthetic_procedure_catalogue.csv"
CATALOGUE_HEADER = (
    "procedure_code", "procedure_name", "field_name", "statutory_limit_value", "statutory_limit_unit",
    "online_level", "has_fee",
)
CSV_HEADER = (
    "STT", "Mã tỉnh", "Mã hồ sơ", "Mã thủ tục", "Tên thủ tục", "Lĩnh vực", "Mã đơn vị", "Đơn vị xử lý",
    "Kênh nộp", "Mức độ DVC", "Trạng thái", "Ngày nộp", "Ngày tiếp nhận", "Ngày hẹn trả",
    "Ngày kết thúc xử lý", "Ngày trả kết quả", "Ngày từ chối", "Thanh toán trực tuyến", "Lệ phí", "Số hóa",
    "Kết quả điện tử", "Số lần bổ sung", "Ngày yêu cầu bổ sung", "Ngày nhận bổ sung", "Chủ hồ sơ",
    "Số giấy tờ", "Ghi chú",
)
SUPPLEMENT_DATE_SEPARATOR = "; "

# Status code -> the provincial CSV labels used for it (first = usual one).
STATUS_LABELS: dict[int, list[str]] = {
    1: ["Chờ tiếp nhận"],
    2: ["Đã tiếp nhận"],
    3: ["Từ chối tiếp nhận", "Trả lại"],
    4: ["Đang xử lý"],
    5: ["Chờ bổ sung"],
    6: ["Chờ thực hiện nghĩa vụ tài chính"],
    7: ["Công dân rút hồ sơ"],
    8: ["Dừng xử lý"],
    9: ["Đã xử lý xong"],
    10: ["Đã trả kết quả"],
}
CHANNEL_LABELS: dict[int, str] = {1: "Trực tiếp", 2: "Trực tuyến", 3: "Bưu chính công ích"}
ONLINE_LEVEL_LABELS: dict[str, str] = {"full_online": "Toàn trình", "partial_online": "Một phần",
                                       "not_online": "Không"}
# The national record's older "mức độ" convention.
ONLINE_LEVEL_MUC_DO: dict[str, str] = {"full_online": "4", "partial_online": "3", "not_online": "2"}
PAID_ONLINE_LABELS: dict[int, str] = {0: "Không", 1: "Cổng DVCQG", 2: "Cổng tỉnh"}
YES_NO_LABELS: dict[bool, str] = {True: "Có", False: "Không"}

# Territories are pre-2025 provinces (old GSO codes) with their share of dossiers.
TERRITORY_WEIGHTS: dict[str, float] = {"01": 0.30, "79": 0.25, "74": 0.15, "77": 0.10, "15": 0.10, "10": 0.10}
# The export format of each province system, by the code it exports under. Dossier 0 is always
# Hà Nội (provincial CSV) and dossier 1 TP. Hồ Chí Minh (national JSON), so both formats exist.
EXPORT_FORMAT: dict[str, str] = {"01": "provincial", "74": "provincial", "10": "provincial",
                                 "79": "dvcqg", "77": "dvcqg", "15": "dvcqg"}
FORCED_TERRITORIES = ("01", "79")
# Electronic agency-code prefixes per (exported code, list version); invented, not GSO codes.
AGENCY_PREFIX: dict[tuple[str, str], str] = {
    ("01", "2004"): "H26", ("79", "2004"): "H29", ("74", "2004"): "H07", ("77", "2004"): "H05",
    ("15", "2004"): "H62", ("10", "2004"): "H39",
    ("01", "2025"): "H26", ("79", "2025"): "H29", ("15", "2025"): "H39",
}
# Department key -> (agency number, name before 2025-07-01, name after the 2025 department mergers).
DEPARTMENTS: dict[str, tuple[int, str, str]] = {
    "tu_phap": (12, "Sở Tư pháp", "Sở Tư pháp"),
    "dat_dai": (15, "Sở Tài nguyên và Môi trường", "Sở Nông nghiệp và Môi trường"),
    "xay_dung": (18, "Sở Xây dựng", "Sở Xây dựng"),
    "kinh_doanh": (21, "Sở Kế hoạch và Đầu tư", "Sở Tài chính"),
}
# Communes per (territory, list version); districts disappear with the two-tier reform.
COMMUNES: dict[tuple[str, str], tuple[str, ...]] = {
    ("01", "2004"): ("phường Tràng Tiền, quận Hoàn Kiếm", "phường Dịch Vọng, quận Cầu Giấy",
                     "xã Vân Canh, huyện Hoài Đức"),
    ("01", "2025"): ("phường Hoàn Kiếm", "phường Cầu Giấy", "xã Hoài Đức"),
    ("79", "2004"): ("phường Bến Nghé, Quận 1", "phường Tân Định, Quận 1", "xã Tân Nhựt, huyện Bình Chánh"),
    ("79", "2025"): ("phường Sài Gòn", "phường Tân Định", "xã Tân Nhựt"),
    # The line break is deliberate: vendor exports carry them and CSV quoting must survive it.
    ("74", "2004"): ("phường Phú Cường, thành phố Thủ Dầu Một", "phường Dĩ An, thành phố Dĩ An",
                     "xã An Tây,\nthị xã Bến Cát"),
    ("74", "2025"): ("phường Thủ Dầu Một", "phường Dĩ An", "xã Bàu Bàng"),
    ("77", "2004"): ("phường Thắng Tam, thành phố Vũng Tàu", "phường Phước Hiệp, thành phố Bà Rịa",
                     "xã Long Sơn, thành phố Vũng Tàu"),
    ("77", "2025"): ("phường Vũng Tàu", "phường Bà Rịa", "xã Long Sơn"),
    ("15", "2004"): ("phường Đồng Tâm, thành phố Yên Bái", "phường Yên Thịnh, thành phố Yên Bái",
                     "xã Tuy Lộc, thành phố Yên Bái"),
    ("15", "2025"): ("phường Yên Bái", "phường Văn Phú", "xã Trấn Yên"),
    ("10", "2004"): ("phường Cốc Lếu, thành phố Lào Cai", "phường Sa Pa, thị xã Sa Pa",
                     "xã Bản Lầu, huyện Mường Khương"),
    ("10", "2025"): ("phường Lào Cai", "phường Cam Đường", "phường Sa Pa"),
}

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
            "Hồ", "Ngô", "Dương", "Lý")
MIDDLE_NAMES = ("Văn", "Thị", "Hữu", "Minh", "Thanh", "Ngọc", "Đức", "Thu", "Quốc", "Kim", "Gia", "Hoài")
GIVEN_NAMES = ("An", "Bình", "Châu", "Dũng", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Hương", "Khánh", "Lan",
               "Linh", "Long", "Mai", "Minh", "Nam", "Ngân", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang",
               "Tuấn", "Việt", "Yến")
BIRTH_PROVINCES = ("001", "079", "074", "077", "015", "010", "038", "040", "036", "030")

# (status, outcome, share): finished ~80% (70% early, 15% on time, 15% late), open ~9% (within
# time or overdue as of `until`), refused 4%, withdrawn 3%, stopped 2%, not yet received 2%.
OUTCOME_PLAN: tuple[tuple[int, str | None, float], ...] = (
    (10, "early", 0.39), (9, "early", 0.17), (10, "on_time", 0.08), (10, "late", 0.08),
    (9, "on_time", 0.04), (9, "late", 0.04), (3, None, 0.04), (7, None, 0.03),
    (4, "within", 0.02), (4, "overdue", 0.02), (8, None, 0.02), (1, None, 0.02),
    (2, "within", 0.01), (5, "within", 0.01), (5, "overdue", 0.01), (6, "within", 0.01),
    (2, "overdue", 0.005), (6, "overdue", 0.005),
)
MISSING_DUE_SHARE = 0.03
SUPPLEMENT_SHARE_FINISHED = 0.2


@dataclass
class Supplement:
    requested_at: datetime
    received_at: datetime | None
    previous_due_at: datetime | None
    new_due_at: datetime | None


@dataclass
class Step:
    department: str
    handler: str
    at: datetime
    status: int
    step_due_at: datetime | None


@dataclass
class Dossier:
    territory: str
    export_code: str
    list_version: str
    procedure: Procedure
    agency_code: str
    agency_name: str
    channel: int
    status: int
    status_label: str
    submitted_at: datetime
    received_at: datetime | None
    due_at: datetime | None
    finished_at: datetime | None = None
    returned_at: datetime | None = None
    refused_at: datetime | None = None
    paid_online: int = 0
    has_digitised_components: bool = False
    has_electronic_result: bool = False
    applicant_name: str = ""
    applicant_id: str = ""
    supplements: list[Supplement] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    code: str = ""

    @property
    def reference_at(self) -> datetime:
        """Receipt (or, not yet received, submission): fixes the province code and the file year."""
        return self.received_at or self.submitted_at

    @property
    def export_format(self) -> str:
        return EXPORT_FORMAT[self.export_code]


def read_crosswalk(path: Path = CROSSWALK_FILE) -> dict[str, dict[str, str]]:
    """Old GSO code -> its crosswalk row (new_code, old_name, new_name, role, ...)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["old_code"]: row for row in csv.DictReader(handle)}


def list_version_on(day: date) -> str:
    return "2004" if day < REORGANISATION_DAY else "2025"


def province_code_on(territory: str, day: date, crosswalk: dict[str, dict[str, str]] | None = None) -> str:
    """The GSO code a dossier of this (pre-2025) territory carries on `day`."""
    if day < REORGANISATION_DAY:
        return territory
    return (crosswalk or read_crosswalk())[territory]["new_code"]


def statutory_due_date(procedure: Procedure, received_at: datetime) -> date:
    """NgayHenTra's date as the source systems compute it from the receipt."""
    clock = working_days.start_of_clock(received_at, SAMPLE_CUTOFF)
    if procedure.limit_unit == "working_days":
        return working_days.add_working_days(clock, procedure.limit_value)
    whole_days = math.ceil(procedure.limit_value / HOURS_PER_WORKING_DAY) - 1
    late_receipt = clock == received_at.date() and received_at.time() >= SAME_DAY_BEFORE
    return working_days.add_working_days(clock, whole_days + int(late_receipt))


def _plan_counts(dossiers: int) -> list[int]:
    """Largest-remainder split of `dossiers` over OUTCOME_PLAN, every slot at least once when possible."""
    exact = [share * dossiers for _, _, share in OUTCOME_PLAN]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: (counts[i] - exact[i], i))
    for i in by_remainder[: dossiers - sum(counts)]:
        counts[i] += 1
    for i in range(len(counts)):  # OUTCOME_PLAN is ordered by share, so the rarest slots go last
        if counts[i] == 0:
            donor = max(range(len(counts)), key=lambda j: (counts[j], -j))
            if counts[donor] <= 1:
                break
            counts[donor] -= 1
            counts[i] += 1
    return counts


class _Generator:
    def __init__(self, rng: random.Random, until: date) -> None:
        self.rng = rng
        self.until = until
        self.until_end = datetime.combine(until, time(23, 59, 59))
        self.earliest = datetime.combine(RECEIPTS_FROM, time(0, 0))
        self.crosswalk = read_crosswalk()
        self.sequences: dict[tuple[str, str], int] = defaultdict(int)
        self.agencies = self._agency_table()

    # -- reference tables ------------------------------------------------------------------------
    def _province_display(self, export_code: str, version: str) -> str:
        if version == "2004":
            name = self.crosswalk[export_code]["old_name"]
        else:
            name = next(r["new_name"] for r in self.crosswalk.values() if r["new_code"] == export_code)
        if name.startswith("Tỉnh "):
            return "tỉnh " + name.removeprefix("Tỉnh ")
        return name if name.startswith("Thành phố ") else f"tỉnh {name}"

    def _agency_table(self) -> dict[tuple[str, str, str], tuple[str, str]]:
        """(territory or export code, version, department key or commune name) -> (code, name)."""
        table: dict[tuple[str, str, str], tuple[str, str]] = {}
        for (export_code, version), prefix in AGENCY_PREFIX.items():
            province = self._province_display(export_code, version)
            for key, (number, old_name, new_name) in DEPARTMENTS.items():
                department = old_name if version == "2004" else new_name
                table[(export_code, version, key)] = (f"{prefix}.{number}", f"{department} {province}")
            # Communes are renumbered with the 2025 reform (201.. before, 301.. after).
            number = 201 if version == "2004" else 301
            for territory in sorted(TERRITORY_WEIGHTS):
                if province_code_on(territory, _first_day_of(version), self.crosswalk) != export_code:
                    continue
                for commune in COMMUNES[(territory, version)]:
                    table[(territory, version, commune)] = (f"{prefix}.{number}", f"UBND {commune}")
                    number += 1
        return table

    # -- random helpers --------------------------------------------------------------------------
    def _person(self) -> str:
        rng = self.rng
        return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE_NAMES)} {rng.choice(GIVEN_NAMES)}"

    def _citizen_id(self) -> str:
        rng = self.rng
        return f"{rng.choice(BIRTH_PROVINCES)}{rng.randint(0, 3)}{rng.randint(0, 99):02d}{rng.randint(0, 999999):06d}"

    def _office_moment(self, day: date, after: datetime | None = None) -> datetime:
        """A time in office hours (07:30 to before 17:00) on `day`, strictly after `after` when given."""
        start = datetime.combine(day, time(7, 30))
        end = datetime.combine(day, time(17, 0))
        if after is not None and after >= start:
            start = after + timedelta(minutes=1)
        if start >= end:
            return start + timedelta(seconds=self.rng.randint(60, 1800))
        return start + timedelta(seconds=self.rng.randint(0, int((end - start).total_seconds()) - 1))

    def _channel(self, procedure: Procedure) -> int:
        weights = {"full_online": (25, 72, 3), "partial_online": (50, 45, 5), "not_online": (90, 0, 10)}
        return self.rng.choices((1, 2, 3), weights[procedure.online_level])[0]

    def _receipt(self, channel: int, first: date, last: date) -> datetime | None:
        rng = self.rng
        day = first + timedelta(days=rng.randint(0, (last - first).days))
        if channel == 2 and rng.random() < 0.3:
            # Some online systems receive automatically, at night and at weekends too.
            return datetime.combine(day, time(0, 0)) + timedelta(seconds=rng.randint(0, 86399))
        if not working_days.is_working_day(day):
            day = working_days.next_working_day(day)
            if day > last:
                return None
        # Desks open 07:30-17:30: receipts after 17:00 exercise the office-hours cutoff.
        return datetime.combine(day, time(7, 30)) + timedelta(seconds=rng.randint(0, 10 * 3600 - 1))

    def _submission(self, channel: int, received_at: datetime) -> datetime:
        if channel != 2:
            return received_at
        delay = timedelta(minutes=self.rng.choice((self.rng.randint(0, 5), self.rng.randint(10, 3 * 24 * 60))))
        return max(received_at - delay, self.earliest)

    # -- one dossier -----------------------------------------------------------------------------
    def dossier(self, territory: str, status: int, outcome: str | None) -> Dossier:
        for _ in range(1000):
            built = self._try_dossier(territory, status, outcome)
            if built is not None:
                self._assign_code(built)
                return built
        raise RuntimeError(f"could not place a dossier with status {status} ({outcome}) before {self.until}")

    def _try_dossier(self, territory: str, status: int, outcome: str | None) -> Dossier | None:
        rng = self.rng
        eligible = [
            p for p in PROCEDURES
            if (status != 1 or p.online_level != "not_online")
            and (outcome not in ("within", "overdue") or p.limit_unit == "working_days")
        ]
        procedure = rng.choices(eligible, [p.weight for p in eligible])[0]
        channel = 2 if status == 1 else self._channel(procedure)

        if status == 1:
            day = max(self.until - timedelta(days=rng.randint(0, 3)), RECEIPTS_FROM)
            submitted = datetime.combine(day, time(0, 0)) + timedelta(seconds=rng.randint(0, 86399))
            received = None
        elif outcome in ("within", "overdue"):
            received = self._open_receipt(procedure, outcome)
            if received is None:
                return None
            submitted = self._submission(channel, received)
        else:
            received = self._receipt(channel, RECEIPTS_FROM, self.until)
            if received is None:
                return None
            submitted = self._submission(channel, received)

        reference = received or submitted
        version = list_version_on(reference.date())
        export_code = province_code_on(territory, reference.date(), self.crosswalk)
        if procedure.level == "commune":
            key = (territory, version, rng.choice(COMMUNES[(territory, version)]))
        else:
            key = (export_code, version, procedure.department or "")
        agency_code, agency_name = self.agencies[key]

        due_date = statutory_due_date(procedure, received) if received else None
        due_at = datetime.combine(due_date, DUE_TIME) if due_date else None
        dossier = Dossier(
            territory=territory, export_code=export_code, list_version=version, procedure=procedure,
            agency_code=agency_code, agency_name=agency_name, channel=channel, status=status,
            status_label=rng.choice(STATUS_LABELS[status]), submitted_at=submitted, received_at=received,
            due_at=due_at, applicant_name=self._person(), applicant_id=self._citizen_id(),
        )
        missing_due = received is not None and rng.random() < MISSING_DUE_SHARE
        if received is not None:
            dossier.steps.append(Step("Bộ phận Một cửa", self._person(), received, 2, due_at))
        if status in (9, 10):
            placed = self._finish(dossier, outcome or "", with_supplements=not missing_due)
        elif status in (2, 4, 5, 6):
            placed = self._keep_open(dossier)
        elif status in (3, 7, 8):
            placed = self._end_early(dossier)
        else:
            placed = True
        if not placed:
            return None

        if procedure.fee and channel == 2:
            dossier.paid_online = rng.choices((0, 1, 2), (30, 45, 25))[0]
        if received is not None:
            dossier.has_digitised_components = rng.random() < (0.8 if channel == 2 else 0.45)
        if missing_due:
            dossier.due_at = None
            for step in dossier.steps:
                step.step_due_at = None
            for supplement in dossier.supplements:
                supplement.previous_due_at = None
        return dossier

    def _open_receipt(self, procedure: Procedure, outcome: str) -> datetime | None:
        """Receipt of a dossier still open at `until`: due after it (within) or before it (overdue)."""
        last_number = working_days.working_day_number(self.until)
        limit = procedure.limit_value
        if outcome == "within":
            number = last_number - self.rng.randint(0, limit - 1)
        else:
            number = last_number - limit - self.rng.randint(1, 60)
        day = working_days.working_day_numbered(number)
        if day < RECEIPTS_FROM:
            return None
        # Before 17:00, so the clock starts that day and the due date is exactly `limit` days on.
        return self._office_moment(day)

    def _finish(self, dossier: Dossier, outcome: str, with_supplements: bool) -> bool:
        rng = self.rng
        assert dossier.received_at is not None and dossier.due_at is not None
        clock = working_days.start_of_clock(dossier.received_at, SAMPLE_CUTOFF)
        due_date = dossier.due_at.date()
        if outcome == "early":
            spare = working_days.working_days_between(clock, due_date) - 1
            if spare < 0:
                return False  # due the day the clock starts: cannot finish earlier
            used = rng.randint(0, spare)
        elif outcome == "on_time":
            used = working_days.working_days_between(clock, due_date)
        else:
            used = working_days.working_days_between(clock, due_date) + rng.randint(1, 12)

        paused = 0
        last_event = dossier.received_at
        if with_supplements and used >= 1 and rng.random() < SUPPLEMENT_SHARE_FINISHED:
            # More than one request always counts as late (DOMAIN §1), so only late dossiers get two.
            requests = 2 if outcome == "late" and used >= 2 and rng.random() < 0.3 else 1
            previous_due = dossier.due_at
            for offset in sorted(rng.sample(range(1, used + 1), requests)):
                pause = rng.randint(1, 10)
                requested = self._office_moment(working_days.add_working_days(clock, offset + paused))
                received = self._office_moment(working_days.add_working_days(requested.date(), pause))
                new_due = datetime.combine(working_days.add_working_days(previous_due.date(), pause), DUE_TIME)
                dossier.supplements.append(Supplement(requested, received, previous_due, new_due))
                dossier.steps.append(Step("Phòng chuyên môn", self._person(), requested, 5, previous_due))
                previous_due = new_due
                paused += pause
                last_event = received

        finish_day = working_days.add_working_days(working_days.add_working_days(clock, used), paused)
        # The specialist's draft and the leader's approval happen on the finishing day.
        drafted = self._office_moment(finish_day, after=last_event)
        finished = self._office_moment(finish_day, after=drafted)
        if finished > self.until_end:
            return False
        dossier.steps.append(Step("Phòng chuyên môn", self._person(), drafted, 4, dossier.due_at))
        dossier.steps.append(Step("Lãnh đạo phê duyệt", self._person(), finished, 9, dossier.due_at))
        dossier.finished_at = finished
        if dossier.status == 10:
            returned = self._office_moment(working_days.add_working_days(finish_day, rng.randint(0, 2)), finished)
            if returned > self.until_end:
                returned = finished + timedelta(minutes=rng.randint(5, 30))
            if returned > self.until_end:
                return False
            dossier.returned_at = returned
            dossier.steps.append(Step("Bộ phận Một cửa", self._person(), returned, 10, dossier.due_at))
        dossier.has_electronic_result = rng.random() < 0.5
        dossier.steps.sort(key=lambda s: s.at)
        return True

    def _keep_open(self, dossier: Dossier) -> bool:
        """Statuses 2, 4, 5, 6: the last step happened between receipt and `until`."""
        assert dossier.received_at is not None
        if dossier.status == 2:
            return True
        clock = working_days.start_of_clock(dossier.received_at, SAMPLE_CUTOFF)
        room = working_days.working_days_between(clock, self.until)
        day = working_days.add_working_days(clock, self.rng.randint(1, room)) if room >= 1 else clock
        at = self._office_moment(day, after=dossier.received_at)
        if at > self.until_end:
            return False
        if dossier.status == 5:
            dossier.supplements.append(Supplement(at, None, dossier.due_at, None))
            dossier.steps.append(Step("Phòng chuyên môn", self._person(), at, 5, dossier.due_at))
        else:
            dossier.steps.append(Step("Phòng chuyên môn", self._person(), at, dossier.status, dossier.due_at))
        return True

    def _end_early(self, dossier: Dossier) -> bool:
        """Refused at intake (3), withdrawn (7) or stopped (8)."""
        assert dossier.received_at is not None
        clock = working_days.start_of_clock(dossier.received_at, SAMPLE_CUTOFF)
        if dossier.status == 3:
            offset = self.rng.randint(0, 2)
        else:
            offset = self.rng.randint(1, dossier.procedure.limit_value + 3)
        at = self._office_moment(working_days.add_working_days(clock, offset), after=dossier.received_at)
        if at > self.until_end:
            return False
        if dossier.status == 3:
            dossier.refused_at = at
        department = "Bộ phận Một cửa" if dossier.status == 3 else "Phòng chuyên môn"
        dossier.steps.append(Step(department, self._person(), at, dossier.status, dossier.due_at))
        return True

    def _assign_code(self, dossier: Dossier) -> None:
        stamp = dossier.reference_at.strftime("%y%m%d")
        self.sequences[(dossier.agency_code, stamp)] += 1
        dossier.code = f"{dossier.agency_code}-{stamp}-{self.sequences[(dossier.agency_code, stamp)]:04d}"


def _first_day_of(version: str) -> date:
    return RECEIPTS_FROM if version == "2004" else REORGANISATION_DAY


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


def build_dossiers(dossiers: int, seed: int = DEFAULT_SEED, until: date = DEFAULT_UNTIL) -> list[Dossier]:
    """The synthetic dossiers, in generation order (what `generate` writes)."""
    if dossiers < 1:
        raise ValueError(f"dossiers must be at least 1 (20 or more to see every case), got {dossiers}")
    if not EARLIEST_UNTIL <= until <= LATEST_UNTIL:
        raise ValueError(f"until must lie in {EARLIEST_UNTIL}..{LATEST_UNTIL}, got {until}")
    rng = random.Random(seed)
    plan = [(status, outcome) for (status, outcome, _), count in zip(OUTCOME_PLAN, _plan_counts(dossiers),
                                                                     strict=True)
            for _ in range(count)]
    rng.shuffle(plan)
    generator = _Generator(rng, until)
    territories, weights = list(TERRITORY_WEIGHTS), list(TERRITORY_WEIGHTS.values())
    result = []
    for index, (status, outcome) in enumerate(plan):
        if index < len(FORCED_TERRITORIES):
            territory = FORCED_TERRITORIES[index]
        else:
            territory = rng.choices(territories, weights)[0]
        result.append(generator.dossier(territory, status, outcome))
    return result


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
