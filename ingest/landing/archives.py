"""ZIP deliveries: each member is its own load, expanded one at a time under limits.

A member is expanded to a temporary file (then removed) while its bytes are counted and hashed.
Limits guard against archives that expand to far more than they weigh (zip bombs):

| setting | env var | default |
|---|---|---|
| members per archive | PARWH_ZIP_MAX_MEMBERS | 1000 |
| expanded bytes per archive (all members) | PARWH_ZIP_MAX_BYTES | 4 GiB |
| expansion ratio of a member (expanded / compressed, checked above 1 MiB) | PARWH_ZIP_MAX_RATIO | 200 |

A member over a limit becomes a rejected load with a reason naming the limit; the members
before it load normally. Too many members, or an unreadable archive, rejects the archive as
one load. Spreadsheets (.xlsx are ZIP containers too) are checked against the same limits
before they are parsed.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import FileRejected
from ingest.landing.formats import ARCHIVE_SUFFIXES, CSV_SUFFIXES, JSON_SUFFIXES, SPREADSHEET_SUFFIXES
from ingest.settings import LimitSettingError, positive_setting

__all__ = ["LimitSettingError", "Member", "ZipLimits", "check_container", "members"]

MIB = 1 << 20
RATIO_CHECK_ABOVE = MIB  # small files compress very well legitimately; the ratio limit starts above this
_CHUNK = MIB
_SKIPPED_PREFIXES = ("__MACOSX/",)


@dataclass(frozen=True)
class ZipLimits:
    max_members: int = 1000
    max_bytes: int = 4 << 30
    max_ratio: float = 200.0

    @classmethod
    def from_env(cls) -> ZipLimits:
        return cls(int(positive_setting("PARWH_ZIP_MAX_MEMBERS", cls.max_members, int)),
                   int(positive_setting("PARWH_ZIP_MAX_BYTES", cls.max_bytes, int)),
                   float(positive_setting("PARWH_ZIP_MAX_RATIO", cls.max_ratio, float)))


@dataclass
class Member:
    """One load out of an archive: an expanded file, or a rejection decided without reading it."""

    display_name: str              # archive.zip!dir/member.csv (the archive's own name for archive-level problems)
    name: str | None               # the member's name inside the archive
    path: Path | None              # the expanded file, removed when the member's `with` block ends
    rejection: FileRejected | None
    sha256: str

    def __enter__(self) -> Member:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.path is not None:
            shutil.rmtree(self.path.parent, ignore_errors=True)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _identity(archive_sha: str, member: str) -> str:
    """The content hash recorded for a member that was not expanded: archive hash + member name."""
    return hashlib.sha256(f"{archive_sha}!{member}".encode("utf-8", "replace")).hexdigest()


def _human(size: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size} GiB"


def _declared_problem(info: zipfile.ZipInfo, limits: ZipLimits, budget: int) -> FileRejected | None:
    if info.flag_bits & 0x1:
        return FileRejected("encrypted_member", f"{info.filename}: the member is encrypted; deliver it unencrypted")
    if info.file_size > budget:
        return FileRejected(
            "archive_limit",
            f"{info.filename}: declares {_human(info.file_size)} expanded, over what is left of the archive limit "
            f"({_human(budget)} of PARWH_ZIP_MAX_BYTES={limits.max_bytes}); split the delivery",
        )
    if info.file_size > RATIO_CHECK_ABOVE and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        return FileRejected(
            "archive_limit",
            f"{info.filename}: declares an expansion of {info.file_size / max(info.compress_size, 1):,.0f}x "
            f"(limit PARWH_ZIP_MAX_RATIO={limits.max_ratio:g}); a zip bomb is not expanded",
        )
    return None


def check_container(path: Path, limits: ZipLimits | None = None) -> None:
    """Reject a ZIP-based file (.xlsx) whose members declare more than the limits allow."""
    limits = limits or ZipLimits.from_env()
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise FileRejected("unreadable_spreadsheet", f"{path.name}: not a readable XLSX (ZIP) file: {exc}") from None
    if len(infos) > limits.max_members:
        raise FileRejected("archive_limit", f"{path.name}: {len(infos)} parts, over PARWH_ZIP_MAX_MEMBERS="
                                            f"{limits.max_members}")
    budget = limits.max_bytes
    for info in infos:
        problem = _declared_problem(info, limits, budget)
        if problem is not None:
            raise FileRejected(problem.reason_code, f"{path.name}: part {problem.message}")
        budget -= info.file_size


def _expand(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limits: ZipLimits,
            budget: int) -> tuple[str | None, FileRejected | None]:
    """Expand one member to target, counting bytes; (sha256, None) or (None, why it stopped)."""
    digest = hashlib.sha256()
    written = 0
    ratio_cap = limits.max_ratio * max(info.compress_size, 1)
    try:
        with archive.open(info) as source, target.open("wb") as sink:
            while chunk := source.read(_CHUNK):
                written += len(chunk)
                if written > budget:
                    return None, FileRejected(
                        "archive_limit",
                        f"{info.filename}: expands beyond what is left of the archive limit ({_human(budget)} of "
                        f"PARWH_ZIP_MAX_BYTES={limits.max_bytes}); stopped after {_human(written)}",
                    )
                if written > RATIO_CHECK_ABOVE and written > ratio_cap:
                    return None, FileRejected(
                        "archive_limit",
                        f"{info.filename}: expands more than {limits.max_ratio:g}x its compressed size "
                        f"(PARWH_ZIP_MAX_RATIO); stopped after {_human(written)}: a zip bomb is not expanded",
                    )
                digest.update(chunk)
                sink.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        return None, FileRejected("bad_archive_member", f"{info.filename}: cannot be expanded: {exc}")
    return digest.hexdigest(), None


def _safe_base_name(member: str, index: int) -> str:
    base = member.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in "\x00/")
    return base if base not in ("", ".", "..") else f"member{index}"


def members(path: Path, limits: ZipLimits) -> Iterator[Member]:
    """The loads inside an archive, one at a time (each member expanded only while it is used)."""
    supported = CSV_SUFFIXES | JSON_SUFFIXES | SPREADSHEET_SUFFIXES
    archive_sha = _sha256_file(path)
    try:
        archive = zipfile.ZipFile(path)
        infos = [i for i in archive.infolist()
                 if not i.is_dir() and not i.filename.startswith(_SKIPPED_PREFIXES)
                 and not _safe_base_name(i.filename, 0).startswith(".")]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        yield Member(path.name, None, None, FileRejected("bad_archive", f"{path.name}: not a readable ZIP: {exc}"),
                     archive_sha)
        return
    with archive, tempfile.TemporaryDirectory(prefix="parwh-zip-") as scratch:
        if not infos:
            yield Member(path.name, None, None,
                         FileRejected("empty_file", f"{path.name}: the archive holds no files"), archive_sha)
            return
        if len(infos) > limits.max_members:
            yield Member(path.name, None, None, FileRejected(
                "archive_limit", f"{path.name}: {len(infos)} members, over PARWH_ZIP_MAX_MEMBERS={limits.max_members};"
                                 " split the delivery"), archive_sha)
            return
        budget = limits.max_bytes
        for index, info in enumerate(infos, start=1):
            display = f"{path.name}!{info.filename}"
            base = _safe_base_name(info.filename, index)
            suffix = Path(base).suffix.lower()
            problem = _declared_problem(info, limits, budget)
            if problem is None and suffix in ARCHIVE_SUFFIXES:
                problem = FileRejected("nested_archive", f"{info.filename}: archives inside archives are not opened;"
                                                         " deliver the inner files directly")
            if problem is None and suffix not in supported:
                problem = FileRejected("unsupported_format", f"{info.filename}: unsupported file type "
                                                             f"{suffix or '(none)'}")
            if problem is not None:
                yield Member(display, info.filename, None, problem, _identity(archive_sha, info.filename))
                continue
            folder = Path(scratch) / str(index)
            folder.mkdir()
            target = folder / base
            sha, problem = _expand(archive, info, target, limits, budget)
            if problem is not None:
                shutil.rmtree(folder, ignore_errors=True)
                yield Member(display, info.filename, None, problem, _identity(archive_sha, info.filename))
                continue
            budget -= target.stat().st_size
            yield Member(display, info.filename, target, None, sha)
