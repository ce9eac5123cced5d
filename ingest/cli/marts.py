"""`parwh build`, `parwh site`, `parwh status` and `parwh lease`: the marts and what they show."""

from __future__ import annotations

import argparse
import signal
import sys

from ingest.cli.common import EXIT_FAILED, EXIT_OK, iso_date, new_run_id, positive_int, warehouse_url
from ingest.pipeline import rebuild_marts
from ingest.reporting import report_site, status
from ingest.runtime import marts_lease, warehouse


def cmd_build(args: argparse.Namespace) -> int:
    url = warehouse_url()
    run_id = args.run_id or new_run_id()
    purpose = " ".join(["parwh build", *(["--full-refresh"] if args.full_refresh else []),
                        *([f"--as-of {args.as_of}"] if args.as_of else [])])
    # SIGTERM unwinds like Ctrl-C: dbt cancels its queries and the lease is given back.
    signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        with marts_lease.held(url, purpose=purpose):
            gate = rebuild_marts.rebuild(url, run_id=run_id, as_of=args.as_of, full_refresh=args.full_refresh)
            print(f"mart gate: {gate.outcome}")
            if gate.outcome == "fail":
                print(gate.message(), file=sys.stderr)
            report_site.build(url, run_id=run_id)
            return EXIT_FAILED if gate.outcome == "fail" else EXIT_OK
    except marts_lease.MartsBusy as exc:
        print(f"parwh: {exc}", file=sys.stderr)
        return EXIT_FAILED


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that dbt cancels its queries and every `finally` runs."""


def _raise_terminated(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)   # one is enough: let the clean-up finish
    raise Terminated()


def cmd_site(args: argparse.Namespace) -> int:
    index = report_site.build(warehouse_url(), run_id=args.run_id)
    print(f"report site: {index}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    status.print_status(warehouse_url(), limit=args.limit)
    return EXIT_OK


def cmd_lease(args: argparse.Namespace) -> int:
    with warehouse.connect(warehouse_url(), autocommit=True) as conn:
        lease = marts_lease.current(conn)
        if not args.release or lease.holder is None:
            print(f"marts being rebuilt by: {lease.describe()}")
            return EXIT_OK
        marts_lease.release(conn, lease.holder)
    print(f"released the marts lease held by {lease.describe()}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("build", help="dbt build of the whole project, then the mart gate and the report site")
    p.add_argument("--full-refresh", action="store_true")
    p.add_argument("--as-of", type=iso_date, help="judge open dossiers at this date (default: today, Vietnam time)")
    p.add_argument("--run-id")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("site", help="rebuild the report site from the audit tables")
    p.add_argument("--run-id")
    p.set_defaults(func=cmd_site)

    p = sub.add_parser("status", help="the last runs and loads with their outcome")
    p.add_argument("--limit", type=positive_int, default=15)
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("lease", help="who holds the marts (one builder at a time); --release frees a dead holder's")
    p.add_argument("--release", action="store_true",
                   help="free the lease whoever holds it: only for a run that was killed and will never end")
    p.set_defaults(func=cmd_lease)
