"""`mlflowc artifacts ...` and `mlflowc models ...` (libmlflowc underneath) against a real server:
files and trees go up through the artifact proxy and come back byte for byte (by run, by
runs:/, models:/<name>/<stage>, models:/<name>@<alias>, models:/<name>/<version>), a local
artifact root is written directly, the registry flow register -> transition -> get-latest ->
alias works from the command line, errors give the documented exit codes and name the
problem, registration waits while a version is PENDING_REGISTRATION (a fake server), and
examples/train.c builds, runs and leaves a run that reads back through the REST API."""

import hashlib
import http.server
import json
import os
import socket
import sys
import shutil
import subprocess
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO_ROOT, build_with_libmlflowc, free_local_port

BINARY_BYTES = 5 * 1024 * 1024 + 123


def cli(mlflowc_bin, *args, uri=None, cwd=None, extra_env=None):
    env = dict(os.environ)
    for name in ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME",
                 "MLFLOW_TRACKING_PASSWORD"):
        env.pop(name, None)
    if uri:
        env["MLFLOW_TRACKING_URI"] = uri
    env.update(extra_env or {})
    return subprocess.run([str(mlflowc_bin), *args], env=env, capture_output=True, text=True, timeout=120,
                          cwd=cwd)


def ok_cli(mlflowc_bin, *args, uri=None):
    done = cli(mlflowc_bin, *args, uri=uri)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done.stdout


def rest(server, method, path, body=None, **query):
    url = f"{server.url}/api/2.0/mlflow/{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def new_run(server, experiment_id="0"):
    return rest(server, "POST", "runs/create", {"experiment_id": experiment_id})["run"]["info"]["run_id"]


def digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tree(root):
    """{relative path: sha256} of every file below root."""
    root = Path(root)
    return {str(p.relative_to(root)): digest(p) for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def model_dir(tmp_path):
    model = tmp_path / "model"
    (model / "sub" / "deeper").mkdir(parents=True)
    (model / "MLmodel").write_text("flavors:\n  c_example: {}\n")
    (model / "sub" / "weights.bin").write_bytes(os.urandom(BINARY_BYTES))
    (model / "sub" / "deeper" / "name with spaces & signs%.txt").write_text("odd name\n")
    return model


def test_upload_list_download_roundtrip(server, mlflowc_bin, tmp_path, model_dir):
    run = new_run(server)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello artifacts\n")
    assert ok_cli(mlflowc_bin, "artifacts", "log-artifact", "--local-file", str(notes), "--run-id", run,
                  uri=server.url) == ""
    ok_cli(mlflowc_bin, "artifacts", "log-artifacts", "-l", str(model_dir), "-r", run, "-a", "model",
           "--tracking-uri", server.url)
    ok_cli(mlflowc_bin, "artifacts", "log-artifact", "-l", str(notes), "-r", run, "-a", "docs/a/b", uri=server.url)
    # doubled and trailing slashes are the same path (an empty segment once went out as %2F)
    ok_cli(mlflowc_bin, "artifacts", "log-artifact", "-l", str(notes), "-r", run, "-a", "docs//c/", uri=server.url)
    assert [f["path"] for f in json.loads(ok_cli(mlflowc_bin, "artifacts", "list", "-r", run, "-a", "docs//c/",
                                                  "--json", uri=server.url))["files"]] == ["docs/c/notes.txt"]

    # the bytes are where the proxy keeps this run's artifacts
    stored = next(server.dir.glob(f"artifacts/*/{run}/artifacts"))
    assert tree(stored / "model") == tree(model_dir)

    table = ok_cli(mlflowc_bin, "artifacts", "list", "--run-id", run, uri=server.url).splitlines()
    assert table[0].split() == ["PATH", "TYPE", "SIZE"]
    rows = {line.split()[0]: line.split()[1:] for line in table[1:]}
    assert rows == {"docs": ["dir"], "model": ["dir"], "notes.txt": ["file", "16"]}
    listing = json.loads(ok_cli(mlflowc_bin, "artifacts", "list", "-r", run, "-a", "model/sub", "--json",
                                uri=server.url))
    assert listing["root_uri"].endswith(f"/{run}/artifacts")
    assert {(f["path"], f["is_dir"], f.get("file_size")) for f in listing["files"]} == {
        ("model/sub/weights.bin", False, BINARY_BYTES), ("model/sub/deeper", True, None)}

    # everything, by run
    everything = tmp_path / "everything"
    out = ok_cli(mlflowc_bin, "artifacts", "download", "--run-id", run, "--dst-path", str(everything), uri=server.url)
    assert out.strip() == str(everything.resolve())
    assert tree(everything / "model") == tree(model_dir)
    assert (everything / "docs" / "a" / "b" / "notes.txt").read_text() == "hello artifacts\n"
    assert (everything / "docs" / "c" / "notes.txt").read_text() == "hello artifacts\n"

    # one file by run and path, then a directory by runs:/ URI
    one = ok_cli(mlflowc_bin, "artifacts", "download", "-r", run, "-a", "model/sub/weights.bin", "-d",
                 str(tmp_path / "one"), uri=server.url).strip()
    assert one == str((tmp_path / "one" / "model" / "sub" / "weights.bin").resolve())
    assert digest(one) == digest(model_dir / "sub" / "weights.bin")
    by_uri = ok_cli(mlflowc_bin, "artifacts", "download", "-u", f"runs:/{run}/model/sub", "-d",
                    str(tmp_path / "uri"), uri=server.url).strip()
    assert by_uri == str((tmp_path / "uri" / "sub").resolve())
    assert tree(by_uri) == tree(model_dir / "sub")

    # the proxy's own URI form, and no --dst-path: a fresh temporary directory
    proxied = ok_cli(mlflowc_bin, "artifacts", "download", "-u", f"{listing['root_uri']}/model/MLmodel",
                     uri=server.url).strip()
    try:
        assert Path(proxied).name == "MLmodel" and digest(proxied) == digest(model_dir / "MLmodel")
    finally:
        shutil.rmtree(Path(proxied).parent)
    # mlflow-artifacts: URIs: on the tracking server, or on the host the URI names
    short = ok_cli(mlflowc_bin, "artifacts", "download", "-u", f"mlflow-artifacts:/0/{run}/artifacts/model/sub",
                   "-d", str(tmp_path / "short"), uri=server.url).strip()
    assert tree(short) == tree(model_dir / "sub")
    elsewhere = f"http://127.0.0.1:{free_local_port()}"  # nothing listens: the URI's host must be used
    host = server.url.removeprefix("http://")
    named = ok_cli(mlflowc_bin, "artifacts", "download", "-u", f"mlflow-artifacts://{host}/0/{run}/artifacts/notes.txt",
                   "-d", str(tmp_path / "named"), uri=elsewhere).strip()
    assert Path(named).read_text() == "hello artifacts\n"

    # no temporary files are left beside downloads
    assert not [p for p in tmp_path.rglob("*.mlflowc-*")]


def test_registry_flow_and_models_uris(server, mlflowc_bin, tmp_path, model_dir):
    run = new_run(server)
    ok_cli(mlflowc_bin, "artifacts", "log-artifacts", "-l", str(model_dir), "-r", run, "-a", "model", uri=server.url)

    assert ok_cli(mlflowc_bin, "models", "register", "--model-uri", f"runs:/{run}/model", "--name", "fraud",
                  uri=server.url) == "1\n"
    second = json.loads(ok_cli(mlflowc_bin, "models", "register", "-m", f"runs:/{run}/model", "-n", "fraud",
                               "--json", uri=server.url))["model_version"]
    assert second["version"] == "2" and second["status"] == "READY" and second["run_id"] == run
    assert second["source"] == f"mlflow-artifacts:/0/{run}/artifacts/model"

    moved = ok_cli(mlflowc_bin, "models", "transition-stage", "--name", "fraud", "--version", "1", "--stage",
                   "production", uri=server.url).splitlines()
    assert moved[0].split()[:4] == ["NAME", "VERSION", "STAGE", "STATUS"]
    assert moved[1].split()[:4] == ["fraud", "1", "Production", "READY"]
    ok_cli(mlflowc_bin, "models", "transition-stage", "--name", "fraud", "--version", "2", "--stage", "Production",
           "--archive-existing-versions", uri=server.url)
    v1 = rest(server, "GET", "model-versions/get", name="fraud", version="1")["model_version"]
    assert v1["current_stage"] == "Archived"

    latest = json.loads(ok_cli(mlflowc_bin, "models", "get-latest", "--name", "fraud", "--stage", "Production",
                               "--json", uri=server.url))["model_version"]
    assert latest["version"] == "2"
    assert json.loads(ok_cli(mlflowc_bin, "models", "get-latest", "--name", "fraud", "--json",
                             uri=server.url))["model_version"]["version"] == "2"

    ok_cli(mlflowc_bin, "models", "set-alias", "--name", "fraud", "--alias", "champion", "--version", "1",
           uri=server.url)
    by_alias = json.loads(ok_cli(mlflowc_bin, "models", "get-version", "--name", "fraud", "--alias", "champion",
                                 "--json", uri=server.url))["model_version"]
    assert by_alias["version"] == "1" and by_alias["aliases"] == ["champion"]
    table = ok_cli(mlflowc_bin, "models", "get-version", "--name", "fraud", "--version", "1", uri=server.url)
    assert "@champion" in table and "Archived" in table

    listed = ok_cli(mlflowc_bin, "models", "list", uri=server.url).splitlines()
    assert listed[0].split()[:3] == ["NAME", "LATEST", "VERSIONS"]
    assert listed[1].startswith("fraud") and "Production:2" in listed[1] and "@champion=1" in listed[1]
    assert [m["name"] for m in json.loads(ok_cli(mlflowc_bin, "models", "list", "--json",
                                                 uri=server.url))["registered_models"]] == ["fraud"]

    # downloads by every models:/ form put the model's files directly in the destination
    for uri in ("models:/fraud/Production", "models:/fraud@champion", "models:/fraud/1", "models:/fraud/latest"):
        dst = tmp_path / uri.replace(":", "_").replace("/", "_").replace("@", "_")
        out = ok_cli(mlflowc_bin, "artifacts", "download", "-u", uri, "-d", str(dst), uri=server.url)
        assert out.strip() == str(dst.resolve())
        assert tree(dst) == tree(model_dir), uri

    source = f"mlflow-artifacts:/0/{run}/artifacts/model\n"
    assert ok_cli(mlflowc_bin, "models", "get-download-uri", "--name", "fraud", "--version", "1",
                  uri=server.url) == source
    assert ok_cli(mlflowc_bin, "models", "get-download-uri", "-m", "models:/fraud@champion", uri=server.url) == source
    assert cli(mlflowc_bin, "models", "get-download-uri", "--name", "fraud", uri=server.url).returncode == 2

    ok_cli(mlflowc_bin, "models", "delete-alias", "--name", "fraud", "--alias", "champion", uri=server.url)
    gone = cli(mlflowc_bin, "models", "get-version", "--name", "fraud", "--alias", "champion", uri=server.url)
    assert gone.returncode == 1 and "champion" in gone.stderr

    history = json.loads(ok_cli(mlflowc_bin, "models", "history", "fraud", "--json", uri=server.url))["history"]
    assert [(e["version"], e["kind"], e.get("to")) for e in history] == [
        ("1", "stage", "Production"), ("1", "stage", "Archived"), ("2", "stage", "Production"),
        ("1", "alias", "1"), ("1", "alias", None)]


def test_local_artifact_root_is_written_directly(server, mlflowc_bin, tmp_path, model_dir):
    root = tmp_path / "local root"  # percent-encoded in the file: URI
    experiment = rest(server, "POST", "experiments/create",
                      {"name": "local", "artifact_location": f"file://{urllib.parse.quote(str(root))}"})["experiment_id"]
    run = new_run(server, experiment)
    ok_cli(mlflowc_bin, "artifacts", "log-artifacts", "-l", str(model_dir), "-r", run, "-a", "model", uri=server.url)
    assert tree(root / run / "artifacts" / "model") == tree(model_dir)
    assert not list((server.dir / "artifacts").rglob("MLmodel"))  # nothing went through the proxy

    out = ok_cli(mlflowc_bin, "artifacts", "download", "-r", run, "-a", "model", "-d", str(tmp_path / "back"),
                 uri=server.url).strip()
    assert tree(out) == tree(model_dir)


def test_errors_name_the_problem_with_exit_codes(server, mlflowc_bin, tmp_path):
    run = new_run(server)
    unknown = cli(mlflowc_bin, "models", "get-latest", "--name", "nope", uri=server.url)
    assert unknown.returncode == 1
    assert "RESOURCE_DOES_NOT_EXIST" in unknown.stderr and "nope" in unknown.stderr
    missing_model = cli(mlflowc_bin, "artifacts", "download", "-u", "models:/nope/Production", "-d",
                        str(tmp_path / "x"), uri=server.url)
    assert missing_model.returncode == 1 and "nope" in missing_model.stderr
    unknown_run = cli(mlflowc_bin, "artifacts", "list", "-r", "0" * 32, uri=server.url)
    assert unknown_run.returncode == 1 and "RESOURCE_DOES_NOT_EXIST" in unknown_run.stderr
    missing_path = cli(mlflowc_bin, "artifacts", "download", "-r", run, "-a", "not/there", "-d", str(tmp_path / "y"),
                       uri=server.url)
    assert missing_path.returncode == 1 and "not/there" in missing_path.stderr

    no_file = cli(mlflowc_bin, "artifacts", "log-artifact", "-l", str(tmp_path / "absent.txt"), "-r", run,
                  uri=server.url)
    assert no_file.returncode == 4 and "absent.txt" in no_file.stderr
    not_dir = cli(mlflowc_bin, "artifacts", "log-artifacts", "-l", __file__, "-r", run, uri=server.url)
    assert not_dir.returncode == 4 and "not a directory" in not_dir.stderr

    for args in (("artifacts", "list"), ("artifacts", "download", "-r", run, "-u", "runs:/x/y"),
                 ("artifacts", "download"), ("artifacts", "log-artifact", "-l", __file__),
                 ("models", "register", "--name", "x"), ("models", "get-version", "--name", "x"),
                 ("models", "transition-stage", "--name", "x", "--version", "1", "--stage", "Live"),
                 ("artifacts", "bogus"), ("models", "list", "--bogus")):
        done = cli(mlflowc_bin, *args, uri=server.url)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.strip(), args
    traversal = cli(mlflowc_bin, "artifacts", "download", "-r", run, "-a", "../etc", uri=server.url)
    assert traversal.returncode == 2 and "../etc" in traversal.stderr
    scratch = tmp_path / "scratch"  # failed downloads with no -d leave no temporary directory behind
    scratch.mkdir()
    s3 = cli(mlflowc_bin, "artifacts", "download", "-u", "s3://bucket/key", uri=server.url,
             extra_env={"TMPDIR": str(scratch)})
    assert s3.returncode == 2 and "s3://bucket/key" in s3.stderr
    half = cli(mlflowc_bin, "artifacts", "download", "-r", run, "-a", "nothing/here", uri=server.url,
               extra_env={"TMPDIR": str(scratch)})
    assert half.returncode == 1 and not list(scratch.iterdir())

    down = f"http://127.0.0.1:{free_local_port()}"
    for args in (("artifacts", "list", "-r", run), ("models", "list")):
        done = cli(mlflowc_bin, *args, "--tracking-uri", down)
        assert done.returncode == 3, (args, done.stderr)
        assert "127.0.0.1" in done.stderr


class FakeRegistry(http.server.BaseHTTPRequestHandler):
    """Answers registration like a registry whose versions start PENDING_REGISTRATION."""
    polls_until_ready = 2
    final_status = "READY"
    gets = 0

    def log_message(self, *args):
        pass

    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def version(self, status):
        return {"model_version": {"name": "slow", "version": "7", "status": status,
                                  "status_message": "copy failed" if status == "FAILED_REGISTRATION" else ""}}

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path.endswith("/registered-models/create"):
            self.answer({"registered_model": {"name": "slow"}})
        else:
            self.answer(self.version("PENDING_REGISTRATION"))

    def do_GET(self):
        cls = type(self)
        cls.gets += 1
        self.answer(self.version(cls.final_status if cls.gets >= cls.polls_until_ready else "PENDING_REGISTRATION"))


@pytest.mark.parametrize("final_status, exit_code", [("READY", 0), ("FAILED_REGISTRATION", 1)])
def test_register_waits_while_pending(mlflowc_bin, final_status, exit_code):
    handler = type("Registry", (FakeRegistry,), {"final_status": final_status, "gets": 0})
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=fake.serve_forever, daemon=True)
    thread.start()
    try:
        done = cli(mlflowc_bin, "models", "register", "-m", "s3://bucket/model", "-n", "slow",
                   uri=f"http://127.0.0.1:{fake.server_address[1]}")
    finally:
        fake.shutdown()
        fake.server_close()
    assert done.returncode == exit_code, done.stderr
    assert handler.gets == FakeRegistry.polls_until_ready
    if exit_code == 0:
        assert done.stdout == "7\n"
    else:
        assert "FAILED_REGISTRATION" in done.stderr and "copy failed" in done.stderr


def build_example(mlflowc_bin, out, source=REPO_ROOT / "examples" / "train.c", archive="libmlflowc.a"):
    """Compiles a C host program against the archive beside MLFLOWC_BIN (conftest's
    build_with_libmlflowc): the client-only libmlflowc.a, or libmlflowc-server.a for local
    mode (sqlite:// URIs)."""
    del mlflowc_bin  # the archive is found beside MLFLOWC_BIN, which the fixture is
    build_with_libmlflowc([source], out, archive=archive)


def test_example_training_program_and_ci_flow(server, mlflowc_bin, tmp_path):
    train = tmp_path / "train"
    build_example(mlflowc_bin, train)
    env = dict(os.environ, MLFLOW_TRACKING_URI=server.url)
    done = subprocess.run([str(train), "--experiment", "ci-example", "--steps", "60"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + server.log_tail()
    run_id = done.stdout.strip()

    run = rest(server, "GET", "runs/get", run_id=run_id)["run"]
    assert run["info"]["status"] == "FINISHED"
    experiment = rest(server, "GET", "experiments/get", experiment_id=run["info"]["experiment_id"])
    assert experiment["experiment"]["name"] == "ci-example"
    params = {p["key"]: p["value"] for p in run["data"]["params"]}
    assert params == {"learning_rate": "0.05", "steps": "60", "optimizer": "sgd"}
    loss = rest(server, "GET", "metrics/get-history", run_id=run_id, metric_key="loss")["metrics"]
    assert sorted(int(m["step"]) for m in loss) == list(range(60))
    by_step = {int(m["step"]): m["value"] for m in loss}
    assert by_step[59] < by_step[0]
    files = rest(server, "GET", "artifacts/list", run_id=run_id)["files"]
    assert {f["path"] for f in files} == {"model", "summary.txt"}

    # the CI half: register what the trainer logged, promote it, fetch it by stage
    version = ok_cli(mlflowc_bin, "models", "register", "--model-uri", f"runs:/{run_id}/model", "--name", "ci-model",
                     uri=server.url).strip()
    ok_cli(mlflowc_bin, "models", "transition-stage", "--name", "ci-model", "--version", version, "--stage",
           "Production", uri=server.url)
    local = ok_cli(mlflowc_bin, "artifacts", "download", "-u", "models:/ci-model/Production", "-d",
                   str(tmp_path / "deployed"), uri=server.url).strip()
    assert sorted(p.name for p in Path(local).iterdir()) == ["MLmodel", "weights.txt"]
    assert "flavors" in (Path(local) / "MLmodel").read_text()


BIG_BYTES = 80 * 1024 * 1024
RSS_LIMIT_KB = 60 * 1024  # well under the file: bytes must stream, not sit in memory (ASan baseline ~35 MB)


def peak_rss_kb(command):
    """Runs command in a fresh python whose only child it is; returns (exit code, child's peak RSS in KB)."""
    probe = ("import resource, subprocess, sys\n"
             "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
             "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, *map(str, command)], capture_output=True, text=True,
                         timeout=300, env={k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"})
    code, rss = out.stdout.split()
    return int(code), int(rss)


def test_big_files_stream_in_constant_memory(server, mlflowc_bin, tmp_path):
    run = new_run(server)
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        for _ in range(BIG_BYTES // (1 << 20)):
            f.write(os.urandom(1 << 20))
    code, up_rss = peak_rss_kb([mlflowc_bin, "artifacts", "log-artifact", "-l", big, "-r", run,
                                "--tracking-uri", server.url])
    assert code == 0
    code, down_rss = peak_rss_kb([mlflowc_bin, "artifacts", "download", "-r", run, "-a", "big.bin", "-d",
                                  tmp_path / "back", "--tracking-uri", server.url])
    assert code == 0
    print(f"peak RSS for an {BIG_BYTES >> 20} MB file: upload {up_rss} KB, download {down_rss} KB")
    assert up_rss < RSS_LIMIT_KB and down_rss < RSS_LIMIT_KB
    assert digest(tmp_path / "back" / "big.bin") == digest(big)


class FlakyProxy(http.server.BaseHTTPRequestHandler):
    """A tracking server + artifact proxy whose first PUT of each file answers 503 and whose first
    download of each file breaks off halfway; records every request's headers."""
    protocol_version = "HTTP/1.1"
    stored = {}
    seen = []
    attempts = {}

    def log_message(self, *args):
        pass

    def answer(self, status, data, content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def record(self):
        cls = type(self)
        cls.seen.append((self.command, self.path, self.headers.get("Authorization"),
                         self.headers.get("Content-Type"), self.headers.get("Expect")))
        cls.attempts[(self.command, self.path)] = cls.attempts.get((self.command, self.path), 0) + 1
        return cls.attempts[(self.command, self.path)]

    def do_PUT(self):
        attempt = self.record()
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if "refused" in self.path:
            self.answer(400, b'{"error_code": "INVALID_PARAMETER_VALUE", "message": "refused.bin is not welcome"}')
            return
        if attempt == 1:
            self.answer(503, b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"}')
            return
        type(self).stored[urllib.parse.unquote(self.path)] = body
        self.answer(200, b"{}")

    def do_GET(self):
        attempt = self.record()
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        prefix = "/api/2.0/mlflow-artifacts/artifacts"
        if url.path == "/api/2.0/mlflow/runs/get":
            artifact_uri = f"mlflow-artifacts:/0/{query['run_id'][0]}/artifacts"
            self.answer(200, json.dumps({"run": {"info": {"artifact_uri": artifact_uri}}}).encode())
        elif url.path == prefix and query.get("path", [""])[0].startswith("0/evil/"):
            name = query["path"][0].rsplit("/", 1)[-1]  # the requested directory's name picks the trick
            tricks = {"artifacts": [{"path": "dotdot", "is_dir": True}], "dotdot": [{"path": "sub/..", "is_dir": True}]}
            self.answer(200, json.dumps({"files": tricks.get(name, [])}).encode())
        elif url.path == prefix:  # immediate children of the stored files; a file lists as nothing
            under = f"{prefix}/{query.get('path', [''])[0]}/"
            names = {k[len(under):].split("/")[0]: "/" in k[len(under):]
                     for k in type(self).stored if k.startswith(under)}
            if names and under.endswith("/listed/"):
                names["ghost.txt"] = False  # listed, never stored
            files = [{"path": n, "is_dir": d} for n, d in sorted(names.items())]
            self.answer(200, json.dumps({"files": files} if files else {}).encode())
        elif urllib.parse.unquote(url.path) not in type(self).stored:
            self.answer(404, b'{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such artifact"}')
        else:
            data = type(self).stored[urllib.parse.unquote(url.path)]
            if attempt > 1:
                self.answer(200, data, "application/octet-stream")
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[:len(data) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True


def test_transfers_retry_from_the_start_with_credentials(mlflowc_bin, tmp_path):
    handler = type("Proxy", (FlakyProxy,), {"stored": {}, "seen": [], "attempts": {}})
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    payload = os.urandom(3 * 1024 * 1024 + 7)
    (tmp_path / "blob.bin").write_bytes(payload)
    uri = f"http://127.0.0.1:{fake.server_address[1]}"
    token = {"MLFLOW_TRACKING_TOKEN": "t0k-123"}
    try:
        up = cli(mlflowc_bin, "artifacts", "log-artifact", "-l", str(tmp_path / "blob.bin"), "-r", "r1",
                 "-a", "dir with space", uri=uri, extra_env=token)
        assert up.returncode == 0, up.stderr
        down = cli(mlflowc_bin, "artifacts", "download", "-r", "r1", "-a", "dir with space/blob.bin", "-d",
                   str(tmp_path / "out"), uri=uri, extra_env=token)
        assert down.returncode == 0, down.stderr
    finally:
        fake.shutdown()
        fake.server_close()
    key = "/api/2.0/mlflow-artifacts/artifacts/0/r1/artifacts/dir with space/blob.bin"
    assert handler.stored[key] == payload
    assert (tmp_path / "out" / "dir with space" / "blob.bin").read_bytes() == payload
    puts = [s for s in handler.seen if s[0] == "PUT"]
    gets = [s for s in handler.seen if s[0] == "GET" and "/artifacts/0/r1/" in s[1]]
    assert len(puts) == 2 and len(gets) == 2  # one retry each
    assert all(s[2] == "Bearer t0k-123" for s in handler.seen), handler.seen
    assert all(s[3] == "application/octet-stream" and s[4] is None for s in puts), puts  # no 100-continue wait
    assert not list((tmp_path / "out").rglob("*.mlflowc-*"))


def test_parallel_directory_transfers_report_a_failed_file(mlflowc_bin, tmp_path):
    """Directory transfers run on several connections; a file the server refuses, or a listed file
    it cannot serve, fails the command with the server's message (raised on a worker thread,
    reported by the caller)."""
    handler = type("Proxy", (FlakyProxy,), {"stored": {}, "seen": [], "attempts": {}})
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    tree_dir = tmp_path / "tree"
    (tree_dir / "sub").mkdir(parents=True)
    files = {f"sub/f{i}.txt": os.urandom(1000 + i) for i in range(12)}
    for name, data in files.items():
        (tree_dir / name).write_bytes(data)
    uri = f"http://127.0.0.1:{fake.server_address[1]}"
    try:
        good = cli(mlflowc_bin, "artifacts", "log-artifacts", "-l", str(tree_dir), "-r", "r2", uri=uri)
        back = tmp_path / "back"  # and down again, in parallel too
        got = cli(mlflowc_bin, "artifacts", "download", "-r", "r2", "-d", str(back), uri=uri)
        assert got.returncode == 0, got.stderr
        files_tree = tree(tree_dir)
        cli(mlflowc_bin, "artifacts", "log-artifacts", "-l", str(tree_dir), "-r", "r2", "-a", "listed", uri=uri)
        ghost = cli(mlflowc_bin, "artifacts", "download", "-r", "r2", "-a", "listed", "-d", str(tmp_path / "g"),
                    uri=uri)
        (tree_dir / "refused.bin").write_bytes(b"x")
        bad = cli(mlflowc_bin, "artifacts", "log-artifacts", "-l", str(tree_dir), "-r", "r2", "-a", "again", uri=uri)
    finally:
        fake.shutdown()
        fake.server_close()
    assert good.returncode == 0, good.stderr
    assert tree(back) == files_tree
    assert ghost.returncode == 1 and "no such artifact" in ghost.stderr, ghost.stderr
    prefix = "/api/2.0/mlflow-artifacts/artifacts/0/r2/artifacts/"
    assert {k[len(prefix):]: v for k, v in handler.stored.items()
            if not k.startswith((prefix + "again/", prefix + "listed/"))} == files
    assert bad.returncode == 1 and "refused.bin is not welcome" in bad.stderr, bad.stderr


def test_local_mode_without_a_server(mlflowc_bin, tmp_path):
    """A sqlite:// tracking URI: the run's artifacts are plain files under ./mlruns, and the
    registry runs in-process; the same commands work."""
    train = tmp_path / "train"
    build_example(mlflowc_bin, train, archive="libmlflowc-server.a")
    db = f"sqlite:///{tmp_path}/local.db"
    done = subprocess.run([str(train), "--steps", "5"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, MLFLOW_TRACKING_URI=db))
    assert done.returncode == 0, done.stderr
    run = done.stdout.strip()
    assert (tmp_path / "mlruns" / "1" / run / "artifacts" / "model" / "MLmodel").is_file()
    assert ok_cli(mlflowc_bin, "models", "register", "-m", f"runs:/{run}/model", "-n", "local", uri=db) == "1\n"
    out = ok_cli(mlflowc_bin, "artifacts", "download", "-u", "models:/local/1", "-d", str(tmp_path / "got"),
                 uri=db).strip()
    assert sorted(p.name for p in Path(out).iterdir()) == ["MLmodel", "weights.txt"]


def test_listing_names_cannot_escape_the_destination(mlflowc_bin, tmp_path):
    """A server whose listing names a directory '..' must not make the client write outside -d."""
    handler = type("Proxy", (FlakyProxy,), {"stored": {}, "seen": [], "attempts": {}})
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    uri = f"http://127.0.0.1:{fake.server_address[1]}"
    dst = tmp_path / "deep" / "dst"
    try:
        done = cli(mlflowc_bin, "artifacts", "download", "-r", "evil", "-d", str(dst), uri=uri)
    finally:
        fake.shutdown()
        fake.server_close()
    assert done.returncode == 3 and "'..'" in done.stderr, done.stderr
    # nothing made outside dst (nor the directory whose listing was refused)
    assert [str(p.relative_to(tmp_path)) for p in sorted(tmp_path.rglob("*"))] == ["deep", "deep/dst"]
    assert not [s for s in handler.seen if s[0] == "GET" and "/artifacts/0/evil/" in s[1]]  # no file fetched


def test_library_api_directly(server, mlflowc_bin, tmp_path):
    """test_client_registry_driver.c: struct fields, cleared out-parameters, result codes for bad
    arguments and small buffers, as a host program sees them."""
    driver = tmp_path / "driver"
    build_example(mlflowc_bin, driver, Path(__file__).with_name("test_client_registry_driver.c"))
    (tmp_path / "model").mkdir()
    done = subprocess.run([str(driver), server.url, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == "ok\n", done.stderr + server.log_tail()
