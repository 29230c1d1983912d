"""Stateless replicas: two `mlflowc server` processes on one PostgreSQL database and one S3 bucket,
with Debian's nginx in front, serve any request on either of them, and losing one in the middle of a
load loses no acknowledged write.

Everything runs on 127.0.0.1 on free ports in temporary directories: the session's PostgreSQL
cluster (MLF_TEST_PG_ADMIN, from scripts/pg_test_cluster.sh; this module makes a database of its
own), the S3 test server of tests/s3 (as test_s3.py runs it), two replicas started at the same
moment (so their schema migration meets the other's), and nginx with an upstream of the two
(`proxy_next_upstream error timeout`: a request nginx could not hand to one replica goes to the
other; a POST already sent is never sent twice). Through the balancer, and through each replica
directly where the point is that the two share everything: tracking (experiments, runs, log-batch,
search, metric history), the registry (parallel create-model-version through both replicas numbers
the versions 1..N with no duplicate and no gap; parallel creates of one experiment or model name
through both: exactly one wins, the others get RESOURCE_ALREADY_EXISTS), artifacts (uploaded
through one replica, downloaded and listed through the other), and page tokens handed out by one
replica followed on the other. Finally one replica is killed (SIGKILL) while threads log metrics
and batches through nginx: every write answered 200 is there afterwards, every log-batch is all
or nothing, and each client's requests succeed again after the kill.

Skips, with the reason, when MLF_TEST_PG_ADMIN is unset, when nginx, node or the S3 test server
are missing, and when the server under test has no PostgreSQL backend (recognised only by the
server's own start error for an unsupported store URI scheme: any other failure to start fails).
Every loop is bounded in count and time, and every process is stopped at the end.
"""

import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, urlencode

import pytest

from conftest import (RunningServer, free_local_port, health_is_ok, mlflowc_bin_path, pg_admin_uri, pg_database_uri,
                      stop_server)

START_TIMEOUT_SECONDS = 30
REQUEST_TIMEOUT_SECONDS = 30
BUCKET, PREFIX = "mlflow", "replicas"
CREDS = {"AWS_ACCESS_KEY_ID": "S3RVER", "AWS_SECRET_ACCESS_KEY": "S3RVER", "AWS_DEFAULT_REGION": "us-east-1"}
# what `mlflowc server` says, and only says, when its build has no backend for the URI's scheme
NO_BACKEND = re.compile(r"unsupported backend store URI '(postgres|postgresql)(\+\w+)?://")


# ---- HTTP ---------------------------------------------------------------------------------------

def call(port, method, path, body=None, query=None, data=None, binary=False, timeout=REQUEST_TIMEOUT_SECONDS):
    """One request on a fresh connection with a JSON `body` or raw `data`: (status, the answer's JSON,
    or its bytes when `binary` or not JSON). A connection that breaks raises OSError or http.client.HTTPException,
    as any client sees it."""
    if query:
        path = f"{path}?{urlencode(query, doseq=True)}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        headers = {}
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
    finally:
        conn.close()
    if binary or not resp.getheader("Content-Type", "").startswith("application/json"):
        return resp.status, payload  # bytes; also nginx's own error pages
    return resp.status, json.loads(payload) if payload else None


def api(port, method, endpoint, body=None, **query):
    return call(port, method, f"/api/2.0/mlflow/{endpoint}", body, query or None)


def ok(port, method, endpoint, body=None, **query):
    status, answer = api(port, method, endpoint, body, **query)
    assert status == 200, f"{method} {endpoint} on port {port}: {status} {answer}"
    return answer


# ---- the deployment -----------------------------------------------------------------------------

class Nginx:
    """nginx in the foreground with its own prefix, config and logs: the system's service is never used."""

    def __init__(self, directory, upstream_ports):
        self.dir = directory
        self.port = free_local_port()
        self.upstream_ports = upstream_ports
        self.proc = None

    def config(self):
        d = self.dir
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=5s;" for p in self.upstream_ports)
        user = "user root root;\n" if os.geteuid() == 0 else ""  # workers must reach this root-only temp dir
        return f"""{user}worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format upstream '$request_method $uri $status $upstream_addr $upstream_status';
    access_log {d}/access.log upstream;
    client_body_temp_path {d}/client_body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    client_max_body_size 0;
    upstream mlflow {{
{servers}
        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            proxy_pass http://mlflow;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            proxy_connect_timeout 2s;
            proxy_read_timeout 60s;
            proxy_request_buffering off;
        }}
    }}
}}
"""

    def start(self, binary):
        (self.dir / "nginx.conf").write_text(self.config())
        with open(self.dir / "nginx.out", "wb") as out:
            self.proc = subprocess.Popen([binary, "-p", str(self.dir), "-e", str(self.dir / "error.log"),
                                          "-c", str(self.dir / "nginx.conf")],
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if health_is_ok(self.port):
                return
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"nginx did not start:\n{self.log_tail()}", pytrace=False)

    def log_tail(self):
        text = ""
        for name in ("nginx.out", "error.log"):
            path = self.dir / name
            if path.is_file():
                text += f"--- {name} ---\n" + path.read_text(errors="replace")[-3000:]
        return text

    def upstreams_used(self):
        """The upstream ports of the requests nginx logged."""
        log = (self.dir / "access.log").read_text(errors="replace") if (self.dir / "access.log").is_file() else ""
        return {int(p) for p in re.findall(r"127\.0\.0\.1:(\d+)", log)}

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def nginx_binary():
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)


def start_replicas(binary, directory, store, endpoint, count=2):
    """Starts `count` servers at once on the same store and bucket and waits until all answer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLFLOW_S3_"))}
    env.update(CREDS, MLFLOW_S3_ENDPOINT_URL=endpoint)
    replicas = []
    for i in range(count):
        work = directory / f"replica{i}"
        work.mkdir()
        port = free_local_port()
        command = [str(binary), "server", "--backend-store-uri", store, "--serve-artifacts",
                   "--artifacts-destination", f"s3://{BUCKET}/{PREFIX}", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", "8"]
        stdout, stderr = work / "server.stdout", work / "server.stderr"
        with open(stdout, "wb") as out, open(stderr, "wb") as err:
            proc = subprocess.Popen(command, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        replicas.append(RunningServer(f"http://127.0.0.1:{port}", work, proc, stdout, stderr))
    try:
        for r in replicas:
            wait_for_replica(r)
    except BaseException:
        for r in replicas:
            if r.proc.poll() is None:
                r.proc.kill()
                r.proc.wait()
        raise
    return replicas


def wait_for_replica(replica):
    port = int(replica.url.rsplit(":", 1)[1])
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if replica.proc.poll() is not None:
            if NO_BACKEND.search(replica.stderr_path.read_text(errors="replace")):
                pytest.skip("this mlflowc has no PostgreSQL backend (its start says the scheme is unsupported)")
            pytest.fail(f"a replica exited with code {replica.proc.returncode} before answering\n"
                        f"{replica.log_tail()}", pytrace=False)
        if health_is_ok(port):
            return
        time.sleep(0.05)
    pytest.fail(f"a replica did not answer GET /health within {START_TIMEOUT_SECONDS} s\n{replica.log_tail()}",
                pytrace=False)


def replica_port(replica):
    return int(replica.url.rsplit(":", 1)[1])


class Deployment:
    def __init__(self, replicas, nginx):
        self.replicas = replicas
        self.nginx = nginx
        self.ports = [replica_port(r) for r in replicas]

    @property
    def lb(self):
        return self.nginx.port


def deploy(mlflowc_bin, directory, s3rver, name):
    """A database of its own, two replicas on it and on the bucket, nginx in front."""
    nginx = nginx_binary()
    if not nginx:
        pytest.skip("nginx not found (scripts/deps.sh test installs Debian's nginx)")
    store = pg_database_uri(name)
    replicas = start_replicas(mlflowc_bin, directory, store, s3rver.url)
    balancer = Nginx(directory / "nginx", [replica_port(r) for r in replicas])
    balancer.dir.mkdir()
    try:
        balancer.start(nginx)
    except BaseException:
        for r in replicas:
            r.proc.kill()
            r.proc.wait()
        raise
    return Deployment(replicas, balancer)


def undeploy(d, killed=()):
    d.nginx.stop()
    failures = []
    for i, r in enumerate(d.replicas):
        if i in killed:
            continue
        try:
            stop_server(r)
        except BaseException as e:  # stop every one, then report
            failures.append(str(e))
    assert not failures, "\n".join(failures)


def need_cluster():
    if not pg_admin_uri():
        pytest.skip("MLF_TEST_PG_ADMIN unset: no PostgreSQL cluster for the replicas "
                    "(eval \"$(scripts/pg_test_cluster.sh start)\"; scripts/test.sh does it)")


@pytest.fixture(scope="module")
def s3rver(tmp_path_factory):
    need_cluster()
    from test_s3 import S3rver, npm_install
    if not shutil.which("node"):
        pytest.skip("node not found: the S3 test server @20minutes/s3rver needs Node.js >= 20")
    npm_install()
    server = S3rver(tmp_path_factory.mktemp("replica-s3"))
    server.start()
    yield server
    server.stop()


def db_name(directory):
    return "mlflowc_replicas_" + hashlib.sha256(str(directory).encode()).hexdigest()[:12]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, s3rver):
    binary = mlflowc_bin_path()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"mlflowc binary not found at {binary}", pytrace=False)
    directory = tmp_path_factory.mktemp("replicas")
    d = deploy(binary, directory, s3rver, db_name(directory))
    yield d
    undeploy(d)


# ---- tracking -----------------------------------------------------------------------------------

def test_tracking_through_the_balancer(cluster):
    lb = cluster.lb
    exp = ok(lb, "POST", "experiments/create", {"name": "replicas-tracking"})["experiment_id"]
    runs = [ok(lb, "POST", "runs/create", {"experiment_id": exp, "run_name": f"r{i}", "start_time": 1000 + i})
            ["run"]["info"]["run_id"] for i in range(6)]
    for i, run in enumerate(runs):
        ok(lb, "POST", "runs/log-batch", {
            "run_id": run,
            "metrics": [{"key": "loss", "value": 1.0 / (s + 1) + i, "timestamp": 5000 + s, "step": s} for s in range(20)],
            "params": [{"key": "lr", "value": str(0.1 * i)}],
            "tags": [{"key": "team", "value": "a" if i % 2 else "b"}]})
        ok(lb, "POST", "runs/log-metric", {"run_id": run, "key": "acc", "value": i / 10, "timestamp": 9000, "step": 0})
    # every read, on whichever replica nginx picks, sees every write
    for _ in range(4):
        for i, run in enumerate(runs):
            data = ok(lb, "GET", "runs/get", run_id=run)["run"]["data"]
            assert {p["key"]: p["value"] for p in data["params"]} == {"lr": str(0.1 * i)}
            assert {m["key"]: m["value"] for m in data["metrics"]} == {"loss": 1.0 / 20 + i, "acc": i / 10}
            points = ok(lb, "GET", "metrics/get-history", run_id=run, metric_key="loss")["metrics"]
            assert [p["step"] for p in points] == list(range(20))
        found = ok(lb, "POST", "runs/search", {"experiment_ids": [exp], "filter": "tags.team = 'a'",
                                                "order_by": ["params.lr DESC"]})["runs"]
        assert [r["info"]["run_id"] for r in found] == [runs[5], runs[3], runs[1]]
    for i, port in enumerate(cluster.ports):  # and each replica directly
        assert ok(port, "GET", "experiments/get-by-name", experiment_name="replicas-tracking")["experiment"][
            "experiment_id"] == exp
    assert set(cluster.ports) <= cluster.nginx.upstreams_used(), "nginx did not use both replicas"


def test_page_tokens_from_one_replica_work_on_the_other(cluster):
    a, b = cluster.ports
    exp = ok(a, "POST", "experiments/create", {"name": "replicas-pages"})["experiment_id"]
    runs = {ok(b, "POST", "runs/create", {"experiment_id": exp, "start_time": 2000 + i})["run"]["info"]["run_id"]
            for i in range(7)}
    run = next(iter(runs))
    ok(a, "POST", "runs/log-batch", {"run_id": run, "metrics": [
        {"key": "h", "value": float(s), "timestamp": 100 + s, "step": s} for s in range(9)]})
    model = "replicas-pages-versioned"
    ok(a, "POST", "registered-models/create", {"name": model})
    for i in range(5):
        ok(b, "POST", "registered-models/create", {"name": f"replicas-pages-m{i}"})
        ok(a, "POST", "model-versions/create", {"name": model, "source": f"s3://elsewhere/v{i}"})

    def follow(endpoint, method, items, params):
        """Pages of size 2, alternating replicas; returns the items in order."""
        got, token, port = [], None, a
        for _ in range(50):
            q = dict(params, max_results=2, **({"page_token": token} if token else {}))
            page = ok(port, "POST", endpoint, q) if method == "POST" else ok(port, "GET", endpoint, **q)
            got.extend(page.get(items, []))
            token = page.get("next_page_token")
            if not token:
                return got
            port = b if port == a else a
        pytest.fail(f"{endpoint}: over 50 pages")

    listed = follow("runs/search", "POST", "runs", {"experiment_ids": [exp]})
    assert {r["info"]["run_id"] for r in listed} == runs and len(listed) == len(runs)
    assert [r["info"]["run_id"] for r in listed] == [
        r["info"]["run_id"] for r in ok(b, "POST", "runs/search", {"experiment_ids": [exp]})["runs"]]
    experiments = follow("experiments/search", "POST", "experiments", {"filter": "name LIKE 'replicas-%'"})
    assert "replicas-pages" in [e["name"] for e in experiments]
    models = follow("registered-models/search", "GET", "registered_models", {"filter": "name LIKE 'replicas-pages-m%'"})
    assert sorted(m["name"] for m in models) == [f"replicas-pages-m{i}" for i in range(5)]
    versions = follow("model-versions/search", "GET", "model_versions", {"filter": f"name = '{model}'"})
    assert sorted(int(v["version"]) for v in versions) == [1, 2, 3, 4, 5]
    points = follow("metrics/get-history", "GET", "metrics", {"run_id": run, "metric_key": "h"})
    assert [p["step"] for p in points] == list(range(9))


# ---- the registry under concurrent creates on both replicas -------------------------------------

def test_parallel_model_versions_through_both_replicas_are_numbered_1_to_n(cluster):
    name, n = "replicas-versions", 40
    ok(cluster.lb, "POST", "registered-models/create", {"name": name})

    def create(i):
        port = cluster.ports[i % 2]
        return api(port, "POST", "model-versions/create", {"name": name, "source": f"s3://elsewhere/model-{i}"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(create, range(n)))
    assert [s for s, _ in answers if s != 200] == [], [a for s, a in answers if s != 200][:3]
    numbers = sorted(int(a["model_version"]["version"]) for _, a in answers)
    assert numbers == list(range(1, n + 1))  # no duplicate, no gap
    by_source = {a["model_version"]["source"]: a["model_version"]["version"] for _, a in answers}
    for port in cluster.ports:
        listed = ok(port, "GET", "model-versions/search", filter=f"name = '{name}'", max_results=200)["model_versions"]
        assert {v["source"]: v["version"] for v in listed} == by_source
        latest = ok(port, "GET", "registered-models/get", name=name)["registered_model"]["latest_versions"]
        assert [v["version"] for v in latest] == [str(n)]


@pytest.mark.parametrize("kind", ["experiment", "registered-model"])
def test_parallel_creates_of_one_name_through_both_replicas_have_one_winner(cluster, kind):
    for round_ in range(5):
        name = f"replicas-race-{kind}-{round_}"
        endpoint = "experiments/create" if kind == "experiment" else "registered-models/create"
        barrier = threading.Barrier(8)

        def create(i):
            barrier.wait(timeout=30)
            return api(cluster.ports[i % 2], "POST", endpoint, {"name": name})

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(create, range(8)))
        winners = [a for s, a in answers if s == 200]
        losers = [(s, a) for s, a in answers if s != 200]
        assert len(winners) == 1, answers
        assert all(s == 400 and a["error_code"] == "RESOURCE_ALREADY_EXISTS" for s, a in losers), losers
        if kind == "experiment":
            for port in cluster.ports:
                got = ok(port, "GET", "experiments/get-by-name", experiment_name=name)["experiment"]
                assert got["experiment_id"] == winners[0]["experiment_id"]
        else:
            for port in cluster.ports:
                assert ok(port, "GET", "registered-models/get", name=name)["registered_model"]["name"] == name


# ---- artifacts ------------------------------------------------------------------------------------

PROXY = "/api/2.0/mlflow-artifacts/artifacts"


def test_artifacts_uploaded_through_one_replica_come_back_through_the_other(cluster):
    a, b = cluster.ports
    blob = os.urandom(3 * 1024 * 1024 + 17)
    files = {"replicas/run1/model/weights.bin": blob, "replicas/run1/model/MLmodel": b"flavors: {}\n",
             "replicas/run1/notes.txt": "ünïcode\n".encode()}
    for path, data in files.items():
        status, answer = call(a, "PUT", f"{PROXY}/{quote(path)}", data=data)
        assert status == 200, answer
    for path, data in files.items():
        for port in (b, cluster.lb):
            status, got = call(port, "GET", f"{PROXY}/{quote(path)}", binary=True)
            assert status == 200 and got == data, (path, port, status, len(got))
    status, listed = call(b, "GET", PROXY, query={"path": "replicas/run1/model"})
    assert status == 200, listed
    assert {f["path"]: int(f["file_size"]) for f in listed["files"]} == {"weights.bin": len(blob), "MLmodel": 12}

    # a run's artifacts: logged through one replica, read through the other by run id
    exp = ok(a, "POST", "experiments/create", {"name": "replicas-artifacts"})["experiment_id"]
    run = ok(a, "POST", "runs/create", {"experiment_id": exp})["run"]["info"]
    root = run["artifact_uri"]
    assert root.startswith("mlflow-artifacts:/"), root
    rel = root[len("mlflow-artifacts:/"):].lstrip("/")
    status, answer = call(a, "PUT", f"{PROXY}/{quote(rel)}/eval/report.json", data=b'{"auc": 0.9}')
    assert status == 200, answer
    status, got = call(b, "GET", "/get-artifact", query={"path": "eval/report.json", "run_uuid": run["run_id"]},
                       binary=True)
    assert status == 200 and got == b'{"auc": 0.9}'
    listed = ok(b, "GET", "artifacts/list", run_id=run["run_id"], path="eval")
    assert [f["path"] for f in listed["files"]] == ["eval/report.json"]


def test_a_multipart_upload_begun_on_one_replica_is_completed_on_the_other(cluster):
    from test_s3 import put_part
    a, b = cluster.ports
    base = "/api/2.0/mlflow-artifacts/mpu/{}/replicas/mpu"
    chunks = [os.urandom(5 << 20), os.urandom(1 << 20)]
    status, created = call(a, "POST", base.format("create"), {"path": "model.bin", "num_parts": 2})
    assert status == 200, created
    parts = []
    for cred, data in zip(created["credentials"], chunks):
        status, etag = put_part(cred["url"], data)
        assert status == 200 and etag, (status, etag)
        parts.append({"part_number": cred["part_number"], "etag": etag})
    status, done = call(b, "POST", base.format("complete"),
                        {"path": "model.bin", "upload_id": created["upload_id"], "parts": parts})
    assert status == 200, done
    status, got = call(cluster.lb, "GET", f"{PROXY}/replicas/mpu/model.bin", binary=True)
    assert status == 200 and got == b"".join(chunks)


# ---- losing a replica under load ------------------------------------------------------------------

@pytest.fixture
def doomed(tmp_path, s3rver):
    d = deploy(mlflowc_bin_path(), tmp_path, s3rver, db_name(tmp_path))
    killed = set()
    yield d, killed
    undeploy(d, killed)


def test_killing_a_replica_under_load_loses_no_acknowledged_write(doomed):
    d, killed = doomed
    lb = d.lb
    exp = ok(lb, "POST", "experiments/create", {"name": "replicas-kill"})["experiment_id"]
    writers, per_writer = 6, 120
    runs = [ok(lb, "POST", "runs/create", {"experiment_id": exp})["run"]["info"]["run_id"] for _ in range(writers)]
    lock = threading.Lock()
    acked_total = [0]
    kill_done = threading.Event()
    # per writer: (step, kind, acknowledged, issued after the kill)
    outcomes = [[] for _ in range(writers)]

    def write(w):
        run = runs[w]
        for step in range(per_writer):
            after_kill = kill_done.is_set()
            if step % 2 == 0:
                body = {"run_id": run, "key": "m", "value": step * 1.5, "timestamp": 1000 + step, "step": step}
                endpoint = "runs/log-metric"
            else:
                body = {"run_id": run, "metrics": [
                    {"key": f"b{j}", "value": step + j / 10, "timestamp": 1000 + step, "step": step} for j in range(3)],
                    "params": [{"key": f"p{step}", "value": str(step)}]}
                endpoint = "runs/log-batch"
            try:
                status, _ = api(lb, "POST", endpoint, body)
            except (OSError, http.client.HTTPException):
                status = None
            outcomes[w].append((step, endpoint, status == 200, after_kill))
            if status == 200:
                with lock:
                    acked_total[0] += 1

    victim = 1
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    # kill when about a third of the writes are in, whatever the speed of the machine
    deadline = time.monotonic() + 120
    while acked_total[0] < writers * per_writer // 3 and time.monotonic() < deadline and any(
            t.is_alive() for t in threads):
        time.sleep(0.01)
    d.replicas[victim].proc.send_signal(signal.SIGKILL)
    d.replicas[victim].proc.wait(timeout=10)
    killed.add(victim)
    kill_done.set()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "writers did not finish within 300 s"
    survivor = d.ports[1 - victim]

    for w, run in enumerate(runs):
        done = outcomes[w]
        assert len(done) == per_writer
        acked_steps = {s for s, _, acked, _ in done if acked}
        m = {p["step"]: p["value"] for p in ok(survivor, "GET", "metrics/get-history", run_id=run, metric_key="m")
             .get("metrics", [])}
        batches = [{p["step"]: p["value"] for p in ok(survivor, "GET", "metrics/get-history", run_id=run,
                                                     metric_key=f"b{j}").get("metrics", [])} for j in range(3)]
        params = {p["key"]: p["value"] for p in ok(survivor, "GET", "runs/get", run_id=run)["run"]["data"].get("params", [])}
        for step, endpoint, acked, _ in done:
            if endpoint == "runs/log-metric":
                if acked:
                    assert m.get(step) == step * 1.5, f"writer {w}: acknowledged log-metric step {step} lost"
            else:
                present = [step in b for b in batches] + [f"p{step}" in params]
                if acked:
                    assert all(present), f"writer {w}: acknowledged log-batch step {step} lost ({present})"
                    assert [b[step] for b in batches] == [step + j / 10 for j in range(3)]
                else:  # unanswered: it may or may not have landed, but never in part
                    assert all(present) or not any(present), f"writer {w}: log-batch step {step} half written"
        # recovery: from the first success after the kill on, this client's every request succeeds
        after = [acked for _, _, acked, after_kill in done if after_kill]
        assert True in after, f"writer {w}: no request succeeded after the kill"
        assert all(after[after.index(True):]), f"writer {w}: failures after recovering: {after}"
        assert len(acked_steps) >= per_writer // 2, f"writer {w}: only {len(acked_steps)} writes acknowledged"

    # and new clients get through the balancer as before, every time
    for i in range(20):
        ok(lb, "POST", "runs/log-metric", {"run_id": runs[0], "key": "after", "value": i, "timestamp": 1, "step": i})
    assert len(ok(lb, "GET", "metrics/get-history", run_id=runs[0], metric_key="after")["metrics"]) == 20
