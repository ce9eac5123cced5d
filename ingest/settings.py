"""Project paths and settings, resolved once from the environment.

Every path can be overridden so that tests and Airflow workers can point the same code at
their own folders; the defaults suit a checkout used as the working directory.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Reference data lives once, as the dbt seeds; Python reads the same files.
SEEDS_DIR = PROJECT_ROOT / "dbt_project" / "seeds"
# Real index publications shipped with the project (PCI 2016, PAPI 2011-2016): the demo lands
# them and the tests read them, from this one copy.
PUBLICATIONS_DIR = PROJECT_ROOT / "ingest" / "indices" / "publications"


def _path(env_name: str, default: Path) -> Path:
    value = os.environ.get(env_name)
    return Path(value).resolve() if value else default


@dataclass(frozen=True)
class Paths:
    root: Path           # the checkout: code, dbt project, suites
    local: Path          # .local/: embedded warehouse, Airflow metadata, keys, GX stores
    landing: Path        # files waiting to be loaded
    archive: Path        # loaded files, archive/YYYY/MM/DD/
    quarantine: Path     # rejected files, each with a .why.txt sidecar
    site: Path           # the report site

    @property
    def warehouse_data(self) -> Path:
        return self.local / "warehouse" / "pgdata"

    @property
    def dbt_project(self) -> Path:
        return self.root / "dbt_project"

    @property
    def gx_root(self) -> Path:
        return self.local / "gx"


def paths() -> Paths:
    """Data folders live under PARWH_HOME (default: the checkout); code always under the checkout."""
    home = _path("PARWH_HOME", PROJECT_ROOT)
    local = _path("PARWH_LOCAL_DIR", home / ".local")
    return Paths(
        root=PROJECT_ROOT,
        local=local,
        landing=_path("PARWH_LANDING_DIR", home / "landing"),
        archive=_path("PARWH_ARCHIVE_DIR", home / "archive"),
        quarantine=_path("PARWH_QUARANTINE_DIR", home / "quarantine"),
        site=_path("PARWH_SITE_DIR", home / "site"),
    )


class LimitSettingError(ValueError):
    """A PARWH_* setting holds a value that cannot be used (not a number, not finite, not positive)."""


def positive_setting(name: str, default: float, kind: type = int) -> float:
    """A positive, finite number from the environment variable `name`, else the default.

    nan, inf, 0, negative numbers and text are refused: a limit of nan or inf would switch the
    limit off silently."""
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = kind(text.strip())
    except ValueError:
        wanted = "a whole number" if kind is int else "a number"
        raise LimitSettingError(f"{name}={text!r} is not {wanted}") from None
    if not math.isfinite(value) or value <= 0:
        raise LimitSettingError(f"{name}={text!r} must be a positive finite number")
    return value


def count_setting(name: str, default: int) -> int:
    """A whole number >= 0 from the environment variable `name` (retries, seconds), else the default."""
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = int(text.strip())
    except ValueError:
        raise LimitSettingError(f"{name}={text!r} is not a whole number") from None
    if value < 0:
        raise LimitSettingError(f"{name}={text!r} must not be negative")
    return value


@dataclass(frozen=True)
class InputLimits:
    """What one delivered file may hold; a file over a limit is rejected whole, naming the setting.

    | setting | env var | default |
    |---|---|---|
    | bytes per file (an archive member: its expanded size) | PARWH_MAX_FILE_BYTES | 2 GiB |
    | data rows (records) per file | PARWH_MAX_ROWS | 5,000,000 |
    | columns in the header | PARWH_MAX_COLUMNS | 500 |
    | characters in one cell (CSV field, JSON line) | PARWH_MAX_CELL_CHARS | 1,000,000 |
    | characters in one CSV record, its lines together | PARWH_MAX_LINE_CHARS | 16 x PARWH_MAX_CELL_CHARS |

    A CSV record is also held to 4 x PARWH_MAX_COLUMNS delimiters (quoted ones included) before it is
    split into fields, so a record never takes more memory than a few times these limits.
    ZIP expansion limits are in ingest.landing.archives (PARWH_ZIP_MAX_*).
    """

    max_file_bytes: int = 2 << 30
    max_rows: int = 5_000_000
    max_columns: int = 500
    max_cell_chars: int = 1_000_000
    max_line_chars: int = 16 * 1_000_000

    @property
    def max_record_delimiters(self) -> int:
        """Delimiters one CSV record may hold before it is split into fields (room for quoted ones)."""
        return 4 * self.max_columns

    @classmethod
    def from_env(cls) -> InputLimits:
        cell_chars = int(positive_setting("PARWH_MAX_CELL_CHARS", cls.max_cell_chars))
        return cls(int(positive_setting("PARWH_MAX_FILE_BYTES", cls.max_file_bytes)),
                   int(positive_setting("PARWH_MAX_ROWS", cls.max_rows)),
                   int(positive_setting("PARWH_MAX_COLUMNS", cls.max_columns)),
                   cell_chars,
                   int(positive_setting("PARWH_MAX_LINE_CHARS", 16 * cell_chars)))
