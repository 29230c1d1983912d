"""Self-check of replay.py's rules, no mlflowc needed.

Feeds recorded-versus-live pairs through the comparison, placeholder and request-building
functions and checks that each rule of shared/conformance/README.md passes what it
should and fails what it should. The last tests replay tiny transcripts against an
in-process fake server to check the wire level (exact headers, path, pacing).

    /usr/bin/python3 -m pytest -q tests/conformance/test_replay_rules.py
"""

import hashlib
import http.server
import json
import threading
import time

import pytest

import replay

RUN_A = "3c7b212279bf47a08636a60856d09903"
RUN_B = "23675ac376df46e28434bdfa6f829244"
LIVE_RUN_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
LIVE_RUN_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"


def recorded(body_json, status=200, content_type="application/json"):
    return {"status": status, "content_type": content_type, "body_json": body_json}


def live(body, status=200, content_type="application/json"):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return replay.LiveResponse(status, content_type, raw)


def judge(recorded_response, live_response, placeholders=None, strict=False):
    placeholders = replay.Placeholders() if placeholders is None else placeholders
    window = replay.TimestampWindow(replay.now_ms())
    return replay.compare_response(recorded_response, live_response, placeholders, window, strict)


def request(method="POST", path="/api/2.0/mlflow/runs/get", query=None, body_json=None,
            content_type="application/json"):
    headers = {"content-type": content_type} if content_type else {}
    return {"method": method, "path": path, "query": query or {}, "headers": headers,
            "body_json": body_json}


def placeholders_with(experiment_bindings=(), run_bindings=()):
    placeholders = replay.Placeholders()
    for kind, bindings in (("experiment", experiment_bindings), ("run", run_bindings)):
        for recorded_value, live_value in bindings:
            assert placeholders.bind(kind, recorded_value, live_value) is None
    return placeholders


# --- structural JSON comparison -------------------------------------------------------

def test_equal_bodies_pass():
    body = {"experiment": {"name": "cf-x", "lifecycle_stage": "active", "tags": []}}
    assert judge(recorded(body), live(body)) == []


def test_extra_key_fails():
    differences = judge(recorded({"a": "1"}), live({"a": "1", "runs": []}))
    assert [d.where for d in differences] == ["$.runs"]


def test_missing_key_fails():
    differences = judge(recorded({"a": "1", "b": "2"}), live({"a": "1"}))
    assert [d.where for d in differences] == ["$.b"]


def test_integer_equals_float():
    assert judge(recorded({"value": 1}), live({"value": 1.0})) == []


def test_different_numbers_fail():
    assert judge(recorded({"value": 1.5}), live({"value": 1.25}))


def test_string_never_equals_number():
    assert judge(recorded({"value": "1"}), live({"value": 1}))
    assert judge(recorded({"value": 1}), live({"value": "1"}))


def test_boolean_is_not_a_number():
    assert judge(recorded({"flag": True}), live({"flag": 1}))


def test_nonfinite_markers_match_only_exactly():
    marker_body = b'{"value": NaN}'
    assert judge(recorded({"value": {"$nonfinite": "NaN"}}), live(marker_body)) == []
    assert judge(recorded({"value": "NaN"}), live(marker_body))


def test_unordered_tags_params_and_run_metrics_pass():
    tags = [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
    metrics = [{"key": "m", "value": 1, "timestamp": 5, "step": 0},
               {"key": "n", "value": 2, "timestamp": 5, "step": 0}]
    body = {"run": {"data": {"tags": tags, "params": tags, "metrics": metrics}}}
    reordered = {"run": {"data": {"tags": tags[::-1], "params": tags[::-1], "metrics": metrics[::-1]}}}
    assert judge(recorded(body), live(reordered)) == []


def test_unordered_aliases_pass_for_objects_and_strings():
    body = {"registered_model": {"aliases": [{"alias": "a", "version": "1"}, {"alias": "b", "version": "2"}]},
            "model_version": {"aliases": ["a", "b"]}}
    reordered = {"registered_model": {"aliases": [{"alias": "b", "version": "2"}, {"alias": "a", "version": "1"}]},
                 "model_version": {"aliases": ["b", "a"]}}
    assert judge(recorded(body), live(reordered)) == []


def test_unordered_tag_with_wrong_value_fails():
    body = {"tags": [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]}
    wrong = {"tags": [{"key": "b", "value": "2"}, {"key": "a", "value": "9"}]}
    assert [d.where for d in judge(recorded(body), live(wrong))] == ["$.tags[key=a].value"]


def test_reordered_search_results_fail():
    runs = [{"info": {"run_name": "r1"}}, {"info": {"run_name": "r2"}}]
    placeholders = replay.Placeholders()
    placeholders.note_sent(request(body_json={"run_name": "r1"}))
    placeholders.note_sent(request(body_json={"run_name": "r2"}))
    assert judge(recorded({"runs": runs}), live({"runs": runs[::-1]}), placeholders)


def test_metric_history_is_ordered():
    history = [{"key": "m", "value": 1, "timestamp": 1, "step": 0},
               {"key": "m", "value": 2, "timestamp": 2, "step": 0}]
    assert judge(recorded({"metrics": history}), live({"metrics": history[::-1]}))


def test_array_length_difference_fails():
    assert judge(recorded({"files": [{"path": "a"}]}), live({"files": []}))


# --- volatile timestamps ---------------------------------------------------------------

def test_volatile_timestamp_in_range_passes():
    assert judge(recorded({"creation_time": 1795806940796}), live({"creation_time": replay.now_ms()})) == []


# Each value is computed when the test runs, not when pytest collects it: the
# suite takes minutes, and "10 minutes ahead" must stay ahead.
@pytest.mark.parametrize("make_live_value", [
    lambda: int(time.time()),                       # seconds
    lambda: int(time.time() * 1_000_000),           # microseconds
    lambda: str(int(time.time() * 1000)),           # string
    lambda: None,
    lambda: float(int(time.time() * 1000)) + 0.5,   # not an integer
    lambda: int(time.time() * 1000) - 8 * 24 * 3600 * 1000,  # more than a week before replay start
    lambda: int(time.time() * 1000) + 11 * 60 * 1000,        # more than 10 minutes ahead
], ids=["seconds", "microseconds", "string", "null", "fraction", "week-old", "future"])
def test_volatile_timestamp_out_of_rule_fails(make_live_value):
    live_value = make_live_value()
    assert judge(recorded({"last_update_time": 1795806940796}), live({"last_update_time": live_value}))


def test_client_supplied_timestamp_is_echoed():
    assert judge(recorded({"start_time": 1700000000000}), live({"start_time": 1700000000000})) == []


# --- error messages and codes -----------------------------------------------------------

def test_error_message_text_is_compared_by_type_only():
    official = recorded({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Run 'x' not found"}, 404)
    ours = live({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such run"}, 404)
    assert judge(official, ours) == []
    assert judge(official, ours, strict=True)


def test_error_message_must_be_a_string():
    official = recorded({"error_code": "INVALID_PARAMETER_VALUE", "message": "bad"}, 400)
    assert judge(official, live({"error_code": "INVALID_PARAMETER_VALUE", "message": None}, 400))


def test_error_code_difference_fails():
    official = recorded({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "m"}, 404)
    ours = live({"error_code": "INVALID_PARAMETER_VALUE", "message": "m"}, 404)
    assert [d.where for d in judge(official, ours)] == ["$.error_code"]


# --- status, content type and non-JSON bodies ------------------------------------------

def test_status_difference_fails():
    assert [d.where for d in judge(recorded({}), live({}, status=201))] == ["status"]


def test_content_type_compared_by_media_type_only():
    official = {"status": 200, "content_type": "text/plain; charset=utf-8", "body_text": "x"}
    assert judge(official, replay.LiveResponse(200, "Text/Plain", b"x")) == []
    assert judge(recorded({}), live({}, content_type="text/plain"))


def test_official_crash_accepts_any_error_status():
    crash = {"status": 500, "content_type": "text/html; charset=utf-8", "body_text": "<html>"}
    internal = recorded({"error_code": "INTERNAL_ERROR", "message": "boom"}, 500)
    for official in (crash, internal):
        assert judge(official, live({"error_code": "INVALID_PARAMETER_VALUE", "message": "m"}, 400)) == []
        assert judge(official, live({}, 200))


def test_deliberate_5xx_is_compared_normally():
    official = recorded({"error_code": "INVALID_STATE", "message": "m"}, 500)
    assert judge(official, live({"error_code": "INVALID_STATE", "message": "x"}, 500)) == []
    assert judge(official, live({"error_code": "INVALID_PARAMETER_VALUE", "message": "x"}, 400))


def test_framework_error_page_compares_status_only():
    page = {"status": 405, "content_type": "text/html; charset=utf-8", "body_text": "<!doctype html>..."}
    assert judge(page, live({"error_code": "ENDPOINT_NOT_FOUND", "message": "m"}, 405)) == []
    assert judge(page, live({}, 404))


def test_empty_body_must_be_empty():
    assert judge(recorded(None), replay.LiveResponse(200, "application/json", b"")) == []
    assert judge(recorded(None), live({}))


def test_json_body_must_parse():
    assert judge(recorded({}), replay.LiveResponse(200, "application/json", b"not json"))


def test_body_text_compared_after_run_id_substitution():
    placeholders = placeholders_with(run_bindings=[(RUN_A, LIVE_RUN_A)])
    official = {"status": 200, "content_type": "text/plain", "body_text": f"run_id: {RUN_A}\n"}
    ok = replay.LiveResponse(200, "text/plain", f"run_id: {LIVE_RUN_A}\n".encode())
    assert judge(official, ok, placeholders) == []
    assert judge(official, replay.LiveResponse(200, "text/plain", f"run_id: {RUN_A}\n".encode()), placeholders)


def test_binary_and_hash_only_bodies_compared_byte_for_byte():
    data = bytes(range(256))
    official_b64 = {"status": 200, "content_type": "application/octet-stream",
                    "body_b64": "AAECAw=="}
    assert judge(official_b64, replay.LiveResponse(200, "application/octet-stream", b"\0\1\2\3")) == []
    assert judge(official_b64, replay.LiveResponse(200, "application/octet-stream", b"\0\1\2\4"))
    official_hash = {"status": 200, "content_type": "application/octet-stream",
                     "body_sha256": hashlib.sha256(data).hexdigest(), "body_len": len(data)}
    assert judge(official_hash, replay.LiveResponse(200, "application/octet-stream", data)) == []
    assert judge(official_hash, replay.LiveResponse(200, "application/octet-stream", data[:-1]))


# --- placeholders -------------------------------------------------------------------------

def test_run_id_binds_and_is_substituted_afterwards():
    placeholders = replay.Placeholders()
    created = recorded({"run": {"info": {"run_id": RUN_A, "run_uuid": RUN_A,
                                         "artifact_uri": f"mlflow-artifacts:/1/{RUN_A}/artifacts"}}})
    answer = live({"run": {"info": {"run_id": LIVE_RUN_A, "run_uuid": LIVE_RUN_A,
                                    "artifact_uri": f"mlflow-artifacts:/1/{LIVE_RUN_A}/artifacts"}}})
    assert judge(created, answer, placeholders) == []
    follow_up = replay.prepare_request(request(
        method="GET", path=f"/api/2.0/mlflow-artifacts/artifacts/1/{RUN_A}/artifacts/x",
        query={"run_id": [RUN_A]}, content_type=None), placeholders)
    assert follow_up.target == f"/api/2.0/mlflow-artifacts/artifacts/1/{LIVE_RUN_A}/artifacts/x?run_id={LIVE_RUN_A}"
    search = replay.prepare_request(request(
        body_json={"filter": f"tags.mlflow.parentRunId = '{RUN_A}'"}), placeholders)
    assert json.loads(search.body) == {"filter": f"tags.mlflow.parentRunId = '{LIVE_RUN_A}'"}


def test_conflicting_rebinding_fails():
    placeholders = placeholders_with(run_bindings=[(RUN_A, LIVE_RUN_A)])
    differences = judge(recorded({"run_id": RUN_A}), live({"run_id": LIVE_RUN_B}), placeholders)
    assert [d.where for d in differences] == ["$.run_id"]


def test_one_live_id_for_two_objects_fails():
    placeholders = placeholders_with(run_bindings=[(RUN_A, LIVE_RUN_A)])
    assert judge(recorded({"run_id": RUN_B}), live({"run_id": LIVE_RUN_A}), placeholders)


def test_value_sent_by_the_client_must_be_echoed():
    placeholders = replay.Placeholders()
    placeholders.note_sent(request(method="GET", query={"run_id": [RUN_A], "experiment_id": ["0"]},
                                   content_type=None))
    assert judge(recorded({"run_id": RUN_A}), live({"run_id": LIVE_RUN_A}), placeholders)
    assert judge(recorded({"experiment_id": "0"}), live({"experiment_id": "7"}), placeholders)
    assert judge(recorded({"experiment_id": "0"}), live({"experiment_id": "0"}), placeholders) == []


def test_generated_run_name_binds_through_tag_and_field():
    placeholders = replay.Placeholders()
    official = recorded({"run_name": "adorable-bug-17",
                         "tags": [{"key": "mlflow.runName", "value": "adorable-bug-17"}]})
    ours = live({"run_name": "quiet-fox-3", "tags": [{"key": "mlflow.runName", "value": "quiet-fox-3"}]})
    assert judge(official, ours, placeholders) == []
    renamed = live({"run_name": "quiet-fox-3", "tags": [{"key": "mlflow.runName", "value": "other-name-1"}]})
    assert judge(official, renamed, placeholders)


def test_page_token_binds_and_is_substituted():
    placeholders = replay.Placeholders()
    assert judge(recorded({"next_page_token": "eyJvZmZzZXQiOiAyfQ=="}),
                 live({"next_page_token": "page-2-token"}), placeholders) == []
    prepared = replay.prepare_request(request(body_json={"page_token": "eyJvZmZzZXQiOiAyfQ=="}), placeholders)
    assert json.loads(prepared.body) == {"page_token": "page-2-token"}


def test_experiment_id_is_substituted_only_where_it_is_an_experiment_id():
    placeholders = placeholders_with(experiment_bindings=[("1", "42")])
    prepared = replay.prepare_request(request(body_json={
        "experiment_id": "1", "experiment_ids": ["1", 1, "999"],
        "params": [{"key": "k", "value": "1"}],
        "filter": "source_path = 'mlflow-artifacts:/1/model'",
    }), placeholders)
    assert json.loads(prepared.body) == {
        "experiment_id": "42", "experiment_ids": ["42", 42, "999"],
        "params": [{"key": "k", "value": "1"}],
        "filter": "source_path = 'mlflow-artifacts:/42/model'",
    }
    listing = replay.prepare_request(request(
        method="GET", path="/api/2.0/mlflow-artifacts/artifacts",
        query={"path": ["1/run/artifacts"], "max_results": ["1"]}, content_type=None), placeholders)
    assert listing.target == "/api/2.0/mlflow-artifacts/artifacts?path=42%2Frun%2Fartifacts&max_results=1"
    assert judge(recorded({"experiment": {"experiment_id": "1", "artifact_location": "mlflow-artifacts:/1"}}),
                 live({"experiment": {"experiment_id": "42", "artifact_location": "mlflow-artifacts:/42"}}),
                 placeholders) == []


# --- request building -----------------------------------------------------------------

def test_nonfinite_markers_are_sent_as_bare_tokens():
    prepared = replay.prepare_request(request(body_json={
        "a": {"$nonfinite": "NaN"}, "b": {"$nonfinite": "-Infinity"}, "c": {"$nonfinite": "Infinity"}}),
        replay.Placeholders())
    assert prepared.body == b'{"a": NaN, "b": -Infinity, "c": Infinity}'


def test_query_is_reencoded_with_repeated_keys_and_headers_as_recorded():
    prepared = replay.prepare_request(request(
        method="GET", path="/api/2.0/mlflow/registered-models/search",
        query={"filter": ["name LIKE 'cf-%'"], "order_by": ["name ASC", "name DESC"]},
        content_type=None), replay.Placeholders())
    assert prepared.target == ("/api/2.0/mlflow/registered-models/search"
                               "?filter=name+LIKE+%27cf-%25%27&order_by=name+ASC&order_by=name+DESC")
    assert prepared.headers == {} and prepared.body is None


def test_hash_only_body_is_regenerated_and_verified():
    expected = bytes(i % 251 for i in range(70000))
    body = replay.hash_only_body(hashlib.sha256(expected).hexdigest(), 70000)
    assert body == expected
    with pytest.raises(ValueError):
        replay.hash_only_body(hashlib.sha256(b"other").hexdigest(), 70000)


# --- extensions -----------------------------------------------------------------------

def test_shipped_extensions_file_is_valid():
    replay.load_extensions()


def test_malformed_extension_is_rejected(tmp_path):
    path = tmp_path / "extensions.json"
    path.write_text(json.dumps([{"scenario": "search_runs", "seq": 3, "expect": {"status": 200}}]))
    with pytest.raises(ValueError):
        replay.load_extensions(path)


def test_extension_is_checked_against_its_declared_outcome():
    extension = replay.Extension("search_runs", 3, "OR in filters", 400, "INVALID_PARAMETER_VALUE")
    assert replay.check_extension(extension, live({"error_code": "INVALID_PARAMETER_VALUE", "message": "m"}, 400)) == []
    assert replay.check_extension(extension, live({}, 200))


# --- wire level, against an in-process fake server --------------------------------------

class FakeServer:
    """Answers canned responses in order and remembers what it received and when."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.received = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                fake.received.append((time.monotonic(), self.command, self.path,
                                      self.headers.get("Content-Type"), self.rfile.read(length)))
                status, content_type, body = fake.answers.pop(0)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = answer

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def two_exchange_transcript():
    return replay.Transcript("fake", [
        {"seq": 1, "scenario": "fake",
         "request": request(path="/api/2.0/mlflow/runs/create", body_json={"experiment_id": "0"}),
         "response": recorded({"run": {"info": {"run_id": RUN_A, "experiment_id": "0",
                                                "start_time": 1795806940796}}})},
        {"seq": 2, "scenario": "fake",
         "request": request(method="GET", path="/api/2.0/mlflow/runs/get",
                            query={"run_id": [RUN_A]}, content_type=None),
         "response": recorded({"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "gone"}, 404)},
    ])


def test_replay_against_a_conforming_fake_passes_with_exact_wire_format():
    fake = FakeServer([
        (200, "application/json", json.dumps({"run": {"info": {
            "run_id": LIVE_RUN_A, "experiment_id": "0", "start_time": replay.now_ms()}}}).encode()),
        (404, "application/json", b'{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no"}'),
    ])
    try:
        result = replay.replay_transcript(fake.url, two_exchange_transcript())
    finally:
        fake.close()
    assert (result.passed, result.failed) == (2, 0), "\n".join(result.report())
    (_, method1, path1, type1, body1), (_, method2, path2, type2, body2) = fake.received
    assert (method1, path1, type1, body1) == ("POST", "/api/2.0/mlflow/runs/create", "application/json",
                                              b'{"experiment_id": "0"}')
    assert (method2, path2, type2, body2) == ("GET", f"/api/2.0/mlflow/runs/get?run_id={LIVE_RUN_A}", None, b"")
    assert fake.answers == []


def test_replay_against_a_deviating_fake_reports_each_mismatch():
    fake = FakeServer([
        (200, "application/json", json.dumps({"run": {"info": {
            "run_id": LIVE_RUN_A, "experiment_id": "0", "start_time": int(time.time())}}}).encode()),
        (200, "text/plain", b"OK"),
    ])
    try:
        result = replay.replay_transcript(fake.url, two_exchange_transcript())
    finally:
        fake.close()
    assert (result.passed, result.failed) == (0, 2)
    report = "\n".join(result.report())
    assert "#1 POST /api/2.0/mlflow/runs/create" in report and "$.run.info.start_time" in report
    assert "#2 GET /api/2.0/mlflow/runs/get" in report and "status: recorded 404, live 200" in report


def test_replay_paces_requests_at_least_2_ms_apart():
    transcript = replay.Transcript("fake", [
        {"seq": seq, "scenario": "fake", "request": request(method="GET", path="/health", content_type=None),
         "response": {"status": 200, "content_type": "text/plain", "body_text": "OK"}}
        for seq in (1, 2, 3)])
    fake = FakeServer([(200, "text/plain", b"OK")] * 3)
    try:
        result = replay.replay_transcript(fake.url, transcript)
    finally:
        fake.close()
    assert result.failed == 0
    sent_times = [entry[0] for entry in fake.received]
    assert all(later - earlier >= replay.PACING_SECONDS for earlier, later in zip(sent_times, sent_times[1:]))


def test_transport_failure_stops_the_replay_and_counts_as_failed():
    fake = FakeServer([])
    url = fake.url
    fake.close()
    result = replay.replay_transcript(url, two_exchange_transcript())
    assert (result.passed, result.failed) == (0, 2)


def test_replay_checks_listed_extensions_against_their_declared_outcome():
    extension = replay.Extension("fake", 2, "mlflowc keeps deleted runs readable", 200, None)
    fake = FakeServer([
        (200, "application/json", json.dumps({"run": {"info": {
            "run_id": LIVE_RUN_A, "experiment_id": "0", "start_time": replay.now_ms()}}}).encode()),
        (200, "application/json", b"{}"),
    ])
    try:
        result = replay.replay_transcript(fake.url, two_exchange_transcript(), {("fake", 2): extension})
    finally:
        fake.close()
    assert (result.passed, result.failed, result.extensions) == (2, 0, 1)
    with pytest.raises(ValueError):
        replay.replay_transcript(fake.url, two_exchange_transcript(),
                                 {("fake", 99): replay.Extension("fake", 99, "stale", 200, None)})
