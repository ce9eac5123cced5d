"""The report site (site/index.html): what ran, what was loaded and rejected, what the gates said.

Plain static HTML with inline CSS, readable offline from file://. Rejected rows of every load
are offered as a CSV download, each cell escaped against spreadsheet formula injection.
"""

from __future__ import annotations

import csv
import html
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from ingest.settings import paths

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1d2733;max-width:1200px}
h1{font-size:1.6rem;margin-bottom:.2rem} h2{margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;width:100%;font-size:.9rem;margin:.5rem 0}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f7} td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass,.loaded{color:#1a7f37;font-weight:600} .warn,.duplicate{color:#9a6700;font-weight:600}
.fail,.rejected,.quarantined,.failed,.error{color:#cf222e;font-weight:600}
.muted{color:#57606a} nav a{margin-right:1rem}
.cards{display:flex;flex-wrap:wrap;gap:.6rem} .card{border:1px solid #d0d7de;border-radius:6px;padding:.5rem .8rem;
min-width:8rem} .card .k{font-size:.8rem;color:#57606a} .card .v{font-size:1.3rem;font-weight:600}
"""


def escape_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _cell(value: object, css: str | None = None, numeric: bool = False) -> str:
    classes = " ".join(c for c in (css, "n" if numeric else None) if c)
    text = f"{value:,}" if numeric and isinstance(value, int) else ("" if value is None else str(value))
    return f"<td class=\"{classes}\">{html.escape(text)}</td>" if classes else f"<td>{html.escape(text)}</td>"


def _table(headers: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    empty = f"<tr><td colspan=\"{len(headers)}\" class=\"muted\">none</td></tr>"
    body = "".join(f"<tr>{r}</tr>" for r in rows) or empty
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _exists(conn: psycopg.Connection, relation: str) -> bool:
    return conn.execute("select to_regclass(%s) is not null", (relation,)).fetchone()[0]


def write_rejections_csv(conn: psycopg.Connection, load_id: int, folder: Path) -> Path | None:
    rows = conn.execute(
        "select row_number, reason_code, reason, record::text from audit.rejected_rows where load_id = %s"
        " order by row_number",
        (load_id,),
    ).fetchall()
    if not rows:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"load_{load_id}_rejected_rows.csv"
    with target.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["load_id", "row_number", "reason_code", "reason", "record"])
        for row in rows:
            writer.writerow([load_id, *(escape_cell(v) for v in row)])
    return target


def _latest_run_section(conn: psycopg.Connection, run_id: str | None) -> str:
    """What the newest run did, in one glance: files, rows, gates, dbt."""
    run_id = run_id or (conn.execute("select run_id from audit.loads where run_id is not null"
                                     " order by load_id desc limit 1").fetchone() or [None])[0]
    if run_id is None:
        return "<p class=\"muted\">No run has been recorded yet.</p>"
    files = dict(conn.execute("select status, count(*) from audit.loads where run_id = %s group by 1",
                              (run_id,)).fetchall())
    rows = conn.execute("select coalesce(sum(rows_read), 0), coalesce(sum(rows_loaded), 0),"
                        " coalesce(sum(rows_rejected), 0) from audit.loads where run_id = %s", (run_id,)).fetchone()
    mart = conn.execute("select outcome from audit.validation_runs where run_id = %s and gate = 'mart'"
                        " order by validation_run_id desc limit 1", (run_id,)).fetchone()
    dbt = conn.execute("select count(*) filter (where status in ('success', 'pass')),"
                       " count(*) filter (where status in ('error', 'fail')) from audit.dbt_node_runs"
                       " where run_id = %s", (run_id,)).fetchone()
    items = [
        ("files arrived", sum(files.values())),
        ("loaded", files.get("loaded", 0)),
        ("duplicates skipped", files.get("duplicate", 0)),
        ("rejected files", files.get("rejected", 0)),
        ("quarantined loads", files.get("quarantined", 0)),
        ("rows read", rows[0]), ("rows loaded", rows[1]), ("rows rejected", rows[2]),
        ("dbt nodes ok / failed", f"{dbt[0]} / {dbt[1]}"),
        ("mart gate", mart[0] if mart else "not run"),
    ]
    cells = "".join(
        f"<div class=\"card\"><div class=\"k\">{html.escape(k)}</div>"
        f"<div class=\"v {html.escape(str(v)) if k == 'mart gate' else ''}\">"
        f"{html.escape(f'{v:,}' if isinstance(v, int) else str(v))}</div></div>"
        for k, v in items
    )
    return f"<h2 id=\"latest\">Latest run <span class=\"muted\">{html.escape(run_id)}</span></h2>" \
           f"<div class=\"cards\">{cells}</div>"


def _runs_section(conn: psycopg.Connection) -> str:
    runs = conn.execute(
        "select run_id, min(started_at), count(*) filter (where gate = 'raw'),"
        " count(*) filter (where gate = 'raw' and outcome = 'fail'),"
        " max(outcome) filter (where gate = 'mart'), sum(expectations), sum(critical_failures), sum(warnings)"
        " from audit.validation_runs group by run_id order by min(started_at) desc limit 50"
    ).fetchall()
    dbt = dict(conn.execute(
        "select run_id, count(*) filter (where status in ('success', 'pass')) || ' ok / '"
        " || count(*) filter (where status in ('error', 'fail')) || ' failed / '"
        " || count(*) filter (where status = 'warn') || ' warned' from audit.dbt_node_runs group by run_id"
    ).fetchall())
    rows = [
        _cell(run_id) + _cell(f"{started:%Y-%m-%d %H:%M:%S} UTC") + _cell(raw, numeric=True)
        + _cell(quarantined, "fail" if quarantined else None, numeric=True) + _cell(dbt.get(run_id, "-"))
        + _cell(mart or "-", mart) + _cell(expectations, numeric=True) + _cell(critical, numeric=True)
        + _cell(warnings, numeric=True)
        for run_id, started, raw, quarantined, mart, expectations, critical, warnings in runs
    ]
    return "<h2 id=\"runs\">Run history</h2>" + _table(
        ["run id", "started", "loads gated", "quarantined", "dbt nodes", "mart gate", "expectations",
         "critical failures", "warnings"], rows)


def _loads_section(conn: psycopg.Connection, site: Path) -> str:
    loads = conn.execute(
        "select load_id, started_at, file_name, profile, rows_read, rows_loaded, rows_rejected, status,"
        " gate_outcome, error, run_id from audit.loads order by load_id desc limit 500"
    ).fetchall()
    reasons: dict[int, list[tuple[str, int]]] = {}
    for load_id, code, count in conn.execute(
        "select load_id, reason_code, count(*) from audit.rejected_rows group by 1, 2 order by 1, 3 desc"
    ):
        reasons.setdefault(load_id, []).append((code, count))
    rows = []
    for load_id, started, name, profile, read, loaded, rejected, status, gate, error, run_id in loads:
        csv_path = write_rejections_csv(conn, load_id, site / "rejections") if rejected else None
        link = (f"<a href=\"rejections/{html.escape(csv_path.name)}\">CSV</a>" if csv_path else "")
        why = "; ".join(f"{code} × {count}" for code, count in reasons.get(load_id, []))
        detail = html.escape(why or (error or "" if status not in ("loaded",) else ""))
        rows.append(
            _cell(load_id, numeric=True) + _cell(f"{started:%Y-%m-%d %H:%M}") + _cell(name) + _cell(profile or "-")
            + _cell(read or 0, numeric=True) + _cell(loaded or 0, numeric=True) + _cell(rejected or 0, numeric=True)
            + _cell(status, status) + _cell(gate or "-", gate) + f"<td>{detail} {link}</td>" + _cell(run_id)
        )
    return "<h2 id=\"loads\">Loads</h2><p class=\"muted\">Every file is one load: rows read = loaded + rejected." \
           " Quarantined loads failed their raw gate and never reach the marts.</p>" + _table(
        ["load", "started (UTC)", "file", "profile", "read", "loaded", "rejected", "status", "raw gate",
         "rejections / reason", "run id"], rows)


def _failures_section(conn: psycopg.Connection) -> str:
    failures = conn.execute(
        "select r.run_id, v.gate, r.load_id, r.suite_name, r.expectation_type, r.column_name, r.severity,"
        " r.unexpected_count, r.sample_keys::text from audit.validation_results r"
        " join audit.validation_runs v using (validation_run_id)"
        " where not r.success order by v.started_at desc limit 200"
    ).fetchall()
    rows = [
        _cell(run_id) + _cell(gate) + _cell(load_id or "-") + _cell(suite) + _cell(expectation) + _cell(column or "-")
        + _cell(severity, "fail" if severity == "critical" else "warn") + _cell(count) + _cell(keys or "")
        for run_id, gate, load_id, suite, expectation, column, severity, count, keys in failures
    ]
    return "<h2 id=\"checks\">Failed and warned expectations</h2>" + _table(
        ["run id", "gate", "load", "suite", "expectation", "column", "severity", "unexpected", "sample keys"], rows)


def _marts_section(conn: psycopg.Connection) -> str:
    if not _exists(conn, "marts.fct_dossiers"):
        return "<h2 id=\"marts\">Marts</h2><p class=\"muted\">marts.fct_dossiers has not been built yet.</p>"
    rows = conn.execute(
        "select coalesce(outcome, '(not judged)'), count(*) from marts.fct_dossiers group by 1 order by 2 desc"
    ).fetchall()
    total = sum(n for _, n in rows)
    body = [_cell(outcome) + _cell(n, numeric=True) for outcome, n in rows]
    return (f"<h2 id=\"marts\">Marts</h2><p>marts.fct_dossiers: {total:,} dossiers (one row per dossier,"
            " latest delivery).</p>" + _table(["outcome", "dossiers"], body))


def build(warehouse_url: str, run_id: str | None = None, site_dir: Path | None = None) -> Path:
    """Write site/index.html (and the rejection CSVs) from the audit tables; returns the index path."""
    site = site_dir or paths().site
    site.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(warehouse_url) as conn:
        sections = [_latest_run_section(conn, run_id), _runs_section(conn), _loads_section(conn, site),
                    _failures_section(conn), _marts_section(conn)]
    links = ["<a href=\"#runs\">Runs</a>", "<a href=\"#loads\">Loads</a>", "<a href=\"#checks\">Checks</a>",
             "<a href=\"#marts\">Marts</a>"]
    if (site / "data_docs" / "index.html").exists():
        links.append("<a href=\"data_docs/index.html\">Data Docs (Great Expectations)</a>")
    if (site / "dbt_docs.html").exists():
        links.append("<a href=\"dbt_docs.html\">dbt docs</a>")
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    page = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<title>PAR Warehouse — runs, loads and validation</title>"
        f"<style>{CSS}</style></head><body>"
        "<h1>PAR Warehouse — runs, loads and validation</h1>"
        f"<p class=\"muted\">Generated {generated}" + (f" after run {html.escape(run_id)}" if run_id else "")
        + ".</p><nav>" + "".join(links) + "</nav>" + "".join(sections) + "</body></html>"
    )
    index = site / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
