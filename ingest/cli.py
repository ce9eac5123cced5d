"""`parwh`: the command line of the PAR warehouse.

Exit codes: 0 everything loaded / built, 1 a file (or a row) was rejected or a gate / build failed,
2 usage or configuration errors (argparse's own convention), in one line, before any work: every
argument and every PARWH_* setting is checked first. 130 / 143 interrupted (SIGINT / SIGTERM).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from datetime import UTC, date, datetime
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that dbt cancels its queries and every `finally` runs."""


def _raise_terminated(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)   # one is enough: let the clean-up finish
    raise Terminated()


def _run_id(prefix: str = "cli") -> str:
    return f"{prefix}__{datetime.now(UTC):%Y-%m-%dT%H:%M:%S.%f}"


def _warehouse_url(migrate: bool = True) -> str:
    from ingest import migrate as migrations
    from ingest import warehouse

    url = warehouse.url()
    if migrate:
        with warehouse.connect(url) as conn:
            migrations.migrate(conn)
    return url


# ---- warehouse ---------------------------------------------------------------------------
def cmd_warehouse(args: argparse.Namespace) -> int:
    from ingest import warehouse

    if args.action == "stop":
        stopped = warehouse.stop_embedded()
        print("embedded warehouse stopped" if stopped else "embedded warehouse was not running")
        return EXIT_OK
    if args.role and args.action != "url":
        print("parwh: error: --role goes with `parwh warehouse url`", file=sys.stderr)
        return EXIT_USAGE
    url = _warehouse_url()
    if args.action == "start":
        print(f"warehouse ready: {warehouse.redact(url)}")
    elif args.role:
        print(warehouse.role_url(url, args.role))
    else:
        print(url)
    return EXIT_OK


def cmd_keygen(args: argparse.Namespace) -> int:
    from ingest.pii import create_key_file

    print(f"personal-data key: {create_key_file()}")
    return EXIT_OK


# ---- sample ------------------------------------------------------------------------------
def cmd_sample(args: argparse.Namespace) -> int:
    from ingest import sample

    written = sample.generate(Path(args.out), args.dossiers, seed=args.seed, until=args.until)
    for path in written:
        print(path)
    print(f"{len(written)} synthetic files written to {args.out}", file=sys.stderr)
    return EXIT_OK


# ---- ingest ------------------------------------------------------------------------------
class _ProgressBars:
    """One stderr progress bar per load (each member of a .zip is its own load)."""

    def __init__(self) -> None:
        self.bars: list = []

    def __call__(self, name: str):
        from ingest.progress import ProgressBar

        self.close()
        self.bars.append(ProgressBar(name))
        return self.bars[-1]

    def close(self) -> None:
        for bar in self.bars:
            bar.close()


def _expand(paths_given: list[str]) -> list[Path]:
    from ingest.landing import pending_files

    files: list[Path] = []
    for given in paths_given:
        path = Path(given)
        if path.is_dir():
            files.extend(pending_files(path))
        elif os.path.lexists(path):   # a link is checked (and rejected) when it is landed, not here
            files.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {given}")
    return files


def _folders(paths_given: list[str]) -> list[Path]:
    """The folders named: links found in them must not lead out of them."""
    return [Path(given).absolute() for given in paths_given if Path(given).is_dir()]


def _root_of(path: Path, folders: list[Path]) -> Path:
    """The folder a file was found in (the innermost folder named that holds it), else its own folder."""
    where = path.absolute()
    holding = [folder for folder in folders if where.is_relative_to(folder)]
    return max(holding, key=lambda folder: len(folder.parts)) if holding else where.parent


def ingest_files(url: str, files: list[Path], *, profile: str | None, province: str | None,
                 dry_run: bool, run_id: str, gate: bool = True, folders: list[Path] | None = None,
                 reload: bool = False) -> list:
    """Land each file, gate each load, file each landing file away. One bad file never stops the
    others: a file that cannot be moved out of landing/ is reported after the rest are done
    (FilingError). Each file is read without holding the ingest lock; its commit takes it."""
    from ingest import loader
    from ingest.landing import FilingError

    results, filing_errors = [], []
    for path in files:
        if not dry_run and not os.path.lexists(path):  # filed away by another ingest meanwhile
            continue
        try:
            loads = _ingest_one(url, path, profile=profile, province=province, dry_run=dry_run, run_id=run_id,
                                gate=gate, root=_root_of(path, folders or []), reload=reload)
            results.extend(r for r in loads if r.status != loader.GONE)
        except FilingError as exc:
            print(f"parwh: error: {exc}", file=sys.stderr)
            filing_errors.append(exc)
    if not dry_run:
        loader.refresh_statistics(url, results)
    if filing_errors:
        raise filing_errors[0]
    return results


def _ingest_one(url: str | None, path: Path, *, profile: str | None, province: str | None, dry_run: bool,
                run_id: str, gate: bool, root: Path | None = None, reload: bool = False) -> list:
    """The loads of one landing file: the file itself, or each member of a .zip."""
    from ingest import landing, loader

    bars = _ProgressBars()
    try:
        loads = loader.land_path(url, path, profile_name=profile, province=province, run_id=run_id,
                                 dry_run=dry_run, progress=bars, root=root, reload=reload)
    finally:
        bars.close()
    for result in loads:
        if result.status == "loaded" and gate:
            from expectations.gate import run_raw_gate

            outcome = run_raw_gate(url, result.load_id, run_id)
            if outcome.outcome == "fail":
                result.status, result.error = "quarantined", outcome.message()
    if not dry_run and not any(r.keep_in_landing for r in loads):
        # A .zip moves as a whole: to the archive when every member loaded, else to quarantine.
        bad = [r for r in loads if r.status not in ("loaded", "duplicate")]
        landing.file_away(path, bad[0].status if bad else "loaded",
                          "; ".join(f"{r.name}: {r.status}: {r.error}" for r in bad) or None)
    return loads


def print_load_table(results: list) -> None:
    width = max([44, *(len(r.name) for r in results)])
    header = f"{'file':<{width}} {'profile':<20} {'read':>9} {'loaded':>9} {'rejected':>9}  status"
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r.name:<{width}} {(r.profile or '-')[:20]:<20} {r.rows_read:>9,} {r.rows_loaded:>9,} "
              f"{r.rows_rejected:>9,}  {r.status}")
    for r in results:
        if r.error and r.status != "duplicate":
            print(f"  {r.name}: {r.error}")


def cmd_ingest(args: argparse.Namespace) -> int:
    files = _expand(args.paths)
    if not files:
        print("nothing to ingest: no files found", file=sys.stderr)
        return EXIT_OK
    url = None if args.dry_run else _warehouse_url()
    results = ingest_files(url, files, profile=args.profile, province=args.province, dry_run=args.dry_run,
                           run_id=args.run_id or _run_id(), gate=not args.no_gate, folders=_folders(args.paths),
                           reload=args.reload)
    print_load_table(results)
    return EXIT_OK if all(r.ok and not r.rows_rejected for r in results) else EXIT_FAILED


# ---- publish (index publications) --------------------------------------------------------
def cmd_publish(args: argparse.Namespace) -> int:
    from ingest.indices.publish import PublishResult, publish_file

    files, folders = _expand(args.paths), _folders(args.paths)
    url = _warehouse_url()
    run_id = args.run_id or _run_id()
    results = []
    for path in files:   # one bad file never stops the others
        try:
            results.append(publish_file(url, path, index_code=args.index, edition_year=args.edition, run_id=run_id,
                                        reload=args.reload, root=_root_of(path, folders)))
        except ValueError as exc:   # no reader for its name, no edition year: recorded as failed if started
            results.append(PublishResult(path.name, None, None, "rejected", error=str(exc)))
    for r in results:
        print(f"{r.name}  {r.profile}  load {r.load_id}  {r.rows_loaded} rows  {r.status}"
              f"{'  gate ' + r.gate_outcome if r.gate_outcome else ''}")
        if r.error and r.status != "duplicate":
            print(f"  {r.error}")
    return EXIT_OK if all(r.status in ("loaded", "duplicate") for r in results) else EXIT_FAILED


# ---- build / site / status ---------------------------------------------------------------
def build_and_gate(url: str, *, run_id: str, full_refresh: bool, as_of: date | None) -> int:
    from expectations.gate import run_mart_gate
    from ingest import dbt, dbt_audit, report_site

    dbt_vars = {"as_of_date": as_of.isoformat()} if as_of else None
    try:
        dbt.build(url, full_refresh=full_refresh, vars=dbt_vars)
    finally:
        dbt_audit.record_run_results(url, run_id)
    dbt.vacuum_marts(url)
    result = run_mart_gate(url, run_id)
    print(f"mart gate: {result.outcome}")
    if result.outcome == "fail":
        print(result.message(), file=sys.stderr)
    report_site.build(url, run_id=run_id)
    return EXIT_FAILED if result.outcome == "fail" else EXIT_OK


def cmd_build(args: argparse.Namespace) -> int:
    from ingest import marts_lease

    url = _warehouse_url()
    run_id = args.run_id or _run_id()
    purpose = " ".join(["parwh build", *(["--full-refresh"] if args.full_refresh else []),
                        *([f"--as-of {args.as_of}"] if args.as_of else [])])
    # SIGTERM unwinds like Ctrl-C: dbt cancels its queries and the lease is given back.
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        with marts_lease.held(url, purpose=purpose):
            return build_and_gate(url, run_id=run_id, full_refresh=args.full_refresh, as_of=args.as_of)
    except marts_lease.MartsBusy as exc:
        print(f"parwh: {exc}", file=sys.stderr)
        return EXIT_FAILED


def cmd_site(args: argparse.Namespace) -> int:
    from ingest import report_site

    index = report_site.build(_warehouse_url(), run_id=args.run_id)
    print(f"report site: {index}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from ingest import status

    status.print_status(_warehouse_url(), limit=args.limit)
    return EXIT_OK


def cmd_lease(args: argparse.Namespace) -> int:
    from ingest import marts_lease, warehouse

    with warehouse.connect(_warehouse_url(), autocommit=True) as conn:
        lease = marts_lease.current(conn)
        if not args.release or lease.holder is None:
            print(f"marts being rebuilt by: {lease.describe()}")
            return EXIT_OK
        marts_lease.release(conn, lease.holder)
    print(f"released the marts lease held by {lease.describe()}")
    return EXIT_OK


def cmd_airflow(args: argparse.Namespace) -> int:
    """Run an airflow command with the project's local setup (SQLite metadata, our dags/, the warehouse)."""
    import subprocess

    from ingest import airflow_env, dbt

    url = _warehouse_url()
    env = airflow_env.airflow_environment(url)
    airflow_env.migrate_metadata(env)
    dbt.run_dbt(["parse"], url)  # the manifest the cosmos task group renders from
    return subprocess.run([*airflow_env.airflow_command(), *args.airflow_args], env=env).returncode


def cmd_demo(args: argparse.Namespace) -> int:
    from ingest import demo

    return demo.run(dossiers=args.dossiers)


# ---- parser ------------------------------------------------------------------------------
def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2025-07-01") from None


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be positive")
    return value


def _province_code(text: str) -> str:
    """A GSO province code on the 63- or the 34-province list ("1" and "01" alike)."""
    from ingest import provinces

    code = text.strip()
    if code.isascii() and code.isdigit() and len(code) <= 2 and \
            code.zfill(2) in {p.gso_code for p in provinces.provinces()}:
        return code.zfill(2)
    raise argparse.ArgumentTypeError(f"{text!r} is not a province code (a 2-digit GSO code such as 01 or 79, "
                                     "on the 63- or the 34-province list)")


def _period(text: str) -> str:
    from ingest.indices import periods

    try:
        return periods.parse(text).label
    except periods.PeriodError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2)."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="parwh", description="PAR Warehouse command line")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and details")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("warehouse", help="start, stop or locate the warehouse")
    p.add_argument("action", choices=["start", "stop", "url"])
    p.add_argument("--role", choices=["bi_reader", "auditor", "etl"],
                   help="with url: a URL that logs in as this role (its password only from PARWH_<ROLE>_PASSWORD)")
    p.set_defaults(func=cmd_warehouse)

    p = sub.add_parser("keygen", help="create the local personal-data hashing key (.local/pii.key)")
    p.set_defaults(func=cmd_keygen)

    p = sub.add_parser("sample", help="write synthetic portal exports (clearly labelled synthetic)")
    p.add_argument("--dossiers", type=_positive_int, default=2000)
    p.add_argument("--out", default="landing")
    p.add_argument("--seed", type=int, default=20250701)
    p.add_argument("--until", type=_date, default=date(2026, 11, 20), help="last receipt date (default 2026-11-20)")
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("ingest", help="land files (or folders of files) into raw, one load per file")
    p.add_argument("paths", nargs="+")
    p.add_argument("--profile", help="source profile to use instead of detecting it from the header")
    p.add_argument("--province", type=_province_code,
                   help="GSO code of the province, for exports without a province column")
    p.add_argument("--dry-run", action="store_true", help="read and check the files, load nothing")
    p.add_argument("--reload", action="store_true",
                   help="load files again even when the same content was loaded with the same arguments")
    p.add_argument("--no-gate", action="store_true", help="skip the raw validation gate (not for production)")
    p.add_argument("--run-id")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("publish", help="land index publications (PCI, PAPI, 766, PAR INDEX / SIPAS / ICT template),"
                                       " one load per file")
    p.add_argument("paths", nargs="+")
    p.add_argument("--index", choices=["PCI", "PAPI", "DVC766", "PAR_INDEX", "SIPAS", "ICT_INDEX"],
                   help="index code instead of detecting it from the file name")
    p.add_argument("--edition", type=_period,
                   help="edition year (2016) or 766 period (2025-Q3, 2025-10, 2025-YTD-10), when neither the sheet"
                        " nor the file name says it")
    p.add_argument("--reload", action="store_true",
                   help="load files again even when the same content was loaded with the same arguments")
    p.add_argument("--run-id")
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("build", help="dbt build of the whole project, then the mart gate and the report site")
    p.add_argument("--full-refresh", action="store_true")
    p.add_argument("--as-of", type=_date, help="judge open dossiers at this date (default: today, Vietnam time)")
    p.add_argument("--run-id")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("site", help="rebuild the report site from the audit tables")
    p.add_argument("--run-id")
    p.set_defaults(func=cmd_site)

    p = sub.add_parser("status", help="the last runs and loads with their outcome")
    p.add_argument("--limit", type=_positive_int, default=15)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("lease", help="who holds the marts (one builder at a time); --release frees a dead holder's")
    p.add_argument("--release", action="store_true",
                   help="free the lease whoever holds it: only for a run that was killed and will never end")
    p.set_defaults(func=cmd_lease)

    p = sub.add_parser("airflow", help="run an airflow command locally, e.g. `parwh airflow standalone`")
    p.add_argument("airflow_args", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_airflow)

    p = sub.add_parser("demo", help="sample data -> nightly DAG (airflow dags test) -> report site")
    p.add_argument("--dossiers", type=_positive_int, default=2000)
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import psycopg

    from ingest.archives import LimitSettingError
    from ingest.pii import MissingKeyError
    from ingest.profiles import ProfileError
    from ingest.settings import check_all_settings
    from ingest.warehouse import WarehouseError

    try:
        check_all_settings()
        return args.func(args)
    except (WarehouseError, MissingKeyError, ProfileError, FileNotFoundError, LimitSettingError) as exc:
        print(f"parwh: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except psycopg.OperationalError as exc:
        print(f"parwh: error: lost the warehouse connection: {exc}".rstrip(), file=sys.stderr)
        return EXIT_FAILED
    except OSError as exc:  # disk full, no permission on landing/, archive/, site/: nothing of the warehouse lost
        print(f"parwh: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        print(f"parwh: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
