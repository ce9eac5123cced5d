"""What every `parwh` command shares: exit codes, run ids, the migrated warehouse URL, dates."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from ingest import intake
from ingest.indices import periods
from ingest.landing.archives import ZipLimits
from ingest.reference import provinces, working_days
from ingest.runtime import migrate, warehouse
from ingest.settings import InputLimits, LimitSettingError, count_setting

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


def new_run_id(prefix: str = "cli") -> str:
    return f"{prefix}__{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%f}"


def warehouse_url(apply_migrations: bool = True) -> str:
    """The warehouse (started when embedded), with pending DDL applied."""
    url = warehouse.url()
    if apply_migrations:
        with warehouse.connect(url) as conn:
            migrate.migrate(conn)
    return url


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-07-01") from None


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def province_code(text: str) -> str:
    """A GSO province code on the 63- or the 34-province list ("1" and "01" alike)."""
    code = text.strip()
    if code.isascii() and code.isdigit() and len(code) <= 2 and \
            code.zfill(2) in {p.gso_code for p in provinces.provinces()}:
        return code.zfill(2)
    raise argparse.ArgumentTypeError(f"{text!r} is not a province code (a 2-digit GSO code such as 01 or 79, "
                                     "on the 63- or the 34-province list)")


def period(text: str) -> str:
    try:
        return periods.parse(text).label
    except periods.PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def check_all_settings() -> None:
    """Parse every PARWH_* setting once, so a bad value stops a command before any work
    (LimitSettingError naming the setting)."""
    InputLimits.from_env()
    ZipLimits.from_env()
    intake.file_seconds()
    count_setting("PARWH_TASK_RETRIES", 2)
    count_setting("PARWH_RETRY_DELAY_SECONDS", 60)
    try:
        working_days.office_hours_cutoff()
    except ValueError as exc:
        raise LimitSettingError(str(exc)) from None
