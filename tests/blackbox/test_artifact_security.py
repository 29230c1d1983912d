"""Artifact confinement against the real server (issue #10), each case checked on the real
filesystem: a NUL or control character in an artifact location (raw, %00, %2500, \\u0000 in
JSON) is refused before anything outside the roots is read, listed or created; the server
touches local artifacts only under its allowed roots (403 elsewhere, nothing created by a
read); deletes of the store root or a whole experiment are refused (file counts unchanged);
disk errors are clean 4xx/507 answers instead of 500s; uploads honour --max-artifact-mb and
the free-disk reserve (--min-free-disk-mb), leaving nothing behind when refused or cut off."""

import http.client
import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from conftest import stop_server
from test_server_lifecycle import start

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
API = "/api/2.0/mlflow"


class Client:
    def __init__(self, server):
        parts = urlsplit(server.url)
        self.host, self.port = parts.hostname, parts.port
        self.root = server.dir / "artifacts"

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def api(self, method, endpoint, body=None, **query):
        path = f"{API}/{endpoint}"
        if query:
            path += "?" + "&".join(f"{k}={quote(str(v), safe='')}" for k, v in query.items())
        data = json.dumps(body) if body is not None else None
        status, raw = self.request(method, path, data, {"Content-Type": "application/json"})
        return status, json.loads(raw) if raw.startswith(b"{") else raw

    def ok(self, method, endpoint, body=None, **query):
        status, data = self.api(method, endpoint, body, **query)
        assert status == 200, (endpoint, status, data)
        return data


def snapshot(top):
    """Every path below `top` (files, directories, links) with file contents: a
    before/after comparison proves nothing was created, changed or removed."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            out[str(p.relative_to(top))] = p.read_bytes() if p.is_file() and not p.is_symlink() else None
    return out


def file_count(top):
    return sum(len(files) for _, _, files in os.walk(top))


@pytest.fixture
def canary(tmp_path):
    """A directory outside every artifact root holding a secret."""
    d = tmp_path / "canary"
    d.mkdir()
    (d / "secret.txt").write_text("canary secret")
    (d / "sub").mkdir()
    return d


def secret_leaked(data):
    return b"canary secret" in (data if isinstance(data, bytes) else json.dumps(data).encode())


# ---- 1. NUL and control characters in artifact locations ---------------------------------

def nul_locations(canary):
    c = quote(str(canary))
    return [
        f"file://{c}%00",                  # the probe's /etc%00
        f"file://{c}%00/x",
        f"file://{c}%2500",                # %00 after a second decoding round
        f"file://{c}%252500",
        f"file://{c}\u0000",               # a raw NUL: \u0000 in the JSON text
        f"file://{c}\u0000/x",
        f"{canary}\u0000",                 # a plain path cut short
        f"file://{c}%01",
        f"file://{c}%0a",
        f"file://{c}%1F",
        f"file://{c}%7f",
        f"file://{c}\u0001",
        f"file://{c}\n",
        f"file://{c}\u007f",
        f"file://localhost{c}%00",
    ]


def test_nul_and_control_locations_are_refused(server, canary, tmp_path):
    client = Client(server)
    before, outside_before = snapshot(canary), snapshot(tmp_path)
    for i, location in enumerate(nul_locations(canary)):
        status, data = client.api("POST", "experiments/create", {"name": f"nul-{i}", "artifact_location": location})
        assert status == 400 and data["error_code"] == "INVALID_PARAMETER_VALUE", (location, status, data)
        # a raw NUL is refused by the parameter reader, anything else by the location check
        assert "control" in data["message"] or "NUL character" in data["message"], data
    # nothing of the kind was recorded, so there is nothing to read, list or create through
    found = client.ok("POST", "experiments/search", {"max_results": 1000}).get("experiments", [])
    assert not [e for e in found if e["name"].startswith("nul-")]
    assert snapshot(canary) == before
    assert {k for k in snapshot(tmp_path) if not k.startswith(("artifacts", "server.", "mlflow.db"))} == \
           {k for k in outside_before if not k.startswith(("artifacts", "server.", "mlflow.db"))}


def test_the_probe_is_closed(server, canary, tmp_path):
    """The probe of issue #10 end to end: location file://<canary>%00, then read, list and
    a GET that used to create a directory anywhere."""
    client = Client(server)
    created = tmp_path / "created-by-a-get"
    for name, location in (("probe-read", f"file://{quote(str(canary))}%00"),
                           ("probe-mkdir", f"file://{quote(str(created))}%00")):
        status, data = client.api("POST", "experiments/create", {"name": name, "artifact_location": location})
        assert status == 400, (name, data)
        if status == 200:  # today's server: follow the probe through to show the damage
            run = client.ok("POST", "runs/create", {"experiment_id": data["experiment_id"]})["run"]["info"]
            got = client.request("GET", f"/get-artifact?run_id={run['run_id']}&path=secret.txt")
            assert not secret_leaked(got[1])
            listed = client.api("GET", "artifacts/list", run_id=run["run_id"])
            assert not secret_leaked(listed[1])
    assert not created.exists()


# ---- 1. local artifacts only under allowed roots ------------------------------------------

def run_under(client, name, location):
    exp = client.ok("POST", "experiments/create", {"name": name, "artifact_location": location})["experiment_id"]
    return client.ok("POST", "runs/create", {"experiment_id": exp})["run"]["info"]


def test_locations_outside_the_roots_are_recorded_but_never_touched(server, canary):
    client = Client(server)
    # an experiment may record any location: clients that write there directly keep working
    run = run_under(client, "outside", f"file://{quote(str(canary))}")
    run_dir = canary / run["run_id"] / "artifacts"
    assert run["artifact_uri"] == f"file://{quote(str(canary))}/{run['run_id']}/artifacts"
    # a read or a list of a run whose directory does not exist creates nothing
    for path in ("", "sub"):
        status, data = client.api("GET", "artifacts/list", run_id=run["run_id"], path=path)
        assert status == 403 and data["error_code"] == "PERMISSION_DENIED", data
        assert "--allowed-artifact-roots" in data["message"]
    assert not (canary / run["run_id"]).exists()
    # ... and one whose directory a client filled is still not read nor listed by the server
    run_dir.mkdir(parents=True)
    shutil.copy(canary / "secret.txt", run_dir / "secret.txt")
    before = snapshot(canary)
    status, data = client.request("GET", f"/get-artifact?run_id={run['run_id']}&path=secret.txt")
    assert status == 403 and not secret_leaked(data), (status, data)
    status, data = client.api("GET", "artifacts/list", run_id=run["run_id"])
    assert status == 403 and "secret" not in json.dumps(data), data
    # the same for a model version whose files live there
    client.ok("POST", "registered-models/create", {"name": "outside-model"})
    client.ok("POST", "model-versions/create", {"name": "outside-model", "run_id": run["run_id"],
                                                "source": run["artifact_uri"]})
    status, data = client.request("GET", "/model-versions/get-artifact?name=outside-model&version=1&path=secret.txt")
    assert status == 403 and not secret_leaked(data), (status, data)
    # a plain absolute path is the same as a file:// URI
    plain = run_under(client, "outside-plain", str(canary))
    (canary / plain["run_id"] / "artifacts").mkdir(parents=True)
    shutil.copy(canary / "secret.txt", canary / plain["run_id"] / "artifacts" / "secret.txt")
    before = snapshot(canary)
    status, data = client.request("GET", f"/get-artifact?run_id={plain['run_id']}&path=secret.txt")
    assert status == 403 and not secret_leaked(data)
    assert snapshot(canary) == before


def test_allowed_roots_are_served_and_confined(mlflowc_bin, tmp_path, canary):
    extra = tmp_path / "extra root"
    extra.mkdir()
    runs = tmp_path / "runs"
    # a root that does not exist is refused at start-up, by name
    proc = subprocess.run([str(mlflowc_bin), "server", "--backend-store-uri", f"sqlite:///{tmp_path}/x.db",
                           "--port", "0", "--allowed-artifact-roots", str(tmp_path / "nowhere")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0 and "nowhere" in proc.stderr
    server = start(mlflowc_bin, tmp_path, "--no-serve-artifacts", "--default-artifact-root", str(runs),
                   "--allowed-artifact-roots", str(extra))
    try:
        client = Client(server)
        # under an --allowed-artifact-roots directory: listed and read
        run = run_under(client, "extra", f"file://{quote(str(extra))}")
        files = extra / run["run_id"] / "artifacts"
        (files / "d").mkdir(parents=True)
        (files / "d" / "f.txt").write_text("fine")
        listed = client.ok("GET", "artifacts/list", run_id=run["run_id"], path="d")
        assert listed["files"] == [{"path": "d/f.txt", "is_dir": False, "file_size": 4}]
        assert client.request("GET", f"/get-artifact?run_id={run['run_id']}&path=d/f.txt") == (200, b"fine")
        # a symlink inside the root that leads out is not followed
        os.symlink(canary, files / "out")
        os.symlink(canary / "secret.txt", files / "secret-link")
        for path in ("out/secret.txt", "secret-link"):
            status, data = client.request("GET", f"/get-artifact?run_id={run['run_id']}&path={path}")
            assert status in (400, 403, 404) and not secret_leaked(data), (path, status, data)
        status, data = client.api("GET", "artifacts/list", run_id=run["run_id"], path="out")
        assert status in (200, 400, 403) and "secret" not in json.dumps(data), data
        # a run directory that is itself a link out of the root
        linked = run_under(client, "linked", f"file://{quote(str(extra))}/linked")
        (extra / "linked").mkdir()
        os.symlink(canary, extra / "linked" / linked["run_id"])
        status, data = client.api("GET", "artifacts/list", run_id=linked["run_id"])
        assert status == 403 and "secret" not in json.dumps(data), data
        # under --default-artifact-root (no proxy): a missing run directory lists empty and
        # a download is 404, creating nothing; a present one is served
        local = client.ok("POST", "runs/create", {"experiment_id": "0"})["run"]["info"]
        assert local["artifact_uri"].startswith(str(runs))
        assert client.ok("GET", "artifacts/list", run_id=local["run_id"]) == {"root_uri": local["artifact_uri"]}
        assert client.request("GET", f"/get-artifact?run_id={local['run_id']}&path=x")[0] == 404
        assert not (runs / "0" / local["run_id"]).exists()
        (runs / "0" / local["run_id"]).mkdir(parents=True)
        assert client.ok("GET", "artifacts/list", run_id=local["run_id"], path="a") == \
               {"root_uri": local["artifact_uri"]}
        assert not (runs / "0" / local["run_id"] / "artifacts").exists()
        (runs / "0" / local["run_id"] / "artifacts").mkdir()
        (runs / "0" / local["run_id"] / "artifacts" / "m.txt").write_text("m")
        assert client.request("GET", f"/get-artifact?run_id={local['run_id']}&path=m.txt") == (200, b"m")
        # a recorded location with a '..' is refused, not resolved
        dotdot = run_under(client, "dotdot", f"{extra}/../canary")
        status, data = client.api("GET", "artifacts/list", run_id=dotdot["run_id"])
        assert status == 400 and "secret" not in json.dumps(data), data
        # and outside every root is still 403
        outside = run_under(client, "outside", str(canary))
        assert client.api("GET", "artifacts/list", run_id=outside["run_id"])[0] == 403
    finally:
        stop_server(server)


def test_allowed_roots_from_the_environment(mlflowc_bin, tmp_path):
    extra = tmp_path / "env root"
    extra.mkdir()
    os.environ["MLFLOW_ALLOWED_ARTIFACT_ROOTS"] = str(extra)
    try:
        server = start(mlflowc_bin, tmp_path)
    finally:
        del os.environ["MLFLOW_ALLOWED_ARTIFACT_ROOTS"]
    try:
        client = Client(server)
        run = run_under(client, "env", str(extra))
        (extra / run["run_id"] / "artifacts").mkdir(parents=True)
        (extra / run["run_id"] / "artifacts" / "e.txt").write_text("env")
        assert client.request("GET", f"/get-artifact?run_id={run['run_id']}&path=e.txt") == (200, b"env")
        other = tmp_path / "not listed"
        elsewhere = run_under(client, "elsewhere", str(other))
        (other / elsewhere["run_id"] / "artifacts").mkdir(parents=True)
        (other / elsewhere["run_id"] / "artifacts" / "e.txt").write_text("no")
        assert client.request("GET", f"/get-artifact?run_id={elsewhere['run_id']}&path=e.txt")[0] == 403
    finally:
        stop_server(server)


# ---- 2. deletes never take the store root or a whole experiment ---------------------------

def fill_store(client):
    for name in ("exp/run/a/f1.txt", "exp/run/a/f2.txt", "exp/run/b.txt", "exp/other/c.txt", "exp2/run/d.txt"):
        assert client.request("PUT", f"{PROXY}/{name}", b"x")[0] == 200, name


@pytest.mark.parametrize("path", [".", "./", "%2e", "exp/.", "exp/./", "./exp", "exp", "exp/", "exp//",
                                  "..", "", "/", "//", "exp/..", "a/.", "%2e/", "exp%2f."])
def test_deletes_of_the_root_or_an_experiment_are_refused(server, path):
    client = Client(server)
    fill_store(client)
    before = snapshot(client.root)
    count = file_count(client.root)
    assert count == 5
    status, data = client.request("DELETE", f"{PROXY}/{path}")
    assert status == 400, (path, status, data)
    assert json.loads(data)["error_code"] == "INVALID_PARAMETER_VALUE"
    assert file_count(client.root) == count
    assert snapshot(client.root) == before


def test_deletes_inside_a_run_or_experiment_still_work(server):
    client = Client(server)
    fill_store(client)
    assert client.request("DELETE", f"{PROXY}/exp/run/a/.")[0] == 200  # "a/." inside a run is "a"
    assert not (client.root / "exp" / "run" / "a").exists()
    assert client.request("DELETE", f"{PROXY}/exp/run/b.txt")[0] == 200
    assert client.request("DELETE", f"{PROXY}/exp/other")[0] == 200  # a run's whole directory
    assert client.request("DELETE", f"{PROXY}/exp/never/there")[0] == 200
    assert file_count(client.root) == 1 and (client.root / "exp2" / "run" / "d.txt").exists()
    assert (client.root / "exp").is_dir()


def test_a_delete_that_fails_half_way_says_so(server):
    client = Client(server)
    for name in ("exp/run/d/keep.txt", "exp/run/d/go1.txt", "exp/run/d/go2.txt"):
        client.request("PUT", f"{PROXY}/{name}", b"x")
    stuck = client.root / "exp" / "run" / "d" / "keep.txt"
    if subprocess.run(["chattr", "+i", str(stuck)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a file immutable here (chattr +i)")
    try:
        status, data = client.request("DELETE", f"{PROXY}/exp/run/d")
        body = json.loads(data)
        assert 400 <= status < 500, (status, body)
        assert "partly deleted" in body["message"] and "keep.txt" in body["message"], body
        assert "2 entries removed" in body["message"] and "1 could not" in body["message"], body
        assert stuck.exists() and sorted(p.name for p in stuck.parent.iterdir()) == ["keep.txt"]
    finally:
        subprocess.run(["chattr", "-i", str(stuck)], check=True)


# ---- 4. clean 4xx instead of 500 ------------------------------------------------------------

def test_put_through_a_symlinked_directory_is_a_clean_400(server, canary):
    client = Client(server)
    (client.root / "exp").mkdir(parents=True)
    os.symlink(canary, client.root / "exp" / "link")
    before = snapshot(canary)
    status, data = client.request("PUT", f"{PROXY}/exp/link/planted.txt", b"x")
    assert status == 400 and json.loads(data)["error_code"] == "INVALID_PARAMETER_VALUE", (status, data)
    status, data = client.request("PUT", f"{PROXY}/exp/link/sub/planted.txt", b"x")
    assert status == 400, (status, data)
    assert snapshot(canary) == before
    assert not list(client.root.rglob(".mlflowc-upload-*"))


def test_overlong_path_components_are_a_clean_400(server):
    client = Client(server)
    long_name = "n" * 256
    for path in (f"exp/{long_name}/f.txt", f"exp/run/{long_name}", f"exp/{'é' * 128}"):
        status, data = client.request("PUT", f"{PROXY}/{quote(path)}", b"x")
        assert status == 400 and json.loads(data)["error_code"] == "INVALID_PARAMETER_VALUE", (path, status, data)
        assert "255" in json.loads(data)["message"]
    status, _ = client.request("GET", f"{PROXY}/exp/run/{long_name}")
    assert status in (400, 404)
    assert client.request("PUT", f"{PROXY}/exp/run/{'n' * 255}", b"ok")[0] == 200  # 255 bytes is fine
    assert not list(client.root.rglob(".mlflowc-upload-*"))


def test_put_onto_an_existing_directory_is_a_clean_400(server):
    client = Client(server)
    assert client.request("PUT", f"{PROXY}/exp/run/dir/inner.txt", b"inner")[0] == 200
    status, data = client.request("PUT", f"{PROXY}/exp/run/dir", b"x" * 1000)
    assert status == 400 and json.loads(data)["error_code"] == "INVALID_PARAMETER_VALUE", (status, data)
    assert (client.root / "exp" / "run" / "dir" / "inner.txt").read_bytes() == b"inner"
    # a file where a directory must go
    status, data = client.request("PUT", f"{PROXY}/exp/run/dir/inner.txt/below.txt", b"x")
    assert status == 400, (status, data)
    assert not list(client.root.rglob(".mlflowc-upload-*"))


# ---- 3. upload size limits ----------------------------------------------------------------

def chunked(total, size=64 << 10):
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield b"z" * n
        sent += n


def put_chunked(client, path, total):
    conn = http.client.HTTPConnection(client.host, client.port, timeout=60)
    try:
        conn.request("PUT", path, body=chunked(total), encode_chunked=True)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def test_max_artifact_mb(mlflowc_bin, tmp_path):
    server = start(mlflowc_bin, tmp_path, "--max-artifact-mb", "1")
    try:
        client = Client(server)
        assert client.request("PUT", f"{PROXY}/exp/run/small.bin", b"s" * (512 << 10))[0] == 200
        assert client.request("PUT", f"{PROXY}/exp/run/exact.bin", b"e" * (1 << 20))[0] == 200
        status, data = client.request("PUT", f"{PROXY}/exp/run/big.bin", b"b" * ((1 << 20) + 1))
        body = json.loads(data)
        assert status == 413 and body["error_code"] == "MAX_READ_SIZE_EXCEEDED", (status, body)
        assert "--max-artifact-mb" in body["message"]
        status, data = put_chunked(client, f"{PROXY}/exp/run/chunked.bin", 3 << 20)
        assert status == 413 and json.loads(data)["error_code"] == "MAX_READ_SIZE_EXCEEDED", (status, data)
        assert put_chunked(client, f"{PROXY}/exp/run/chunked-small.bin", 300 << 10)[0] == 200
        names = sorted(p.name for p in (client.root / "exp" / "run").iterdir())
        assert names == ["chunked-small.bin", "exact.bin", "small.bin"]
    finally:
        stop_server(server)


def test_free_disk_reserve(mlflowc_bin, tmp_path):
    # a reserve (60 TB) larger than this disk: every upload would break it
    if shutil.disk_usage(tmp_path).free >= 60000000 << 20:
        pytest.skip("this disk has more than 60 TB free")
    server = start(mlflowc_bin, tmp_path, "--min-free-disk-mb", "60000000")
    try:
        client = Client(server)
        for put in (lambda p: client.request("PUT", p, b"x" * 1000), lambda p: put_chunked(client, p, 1000)):
            status, data = put(f"{PROXY}/exp/run/f.bin")
            body = json.loads(data)
            assert status == 507 and body["error_code"] == "INSUFFICIENT_STORAGE", (status, body)
            assert "--min-free-disk-mb" in body["message"]
        assert not (client.root / "exp").exists() or not list((client.root / "exp").rglob("*.bin"))
        assert not list(client.root.rglob(".mlflowc-upload-*"))
    finally:
        stop_server(server)


def test_a_full_disk_aborts_the_upload_cleanly(mlflowc_bin, tmp_path):
    small = tmp_path / "small-disk"
    small.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(small)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        server = start(mlflowc_bin, tmp_path, "--artifacts-destination", str(small), "--min-free-disk-mb", "0")
        try:
            client = Client(server)
            # announced: refused before the first byte is written
            status, data = client.request("PUT", f"{PROXY}/exp/run/big.bin", b"x" * (2 << 20))
            assert status == 507 and json.loads(data)["error_code"] == "INSUFFICIENT_STORAGE", (status, data)
            # chunked: the disk fills up mid-stream (ENOSPC), the partial file goes away
            status, data = put_chunked(client, f"{PROXY}/exp/run/big.bin", 3 << 20)
            body = json.loads(data)
            assert status == 507 and body["error_code"] == "INSUFFICIENT_STORAGE", (status, body)
            assert not list(small.rglob("*.bin")) and not list(small.rglob(".mlflowc-upload-*"))
            assert client.request("PUT", f"{PROXY}/exp/run/fits.bin", b"f" * 1000)[0] == 200
        finally:
            stop_server(server)
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_a_fifo_among_the_artifacts_is_absent_and_blocks_no_worker(server):
    """A FIFO (a pipe in the file system) opened for reading would block its reader until a
    writer came: the proxy must treat it as no file, at once, and every worker stays free."""
    client = Client(server)
    run_dir = client.root / "exp" / "run"
    run_dir.mkdir(parents=True)
    os.mkfifo(run_dir / "pipe")
    (run_dir / "plain.txt").write_bytes(b"plain")
    for _ in range(8):  # more than the server's workers: a blocked one each time would hang it
        conn = http.client.HTTPConnection(client.host, client.port, timeout=10)
        try:
            conn.request("GET", f"{PROXY}/exp/run/pipe")
            resp = conn.getresponse()
            assert resp.status == 404, (resp.status, resp.read())
            resp.read()
        finally:
            conn.close()
    assert client.request("GET", f"{PROXY}/exp/run/plain.txt") == (200, b"plain")
