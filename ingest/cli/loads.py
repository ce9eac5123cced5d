"""`parwh ingest` (portal exports) and `parwh publish` (index publications): one load per file."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ingest.cli.common import EXIT_FAILED, EXIT_OK, new_run_id, period, province_code, warehouse_url
from ingest.indices.publish import PublishResult, publish_file
from ingest.landing.folders import pending_files
from ingest.landing.pii import load_key
from ingest.pipeline import ingest_batch


def _expand(paths_given: list[str]) -> list[Path]:
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


def _report(message: str) -> None:
    print(f"parwh: error: {message}", file=sys.stderr)


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
    url = None if args.dry_run else warehouse_url()
    load_key()   # no key, or a blank or short one: a usage error (MissingKeyError) before any file is read
    results = ingest_batch.ingest_files(url, files, profile=args.profile, province=args.province,
                                        dry_run=args.dry_run, run_id=args.run_id or new_run_id(),
                                        gate=not args.no_gate, folders=_folders(args.paths), reload=args.reload,
                                        report=_report)
    print_load_table(results)
    return EXIT_OK if all(r.ok and not r.rows_rejected for r in results) else EXIT_FAILED


def cmd_publish(args: argparse.Namespace) -> int:
    files, folders = _expand(args.paths), _folders(args.paths)
    url = warehouse_url()
    run_id = args.run_id or new_run_id()
    results = []
    for path in files:   # one bad file never stops the others
        try:
            results.append(publish_file(url, path, index_code=args.index, edition_year=args.edition, run_id=run_id,
                                        reload=args.reload, root=ingest_batch.root_of(path, folders)))
        except (ValueError, LookupError, TypeError) as exc:   # a reader's own fault: its load is recorded failed
            results.append(PublishResult(path.name, None, None, "failed", error=f"{type(exc).__name__}: {exc}"))
    for r in results:
        print(f"{r.name}  {r.profile or '-'}  load {r.load_id or '-'}  {r.rows_loaded} rows  {r.status}"
              f"{'  gate ' + r.gate_outcome if r.gate_outcome else ''}")
        if r.error and r.status != "duplicate":
            print(f"  {r.error}")
        for skipped in r.skipped_sheets:
            print(f"  sheet {skipped.sheet!r} skipped: {skipped.reason}")
    return EXIT_OK if all(r.status in ("loaded", "duplicate") for r in results) else EXIT_FAILED


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="land files (or folders of files) into raw, one load per file")
    p.add_argument("paths", nargs="+")
    p.add_argument("--profile", help="source profile to use instead of detecting it from the header")
    p.add_argument("--province", type=province_code,
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
    p.add_argument("--edition", type=period,
                   help="edition year (2016) or 766 period (2025-Q3, 2025-10, 2025-YTD-10; a 766 export's"
                        " month and year-to-date sheets both follow its month), when neither the sheet nor the"
                        " file name (PCI_2016.xlsx, T10_2025.xlsx) says it")
    p.add_argument("--reload", action="store_true",
                   help="load files again even when the same content was loaded with the same arguments")
    p.add_argument("--run-id")
    p.set_defaults(func=cmd_publish)
