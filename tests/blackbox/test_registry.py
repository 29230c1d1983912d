"""The model registry against the real server: bad input (unknown names and versions,
bad stages, bad and reserved aliases, duplicate names, bad sources) gets MLflow's error
and changes nothing, a deleted version's alias dangles as in MLflow 2.17, and the
history of stage transitions and alias moves is recorded with its user and survives a
restart."""

import http.client
import json
from urllib.parse import urlencode, urlsplit

import pytest

from conftest import stop_server
from test_server_lifecycle import start

JSON = {"Content-Type": "application/json"}


def request(server, method, path, body=None, query=None, headers=None):
    parts = urlsplit(server.url)
    if query:
        path = f"{path}?{urlencode(query, doseq=True)}"
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        hdrs = dict(JSON if body is not None else {}, **(headers or {}))
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    return resp.status, json.loads(data) if data else None


def api(server, method, endpoint, body=None, headers=None, **query):
    return request(server, method, f"/api/2.0/mlflow/{endpoint}", body, query or None, headers)


def ok(server, method, endpoint, body=None, headers=None, **query):
    status, answer = api(server, method, endpoint, body, headers, **query)
    assert status == 200, answer
    return answer


def history(server, **query):
    """mlflowc's audit trail endpoint: (status, answer)."""
    return request(server, "GET", "/api/2.0/mlflowc/registered-models/history", query=query)


def history_ok(server, **query):
    status, answer = history(server, **query)
    assert status == 200, answer
    return answer


def model_snapshot(server, name):
    """Everything a failed request might have changed about a model."""
    model = ok(server, "GET", "registered-models/get", name=name)["registered_model"]
    versions = ok(server, "GET", "model-versions/search", filter=f"name = '{name}'").get("model_versions", [])
    return model, versions


@pytest.fixture
def registry(server):
    """A model with two versions (1 in Staging) and an alias, and a second model."""
    ok(server, "POST", "registered-models/create", {"name": "bb-model", "tags": [{"key": "k", "value": "v"}]})
    ok(server, "POST", "registered-models/create", {"name": "bb-other"})
    for _ in range(2):
        ok(server, "POST", "model-versions/create", {"name": "bb-model", "source": "s3://bucket/model"})
    ok(server, "POST", "model-versions/transition-stage",
       {"name": "bb-model", "version": "1", "stage": "Staging", "archive_existing_versions": False})
    ok(server, "POST", "registered-models/alias", {"name": "bb-model", "alias": "champion", "version": "1"})
    return server


BAD_REQUESTS = [
    # (method, endpoint, body or query, status, error_code)
    ("POST", "registered-models/create", {"name": "bb-model"}, 400, "RESOURCE_ALREADY_EXISTS"),
    ("POST", "registered-models/create", {"name": ""}, 400, "INVALID_PARAMETER_VALUE"),
    ("POST", "registered-models/rename", {"name": "bb-other", "new_name": "bb-model"}, 400, "RESOURCE_ALREADY_EXISTS"),
    ("POST", "registered-models/rename", {"name": "bb-ghost", "new_name": "x"}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ("PATCH", "registered-models/update", {"name": "bb-ghost", "description": "x"}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ("POST", "registered-models/set-tag", {"name": "bb-model", "key": "bad/../key", "value": "x"}, 400,
     "INVALID_PARAMETER_VALUE"),
    ("POST", "registered-models/set-tag", {"name": "bb-model", "key": "k" * 251, "value": "x"}, 400,
     "INVALID_PARAMETER_VALUE"),
    ("GET", "model-versions/get", {"name": "bb-model", "version": "9"}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ("GET", "model-versions/get", {"name": "bb-model", "version": "one"}, 400, "INVALID_PARAMETER_VALUE"),
    ("POST", "model-versions/create", {"name": "bb-ghost", "source": "s3://b/m"}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ("POST", "model-versions/create", {"name": "bb-model", "source": "/etc"}, 400, "INVALID_PARAMETER_VALUE"),
    ("POST", "model-versions/create", {"name": "bb-model", "source": "s3://b/%2e%2e/etc"}, 400,
     "INVALID_PARAMETER_VALUE"),
    ("POST", "model-versions/create", {"name": "bb-model", "source": "mlflow-artifacts:/1/./x"}, 400,
     "INVALID_PARAMETER_VALUE"),
    ("POST", "model-versions/transition-stage",
     {"name": "bb-model", "version": "2", "stage": "Retired", "archive_existing_versions": False}, 400,
     "INVALID_PARAMETER_VALUE"),
    ("POST", "model-versions/transition-stage",
     {"name": "bb-model", "version": "2", "stage": "Archived", "archive_existing_versions": True}, 400,
     "INVALID_PARAMETER_VALUE"),
    ("POST", "model-versions/transition-stage",
     {"name": "bb-model", "version": "7", "stage": "Production", "archive_existing_versions": True}, 404,
     "RESOURCE_DOES_NOT_EXIST"),
    ("POST", "registered-models/get-latest-versions", {"name": "bb-model", "stages": ["Nope"]}, 400,
     "INVALID_PARAMETER_VALUE"),
    ("POST", "registered-models/alias", {"name": "bb-model", "alias": "latest", "version": "2"}, 400,
     "INVALID_PARAMETER_VALUE"),
    ("POST", "registered-models/alias", {"name": "bb-model", "alias": "V2", "version": "2"}, 400,
     "INVALID_PARAMETER_VALUE"),
    ("POST", "registered-models/alias", {"name": "bb-model", "alias": "has space", "version": "2"}, 400,
     "INVALID_PARAMETER_VALUE"),
    ("POST", "registered-models/alias", {"name": "bb-model", "alias": "a" * 256, "version": "2"}, 400,
     "INVALID_PARAMETER_VALUE"),
    ("POST", "registered-models/alias", {"name": "bb-model", "alias": "champion", "version": "9"}, 404,
     "RESOURCE_DOES_NOT_EXIST"),
    ("DELETE", "registered-models/alias", {"name": "bb-ghost", "alias": "champion"}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ("GET", "registered-models/alias", {"name": "bb-model", "alias": "nope"}, 400, "INVALID_PARAMETER_VALUE"),
    ("DELETE", "model-versions/delete", {"name": "bb-model", "version": "9"}, 404, "RESOURCE_DOES_NOT_EXIST"),
    ("POST", "model-versions/set-tag", {"name": "bb-model", "version": "9", "key": "k", "value": "v"}, 404,
     "RESOURCE_DOES_NOT_EXIST"),
    ("GET", "registered-models/search", {"max_results": "1001"}, 400, "INVALID_PARAMETER_VALUE"),
    ("GET", "model-versions/search", {"max_results": "0"}, 400, "INVALID_PARAMETER_VALUE"),
    ("GET", "model-versions/search", {"filter": "name = 'a' OR (name = 'b'"}, 400, "INVALID_PARAMETER_VALUE"),
]


@pytest.mark.parametrize("method,endpoint,args,status,code", BAD_REQUESTS,
                         ids=[f"{m} {e} {i}" for i, (m, e, *_) in enumerate(BAD_REQUESTS)])
def test_bad_input_changes_nothing(registry, method, endpoint, args, status, code):
    before = model_snapshot(registry, "bb-model"), model_snapshot(registry, "bb-other")
    history_before = history_ok(registry, name="bb-model")
    if method == "GET":
        got_status, answer = api(registry, method, endpoint, **args)
    else:
        got_status, answer = api(registry, method, endpoint, args)
    assert (got_status, answer["error_code"]) == (status, code), answer
    assert isinstance(answer["message"], str) and answer["message"]
    assert (model_snapshot(registry, "bb-model"), model_snapshot(registry, "bb-other")) == before
    assert history_ok(registry, name="bb-model") == history_before


def test_deleting_an_aliased_version_leaves_the_alias_dangling(registry):
    ok(registry, "DELETE", "model-versions/delete", {"name": "bb-model", "version": "1"})
    status, answer = api(registry, "GET", "registered-models/alias", name="bb-model", alias="champion")
    assert (status, answer["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    model = ok(registry, "GET", "registered-models/get", name="bb-model")["registered_model"]
    assert model["aliases"] == [{"alias": "champion", "version": "1"}]
    created = ok(registry, "POST", "model-versions/create", {"name": "bb-model", "source": "s3://b/m"})
    assert created["model_version"]["version"] == "3"


def test_history_records_who_moved_what_and_survives_restart(mlflowc_bin, tmp_path):
    server = start(mlflowc_bin, tmp_path)
    try:
        ok(server, "POST", "registered-models/create", {"name": "audited"})
        for _ in range(2):
            ok(server, "POST", "model-versions/create", {"name": "audited", "source": "s3://b/m"})
        carol = {"X-MLflow-User": "carol"}
        ok(server, "POST", "model-versions/transition-stage",
           {"name": "audited", "version": "1", "stage": "production", "archive_existing_versions": False,
            "comment": "first release"}, headers=carol)
        ok(server, "POST", "model-versions/transition-stage",
           {"name": "audited", "version": "2", "stage": "Production", "archive_existing_versions": True})
        ok(server, "POST", "registered-models/alias", {"name": "audited", "alias": "champ", "version": "2"},
           headers=carol)
        ok(server, "DELETE", "registered-models/alias", {"name": "audited", "alias": "champ"})
        ok(server, "POST", "registered-models/rename", {"name": "audited", "new_name": "audited-v2"})
    finally:
        stop_server(server)

    again = start(mlflowc_bin, tmp_path)
    try:
        events = history_ok(again, name="audited-v2")["history"]
        moves = [(e["kind"], e["version"], e.get("alias"), e.get("from"), e.get("to"), e["user_id"])
                 for e in events]
        assert moves == [
            ("stage", "1", None, "None", "Production", "carol"),
            ("stage", "1", None, "Production", "Archived", "unknown"),
            ("stage", "2", None, "None", "Production", "unknown"),
            ("alias", "2", "champ", None, "2", "carol"),
            ("alias", "2", "champ", "2", None, "unknown"),
        ]
        assert events[0]["comment"] == "first release"
        assert all(e["name"] == "audited" and isinstance(e["timestamp"], int) for e in events)
        only_v2 = history_ok(again, name="audited-v2", version="2")
        assert len(only_v2["history"]) == 3
        status, answer = history(again, name="audited")
        assert (status, answer["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    finally:
        stop_server(again)
