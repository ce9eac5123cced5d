"""SQL is composed only with psycopg.sql (identifiers, literals of our own) and parameters: no code
that talks to the warehouse builds statement text with f-strings, %, + or str.format."""

from __future__ import annotations

from ingest.settings import PROJECT_ROOT

from .sql_composition import scan_source, scan_tree

PRODUCTION_CODE = ["ingest", "expectations", "dags"]


def test_the_check_finds_formatted_sql():
    source = '''
def load(conn, table, value):
    conn.execute(f"select * from {table}")
    conn.execute("select * from " + table)
    conn.execute("delete from t where id = %s" % value)
    conn.cursor().copy("copy {} from stdin".format(table))
    query = f"select {value}"
    conn.execute(query)
    conn.execute("select * from t where id = %s", (value,))
    conn.execute(sql.SQL("select * from {}").format(sql.Identifier(table)))
'''
    assert [(c.line, c.how) for c in scan_source("sample.py", source)] == [
        (3, "an f-string"), (4, "% or +"), (5, "% or +"), (6, "str.format"), (8, "an f-string")]


def test_no_formatted_sql_in_the_code_that_talks_to_the_warehouse():
    found = scan_tree(PROJECT_ROOT, PRODUCTION_CODE)
    assert not found, "compose SQL with psycopg.sql and parameters:\n" + "\n".join(map(str, found))
