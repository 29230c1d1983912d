"""`mlflowc models history` against a real server: the table and --json show the stage
transitions and alias moves the server recorded, --version narrows them, and the exit
codes say what went wrong (1 refused, 2 usage, 3 unreachable)."""

import json
import os
import subprocess

from conftest import free_local_port
from test_registry import ok


def run_cli(mlflowc_bin, *args, uri=None):
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    if uri:
        env["MLFLOW_TRACKING_URI"] = uri
    return subprocess.run([str(mlflowc_bin), "models", "history", *args], env=env,
                          capture_output=True, text=True, timeout=30)


def make_history(server):
    ok(server, "POST", "registered-models/create", {"name": "clf"})
    for _ in range(2):
        ok(server, "POST", "model-versions/create", {"name": "clf", "source": "s3://bucket/model"})
    headers = {"X-MLflow-User": "ann"}
    ok(server, "POST", "model-versions/transition-stage",
       {"name": "clf", "version": "1", "stage": "Production", "comment": "first"}, headers)
    ok(server, "POST", "model-versions/transition-stage",
       {"name": "clf", "version": "2", "stage": "Production", "archive_existing_versions": True}, headers)
    ok(server, "POST", "registered-models/alias", {"name": "clf", "alias": "champion", "version": "2"}, headers)


def test_table_json_and_version(server, mlflowc_bin):
    make_history(server)
    table = run_cli(mlflowc_bin, "clf", uri=server.url)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["EVENT", "TIME", "(UTC)", "VERSION"]
    assert len(lines) == 1 + 4
    assert "None -> Production" in lines[1] and "ann" in lines[1] and lines[1].rstrip().endswith("first")
    assert "Production -> Archived" in table.stdout
    assert "champion" in lines[4] and "(none) -> 2" in lines[4]

    as_json = run_cli(mlflowc_bin, "clf", "--json", "--tracking-uri", server.url)
    assert as_json.returncode == 0, as_json.stderr
    history = json.loads(as_json.stdout)["history"]
    assert [(e["version"], e["kind"], e.get("to")) for e in history] == [
        ("1", "stage", "Production"), ("1", "stage", "Archived"), ("2", "stage", "Production"),
        ("2", "alias", "2")]

    only_one = run_cli(mlflowc_bin, "clf", "--version", "1", "--json", uri=server.url)
    assert [e["version"] for e in json.loads(only_one.stdout)["history"]] == ["1", "1"]


def test_exit_codes(server, mlflowc_bin):
    ok(server, "POST", "registered-models/create", {"name": "quiet"})
    empty = run_cli(mlflowc_bin, "quiet", uri=server.url)
    assert empty.returncode == 0 and "no stage transitions" in empty.stdout

    missing = run_cli(mlflowc_bin, "nope", uri=server.url)
    assert missing.returncode == 1 and "RESOURCE_DOES_NOT_EXIST" in missing.stderr

    bad_version = run_cli(mlflowc_bin, "quiet", "--version", "x", uri=server.url)
    assert bad_version.returncode == 1 and "INVALID_PARAMETER_VALUE" in bad_version.stderr

    assert run_cli(mlflowc_bin, uri=server.url).returncode == 2
    assert run_cli(mlflowc_bin, "quiet", "--bogus", uri=server.url).returncode == 2

    down = run_cli(mlflowc_bin, "quiet", "--tracking-uri", f"http://127.0.0.1:{free_local_port()}")
    assert down.returncode == 3 and "cannot reach" in down.stderr
