"""Model-version search by version_number with a quoted or fractional value answers as
MLflow on SQLite does, on every store: a string that reads as a number (spaces around it
allowed) is that number, any other string sorts after every version number, and a fraction
compares as a fraction (PostgreSQL would refuse to read 'one' or 2.5 as a version number)."""

import http.client
import json
from urllib.parse import urlencode, urlsplit

import pytest

# (filter, versions it matches among 1, 2, 3); outcomes recorded from the SQLite store
CASES = [
    ("version_number = '2'", [2]),
    ("version_number = ' 2 '", [2]),
    ("version_number = '+2'", [2]),
    ("version_number = '2.0'", [2]),
    ("version_number = '2.'", [2]),
    ("version_number = '.2e1'", [2]),
    ("version_number = '1e0'", [1]),
    ("version_number = '2.5'", []),
    ("version_number <= '2.5'", [1, 2]),
    ("version_number = 'one'", []),
    ("version_number != 'one'", [1, 2, 3]),
    ("version_number < 'one'", [1, 2, 3]),
    ("version_number <= 'one'", [1, 2, 3]),
    ("version_number > 'one'", []),
    ("version_number >= 'one'", []),
    ("version_number = ''", []),
    ("version_number = '0x2'", []),
    ("version_number = '1e'", []),
    ("version_number = 2.5", []),
    ("version_number != 2.5", [1, 2, 3]),
    ("version_number < 2.5", [1, 2]),
    ("version_number > 2.5", [3]),
    ("version_number >= 2.5", [3]),
    ("version_number = -0.0", []),
    ("version_number > 1e30", []),
    ("version_number < 1e30", [1, 2, 3]),
    ("version_number > -1e30", [1, 2, 3]),
    ("version_number = 99999999999999999999", []),
    ("version_number = 'one' OR version_number = 3", [3]),
    ("NOT (version_number = 'one') AND name = 'vn-model'", [1, 2, 3]),
    ("version_number > 1 AND version_number < '2.9'", [2]),
]


def call(server, method, endpoint, body=None, **query):
    parts = urlsplit(server.url)
    path = f"/api/2.0/mlflow/{endpoint}" + (f"?{urlencode(query)}" if query else "")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json"} if body is not None else {})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    assert resp.status == 200, data
    return json.loads(data) if data else {}


@pytest.fixture
def three_versions(server):
    call(server, "POST", "registered-models/create", {"name": "vn-model"})
    for _ in range(3):
        call(server, "POST", "model-versions/create", {"name": "vn-model", "source": "s3://bucket/model"})
    return server


@pytest.mark.parametrize("condition, expected", CASES, ids=[c for c, _ in CASES])
def test_version_number_condition(three_versions, condition, expected):
    answer = call(three_versions, "GET", "model-versions/search", filter=condition)
    assert sorted(int(v["version"]) for v in answer.get("model_versions", [])) == expected
