"""A Great Expectations context made per gate call, keyed to one warehouse database.

Why a fresh in-memory context with file-backed result storage rather than one shared
great_expectations.yml project:
- Datasources added to a file project are written back into its YAML; concurrent gates (two
  loads at once, or tests on different databases) would rewrite the same file. Here the
  datasource, suite, validation definition and checkpoint live only in this call's context.
- Validation results are written to a filesystem store under gx_root (.local/gx), one file per
  run, so Data Docs keep the history of every run across processes.
- The connection string reaches GX through a per-context runtime variable, so the password never
  lands in a file and two contexts on two databases never see each other's URL.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from expectations.suites import without_batch_hint
from ingest.runtime import warehouse
from ingest.settings import paths

# Usage statistics stay off. GX 1.24.1 ships no analytics client, but this variable (read by
# releases that do) and analytics_enabled=False below keep it so if one comes back.
os.environ["GX_ANALYTICS_ENABLED"] = "false"

SITE_NAME = "parwh"
URL_VARIABLE = "PARWH_GX_WAREHOUSE_URL"
# The index page reads every listed result; cap it so a year of runs keeps it quick to build.
# Older pages stay on disk and in the validation store.
INDEX_RESULTS_LIMIT = 500

# GX keeps "the current project" in a module-level global (set by get_context), so two gates in
# one process must not interleave. Separate processes (Airflow tasks, pytest workers) are free.
GX_PROCESS_LOCK = threading.Lock()


@dataclass(frozen=True)
class GatePaths:
    gx_root: Path     # validation results store
    site_dir: Path    # report site; Data Docs go to <site_dir>/data_docs

    @property
    def data_docs(self) -> Path:
        return self.site_dir / "data_docs"

    @property
    def data_docs_index(self) -> Path:
        return self.data_docs / "index.html"

    @property
    def validations_store(self) -> Path:
        return self.gx_root / "validations"


def gate_paths(gx_root: Path | str | None = None, site_dir: Path | str | None = None) -> GatePaths:
    project = paths()
    return GatePaths(
        gx_root=Path(gx_root).resolve() if gx_root else project.gx_root,
        site_dir=Path(site_dir).resolve() if site_dir else project.site,
    )


def datasource_name(warehouse_url: str) -> str:
    """warehouse_<database>: names the database in batch ids and Data Docs."""
    dbname = warehouse.parse_url(warehouse_url).dbname
    return "warehouse_" + re.sub(r"[^A-Za-z0-9_]+", "_", dbname)


def _project_config(locations: GatePaths):
    from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

    in_memory = {"class_name": "InMemoryStoreBackend"}
    return DataContextConfig(
        stores={
            "expectations_store": {"class_name": "ExpectationsStore", "store_backend": in_memory},
            "validation_definition_store": {
                "class_name": "ValidationDefinitionStore",
                "store_backend": in_memory,
            },
            "checkpoint_store": {"class_name": "CheckpointStore", "store_backend": in_memory},
            "validation_results_store": {
                "class_name": "ValidationResultsStore",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(locations.validations_store),
                },
            },
        },
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store",
        data_docs_sites={
            SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(locations.data_docs),
                },
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": INDEX_RESULTS_LIMIT,
                    "renderer": {
                        "module_name": "expectations.docs",
                        "class_name": "OfflineSiteIndexPageRenderer",
                    },
                },
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )


@contextmanager
def gx_context(warehouse_url: str, locations: GatePaths) -> Iterator[tuple[object, object]]:
    """(context, postgres datasource) for one database; the engine is disposed on exit."""
    import great_expectations as gx

    locations.validations_store.mkdir(parents=True, exist_ok=True)
    locations.data_docs.mkdir(parents=True, exist_ok=True)
    with GX_PROCESS_LOCK:
        context = gx.get_context(
            mode="ephemeral",
            project_config=_project_config(locations),
            runtime_environment={URL_VARIABLE: warehouse.sqlalchemy_url(warehouse_url)},
        )
        # ConfigStr, not the URL itself: GX's PostgresDsn check rejects socket URLs
        # (postgresql://u@/db?host=/dir), which the embedded warehouse uses.
        datasource = context.data_sources.add_postgres(
            name=datasource_name(warehouse_url), connection_string="${" + URL_VARIABLE + "}"
        )
        try:
            with without_batch_hint():
                yield context, datasource
        finally:
            datasource.get_engine().dispose()


@contextmanager
def data_docs_lock(locations: GatePaths) -> Iterator[None]:
    """Serialise Data Docs builds on one site across processes (the index is rewritten whole)."""
    lock_path = locations.data_docs / ".build.lock"
    with open(lock_path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
