"""The repository's shape as rules a tool checks: the import contracts of pyproject.toml, a repo
that names nothing outside itself, one copy of each data file, and small rooms."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from ingest.settings import PROJECT_ROOT

DATA_SUFFIXES = {".csv", ".xlsx", ".xls", ".json", ".jsonl", ".yaml", ".yml", ".sql", ".zip"}


def _tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, check=True).stdout
    return [PROJECT_ROOT / name for name in listed.decode().split("\0") if name]


def test_import_contracts_are_kept():
    # lint-imports exits 1 when a contract is broken and prints which import broke it.
    proc = subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache"], cwd=PROJECT_ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    kept = re.search(r"Contracts: (\d+) kept, (\d+) broken", proc.stdout)
    assert kept and int(kept.group(1)) >= 3 and kept.group(2) == "0", proc.stdout[-2000:]


def test_nothing_in_the_repo_names_a_path_outside_it():
    # The folder that holds this checkout by name, or a relative path that climbs out of the repo.
    parent = re.compile(re.escape(f"{PROJECT_ROOT.parent}/").encode())
    relative = re.compile(rb"(?<![\w.])((?:\.\./)+)([\w.-]+)")
    offenders = []
    for path in _tracked_files():
        if path.suffix in {".lock", ".png", ".xlsx", ".xls", ".zip"} or not path.is_file():
            continue
        for number, line in enumerate(path.read_bytes().splitlines(), 1):
            climbs = (path.parent / m.group(1).decode() / m.group(2).decode() for m in relative.finditer(line))
            if parent.search(line) or any(not c.resolve().is_relative_to(PROJECT_ROOT) for c in climbs):
                offenders.append(f"{path.relative_to(PROJECT_ROOT)}:{number}")
    assert not offenders, f"paths outside the repository: {offenders[:10]}"


def test_each_data_file_exists_once():
    by_digest: dict[str, list[str]] = defaultdict(list)
    for path in _tracked_files():
        if path.suffix.lower() in DATA_SUFFIXES and path.is_file() and path.stat().st_size > 64:
            by_digest[hashlib.sha256(path.read_bytes()).hexdigest()].append(str(path.relative_to(PROJECT_ROOT)))
    copies = [names for names in by_digest.values() if len(names) > 1]
    assert not copies, f"byte-identical data files (keep one, read it from there): {copies}"


def test_the_ingest_package_is_rooms_not_a_flat_folder():
    top_modules = sorted(p.name for p in (PROJECT_ROOT / "ingest").glob("*.py"))
    assert len(top_modules) <= 8, top_modules
    for room in ("landing", "indices", "reference", "runtime", "reporting", "pipeline", "cli", "synthetic"):
        assert (PROJECT_ROOT / "ingest" / room / "__init__.py").is_file(), room
