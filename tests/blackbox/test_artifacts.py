"""The artifact proxy against the real server: round trips, listings, deletes, path
traversal in every form MLflow had CVEs for (nothing may be read or written outside the
destination), a client that hangs up mid-upload (nothing half-written stays), and a large
file streamed both ways with the server's memory staying flat."""

import hashlib
import http.client
import json
import os
import socket
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


class Proxy:
    def __init__(self, server):
        parts = urlsplit(server.url)
        self.host, self.port = parts.hostname, parts.port
        self.root = server.dir / "artifacts"

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type"), resp.read()
        finally:
            conn.close()


@pytest.fixture
def proxy(server):
    return Proxy(server)


def test_round_trip_list_and_delete(proxy):
    files = {"a.txt": b"hello\n", "dir/b.bin": bytes(range(256)) * 10, "dir/sub/c.json": b'{"x": 1}',
             "empty.dat": b"", "name with spaces.txt": b"s", "\u00fcni.txt": "ü".encode()}
    for name, data in files.items():
        path = "/".join(quote(p) for p in name.split("/"))
        status, _, body = proxy.request("PUT", f"{PROXY}/exp/run/{path}", data)
        assert (status, json.loads(body)) == (200, {})
    for name, data in files.items():
        path = "/".join(quote(p) for p in name.split("/"))
        status, ctype, body = proxy.request("GET", f"{PROXY}/exp/run/{path}")
        assert status == 200 and body == data, name
        assert (proxy.root / "exp" / "run" / name).read_bytes() == data
    status, _, body = proxy.request("GET", f"{PROXY}?path=exp/run/dir")
    assert json.loads(body) == {"files": [{"path": "b.bin", "is_dir": False, "file_size": 2560},
                                          {"path": "sub", "is_dir": True}]}
    assert json.loads(proxy.request("GET", f"{PROXY}?path=exp/run/a.txt")[2]) == {}
    assert proxy.request("DELETE", f"{PROXY}/exp/run/dir")[0] == 200
    assert not (proxy.root / "exp" / "run" / "dir").exists()
    assert proxy.request("DELETE", f"{PROXY}/exp/run/never-there")[0] == 200
    status, _, body = proxy.request("GET", f"{PROXY}/exp/run/dir/b.bin")
    assert status == 404 and json.loads(body)["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    # overwrite replaces the whole file
    proxy.request("PUT", f"{PROXY}/exp/run/a.txt", b"x")
    assert proxy.request("GET", f"{PROXY}/exp/run/a.txt")[2] == b"x"
    # no temporary files are left behind
    assert not [p for p in proxy.root.rglob(".mlflowc-upload-*")]


NASTY = [
    "../escape.txt", "../../escape.txt", "a/../../escape.txt", "%2e%2e/escape.txt", "%2E%2E/escape.txt",
    "..%2Fescape.txt", "..%2fescape.txt", "%2e%2e%2fescape.txt", "%252e%252e/escape.txt",
    "%25252e%25252e/escape.txt", "a/%2e%2e/%2e%2e/escape.txt", "a/..%2F..%2Fescape.txt",
    "/etc/passwd", "%2Fetc%2Fpasswd", "%2F%2Fetc/passwd", "a/b/../../../escape.txt",
    "..", "%2e%2e", "a/..", "x%23y", "x#y", "%00escape", "a/%00/b", ".%2e/escape.txt", "%2e./escape.txt",
]


@pytest.mark.parametrize("path", NASTY)
def test_traversal_is_refused_everywhere(proxy, server, path):
    outside = server.dir / "escape.txt"
    for method in ("PUT", "GET", "DELETE"):
        status, _, body = proxy.request(method, f"{PROXY}/{path}", b"nope" if method == "PUT" else None)
        assert status in (400, 404), (method, path, status, body)
        if status == 400:
            assert json.loads(body) == {"error_code": "INVALID_PARAMETER_VALUE", "message": "Invalid path"}
    status, _, body = proxy.request("GET", f"{PROXY}?path={path}")
    assert status in (200, 400), (path, status)
    data = json.loads(body)
    if "%00" in path:  # the query parameter reader refuses a NUL before the path is looked at
        assert data["error_code"] == "INVALID_PARAMETER_VALUE" and "NUL character" in data["message"], data
    else:
        assert data in ({}, {"error_code": "INVALID_PARAMETER_VALUE", "message": "Invalid path"})
    assert not outside.exists()
    assert not [p for p in server.dir.rglob("escape*")]


def test_symlinks_inside_the_root_do_not_escape(proxy, server):
    secret = server.dir / "secret.txt"
    secret.write_text("top secret")
    (proxy.root / "exp").mkdir(parents=True)
    os.symlink(server.dir, proxy.root / "exp" / "link")
    os.symlink(secret, proxy.root / "exp" / "file-link")
    assert proxy.request("GET", f"{PROXY}/exp/link/secret.txt")[0] == 404
    assert proxy.request("GET", f"{PROXY}/exp/file-link")[0] == 404
    assert proxy.request("PUT", f"{PROXY}/exp/link/planted.txt", b"x")[0] >= 400
    assert not (server.dir / "planted.txt").exists()
    proxy.request("DELETE", f"{PROXY}/exp/link/secret.txt")
    assert secret.read_text() == "top secret"


def test_a_cut_upload_leaves_nothing(mlflowc_bin, tmp_path):
    # A client that hangs up mid-body is noticed at once, or at the latest when the
    # connection has been silent for --idle-timeout seconds; either way the partial
    # upload is removed and never shows up under its name.
    from test_server_lifecycle import start
    from conftest import stop_server
    server = start(mlflowc_bin, tmp_path, "--idle-timeout", "2")
    proxy = Proxy(server)
    try:
        with socket.create_connection((proxy.host, proxy.port), timeout=10) as s:
            s.sendall(f"PUT {PROXY}/exp/cut.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n".encode())
            s.sendall(b"x" * 300000)
        # The spool file may not exist yet when the socket closes (the server creates it when the
        # first bytes arrive), so "none yet" proves nothing: wait past the idle timeout (2 s), by
        # when the server has either removed it or timed the connection out, then up to 10 s.
        closed = time.monotonic()
        for _ in range(200):  # bounded: 10 s
            if time.monotonic() - closed > 3 and not list(proxy.root.rglob(".mlflowc-upload-*")):
                break
            time.sleep(0.05)
        assert not (proxy.root / "exp" / "cut.bin").exists()
        assert not list(proxy.root.rglob(".mlflowc-upload-*"))
    finally:
        stop_server(server)


def chunks(total, size=1 << 20):
    """byte i = i % 251, generated on the fly (no big buffer in the test either)"""
    pattern = bytes(i % 251 for i in range(251 * 4200))  # longer than size + 251
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        start = sent % 251
        yield pattern[start:start + n]
        sent += n


def vm_hwm_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def test_large_file_streams_in_constant_memory(proxy, server):
    total = int(os.environ.get("MLFLOWC_BIG_ARTIFACT_MB", "1024")) << 20
    sent_hash = hashlib.sha256()

    def body():
        for block in chunks(total):
            sent_hash.update(block)
            yield block

    conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=600)
    conn.request("PUT", f"{PROXY}/exp/big.bin", body=body(), headers={"Content-Length": str(total)})
    resp = conn.getresponse()
    assert resp.status == 200, resp.read()
    resp.read()
    conn.request("GET", f"{PROXY}/exp/big.bin")
    resp = conn.getresponse()
    assert resp.status == 200
    got_hash, got = hashlib.sha256(), 0
    while block := resp.read(1 << 20):
        got_hash.update(block)
        got += len(block)
    conn.close()
    assert got == total and got_hash.hexdigest() == sent_hash.hexdigest()
    peak = vm_hwm_mb(server.proc.pid)
    print(f"\n{total >> 20} MiB up and down; server peak RSS {peak:.1f} MB")
    sanitizer_slack = 3 if os.environ.get("ASAN_OPTIONS") else 1  # ASan's shadow memory
    assert peak < 64 * sanitizer_slack


def test_range_and_head(proxy):
    data = bytes(range(256)) * 4
    proxy.request("PUT", f"{PROXY}/exp/r.bin", data)
    for header, status, want in (("bytes=0-9", 206, data[:10]), ("bytes=1000-", 206, data[1000:]),
                                 ("bytes=-5", 206, data[-5:]), ("bytes=10-5000", 206, data[10:])):
        got = proxy.request("GET", f"{PROXY}/exp/r.bin", headers={"Range": header})
        assert (got[0], got[2]) == (status, want), header
    assert proxy.request("GET", f"{PROXY}/exp/r.bin", headers={"Range": "bytes=5000-"})[0] == 416
    assert proxy.request("GET", f"{PROXY}/exp/r.bin", headers={"Range": "bytes=0-1,4-5"})[2] == data
    conn = http.client.HTTPConnection(proxy.host, proxy.port, timeout=30)
    conn.request("HEAD", f"{PROXY}/exp/r.bin")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.getheader("Content-Length") == str(len(data)) and resp.read() == b""
    conn.close()


def test_artifacts_only_and_no_serve_artifacts(mlflowc_bin, tmp_path):
    from test_server_lifecycle import start
    from conftest import stop_server
    (tmp_path / "only").mkdir()
    only = start(mlflowc_bin, tmp_path / "only", "--artifacts-only")
    try:
        p = Proxy(only)
        assert p.request("PUT", f"{PROXY}/x/a.txt", b"a")[0] == 200
        assert p.request("GET", f"{PROXY}/x/a.txt")[2] == b"a"
        assert p.request("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0")[0] == 503
        assert not (tmp_path / "only" / "mlflow.db").exists()
    finally:
        stop_server(only)
    (tmp_path / "none").mkdir()
    none = start(mlflowc_bin, tmp_path / "none", "--no-serve-artifacts")
    try:
        p = Proxy(none)
        assert p.request("PUT", f"{PROXY}/x/a.txt", b"a")[0] == 503
        assert p.request("GET", "/api/2.0/mlflow/experiments/get?experiment_id=0")[0] == 200
    finally:
        stop_server(none)


def test_percent_encoded_file_uri_roots(mlflowc_bin, tmp_path):
    # A file:// artifact location is a URI: "a%20b" names the directory "a b" (RFC 8089),
    # for listings and downloads of a run under it, as in MLflow's local_file_uri_to_path.
    # The server reads local artifacts only under its allowed roots, so it is given one.
    from test_server_lifecycle import start
    from conftest import stop_server
    root = tmp_path / "store root"
    root.mkdir()
    server = start(mlflowc_bin, tmp_path, "--allowed-artifact-roots", str(root))
    try:
        check_percent_encoded_file_uri_root(Proxy(server), root)
    finally:
        stop_server(server)


def check_percent_encoded_file_uri_root(proxy, root):
    uri = "file://" + quote(str(root))
    assert "%20" in uri

    def call(method, endpoint, body=None, **query):
        path = f"/api/2.0/mlflow/{endpoint}" + (("?" + "&".join(f"{k}={quote(v)}" for k, v in query.items()))
                                              if query else "")
        status, _, data = proxy.request(method, path, json.dumps(body) if body is not None else None,
                                        {"Content-Type": "application/json"})
        assert status == 200, (endpoint, data)
        return json.loads(data or b"{}")

    exp = call("POST", "experiments/create", {"name": "spaced", "artifact_location": uri})["experiment_id"]
    run = call("POST", "runs/create", {"experiment_id": exp})["run"]["info"]
    assert run["artifact_uri"] == f"{uri}/{run['run_id']}/artifacts"
    files = root / run["run_id"] / "artifacts" / "model dir"
    files.mkdir(parents=True)
    (files / "MLmodel").write_text("flavors: {}\n")
    listed = call("GET", "artifacts/list", run_id=run["run_id"])
    assert [f["path"] for f in listed["files"]] == ["model dir"]
    listed = call("GET", "artifacts/list", run_id=run["run_id"], path="model dir")
    assert [(f["path"], f["file_size"]) for f in listed["files"]] == [("model dir/MLmodel", 12)]
    status, _, data = proxy.request("GET", "/get-artifact?" + f"run_uuid={run['run_id']}&path={quote('model dir/MLmodel')}")
    assert (status, data) == (200, b"flavors: {}\n")
