"""Ingest a batch of files: land each one into raw, gate each load, then file it away.

landing/ holds portal exports; landing/indices/ holds index publications (PCI, PAPI, 766, the
long template). Each file is one load (each member of a .zip its own), taken under the warehouse
ingest lock, and moves to archive/ or quarantine/ afterwards. `parwh ingest`, `parwh publish`,
portal_ingest, index_publications and the nightly sweep all come through here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from expectations import run_raw_gate
from ingest.indices.publish import publish_file
from ingest.landing import folders as landing_folders
from ingest.landing import loader
from ingest.landing.progress import ProgressBar
from ingest.settings import paths

log = logging.getLogger(__name__)

INDEX_SUBFOLDER = "indices"  # landing/indices/: index publications; anything else in landing/ is a portal export
LOADED = ("loaded",)


@dataclass
class FileLoad:
    """One load of a landing file, as a task returns it (XCom: plain values only)."""

    file: str
    load_id: int | None
    status: str
    rows_loaded: int = 0
    rows_rejected: int = 0
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _index_folder(landing: Path) -> Path:
    return landing / INDEX_SUBFOLDER


def portal_files(landing: Path | None = None) -> list[Path]:
    """Portal exports waiting in landing/ (everything outside landing/indices/)."""
    folder = landing or paths().landing
    indices = _index_folder(folder)
    return [p for p in landing_folders.pending_files(folder) if not p.is_relative_to(indices)]


def index_files(landing: Path | None = None) -> list[Path]:
    """Index publications waiting in landing/indices/."""
    return landing_folders.pending_files(_index_folder(landing or paths().landing))


class _ProgressBars:
    """One stderr progress bar per load (each member of a .zip is its own load)."""

    def __init__(self) -> None:
        self.bars: list[ProgressBar] = []

    def __call__(self, name: str) -> ProgressBar:
        self.close()
        self.bars.append(ProgressBar(name))
        return self.bars[-1]

    def close(self) -> None:
        for bar in self.bars:
            bar.close()


def root_of(path: Path, folders: list[Path]) -> Path:
    """The folder a file was found in (the innermost folder named that holds it), else its own folder:
    links found there must not lead out of it."""
    where = path.absolute()
    holding = [folder for folder in folders if where.is_relative_to(folder)]
    return max(holding, key=lambda folder: len(folder.parts)) if holding else where.parent


def ingest_files(url: str | None, files: list[Path], *, profile: str | None, province: str | None,
                 dry_run: bool, run_id: str, gate: bool = True, folders: list[Path] | None = None,
                 reload: bool = False, report: Callable[[str], None] = log.error) -> list[loader.LoadResult]:
    """Land each file, gate each load, file each landing file away. One bad file never stops the
    others: a file that cannot be moved out of landing/ is reported (`report`) and raised after the
    rest are done (FilingError). Each file is read without holding the ingest lock; its commit takes it."""
    results, filing_errors = [], []
    for path in files:
        if not dry_run and not os.path.lexists(path):  # filed away by another ingest meanwhile
            continue
        try:
            loads = _ingest_one(url, path, profile=profile, province=province, dry_run=dry_run, run_id=run_id,
                                gate=gate, root=root_of(path, folders or []), reload=reload)
            results.extend(r for r in loads if r.status != loader.GONE)
        except landing_folders.FilingError as exc:
            report(str(exc))
            filing_errors.append(exc)
    if not dry_run:
        loader.refresh_statistics(url, results)
    if filing_errors:
        raise filing_errors[0]
    return results


def _ingest_one(url: str | None, path: Path, *, profile: str | None, province: str | None, dry_run: bool,
                run_id: str, gate: bool, root: Path | None = None, reload: bool = False) -> list[loader.LoadResult]:
    """The loads of one landing file: the file itself, or each member of a .zip."""
    bars = _ProgressBars()
    try:
        loads = loader.land_path(url, path, profile_name=profile, province=province, run_id=run_id,
                                 dry_run=dry_run, progress=bars, root=root, reload=reload)
    finally:
        bars.close()
    for result in loads:
        if result.status == "loaded" and gate:
            outcome = run_raw_gate(url, result.load_id, run_id)
            if outcome.outcome == "fail":
                result.status, result.error = "quarantined", outcome.message()
    if not dry_run and not any(r.keep_in_landing for r in loads):
        # A .zip moves as a whole: to the archive when every member loaded, else to quarantine.
        bad = [r for r in loads if r.status not in ("loaded", "duplicate")]
        landing_folders.file_away(path, bad[0].status if bad else "loaded",
                          "; ".join(f"{r.name}: {r.status}: {r.error}" for r in bad) or None)
    return loads


def load_portal_file(warehouse_url: str, path: Path, run_id: str) -> list[FileLoad]:
    """One portal export (a .zip: one load per member), gated, then archived or quarantined."""
    results = ingest_files(warehouse_url, [Path(path)], profile=None, province=None, dry_run=False, run_id=run_id,
                           folders=[paths().landing])
    loads = [FileLoad(r.name, r.load_id, r.status, r.rows_loaded, r.rows_rejected,
                      r.error if r.status not in ("loaded", "duplicate") else None) for r in results]
    for load in loads:
        _log_load(load)
    return loads


def publish_index_file(warehouse_url: str, path: Path, run_id: str) -> FileLoad | None:
    """One index publication, checked, then archived or quarantined; None when another run took it."""
    path = Path(path)
    if not os.path.lexists(path):  # another ingest filed it away already
        log.info("%s: already taken by another ingest", path.name)
        return None
    try:
        result = publish_file(warehouse_url, path, run_id=run_id, root=_index_folder(paths().landing))
        load = FileLoad(path.name, result.load_id, result.status, result.rows_loaded, 0,
                        result.error if result.status not in ("loaded", "duplicate") else None)
    except ValueError as exc:  # a reader's own fault: its load is recorded failed, the file set aside
        load = FileLoad(path.name, None, "rejected", error=str(exc))
    if load.error is None or not load.error.startswith("file_changed_while_read"):
        landing_folders.file_away(path, load.status, load.error)
    _log_load(load)
    return load


def _log_load(load: FileLoad) -> None:
    detail = f": {load.error}" if load.error else ""
    log.info("%s: %s (load %s, %d rows loaded, %d rejected)%s", load.file, load.status, load.load_id,
             load.rows_loaded, load.rows_rejected, detail)


def anything_loaded(loads: list[dict] | None) -> bool:
    return any(load and load.get("status") in LOADED for load in loads or [])
