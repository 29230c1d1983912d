"""Tracking writes through two servers sharing one PostgreSQL database, at the same time:
what SQLite gets from its single writer, the PostgreSQL store must get from constraints and
row locks. Experiment names stay unique under concurrent creates, every acknowledged metric
point is kept with the right latest value, a param keeps its first value, and a run created
while its experiment is being deleted ends up deleted with it. Runs only when the servers'
store is PostgreSQL (MLF_TEST_STORE_URI=postgresql://...); two servers on one SQLite file
are not a deployment mlflowc offers."""

import http.client
import json
import os
import threading
from urllib.parse import urlsplit

import pytest

import conftest

THREADS_PER_SERVER = 4


def _store_is_postgresql():
    return (os.environ.get(conftest.STORE_URI_ENV) or "").startswith(("postgresql", "postgres:"))


class Api:
    def __init__(self, url):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    def call(self, method, endpoint, body=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, f"/api/2.0/mlflow/{endpoint}",
                         body=json.dumps(body) if body is not None else None, headers=headers)
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"{}")
        finally:
            conn.close()

    def ok(self, method, endpoint, body=None):
        status, data = self.call(method, endpoint, body)
        assert status == 200, (endpoint, body, status, data)
        return data


@pytest.fixture
def replicas(mlflowc_bin, tmp_path):
    """Two servers on one database (the store of tmp_path) and one artifact root."""
    if not _store_is_postgresql():
        pytest.skip("needs MLF_TEST_STORE_URI=postgresql://...: servers sharing one database")
    uri = conftest.store_uri(tmp_path)
    running = []
    try:
        for name in ("a", "b"):
            log_dir = tmp_path / name
            log_dir.mkdir()
            port = conftest.free_local_port()
            command = [mlflowc_bin, "server", "--backend-store-uri", uri,
                       "--artifacts-destination", tmp_path / "artifacts",
                       "--host", "127.0.0.1", "--port", str(port)]
            running.append(conftest.launch_server(command, port, tmp_path, log_dir=log_dir))
        yield [Api(s.url) for s in running]
    finally:
        for s in running:
            conftest.stop_server(s)


def _in_parallel(jobs):
    """Runs every job (a no-argument function) on its own thread; returns their results in
    order, re-raising the first exception."""
    results, errors = [None] * len(jobs), []

    def work(i):
        try:
            results[i] = jobs[i]()
        except BaseException as e:  # noqa: BLE001 - handed to the test thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request never finished"
    if errors:
        raise errors[0]
    return results


def _all_experiments(api):
    names, token = [], None
    for _ in range(100):
        body = {"max_results": 1000, "view_type": "ALL"}
        if token:
            body["page_token"] = token
        page = api.ok("POST", "experiments/search", body)
        names += [(e["name"], e["experiment_id"]) for e in page.get("experiments", [])]
        token = page.get("next_page_token")
        if not token:
            return names
    raise AssertionError("experiments/search never ended")


def test_concurrent_creates_of_one_name_leave_one_experiment(replicas):
    names = [f"race-{i}" for i in range(6)]

    def create(api, name):
        return lambda: api.call("POST", "experiments/create", {"name": name})

    jobs = [create(api, name) for name in names for api in replicas for _ in range(THREADS_PER_SERVER)]
    answers = _in_parallel(jobs)
    per_name = len(replicas) * THREADS_PER_SERVER
    for i, name in enumerate(names):
        mine = answers[i * per_name:(i + 1) * per_name]
        won = [data for status, data in mine if status == 200]
        lost = [(status, data) for status, data in mine if status != 200]
        assert len(won) == 1, (name, mine)
        for status, data in lost:
            assert status == 400 and data["error_code"] == "RESOURCE_ALREADY_EXISTS", (name, status, data)
    # both servers see each name once, with the id its creator was told
    for api in replicas:
        seen = _all_experiments(api)
        for i, name in enumerate(names):
            ids = [eid for n, eid in seen if n == name]
            won = [d for s, d in answers[i * per_name:(i + 1) * per_name] if s == 200]
            assert ids == [won[0]["experiment_id"]], (name, ids)


def test_concurrent_creates_of_distinct_names_all_succeed_with_distinct_ids(replicas):
    jobs = [(lambda api=api, n=n: api.ok("POST", "experiments/create", {"name": f"many-{n}"})["experiment_id"])
            for n in range(24) for api in [replicas[n % 2]]]
    ids = _in_parallel(jobs)
    assert len(set(ids)) == len(ids)
    seen = dict(_all_experiments(replicas[0]))
    for n, eid in enumerate(ids):
        assert seen[f"many-{n}"] == eid


def test_concurrent_batches_keep_every_point_and_the_latest(replicas):
    a, b = replicas
    exp = a.ok("POST", "experiments/create", {"name": "batches"})["experiment_id"]
    run = a.ok("POST", "runs/create", {"experiment_id": exp, "start_time": 1})["run"]["info"]["run_id"]
    writers, batches, per_batch = len(replicas) * THREADS_PER_SERVER, 5, 40

    def writer(w):
        api = replicas[w % 2]

        def job():
            for k in range(batches):
                base = (w * batches + k) * per_batch
                metrics = [{"key": key, "value": float(step) / 2, "timestamp": 1000 + step, "step": step}
                           for step in range(base, base + per_batch) for key in ("loss", f"w{w}")]
                api.ok("POST", "runs/log-batch", {"run_id": run, "metrics": metrics,
                                                   "tags": [{"key": "writer", "value": str(w)}]})
        return job

    _in_parallel([writer(w) for w in range(writers)])
    total = writers * batches * per_batch
    history = b.ok("GET", f"metrics/get-history?run_id={run}&metric_key=loss&max_results=100000")["metrics"]
    assert sorted(m["step"] for m in history) == list(range(total))
    latest = {m["key"]: m for m in b.ok("GET", f"runs/get?run_id={run}")["run"]["data"]["metrics"]}
    assert latest["loss"]["step"] == total - 1 and latest["loss"]["value"] == (total - 1) / 2
    for w in range(writers):
        last = (w * batches + batches) * per_batch - 1
        assert latest[f"w{w}"]["step"] == last, (w, latest[f"w{w}"])


def test_a_param_logged_concurrently_keeps_one_value(replicas):
    a, _ = replicas
    exp = a.ok("POST", "experiments/create", {"name": "params"})["experiment_id"]
    run = a.ok("POST", "runs/create", {"experiment_id": exp, "start_time": 1})["run"]["info"]["run_id"]
    jobs = [(lambda api=replicas[i % 2], i=i: api.call("POST", "runs/log-batch", {
        "run_id": run, "params": [{"key": "lr", "value": f"v{i}"}, {"key": f"own{i}", "value": "x"}]}))
        for i in range(2 * THREADS_PER_SERVER)]
    answers = _in_parallel(jobs)
    won = [i for i, (status, _) in enumerate(answers) if status == 200]
    assert len(won) == 1, answers
    for i, (status, data) in enumerate(answers):
        if i not in won:
            assert status == 400 and data["error_code"] == "INVALID_PARAMETER_VALUE", (status, data)
    params = {p["key"]: p["value"] for p in a.ok("GET", f"runs/get?run_id={run}")["run"]["data"]["params"]}
    # the batch that lost wrote nothing, not even its own new param
    assert params == {"lr": f"v{won[0]}", f"own{won[0]}": "x"}


def test_a_run_created_while_its_experiment_is_deleted_is_deleted_with_it(replicas):
    a, b = replicas
    for attempt in range(3):
        exp = a.ok("POST", "experiments/create", {"name": f"doomed-{attempt}"})["experiment_id"]
        created = []

        def create_runs():
            for _ in range(60):
                status, data = b.call("POST", "runs/create", {"experiment_id": exp, "start_time": 1})
                if status != 200:
                    assert status == 400 and data["error_code"] == "INVALID_PARAMETER_VALUE", (status, data)
                    return
                created.append(data["run"]["info"]["run_id"])

        def delete_soon():
            for _ in range(200):  # let some runs in first
                if len(created) >= 5:
                    break
                a.ok("GET", f"experiments/get?experiment_id={exp}")
            a.ok("POST", "experiments/delete", {"experiment_id": exp})

        _in_parallel([create_runs, delete_soon])
        assert created
        for run in created:
            info = a.ok("GET", f"runs/get?run_id={run}")["run"]["info"]
            assert info["lifecycle_stage"] == "deleted", (attempt, run, info)
