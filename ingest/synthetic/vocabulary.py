"""What synthetic dossiers are made of: the invented procedures, agencies, names and labels, the
export layouts, and the plan of outcomes. Data only; ingest.synthetic.dossiers draws from it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

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
