"""What the nightly's cosmos WATCHER task group needs beyond cosmos 1.15 (not a DAG file: it defines no DAG).

A test with two parents (a relationships test) is its own task, a test sensor watching the XCom
key `<test>_tests_status` of the producer (`dbt build`). Cosmos only publishes that key per
model (the aggregate of the model's tests), never per test, so such a sensor would wait until
its timeout. `publish_detached_test_results`, called by the producer once its `dbt build` has
ended (a cosmos callback, successful build or not), publishes it from the build's own artifacts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Test statuses the sensor takes as a pass; anything else (fail, error, skipped because a parent
# failed) is a failure, so the task fails and its retry runs the test itself.
PASSING = frozenset({"pass", "warn", "success"})


def detached_test_statuses(target: Path) -> dict[str, str]:
    """'pass' or 'fail' of every test with more than one parent in the build's target/ folder."""
    results_file, manifest_file = target / "run_results.json", target / "manifest.json"
    if not results_file.exists() or not manifest_file.exists():
        return {}
    nodes = json.loads(manifest_file.read_text(encoding="utf-8"))["nodes"]
    detached = {uid for uid, node in nodes.items()
                if node.get("resource_type") == "test" and len(node.get("depends_on", {}).get("nodes", [])) > 1}
    results = json.loads(results_file.read_text(encoding="utf-8"))["results"]
    return {r["unique_id"]: "pass" if r.get("status") in PASSING else "fail"
            for r in results if r["unique_id"] in detached}


def publish_detached_test_results(project_dir: str, context: dict[str, Any] | None = None, **_: Any) -> None:
    """cosmos callback of the producer task: one `<test>_tests_status` XCom per detached test."""
    from cosmos.operators._watcher.aggregation import get_tests_status_xcom_key
    from cosmos.operators._watcher.state import safe_xcom_push

    if context is None:
        return
    for unique_id, status in detached_test_statuses(Path(project_dir) / "target").items():
        # safe_xcom_push also keeps the value in the producer's retry backup (restored on its retry).
        safe_xcom_push(task_instance=context["ti"], key=get_tests_status_xcom_key(unique_id), value=status)
