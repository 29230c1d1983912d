"""`mlflowc experiments` and `mlflowc runs` against a real server.

A CI-style flow (create an experiment, create a run, log params, metrics and
tags from separate invocations, end it, then list, search, describe, read
the history and export CSV) where every step is checked through the REST
API, the --json output is parsed, and the error cases give the documented
exit codes and name the problem: 1 the server refused, 2 bad usage, 3 the
server cannot be reached.
"""

import csv
import io
import json
import os
import subprocess
import urllib.parse
import urllib.request

import pytest


def get(server, path, **query):
    url = f"{server.url}/api/2.0/mlflow/{path}?{urllib.parse.urlencode(query, doseq=True)}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.load(resp)


@pytest.fixture
def cli(mlflowc_bin, server, tmp_path):
    """Runs `mlflowc ARGS` against the server (via --tracking-uri unless told not to)."""
    def run(*args, expect=0, uri=True, env=None):
        argv = [str(mlflowc_bin), *args]
        if uri:
            argv += ["--tracking-uri", server.url]
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        full_env.update(env or {})
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, cwd=tmp_path, env=full_env)
        assert done.returncode == expect, (args, done.returncode, done.stdout, done.stderr)
        return done
    return run


def tags_of(run):
    return {t["key"]: t["value"] for t in run["data"].get("tags", [])}


def test_ci_flow(cli, server, tmp_path):
    out = cli("experiments", "create", "--experiment-name", "ci-pipeline", "-l", str(tmp_path / "art"),
              "--tag", "team=ml").stdout
    exp_id = out.split()[-1]
    exp = get(server, "experiments/get", experiment_id=exp_id)["experiment"]
    assert exp["name"] == "ci-pipeline" and exp["artifact_location"].endswith("/art")
    assert {t["key"]: t["value"] for t in exp["tags"]} == {"team": "ml"}

    run_id = cli("runs", "create", "--experiment-name", "ci-pipeline", "--run-name", "build-42",
                 "-t", "commit=abc123", "--tag", "branch=main", "--tags", "os=linux").stdout.strip()
    assert len(run_id) == 32
    parent = run_id
    child = cli("runs", "create", "--experiment-id", exp_id, "--parent-run-id", parent,
                "--description", "child step", "--no-context-tags").stdout.strip()

    cli("runs", "log-param", "--run-id", run_id, "--key", "lr", "--value", "0.01")
    cli("runs", "log-param", "--run-id", run_id, "-k", "layers", "-v", "3")
    for step, value in enumerate([0.9, 0.5, 0.25]):
        cli("runs", "log-metric", "--run-id", run_id, "--key", "loss", "--value", str(value), "--step", str(step),
            "--timestamp", str(1700000000000 + step))
    cli("runs", "log-metric", "--run-id", run_id, "--key", "acc", "--value", "0.75")
    cli("runs", "set-tag", "--run-id", run_id, "--key", "deployed", "--value", "no")
    cli("runs", "end", "--run-id", run_id)
    cli("runs", "end", "--run-id", child, "--status", "FAILED")

    run = get(server, "runs/get", run_id=run_id)["run"]
    assert run["info"]["status"] == "FINISHED" and run["info"]["run_name"] == "build-42"
    assert run["info"]["experiment_id"] == exp_id and int(run["info"]["end_time"]) > 0
    assert {p["key"]: p["value"] for p in run["data"]["params"]} == {"lr": "0.01", "layers": "3"}
    assert {m["key"]: m["value"] for m in run["data"]["metrics"]} == {"loss": 0.25, "acc": 0.75}
    tags = tags_of(run)
    assert (tags["commit"], tags["branch"], tags["os"], tags["deployed"]) == ("abc123", "main", "linux", "no")
    assert tags["mlflow.source.type"] == "LOCAL" and tags["mlflow.source.name"].endswith("mlflowc")
    assert tags["mlflowc.client"].startswith("libmlflowc ")
    history = get(server, "metrics/get-history", run_id=run_id, metric_key="loss")["metrics"]
    assert sorted((int(p["step"]), int(p["timestamp"]), p["value"]) for p in history) == \
        [(0, 1700000000000, 0.9), (1, 1700000000001, 0.5), (2, 1700000000002, 0.25)]

    child_run = get(server, "runs/get", run_id=child)["run"]
    ctags = tags_of(child_run)
    assert child_run["info"]["status"] == "FAILED"
    assert ctags["mlflow.parentRunId"] == parent and ctags["mlflow.note.content"] == "child step"
    assert "mlflow.user" not in ctags and "mlflow.source.name" not in ctags

    # list: table and JSON
    table = cli("runs", "list", "--experiment-id", exp_id).stdout
    assert table.splitlines()[0].split() == ["Date", "Name", "ID", "Status", "Experiment"]
    assert run_id in table and child in table and "build-42" in table
    listed = json.loads(cli("runs", "list", "--experiment-id", exp_id, "--json").stdout)
    assert sorted(r["info"]["run_id"] for r in listed["runs"]) == sorted([run_id, child])

    # search with filter and order, JSON equals the REST answer's runs
    found = json.loads(cli("runs", "search", "--experiment-ids", exp_id, "--filter", "metrics.loss < 0.3",
                           "--order-by", "attributes.start_time DESC", "--json").stdout)
    assert [r["info"]["run_id"] for r in found["runs"]] == [run_id]
    rest = get(server, "runs/get", run_id=run_id)["run"]
    assert found["runs"][0]["info"] == rest["info"]
    assert sorted(found["runs"][0]["data"]["params"], key=lambda p: p["key"]) == \
        sorted(rest["data"]["params"], key=lambda p: p["key"])
    page = json.loads(cli("runs", "search", "--experiment-ids", f"0,{exp_id}", "--order-by", "attributes.run_name ASC",
                          "--max-results", "1", "--json").stdout)
    assert len(page["runs"]) == 1 and page["next_page_token"]
    rest_page = cli("runs", "search", "--experiment-ids", exp_id, "--order-by", "attributes.run_name ASC",
                    "--max-results", "1", "--page-token", page["next_page_token"], "--json").stdout
    assert len(json.loads(rest_page)["runs"]) == 1

    # describe: table and JSON
    described = cli("runs", "describe", "--run-id", run_id).stdout
    assert "params.lr" in described and "0.01" in described and "metrics.loss" in described
    assert json.loads(cli("runs", "describe", "--run-id", run_id, "--json").stdout)["run"]["info"] == rest["info"]

    # history
    hist_table = cli("runs", "history", "--run-id", run_id, "--key", "loss").stdout.splitlines()
    assert hist_table[0].split() == ["Step", "Timestamp", "Value"] and len(hist_table) == 4
    hist = json.loads(cli("runs", "history", "--run-id", run_id, "--key", "loss", "--json").stdout)
    assert [m["value"] for m in sorted(hist["metrics"], key=lambda m: m["step"])] == [0.9, 0.5, 0.25]
    assert json.loads(cli("runs", "get-metric-history", "--run-id", run_id, "--metric-key", "loss", "--json").stdout) \
        == hist

    # experiments: search, get, csv
    listing = cli("experiments", "search").stdout
    assert "ci-pipeline" in listing and "Default" in listing
    searched = json.loads(cli("experiments", "search", "--filter", "name = 'ci-pipeline'", "--json").stdout)
    assert [e["experiment_id"] for e in searched["experiments"]] == [exp_id]
    got = json.loads(cli("experiments", "get", "--experiment-name", "ci-pipeline", "--output", "json").stdout)
    assert got["experiment"]["experiment_id"] == exp_id
    assert "tags.team" in cli("experiments", "get", "-x", exp_id).stdout

    cli("experiments", "csv", "-x", exp_id, "-o", str(tmp_path / "runs.csv"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "runs.csv").read_text())))
    by_id = {r["run_id"]: r for r in rows}
    assert set(by_id) == {run_id, child}
    row = by_id[run_id]
    assert (row["status"], row["params.lr"], row["metrics.loss"], row["tags.commit"]) == ("FINISHED", "0.01", "0.25",
                                                                                         "abc123")
    assert row["experiment_id"] == exp_id and row["start_time"].endswith("+00:00")
    assert by_id[child]["params.lr"] == "" and by_id[child]["tags.mlflow.parentRunId"] == parent
    header = next(csv.reader(io.StringIO(cli("experiments", "csv", "-x", exp_id).stdout)))
    assert header[:6] == ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    assert header.index("metrics.acc") < header.index("metrics.loss") < header.index("params.layers")

    # rename, delete (runs follow), restore
    cli("experiments", "rename", "-x", exp_id, "--new-name", "ci-renamed")
    assert get(server, "experiments/get", experiment_id=exp_id)["experiment"]["name"] == "ci-renamed"
    cli("runs", "delete", "--run-id", child)
    assert get(server, "runs/get", run_id=child)["run"]["info"]["lifecycle_stage"] == "deleted"
    deleted = json.loads(cli("runs", "list", "--experiment-id", exp_id, "-v", "deleted_only", "--json").stdout)
    assert [r["info"]["run_id"] for r in deleted["runs"]] == [child]
    everything = json.loads(cli("runs", "search", "--experiment-ids", exp_id, "--view-type", "ALL", "--json").stdout)
    assert sorted(r["info"]["run_id"] for r in everything["runs"]) == sorted([run_id, child])
    cli("runs", "restore", "--run-id", child)
    assert get(server, "runs/get", run_id=child)["run"]["info"]["lifecycle_stage"] == "active"
    cli("experiments", "delete", "--experiment-id", exp_id)
    assert get(server, "experiments/get", experiment_id=exp_id)["experiment"]["lifecycle_stage"] == "deleted"
    assert "ci-renamed" in cli("experiments", "search", "--view", "deleted_only").stdout
    assert "ci-renamed" not in cli("experiments", "search").stdout
    cli("experiments", "restore", "--experiment-id", exp_id)
    assert get(server, "experiments/get", experiment_id=exp_id)["experiment"]["lifecycle_stage"] == "active"


def test_environment_tracking_uri_and_experiment(cli, server):
    env = {"MLFLOW_TRACKING_URI": server.url}
    exp_id = json.loads(cli("experiments", "create", "-n", "env-exp", "--json", uri=False, env=env).stdout)[
        "experiment_id"]
    run_id = cli("runs", "create", uri=False, env={**env, "MLFLOW_EXPERIMENT_ID": exp_id}).stdout.strip()
    assert get(server, "runs/get", run_id=run_id)["run"]["info"]["experiment_id"] == exp_id
    listed = json.loads(cli("runs", "list", "--json", uri=False, env={**env, "MLFLOW_EXPERIMENT_ID": exp_id}).stdout)
    assert [r["info"]["run_id"] for r in listed["runs"]] == [run_id]


def test_refused_by_the_server_is_exit_1_with_the_message(cli):
    unknown = "0123456789abcdef0123456789abcdef"
    for args in (["runs", "describe", "--run-id", unknown],
                 ["runs", "log-param", "--run-id", unknown, "--key", "a", "--value", "b"],
                 ["runs", "log-metric", "--run-id", unknown, "--key", "a", "--value", "1"],
                 ["runs", "end", "--run-id", unknown]):
        done = cli(*args, expect=1)
        assert "RESOURCE_DOES_NOT_EXIST" in done.stderr and unknown in done.stderr, done.stderr
    cli("experiments", "create", "-n", "twice")
    assert "RESOURCE_ALREADY_EXISTS" in cli("experiments", "create", "-n", "twice", expect=1).stderr
    assert "RESOURCE_DOES_NOT_EXIST" in cli("experiments", "get", "-n", "no-such", expect=1).stderr
    assert "INVALID_PARAMETER_VALUE" in cli("runs", "search", "--experiment-ids", "0", "--filter", "bad ((",
                                            expect=1).stderr
    run_id = cli("runs", "create", "--experiment-id", "0").stdout.strip()
    cli("runs", "log-param", "--run-id", run_id, "--key", "p", "--value", "1")
    changed = cli("runs", "log-param", "--run-id", run_id, "--key", "p", "--value", "2", expect=1)
    assert "INVALID_PARAMETER_VALUE" in changed.stderr


def test_bad_usage_is_exit_2(cli):
    cases = [
        (["runs"], "usage: mlflowc runs"),
        (["runs", "frobnicate"], "unknown command 'frobnicate'"),
        (["runs", "create", "--bogus"], "unknown option '--bogus'"),
        (["runs", "log-param", "--key", "a", "--value", "b"], "--run-id is required"),
        (["runs", "log-metric", "--run-id", "x", "--key", "a", "--value", "fast"], "--value needs a number"),
        (["runs", "log-metric", "--run-id", "x", "--key", "a", "--value", "1", "--step", "1.5"],
         "--step needs an integer"),
        (["runs", "end", "--run-id", "x", "--status", "DONE"], "--status must be"),
        (["runs", "create", "--tag", "novalue"], "a tag is key=value"),
        (["runs", "create", "-t", "a=1", "--tags", "a=2"], "tag 'a' is given twice"),
        (["runs", "create", "--experiment-id", "0", "--experiment-name", "x"], "not both"),
        (["runs", "search"], "--experiment-ids is required"),
        (["runs", "list"], "--experiment-id is required"),
        (["runs", "list", "--experiment-id", "0", "--view", "some"], "--view must be"),
        (["experiments", "create"], "--experiment-name is required"),
        (["experiments", "get"], "--experiment-id or --experiment-name"),
        (["experiments", "rename", "-x", "0"], "--new-name is required"),
        (["experiments", "search", "--max-results", "many"], "needs a number"),
    ]
    for args, message in cases:
        done = cli(*args, expect=2)
        assert message in done.stderr, (args, done.stderr)
    help_text = cli("runs", "create", "--help").stdout
    assert "--experiment-name" in help_text and "--tag" in help_text and "--tracking-uri" in help_text


def test_unreachable_server_is_exit_3(mlflowc_bin, tmp_path):
    from conftest import free_local_port
    uri = f"http://127.0.0.1:{free_local_port()}"
    for args in (["experiments", "search"], ["runs", "describe", "--run-id", "x"]):
        done = subprocess.run([str(mlflowc_bin), *args, "--tracking-uri", uri], capture_output=True, text=True,
                              timeout=120, cwd=tmp_path)
        assert done.returncode == 3, done.stderr
        assert "127.0.0.1" in done.stderr


def test_local_store_without_a_server(mlflowc_bin, tmp_path):
    """sqlite:// tracking URIs run the store inside the CLI process: a CI job needs no server."""
    uri = f"sqlite:///{tmp_path}/local.db"

    def run(*args):
        done = subprocess.run([str(mlflowc_bin), *args, "--tracking-uri", uri], capture_output=True, text=True,
                              timeout=60, cwd=tmp_path)
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    exp_id = json.loads(run("experiments", "create", "-n", "offline", "--json"))["experiment_id"]
    run_id = run("runs", "create", "--experiment-id", exp_id, "--run-name", "offline-1").strip()
    run("runs", "log-param", "--run-id", run_id, "--key", "lr", "--value", "0.5")
    run("runs", "log-metric", "--run-id", run_id, "--key", "loss", "--value", "1.5", "--step", "1")
    run("runs", "end", "--run-id", run_id, "--status", "KILLED")
    described = json.loads(run("runs", "describe", "--run-id", run_id, "--json"))["run"]
    assert described["info"]["status"] == "KILLED" and described["info"]["run_name"] == "offline-1"
    assert described["data"]["params"] == [{"key": "lr", "value": "0.5"}]
    assert [(m["key"], m["value"], m["step"]) for m in described["data"]["metrics"]] == [("loss", 1.5, 1)]
    listed = json.loads(run("runs", "list", "--experiment-id", exp_id, "--json"))["runs"]
    assert [r["info"]["run_id"] for r in listed] == [run_id]
