"""Bad input against the real server: each request gets MLflow's error code and HTTP
status, and nothing it carried is stored (the follow-up reads prove it). The server must
stay healthy and shut down cleanly afterwards (the `server` fixture checks the exit)."""

import http.client
import json
from urllib.parse import urlencode, urlsplit

import pytest

JSON = {"Content-Type": "application/json"}


class Client:
    def __init__(self, url):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    def request(self, method, path, body=None, headers=None, query=None):
        if query:
            path = f"{path}?{urlencode(query, doseq=True)}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = None
        return resp.status, parsed

    def post(self, endpoint, body, headers=JSON):
        return self.request("POST", f"/api/2.0/mlflow/{endpoint}", body, headers)

    def get(self, endpoint, **query):
        return self.request("GET", f"/api/2.0/mlflow/{endpoint}", query=query)

    def ok(self, method, endpoint, body=None, **query):
        status, answer = (self.post(endpoint, body) if method == "POST" else self.get(endpoint, **query))
        assert status == 200, (endpoint, status, answer)
        return answer


def assert_error(answer, status, want_status, code):
    assert status == want_status, answer
    assert answer["error_code"] == code, answer
    assert isinstance(answer["message"], str) and answer["message"]


@pytest.fixture
def api(server):
    return Client(server.url)


@pytest.fixture
def run_id(api):
    exp = api.ok("POST", "experiments/create", {"name": "bad-input"})["experiment_id"]
    run = api.ok("POST", "runs/create", {"experiment_id": exp, "start_time": 1700000000000})
    return run["run"]["info"]["run_id"]


def experiment_names(api):
    answer = api.ok("POST", "experiments/search", {"max_results": 1000, "view_type": "ALL"})
    return sorted(e["name"] for e in answer.get("experiments", []))


def run_data(api, run_id):
    return api.ok("GET", "runs/get", run_id=run_id)["run"]["data"]


@pytest.mark.parametrize("body", ['{"name": "broken', "not json at all", "", "null", '"{\\"x\\": 1}"'])
def test_unparsable_or_empty_body_is_a_missing_field(api, body):
    before = experiment_names(api)
    status, answer = api.post("experiments/create", body)
    assert_error(answer, status, 400, "INVALID_PARAMETER_VALUE")
    assert "Missing value for required parameter 'name'" in answer["message"]
    assert experiment_names(api) == before


@pytest.mark.parametrize("headers,fragment", [({}, "Content-Type header is missing"),
                                              ({"Content-Type": "text/plain"}, "Content-Type must be")])
def test_content_type_is_required(api, headers, fragment):
    before = experiment_names(api)
    status, answer = api.post("experiments/create", {"name": "no-ctype"}, headers=headers)
    assert_error(answer, status, 400, "INVALID_PARAMETER_VALUE")
    assert fragment in answer["message"]
    assert experiment_names(api) == before


@pytest.mark.parametrize("endpoint,body", [
    ("experiments/create", {"name": 123}),
    ("experiments/create", {"name": ["a"]}),
    ("experiments/create", {"name": "tags-as-object", "tags": {"a": "b"}}),
    ("runs/log-metric", {"key": "m", "value": "abc", "timestamp": 1}),
    ("runs/log-metric", {"key": "m", "value": 1.0, "timestamp": "yesterday"}),
    ("runs/log-metric", {"key": "m", "value": 1.0, "timestamp": 1, "step": "x"}),
    ("runs/log-metric", {"key": "m", "value": True, "timestamp": 1}),
    ("runs/log-parameter", {"key": "p", "value": 5}),
    ("runs/set-tag", {"key": "t", "value": True}),
    ("runs/log-batch", {"metrics": {"key": "m"}}),
    ("runs/log-batch", {"metrics": [{"key": "m", "value": 1.0}]}),
    ("runs/log-batch", {"params": [{"value": "v"}]}),
])
def test_wrong_types_and_missing_fields(api, run_id, endpoint, body):
    if endpoint.startswith("runs/"):
        body = dict(body, run_id=run_id)
    before_exps, before_data = experiment_names(api), run_data(api, run_id)
    status, answer = api.post(endpoint, body)
    assert_error(answer, status, 400, "INVALID_PARAMETER_VALUE")
    assert experiment_names(api) == before_exps
    assert run_data(api, run_id) == before_data


@pytest.mark.parametrize("method,endpoint,body_or_query", [
    ("GET", "runs/get", {"run_id": "0123456789abcdef0123456789abcdef"}),
    ("GET", "experiments/get", {"experiment_id": "987654321"}),
    ("GET", "experiments/get", {"experiment_id": "not-a-number"}),
    ("GET", "experiments/get-by-name", {"experiment_name": "never-created"}),
    ("POST", "runs/log-batch", {"run_id": "0123456789abcdef0123456789abcdef", "params": [{"key": "x", "value": "y"}]}),
    ("POST", "runs/update", {"run_id": "0123456789abcdef0123456789abcdef", "status": "FINISHED"}),
    ("POST", "runs/create", {"experiment_id": "987654321", "start_time": 1}),
    ("POST", "experiments/delete", {"experiment_id": "987654321"}),
])
def test_unknown_ids_are_404(api, method, endpoint, body_or_query):
    if method == "GET":
        status, answer = api.get(endpoint, **body_or_query)
    else:
        status, answer = api.post(endpoint, body_or_query)
    assert_error(answer, status, 404, "RESOURCE_DOES_NOT_EXIST")


def metric_batch(n, key="m"):
    return [{"key": key, "value": float(i), "timestamp": 1700000000000 + i, "step": i} for i in range(n)]


@pytest.mark.parametrize("batch,fragment", [
    ({"metrics": metric_batch(1001)}, "at most 1000 metrics"),
    ({"params": [{"key": f"p{i}", "value": "v"} for i in range(101)]}, "at most 100 params"),
    ({"tags": [{"key": f"t{i}", "value": "v"} for i in range(101)]}, "at most 100 tags"),
    ({"metrics": metric_batch(950), "params": [{"key": f"p{i}", "value": "v"} for i in range(60)]},
     "at most 1000 metrics, params, and tags"),
])
def test_over_limit_batches_store_nothing(api, run_id, batch, fragment):
    before = run_data(api, run_id)
    status, answer = api.post("runs/log-batch", dict(batch, run_id=run_id))
    assert_error(answer, status, 400, "INVALID_PARAMETER_VALUE")
    assert fragment in answer["message"]
    assert run_data(api, run_id) == before
    assert api.ok("GET", "metrics/get-history", run_id=run_id, metric_key="m") == {}


def test_a_failing_batch_is_all_or_nothing(api, run_id):
    api.ok("POST", "runs/log-parameter", {"run_id": run_id, "key": "lr", "value": "0.1"})
    status, answer = api.post("runs/log-batch", {
        "run_id": run_id, "metrics": metric_batch(10, key="atomic"),
        "params": [{"key": "fresh", "value": "1"}, {"key": "lr", "value": "0.2"}],
        "tags": [{"key": "should-not-exist", "value": "x"}]})
    assert_error(answer, status, 400, "INVALID_PARAMETER_VALUE")
    data = run_data(api, run_id)
    assert data["params"] == [{"key": "lr", "value": "0.1"}]
    assert "metrics" not in data
    assert all(t["key"] != "should-not-exist" for t in data["tags"])
    assert api.ok("GET", "metrics/get-history", run_id=run_id, metric_key="atomic") == {}


@pytest.mark.parametrize("key", ["a/../b", "/abs", "trailing/", "tab\there", "semi;colon", "k" * 251])
def test_invalid_keys_are_refused(api, run_id, key):
    before = run_data(api, run_id)
    for endpoint, body in (("runs/log-metric", {"key": key, "value": 1.0, "timestamp": 1}),
                           ("runs/log-parameter", {"key": key, "value": "v"}),
                           ("runs/set-tag", {"key": key, "value": "v"})):
        status, answer = api.post(endpoint, dict(body, run_id=run_id))
        assert_error(answer, status, 400, "INVALID_PARAMETER_VALUE")
    assert run_data(api, run_id) == before


def test_huge_body_is_refused_with_413(api):
    before = experiment_names(api)
    body = '{"name": "huge", "pad": "' + "x" * (33 << 20) + '"}'
    status, answer = api.post("experiments/create", body)
    assert_error(answer, status, 413, "MAX_READ_SIZE_EXCEEDED")
    assert experiment_names(api) == before


def test_deep_nesting_is_refused(api):
    before = experiment_names(api)
    body = '{"name": "deep", "x": ' + "[" * 200 + "]" * 200 + "}"
    status, answer = api.post("experiments/create", body)
    assert_error(answer, status, 400, "INVALID_PARAMETER_VALUE")
    assert experiment_names(api) == before


@pytest.mark.parametrize("filter_string", [
    "metrics.x >",
    "params.a = 'x' OR",
    "params.a IN ('x', 1)",
    "attributes.nonsense = 'x'",
    "metrics.x = 'not-a-number'",
    "params.a = unquoted",
    "(params.a = 'x'",
    "params.a = 'x')",
    "NOT",
    "(" * 40 + "params.a = 'x'" + ")" * 40,
    " OR ".join(["params.a = 'x'"] * 257),
    "tags.t = 'x'; DROP TABLE runs",
])
def test_bad_run_filters(api, run_id, filter_string):
    exp = api.ok("GET", "runs/get", run_id=run_id)["run"]["info"]["experiment_id"]
    status, answer = api.post("runs/search", {"experiment_ids": [exp], "filter": filter_string})
    assert_error(answer, status, 400, "INVALID_PARAMETER_VALUE")
    assert api.ok("POST", "runs/search", {"experiment_ids": [exp]})["runs"][0]["info"]["run_id"] == run_id


@pytest.mark.parametrize("body", [{"page_token": "garbage"}, {"max_results": 0}, {"max_results": 50001},
                                  {"view_type": "SOMETIMES"}, {"order_by": ["name", "name"]},
                                  {"filter": "name = 'a' OR"}, {"filter": "NOT (name = 'a'"}])
def test_bad_experiment_searches(api, body):
    status, answer = api.post("experiments/search", dict({"max_results": 10}, **body))
    assert_error(answer, status, 400, "INVALID_PARAMETER_VALUE")


def test_unknown_routes_and_methods(api):
    assert api.request("GET", "/api/2.0/mlflow/no-such-endpoint")[0] == 404
    assert api.request("GET", "/api/2.0/mlflow/experiments/create")[0] == 405
    assert api.request("POST", "/api/2.0/mlflow/runs/get", "{}", JSON)[0] == 405
    assert api.request("GET", "/health")[0] == 200
