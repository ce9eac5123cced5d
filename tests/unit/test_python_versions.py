"""The supported Python versions: the Makefile's PYTHONS is the list, and pyproject.toml, the lock,
the Dockerfile and the README agree with it; `make install` picks the newest that runs, or says in
one line what to install."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from pathlib import Path

from ingest.settings import PROJECT_ROOT

MAKEFILE = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
SUPPORTED = re.search(r"^PYTHONS := (.+)$", MAKEFILE, re.M).group(1).split()


def _minor(version: str) -> int:
    major, minor = version.split(".")
    assert major == "3", version
    return int(minor)


def test_the_list_is_newest_first_without_gaps():
    minors = [_minor(v) for v in SUPPORTED]
    assert minors == list(range(minors[0], minors[-1] - 1, -1)), SUPPORTED


def test_pyproject_requires_the_same_versions():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    newest, oldest = _minor(SUPPORTED[0]), _minor(SUPPORTED[-1])
    assert project["requires-python"] == f">=3.{oldest},<3.{newest + 1}"


def test_the_lock_holds_for_every_supported_version():
    # Compiled for one version, the lock misses what another needs (libcst wants pyyaml-ft on 3.13)
    # and `make install`, which resolves nothing beyond the lock, fails its `uv pip check`.
    header = (PROJECT_ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()[:3]
    command = next(line for line in header if "uv pip compile" in line)
    assert "--universal" in command and "--python-version" not in command, command


def test_the_image_and_the_readme_name_supported_versions():
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text(encoding="utf-8")
    image_python = re.search(r"^FROM apache/airflow:[\d.]+-python(3\.\d+)$", dockerfile, re.M).group(1)
    assert image_python in SUPPORTED
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    commands = readme[readme.index("## Two commands"):readme.index("## What you get")]
    assert all(re.search(rf"\b{re.escape(v)}\b", commands) for v in SUPPORTED), commands[:400]


def _fake_python(folder: Path, name: str, version: str | None) -> None:
    """An interpreter that reports `version` (None: fails to run, as a pyenv shim of a version pyenv
    has not selected) and, asked anything else (make a venv, install uv), writes its name to `asked`
    beside itself and fails."""
    script = folder / name
    if version is None:
        script.write_text("#!/bin/sh\nexit 127\n")
    else:
        script.write_text(
            "#!/bin/sh\n"
            f'case "$*" in *print*) echo "{version} $0" ;; '
            f'*) echo {name} > "$(dirname "$0")/asked"; exit 1 ;; esac\n')
    script.chmod(0o755)


def _make_install(tmp_path: Path, pythons: dict[str, str | None], *args: str) -> subprocess.CompletedProcess:
    fakes = tmp_path / "bin"
    fakes.mkdir(exist_ok=True)
    for name, version in pythons.items():
        _fake_python(fakes, name, version)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHON", "VENV", "MAKEFLAGS", "MAKELEVEL"}}
    env["PATH"] = f"{fakes}{os.pathsep}{env['PATH']}"
    return subprocess.run(["make", "-s", "-C", str(PROJECT_ROOT), "install", f"VENV={tmp_path / 'venv'}", *args],
                          env=env, capture_output=True, text=True, timeout=60)


def test_make_install_picks_the_newest_python_that_runs(tmp_path):
    # python3.13 does not run, python3.12 is not there (a shim that fails), python3 is the newest.
    proc = _make_install(tmp_path, {"python3.13": None, "python3.12": None, "python3.11": "3.11", "python3": "3.12"})
    assert proc.returncode != 0  # the fake cannot make a venv
    assert (tmp_path / "bin" / "asked").read_text().split() == ["python3"], proc.stderr


def test_make_install_without_a_supported_python_says_what_to_install(tmp_path):
    proc = _make_install(tmp_path, {"python3.13": None, "python3.12": None, "python3.11": None, "python3": "3.10"})
    assert proc.returncode == 2
    said = [line for line in proc.stderr.splitlines() if not line.startswith("make")]
    assert len(said) == 1, proc.stderr
    assert said[0].startswith(f"no Python {' '.join(SUPPORTED)} runs here") and "apt-get install" in said[0]
    assert "uv python install" in said[0]
    assert not (tmp_path / "venv").exists() and not (tmp_path / "bin" / "asked").exists()


def test_make_install_refuses_an_unsupported_python_given_by_name(tmp_path):
    proc = _make_install(tmp_path, {"python3.10": "3.10"}, "PYTHON=python3.10")
    assert proc.returncode == 2
    assert "PYTHON=python3.10 does not run as Python" in proc.stderr
    assert not (tmp_path / "venv").exists()


def _venv_of(tmp_path: Path, version: str) -> Path:
    """A made venv whose python reports `version`, its install stamp newer than the lock."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(f"version = {version}\n")
    _fake_python(venv / "bin", "python", version)
    (venv / "bin" / ".installed").touch()
    return venv


def test_make_install_makes_the_venv_anew_when_python_names_another_version(tmp_path):
    venv = _venv_of(tmp_path, "3.11")
    proc = _make_install(tmp_path, {"python3.12": "3.12"}, "PYTHON=python3.12")
    assert (tmp_path / "bin" / "asked").read_text().split() == ["python3.12"], proc.stderr
    assert not (venv / "bin" / ".installed").exists()


def test_make_install_keeps_the_venv_of_the_same_version(tmp_path):
    venv = _venv_of(tmp_path, "3.12")
    proc = _make_install(tmp_path, {"python3.13": "3.13", "python3.12": "3.12"}, "PYTHON=python3.12")
    assert proc.returncode == 0 and (venv / "bin" / ".installed").exists(), proc.stderr
    # Without PYTHON, a lock newer than the venv is installed into it, not into one of the newer
    # Python on PATH (the fake venv python then fails at installing uv).
    os.utime(venv / "bin" / ".installed", (0, 0))
    proc = _make_install(tmp_path, {"python3.13": "3.13", "python3.12": "3.12"})
    assert (venv / "bin" / "asked").read_text().split() == ["python"], proc.stderr
    assert not (tmp_path / "bin" / "asked").exists()
