"""What every `parwh` command shares: exit codes, run ids, the migrated warehouse URL, dates."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime

from ingest.runtime import migrate, warehouse

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


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
