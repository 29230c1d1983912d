"""Registry reads whose query string carries text that is not UTF-8 (only a query string can:
JSON bodies are checked) answer as on SQLite, where no stored name, key or value is such
text: lookups find no model, version or alias, and search conditions on such text match
nothing, except `!=`, which holds wherever the attribute or tag is present, and IN lists,
which lose such items. A PostgreSQL database refuses such text, so it never reaches it."""

import http.client
import json
from urllib.parse import urlsplit

import pytest

# (path and raw query, error code or None, the names ("model" or "model:version") found)
CASES = [
    ("registered-models/search?filter=name%3D%27%FF%27", None, []),
    ("registered-models/search?filter=name%21%3D%27%FF%27", None, ["qb-m", "qb-n"]),
    ("registered-models/search?filter=name%20LIKE%20%27%25%FF%27", None, []),
    ("registered-models/search?filter=name%20ILIKE%20%27%25%FF%27", None, []),
    ("registered-models/search?filter=tags.k%3D%27%FF%27", None, []),
    ("registered-models/search?filter=tags.k%21%3D%27%FF%27", None, ["qb-m"]),
    ("registered-models/search?filter=tags.%FF%21%3D%27x%27", None, []),
    ("registered-models/search?filter=tags.k%20IN%20(%27%FF%27,%27v%27)", None, ["qb-m"]),
    ("registered-models/search?filter=tags.k%20NOT%20IN%20(%27%FF%27)", None, ["qb-m"]),
    ("model-versions/search?filter=name%3D%27%FF%27", None, []),
    ("model-versions/search?filter=name%21%3D%27%FF%27", None, ["qb-m:1"]),
    ("model-versions/search?filter=tags.k%21%3D%27%FF%27", None, ["qb-m:1"]),
    ("model-versions/search?filter=run_id%20IN%20(%27%FF%27)", None, []),
    ("model-versions/search?filter=source_path%21%3D%27%FF%27", None, ["qb-m:1"]),
    ("model-versions/search?filter=version_number%3D%27%FF%27", None, []),
    ("model-versions/search?filter=version_number%21%3D%27%FF%27", None, ["qb-m:1"]),
    ("model-versions/get?name=qb-m%FF&version=1", "RESOURCE_DOES_NOT_EXIST", []),
    ("model-versions/get-download-uri?name=qb-m%FF&version=1", "RESOURCE_DOES_NOT_EXIST", []),
    ("registered-models/get?name=qb-m%FF", "RESOURCE_DOES_NOT_EXIST", []),
    ("registered-models/get-latest-versions?name=qb-m%FF", "RESOURCE_DOES_NOT_EXIST", []),
    ("registered-models/alias?name=qb-m&alias=a%FF", "INVALID_PARAMETER_VALUE", []),
    ("registered-models/alias?name=qb-m%FF&alias=a", "INVALID_PARAMETER_VALUE", []),
]


def call(server, method, path, body=None):
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json"} if body is not None else {})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    return resp.status, json.loads(data.decode("utf-8")) if data else {}


@pytest.fixture
def registry(server):
    api = "/api/2.0/mlflow/"
    for body in ({"name": "qb-m", "tags": [{"key": "k", "value": "v"}]}, {"name": "qb-n"}):
        assert call(server, "POST", api + "registered-models/create", body)[0] == 200
    version = {"name": "qb-m", "source": "s3://bucket/model", "tags": [{"key": "k", "value": "v"}]}
    assert call(server, "POST", api + "model-versions/create", version)[0] == 200
    assert call(server, "POST", api + "registered-models/alias", {"name": "qb-m", "alias": "a", "version": "1"})[0] == 200
    return server


@pytest.mark.parametrize("path, error, found", CASES, ids=[p for p, _, _ in CASES])
def test_text_that_is_not_utf8_matches_no_row(registry, path, error, found):
    status, answer = call(registry, "GET", "/api/2.0/mlflow/" + path)
    if error:
        assert (status, answer.get("error_code")) == ((404 if error == "RESOURCE_DOES_NOT_EXIST" else 400), error)
        return
    assert status == 200, answer
    rows = answer.get("registered_models", answer.get("model_versions", []))
    assert sorted(r["name"] + (":" + r["version"] if "version" in r else "") for r in rows) == found


def test_history_of_a_name_that_is_not_utf8(registry):
    status, answer = call(registry, "GET", "/api/2.0/mlflowc/registered-models/history?name=qb-m%FF")
    assert (status, answer.get("error_code")) == (404, "RESOURCE_DOES_NOT_EXIST")
