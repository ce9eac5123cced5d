"""`parwh warehouse start|stop|url` and `parwh keygen`."""

from __future__ import annotations

import argparse
import sys

from ingest.cli.common import EXIT_OK, EXIT_USAGE, warehouse_url
from ingest.landing.pii import create_key_file
from ingest.runtime import warehouse


def cmd_warehouse(args: argparse.Namespace) -> int:
    if args.action == "stop":
        stopped = warehouse.stop_embedded()
        print("embedded warehouse stopped" if stopped else "embedded warehouse was not running")
        return EXIT_OK
    if args.role and args.action != "url":
        print("parwh: error: --role goes with `parwh warehouse url`", file=sys.stderr)
        return EXIT_USAGE
    url = warehouse_url()
    if args.action == "start":
        print(f"warehouse ready: {warehouse.redact(url)}")
    elif args.role:
        print(warehouse.role_url(url, args.role))
    else:
        print(url)
    return EXIT_OK


def cmd_keygen(args: argparse.Namespace) -> int:
    print(f"personal-data key: {create_key_file()}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("warehouse", help="start, stop or locate the warehouse")
    p.add_argument("action", choices=["start", "stop", "url"])
    p.add_argument("--role", choices=["bi_reader", "auditor", "etl"],
                   help="with url: a URL that logs in as this role (its password only from PARWH_<ROLE>_PASSWORD)")
    p.set_defaults(func=cmd_warehouse)

    p = sub.add_parser("keygen", help="create the local personal-data hashing key (.local/pii.key)")
    p.set_defaults(func=cmd_keygen)
