"""The self-contained dbt docs page (`dbt docs generate --static`) copied into the report site."""

from __future__ import annotations

import shutil
from pathlib import Path

from ingest.runtime import dbt_runner
from ingest.settings import paths


def publish(warehouse_url: str, site_dir: Path | None = None) -> Path:
    site = site_dir or paths().site
    site.mkdir(parents=True, exist_ok=True)
    dbt_runner.run_dbt(["docs", "generate", "--static"], warehouse_url)
    target = site / "dbt_docs.html"
    shutil.copyfile(paths().dbt_project / "target" / "static_index.html", target)
    return target
