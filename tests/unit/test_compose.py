"""docker-compose.yml checked statically (no Docker engine here): structure, pinned images,
paths that exist, and every variable documented in .env.example without a secret value."""

from __future__ import annotations

import re

import yaml

from ingest.settings import paths

ROOT = paths().root
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
ENV_EXAMPLE = (ROOT / ".env.example").read_text(encoding="utf-8")
AIRFLOW_ROLES = {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer",
                 "airflow-worker", "airflow-init"}


def test_the_production_topology_is_complete():
    services = COMPOSE["services"]
    assert AIRFLOW_ROLES <= set(services)
    assert {"redis", "airflow-db", "warehouse-db"} <= set(services)
    commands = {name: str(services[name].get("command", "")) for name in AIRFLOW_ROLES}
    assert commands["airflow-worker"] == "celery worker"
    assert "db migrate" in commands["airflow-init"]


def test_every_image_is_pinned_to_a_version():
    for name, service in COMPOSE["services"].items():
        image = service.get("image")
        if image is None:
            assert "build" in service, f"{name} has neither image nor build"
            continue
        assert re.fullmatch(r"[\w./-]+:[\w.-]*\d[\w.-]*", image), f"{name}: image {image!r} is not pinned"
        assert not image.endswith(":latest")
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    # Which Python the image runs is checked against the supported ones in test_python_versions.py.
    assert re.search(r"^FROM apache/airflow:3\.3\.\d+-python3\.\d+$", dockerfile, re.M)


def test_every_path_referenced_exists():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                if not source.startswith("--"):
                    assert (ROOT / source).exists(), f"Dockerfile copies missing {source}"
    for name, service in COMPOSE["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                # landing/, archive/, quarantine/, site/ are created by the project at run time
                assert source[2:] in {"landing", "archive", "quarantine", "site"}, f"{name}: unknown path {source}"


def test_every_variable_is_documented_without_a_secret_value():
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", (ROOT / "docker-compose.yml").read_text(encoding="utf-8")))
    documented = dict(re.findall(r"^([A-Z0-9_]+)=(.*)$", ENV_EXAMPLE, re.M))
    assert used <= set(documented), f"undocumented variables: {used - set(documented)}"
    for name, value in documented.items():
        assert value == "", f".env.example gives {name} a value; it must stay empty (no secrets in git)"
        comment = re.search(rf"((?:^#.*\n)+){name}=", ENV_EXAMPLE, re.M)
        assert comment, f"{name} has no comment explaining it"


def test_the_init_service_migrates_and_creates_the_admin_user_before_the_rest():
    services = COMPOSE["services"]
    init = str(services["airflow-init"]["command"])
    assert "airflow db migrate" in init and "parwh warehouse start" in init
    assert "ingest.runtime.airflow_env admin-user" in init
    for name in AIRFLOW_ROLES - {"airflow-init"}:
        assert services[name]["depends_on"]["airflow-init"] == {"condition": "service_completed_successfully"}
    environment = services["airflow-apiserver"]["environment"]
    assert environment["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == "admin:admin"
    assert "airflow-auth:/opt/airflow/auth" in services["airflow-apiserver"]["volumes"]


def test_the_admin_user_command_writes_the_password_file(tmp_path):
    import json
    import subprocess
    import sys

    target = tmp_path / "auth" / "passwords.json"
    env = {"PATH": "/usr/bin:/bin", "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(target)}
    command = [sys.executable, "-m", "ingest.runtime.airflow_env", "admin-user"]
    short = subprocess.run(command, env={**env, "AIRFLOW_ADMIN_PASSWORD": "short"}, capture_output=True, text=True,
                           cwd=ROOT)
    assert short.returncode == 2 and "at least 12 characters" in short.stderr and "Traceback" not in short.stderr
    done = subprocess.run(command, env={**env, "AIRFLOW_ADMIN_PASSWORD": "a-long-enough-secret"}, capture_output=True,
                          text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(target.read_text()) == {"admin": "a-long-enough-secret"}
    assert target.stat().st_mode & 0o077 == 0
