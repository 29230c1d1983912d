"""The S3 artifact backend against the real binary: `--artifacts-destination s3://mlflow/some/prefix`
must behave for proxy clients exactly like a local destination.

The store is `@20minutes/s3rver` 4.0.4 (tests/s3/server.js, installed with `npm ci` in tests/s3 when
missing), which checks SigV4 signatures, so every round trip here also proves libcurl's signing right.
Debian's awscli (`/usr/bin/aws`; pyenv's `aws` may come first in PATH) reads what the proxy wrote and
writes what the proxy reads. A wrong secret key must give an error answer, not a crash or a success.
Finally the signatures themselves are compared with botocore's (Debian awscli's vendored copy): a
small recording listener stands in for S3, and every request mlflowc sends it is re-signed by botocore.

Everything listens on 127.0.0.1, every loop is bounded, every process is stopped at the end. Missing
tools (node/npm, the npm package, awscli) skip with the reason, never pass silently.
"""

import hashlib
import http.client
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from conftest import launch_server, free_local_port, stop_server, store_uri

REPO_ROOT = Path(__file__).resolve().parents[2]
S3_DIR = REPO_ROOT / "tests" / "s3"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
BUCKET, PREFIX = "mlflow", "some/prefix"
AWS_CLI = "/usr/bin/aws"
CREDS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER", "AWS_DEFAULT_REGION": "us-east-1"}
START_TIMEOUT_SECONDS = 20


# ---- the S3 server -------------------------------------------------------------------------------

def npm_install():
    """Installs the locked s3rver when node_modules is missing or older than the lock file."""
    stamp = S3_DIR / "node_modules" / ".package-lock.json"
    if stamp.is_file() and stamp.stat().st_mtime >= (S3_DIR / "package-lock.json").stat().st_mtime:
        return
    if not shutil.which("npm"):
        pytest.skip("npm not found: cannot install @20minutes/s3rver (scripts/deps.sh test installs it)")
    try:
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefix", str(S3_DIR)],
                              capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        pytest.skip("npm ci in tests/s3 took over 300 s: @20minutes/s3rver not installed")
    if done.returncode != 0:
        pytest.skip(f"npm ci in tests/s3 failed, @20minutes/s3rver not installed:\n{done.stderr[-2000:]}")


class S3rver:
    def __init__(self, directory):
        self.directory = directory
        self.log = directory / "s3rver.log"
        self.record = directory / "requests.jsonl"  # one JSON line per request (tests/s3/server.js)
        self.proc = None
        self.port = None

    def start(self):
        data = self.directory / "data"
        data.mkdir()
        with open(self.log, "wb") as log:
            # s3rver enciphers continuation tokens with DES, which Node 20's OpenSSL 3 keeps in its legacy
            # provider: without it every second page of a listing fails
            self.proc = subprocess.Popen(["node", "--openssl-legacy-provider", str(S3_DIR / "server.js"), "0",
                                          str(data)],
                                         stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT,
                                         env={**os.environ, "S3RVER_VERBOSE": "1",
                                              "S3RVER_RECORD": str(self.record)})
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            found = re.search(r"^listening (\d+)$", self.log.read_text(errors="replace"), re.M)
            if found:
                self.port = int(found.group(1))
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"s3rver did not start:\n{self.log.read_text(errors='replace')[-3000:]}", pytrace=False)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def requests_logged(self):
        return re.sub(r"\x1b\[[0-9;]*m", "", self.log.read_text(errors="replace"))

    def requests_recorded(self):
        """Every request so far: [{method, url, storage_class, storage_class_signed, status}]."""
        if not self.record.exists():
            return []
        return [json.loads(line) for line in self.record.read_text().splitlines() if line]

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.stdin.close()  # server.js stops when stdin closes
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="module")
def s3rver(tmp_path_factory):
    if not shutil.which("node"):
        pytest.skip("node not found: the S3 test server @20minutes/s3rver needs Node.js >= 20")
    npm_install()
    server = S3rver(tmp_path_factory.mktemp("s3rver"))
    server.start()
    yield server
    server.stop()


# ---- mlflowc with an S3 destination --------------------------------------------------------------

def start_mlflowc(binary, tmp_path, endpoint, **env):
    port = free_local_port()
    command = [str(binary), "server", "--backend-store-uri", store_uri(tmp_path),
               "--artifacts-destination", f"s3://{BUCKET}/{PREFIX}", "--host", "127.0.0.1", "--port", str(port)]
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLFLOW_S3_"))}
    environment.update(CREDS, MLFLOW_S3_ENDPOINT_URL=endpoint, **env)
    return launch_server(command, port, tmp_path, env=environment)


def request(server, method, path, body=None, headers=None, timeout=120):
    parts = urlsplit(server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def url_path(name):
    return "/".join(quote(part, safe="") for part in name.split("/"))


@pytest.fixture
def s3_server(mlflowc_bin, tmp_path, s3rver):
    server = start_mlflowc(mlflowc_bin, tmp_path, s3rver.url)
    yield server
    stop_server(server)


# s3rver 4.0.4 quirks the names below avoid (real S3 has neither; the recorder test covers '&'): it
# escapes '&' in listed keys twice, and leaves out a common prefix whose level holds no object itself.
def test_round_trip_list_and_delete(s3_server, s3rver):
    files = {"a.txt": b"hello\n", "dir/b.bin": bytes(range(256)) * 10, "dir/sub/c.json": b'{"x": 1}',
             "empty.dat": b"", "name with spaces.txt": b"s", "\u00fcni \u20ac.txt": "\u00fc".encode(),
             "plus+and=%41.txt": b"+", "deep/top.txt": b"t", "deep/er/still/leaf.bin": os.urandom(3000)}
    for name, data in files.items():
        status, body = request(s3_server, "PUT", f"{PROXY}/exp/run/{url_path(name)}", data)
        assert (status, json.loads(body)) == (200, {}), (name, s3_server.log_tail())
    for name, data in files.items():
        status, body = request(s3_server, "GET", f"{PROXY}/exp/run/{url_path(name)}")
        assert (status, body) == (200, data), name
    status, body = request(s3_server, "GET", f"{PROXY}?path=exp/run/dir")
    assert (status, json.loads(body)) == (200, {"files": [{"path": "b.bin", "is_dir": False, "file_size": 2560},
                                                          {"path": "sub", "is_dir": True}]})
    status, body = request(s3_server, "GET", f"{PROXY}?path=exp/run")
    listed = json.loads(body)["files"]
    assert [f["path"] for f in listed] == sorted(["a.txt", "deep", "dir", "empty.dat", "name with spaces.txt",
                                                  "plus+and=%41.txt", "\u00fcni \u20ac.txt"])
    assert {"path": "empty.dat", "is_dir": False} in listed  # MLflow leaves out a zero size
    assert json.loads(request(s3_server, "GET", f"{PROXY}?path=exp/run/a.txt")[1]) == {}
    assert json.loads(request(s3_server, "GET", f"{PROXY}?path=never/there")[1]) == {}
    # the objects sit under the prefix, with the names the client gave
    stored = s3rver.directory / "data" / BUCKET / PREFIX / "exp" / "run"
    assert (stored / "\u00fcni \u20ac.txt._S3rver_object").read_bytes() == "\u00fc".encode()
    assert request(s3_server, "DELETE", f"{PROXY}/exp/run/dir")[0] == 200
    assert json.loads(request(s3_server, "GET", f"{PROXY}?path=exp/run/dir")[1]) == {}
    assert request(s3_server, "DELETE", f"{PROXY}/exp/run/never-there")[0] == 200
    status, body = request(s3_server, "GET", f"{PROXY}/exp/run/dir/b.bin")
    assert status == 404 and json.loads(body)["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    status, body = request(s3_server, "GET", f"{PROXY}/exp/run/deep")  # a "directory" is not a file
    assert status == 404 and json.loads(body)["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    # overwrite replaces the whole object; deleting the root is refused
    request(s3_server, "PUT", f"{PROXY}/exp/run/a.txt", b"x")
    assert request(s3_server, "GET", f"{PROXY}/exp/run/a.txt")[1] == b"x"
    assert request(s3_server, "DELETE", f"{PROXY}/exp/run/deep/er")[0] == 200
    assert json.loads(request(s3_server, "GET", f"{PROXY}?path=exp/run/deep")[1]) == {
        "files": [{"path": "top.txt", "is_dir": False, "file_size": 1}]}
    assert request(s3_server, "GET", f"{PROXY}/exp/run/deep/er/still/leaf.bin")[0] == 404
    assert request(s3_server, "GET", f"{PROXY}/exp/run/a.txt")[1] == b"x"  # siblings untouched


def test_traversal_never_reaches_the_bucket(s3_server, s3rver):
    for path in ("../escape.txt", "%2e%2e/escape.txt", "a/%2e%2e/%2e%2e/escape.txt", "%2Fetc%2Fpasswd", "x%23y"):
        for method in ("PUT", "GET", "DELETE"):
            status, body = request(s3_server, method, f"{PROXY}/{path}", b"nope" if method == "PUT" else None)
            assert status in (400, 404), (method, path, status, body)
    assert not list((s3rver.directory / "data").rglob("escape*"))
    assert not list((s3rver.directory / "data").rglob("passwd*"))


def test_listing_and_deleting_page_through_more_than_1000_keys(s3_server):
    parts = urlsplit(s3_server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    names = [f"f{i:04d}.txt" for i in range(1003)]
    # under an experiment's directory: deleting a whole experiment (or the root) is refused
    for name in names:  # one keep-alive connection; S3 pages hold at most 1000 keys
        conn.request("PUT", f"{PROXY}/7/many/{name}", body=name.encode())
        resp = conn.getresponse()
        assert resp.status == 200, resp.read()
        resp.read()
    conn.close()
    status, body = request(s3_server, "GET", f"{PROXY}?path=7/many")
    assert status == 200, (body, s3_server.log_tail())
    assert [f["path"] for f in json.loads(body)["files"]] == names
    assert request(s3_server, "GET", f"{PROXY}/7/many/f1002.txt")[1] == b"f1002.txt"
    assert request(s3_server, "DELETE", f"{PROXY}/7/many")[0] == 200
    assert json.loads(request(s3_server, "GET", f"{PROXY}?path=7/many")[1]) == {}


def vm_hwm_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_multi_megabyte_file_round_trips_through_multipart(s3_server, s3rver):
    total = int(os.environ.get("MLFLOWC_S3_BIG_MB", "40")) << 20  # > 16 MB: a multipart upload
    block = os.urandom(1 << 20)
    sent = hashlib.sha256()

    def body():
        for i in range(total >> 20):
            chunk = block[i:] + block[:i]
            sent.update(chunk)
            yield chunk

    status, answer = request(s3_server, "PUT", f"{PROXY}/exp/big.bin", body(), {"Content-Length": str(total)})
    assert status == 200, (answer, s3_server.log_tail())
    logged = s3rver.requests_logged()
    assert re.search(r"/some/prefix/exp/big\.bin\?uploads= 200", logged), logged[-2000:]
    assert re.search(r"/some/prefix/exp/big\.bin\?partNumber=3&uploadId=\w+ 200", logged)
    parts = urlsplit(s3_server.url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    conn.request("GET", f"{PROXY}/exp/big.bin")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Length") == str(total)
    got, n = hashlib.sha256(), 0
    while chunk := resp.read(1 << 20):
        got.update(chunk)
        n += len(chunk)
    conn.close()
    assert n == total and got.hexdigest() == sent.hexdigest()
    listed = json.loads(request(s3_server, "GET", f"{PROXY}?path=exp")[1])["files"]
    assert {"path": "big.bin", "is_dir": False, "file_size": total} in listed
    peak = vm_hwm_mb(s3_server.proc.pid)
    print(f"\n{total >> 20} MiB up and down through S3; server peak RSS {peak:.1f} MB")
    sanitizer_slack = 3 if os.environ.get("ASAN_OPTIONS") else 1
    assert peak < 64 * sanitizer_slack, f"peak RSS {peak:.1f} MB"


def test_a_cut_upload_stores_nothing(s3_server, s3rver):
    with socket.create_connection(("127.0.0.1", urlsplit(s3_server.url).port), timeout=10) as s:
        s.sendall(f"PUT {PROXY}/exp/cut.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n".encode())
        s.sendall(b"x" * 300000)
    time.sleep(0.5)
    status, body = request(s3_server, "GET", f"{PROXY}/exp/cut.bin")
    assert status == 404, body
    assert not list((s3rver.directory / "data").rglob("cut.bin*"))


def test_wrong_secret_key_is_an_error_not_a_crash(mlflowc_bin, tmp_path, s3rver):
    secret = "not-the-right-secret-0123456789"
    server = start_mlflowc(mlflowc_bin, tmp_path, s3rver.url, AWS_SECRET_ACCESS_KEY=secret)
    try:
        for method, path, body in (("PUT", f"{PROXY}/exp/w.txt", b"w"), ("GET", f"{PROXY}/exp/w.txt", None),
                                   ("GET", f"{PROXY}?path=exp", None), ("DELETE", f"{PROXY}/exp/w.txt", None)):
            status, answer = request(server, method, path, body)
            assert status == 500, (method, path, status, answer)
            assert json.loads(answer)["error_code"] == "INTERNAL_ERROR"
            assert secret not in answer.decode()
        assert request(server, "GET", "/health")[0] == 200
    finally:
        stop_server(server)
    log = server.log_tail()
    assert "SignatureDoesNotMatch" in log
    assert secret not in (tmp_path / "server.stderr").read_text() + (tmp_path / "server.stdout").read_text()
    assert not list((s3rver.directory / "data").rglob("w.txt*"))


def test_missing_credentials_fail_at_start_up(mlflowc_bin, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run([str(mlflowc_bin), "server", "--backend-store-uri", f"sqlite:///{tmp_path}/m.db",
                           "--artifacts-destination", "s3://mlflow/x", "--host", "127.0.0.1", "--port", "1"],
                          env=env, capture_output=True, text=True, timeout=20)
    assert done.returncode != 0 and "AWS_ACCESS_KEY_ID" in done.stderr


# ---- awscli reads what we wrote, we read what it wrote -------------------------------------------

def aws(s3rver, *args, timeout=120):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(CREDS, AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="")
    done = subprocess.run([AWS_CLI, "--endpoint-url", s3rver.url, *args], env=env, capture_output=True,
                          timeout=timeout)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def test_awscli_cross_check(s3_server, s3rver, tmp_path):
    if not os.access(AWS_CLI, os.X_OK):
        pytest.skip(f"{AWS_CLI} not found: install Debian's awscli (scripts/deps.sh test does)")
    ours = os.urandom(200_000)
    assert request(s3_server, "PUT", f"{PROXY}/cross/from%20us.bin", ours)[0] == 200
    aws(s3rver, "s3", "cp", f"s3://{BUCKET}/{PREFIX}/cross/from us.bin", str(tmp_path / "down.bin"))
    assert (tmp_path / "down.bin").read_bytes() == ours
    # theirs: small, and 9 MB (awscli sends that as a multipart upload of its own)
    for name, size in (("small \u00e9.txt", 1000), ("nested/big.bin", 9 << 20)):
        data = os.urandom(size)
        (tmp_path / "up.bin").write_bytes(data)
        aws(s3rver, "s3", "cp", str(tmp_path / "up.bin"), f"s3://{BUCKET}/{PREFIX}/cross/{name}")
        status, body = request(s3_server, "GET", f"{PROXY}/cross/{url_path(name)}")
        assert status == 200 and hashlib.sha256(body).digest() == hashlib.sha256(data).digest(), name
    listed = json.loads(request(s3_server, "GET", f"{PROXY}?path=cross")[1])["files"]
    assert [f["path"] for f in listed] == ["from us.bin", "nested", "small \u00e9.txt"]
    assert request(s3_server, "DELETE", f"{PROXY}/cross/nested")[0] == 200
    left = aws(s3rver, "s3", "ls", "--recursive", f"s3://{BUCKET}/{PREFIX}/cross/").decode()
    assert "from us.bin" in left and "nested" not in left


# ---- signatures, checked against botocore ---------------------------------------------------------

class Recorder(http.server.BaseHTTPRequestHandler):
    """Stands in for S3: records each request and gives the answers the backend needs."""
    protocol_version = "HTTP/1.1"
    records = None

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)  # "Expect: 100-continue" is answered by the base
        body = self.rfile.read(length) if length else b""
        self.records.append((self.command, self.path, dict(self.headers.items()), len(body)))
        answer, status, headers = b"", 200, {"ETag": '"0123456789abcdef"'}
        if self.command == "POST" and self.path.endswith("?uploads="):
            answer = b"<InitiateMultipartUploadResult><UploadId>up/id+1=</UploadId></InitiateMultipartUploadResult>"
        elif self.command == "POST":
            answer = b"<CompleteMultipartUploadResult><ETag>x</ETag></CompleteMultipartUploadResult>"
        elif self.command == "GET" and "list-type=2" in self.path:
            answer = (b"<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>some/prefix/d/a &amp; b"
                      b"</Key><Size>3</Size></Contents></ListBucketResult>")
        elif self.command == "GET":
            answer = b"abc"
        elif self.command == "DELETE":
            status = 204
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def botocore_signature(method, host, path, headers, signed, secret, token):
    """botocore's SigV4 signature for the request as libcurl sent it, with the headers libcurl signed."""
    script = r"""
import json, sys
import awscli  # aliases botocore -> awscli.botocore
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
a = json.load(sys.stdin)
req = AWSRequest(method=a["method"], url="http://" + a["host"] + a["path"], headers=a["headers"])
auth = S3SigV4Auth(Credentials("S3RVER", a["secret"], a["token"]), "s3", "us-east-1")
req.context["timestamp"] = a["headers"]["x-amz-date"]
canonical = auth.canonical_request(req)
print(json.dumps({"signature": auth.signature(auth.string_to_sign(req, canonical), req),
                  "signed": auth.signed_headers(auth.headers_to_sign(req)), "canonical": canonical}))
"""
    sent = {name.lower(): value for name, value in headers.items() if name.lower() in signed}
    done = subprocess.run(["/usr/bin/python3", "-c", script], capture_output=True, text=True, timeout=60,
                          input=json.dumps({"method": method, "host": host, "path": path, "headers": sent,
                                            "secret": secret, "token": token}))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_signatures_match_botocore(mlflowc_bin, tmp_path):
    if not os.access(AWS_CLI, os.X_OK):
        pytest.skip(f"{AWS_CLI} not found: botocore comes from Debian's awscli (scripts/deps.sh test installs it)")
    Recorder.records = []
    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{listener.server_address[1]}"
    secret, token = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "session/token+with=odd chars"
    try:
        server = start_mlflowc(mlflowc_bin, tmp_path, endpoint, AWS_SECRET_ACCESS_KEY=secret, AWS_SESSION_TOKEN=token)
        try:
            assert request(server, "PUT", f"{PROXY}/d/sm%20all%2B%E2%82%AC.txt", b"abc")[0] == 200
            assert request(server, "GET", f"{PROXY}/d/sm%20all%2B%E2%82%AC.txt")[1] == b"abc"
            listed = json.loads(request(server, "GET", f"{PROXY}?path=d")[1])
            assert listed == {"files": [{"path": "a & b", "is_dir": False, "file_size": 3}]}
            assert request(server, "DELETE", f"{PROXY}/d/x%20y")[0] == 200
            big = b"z" * ((16 << 20) + 5)
            assert request(server, "PUT", f"{PROXY}/d/big.bin", big)[0] == 200, server.log_tail()
        finally:
            stop_server(server)
    finally:
        listener.shutdown()
        listener.server_close()
        thread.join(timeout=10)
    kinds = set()
    for method, path, headers, _ in Recorder.records:
        auth = headers["Authorization"]
        found = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=S3RVER/\d{8}/us-east-1/s3/aws4_request, "
                             r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})", auth)
        assert found, auth
        signed = found.group(1).split(";")
        assert "x-amz-content-sha256" in signed and "x-amz-security-token" in signed and "expect" not in signed
        want = botocore_signature(method, headers["Host"], path, headers, signed, secret, token)
        assert want["signed"] == found.group(1), (method, path)
        assert want["signature"] == found.group(2), (method, path, want["canonical"])
        kinds.add((method, re.sub(r"=[^&]*", "=", path.partition("?")[2])))
    assert kinds >= {("PUT", ""), ("GET", ""), ("DELETE", ""), ("GET", "delimiter=&list-type=&prefix="),
                     ("POST", "uploads="), ("PUT", "partNumber=&uploadId="), ("POST", "uploadId=")}, kinds
    assert all(secret not in line for line in (tmp_path / "server.stderr").read_text().splitlines())


# ---- the proxied multipart API (client-driven, presigned part URLs) ------------------------------

def put_part(url, data):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request("PUT", f"{parts.path}?{parts.query}", body=data)
        resp = conn.getresponse()
        resp.read()
        return resp.status, resp.getheader("ETag")
    finally:
        conn.close()


def mpu(server, op, body):
    status, raw = request(server, "POST", f"/api/2.0/mlflow-artifacts/mpu/{op}/exp/run/mpu",
                          json.dumps(body), {"Content-Type": "application/json"})
    return status, json.loads(raw or b"{}")


def test_proxied_multipart_upload_with_presigned_parts(s3_server):
    chunks = [os.urandom(5 << 20), os.urandom(1 << 20)]
    status, created = mpu(s3_server, "create", {"path": "/local/dir/model.bin", "num_parts": 2})
    assert status == 200, created
    assert [c["part_number"] for c in created["credentials"]] == [1, 2]
    assert all("X-Amz-Signature=" in c["url"] for c in created["credentials"])
    parts = []
    for cred, data in zip(created["credentials"], chunks):
        status, etag = put_part(cred["url"], data)
        assert status == 200 and etag, (status, etag)
        parts.append({"part_number": cred["part_number"], "etag": etag, "url": cred["url"]})
    status, done = mpu(s3_server, "complete", {"path": "/local/dir/model.bin", "upload_id": created["upload_id"],
                                               "parts": parts})
    assert (status, done) == (200, {})
    status, body = request(s3_server, "GET", f"{PROXY}/exp/run/mpu/model.bin")
    assert status == 200 and body == b"".join(chunks)
    # a tampered URL is refused by the store: the signature covers the query
    status, created = mpu(s3_server, "create", {"path": "x.bin", "num_parts": 1})
    bad = created["credentials"][0]["url"].replace("partNumber=1", "partNumber=2")
    assert put_part(bad, b"x")[0] == 403
    # s3rver 4.0.4 lacks AbortMultipartUpload (shared/stack.md §5): the store's refusal must come
    # back as MLflow's error, and the server must stay up
    status, answer = mpu(s3_server, "abort", {"path": "x.bin", "upload_id": created["upload_id"]})
    assert (status, answer) == (200, {}) or (status, answer["error_code"]) == (500, "INTERNAL_ERROR")
    assert request(s3_server, "GET", "/health")[0] == 200


def test_proxied_multipart_bad_requests(s3_server):
    assert mpu(s3_server, "create", {"path": "a.bin"})[1]["error_code"] == "INVALID_PARAMETER_VALUE"
    assert mpu(s3_server, "create", {"path": "a.bin", "num_parts": 0})[1]["error_code"] == "INVALID_PARAMETER_VALUE"
    assert mpu(s3_server, "create", {"num_parts": 1})[1]["error_code"] == "INVALID_PARAMETER_VALUE"
    status, _ = request(s3_server, "POST", "/api/2.0/mlflow-artifacts/mpu/create/../../x",
                        json.dumps({"path": "a", "num_parts": 1}), {"Content-Type": "application/json"})
    assert status == 400


def test_local_destinations_send_clients_back_to_one_put(server):
    status, answer = mpu(server, "create", {"path": "a.bin", "num_parts": 2})
    assert status == 501 and answer["error_code"] == "NOT_IMPLEMENTED"
    assert answer["message"].startswith("Multipart upload is not supported for the current artifact repository")


# ---- S3's XML, as a real XML parser reads it ------------------------------------------------------

class Scripted(http.server.BaseHTTPRequestHandler):
    """Stands in for S3 with the answers a test scripts: `answers` maps "list", "initiate" and
    "complete" to XML bodies; everything else succeeds."""
    protocol_version = "HTTP/1.1"
    answers = {}

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        answer, status = b"", 200
        if self.command == "POST" and self.path.endswith("?uploads="):
            answer = self.answers.get("initiate", b"<InitiateMultipartUploadResult><UploadId>u1</UploadId>"
                                                  b"</InitiateMultipartUploadResult>")
        elif self.command == "POST":
            answer = self.answers.get("complete", b"<CompleteMultipartUploadResult><ETag>x</ETag>"
                                                  b"</CompleteMultipartUploadResult>")
        elif self.command == "GET" and "list-type=2" in self.path:
            answer = self.answers["list"]
        elif self.command == "DELETE":
            status = 204
        self.send_response(status)
        self.send_header("ETag", '"0123456789abcdef"')
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


@pytest.fixture
def scripted(mlflowc_bin, tmp_path):
    """A server whose S3 is `Scripted`; yields (server, answers)."""
    Scripted.answers = {}
    listener = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    thread = threading.Thread(target=listener.serve_forever, daemon=True)
    thread.start()
    try:
        server = start_mlflowc(mlflowc_bin, tmp_path, f"http://127.0.0.1:{listener.server_address[1]}")
        try:
            yield server, Scripted.answers
        finally:
            stop_server(server)
    finally:
        listener.shutdown()
        listener.server_close()
        thread.join(timeout=10)


def listed(server, path="d"):
    status, raw = request(server, "GET", f"{PROXY}?path={path}")
    return status, json.loads(raw)


def test_listing_reads_cdata_comments_namespaces_and_references(scripted):
    server, answers = scripted
    answers["list"] = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>mlflow</Name>'
        b"<Prefix>some/prefix/d/</Prefix><KeyCount>4</KeyCount><IsTruncated>false</IsTruncated>\n"
        b"<!-- <Contents><Key>some/prefix/d/commented-out</Key><Size>1</Size></Contents> -->"
        b"<Contents><Key><![CDATA[some/prefix/d/a <b> & c.txt]]></Key><Size>3</Size></Contents>"
        b"<Contents><Key>some/prefix/d/caf&#xE9; &#8364;.txt</Key><?pi ignored?><Size>5</Size></Contents>"
        b"<Contents><Key>some/prefix/d/q&quot;&apos;.txt</Key><Size>7</Size>"
        b"<Owner><ID>x</ID><Key>not a key</Key></Owner></Contents>"
        b"<CommonPrefixes><Prefix>some/prefix/d/sub/</Prefix></CommonPrefixes></ListBucketResult>")
    status, body = listed(server)
    assert status == 200, body
    assert sorted(body["files"], key=lambda f: f["path"]) == [
        {"path": "a <b> & c.txt", "is_dir": False, "file_size": 3},
        {"path": "caf\u00e9 \u20ac.txt", "is_dir": False, "file_size": 5},
        {"path": "q\"'.txt", "is_dir": False, "file_size": 7},
        {"path": "sub", "is_dir": True},
    ]


@pytest.mark.parametrize("answer", [
    # entity expansion ("billion laughs") never starts: a DOCTYPE is refused
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    b"<ListBucketResult><Contents><Key>&d;</Key><Size>1</Size></Contents></ListBucketResult>",
    # an external entity is never read
    b'<!DOCTYPE l [<!ENTITY x SYSTEM "file:///etc/passwd">]><ListBucketResult><Contents><Key>&x;</Key>'
    b"</Contents></ListBucketResult>",
    # what a misconfigured proxy answers instead of S3
    b"<html><body><h1>502 Bad Gateway</h1></body>",
    b"not xml at all",
    b"",
    # well-formed, but not a listing
    b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>",
])
def test_a_listing_that_is_not_one_is_an_error_not_an_empty_directory(scripted, answer):
    server, answers = scripted
    answers["list"] = answer
    status, body = listed(server)
    assert status == 500, body
    assert body["error_code"] == "INTERNAL_ERROR"
    assert "passwd" not in json.dumps(body) and "root:" not in json.dumps(body)
    # the server is still there
    assert request(server, "GET", "/health")[0] == 200


def test_an_error_inside_a_completed_upload_is_not_a_success(scripted):
    server, answers = scripted
    answers["complete"] = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code>'
                           b"<Message>We encountered an internal error. Please try again.</Message></Error>")
    big = b"z" * ((16 << 20) + 5)
    status, raw = request(server, "PUT", f"{PROXY}/d/big.bin", big)
    assert status == 500, raw
    assert json.loads(raw)["error_code"] == "INTERNAL_ERROR"
    assert "InternalError" in server.log_tail()


def test_an_initiate_answer_without_an_upload_id_is_an_error(scripted):
    server, answers = scripted
    answers["initiate"] = b"<InitiateMultipartUploadResult><!-- <UploadId>x</UploadId> --></InitiateMultipartUploadResult>"
    status, raw = request(server, "PUT", f"{PROXY}/d/big.bin", b"z" * ((16 << 20) + 5))
    assert status == 500, raw
