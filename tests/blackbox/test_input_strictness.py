"""Strict input and clean output against the real server.

Output: whatever bytes a client sends, every answer is valid UTF-8 JSON (invalid UTF-8
from a query string comes back as U+FFFD, never raw), and multi-byte text (2, 3 and
4 bytes) is stored and read back exactly. Input: a NUL inside a string ("\\u0000" in
JSON, %00 in a query string) cannot be stored exactly and is refused with
INVALID_PARAMETER_VALUE; a list or object where text is expected is refused instead of
being stored as JSON text; int64 fields refuse numbers no int64 holds (1e20, 1e309, an
over-long integer) while a non-integral number keeps the field's default, which is what
MLflow 2.17 answers; a filter AND that joins no two comparisons is refused. After every
refusal the follow-up reads prove nothing was stored."""

import http.client
import json
from urllib.parse import quote, urlsplit

import pytest

JSON = {"Content-Type": "application/json"}
NUL_MESSAGE = "NUL character"


class Client:
    """Sends paths and bodies exactly as given; decodes answers strictly as UTF-8 JSON."""

    def __init__(self, url):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port

    def raw(self, method, path, body=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=JSON if body is not None else {})
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        # strict: a byte that is not UTF-8 fails here, as it would in any UTF-8 JSON parser
        return resp.status, json.loads(data.decode("utf-8")) if data else None

    def post(self, endpoint, body):
        return self.raw("POST", f"/api/2.0/mlflow/{endpoint}", body)

    def get(self, endpoint, query):
        """`query` is the query string, already percent-encoded."""
        return self.raw("GET", f"/api/2.0/mlflow/{endpoint}?{query}")

    def ok(self, endpoint, body):
        status, answer = self.post(endpoint, body)
        assert status == 200, (endpoint, answer)
        return answer

    def ok_get(self, endpoint, query):
        status, answer = self.get(endpoint, query)
        assert status == 200, (endpoint, answer)
        return answer


def assert_invalid(status, answer, fragment=None):
    assert status == 400, answer
    assert answer["error_code"] == "INVALID_PARAMETER_VALUE", answer
    if fragment:
        assert fragment in answer["message"], answer


@pytest.fixture
def api(server):
    return Client(server.url)


@pytest.fixture
def exp_id(api):
    return api.ok("experiments/create", {"name": "strictness"})["experiment_id"]


@pytest.fixture
def run_id(api, exp_id):
    return api.ok("runs/create", {"experiment_id": exp_id, "start_time": 1700000000000})["run"]["info"]["run_id"]


def experiments(api):
    answer = api.ok("experiments/search", {"max_results": 1000, "view_type": "ALL"})
    return sorted((e["name"], tuple(sorted((t["key"], t["value"]) for t in e.get("tags", []))))
                  for e in answer.get("experiments", []))


def run_data(api, run_id):
    return api.ok_get("runs/get", f"run_id={run_id}")["run"]["data"]


def registered_models(api):
    return api.ok_get("registered-models/search", "max_results=1000").get("registered_models", [])


# ---- output is always valid UTF-8 ---------------------------------------------------------

@pytest.mark.parametrize("endpoint,query", [
    ("experiments/get-by-name", "experiment_name=%FF%FE"),
    ("experiments/get-by-name", "experiment_name=ab%E2%82"),          # truncated sequence
    ("experiments/get-by-name", "experiment_name=%C0%AF%ED%A0%80"),   # overlong form, surrogate
    ("runs/get", "run_id=%FFab"),
    ("experiments/get", "experiment_id=%80%BF"),                      # lone continuation bytes
    ("registered-models/get", "name=m%F5%FF"),
])
def test_invalid_utf8_in_a_query_gives_a_valid_utf8_error(api, endpoint, query):
    status, answer = api.get(endpoint, query)
    assert status in (400, 404), answer
    assert answer["error_code"] in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")
    assert "\ufffd" in answer["message"]


def test_invalid_utf8_is_replaced_per_sequence(api):
    status, answer = api.get("experiments/get-by-name", "experiment_name=a%FF%FEb%E2%82%ACc%E2%82")
    assert status == 404
    # each ill-formed sequence becomes one U+FFFD; the valid euro sign stays
    assert answer["message"] == "Could not find experiment with name 'a\ufffd\ufffdb\u20acc\ufffd'"


# (key text, value text): keys hold letters only (MLflow's \w rule), values anything;
# 2-, 3- and 4-byte UTF-8 in both
TEXTS = [("é-ü-ß", "é-ü-ß ©"), ("日本語-テスト", "日本語 — テスト"), ("𐍈𠜎-x", "𝄞 🎉 𐍈"),
         ("mixed é 日 𐍈 end", "mixed é 日 𝄞 end")]


def test_multibyte_text_round_trips(api):
    for i, (key, text) in enumerate(TEXTS):
        name = f"exp {text} {i}"
        exp = api.ok("experiments/create", {"name": name, "tags": [{"key": f"k{key}", "value": text}]})
        got = api.ok_get("experiments/get-by-name", f"experiment_name={quote(name)}")["experiment"]
        assert got["experiment_id"] == exp["experiment_id"]
        assert got["name"] == name
        assert got["tags"] == [{"key": f"k{key}", "value": text}]
        run = api.ok("runs/create", {"experiment_id": exp["experiment_id"], "run_name": text,
                                     "start_time": 1})["run"]["info"]["run_id"]
        api.ok("runs/log-parameter", {"run_id": run, "key": f"p{key}", "value": text})
        api.ok("runs/set-tag", {"run_id": run, "key": f"t{key}", "value": text})
        api.ok("runs/log-batch", {"run_id": run, "metrics": [{"key": f"m{key}", "value": 1.5, "timestamp": 1}],
                                  "params": [{"key": f"b{key}", "value": text * 3}]})
        data = run_data(api, run)
        assert {"key": f"p{key}", "value": text} in data["params"]
        assert {"key": f"b{key}", "value": text * 3} in data["params"]
        assert {"key": f"t{key}", "value": text} in data["tags"]
        assert {"key": "mlflow.runName", "value": text} in data["tags"]
        assert data["metrics"][0]["key"] == f"m{key}"
        history = api.ok_get("metrics/get-history", f"run_id={run}&metric_key={quote('m' + key)}")
        assert [m["key"] for m in history["metrics"]] == [f"m{key}"]
        found = api.ok("runs/search", {"experiment_ids": [exp["experiment_id"]],
                                       "filter": f"params.`p{key}` = '{text}'"})["runs"]
        assert [r["info"]["run_id"] for r in found] == [run]
        model = f"model {text}"
        api.ok("registered-models/create", {"name": model, "description": text})
        got = api.ok_get("registered-models/get", f"name={quote(model)}")["registered_model"]
        assert (got["name"], got["description"]) == (model, text)


# ---- a NUL cannot be stored exactly: refused ------------------------------------------------

@pytest.mark.parametrize("body", [
    {"name": "a\u0000b"},
    {"name": "nul-tag", "tags": [{"key": "k", "value": "v\u0000w"}]},
    {"name": "nul-tag-key", "tags": [{"key": "k\u0000", "value": "v"}]},
    {"name": "nul-location", "artifact_location": "/tmp/x\u0000y"},
])
def test_nul_in_json_is_refused_when_creating_experiments(api, body):
    before = experiments(api)
    status, answer = api.post("experiments/create", body)
    assert_invalid(status, answer, NUL_MESSAGE)
    assert experiments(api) == before


@pytest.mark.parametrize("endpoint,body", [
    ("runs/log-parameter", {"key": "p", "value": "a\u0000b"}),
    ("runs/log-parameter", {"key": "p\u0000q", "value": "v"}),
    ("runs/set-tag", {"key": "t", "value": "\u0000"}),
    ("runs/log-metric", {"key": "m\u0000x", "value": 1.0, "timestamp": 1}),
    ("runs/log-metric", {"key": "m", "value": "1.5\u0000", "timestamp": 1}),
    ("runs/log-metric", {"key": "m", "value": 1.0, "timestamp": "1\u0000"}),
    ("runs/log-batch", {"params": [{"key": "p", "value": "a\u0000b"}]}),
    ("runs/log-batch", {"tags": [{"key": "t\u0000", "value": "v"}]}),
    ("runs/log-batch", {"metrics": [{"key": "m\u0000", "value": 1.0, "timestamp": 1}]}),
    ("runs/update", {"run_name": "renamed\u0000"}),
])
def test_nul_in_json_is_refused_for_runs(api, run_id, endpoint, body):
    before = run_data(api, run_id)
    status, answer = api.post(endpoint, dict(body, run_id=run_id))
    assert_invalid(status, answer, NUL_MESSAGE)
    assert run_data(api, run_id) == before
    assert api.ok_get("metrics/get-history", f"run_id={run_id}&metric_key=m") == {}


def test_nul_in_json_is_refused_for_run_ids_and_names(api, run_id, exp_id):
    status, answer = api.post("runs/set-tag", {"run_id": run_id + "\u0000junk", "key": "t", "value": "v"})
    assert_invalid(status, answer, NUL_MESSAGE)
    status, answer = api.post("runs/create", {"experiment_id": exp_id, "run_name": "r\u0000x"})
    assert_invalid(status, answer, NUL_MESSAGE)
    runs = api.ok("runs/search", {"experiment_ids": [exp_id]})["runs"]
    assert [r["info"]["run_id"] for r in runs] == [run_id]
    assert all(t["key"] != "t" for t in run_data(api, run_id).get("tags", []))


def test_nul_in_json_is_refused_for_the_registry(api):
    api.ok("registered-models/create", {"name": "reg"})
    before = registered_models(api)
    for endpoint, body in (("registered-models/create", {"name": "reg\u0000x"}),
                           ("registered-models/create", {"name": "other", "tags": [{"key": "k", "value": "\u0000"}]}),
                           ("registered-models/set-tag", {"name": "reg", "key": "k", "value": "v\u0000"}),
                           ("registered-models/set-tag", {"name": "reg\u0000", "key": "k", "value": "v"})):
        status, answer = api.post(endpoint, body)
        assert_invalid(status, answer, NUL_MESSAGE)
    status, answer = api.raw("PATCH", "/api/2.0/mlflow/registered-models/update",
                             {"name": "reg", "description": "d\u0000"})
    assert_invalid(status, answer, NUL_MESSAGE)
    assert registered_models(api) == before


def test_nul_in_a_filter_or_page_token_is_refused(api, exp_id, run_id):
    for body in ({"experiment_ids": [exp_id], "filter": "tags.x = 'a\u0000'"},
                 {"experiment_ids": [exp_id], "page_token": "eyJvZmZzZXQiOiAxfQ==\u0000"},
                 {"experiment_ids": [exp_id + "\u0000"]},
                 {"experiment_ids": [exp_id], "order_by": ["start_time\u0000 DESC"]}):
        status, answer = api.post("runs/search", body)
        assert_invalid(status, answer, NUL_MESSAGE)


@pytest.mark.parametrize("endpoint,query", [
    ("experiments/get-by-name", "experiment_name=strictness%00junk"),
    ("experiments/get", "experiment_id={exp}%00"),
    ("runs/get", "run_id={run}%00"),
    ("metrics/get-history", "run_id={run}&metric_key=m%00x"),
    ("registered-models/get", "name=reg%00x"),
    ("registered-models/search", "filter=name%20%3D%20%27reg%27%00"),
    ("runs/get", "run_uuid={run}&run_id=%00"),
])
def test_nul_in_a_query_value_is_refused(api, exp_id, run_id, endpoint, query):
    api.ok("registered-models/create", {"name": "reg"})
    api.ok("runs/log-metric", {"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 1})
    status, answer = api.get(endpoint, query.format(exp=exp_id, run=run_id))
    assert_invalid(status, answer, NUL_MESSAGE)


def test_a_query_key_with_nul_names_no_parameter(api, exp_id):
    status, answer = api.get("experiments/get-by-name", "experiment_name%00x=strictness")
    assert_invalid(status, answer, "Missing value for required parameter 'experiment_name'")
    # the same name without the NUL is found: the refusal above was about the key
    assert api.ok_get("experiments/get-by-name", "experiment_name=strictness")["experiment"]["experiment_id"] == exp_id


def test_other_control_characters_are_stored(api, run_id):
    value = "tab\there\x01\x1f\x7f"
    api.ok("runs/set-tag", {"run_id": run_id, "key": "ctl", "value": value})
    assert {"key": "ctl", "value": value} in run_data(api, run_id)["tags"]


# ---- lists and objects are not text -----------------------------------------------------------

@pytest.mark.parametrize("body", [
    {"name": "tag-list", "tags": [{"key": "k", "value": ["x"]}]},
    {"name": "tag-object", "tags": [{"key": "k", "value": {"a": 1}}]},
    {"name": "tag-key-list", "tags": [{"key": ["k"], "value": "v"}]},
    {"name": ["list-name"]},
    {"name": "location-object", "artifact_location": {"a": "b"}},
])
def test_list_or_object_for_text_is_refused_when_creating_experiments(api, body):
    before = experiments(api)
    status, answer = api.post("experiments/create", body)
    assert_invalid(status, answer, "Invalid value")
    assert experiments(api) == before


@pytest.mark.parametrize("endpoint,body,kind", [
    ("runs/log-batch", {"params": [{"key": "p", "value": {"a": 1}}]}, "dict"),
    ("runs/log-batch", {"tags": [{"key": "t", "value": [1, 2]}]}, "list"),
    ("runs/log-batch", {"metrics": [{"key": "m", "value": 1.0, "timestamp": 1, "dataset_name": ["d"]}]}, "list"),
    ("runs/set-tag", {"key": "t", "value": ["x"]}, "list"),
    ("runs/log-parameter", {"key": {"k": 1}, "value": "v"}, "dict"),
])
def test_list_or_object_for_text_is_refused_for_runs(api, run_id, endpoint, body, kind):
    before = run_data(api, run_id)
    status, answer = api.post(endpoint, dict(body, run_id=run_id))
    assert_invalid(status, answer, f"Value was of type '{kind}'")
    assert run_data(api, run_id) == before


def test_list_or_object_tag_value_creates_no_run(api, exp_id, run_id):
    before = api.ok("runs/search", {"experiment_ids": [exp_id]})
    status, answer = api.post("runs/create", {"experiment_id": exp_id, "tags": [{"key": "t", "value": ["x"]}]})
    assert_invalid(status, answer, "Value was of type 'list'")
    assert api.ok("runs/search", {"experiment_ids": [exp_id]}) == before


def test_list_or_object_for_text_is_refused_for_the_registry(api):
    before = registered_models(api)
    status, answer = api.post("registered-models/create", {"name": "rm", "tags": [{"key": "k", "value": [1]}]})
    assert_invalid(status, answer, "Value was of type 'list'")
    assert registered_models(api) == before


def test_numbers_and_booleans_in_tag_values_are_still_text(api):
    # MLflow 2.17 accepts these (recorded: a tag value of 1); they are stored as text
    exp = api.ok("experiments/create", {"name": "scalar-tags",
                                        "tags": [{"key": "i", "value": 1}, {"key": "b", "value": True}]})
    got = api.ok_get("experiments/get", f"experiment_id={exp['experiment_id']}")["experiment"]
    assert sorted((t["key"], t["value"]) for t in got["tags"]) == [("b", "true"), ("i", "1")]


# ---- numbers in int64 fields ---------------------------------------------------------------------

def search_body(exp_id, max_results):
    """A runs/search body with max_results written as given (1e309 has no Python literal)."""
    return f'{{"experiment_ids": ["{exp_id}"], "max_results": {max_results}}}'


@pytest.mark.parametrize("max_results,fragment", [
    ("1e309", "Invalid value \"Infinity\" for parameter 'max_results'"),
    ("-1e309", "for parameter 'max_results'"),
    ("1e20", "Invalid value 1e+20 for parameter 'max_results' supplied"),
    ("99999999999999999999", "Invalid value 1e+20 for parameter 'max_results' supplied"),
    ("-1", "It must be a positive integer"),
    ("0", "It must be a positive integer"),
    ("50001", "It must be at most 50000"),
    ('"abc"', "Invalid value \"abc\" for parameter 'max_results'"),
    ('"1.5"', "Invalid value \"1.5\" for parameter 'max_results'"),
    ("[1]", "Value was of type 'list'"),
])
def test_bad_max_results_are_refused(api, run_id, exp_id, max_results, fragment):
    status, answer = api.post("runs/search", search_body(exp_id, max_results))
    assert_invalid(status, answer, fragment)


def test_a_non_integral_max_results_keeps_the_default(api, run_id, exp_id):
    # MLflow 2.17 answers 200 with the default (recorded in the conformance transcripts)
    status, answer = api.post("runs/search", search_body(exp_id, "1.5"))
    assert status == 200, answer
    assert [r["info"]["run_id"] for r in answer["runs"]] == [run_id]
    status, answer = api.post("runs/search", search_body(exp_id, "1.0"))
    assert status == 200 and len(answer["runs"]) == 1


@pytest.mark.parametrize("method,endpoint,body", [
    ("POST", "experiments/search", '{"max_results": 1e20}'),
    ("POST", "experiments/search", '{"max_results": 1e309}'),
    ("GET", "registered-models/search", '{"max_results": 1e20}'),        # a GET without a query
    ("GET", "model-versions/search", '{"max_results": 99999999999999999999}'),  # reads its body
])
def test_other_searches_refuse_max_results_beyond_int64(api, method, endpoint, body):
    status, answer = api.raw(method, f"/api/2.0/mlflow/{endpoint}", body)
    assert_invalid(status, answer, "for parameter 'max_results'")


def test_bad_start_times(api, exp_id):
    before = api.ok("runs/search", {"experiment_ids": [exp_id]})
    for start_time in ("1e20", "1e309", "99999999999999999999", '"soon"', "[1]"):
        status, answer = api.post("runs/create", f'{{"experiment_id": "{exp_id}", "start_time": {start_time}}}')
        assert_invalid(status, answer, "for parameter 'start_time'")
    assert api.ok("runs/search", {"experiment_ids": [exp_id]}) == before


def test_a_non_integral_start_time_is_dropped_as_mlflow_drops_it(api, exp_id):
    # MLflow's protobuf parsing gives up on the field and its int() check passes: the run
    # gets the start_time of a request without one (0), as log-metric's timestamp 1.5 does
    # in the recorded transcripts
    run = api.ok("runs/create", {"experiment_id": exp_id, "start_time": 1.5})["run"]["info"]
    plain = api.ok("runs/create", {"experiment_id": exp_id})["run"]["info"]
    assert run["start_time"] == plain["start_time"] == 0


def test_a_body_with_a_huge_number_is_not_dropped(api, run_id):
    # the whole body used to be unreadable, so log-metric answered "missing run_id"
    status, answer = api.post("runs/log-metric", f'{{"run_id": "{run_id}", "key": "m", "value": 1e309, '
                                                 f'"timestamp": 99999999999999999999}}')
    assert_invalid(status, answer, "for parameter 'timestamp'")
    api.ok("runs/log-metric", f'{{"run_id": "{run_id}", "key": "m", "value": 1e309, "timestamp": 5}}')
    history = api.ok_get("metrics/get-history", f"run_id={run_id}&metric_key=m")["metrics"]
    assert history == [{"key": "m", "value": 1.7976931348623157e308, "timestamp": 5, "step": 0}]


# ---- filters --------------------------------------------------------------------------------------

@pytest.mark.parametrize("filter_string", ["AND", "AND AND", "metrics.a > 1 AND", "AND metrics.a > 1",
                                           "and", "metrics.a > 1 AND AND metrics.b > 1"])
def test_a_stray_and_is_refused(api, run_id, exp_id, filter_string):
    status, answer = api.post("runs/search", {"experiment_ids": [exp_id], "filter": filter_string})
    assert_invalid(status, answer, "Invalid clause(s) in filter string:")
    assert "AND" in answer["message"].upper()


@pytest.mark.parametrize("endpoint,method,filter_string", [
    ("experiments/search", "POST", "AND"),
    ("experiments/search", "POST", "name = 'strictness' AND"),
    ("registered-models/search", "GET", "AND name = 'x'"),
    ("model-versions/search", "GET", "AND"),
])
def test_other_searches_refuse_a_stray_and(api, exp_id, endpoint, method, filter_string):
    if method == "POST":
        status, answer = api.post(endpoint, {"filter": filter_string})
    else:
        status, answer = api.get(endpoint, f"filter={quote(filter_string)}")
    assert_invalid(status, answer, "Invalid clause(s) in filter string:")


def test_and_between_comparisons_still_works(api, run_id, exp_id):
    api.ok("runs/log-metric", {"run_id": run_id, "key": "a", "value": 2.0, "timestamp": 1})
    answer = api.ok("runs/search", {"experiment_ids": [exp_id], "filter": "metrics.a > 1 and metrics.a < 3"})
    assert [r["info"]["run_id"] for r in answer["runs"]] == [run_id]
    assert api.ok("runs/search", {"experiment_ids": [exp_id], "filter": "   "})["runs"][0]["info"]["run_id"] == run_id


# ---- paths ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", "/api/2.0/mlflow/experiments/get%00x?experiment_id=0"),
    ("GET", "/api/2.0/mlflow/experiments/get%00?experiment_id=0"),
    ("POST", "/ajax-api/2.0/mlflow/experiments/create%00/delete"),
    ("GET", "/health%00"),
    ("GET", "/version%00.txt"),
    ("GET", "/get-artifact%00?path=x&run_uuid=y"),
    ("GET", "/%00"),
])
def test_a_path_holding_nul_names_no_endpoint(server, method, path):
    """A %00 in the path would cut the decoded path short, and the request would be taken for
    the endpoint before the NUL (experiments/get%00x answered as experiments/get): it names
    no endpoint, as MLflow answers a path it does not know."""
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        body = json.dumps({"name": "nul-path"}) if method == "POST" else None
        conn.request(method, path, body=body, headers=JSON if body else {})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    assert resp.status == 404, (path, resp.status, data[:200])
    answer = json.loads(data.decode("utf-8"))
    assert answer["error_code"] == "ENDPOINT_NOT_FOUND", answer
    # nothing was created on the way
    status, found = Client(server.url).get("experiments/get-by-name", "experiment_name=nul-path")
    assert status == 404, found


def test_ill_formed_utf8_in_a_search_filter_matches_no_stored_text(api):
    # a GET search brings the filter's bytes as they came; no stored name holds them (a
    # PostgreSQL store could not even take them), so = finds nothing and != finds every one
    api.ok("experiments/create", {"name": "utf8-search-a"})
    api.ok("experiments/create", {"name": "utf8-search-b"})
    status, answer = api.get("experiments/search", "max_results=100&filter=name%20%3D%20%27a%FF%FEb%27")
    assert status == 200, answer
    assert answer.get("experiments", []) == []
    status, answer = api.get("experiments/search",
                             "max_results=100&filter=name%20LIKE%20%27utf8-search-%25%27%20AND%20name%20!%3D%20%27%C0%AF%27")
    assert status == 200, answer
    assert sorted(e["name"] for e in answer["experiments"]) == ["utf8-search-a", "utf8-search-b"]
