"""The report site (site/index.html): what arrived, what was loaded and rejected, what the gates said.

Written for an auditor who must answer, for any night, without asking an engineer: what
arrived, what was loaded, what was rejected and why, which checks ran, which failed, and what
the marts looked like. One static HTML page with inline CSS and no scripts, readable offline
from file:// (no CDN); it links to the Data Docs pages of every gate run and to the dbt docs,
all by paths relative to site/. Rejected rows of every load are offered as a CSV download,
every cell escaped against spreadsheet formula injection.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from ingest.reporting import scorecard
from ingest.reporting.atomic_files import replacing
from ingest.reporting.rejections_csv import rejections_csv_of_load
from ingest.reporting.run_history import (
    FAILURES_SHOWN,
    Run,
    failed_checks,
    failed_dbt_nodes,
    files_not_loaded,
    gate_errors,
    gate_runs,
    recent_runs,
)
from ingest.reporting.style import CSS, VIETNAM
from ingest.settings import paths

LOADS_PER_RUN_SHOWN = 200
# The marts named by the warehouse contract (ARCHITECTURE.md), in the order auditors read them.
CONTRACT_MARTS = (
    "fct_dossiers", "fct_procedure_cycle_times", "fct_service_index", "fct_index_scores",
    "dim_date", "dim_province", "bridge_province_2025", "dim_procedure", "dim_agency", "dim_index",
)


# ---- HTML helpers -----------------------------------------------------------------------------
def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _num(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) else _e(value)


def _td(value: object, numeric: bool = False) -> str:
    return f"<td class=\"n\">{_num(value)}</td>" if numeric else f"<td>{_e(value)}</td>"


def _badge(word: str | None) -> str:
    word = word or "none"
    css = word if word.replace("_", "").isalpha() else "none"
    return f"<span class=\"badge {_e(css)}\">{_e(word)}</span>"


def _table(headers: list[str], rows: list[str], empty: str = "none") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(f"<tr>{r}</tr>" for r in rows) or (
        f"<tr><td colspan=\"{len(headers)}\" class=\"muted\">{_e(empty)}</td></tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _when(moment: datetime | None) -> str:
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _link(text: str, href: str | None) -> str:
    return f"<a href=\"{_e(href)}\">{_e(text)}</a>" if href else _e(text)


def site_link(path_text: str | None, site: Path) -> str | None:
    """A link relative to site/ for a file recorded with its absolute path (Data Docs pages).

    The gate records where it wrote the page; the site may since have been moved or copied, so
    a path outside site/ is matched on its part from data_docs/ on. None when the file is not in
    this site (the link would be dead).
    """
    if not path_text:
        return None
    path = Path(path_text)
    try:
        relative = path.resolve().relative_to(site.resolve())
    except ValueError:
        parts = path.parts
        if "data_docs" not in parts:
            return None
        relative = Path(*parts[len(parts) - 1 - parts[::-1].index("data_docs"):])
    if not (site / relative).is_file():
        return None
    return quote(relative.as_posix(), safe="/")


def _suite_label(suite_name: str) -> str:
    return suite_name.removeprefix("raw_").removeprefix("marts_")


def _failures_of_run(conn: psycopg.Connection, run_id: str, site: Path) -> str:
    """'What failed and why' for one run: quarantined loads, rejected files, gates, dbt nodes."""
    parts = []
    checks = failed_checks(conn, run_id)
    if checks:
        rows = []
        for check in checks:
            label = _e(check.expectation_name)
            if check.expectation_name != check.expectation_type:
                label += f" <span class=\"muted\">({_e(check.expectation_type)})</span>"
            rows.append(
                f"<td>{_e(check.gate)} gate<br><span class=\"muted\">{_e(check.where)}</span></td>"
                f"<td>{label}<div class=\"why\">{_e(check.why or '')}</div></td>"
                + _td(check.column or "-")
                + _td(check.unexpected_count if check.unexpected_count is not None else "-", numeric=True)
                + f"<td class=\"keys\">{_e(', '.join(check.sample_keys) or (check.error or ''))}</td>"
                + f"<td>{_link(_suite_label(check.suite_name), site_link(check.data_docs_path, site))}</td>")
        parts.append("<h3>Failed critical expectations</h3>" + _table(
            ["gate / where", "expectation and why it matters", "column", "unexpected rows", "sample keys",
             "Data Docs"], rows))
    errors = gate_errors(conn, run_id)
    if errors:
        parts.append("<h3>Gates that could not run</h3>" + _table(
            ["gate", "load", "suite", "message"],
            [_td(g) + _td(load if load is not None else "-") + _td(s) + _td(m) for g, load, s, m in errors]))
    files = files_not_loaded(conn, run_id)
    if files:
        parts.append("<h3>Files not loaded</h3>" + _table(
            ["load", "file", "status", "why"],
            [_td(i, numeric=True) + _td(f) + f"<td>{_badge(s)}</td>" + _td(e) for i, f, s, e in files]))
    nodes = failed_dbt_nodes(conn, run_id)
    if nodes:
        parts.append("<h3>dbt models and tests that failed</h3>" + _table(
            ["node", "status", "message"], [_td(u) + f"<td>{_badge(s)}</td>" + _td(m) for u, s, m in nodes]))
    return "".join(parts)


def _what_failed_section(conn: psycopg.Connection, run: Run | None, site: Path) -> str:
    if run is None or not run.has_failures:
        return ""
    return (f"<section class=\"alarm\" id=\"failures\"><h2>What failed and why — latest run "
            f"<span class=\"muted\">{_e(run.run_id)}</span></h2>"
            "<p>Quarantined loads failed a critical expectation of their raw gate: their rows stay in raw for "
            "inspection and never reach the marts. A failed mart gate or dbt node fails the run.</p>"
            + _failures_of_run(conn, run.run_id, site) + "</section>")


def _latest_run_section(run: Run | None, site: Path) -> str:
    if run is None:
        return "<h2 id=\"latest\">Latest run</h2><p class=\"muted\">No run has been recorded yet.</p>"
    mart = _link(run.mart_outcome or "not run", site_link(run.mart_docs, site))
    items = [
        ("files arrived", _num(sum(run.files.values()))),
        ("loaded", _num(run.files.get("loaded", 0))),
        ("quarantined loads", _num(run.files.get("quarantined", 0))),
        ("rejected files", _num(run.files.get("rejected", 0) + run.files.get("failed", 0))),
        ("duplicates skipped", _num(run.files.get("duplicate", 0))),
        ("rows read", _num(run.rows[0])), ("rows loaded", _num(run.rows[1])), ("rows rejected", _num(run.rows[2])),
        ("dbt nodes ok / failed", f"{run.dbt[0]:,} / {run.dbt[1]:,}"),
        ("mart gate", mart),
    ]
    cards = "".join(f"<div class=\"card\"><div class=\"k\">{_e(k)}</div><div class=\"v\">{v}</div></div>"
                    for k, v in items)
    verdict = "" if run.has_failures else "<p class=\"allgood\">Nothing failed in this run.</p>"
    return (f"<h2 id=\"latest\">Latest run <span class=\"muted\">{_e(run.run_id)}</span></h2>"
            f"<p class=\"muted\">Started {_when(run.started)} (Vietnam time).</p><div class=\"cards\">{cards}</div>"
            + verdict)


def _runs_section(runs: list[Run], site: Path) -> str:
    rows = []
    for run in runs:
        quarantined = run.files.get("quarantined", 0)
        rows.append(
            _td(run.run_id) + f"<td class=\"t\">{_when(run.started)}</td>" + _td(sum(run.files.values()), numeric=True)
            + _td(run.files.get("loaded", 0), numeric=True) + _td(quarantined, numeric=True)
            + _td(run.files.get("rejected", 0) + run.files.get("failed", 0), numeric=True)
            + _td(run.rows[0], numeric=True) + _td(run.rows[1], numeric=True) + _td(run.rows[2], numeric=True)
            + _td(run.raw_gates, numeric=True)
            + _td(f"{run.dbt[0]} ok / {run.dbt[1]} failed / {run.dbt[2]} warned" if sum(run.dbt) else "-")
            + f"<td>{_badge(run.mart_outcome) if run.mart_outcome else '-'} "
              f"{_link('Data Docs', site_link(run.mart_docs, site)) if run.mart_docs else ''}</td>"
            + _td(run.critical, numeric=True) + _td(run.warnings, numeric=True))
    return "<h2 id=\"runs\">Run history</h2><p class=\"muted\">Newest first; times in Vietnam time.</p>" + _table(
        ["run id", "started", "files", "loaded", "quarantined", "rejected files", "rows read", "rows loaded",
         "rows rejected", "loads gated", "dbt nodes", "mart gate", "critical failures", "warnings"],
        rows, "no run recorded yet")


def _load_rows(conn: psycopg.Connection, run_id: str | None, site: Path) -> list[str]:
    condition = sql.SQL("run_id = %s" if run_id is not None else "run_id is null")
    loads = conn.execute(
        sql.SQL("select load_id, started_at, finished_at, file_name, profile, rows_read, rows_loaded, rows_rejected,"
                " status, gate_outcome, error from audit.loads where {} order by load_id desc limit %s"
                ).format(condition),
        ((run_id,) if run_id is not None else ()) + (LOADS_PER_RUN_SHOWN,),
    ).fetchall()
    ids = [load[0] for load in loads]
    reasons: dict[int, list[tuple[str, int]]] = {}
    for load_id, code, count in conn.execute(
        "select load_id, reason_code, count(*) from audit.rejected_rows where load_id = any(%s)"
        " group by 1, 2 order by 1, 3 desc, 2", (ids,)):
        reasons.setdefault(load_id, []).append((code, count))
    suites_by_load = gate_runs(conn, ids)
    rows = []
    for load_id, started, finished, name, profile, read, loaded, rejected, status, gate, error in loads:
        why = "<br>".join(f"{_e(code)} × {count:,}" for code, count in reasons.get(load_id, [])) or NONE
        csv_path = rejections_csv_of_load(conn, load_id, finished, site) if reasons.get(load_id) else None
        download = f"<br>{_link('rejected rows (CSV)', 'rejections/' + quote(csv_path.name))}" if csv_path else ""
        suites = "".join(
            f"<div class=\"suite\">{_link(_suite_label(run.suite_name), site_link(run.data_docs_path, site))} "
            f"{_badge(run.outcome)}"
            "</div>" for run in suites_by_load.get(load_id, []))
        failed = [item for run in suites_by_load.get(load_id, []) for item in run.failed]
        if failed:
            note = "failed: " + "; ".join(_e(item) for item in failed)
        elif error and status not in ("loaded",):
            note = _e(error.splitlines()[0])
        else:
            note = ""
        row = (
            _td(load_id, numeric=True) + f"<td class=\"t\">{_when(started)}</td>" + _td(name) + _td(profile or "-")
            + _td(read or 0, numeric=True) + _td(loaded or 0, numeric=True) + _td(rejected or 0, numeric=True)
            + f"<td>{why}{download}</td>"
            + f"<td>{_badge(status)}</td><td>{_badge(gate) if gate else '-'}{suites}</td>")
        if note:  # a second, full-width line under the load: why it was not published
            row += f"</tr><tr class=\"note\"><td></td><td colspan=\"{len(LOAD_HEADERS) - 1}\">{note}</td>"
        rows.append(row)
    return rows


NONE = "<span class=\"muted\">none</span>"
LOAD_HEADERS = ["load", "started", "file", "profile", "read", "loaded", "rejected", "rejections by reason",
                "status", "raw gate by suite (Data Docs)"]


def _loads_section(conn: psycopg.Connection, runs: list[Run], site: Path) -> str:
    parts = ["<h2 id=\"loads\">Loads by run</h2><p class=\"muted\">Every file is one load: rows read = loaded + "
             "rejected. Each rejected row is kept with its reason (download the CSV). A load whose raw gate fails "
             "is quarantined and never reaches the marts; a duplicate file is recorded and skipped.</p>"]
    for index, run in enumerate(run for run in runs if sum(run.files.values())):
        bad = run.files.get("quarantined", 0) + run.files.get("rejected", 0) + run.files.get("failed", 0)
        summary = (f"{_e(run.run_id)} <span class=\"muted\">· {_when(run.started)} · "
                   f"{sum(run.files.values())} file(s), {run.files.get('loaded', 0)} loaded, {bad} not published, "
                   f"{run.rows[2]:,} row(s) rejected</span>")
        parts.append(f"<details{' open' if index == 0 else ''}><summary>{summary}</summary>"
                     + _table(LOAD_HEADERS, _load_rows(conn, run.run_id, site)) + "</details>")
    if conn.execute("select exists (select 1 from audit.loads where run_id is null)").fetchone()[0]:
        parts.append("<details><summary>Loads without a run id <span class=\"muted\">(ingested by hand)</span>"
                     "</summary>" + _table(LOAD_HEADERS, _load_rows(conn, None, site)) + "</details>")
    if len(parts) == 1:
        parts.append("<p class=\"muted\">No file has been loaded yet.</p>")
    return "".join(parts)


def _checks_section(conn: psycopg.Connection, site: Path) -> str:
    failures = conn.execute(
        "select r.run_id, v.gate, r.load_id, r.suite_name, r.expectation_name, r.column_name, r.severity,"
        " r.unexpected_count, r.sample_keys, r.details ->> 'why', v.data_docs_path"
        " from audit.validation_results r join audit.validation_runs v using (validation_run_id)"
        " where not r.success order by v.started_at desc, r.severity, r.expectation_name limit %s",
        (FAILURES_SHOWN,),
    ).fetchall()
    rows = [
        _td(run_id) + _td(f"{gate} · load {load_id}" if load_id is not None else f"{gate} · marts")
        + _td(_suite_label(suite))
        + f"<td>{_e(name)}<div class=\"why\">{_e(why or '')}</div></td>" + _td(column or "-")
        + f"<td>{_badge('fail' if severity == 'critical' else 'warn')} {_e(severity)}</td>"
        + _td(count if count is not None else "-", numeric=True)
        + f"<td class=\"keys\">{_e(', '.join(keys or []))}</td><td>{_link('page', site_link(page, site))}</td>"
        for run_id, gate, load_id, suite, name, column, severity, count, keys, why, page in failures
    ]
    return ("<h2 id=\"checks\">Failed and warned expectations</h2><p class=\"muted\">Every expectation is critical "
            "(fails the load or the run) or a warning (recorded, the run continues). All outcomes, passed ones "
            "included, are in audit.validation_results and in Data Docs.</p>"
            + _table(["run id", "gate", "suite", "expectation", "column", "severity", "unexpected",
                      "sample keys", "Data Docs"], rows))


def _marts_section(conn: psycopg.Connection) -> str:
    present = [name for (name,) in conn.execute(
        "select table_name from information_schema.tables where table_schema = 'marts' order by 1")]
    names = list(CONTRACT_MARTS) + [name for name in present if name not in CONTRACT_MARTS]
    rows = []
    for name in names:
        if name in present:
            count = conn.execute(sql.SQL("select count(*) from {}").format(sql.Identifier("marts", name))).fetchone()[0]
            rows.append(_td(f"marts.{name}") + _td(count, numeric=True)
                        + _td("in the contract" if name in CONTRACT_MARTS else "not in the contract"))
        else:
            rows.append(_td(f"marts.{name}") + "<td class=\"n muted\">-</td>" + _td("not built yet"))
    parts = ["<h2 id=\"marts\">Marts</h2><p class=\"muted\">Rows in every table of the warehouse contract, "
             "counted when this page was generated.</p>" + _table(["table", "rows", "note"], rows)]
    if "fct_dossiers" in present:
        outcomes = conn.execute(
            "select coalesce(outcome, '(not judged)'), count(*) from marts.fct_dossiers group by 1 order by 2 desc"
        ).fetchall()
        parts.append("<h3>marts.fct_dossiers by outcome</h3><p class=\"muted\">One row per dossier, latest published "
                     "delivery.</p>" + _table(["outcome", "dossiers"],
                                              [_td(o) + _td(n, numeric=True) for o, n in outcomes]))
    return "".join(parts)


# ---- the page ---------------------------------------------------------------------------------
def build(warehouse_url: str, run_id: str | None = None, site_dir: Path | None = None) -> Path:
    """Write site/index.html and the rejection CSVs from the audit tables; returns the index path.

    run_id names the run the page reports on first ("latest run"); by default the newest one.
    """
    site = Path(site_dir or paths().site)
    site.mkdir(parents=True, exist_ok=True)
    scorecard_page = scorecard.build_for_site(warehouse_url, site)
    with psycopg.connect(warehouse_url) as conn:
        runs = recent_runs(conn)
        latest = next((run for run in runs if run.run_id == run_id), runs[0] if runs else None)
        body = (_what_failed_section(conn, latest, site) + _latest_run_section(latest, site)
                + _runs_section(runs, site) + _loads_section(conn, runs, site) + _checks_section(conn, site)
                + _marts_section(conn))
    links = ["<a href=\"#latest\">Latest run</a>", "<a href=\"#runs\">Run history</a>",
             "<a href=\"#loads\">Loads</a>", "<a href=\"#checks\">Checks</a>", "<a href=\"#marts\">Marts</a>"]
    if latest is not None and latest.has_failures:
        links.insert(0, "<a href=\"#failures\">What failed</a>")
    links.append("<a href=\"scorecard.html\">Scorecard</a>" if scorecard_page
                 else "<span class=\"why\">Scorecard not rebuilt (see the log)</span>")
    if (site / "data_docs" / "index.html").exists():
        links.append("<a href=\"data_docs/index.html\">Data Docs (Great Expectations)</a>")
    if (site / "dbt_docs.html").exists():
        links.append("<a href=\"dbt_docs.html\">dbt docs</a>")
    generated = datetime.now(UTC).astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")
    page = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>PAR Warehouse — runs, loads and validation</title>"
        f"<style>{CSS}</style></head><body>"
        "<header><h1>PAR Warehouse — runs, loads and validation</h1>"
        f"<p>Generated {generated} Vietnam time" + (f" after run {_e(run_id)}" if run_id else "")
        + ". What arrived, what was loaded, what was rejected and why, which checks ran and which failed.</p>"
        "</header><nav>" + "".join(links) + "</nav><main>" + body + "</main></body></html>"
    )
    index = site / "index.html"
    with replacing(index) as partial:   # a reader never sees half a page
        partial.write_text(page, encoding="utf-8")
    return index
