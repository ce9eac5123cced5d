"""Project paths and settings, resolved once from the environment.

Every path can be overridden so that tests and Airflow workers can point the same code at
their own folders; the defaults suit a checkout used as the working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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
