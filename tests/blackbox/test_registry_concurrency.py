"""The model registry under concurrent writers, on whatever store the servers use
(MLF_TEST_STORE_URI): many clients creating versions of one model at once, through one
server and through two servers sharing the store, get the numbers 1..N, each once, and
every acknowledged version is there; of many clients racing to create one name exactly
one wins; transitions to one stage with archive_existing_versions leave exactly one
version in that stage, and every move is in the history. On PostgreSQL these hold only
because each write takes the model's row lock before it numbers, archives or checks."""

import http.client
import json
import threading
from urllib.parse import urlencode, urlsplit

from conftest import free_local_port, launch_server, stop_server, store_uri

THREADS = 12
CREATES_PER_THREAD = 10


def request(server, method, endpoint, body=None, **query):
    """(status, answer) of one call on a fresh connection."""
    parts = urlsplit(server.url)
    path = f"/api/2.0/mlflow/{endpoint}" + (f"?{urlencode(query)}" if query else "")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json"} if body is not None else {})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    return resp.status, json.loads(data) if data else None


def ok(server, method, endpoint, body=None, **query):
    status, answer = request(server, method, endpoint, body, **query)
    assert status == 200, answer
    return answer


def in_parallel(n_threads, work):
    """Runs work(i) on n_threads threads at once (released together) and returns their
    results by i; an exception in a thread is re-raised here."""
    results, errors = [None] * n_threads, []
    start = threading.Barrier(n_threads)

    def body(i):
        try:
            start.wait()
            results[i] = work(i)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def all_versions(server, name):
    found, token = [], None
    for _ in range(100):  # bounded: 100 pages of 200
        query = {"filter": f"name = '{name}'", "max_results": 200}
        if token:
            query["page_token"] = token
        answer = ok(server, "GET", "model-versions/search", **query)
        found += answer.get("model_versions", [])
        token = answer.get("next_page_token")
        if not token:
            break
    return found


def create_versions(servers, name):
    """THREADS clients, spread over `servers`, each creating CREATES_PER_THREAD versions
    of `name`: the version numbers the server acknowledged."""
    def work(i):
        server = servers[i % len(servers)]
        got = []
        for k in range(CREATES_PER_THREAD):
            answer = ok(server, "POST", "model-versions/create",
                        {"name": name, "source": f"s3://bucket/{i}/{k}",
                         "tags": [{"key": "writer", "value": f"{i}-{k}"}]})
            version = answer["model_version"]
            assert version["tags"] == [{"key": "writer", "value": f"{i}-{k}"}]
            got.append((int(version["version"]), f"s3://bucket/{i}/{k}"))
        return got
    return [pair for got in in_parallel(THREADS, work) for pair in got]


def check_numbering(server, name, acknowledged):
    total = THREADS * CREATES_PER_THREAD
    numbers = sorted(v for v, _ in acknowledged)
    assert numbers == list(range(1, total + 1)), "duplicate or missing version numbers"
    stored = {int(v["version"]): v["source"] for v in all_versions(server, name)}
    assert stored == dict(acknowledged), "an acknowledged version is missing or changed"
    latest = ok(server, "POST", "registered-models/get-latest-versions", {"name": name})["model_versions"]
    assert [int(v["version"]) for v in latest] == [total]


def test_parallel_version_creates_through_one_server_number_1_to_n(server):
    ok(server, "POST", "registered-models/create", {"name": "conc-one"})
    check_numbering(server, "conc-one", create_versions([server], "conc-one"))
    # A deleted number is never handed out again, even after concurrent creates.
    ok(server, "DELETE", "model-versions/delete", {"name": "conc-one", "version": str(THREADS * CREATES_PER_THREAD)})
    nxt = ok(server, "POST", "model-versions/create", {"name": "conc-one", "source": "s3://bucket/next"})
    assert nxt["model_version"]["version"] == str(THREADS * CREATES_PER_THREAD + 1)


def test_parallel_version_creates_through_two_servers_sharing_the_store(mlflowc_bin, tmp_path):
    servers = []
    try:
        for i in range(2):
            workdir = tmp_path / f"replica{i}"
            workdir.mkdir()
            port = free_local_port()
            servers.append(launch_server([mlflowc_bin, "server", "--backend-store-uri", store_uri(tmp_path),
                                          "--artifacts-destination", tmp_path / "artifacts",
                                          "--host", "127.0.0.1", "--port", str(port)], port, workdir))
        ok(servers[0], "POST", "registered-models/create", {"name": "conc-two"})
        acknowledged = create_versions(servers, "conc-two")
        for s in servers:
            check_numbering(s, "conc-two", acknowledged)
    finally:
        for s in servers:
            stop_server(s)


def test_racing_creates_of_one_name_one_wins(server):
    answers = in_parallel(THREADS, lambda i: request(server, "POST", "registered-models/create",
                                                     {"name": "conc-name", "description": f"writer {i}"}))
    winners = [i for i, (status, _) in enumerate(answers) if status == 200]
    assert len(winners) == 1, answers
    for status, answer in answers:
        if status != 200:
            assert status == 400 and answer["error_code"] == "RESOURCE_ALREADY_EXISTS", answer
    model = ok(server, "GET", "registered-models/get", name="conc-name")["registered_model"]
    assert model["description"] == f"writer {winners[0]}"


def test_racing_renames_onto_one_name_one_wins(server):
    for i in range(THREADS):
        ok(server, "POST", "registered-models/create", {"name": f"conc-src-{i}"})
    answers = in_parallel(THREADS, lambda i: request(server, "POST", "registered-models/rename",
                                                     {"name": f"conc-src-{i}", "new_name": "conc-dst"}))
    assert sum(status == 200 for status, _ in answers) == 1, answers
    for status, answer in answers:
        if status != 200:
            assert status == 400 and answer["error_code"] == "RESOURCE_ALREADY_EXISTS", answer
    names = {m["name"] for m in ok(server, "GET", "registered-models/search", max_results=1000)["registered_models"]}
    assert "conc-dst" in names and len(names) == THREADS


def test_racing_transitions_with_archive_leave_one_version_in_the_stage(server):
    ok(server, "POST", "registered-models/create", {"name": "conc-stage"})
    for k in range(THREADS):
        ok(server, "POST", "model-versions/create", {"name": "conc-stage", "source": f"s3://bucket/{k}"})
    in_parallel(THREADS, lambda i: ok(server, "POST", "model-versions/transition-stage",
                                      {"name": "conc-stage", "version": str(i + 1), "stage": "Production",
                                       "archive_existing_versions": True}))
    stages = {int(v["version"]): v["current_stage"] for v in all_versions(server, "conc-stage")}
    production = [v for v, stage in stages.items() if stage == "Production"]
    assert len(production) == 1, stages
    assert all(stage == "Archived" for v, stage in stages.items() if v != production[0]), stages
    # The history replays to the same state: each move starts from where the last one left it.
    status, events = None, None
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("GET", "/api/2.0/mlflowc/registered-models/history?" + urlencode({"name": "conc-stage"}))
        resp = conn.getresponse()
        status, events = resp.status, json.loads(resp.read())
    finally:
        conn.close()
    assert status == 200, events
    replay = {}
    for e in events.get("history", []):
        assert e["kind"] == "stage"
        v = int(e["version"])
        assert e.get("from", "None") == replay.get(v, "None"), e
        replay[v] = e["to"]
    assert replay == stages
