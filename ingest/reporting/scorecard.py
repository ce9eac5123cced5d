"""The scorecard (site/scorecard.html + site/charts/*.png): charts drawn from the marts on every run.

Four questions, one chart each (two where the 2025 merger splits the province universe):
on-time rate trend per province on the 34-province list (continuous across 2025-07-01) and on the
63-province list (until the merger); cycle-time distribution per procedure against its statutory
limit; 766-style component bars per province; index ranks across years as a heat map.

Charts are PNG files drawn with matplotlib's Agg renderer (no browser, no CDN, readable offline
from file://). A chart whose marts are empty, or not built yet, becomes a "no data yet" panel
saying what fills it; its PNG says the same, so links never break.
"""

from __future__ import annotations

import html
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
from psycopg import sql

from ingest.reporting.atomic_files import replacing
from ingest.reporting.style import CSS, VIETNAM
from ingest.settings import paths

log = logging.getLogger(__name__)
MERGER_DAY = date(2025, 7, 1)
PROCEDURES_SHOWN = 20
DPI = 100
# 766 groups as the national dashboard shows them (DOMAIN.md §2): component, label, maximum.
SERVICE_INDEX_GROUPS = (
    ("transparency", "Transparency", 18), ("progress", "Progress", 20), ("online_service", "Online service", 12),
    ("online_payment", "Online payment", 10), ("digitisation", "Digitisation", 22),
    ("satisfaction", "Satisfaction", 18),
)
# The groups the warehouse computes from dossiers (marts.fct_service_index, province × month):
# transparency and satisfaction need data dossiers do not carry.
COMPUTED_SCORE_COLUMNS = {"progress": "progress_points", "online_service": "online_service_points",
                          "online_payment": "online_payment_points", "digitisation": "digitisation_points"}
NAV_LABELS = {
    "on_time_trend_34_provinces": "On time (34 provinces)", "on_time_trend_63_provinces": "On time (63 provinces)",
    "cycle_time_by_procedure": "Cycle time per procedure", "service_index_computed": "766 computed",
    "service_index_published": "766 published", "index_ranks_2004": "Index ranks (63)",
    "index_ranks_2025": "Index ranks (34)",
}
GROUP_COLOURS = ("#4e79a7", "#59a14f", "#f28e2b", "#edc948", "#76b7b2", "#e15759")


@dataclass
class Chart:
    name: str            # file stem in site/charts/
    title: str
    caption: str         # what the chart shows and where it comes from
    points: int = 0      # data points drawn; 0 = the "no data yet" panel
    empty_reason: str = ""
    width: int = 0
    height: int = 0


# ---- reading the marts --------------------------------------------------------------------------
def _relations(conn: psycopg.Connection) -> dict[str, set[str]]:
    """Table -> columns of every relation in schema marts."""
    found: dict[str, set[str]] = defaultdict(set)
    for table, column in conn.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'marts'"):
        found[table].add(column)
    return found


def on_time_by_month(conn: psycopg.Connection, list_version: str) -> dict[str, list[tuple[date, float, int]]]:
    """Province name -> [(month, on-time rate %, finished dossiers)] on one province list, read
    from marts.fct_on_time_rate (the metric's one definition).

    On the 2025 list every dossier counts in its territory's new province (continuous series);
    on the 2004 list only dossiers received before the merger count, in their old province.
    """
    rows = conn.execute(
        "select province_name, finished_month, on_time_rate_percent, finished_dossiers from marts.fct_on_time_rate"
        " where list_version = %s order by gso_code, finished_month", (list_version,)).fetchall()
    series: dict[str, list[tuple[date, float, int]]] = defaultdict(list)
    for name, month, rate, finished in rows:
        series[name].append((month, float(rate), finished))
    return dict(series)


@dataclass(frozen=True)
class CycleTimes:
    procedure_code: str
    procedure_name: str
    limit_days: float | None
    histogram: dict[int, int]   # working days used -> finished dossiers

    @property
    def count(self) -> int:
        return sum(self.histogram.values())

    def quantile(self, share: float) -> int:
        seen, target = 0, share * self.count
        for days in sorted(self.histogram):
            seen += self.histogram[days]
            if seen >= target:
                return days
        return max(self.histogram)


def cycle_times(conn: psycopg.Connection, limit: int = PROCEDURES_SHOWN) -> list[CycleTimes]:
    """The busiest procedures' histograms of working days used by finished dossiers."""
    rows = conn.execute(
        "with histogram as (select procedure_code, working_days_used, count(*) as dossiers from marts.fct_dossiers"
        " where is_finished and working_days_used is not null group by 1, 2),"
        " busiest as (select procedure_code from histogram group by 1 order by sum(dossiers) desc, 1 limit %s)"
        " select histogram.procedure_code, coalesce(procedures.procedure_name, histogram.procedure_code),"
        " procedures.statutory_limit_working_days, histogram.working_days_used, histogram.dossiers"
        " from histogram inner join busiest using (procedure_code)"
        " left join marts.dim_procedure as procedures on procedures.procedure_id = histogram.procedure_code"
        " order by 1, 4", (limit,)).fetchall()
    found: dict[str, CycleTimes] = {}
    for code, name, limit_days, days, dossiers in rows:
        entry = found.setdefault(code, CycleTimes(code, name, float(limit_days) if limit_days else None, {}))
        entry.histogram[days] = dossiers
    return sorted(found.values(), key=lambda c: c.count, reverse=True)


def published_766(conn: psycopg.Connection) -> tuple[str | None, dict[str, dict[str, float]]]:
    """(period, province name -> group -> score) of the latest published 766 period on the 2025 list."""
    period_row = conn.execute(
        "select period from marts.fct_index_scores where index_code = 'DVC766' and component = 'total'"
        " and not is_derived order by edition_year desc, period desc limit 1").fetchone()
    if period_row is None:
        return None, {}
    scores: dict[str, dict[str, float]] = defaultdict(dict)
    for name, component, value in conn.execute(
            "select provinces.province_name, scores.component, scores.value from marts.fct_index_scores as scores"
            " inner join marts.dim_province as provinces on provinces.province_key = scores.province_key"
            " where scores.index_code = 'DVC766' and scores.period = %s and not scores.is_derived"
            " and scores.value is not null order by provinces.gso_code", (period_row[0],)):
        scores[name][component] = float(value)
    return period_row[0], dict(scores)


def as_of_date(conn: psycopg.Connection, marts: dict[str, set[str]]) -> date:
    """The day the marts judge open dossiers at (fct_dossiers.as_of_date), else today in Vietnam."""
    if "as_of_date" in marts.get("fct_dossiers", set()):
        row = conn.execute("select max(as_of_date) from marts.fct_dossiers").fetchone()
        if row and row[0] is not None:
            return row[0]
    return datetime.now(UTC).astimezone(VIETNAM).date()


def computed_766(conn: psycopg.Connection, columns: set[str],
                 as_of: date) -> tuple[str | None, dict[str, dict[str, float]]]:
    """(month, province name -> group -> points) of the latest complete month in marts.fct_service_index
    (its last day on or before `as_of`: the month still running has a few days of dossiers, not a
    month's), on the 34-province list."""
    wanted = [column for column in COMPUTED_SCORE_COLUMNS.values() if column in columns]
    if not wanted or not {"province_key", "month_start"} <= columns:
        return None, {}
    month_row = conn.execute("select max(month_start) from marts.fct_service_index where province_key like '%%-2025'"
                             " and month_start < date_trunc('month', %s::date + 1)", (as_of,)).fetchone()
    if month_row is None or month_row[0] is None:
        return None, {}
    query = sql.SQL(
        "select provinces.province_name, {columns} from marts.fct_service_index as service_index"
        " inner join marts.dim_province as provinces on provinces.province_key = service_index.province_key"
        " where service_index.month_start = %s order by provinces.gso_code").format(
        columns=sql.SQL(", ").join(sql.Identifier("service_index", column) for column in wanted))
    by_column = {column: group for group, column in COMPUTED_SCORE_COLUMNS.items()}
    scores: dict[str, dict[str, float]] = {}
    for name, *values in conn.execute(query, (month_row[0],)):
        scores[name] = {by_column[column]: float(value) for column, value in zip(wanted, values, strict=True)
                        if value is not None}
    return f"{month_row[0]:%Y-%m}", scores


def index_ranks(conn: psycopg.Connection, list_version: str) -> tuple[list[str], list[str], dict]:
    """(province names, 'INDEX year' columns, (province, column) -> rank) of published composites.

    Derived values are never ranked (DOMAIN.md §3), so only published rows appear; the rank is
    the published one where the publisher gave it, else the warehouse's recomputed rank.
    """
    rows = conn.execute(
        "select provinces.province_name, provinces.gso_code, scores.index_code, scores.period,"
        " coalesce(scores.rank_published, scores.rank_recomputed)"
        " from marts.fct_index_scores as scores"
        " inner join marts.dim_province as provinces on provinces.province_key = scores.province_key"
        " where scores.component = 'total' and not scores.is_derived and scores.list_version = %s"
        " and coalesce(scores.rank_published, scores.rank_recomputed) is not null"
        " order by scores.index_code, scores.period", (list_version,)).fetchall()
    provinces = sorted({(code, name) for name, code, _, _, _ in rows})
    columns = list(dict.fromkeys(f"{index_code.replace('_', ' ')} {period}" for _, _, index_code, period, _ in rows))
    ranks = {(name, f"{index_code.replace('_', ' ')} {period}"): rank for name, _, index_code, period, rank in rows}
    return [name for _, name in provinces], columns, ranks


# ---- drawing ------------------------------------------------------------------------------------
def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    return figure


def _save(figure, chart: Chart, folder: Path) -> None:
    target = folder / f"{chart.name}.png"
    with replacing(target, ".partial.png") as partial:
        figure.savefig(partial, format="png", dpi=DPI, metadata={"Software": None})
    chart.width, chart.height = (int(round(v * DPI)) for v in figure.get_size_inches())


def _no_data(chart: Chart, folder: Path, reason: str) -> Chart:
    chart.points, chart.empty_reason = 0, reason
    figure = _figure(8, 2.2)
    axes = figure.add_subplot()
    axes.set_axis_off()
    axes.text(0.5, 0.62, "No data yet", ha="center", va="center", fontsize=18, color="#57606a")
    axes.text(0.5, 0.3, reason, ha="center", va="center", fontsize=10, color="#57606a", wrap=True)
    _save(figure, chart, folder)
    return chart


def _panel_grid(count: int, columns: int = 6) -> tuple[int, int]:
    columns = max(1, min(columns, count))
    return -(-count // columns), columns


def draw_on_time_trend(series: dict[str, list[tuple[date, float, int]]], chart: Chart, folder: Path,
                       mark_merger: bool) -> Chart:
    if not series:
        return _no_data(chart, folder, "fct_dossiers has no finished dossiers on this province list yet.")
    import matplotlib.dates as mdates

    rows, columns = _panel_grid(len(series))
    figure = _figure(2.6 * columns + 0.6, 1.9 * rows + 0.8)
    figure.suptitle(chart.title, fontsize=12)
    first = None
    for position, (province, points) in enumerate(series.items(), start=1):
        axes = figure.add_subplot(rows, columns, position, sharey=first, sharex=first)
        first = first or axes
        months = [month for month, _, _ in points]
        axes.plot(months, [rate for _, rate, _ in points], color="#0969da", linewidth=1.4, marker=".", markersize=3)
        if mark_merger:
            axes.axvline(MERGER_DAY, color="#cf222e", linestyle="--", linewidth=0.8)
        axes.set_title(province, fontsize=9)
        axes.set_ylim(0, 100)
        axes.grid(True, linewidth=0.3)
        axes.tick_params(labelsize=7)
        axes.xaxis.set_major_locator(mdates.YearLocator())
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
        chart.points += len(points)
    figure.supylabel("on time (%)", fontsize=9)
    _save(figure, chart, folder)
    return chart


def draw_cycle_times(procedures: list[CycleTimes], chart: Chart, folder: Path) -> Chart:
    if not procedures:
        return _no_data(chart, folder, "fct_dossiers has no finished dossiers yet.")
    stats = []
    for entry in procedures:
        label = f"{entry.procedure_code} {entry.procedure_name}"
        stats.append({"label": label if len(label) <= 48 else label[:47] + "…", "med": entry.quantile(0.5),
                      "q1": entry.quantile(0.25), "q3": entry.quantile(0.75), "whislo": entry.quantile(0.05),
                      "whishi": entry.quantile(0.95), "fliers": []})
    figure = _figure(11, 0.42 * len(stats) + 1.4)
    axes = figure.add_subplot()
    positions = list(range(len(stats), 0, -1))
    axes.bxp(stats, positions=positions, orientation="horizontal", widths=0.6, patch_artist=True,
             boxprops={"facecolor": "#ddf4ff", "edgecolor": "#0969da"}, medianprops={"color": "#0969da"})
    limits = [(position, entry.limit_days) for position, entry in zip(positions, procedures, strict=True)
              if entry.limit_days]
    if limits:
        axes.scatter([limit for _, limit in limits], [position for position, _ in limits], marker="|", s=260,
                     color="#cf222e", linewidths=2.2, label="statutory limit", zorder=3)
        axes.legend(loc="lower right", fontsize=8)
    axes.set_xlabel("working days used (finished dossiers; box 25–75 %, whiskers 5–95 %)", fontsize=9)
    axes.tick_params(labelsize=8)
    axes.grid(True, axis="x", linewidth=0.3)
    axes.set_title(chart.title, fontsize=12)
    chart.points = sum(len(entry.histogram) for entry in procedures)
    _save(figure, chart, folder)
    return chart


def draw_service_index(scores: dict[str, dict[str, float]], chart: Chart, folder: Path) -> Chart:
    if not scores:
        return _no_data(chart, folder, chart.empty_reason or "no 766 scores in the marts yet.")
    provinces = list(scores)
    figure = _figure(11, 0.3 * len(provinces) + 1.6)
    axes = figure.add_subplot()
    positions = list(range(len(provinces), 0, -1))
    left = [0.0] * len(provinces)
    for (group, label, maximum), colour in zip(SERVICE_INDEX_GROUPS, GROUP_COLOURS, strict=True):
        if not any(group in scores[name] for name in provinces):
            continue  # a group the source does not hold is left out, not drawn as zero
        values = [scores[name].get(group, 0.0) for name in provinces]
        axes.barh(positions, values, left=left, color=colour, label=f"{label} (max {maximum})", height=0.7)
        left = [a + b for a, b in zip(left, values, strict=True)]
        chart.points += sum(1 for name in provinces if group in scores[name])
    axes.set_yticks(positions, provinces, fontsize=8)
    axes.set_xlim(0, 100)
    axes.set_xlabel("points (of 100)", fontsize=9)
    figure.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    axes.grid(True, axis="x", linewidth=0.3)
    axes.set_title(chart.title, fontsize=12)
    _save(figure, chart, folder)
    return chart


def draw_rank_heatmap(provinces: list[str], columns: list[str], ranks: dict, chart: Chart, folder: Path) -> Chart:
    if not ranks:
        return _no_data(chart, folder, "fct_index_scores has no published ranks on this province list yet.")
    import numpy as np

    grid = np.full((len(provinces), len(columns)), np.nan)
    for row, province in enumerate(provinces):
        for column, label in enumerate(columns):
            if (province, label) in ranks:
                grid[row, column] = ranks[(province, label)]
    figure = _figure(max(6.0, 0.55 * len(columns) + 3.2), 0.19 * len(provinces) + 1.8)
    axes = figure.add_subplot()
    image = axes.imshow(grid, aspect="auto", cmap="RdYlGn_r", interpolation="nearest")
    axes.set_xticks(range(len(columns)), columns, rotation=60, ha="right", fontsize=8)
    axes.set_yticks(range(len(provinces)), provinces, fontsize=7)
    colour_bar = figure.colorbar(image, ax=axes, shrink=0.6)
    colour_bar.set_label("rank (1 = best)", fontsize=8)
    axes.set_title(chart.title, fontsize=12)
    chart.points = len(ranks)
    _save(figure, chart, folder)
    return chart


# ---- the page -----------------------------------------------------------------------------------
def build_charts(conn: psycopg.Connection, folder: Path) -> list[Chart]:
    """Draw every chart into folder from the marts; returns them in page order."""
    folder.mkdir(parents=True, exist_ok=True)
    marts = _relations(conn)
    has_dossiers = {"fct_dossiers", "fct_on_time_rate", "dim_province"} <= marts.keys()
    has_scores = {"fct_index_scores", "dim_province"} <= marts.keys()
    not_built = "the marts are not built yet (run `parwh build`)."
    charts = []

    chart = Chart("on_time_trend_34_provinces",
                  "On-time rate by month — 34-province list (continuous across the merger)",
                  "Rate “giải quyết trước và đúng hạn” = (early + on time) / finished, by month of finishing "
                  "(Vietnam time). Every dossier counts in the province its territory belongs to since "
                  "2025-07-01 (the dashed line), so each series runs through the merger. From marts.fct_dossiers.")
    charts.append(draw_on_time_trend(on_time_by_month(conn, "2025"), chart, folder, mark_merger=True)
                  if has_dossiers else _no_data(chart, folder, not_built))

    chart = Chart("on_time_trend_63_provinces", "On-time rate by month — 63-province list (until 2025-06)",
                  "The same rate for dossiers received before the merger, in the 63 provinces as they were. "
                  "From marts.fct_dossiers (list_version 2004).")
    charts.append(draw_on_time_trend(on_time_by_month(conn, "2004"), chart, folder, mark_merger=False)
                  if has_dossiers else _no_data(chart, folder, not_built))

    chart = Chart("cycle_time_by_procedure", "Cycle time per procedure against its statutory limit",
                  f"Working days used by finished dossiers of the {PROCEDURES_SHOWN} busiest procedures (supplement "
                  "pauses not counted); the red mark is the limit in the procedure catalogue. From "
                  "marts.fct_dossiers and marts.dim_procedure.")
    charts.append(draw_cycle_times(cycle_times(conn), chart, folder) if has_dossiers
                  else _no_data(chart, folder, not_built))

    if "fct_service_index" in marts:
        month, computed = computed_766(conn, marts["fct_service_index"], as_of_date(conn, marts))
        chart = Chart("service_index_computed", f"766-style indicators computed from dossiers — {month or 'no month'}",
                      "The Decision 766 groups the warehouse computes from each province's own dossiers (progress, "
                      "online service, online payment, digitisation: 64 of the 100 points; transparency and "
                      "satisfaction need other data), latest complete month (the one still running is left out), "
                      "34-province list. From marts.fct_service_index.",
                      empty_reason="marts.fct_service_index has no complete month with the expected score columns "
                                   "yet.")
        charts.append(draw_service_index(computed, chart, folder))
    period, published = published_766(conn) if has_scores else (None, {})
    chart = Chart("service_index_published", f"766 index as published — {period or 'no period'}",
                  "The national dashboard's six groups per province (maxima in the legend), latest published period. "
                  "From marts.fct_index_scores (index DVC766).",
                  empty_reason="no 766 publication has been loaded yet (`parwh publish`)." if has_scores else not_built)
    charts.append(draw_service_index(published, chart, folder))

    for list_version, label in (("2004", "63-province list"), ("2025", "34-province list")):
        chart = Chart(f"index_ranks_{list_version}", f"Index ranks across years — {label}",
                      "Rank of each province's composite in every published edition (1 = best; PAR INDEX, SIPAS, "
                      "PAPI, PCI, ICT Index, 766). Values derived onto another province list are never ranked. "
                      "From marts.fct_index_scores.")
        charts.append(draw_rank_heatmap(*index_ranks(conn, list_version), chart, folder) if has_scores
                      else _no_data(chart, folder, not_built))
    return charts


def _chart_html(chart: Chart) -> str:
    image = (f"<img src=\"charts/{chart.name}.png\" alt=\"{html.escape(chart.title)}\" width=\"{chart.width}\""
             f" height=\"{chart.height}\" data-points=\"{chart.points}\">")
    if chart.points:
        body = image
    else:
        body = (f"<div class=\"nodata\"><strong>No data yet.</strong> {html.escape(chart.empty_reason)}</div>")
    return (f"<section class=\"chart\" id=\"{chart.name}\" data-points=\"{chart.points}\">"
            f"<h2>{html.escape(chart.title)}</h2><p class=\"muted\">{html.escape(chart.caption)}</p>{body}"
            f"<p class=\"why\"><a href=\"charts/{chart.name}.png\">PNG</a></p></section>")


def build(warehouse_url: str, site_dir: Path | None = None) -> Path:
    """Write site/scorecard.html and site/charts/*.png from the marts; returns the page's path."""

    site = Path(site_dir or paths().site)
    site.mkdir(parents=True, exist_ok=True)
    with psycopg.connect(warehouse_url) as conn:
        charts = build_charts(conn, site / "charts")
    generated = datetime.now(UTC).astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")
    links = "".join(f"<a href=\"#{chart.name}\">{html.escape(NAV_LABELS.get(chart.name, chart.name))}</a>"
                    for chart in charts)
    page = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>PAR Warehouse — scorecard</title>"
        f"<style>{CSS}.chart img{{max-width:100%;height:auto;border:1px solid var(--line)}}"
        ".nodata{border:1px dashed var(--line);border-radius:8px;padding:1.5rem;color:var(--muted);"
        "background:var(--soft)}</style></head><body>"
        "<header><h1>PAR Warehouse — scorecard</h1>"
        f"<p>Generated {generated} Vietnam time from the marts. Back to the <a style=\"color:#fff\" "
        "href=\"index.html\">runs, loads and validation</a> page.</p></header>"
        f"<nav>{links}</nav><main>" + "".join(_chart_html(chart) for chart in charts) + "</main></body></html>"
    )
    target = site / "scorecard.html"
    with replacing(target) as partial:
        partial.write_text(page, encoding="utf-8")
    return target


def build_for_site(warehouse_url: str, site_dir: Path) -> Path | None:
    """The scorecard as part of the report site: a chart that cannot be drawn is logged and the
    link says so, but never stops the auditors' page from being written."""
    try:
        return build(warehouse_url, site_dir)
    except OSError as exc:   # a full disk or a folder that cannot be written: say so, no traceback
        log.error("the scorecard (%s) could not be written: %s", site_dir / "scorecard.html", exc)
        return None
    except Exception:
        log.exception("the scorecard (%s) could not be rebuilt", site_dir / "scorecard.html")
        return None
