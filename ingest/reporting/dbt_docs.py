"""The self-contained dbt docs page (`dbt docs generate --static`) copied into the report site."""

from __future__ import annotations

import shutil
from pathlib import Path

from ingest.runtime import dbt_runner
from ingest.settings import paths


def publish(warehouse_url: str, site_dir: Path | None = None) -> Path:
    """Generate the docs in a target folder of their own (.local/dbt_docs): run after run it holds
    a partial parse made with the same profile and no vars, so the next night parses only what
    changed, and dbt_project/target/manifest.json, which the nightly DAG renders from, is left alone."""
    site = site_dir or paths().site
    site.mkdir(parents=True, exist_ok=True)
    docs_target = paths().local / "dbt_docs"
    dbt_runner.run_dbt(["docs", "generate", "--static"], warehouse_url, target_path=docs_target)
    target = site / "dbt_docs.html"
    shutil.copyfile(docs_target / "static_index.html", target)
    return target
