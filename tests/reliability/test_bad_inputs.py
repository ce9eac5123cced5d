"""The bad-input corpus through `parwh ingest`: every file (or its bad rows) rejected with its reason,
exit code 1, nothing partial, every row accounted for. See bad_corpus.py and fixtures/bad/EXPECTED.csv."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg
import pytest

from ingest.cli import main
from ingest.runtime import migrate, warehouse
from tests.conftest import create_database, drop_database

from .bad_corpus import BadInput, manifest, materialise

pytestmark = pytest.mark.warehouse

ENTRIES = manifest()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad")
    materialise(folder)
    return folder


@pytest.fixture(scope="module")
def corpus_database(admin_url):
    name = create_database(admin_url, "parwh_bad")
    url = warehouse.with_database(admin_url, name)
    with psycopg.connect(url) as conn:
        migrate.migrate(conn)
    yield url
    drop_database(admin_url, name)


@pytest.fixture
def cli_env(monkeypatch, corpus_database, tmp_path):
    for name, value in {"WAREHOUSE_URL": corpus_database, "PARWH_PII_KEY": "bad-corpus-key",
                        "PARWH_HOME": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_the_corpus_is_big_and_varied_enough():
    assert len(ENTRIES) >= 30
    assert {e.outcome for e in ENTRIES} == {"file_rejected", "rows_rejected"}
    assert len({e.file for e in ENTRIES}) == len(ENTRIES)


def _unaccounted_rows(url: str, entry: BadInput) -> int:
    """Rows its loads read that are neither in raw nor in audit.rejected_rows (a file rejected whole
    is accounted for by its rejection)."""
    with psycopg.connect(url) as conn:
        return sum(read - conn.execute("select (select count(*) from raw.portal_dossiers where _load_id = %(id)s)"
                                       " + (select count(*) from audit.rejected_rows where load_id = %(id)s)",
                                       {"id": load_id}).fetchone()[0]
                   for load_id, status, _, read, _, _ in _loads_of(conn, entry) if status == "loaded")


def _loads_of(conn, entry: BadInput) -> list[tuple]:
    return conn.execute(
        "select load_id, status, error, rows_read, rows_loaded, rows_rejected from audit.loads"
        " where file_name = %s or file_name like %s order by load_id",
        (entry.file, entry.file.replace("%", r"\%").replace("_", r"\_") + "!%"),
    ).fetchall()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.file for e in ENTRIES])
@pytest.mark.bad_input
def test_each_bad_input_is_rejected_with_its_reason(entry, corpus, corpus_database, cli_env, capsys, reliability):
    with reliability.bad_input(entry.file) as case:
        case.count_lost_rows(lambda: _unaccounted_rows(corpus_database, entry))
        for name, value in entry.env.items():
            cli_env.setenv(name, value)
        code = main(["ingest", "--no-gate", *entry.args, str(corpus / entry.file)])
        out = capsys.readouterr()
        assert code == 1, out.out + out.err
        assert "Traceback" not in out.err
        with psycopg.connect(corpus_database) as conn:
            loads = _loads_of(conn, entry)
            assert len(loads) == 1, loads
            load_id, status, error, read, loaded, rejected = loads[0]
            raw_rows = conn.execute("select count(*) from raw.portal_dossiers where _load_id = %s",
                                    (load_id,)).fetchone()[0]
            reasons = Counter(dict(conn.execute(
                "select reason_code, count(*) from audit.rejected_rows where load_id = %s group by 1",
                (load_id,)).fetchall()))
        assert error and entry.reason_code in out.out, "the reason is printed"
        if entry.outcome == "file_rejected":
            assert status == "rejected" and error.startswith(entry.reason_code + ":"), error
            assert raw_rows == 0 and not reasons and not loaded, "nothing partial"
        else:
            assert status == "loaded"
            assert reasons == entry.reasons and rejected == entry.rows_rejected
            assert raw_rows == loaded and read == loaded + rejected


def test_sql_in_values_is_stored_as_text_and_never_run(corpus, corpus_database, cli_env, capsys):
    entry = next(e for e in ENTRIES if e.file == "sql_in_values.csv")
    main(["ingest", "--no-gate", str(corpus / entry.file)])
    capsys.readouterr()
    with psycopg.connect(corpus_database) as conn:
        names = {row[0] for row in conn.execute("select procedure_name from raw.portal_dossiers")}
        codes = {row[0] for row in conn.execute("select dossier_code from raw.portal_dossiers")}
        assert conn.execute("select count(*) from audit.loads").fetchone()[0] > 0
    assert "'); DROP TABLE raw.portal_dossiers; --" in names
    assert "BAD-3\\\\'; select pg_sleep(10); --" in codes


def test_the_whole_corpus_in_one_parwh_run(corpus, admin_url, tmp_path):
    """The real command over the folder: exit 1, a line per file, no traceback, every row accounted for."""
    name = create_database(admin_url, "parwh_bad_all")
    url = warehouse.with_database(admin_url, name)
    try:
        env = {**os.environ, "WAREHOUSE_URL": url, "PARWH_PII_KEY": "bad-corpus-key", "PARWH_HOME": str(tmp_path)}
        proc = subprocess.run([sys.executable, "-m", "ingest.cli", "ingest", "--no-gate", str(corpus)], env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1, proc.stderr[-3000:]
        assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
        table = [line.split()[0] for line in proc.stdout.splitlines()[2:] if line and not line.startswith(" ")]
        assert {n.split("!")[0] for n in table} == {e.file for e in ENTRIES}
        with psycopg.connect(url) as conn:
            unbalanced = conn.execute("select count(*) from audit.loads where status in ('loaded', 'rejected')"
                                      " and rows_read <> rows_loaded + rows_rejected").fetchone()[0]
            loaded, in_raw = conn.execute(
                "select (select coalesce(sum(rows_loaded), 0) from audit.loads),"
                " (select count(*) from raw.portal_dossiers)").fetchone()
        assert unbalanced == 0 and loaded == in_raw
    finally:
        drop_database(admin_url, name)
