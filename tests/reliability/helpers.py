"""Helpers shared by the fault tests: quick provincial exports, the CLI as a subprocess, raw counts."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.unit.landing.test_ingest_unit import PROVINCIAL_HEADER, provincial_row


def write_export(path: Path, rows: int, prefix: str) -> Path:
    """A valid provincial CSV with `rows` distinct dossier codes PREFIX-000001..., written fast."""
    header = PROVINCIAL_HEADER.split(",")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*header])
    writer.writerow(list(provincial_row(**{"Mã hồ sơ": "@CODE@"}).values()))
    head, template = buffer.getvalue().split("\n", 1)
    before, after = template.split("@CODE@")
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(head + "\n")
        for start in range(1, rows + 1, 10_000):
            fh.write("".join(f"{before}{prefix}-{n:07d}{after}" for n in range(start, min(rows + 1, start + 10_000))))
    return path


def cli_env(url: str, home: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "WAREHOUSE_URL": url, "PARWH_PII_KEY": "fault-test-key", "PARWH_HOME": str(home), **extra}


def start_cli(*args: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ingest.cli", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def loads_by_file(url: str) -> dict[str, list[tuple[str, int | None]]]:
    """file name -> [(status, rows_loaded), ...] in load order."""
    found: dict[str, list[tuple[str, int | None]]] = {}
    with psycopg.connect(url) as conn:
        for name, status, loaded in conn.execute(
                "select file_name, status, rows_loaded from audit.loads order by load_id"):
            found.setdefault(name, []).append((status, loaded))
    return found


def mart_dossiers(url: str) -> int:
    """Distinct dossiers in marts.fct_dossiers."""
    with psycopg.connect(url) as conn:
        return conn.execute("select count(distinct dossier_id) from marts.fct_dossiers").fetchone()[0]


def raw_counts(url: str) -> tuple[int, int]:
    """(rows in raw.portal_dossiers, distinct dossier codes there)."""
    with psycopg.connect(url) as conn:
        return conn.execute("select count(*), count(distinct dossier_code) from raw.portal_dossiers").fetchone()
