"""Browser protection, as MLflow 3's security middleware gives it (spec 13.1).

A server on 127.0.0.1 must not answer a page that reached it through DNS rebinding (a
Host header it does not know: 403 plain text on API, UI and artifact routes alike, /health
and /version excepted), must refuse state-changing API calls from other sites' pages
(Origin not localhost, not the server's own, not listed: 403, nothing written), must
answer CORS preflights for the origins it allows, and sends X-Content-Type-Options,
X-Frame-Options and, on the UI's HTML, a strict Content-Security-Policy. Every rule is
configured by a flag or its MLFLOW_SERVER_* variable, and --disable-security-middleware
turns them all off. Requests go to 127.0.0.1 with the Host and Origin headers a browser
would send from elsewhere.
"""

import http.client
import json
import os
import socket
import subprocess

import pytest

from conftest import launch_server, free_local_port, stop_server, store_uri

HOST_REFUSED = "Invalid Host header - possible DNS rebinding attack detected"
ORIGIN_REFUSED = "Cross-origin request blocked"
SECURITY_ENV = ("MLFLOW_SERVER_ALLOWED_HOSTS", "MLFLOW_SERVER_CORS_ALLOWED_ORIGINS",
                "MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE", "MLFLOW_SERVER_X_FRAME_OPTIONS")


class Server:
    """A running mlflowc server and a raw HTTP client that sets any header."""

    def __init__(self, running, port):
        self.running = running
        self.port = port

    def request(self, method, path, headers=None, body=None):
        """Sends one request; returns (status, headers as a lower-cased dict, body bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            headers = dict(headers or {})
            skip_host = "Host" in headers
            connection.putrequest(method, path, skip_host=skip_host, skip_accept_encoding=True)
            data = json.dumps(body).encode() if isinstance(body, dict) else body
            if isinstance(body, dict):
                headers.setdefault("Content-Type", "application/json")
            if data is not None:
                headers["Content-Length"] = str(len(data))
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders(data)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def experiment_names(self):
        status, _, body = self.request("POST", "/api/2.0/mlflow/experiments/search", body={"max_results": 100})
        assert status == 200, body
        return {e["name"] for e in json.loads(body).get("experiments", [])}


@pytest.fixture
def start(mlflowc_bin, tmp_path):
    """start(*flags, env={...}) runs a server with extra flags and MLFLOW_SERVER_* variables."""
    started = []

    def run(*flags, env=None):
        port = free_local_port()
        root = tmp_path / f"server{len(started)}"
        root.mkdir()
        command = [str(mlflowc_bin), "server", "--backend-store-uri", store_uri(root),
                   "--artifacts-destination", str(root / "artifacts"), "--host", "127.0.0.1",
                   "--port", str(port), *flags]
        environ = {k: v for k, v in os.environ.items() if k not in SECURITY_ENV}
        environ.update(env or {})
        running = launch_server(command, port, root, env=environ)
        started.append(running)
        return Server(running, port)

    yield run
    for running in started:
        stop_server(running)


def create_run(server):
    status, _, body = server.request("POST", "/api/2.0/mlflow/runs/create", body={"experiment_id": "0"})
    assert status == 200, body
    return json.loads(body)["run"]["info"]["run_id"]


def assert_host_refused(answer):
    status, headers, body = answer
    assert status == 403, (status, body)
    assert headers["content-type"].startswith("text/plain")
    assert body.decode() == HOST_REFUSED


def assert_origin_refused(answer):
    status, headers, body = answer
    assert status == 403, (status, body)
    assert headers["content-type"].startswith("text/plain")
    assert body.decode() == ORIGIN_REFUSED


# ---- Host -------------------------------------------------------------------------------

def test_unknown_host_is_refused_on_api_ui_and_artifact_routes(start):
    server = start()
    run_id = create_run(server)
    evil = {"Host": "evil.example"}
    assert_host_refused(server.request("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", evil))
    assert_host_refused(server.request("GET", "/ajax-api/2.0/mlflow/experiments/get?experiment_id=0", evil))
    assert_host_refused(server.request("GET", "/", evil))
    assert_host_refused(server.request("GET", "/experiments/0", evil))
    assert_host_refused(server.request("GET", f"/get-artifact?run_id={run_id}&path=a.txt", evil))
    assert_host_refused(server.request("GET", "/api/2.0/mlflow-artifacts/artifacts", evil))
    # a write through a rebound name stores nothing
    assert_host_refused(server.request("POST", "/api/2.0/mlflow/experiments/create",
                                       {**evil, "Origin": "http://evil.example"}, {"name": "rebound"}))
    assert_host_refused(server.request("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/x.txt",
                                       {"Host": "evil.example:5000"}, b"payload"))
    assert "rebound" not in server.experiment_names()
    status, _, _ = server.request("GET", "/api/2.0/mlflow-artifacts/artifacts/0/x.txt")
    assert status == 404
    # a name that looks like a private address is not one
    assert_host_refused(server.request("GET", "/", {"Host": "10.evil.example"}))
    assert_host_refused(server.request("GET", "/", {"Host": "192.168.1.5.evil.example:5000"}))
    assert_host_refused(server.request("GET", "/", {"Host": "localhost.evil.example"}))
    assert_host_refused(server.request("GET", "/", {"Host": "8.8.8.8"}))
    assert_host_refused(server.request("GET", "/", {"Host": "localhost:5000x"}))
    assert_host_refused(server.request("GET", "/", {"Host": "[2001:db8::1]:5000"}))


def test_health_and_version_answer_any_host(start):
    server = start()
    for path in ("/health", "/version"):
        status, _, _ = server.request("GET", path, {"Host": "evil.example"})
        assert status == 200, path


@pytest.mark.parametrize("host", [
    "127.0.0.1:{port}", "127.0.0.1", "localhost", "localhost:{port}", "LOCALHOST:{port}", "[::1]",
    "[::1]:{port}", "0.0.0.0:{port}", "10.1.2.3", "172.16.0.9:{port}", "172.31.255.1", "192.168.1.5:{port}",
    "[fd12:3456::1]:{port}",
])
def test_local_and_private_hosts_are_answered_by_default(start, host):
    server = start()
    status, _, body = server.request("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0",
                                     {"Host": host.format(port=server.port)})
    assert status == 200, body


def test_outside_the_private_ranges_is_refused_by_default(start):
    server = start()
    for host in ("172.32.0.1", "172.15.0.1", "192.169.0.1", "11.0.0.1", "[fe80::1]", "[::2]"):
        assert_host_refused(server.request("GET", "/", {"Host": host}))


def test_request_without_host_is_refused(start):
    server = start()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /api/2.0/mlflow/experiments/get?experiment_id=0 HTTP/1.0\r\n\r\n")
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0].split(b" ")[1] == b"403", head
    assert body.decode() == HOST_REFUSED


def test_allowed_hosts_replace_the_default_and_take_wildcards(start):
    server = start("--allowed-hosts", "mlflow.example.com, *.corp.example ,127.0.0.1:*")
    for host in ("mlflow.example.com", "MLflow.Example.com", "a.corp.example", "b.c.corp.example",
                 f"127.0.0.1:{server.port}"):
        status, _, body = server.request("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", {"Host": host})
        assert status == 200, (host, body)
    # exact entries mean exactly that; the default set is gone
    for host in ("mlflow.example.com:5000", "a.corp.example:443", "corp.example", "evil.example", "localhost",
                 "10.0.0.1"):
        assert_host_refused(server.request("GET", "/", {"Host": host}))


def test_allowed_hosts_star_answers_any_host(start):
    server = start("--allowed-hosts", "*")
    status, _, _ = server.request("GET", "/", {"Host": "evil.example"})
    assert status == 200


def test_allowed_hosts_from_the_environment(start):
    server = start(env={"MLFLOW_SERVER_ALLOWED_HOSTS": "ui.example.org,127.0.0.1:*"})
    status, _, _ = server.request("GET", "/", {"Host": "ui.example.org"})
    assert status == 200
    assert_host_refused(server.request("GET", "/", {"Host": "localhost"}))
    # the flag wins over the variable
    server = start("--allowed-hosts", "other.example,127.0.0.1:*",
                   env={"MLFLOW_SERVER_ALLOWED_HOSTS": "ui.example.org"})
    assert_host_refused(server.request("GET", "/", {"Host": "ui.example.org"}))
    status, _, _ = server.request("GET", "/", {"Host": "other.example"})
    assert status == 200


# ---- Origin -----------------------------------------------------------------------------

def test_cross_origin_writes_are_refused_and_write_nothing(start):
    server = start()
    run_id = create_run(server)
    evil = {"Origin": "http://evil.example"}
    assert_origin_refused(server.request("POST", "/api/2.0/mlflow/experiments/create", evil, {"name": "csrf"}))
    assert_origin_refused(server.request("POST", "/ajax-api/2.0/mlflow/experiments/create",
                                         {"Origin": "https://evil.example:8443"}, {"name": "csrf2"}))
    assert_origin_refused(server.request("POST", "/api/2.0/mlflow/runs/log-metric", evil,
                                         {"run_id": run_id, "key": "m", "value": 1, "timestamp": 1}))
    assert_origin_refused(server.request("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/csrf.txt", evil, b"x"))
    assert_origin_refused(server.request("DELETE", "/api/2.0/mlflow-artifacts/artifacts/0/csrf.txt", evil))
    assert_origin_refused(server.request("PATCH", "/api/2.0/mlflow/registered-models/update", evil,
                                         {"name": "m"}))
    # a page from a null origin (sandboxed frame, file:) is foreign too
    assert_origin_refused(server.request("POST", "/api/2.0/mlflow/experiments/create", {"Origin": "null"},
                                         {"name": "csrf3"}))
    # localhost look-alikes are foreign
    for origin in ("http://localhost.evil.example", "http://localhost@evil.example", "http://127.0.0.1.evil.example"):
        assert_origin_refused(server.request("POST", "/api/2.0/mlflow/experiments/create", {"Origin": origin},
                                             {"name": "csrf4"}))
    names = server.experiment_names()
    assert not names & {"csrf", "csrf2", "csrf3", "csrf4"}
    status, _, body = server.request("GET", f"/api/2.0/mlflow/runs/get?run_id={run_id}")
    assert json.loads(body)["run"]["data"].get("metrics") is None
    status, _, _ = server.request("GET", "/api/2.0/mlflow-artifacts/artifacts/0/csrf.txt")
    assert status == 404
    # reads are not refused: the browser keeps their answers from the foreign page
    status, headers, _ = server.request("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0", evil)
    assert status == 200
    assert "access-control-allow-origin" not in headers


def test_local_same_and_missing_origins_may_write(start):
    server = start()
    for n, origin in enumerate(["http://localhost:3000", "http://127.0.0.1:8080", "http://[::1]:5000",
                                "https://localhost", f"http://127.0.0.1:{server.port}", None]):
        headers = {"Origin": origin} if origin else {}
        status, answer_headers, body = server.request("POST", "/api/2.0/mlflow/experiments/create", headers,
                                                      {"name": f"ok{n}"})
        assert status == 200, (origin, body)
        if origin:
            assert answer_headers["access-control-allow-origin"] == origin
            assert answer_headers["access-control-allow-credentials"] == "true"
    # the server's own origin under a private address it answers to (the UI opened by LAN IP)
    status, _, body = server.request("POST", "/api/2.0/mlflow/experiments/create",
                                     {"Host": "192.168.7.7:5000", "Origin": "http://192.168.7.7:5000"},
                                     {"name": "lan"})
    assert status == 200, body
    # ... but another private address's page is another origin
    assert_origin_refused(server.request("POST", "/api/2.0/mlflow/experiments/create",
                                         {"Host": "192.168.7.7:5000", "Origin": "http://192.168.7.8:5000"},
                                         {"name": "lan2"}))
    assert {f"ok{n}" for n in range(6)} | {"lan"} <= server.experiment_names()


def test_cors_allowed_origins_flag_and_variable(start):
    server = start("--cors-allowed-origins", "https://app.example.com,https://*.tools.example")
    for n, origin in enumerate(["https://app.example.com", "https://nb.tools.example", "http://localhost:3000"]):
        status, headers, body = server.request("POST", "/api/2.0/mlflow/experiments/create", {"Origin": origin},
                                               {"name": f"listed{n}"})
        assert status == 200, (origin, body)
        assert headers["access-control-allow-origin"] == origin
    for origin in ("http://app.example.com", "https://app.example.com.evil.example", "https://evil.example"):
        assert_origin_refused(server.request("POST", "/api/2.0/mlflow/experiments/create", {"Origin": origin},
                                             {"name": "nope"}))
    assert "nope" not in server.experiment_names()

    server = start(env={"MLFLOW_SERVER_CORS_ALLOWED_ORIGINS": "https://env.example"})
    status, _, _ = server.request("POST", "/api/2.0/mlflow/experiments/create", {"Origin": "https://env.example"},
                                  {"name": "from-env"})
    assert status == 200
    assert_origin_refused(server.request("POST", "/api/2.0/mlflow/experiments/create",
                                         {"Origin": "https://evil.example"}, {"name": "nope"}))


def test_cors_allowed_origins_star_allows_every_origin_without_credentials(start):
    server = start("--cors-allowed-origins", "*")
    status, headers, _ = server.request("POST", "/api/2.0/mlflow/experiments/create",
                                        {"Origin": "https://anywhere.example"}, {"name": "any"})
    assert status == 200
    assert headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in headers


# ---- CORS preflight and OPTIONS ------------------------------------------------------------

def test_preflight_answers_allowed_origins_with_cors_headers(start):
    server = start()
    status, headers, body = server.request("OPTIONS", "/api/2.0/mlflow/experiments/create", {
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, x-custom"})
    assert status == 200, body
    assert headers["access-control-allow-origin"] == "http://localhost:3000"
    assert headers["access-control-allow-credentials"] == "true"
    assert set(headers["access-control-allow-methods"].split(", ")) == {"GET", "POST", "PUT", "DELETE",
                                                                       "OPTIONS", "PATCH"}
    assert headers["access-control-allow-headers"] == "content-type, x-custom"
    assert headers["access-control-max-age"] == "600"
    assert "Origin" in headers["vary"]


def test_preflight_from_a_foreign_origin_gets_no_cors_headers(start):
    server = start()
    status, headers, body = server.request("OPTIONS", "/api/2.0/mlflow/experiments/create", {
        "Origin": "http://evil.example", "Access-Control-Request-Method": "POST"})
    assert status == 400
    assert body.decode() == "Disallowed CORS origin"
    assert "access-control-allow-origin" not in headers
    status, headers, body = server.request("OPTIONS", "/api/2.0/mlflow/experiments/create", {
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "TRACE"})
    assert status == 400
    assert body.decode() == "Disallowed CORS method"
    # with a listed origin the preflight passes
    server = start("--cors-allowed-origins", "https://app.example.com")
    status, headers, _ = server.request("OPTIONS", "/api/2.0/mlflow/experiments/create", {
        "Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"})
    assert status == 200
    assert headers["access-control-allow-origin"] == "https://app.example.com"


def test_plain_options_on_an_api_endpoint_is_204_with_allow(start):
    server = start()
    status, headers, body = server.request("OPTIONS", "/api/2.0/mlflow/experiments/search")
    assert status == 204
    assert body == b""
    assert headers["allow"] == "GET, HEAD, OPTIONS, POST"
    status, headers, _ = server.request("OPTIONS", "/api/2.0/mlflow/experiments/create")
    assert status == 204
    assert headers["allow"] == "OPTIONS, POST"


# ---- headers ------------------------------------------------------------------------------

def test_frame_and_sniffing_headers_by_default(start):
    server = start()
    for path in ("/", "/api/2.0/mlflow/experiments/get?experiment_id=0", "/api/2.0/mlflow/no-such-endpoint"):
        _, headers, _ = server.request("GET", path)
        assert headers["x-frame-options"] == "SAMEORIGIN", path
        assert headers["x-content-type-options"] == "nosniff", path


@pytest.mark.parametrize(("flag", "env"), [(("--x-frame-options", "deny"), None),
                                           ((), {"MLFLOW_SERVER_X_FRAME_OPTIONS": "DENY"})])
def test_x_frame_options_deny(start, flag, env):
    server = start(*flag, env=env)
    _, headers, _ = server.request("GET", "/")
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_x_frame_options_none_sends_no_header(start):
    server = start("--x-frame-options", "NONE")
    _, headers, _ = server.request("GET", "/")
    assert "x-frame-options" not in headers
    assert "frame-ancestors" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_x_frame_options_rejects_other_values(mlflowc_bin, tmp_path):
    done = subprocess.run([str(mlflowc_bin), "server", "--x-frame-options", "ALLOW-FROM x", "--port", "1"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "SAMEORIGIN, DENY or NONE" in done.stderr


def test_ui_html_carries_a_strict_content_security_policy(start):
    server = start()
    for path in ("/", "/experiments/0", "/models"):
        status, headers, body = server.request("GET", path)
        assert status == 200 and b"<html" in body, path
        csp = {d.split()[0]: d.split()[1:] for d in headers["content-security-policy"].split("; ")}
        assert csp["default-src"] == ["'self'"]
        assert csp["script-src"] == ["'self'"]
        assert csp["style-src"] == ["'self'"]
        assert csp["object-src"] == ["'none'"]
        assert csp["base-uri"] == ["'self'"]
        assert csp["frame-ancestors"] == ["'self'"]
        assert "'unsafe-inline'" not in headers["content-security-policy"]
        assert "'unsafe-eval'" not in headers["content-security-policy"]
    # the policy is for the HTML: API answers do not need one
    _, headers, _ = server.request("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0")
    assert "content-security-policy" not in headers


# ---- off switch ---------------------------------------------------------------------------

@pytest.mark.parametrize(("flag", "env"), [(("--disable-security-middleware",), None),
                                           ((), {"MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE": "true"})])
def test_disable_security_middleware_turns_it_all_off(start, flag, env):
    server = start(*flag, env=env)
    status, headers, _ = server.request("GET", "/", {"Host": "evil.example"})
    assert status == 200
    for name in ("x-frame-options", "content-security-policy"):
        assert name not in headers, name
    _, headers, _ = server.request("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0")
    assert "x-content-type-options" not in headers  # the UI's files keep their own
    status, _, body = server.request("POST", "/api/2.0/mlflow/experiments/create",
                                     {"Host": "evil.example", "Origin": "http://evil.example"}, {"name": "open"})
    assert status == 200, body
    assert "open" in server.experiment_names()
    # OPTIONS keeps Flask's own 200
    status, headers, _ = server.request("OPTIONS", "/api/2.0/mlflow/experiments/search")
    assert status == 200
    assert headers["allow"] == "GET, HEAD, OPTIONS, POST"


def test_disable_variable_must_be_a_boolean(mlflowc_bin, tmp_path):
    env = {**os.environ, "MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE": "maybe"}
    done = subprocess.run([str(mlflowc_bin), "server", "--port", "1"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert "MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE" in done.stderr


def test_disable_variable_false_keeps_the_protection(start):
    server = start(env={"MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE": "false"})
    assert_host_refused(server.request("GET", "/", {"Host": "evil.example"}))
