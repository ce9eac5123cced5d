"""What is checked about a delivered file around its reading, so that no file can hang a load or
change under it:

- **Where it is.** Only regular files are read (a FIFO, a device, a socket or a folder is
  rejected as `not_a_regular_file` before anything opens it), and links are followed only within
  the folder given: a link to a file outside it is rejected as `link_outside_folder`, unread, and
  nothing of the target is quoted anywhere.
- **That it does not change.** The content hash is taken before reading (a snapshot with the
  file's size, modification time and inode) and checked again once every record has been read; when they
  differ the load is rejected as `file_changed_while_read` and nothing of it is committed, so
  the hash recorded is always the hash of the bytes loaded.
- **How long it takes.** Reading one file has a time budget (PARWH_FILE_SECONDS, default 1800);
  the readers check it as they go and a file over it is rejected as `time_budget_exceeded`.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import FileRejected
from ingest.settings import positive_setting

FILE_SECONDS_SETTING = "PARWH_FILE_SECONDS"
DEFAULT_FILE_SECONDS = 1800.0
_CHUNK = 1 << 20
_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def file_seconds() -> float:
    return float(positive_setting(FILE_SECONDS_SETTING, DEFAULT_FILE_SECONDS, float))


# ---- the time budget -------------------------------------------------------------------------
@dataclass(frozen=True)
class TimeBudget:
    name: str
    seconds: float
    deadline: float

    @classmethod
    def start(cls, name: str, seconds: float | None = None) -> TimeBudget:
        seconds = file_seconds() if seconds is None else seconds
        return cls(name, seconds, time.monotonic() + seconds)

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Make this the budget check_time() checks, for the block."""
        token = _budget.set(self)
        try:
            yield
        finally:
            _budget.reset(token)


_budget: contextvars.ContextVar[TimeBudget | None] = contextvars.ContextVar("parwh_file_budget", default=None)


def check_time(where: str = "") -> None:
    """Raise time_budget_exceeded once the file being read is over its budget (no-op outside one)."""
    budget = _budget.get()
    if budget is not None and time.monotonic() > budget.deadline:
        raise FileRejected(
            "time_budget_exceeded",
            f"{budget.name}: reading took longer than {FILE_SECONDS_SETTING}={budget.seconds:g} s"
            f"{' (' + where + ')' if where else ''}; nothing of it is loaded - split the delivery or raise the setting",
        )


# ---- where the file is -----------------------------------------------------------------------
def _kind(mode: int) -> str:
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def check_location(path: Path, root: Path | None = None) -> None:
    """Reject what must not be read: anything but a regular file, or a link leading out of root
    (default: the folder holding path). Never opens the file."""
    path = Path(path)
    root = Path(root) if root is not None else path.absolute().parent
    target = path.resolve()
    try:
        target.relative_to(root.resolve())
    except ValueError:
        raise FileRejected(
            "link_outside_folder",
            f"{path.name}: a link to a file outside the folder {root.name or root}/; links are followed only "
            "within the folder given, so it is not read",
        ) from None
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        raise FileRejected("unreadable_file", f"{path.name}: a link to nothing (or the file was removed)") from None
    if not stat.S_ISREG(mode):
        raise FileRejected("not_a_regular_file", f"{path.name}: is {_kind(mode)}, not a regular file; only regular "
                                                 "files are read")


def unreadable(name: str, exc: OSError) -> FileRejected:
    return FileRejected("unreadable_file", f"{name}: cannot be read: {exc.strerror or type(exc).__name__}")


def unread_identity(path: Path) -> str:
    """The hash recorded for a file that was never read (a link out, a FIFO, no permission)."""
    return hashlib.sha256(f"not read: {Path(path).name}".encode("utf-8", "replace")).hexdigest()


def open_regular(path: Path, mode: str = "rb", **kwargs):
    """open() that never blocks on a FIFO or a device: rejects anything but a regular file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRejected("not_a_regular_file", f"{Path(path).name}: is {_kind(info.st_mode)}, not a regular "
                                                     "file; only regular files are read")
        os.set_blocking(fd, True)
        return open(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


# ---- that it does not change -----------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    sha256: str
    size: int
    identity: tuple[int, ...]      # device, inode, size, mtime (ns): any write changes it


def _identity(info: os.stat_result) -> tuple[int, ...]:
    # Not ctime: moving the file (another ingest filing it away) changes it, the content not. A
    # write that puts mtime back is caught by hashing again.
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


def take_snapshot(path: Path) -> Snapshot:
    """Hash a regular file, noting its identity; raises FileRejected when it changes meanwhile."""
    with open_regular(path) as fh:
        before = os.fstat(fh.fileno())
        digest = hashlib.sha256()
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            check_time("hashing")
        after = os.fstat(fh.fileno())
    if _identity(before) != _identity(after):
        raise _changed(Path(path).name, "while it was hashed")
    return Snapshot(digest.hexdigest(), after.st_size, _identity(after))


def verify_snapshot(path: Path, snapshot: Snapshot) -> None:
    """After reading: the file is still the one hashed before, byte for byte."""
    name = Path(path).name
    try:
        again = take_snapshot(path)
    except FileNotFoundError:
        raise _changed(name, "(it was removed or moved away)") from None
    if again.sha256 != snapshot.sha256 or again.identity != snapshot.identity:
        raise _changed(name, f"({snapshot.size:,} bytes when hashed, {again.size:,} after reading)")


def _changed(name: str, detail: str) -> FileRejected:
    return FileRejected(
        "file_changed_while_read",
        f"{name}: the file changed while it was read {detail}; nothing of it is loaded. It stays in landing/ "
        "and is read again on the next run (deliver files by writing elsewhere and moving them in)",
    )
