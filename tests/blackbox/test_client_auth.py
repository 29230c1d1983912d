"""The C client library's credentials and TLS settings, end to end over HTTPS.

A small fake MLflow server (Python's http.server behind ssl, with a self-signed
certificate for 127.0.0.1 made by the openssl command) answers the calls
test_client_driver.c makes and records each request's Authorization header. The driver
(compiled by test_client.py's `driver` fixture) runs with MLflow's environment
variables: MLFLOW_TRACKING_SERVER_CERT_PATH (the certificate as CA bundle),
MLFLOW_TRACKING_INSECURE_TLS, MLFLOW_TRACKING_TOKEN, MLFLOW_TRACKING_USERNAME/PASSWORD.
"""

import base64
import json
import os
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from test_client import driver  # noqa: F401  (a fixture)

RUN_ID = "0123456789abcdef0123456789abcdef"
ANSWERS = {
    "experiments/get-by-name": (404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such experiment"}),
    "experiments/create": (200, {"experiment_id": "7"}),
    "runs/create": (200, {"run": {"info": {"run_id": RUN_ID}}}),
}


class FakeMlflow(BaseHTTPRequestHandler):
    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0].removeprefix("/api/2.0/mlflow/")
        self.server.seen.append((path, self.headers.get("Authorization")))
        if path == "runs/log-batch":
            self.server.points += len(json.loads(body)["metrics"])
        status, reply = ANSWERS.get(path, (200, {}))
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = answer
    do_POST = answer

    def log_message(self, *args):
        pass


@pytest.fixture
def https_server(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("no openssl command")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FakeMlflow)
    httpd.daemon_threads = True
    httpd.seen, httpd.points = [], 0
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    httpd.url = f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.cert = str(cert)
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def run_driver(driver, url, env, n=50):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
    return subprocess.run([str(driver), url, str(n)], capture_output=True, text=True, timeout=60,
                          env={**clean, **env})


def test_ca_bundle_and_bearer_token(driver, https_server):
    done = run_driver(driver, https_server.url, {"MLFLOW_TRACKING_SERVER_CERT_PATH": https_server.cert,
                                                 "MLFLOW_TRACKING_TOKEN": "t0k3n"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sent"] == 50 and https_server.points == 50
    paths = {p for p, _ in https_server.seen}
    assert {"experiments/create", "runs/create", "runs/log-parameter", "runs/log-batch", "runs/update"} <= paths
    assert {a for _, a in https_server.seen} == {"Bearer t0k3n"}  # every request, metrics included


def test_insecure_tls_and_basic_auth(driver, https_server):
    done = run_driver(driver, https_server.url, {"MLFLOW_TRACKING_INSECURE_TLS": "true",
                                                 "MLFLOW_TRACKING_USERNAME": "ann",
                                                 "MLFLOW_TRACKING_PASSWORD": "pw:1",
                                                 "MLFLOW_TRACKING_TOKEN": "ignored"})
    assert done.returncode == 0, done.stderr
    want = "Basic " + base64.b64encode(b"ann:pw:1").decode()
    assert https_server.seen and {a for _, a in https_server.seen} == {want}


def test_untrusted_certificate_fails(driver, https_server):
    done = run_driver(driver, https_server.url, {})
    assert done.returncode == 1
    assert "MLF_CLIENT_ERR_TRANSPORT" in done.stderr
    assert https_server.seen == []  # the handshake failed: no request reached the server


def test_insecure_with_ca_bundle_is_refused(driver, https_server):
    done = run_driver(driver, https_server.url, {"MLFLOW_TRACKING_INSECURE_TLS": "true",
                                                 "MLFLOW_TRACKING_SERVER_CERT_PATH": https_server.cert})
    assert done.returncode == 1
    assert "MLF_CLIENT_ERR_INVALID" in done.stderr and "INSECURE_TLS" in done.stderr
