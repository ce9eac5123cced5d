"""The landing folder: what is waiting, and where a file goes after its load.

Loaded (and duplicate) files move to archive/YYYY/MM/DD/; rejected and quarantined files move
to quarantine/ with a sidecar <name>.why.txt that says why. Only files inside the landing folder
are moved: a file named on the command line elsewhere stays where it is.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from ingest.settings import paths

SIDECAR_SUFFIX = ".why.txt"


class FilingError(OSError):
    """A loaded file could not be moved out of landing/ (disk full, no permission). Its load is
    committed and the file is still in landing/, whole: the next run records it as a duplicate
    and files it away."""


def pending_files(landing: Path | None = None) -> list[Path]:
    """Everything waiting in the folder but folders, hidden files and sidecars. A FIFO, a device or
    a link is listed too, to be rejected with its reason when landed (ingest.intake), not to wait
    unseen for ever."""
    folder = landing or paths().landing
    if not folder.exists():
        return []
    return sorted(
        p for p in folder.rglob("*")
        if not p.is_dir() and not p.name.startswith(".") and not p.name.endswith(SIDECAR_SUFFIX)
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
    try:   # where the entry itself is (a link is moved as a link, wherever it points)
        (path.absolute().parent.resolve() / path.name).relative_to(layout.landing.resolve())
    except ValueError:
        return None
    if not os.path.lexists(path):   # another ingest of the same folder filed it away already
        return None
    moment = now or datetime.now(UTC)
    if status in ("loaded", "duplicate"):
        folder = layout.archive / f"{moment:%Y}" / f"{moment:%m}" / f"{moment:%d}"
    else:
        folder = layout.quarantine
    target = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = _free_name(folder / path.name)
        if status not in ("loaded", "duplicate"):
            # The reason first: a file never sits in quarantine without it.
            sidecar = target.with_name(target.name + SIDECAR_SUFFIX)
            sidecar.write_text(f"status: {status}\nwhen: {moment.isoformat()}\nwhy: {reason or 'not given'}\n",
                               encoding="utf-8")
        shutil.move(str(path), target)
    except OSError as exc:
        if isinstance(exc, FileNotFoundError) and not os.path.lexists(path):
            return None   # another ingest of the same folder moved it meanwhile
        # Across file systems a move is a copy then a delete: a copy cut short must not stay behind.
        if target is not None and path.exists():
            for leftover in (target, target.with_name(target.name + SIDECAR_SUFFIX)):
                leftover.unlink(missing_ok=True)
        raise FilingError(
            f"cannot move {path.name} from landing/ to {folder}: {exc.strerror or exc}; its load is "
            "recorded and the file stays in landing/ - free space or fix the folder's permissions, then re-run "
            "(the file is then recorded as a duplicate and filed away)") from exc
    return target
