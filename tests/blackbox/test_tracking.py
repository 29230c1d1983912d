"""Tracking behaviour beyond what the conformance transcripts pin down: where mlflowc
deliberately does better than MLflow 2.17 (listed in tests/conformance/extensions.json),
and rules worth checking directly (latest-metric ordering, paging to the end)."""

import http.client
import json
from urllib.parse import urlsplit

import pytest


@pytest.fixture
def api(server):
    parts = urlsplit(server.url)

    def call(method, endpoint, body=None):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        headers = {"Content-Type": "application/json"} if body is not None else {}
        conn.request(method, f"/api/2.0/mlflow/{endpoint}", body=body, headers=headers)
        resp = conn.getresponse()
        data = json.loads(resp.read() or b"{}")
        conn.close()
        assert resp.status == 200, (endpoint, resp.status, data)
        return data
    return call


@pytest.fixture
def run_id(api):
    exp = api("POST", "experiments/create", json.dumps({"name": "tracking"}))["experiment_id"]
    return api("POST", "runs/create", json.dumps({"experiment_id": exp, "start_time": 1}))["run"]["info"]["run_id"]


def test_bare_non_finite_tokens_are_stored_as_sent(api, run_id):
    # Python clients may send bare NaN/-Infinity; MLflow 2.17 stores 0 at time 0 instead.
    for key, token in (("nan", "NaN"), ("ninf", "-Infinity"), ("pinf", "Infinity")):
        api("POST", "runs/log-metric",
            f'{{"run_id": "{run_id}", "key": "{key}", "value": {token}, "timestamp": 1700000000000, "step": 3}}')
    metrics = {m["key"]: m for m in api("GET", f"runs/get?run_id={run_id}")["run"]["data"]["metrics"]}
    assert metrics["nan"]["value"] == "NaN"
    assert metrics["ninf"]["value"] == -1.7976931348623157e308
    assert metrics["pinf"]["value"] == 1.7976931348623157e308
    assert all(m["timestamp"] == 1700000000000 and m["step"] == 3 for m in metrics.values())


def test_latest_metric_is_highest_step_then_timestamp_then_value(api, run_id):
    points = [(5, 100, 1.0), (7, 50, 2.0), (7, 60, 0.5), (7, 60, 0.25), (6, 999, 9.0)]
    body = {"run_id": run_id, "metrics": [{"key": "m", "value": v, "timestamp": t, "step": s}
                                          for s, t, v in points]}
    api("POST", "runs/log-batch", json.dumps(body))
    latest = api("GET", f"runs/get?run_id={run_id}")["run"]["data"]["metrics"][0]
    assert (latest["step"], latest["timestamp"], latest["value"]) == (7, 60, 0.5)
    # a later request with a lower step does not move it
    api("POST", "runs/log-metric", json.dumps({"run_id": run_id, "key": "m", "value": 100.0,
                                               "timestamp": 10**13, "step": 1}))
    latest = api("GET", f"runs/get?run_id={run_id}")["run"]["data"]["metrics"][0]
    assert (latest["step"], latest["value"]) == (7, 0.5)
    history = api("GET", f"metrics/get-history?run_id={run_id}&metric_key=m")["metrics"]
    assert [(p["timestamp"], p["step"]) for p in history] == sorted(
        [(t, s) for s, t, _ in points] + [(10**13, 1)])


def test_paging_visits_every_run_once(api, run_id):
    exp = api("GET", f"runs/get?run_id={run_id}")["run"]["info"]["experiment_id"]
    for i in range(11):
        api("POST", "runs/create", json.dumps({"experiment_id": exp, "start_time": 100 + i}))
    seen, token = [], None
    for _ in range(20):
        body = {"experiment_ids": [exp], "max_results": 3}
        if token:
            body["page_token"] = token
        page = api("POST", "runs/search", json.dumps(body))
        seen += [r["info"]["run_id"] for r in page.get("runs", [])]
        token = page.get("next_page_token")
        if not token:
            break
    assert len(seen) == 12 and len(set(seen)) == 12


def log_steps(api, run_id, key, steps):
    for i in range(0, len(steps), 1000):
        chunk = steps[i:i + 1000]
        api("POST", "runs/log-batch", json.dumps({"run_id": run_id, "metrics": [
            {"key": key, "value": float(s), "timestamp": 1000 + s, "step": s} for s in chunk]}))


def test_bulk_interval_downsamples_and_keeps_each_runs_ends(api, run_id):
    exp = api("GET", f"runs/get?run_id={run_id}")["run"]["info"]["experiment_id"]
    other = api("POST", "runs/create", json.dumps({"experiment_id": exp, "start_time": 2}))["run"]["info"]["run_id"]
    log_steps(api, run_id, "loss", list(range(0, 1000)))
    log_steps(api, other, "loss", list(range(3, 500, 7)))
    got = api("GET", f"metrics/get-history-bulk-interval?run_ids={run_id}&run_ids={other}"
                     f"&metric_key=loss&max_results=10")["metrics"]
    by_run = {}
    for p in got:
        assert p["key"] == "loss" and p["value"] == float(p["step"])
        by_run.setdefault(p["run_id"], []).append(p["step"])
    assert list(by_run) == [run_id, other], "runs come in the order asked"
    steps = sorted(set(by_run[run_id]))
    assert steps[0] == 0 and steps[-1] == 999, "the first and last step are kept"
    assert 10 <= len(steps) <= 14, steps
    assert steps == by_run[run_id], "ordered by step"
    assert 3 in by_run[other] and 493 in by_run[other], "the other run's min and max are added"
    # a step range narrows it
    ranged = api("GET", f"metrics/get-history-bulk-interval?run_ids={run_id}&metric_key=loss"
                        f"&start_step=100&end_step=120")["metrics"]
    assert [p["step"] for p in ranged] == list(range(100, 121))


def sample_steps(all_steps, bounds, max_results):
    """MLflow's bulk-interval sampling, written out for the test: every step when few, else
    max_results evenly spaced ones plus the last, plus every run's first and last step."""
    steps = sorted(set(all_steps))
    if len(steps) <= max_results:
        chosen = set(steps)
    else:
        interval = len(steps) / max_results
        chosen = {steps[int(i * interval)] for i in range(max_results)} | {steps[-1]}
    return chosen | set(bounds)


def test_bulk_interval_out_of_order_steps_and_repeats(api, run_id):
    # steps logged against time order, repeated steps, runs with disjoint step sets
    exp = api("GET", f"runs/get?run_id={run_id}")["run"]["info"]["experiment_id"]
    runs = [run_id] + [api("POST", "runs/create", json.dumps({"experiment_id": exp, "start_time": 2}))
                       ["run"]["info"]["run_id"] for _ in range(2)]
    logged = {
        runs[0]: [(s, 5000 - s) for s in range(0, 300)] + [(7, 9000), (7, 9001)],
        runs[1]: [((s * 37) % 401 + 1000, s) for s in range(401)],
        runs[2]: [(s, 10 + s) for s in range(2000, 2600, 3)],
    }
    for rid, pts in logged.items():
        api("POST", "runs/log-batch", json.dumps({"run_id": rid, "metrics": [
            {"key": "acc", "value": float(s) + t / 1e6, "timestamp": t, "step": s} for s, t in pts]}))
    got = api("GET", "metrics/get-history-bulk-interval?metric_key=acc&max_results=25&"
                     + "&".join(f"run_ids={r}" for r in runs))["metrics"]
    all_steps = [s for pts in logged.values() for s, _ in pts]
    bounds = [f(s for s, _ in pts) for pts in logged.values() for f in (min, max)]
    chosen = sample_steps(all_steps, bounds, 25)
    want = [(rid, s, t) for rid in runs for s, t in sorted(logged[rid]) if s in chosen]
    assert [(p["run_id"], p["step"], p["timestamp"]) for p in got] == want


@pytest.mark.parametrize("query", ["run_ids=x&metric_key=loss&start_step=5",
                                   "run_ids=x&metric_key=loss&start_step=9&end_step=1",
                                   "run_ids=x&metric_key=loss&max_results=2501",
                                   "metric_key=loss"])
def test_bulk_interval_bad_requests(server, query):
    conn = http.client.HTTPConnection(urlsplit(server.url).hostname, urlsplit(server.url).port, timeout=30)
    conn.request("GET", f"/api/2.0/mlflow/metrics/get-history-bulk-interval?{query}")
    resp = conn.getresponse()
    body = json.loads(resp.read())
    assert resp.status == 400 and body["error_code"] == "INVALID_PARAMETER_VALUE"


def test_search_datasets_summarises_inputs(api, run_id):
    exp = api("GET", f"runs/get?run_id={run_id}")["run"]["info"]["experiment_id"]
    ds = {"name": "train-set", "digest": "abc", "source_type": "local", "source": "{}"}
    api("POST", "runs/log-inputs", json.dumps({"run_id": run_id, "datasets": [
        {"dataset": ds, "tags": [{"key": "mlflow.data.context", "value": "training"}]}]}))
    got = api("POST", "experiments/search-datasets", json.dumps({"experiment_ids": [exp]}))
    assert got == {"dataset_summaries": [{"experiment_id": exp, "name": "train-set", "digest": "abc",
                                          "context": "training"}]}


def test_artifacts_list_reads_the_proxy_destination(api, run_id, server):
    info = api("GET", f"runs/get?run_id={run_id}")["run"]["info"]
    root = server.dir / "artifacts" / info["artifact_uri"].removeprefix("mlflow-artifacts:/")
    (root / "model").mkdir(parents=True)
    (root / "model" / "MLmodel").write_text("flavors: {}\n")
    (root / "empty.txt").write_text("")
    got = api("GET", f"artifacts/list?run_id={run_id}")
    assert got == {"root_uri": info["artifact_uri"], "files": [
        {"path": "empty.txt", "is_dir": False}, {"path": "model", "is_dir": True}]}
    got = api("GET", f"artifacts/list?run_id={run_id}&path=model")
    assert got["files"] == [{"path": "model/MLmodel", "is_dir": False, "file_size": 12}]
    assert api("GET", f"artifacts/list?run_id={run_id}&path=missing") == {"root_uri": info["artifact_uri"]}
    conn = http.client.HTTPConnection(urlsplit(server.url).hostname, urlsplit(server.url).port, timeout=30)
    conn.request("GET", f"/api/2.0/mlflow/artifacts/list?run_id={run_id}&path=..%2F..%2F..")
    resp = conn.getresponse()
    assert resp.status == 400 and json.loads(resp.read())["message"] == "Invalid path"


def test_metric_history_pages_when_asked(api, run_id):
    log_steps(api, run_id, "paged", list(range(25)))
    everything = api("GET", f"metrics/get-history?run_id={run_id}&metric_key=paged")
    assert [p["step"] for p in everything["metrics"]] == list(range(25))
    assert "next_page_token" not in everything
    seen, token = [], None
    for _ in range(10):
        query = f"run_id={run_id}&metric_key=paged&max_results=10" + (f"&page_token={token}" if token else "")
        page = api("GET", f"metrics/get-history?{query}")
        seen += [p["step"] for p in page["metrics"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert seen == list(range(25))


def test_log_model_appends_to_the_history_tag(api, run_id):
    model = {"artifact_path": "model", "run_id": run_id, "utc_time_created": "2026-01-01 00:00:00.000000",
             "flavors": {"python_function": {"loader_module": "m", "config": {"big": "x" * 100}}},
             "model_uuid": "abc"}
    for path in ("model", "model2"):
        model["artifact_path"] = path
        api("POST", "runs/log-model", json.dumps({"run_id": run_id, "model_json": json.dumps(model)}))
    tags = {t["key"]: t["value"] for t in api("GET", f"runs/get?run_id={run_id}")["run"]["data"]["tags"]}
    history = json.loads(tags["mlflow.log-model.history"])
    assert [h["artifact_path"] for h in history] == ["model", "model2"]
    assert "config" not in history[0]["flavors"]["python_function"]
    assert history[0]["model_uuid"] == "abc"


def test_experiment_tags_can_be_deleted(api, run_id):
    exp = api("GET", f"runs/get?run_id={run_id}")["run"]["info"]["experiment_id"]
    api("POST", "experiments/set-experiment-tag", json.dumps({"experiment_id": exp, "key": "k", "value": "v"}))
    assert api("GET", f"experiments/get?experiment_id={exp}")["experiment"]["tags"] == [{"key": "k", "value": "v"}]
    api("POST", "experiments/delete-experiment-tag", json.dumps({"experiment_id": exp, "key": "k"}))
    assert "tags" not in api("GET", f"experiments/get?experiment_id={exp}")["experiment"]


def test_a_refused_experiment_create_uses_up_no_id(api):
    # ids go 1, 2, 3 as experiments are made; a create refused for a taken name takes none
    first = int(api("POST", "experiments/create", json.dumps({"name": "ids-a"}))["experiment_id"])
    conn_body = json.dumps({"name": "ids-a"})
    for _ in range(3):
        with pytest.raises(AssertionError) as refused:
            api("POST", "experiments/create", conn_body)
        assert "RESOURCE_ALREADY_EXISTS" in str(refused.value)
    second = int(api("POST", "experiments/create", json.dumps({"name": "ids-b"}))["experiment_id"])
    assert second == first + 1


def test_a_new_run_is_answered_as_it_reads_back(api):
    # tags given twice keep the last value, and come back in key order, in both answers
    tags = [{"key": "zeta", "value": "1"}, {"key": "B", "value": "x"}, {"key": "zeta", "value": "2"},
            {"key": "a", "value": "3"}, {"key": "e\u00e9", "value": "4"}]
    created = api("POST", "runs/create", json.dumps({"experiment_id": "0", "run_name": "rn", "start_time": 5,
                                                       "tags": tags}))["run"]
    got = api("GET", f"runs/get?run_id={created['info']['run_id']}")["run"]
    assert (created["info"], created["data"]) == (got["info"], got["data"])
    assert [t["key"] for t in got["data"]["tags"]] == ["B", "a", "e\u00e9", "mlflow.runName", "zeta"]
    assert {t["key"]: t["value"] for t in got["data"]["tags"]}["zeta"] == "2"
