"""The `parwh` parser, assembled from the command groups, and the one place user errors become
one line on stderr and an exit code instead of a traceback."""

from __future__ import annotations

import argparse
import logging
import sys
import traceback

import psycopg

from ingest.cli import loads, local, marts, warehouse
from ingest.cli.common import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_USAGE, check_all_settings
from ingest.cli.marts import Terminated
from ingest.landing.pii import MissingKeyError
from ingest.landing.profiles import ProfileError
from ingest.runtime.warehouse import WarehouseError
from ingest.settings import LimitSettingError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit 2)."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="parwh", description="PAR Warehouse command line")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress and details")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in (warehouse, loads, marts, local):
        group.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        check_all_settings()   # every PARWH_* setting, before any work
        return args.func(args)
    except (WarehouseError, MissingKeyError, ProfileError, FileNotFoundError, LimitSettingError) as exc:
        _error(exc)
        return EXIT_USAGE
    except psycopg.OperationalError as exc:
        _error(f"lost the warehouse connection: {exc}")
        return EXIT_FAILED
    except OSError as exc:  # disk full, no permission on landing/, archive/, site/: nothing of the warehouse lost
        _error(exc)
        return EXIT_FAILED
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        print(f"parwh: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    except Exception as exc:  # a fault of parwh itself: still one line, the traceback only with -v
        if args.verbose:
            traceback.print_exc()
        _error(f"unexpected {type(exc).__name__}: {exc}" + ("" if args.verbose else " (-v shows where)"))
        return EXIT_FAILED


def _error(message: object) -> None:
    """One line on stderr, whatever line breaks the message holds."""
    print("parwh: error: " + " ".join(str(message).split()), file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
