"""The landing folder: what is waiting, and where a file goes after its load.

Loaded (and duplicate) files move to archive/YYYY/MM/DD/; rejected and quarantined files move
to quarantine/ with a sidecar <name>.why.txt that says why. Only files inside the landing folder
are moved: a file named on the command line elsewhere stays where it is.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from ingest.settings import paths

SIDECAR_SUFFIX = ".why.txt"


def pending_files(landing: Path | None = None) -> list[Path]:
    folder = landing or paths().landing
    if not folder.exists():
        return []
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and not p.name.startswith(".") and not p.name.endswith(SIDECAR_SUFFIX)
    )


def _free_name(target: Path) -> Path:
    if not target.exists():
        return target
    for n in range(1, 10_000):
        candidate = target.with_name(f"{target.stem}.{n}{target.suffix}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(f"too many files named {target.name} in {target.parent}")


def file_away(path: Path, status: str, reason: str | None = None, now: datetime | None = None) -> Path | None:
    """Move a landing file after its load; returns the new path, or None when it stays put."""
    layout = paths()
    try:
        path.resolve().relative_to(layout.landing.resolve())
    except ValueError:
        return None
    moment = now or datetime.now(UTC)
    if status in ("loaded", "duplicate"):
        folder = layout.archive / f"{moment:%Y}" / f"{moment:%m}" / f"{moment:%d}"
    else:
        folder = layout.quarantine
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_name(folder / path.name)
    shutil.move(str(path), target)
    if status not in ("loaded", "duplicate"):
        sidecar = target.with_name(target.name + SIDECAR_SUFFIX)
        sidecar.write_text(f"status: {status}\nwhen: {moment.isoformat()}\nwhy: {reason or 'not given'}\n",
                           encoding="utf-8")
    return target
