"""The tracking calls of the C client library against the real server.

tests/blackbox/test_client_tracking_driver.c is compiled against
the libmlflowc.a beside the server under test (conftest.build_with_libmlflowc) and drives experiments, runs with
options, log_batch beyond MLflow's per-request limits, get/search/history,
attach/detach and delete/restore; it prints what it created and what the
library read back, and these tests compare both with the REST API. Also:
the reproducibility tags in a git work tree made here with /usr/bin/git,
and the atexit flush of a client the host never closed.
"""

import json
import os
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import build_with_libmlflowc

ORIGIN = "https://example.com/team/repro.git"


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    out = tmp_path_factory.mktemp("client-tracking") / "driver"
    return build_with_libmlflowc([Path(__file__).with_name("test_client_tracking_driver.c")], out)


def get(server, path, **query):
    url = f"{server.url}/api/2.0/mlflow/{path}?{urllib.parse.urlencode(query, doseq=True)}"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.load(resp)


def history(server, run_id, key):
    return get(server, "metrics/get-history", run_id=run_id, metric_key=key, max_results=25000).get("metrics", [])


def run_driver(driver, *args, cwd=None, env=None):
    done = subprocess.run([str(driver), *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def tags_of(run):
    return {t["key"]: t["value"] for t in run["data"].get("tags", [])}


def test_experiments_runs_batches_and_searches(server, driver):
    out = run_driver(driver, "tracking", server.url, "lib-tracking")
    exp_id = out["experiment_id"]

    # experiments: create with tags, duplicate refused, get by id and name, set = same id
    exp = get(server, "experiments/get", experiment_id=exp_id)["experiment"]
    assert {t["key"]: t["value"] for t in exp["tags"]} == {"team": "c", "purpose": "test"}
    assert (out["dup_result"], out["dup_error"]) == ("MLF_CLIENT_ERR_SERVER", "RESOURCE_ALREADY_EXISTS")
    assert out["by_id_name"] == "lib-tracking" and out["by_name_id"] == exp_id and out["set_id"] == exp_id
    assert out["by_id_tags"] == 2
    assert out["by_id_json"]["experiment"]["experiment_id"] == exp_id
    # renamed, deleted (set refuses it), found in a deleted-only search, restored
    assert exp["name"] == "lib-tracking-renamed" and exp["lifecycle_stage"] == "active"
    assert out["set_deleted"] == "MLF_CLIENT_ERR_INVALID"
    assert (out["search_deleted"], out["search_deleted_name"]) == (1, "lib-tracking-renamed")
    every = get(server, "experiments/search", max_results=1000, view_type="ALL")["experiments"]
    assert out["search_all"] == len(every)

    # the parent: explicit options; the child: default experiment, parent tag, big batch
    parent = get(server, "runs/get", run_id=out["parent_id"])["run"]
    child = get(server, "runs/get", run_id=out["child_id"])["run"]
    assert parent["info"]["run_name"] == "parent" and parent["info"]["status"] == "FINISHED"
    assert int(parent["info"]["start_time"]) == 1600000000000
    ptags = tags_of(parent)
    assert ptags["stage"] == "ci" and ptags["mlflow.note.content"] == "the parent"
    assert ptags["mlflow.source.type"] == "JOB"  # the caller's tag wins over the context tag
    assert parent["info"]["lifecycle_stage"] == "active"  # deleted, then restored
    assert out["open_deleted"] == "MLF_CLIENT_ERR_INVALID"

    assert child["info"]["experiment_id"] == exp_id  # the default experiment of mlf_experiment_set
    assert child["info"]["status"] == "FAILED"
    ctags = tags_of(child)
    assert ctags["mlflow.parentRunId"] == out["parent_id"]
    assert {f"bt{i}" for i in range(250)} <= ctags.keys()
    params = {p["key"]: p["value"] for p in child["data"]["params"]}
    assert params == {**{f"bp{i}": f"bp{i}" for i in range(150)}, "after": "open"}
    for k in range(3):
        got = sorted((int(p["step"]), int(p["timestamp"]), p["value"]) for p in history(server, out["child_id"], f"bm{k}"))
        assert got == [(i // 3, 1700000000000 + i, i * 0.5) for i in range(k, 2500, 3)]
    late = history(server, out["child_id"], "late")
    assert [(p["value"], int(p["step"])) for p in late] == [(7.5, 3)]  # logged after open, flushed by detach

    # what the library read back equals the REST answer
    assert out["got"] == {"status": "FAILED", "experiment_id": exp_id, "run_name": "child", "n_params": 151,
                          "n_metrics": 4, "parent_tag": out["parent_id"], "end_time": int(child["info"]["end_time"])}
    assert out["got_json"]["run"]["info"] == child["info"]
    assert sorted(m["key"] for m in out["got_json"]["run"]["data"]["metrics"]) == ["bm0", "bm1", "bm2", "late"]

    # search: all pages sorted by name, one page + token, a filter
    assert out["all_names"] == ["child", "parent"] and out["all_count"] == 2
    assert (out["page1"], out["page1_token"], out["page2"]) == ("child", True, "parent")
    assert (out["hit"], out["hit_id"]) == (1, out["child_id"])
    bm1 = history(server, out["child_id"], "bm1")
    assert out["hist_count"] == len(bm1) == 833
    assert out["hist_sum"] == sum(p["value"] for p in bm1)


def test_history_of_several_pages(server, driver):
    out = run_driver(driver, "history", server.url)
    points, token, pages = [], None, 0
    while True:  # what the server holds, page by page
        query = {"run_id": out["run_id"], "metric_key": "long", "max_results": 25000}
        if token:
            query["page_token"] = token
        page = get(server, "metrics/get-history", **query)
        points += page.get("metrics", [])
        pages += 1
        token = page.get("next_page_token")
        if not token:
            break
    assert pages >= 2 and len(points) == 30000
    assert (out["count"], out["in_order"]) == (30000, True)
    assert out["sum"] == sum(p["value"] for p in points) == sum(i * 0.5 for i in range(30000))


def test_threads_share_one_client(server, driver):
    out = run_driver(driver, "threads", server.url)
    experiments = get(server, "experiments/search", max_results=100, filter="name = 'threads'")["experiments"]
    assert len(experiments) == 1  # four concurrent set_experiment calls made one experiment
    assert len({r["run_id"] for r in out["runs"]}) == 4
    for i, r in enumerate(out["runs"]):
        assert (r["metrics"], r["found"], r["history"]) == (2, 1, 500)
        run = get(server, "runs/get", run_id=r["run_id"])["run"]
        assert run["info"]["experiment_id"] == experiments[0]["experiment_id"]
        assert run["info"]["status"] == "FINISHED" and tags_of(run)["worker"] == f"w{i}"
        assert {p["key"]: p["value"] for p in run["data"]["params"]} == {f"p{k}": f"w{i}" for k in range(20)}
        assert len(history(server, r["run_id"], "batch")) == 300


def git(cwd, *args):
    subprocess.run(["/usr/bin/git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   cwd=cwd, check=True, capture_output=True)


def test_reproducibility_tags_in_a_git_work_tree(server, driver, tmp_path):
    if not Path("/usr/bin/git").exists():
        pytest.skip("no /usr/bin/git")
    work = tmp_path / "work"
    (work / "src").mkdir(parents=True)
    git(work, "init", "-q", "-b", "trunk")
    git(work, "remote", "add", "origin", ORIGIN)
    (work / "f").write_text("x")
    git(work, "add", "f")
    git(work, "commit", "-qm", "one")
    head = subprocess.run(["/usr/bin/git", "rev-parse", "HEAD"], cwd=work, check=True, capture_output=True,
                          text=True).stdout.strip()
    env = {**os.environ, "LOGNAME": "repro-user"}
    env.pop("MLFLOW_TRACKING_USERNAME", None)
    out = run_driver(driver, "context", server.url, cwd=work / "src", env=env)

    plain = get(server, "runs/get", run_id=out["plain"])["run"]
    tags = tags_of(plain)
    assert tags["mlflow.user"] == "repro-user" and plain["info"]["user_id"] == "repro-user"
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.source.name"] == str(driver)
    assert tags["mlflow.source.git.commit"] == head
    assert tags["mlflow.source.git.branch"] == "trunk"
    assert tags["mlflow.source.git.repoURL"] == ORIGIN and tags["mlflow.gitRepoURL"] == ORIGIN
    assert tags["mlflowc.client"].startswith("libmlflowc ") and "; host " in tags["mlflowc.client"]

    given_run = get(server, "runs/get", run_id=out["with"])["run"]
    given = tags_of(given_run)
    assert given["mlflow.user"] == "given-user"  # the caller's value is kept
    assert given_run["info"]["user_id"] == "given-user"
    assert given["mlflow.source.git.commit"] == head

    bare = tags_of(get(server, "runs/get", run_id=out["without"])["run"])
    assert not any(k.startswith(("mlflow.source", "mlflow.user", "mlflow.git", "mlflowc.")) for k in bare)


@pytest.mark.parametrize("mode", ["exit", "fork"])
def test_points_queued_before_exit_are_flushed(server, driver, mode):
    # fork: the child inherits the client list but not the sender thread; its exit must
    # skip the parent's client (else it waits forever: run_driver's timeout) and the
    # parent's exit still sends every point, once
    env = dict(os.environ)
    if mode == "fork":  # LeakSanitizer in the child cannot see the stack of the parent's sender thread
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    out = run_driver(driver, mode, server.url, env=env)
    points = history(server, out["run_id"], "at_exit")
    assert sorted((int(p["step"]), p["value"]) for p in points) == [(i, float(i)) for i in range(5000)]
