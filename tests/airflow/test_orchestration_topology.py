"""The production topology, natively (no Docker engine here): scheduler, dag-processor, api-server and
a Celery worker against a PostgreSQL metadata database and a Redis broker on loopback. The test
triggers warehouse_nightly through the REST API, as an operator would, waits for it to succeed and
checks the marts.

Needs PostgreSQL on 127.0.0.1:5432 (a fresh metadata database is created and dropped) and Redis on
127.0.0.1:6379; skipped, saying which, when either is unreachable (failed under CI:
tests/support/prerequisites.py). Override with
PARWH_TEST_AIRFLOW_PG (admin URL) and PARWH_TEST_REDIS (redis://host:port/db).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from ingest.pipeline import schedule
from ingest.runtime import airflow_env, warehouse
from ingest.synthetic import sample
from tests.conftest import create_database, drop_database
from tests.support import prerequisites

pytestmark = [pytest.mark.warehouse, pytest.mark.airflow]

METADATA_ADMIN_URL = os.environ.get("PARWH_TEST_AIRFLOW_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("PARWH_TEST_REDIS", "redis://127.0.0.1:6379/11")
DOSSIERS = 120
# The nightly has ~80 tasks: about 6 min on 2 quiet cores, far longer when the machine is busy (a dbt
# node took 36 s there). So the wait is for progress, not for a deadline: it fails when no task has
# changed state for STALL_SECONDS (a hung run), or after MAX_RUN_SECONDS whatever happens.
STALL_SECONDS = 600
MAX_RUN_SECONDS = 3 * 3600
STARTUP_SECONDS = 300  # api-server and dag-processor start-up: seconds when quiet, minutes when busy
ADMIN_PASSWORD = secrets.token_urlsafe(16)


def _redis_answers(url: str) -> str | None:
    host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=3) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError as exc:
        return f"Redis at {host}:{port} is unreachable ({exc})"
    return None if reply.startswith(b"+PONG") else f"Redis at {host}:{port} answered {reply!r} to PING"


def _postgres_answers(url: str) -> str | None:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return None
    except psycopg.OperationalError as exc:
        return f"PostgreSQL for the Airflow metadata ({warehouse.redact(url)}) is unreachable: {exc}"


def last_nightly_slot(now: datetime) -> datetime:
    """The latest 02:00 in Vietnam at or before `now`: the run the scheduler makes when the DAG is
    unpaused (catchup off). Triggering exactly that one keeps the scheduler from adding a second."""
    local = now.astimezone(schedule.LOCAL_TZ)
    slot = local.replace(hour=2, minute=0, second=0, microsecond=0)
    return slot if slot <= local else slot - timedelta(days=1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Topology:
    """The Airflow processes of docker-compose.yml, each in its own process group, logging to files."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.env, self.logs, self.processes = env, logs, {}

    def start(self, name: str, *args: str) -> None:
        log = (self.logs / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen([*airflow_env.airflow_command(), *args], env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)

    def check_alive(self) -> None:
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        assert not dead, f"Airflow processes exited: {dead}\n{self.tails()}"

    def tails(self, lines: int = 25) -> str:
        out = []
        for name in self.processes:
            text = (self.logs / f"{name}.log").read_text(errors="replace").splitlines()
            out.append(f"--- {name} ---\n" + "\n".join(text[-lines:]))
        return "\n".join(out)

    def stop(self) -> None:
        for proc in self.processes.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in self.processes.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


class Api:
    def __init__(self, base: str):
        self.base, self.token = base, None

    def call(self, method: str, path: str, body: dict | None = None, auth: bool = True) -> dict:
        request = urllib.request.Request(self.base + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None)
        request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def task_instances(self, run_path: str) -> list[dict]:
        """Every task instance of the run, page by page: the API returns at most its page limit
        (100 by default) whatever `limit` asks, and the nightly has more tasks than that."""
        instances: list[dict] = []
        while True:
            page = self.call("GET", f"{run_path}/taskInstances?limit=100&offset={len(instances)}")
            instances += page["task_instances"]
            total = page.get("total_entries")
            if len(page["task_instances"]) < 100 or (total is not None and len(instances) >= total):
                return instances

    def wait_until(self, what: str, probe, timeout: float, topology: Topology):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            topology.check_alive()
            try:
                result = probe()
                if result:
                    return result
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(2)
        raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{topology.tails()}")

    def wait_for_run(self, path: str, topology: Topology) -> str:
        """The final state of the DAG run at `path`, waiting as long as its tasks make progress."""
        started = last_change = time.monotonic()
        progress = None
        while time.monotonic() - started < MAX_RUN_SECONDS:
            topology.check_alive()
            try:
                state = self.call("GET", path)["state"]
                if state in ("success", "failed"):
                    return state
                instances = self.task_instances(path)
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                instances = None
            if instances is not None:
                now = sorted((ti["task_id"], ti["state"] or "", ti["try_number"]) for ti in instances)
                if now != progress:
                    progress, last_change = now, time.monotonic()
            if time.monotonic() - last_change > STALL_SECONDS:
                raise AssertionError(f"no task of the run changed state for {STALL_SECONDS}s: "
                                     f"{[ti for ti in progress or [] if ti[1] != 'success']}\n{topology.tails()}")
            time.sleep(5)
        raise AssertionError(f"the run still had not finished after {MAX_RUN_SECONDS}s\n{topology.tails()}")


@pytest.fixture(scope="module")
def nightly_on_celery(admin_url, dbt_manifest, tmp_path_factory):
    for reason in (_redis_answers(REDIS_URL), _postgres_answers(METADATA_ADMIN_URL)):
        if reason:
            prerequisites.missing(reason)
    home = tmp_path_factory.mktemp("topology")
    metadata_db = create_database(METADATA_ADMIN_URL, "parwh_airflow_meta")
    warehouse_db = create_database(admin_url, "parwh_topology")
    url = warehouse.with_database(admin_url, warehouse_db)
    metadata_url = warehouse.with_database(METADATA_ADMIN_URL, metadata_db)
    api_port, log_port = _free_port(), _free_port()
    queue = f"parwh_{secrets.token_hex(4)}"  # keeps this test's tasks apart from anyone else on the broker
    passwords = home / "passwords.json"
    passwords.write_text(json.dumps({"admin": ADMIN_PASSWORD}))
    env = airflow_env.airflow_environment(url, airflow_home=home / "airflow")
    env.update({
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url.replace("postgresql://", "postgresql+psycopg2://", 1),
        # Airflow would derive asyncpg, which the lock file does not carry; psycopg 3 speaks async too.
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC": metadata_url.replace("postgresql://",
                                                                          "postgresql+psycopg_async://", 1),
        "AIRFLOW__CELERY__BROKER_URL": REDIS_URL,
        "AIRFLOW__CELERY__RESULT_BACKEND": "db+" + metadata_url,
        "AIRFLOW__CELERY__WORKER_CONCURRENCY": "3",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(log_port),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "PARWH_LANDING_DIR": str(home / "landing"), "PARWH_ARCHIVE_DIR": str(home / "archive"),
        "PARWH_QUARANTINE_DIR": str(home / "quarantine"), "PARWH_SITE_DIR": str(home / "site"),
        "PARWH_LOCAL_DIR": str(home / "local"), "PARWH_PII_KEY": "topology-test-key", "PARWH_TASK_RETRIES": "0",
    })
    with psycopg.connect(url) as conn:
        from ingest.runtime import migrate

        migrate.migrate(conn)
    files = sample.generate(home / "landing", DOSSIERS, seed=11)
    subprocess.run([*airflow_env.airflow_command(), "db", "migrate"], env=env, check=True, capture_output=True,
                   timeout=900)
    topology = Topology(env, home)
    api = Api(f"http://127.0.0.1:{api_port}")
    try:
        topology.start("api-server", "api-server", "--port", str(api_port), "--host", "127.0.0.1")
        topology.start("scheduler", "scheduler")
        topology.start("dag-processor", "dag-processor")
        topology.start("celery-worker", "celery", "worker", "--queues", queue, "--concurrency", "3")
        api.token = api.wait_until(
            "the api-server to issue a token",
            lambda: api.call("POST", "/auth/token", {"username": "admin", "password": ADMIN_PASSWORD},
                             auth=False)["access_token"], STARTUP_SECONDS, topology)
        api.wait_until("the dag-processor to register warehouse_nightly",
                       lambda: api.call("GET", "/api/v2/dags/warehouse_nightly"), STARTUP_SECONDS, topology)
        slot = last_nightly_slot(datetime.now(UTC))
        run = api.call("POST", "/api/v2/dags/warehouse_nightly/dagRuns", {"logical_date": slot.isoformat()})
        api.call("PATCH", "/api/v2/dags/warehouse_nightly", {"is_paused": False})  # now the run may start
        path = f"/api/v2/dags/warehouse_nightly/dagRuns/{run['dag_run_id']}"
        started = time.monotonic()
        state = api.wait_for_run(path, topology)
        instances = api.task_instances(path)
        runs = api.call("GET", "/api/v2/dags/warehouse_nightly/dagRuns")["dag_runs"]
        yield {"url": url, "state": state, "instances": instances, "files": files, "home": home, "runs": runs,
               "as_of": schedule.as_of_date(slot),
               "seconds": time.monotonic() - started, "tails": topology.tails()}
    finally:
        topology.stop()
        drop_database(METADATA_ADMIN_URL, metadata_db)
        drop_database(admin_url, warehouse_db)


def test_the_nightly_succeeds_on_celery_through_the_rest_api(nightly_on_celery):
    failed = {ti["task_id"]: ti["state"] for ti in nightly_on_celery["instances"] if ti["state"] != "success"}
    assert nightly_on_celery["state"] == "success", f"failed tasks: {failed}\n{nightly_on_celery['tails']}"
    assert failed == {}
    ids = {ti["task_id"] for ti in nightly_on_celery["instances"]}
    assert {"prepare_warehouse", "ingest_landing_files", "source_freshness", "mart_gate", "publish_site"} <= ids
    assert {"dbt.fct_dossiers.run", "dbt.fct_dossiers.test"} <= ids
    assert len(ids) == len(nightly_on_celery["instances"]) > 100, "every task instance of the run, each once"
    assert {ti["hostname"] for ti in nightly_on_celery["instances"]} - {""}, "no task ran on a worker"
    assert len(nightly_on_celery["runs"]) == 1, "the scheduler added a run of its own"


def test_the_marts_hold_the_delivery(nightly_on_celery):
    with psycopg.connect(nightly_on_celery["url"]) as conn:
        loads = conn.execute("select count(*) filter (where status = 'loaded'), count(*) from audit.loads").fetchone()
        facts, as_of = conn.execute("select count(*), min(as_of_date)::text from marts.fct_dossiers").fetchone()
        nodes = conn.execute("select count(*) from audit.dbt_node_runs where status in ('error', 'fail')").fetchone()
    assert loads == (len(nightly_on_celery["files"]), len(nightly_on_celery["files"]))
    assert facts == DOSSIERS
    expected = nightly_on_celery["as_of"].isoformat()
    assert as_of == expected, "the run did not judge the marts at the day before its logical date (Vietnam)"
    assert nodes == (0,)
    assert (nightly_on_celery["home"] / "site" / "index.html").exists()
