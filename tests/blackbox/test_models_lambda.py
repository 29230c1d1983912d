"""`mlflowc models build-lambda` and the Lambda runtime its zip runs.

The zip is checked as an archive (Debian's `unzip -t`, Python's zipfile: CRCs, names,
bootstrap and the binary executable in the external attributes, every library the binary
needs in lib/, the model's files byte for byte). Then it is extracted to a temporary
LAMBDA_TASK_ROOT and its bootstrap run against a Lambda Runtime API emulator this test
runs on 127.0.0.1 (http.server in a thread), with an environment as bare as Lambda's:
direct scoring payloads, API Gateway proxy events (payload 1.0 and 2.0, base64 bodies,
header names in any case), bad payloads (answered, and the runtime goes on), and a model
that does not load (init error posted, non-zero exit). Each answer must be exactly what
`mlflowc models serve` answers to the same request. The emulator ends the runtime by
answering 500 once its events are used up, so every loop ends by itself.
"""

import base64
import json
import os
import shutil
import subprocess
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import free_local_port, mlflowc_bin_path
from deploy_models import NATIVE_FLAVORS, http_call, make_sklearn_model, native_model, register_model, serve_model

API = "/2018-06-01/runtime"
RUNTIME_TIMEOUT_SECONDS = 120


class RuntimeApi:
    """A Lambda Runtime API: hands out `events` in order, records what the runtime posts."""

    def __init__(self, events):
        self.events = list(events)
        self.lock = threading.Lock()
        self.posts = []          # (path, headers dict lowercased, body bytes)
        self.next_calls = 0
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path != API + "/invocation/next":
                    return self.reply(404)
                with api.lock:
                    api.next_calls += 1
                    event = api.events.pop(0) if api.events else None
                if event is None:
                    return self.reply(500, b'{"errorMessage": "no more events", "errorType": "Emulator.End"}')
                request_id, body = event
                self.reply(200, body, [("Lambda-Runtime-Aws-Request-Id", request_id),
                                       ("Lambda-Runtime-Deadline-Ms", "99999999999999"),
                                       ("Lambda-Runtime-Invoked-Function-Arn",
                                        "arn:aws:lambda:eu-west-1:123456789012:function:model"),
                                       ("Lambda-Runtime-Trace-Id", "Root=1-5e1b4151-43a0913a12345678901234567"),
                                       ("Content-Type", "application/json")])

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with api.lock:
                    api.posts.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.reply(202, b'{"status": "OK"}', [("Content-Type", "application/json")])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def posted(self, request_id):
        """(kind, headers, body) the runtime posted for `request_id`; kind is response or error."""
        found = [(p.rsplit("/", 1)[1], h, b) for p, h, b in self.posts if p.startswith(f"{API}/invocation/{request_id}/")]
        assert len(found) == 1, f"{request_id}: expected one post, got {[p for p, _, _ in self.posts]}"
        return found[0]


def lambda_env(task_root, api_address):
    """An environment like Lambda's: no LD_LIBRARY_PATH, a minimal PATH."""
    return {"PATH": "/usr/bin:/bin", "LAMBDA_TASK_ROOT": str(task_root), "AWS_LAMBDA_RUNTIME_API": api_address,
            "AWS_LAMBDA_FUNCTION_NAME": "model", "HOME": str(task_root), "LANG": "C",
            # a proxy in the environment must not be used for the local Runtime API
            "http_proxy": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "ALL_PROXY": "http://127.0.0.1:9"}


def run_bootstrap(task_root, api):
    result = subprocess.run([str(task_root / "bootstrap")], env=lambda_env(task_root, api.address),
                            stdin=subprocess.DEVNULL, capture_output=True, timeout=RUNTIME_TIMEOUT_SECONDS)
    return result


@pytest.fixture(scope="module", params=NATIVE_FLAVORS)
def model(request, tmp_path_factory):
    return native_model(request.param, tmp_path_factory.mktemp(request.param) / "model", mlflowc_bin_path())


@pytest.fixture(scope="module")
def lambda_zip(tmp_path_factory, model):
    out = tmp_path_factory.mktemp("zip") / "fraud-lambda.zip"
    result = subprocess.run([str(mlflowc_bin_path()), "models", "build-lambda", "-m", str(model.dir), "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    return out


@pytest.fixture
def task_root(tmp_path, lambda_zip):
    root = tmp_path / "task"
    subprocess.run(["unzip", "-q", str(lambda_zip), "-d", str(root)], check=True, timeout=60)
    return root


def test_zip_is_a_valid_archive_with_everything_the_function_needs(lambda_zip, model, tmp_path):
    tested = subprocess.run(["unzip", "-t", str(lambda_zip)], capture_output=True, text=True, timeout=60)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "No errors detected" in tested.stdout
    with zipfile.ZipFile(lambda_zip) as z:
        assert z.testzip() is None
        infos = {i.filename: i for i in z.infolist()}
        assert len(infos) == len(z.infolist()), "duplicate names"
        for name in ("bootstrap", "bin/mlflowc"):
            assert infos[name].external_attr >> 16 == 0o100755, (name, oct(infos[name].external_attr >> 16))
            assert infos[name].create_system == 3  # Unix: the attributes are st_mode
        bootstrap = z.read("bootstrap").decode()
        assert bootstrap.startswith("#!/bin/sh\n")
        assert "models lambda-runtime" in bootstrap
        for path in model.dir.iterdir():
            assert z.read(f"model/{path.name}") == path.read_bytes()
        libs = {n[len("lib/"):] for n in infos if n.startswith("lib/")}
        z.extract("bin/mlflowc", tmp_path)
    # every library the binary names, the C library and its loader, and libcurl (the runtime's client)
    dynamic = subprocess.run(["objdump", "-p", str(tmp_path / "bin" / "mlflowc")], capture_output=True, text=True,
                             check=True).stdout
    needed = {line.split()[1] for line in dynamic.splitlines() if line.strip().startswith("NEEDED")}
    assert needed and needed <= libs, needed - libs
    assert {"libc.so.6", "libcurl.so.4"} <= libs
    assert any(n.startswith("ld-linux") for n in libs)
    if model.flavor == "xgboost":  # what the flavor loaded comes along
        assert any(n.startswith("libxgboost") for n in libs), libs
    else:  # the model's own library stays in model/, not lib/
        assert "model.so" not in libs


def proxy_v1(body, content_type="application/json", b64=False, header="Content-Type"):
    return {"resource": "/invocations", "path": "/invocations", "httpMethod": "POST",
            "headers": {header: content_type} if content_type else {},
            "multiValueHeaders": {header: [content_type]} if content_type else {},
            "queryStringParameters": None, "requestContext": {"stage": "prod", "httpMethod": "POST"},
            "body": base64.b64encode(body.encode()).decode() if b64 else body, "isBase64Encoded": b64}


def proxy_v2(body, content_type="application/json", b64=False):
    return {"version": "2.0", "routeKey": "POST /invocations", "rawPath": "/invocations", "rawQueryString": "",
            "headers": {"content-type": content_type} if content_type else {},
            "requestContext": {"http": {"method": "POST", "path": "/invocations"}},
            "body": base64.b64encode(body.encode()).decode() if b64 else body, "isBase64Encoded": b64}


def test_events_are_answered_as_the_scoring_server_answers(mlflowc_bin, task_root, model, tmp_path):
    GOOD = json.dumps(model.payload())
    RECORDS = json.dumps(model.records())
    CSV = model.csv()
    MISSING_COLUMN = json.dumps({"dataframe_split": {"columns": ["a"], "data": [[1]]}})
    # (request id, event, content type and body the same request has over HTTP, proxy?)
    cases = [
        ("direct-good", GOOD, "application/json", GOOD, False),
        ("direct-records", RECORDS, "application/json", RECORDS, False),
        ("direct-bad-json", '{"dataframe_split": ', "application/json", '{"dataframe_split": ', False),
        ("direct-no-format", '{"columns": ["a"], "data": [[1]]}', "application/json",
         '{"columns": ["a"], "data": [[1]]}', False),
        ("direct-list", "[1, 2, 3]", "application/json", "[1, 2, 3]", False),
        ("v1-good", json.dumps(proxy_v1(GOOD)), "application/json", GOOD, True),
        ("v1-lowercase-header", json.dumps(proxy_v1(GOOD, header="CONTENT-type")), "application/json", GOOD, True),
        ("v1-csv", json.dumps(proxy_v1(CSV, "text/csv")), "text/csv", CSV, True),
        ("v1-base64", json.dumps(proxy_v1(GOOD, b64=True)), "application/json", GOOD, True),
        ("v1-bad-payload", json.dumps(proxy_v1("not json")), "application/json", "not json", True),
        ("v1-wrong-type", json.dumps(proxy_v1(GOOD, "text/plain")), "text/plain", GOOD, True),
        ("v1-no-content-type", json.dumps(proxy_v1(GOOD, None)), None, GOOD, True),
        ("v2-good", json.dumps(proxy_v2(GOOD)), "application/json", GOOD, True),
        ("v2-base64-records", json.dumps(proxy_v2(RECORDS, b64=True)), "application/json", RECORDS, True),
        ("v2-missing-column", json.dumps(proxy_v2(MISSING_COLUMN)), "application/json", MISSING_COLUMN, True),
        ("direct-good-again", GOOD, "application/json", GOOD, False),
    ]
    events = [(rid, event.encode()) for rid, event, _, _, _ in cases]
    with RuntimeApi(events) as api:
        result = run_bootstrap(task_root, api)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    assert api.next_calls == len(cases) + 1
    with serve_model(mlflowc_bin, model.dir, tmp_path / "serve.log") as port:
        for rid, _, content_type, body, proxy in cases:
            status, answer_type, answer = http_call(port, "POST", "/invocations", body.encode(), content_type)
            kind, headers, posted = api.posted(rid)
            if proxy:
                assert kind == "response", rid
                doc = json.loads(posted)
                assert doc["statusCode"] == status, (rid, doc, answer)
                assert doc["isBase64Encoded"] is False
                assert doc["body"] == answer.decode(), rid
                got_type = {k.lower(): v for k, v in doc["headers"].items()}["content-type"]
                assert got_type.split(";")[0] == answer_type.split(";")[0], rid
            elif status == 200:
                assert kind == "response", rid
                assert posted == answer, rid
                assert "predictions" in json.loads(posted)
            else:
                assert kind == "error", (rid, posted)
                doc = json.loads(posted)
                mlflow_error = json.loads(answer)
                assert doc == {"errorMessage": mlflow_error["message"], "errorType": mlflow_error["error_code"]}, rid
                assert headers["lambda-runtime-function-error-type"] == mlflow_error["error_code"]
            assert headers["content-type"] == "application/json"
    assert json.loads(api.posted("direct-good")[2])["predictions"]
    assert api.posted("direct-bad-json")[0] == "error"
    assert json.loads(api.posted("v1-bad-payload")[2])["statusCode"] == 400
    assert json.loads(api.posted("v1-wrong-type")[2])["statusCode"] == 415


def test_a_proxy_body_that_is_not_base64_gets_a_400_answer(task_root, model):
    event = proxy_v2("%%% not base64 %%%")
    event["isBase64Encoded"] = True
    with RuntimeApi([("bad-b64", json.dumps(event).encode()), ("after", json.dumps(model.payload()).encode())]) as api:
        result = run_bootstrap(task_root, api)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    doc = json.loads(api.posted("bad-b64")[2])
    assert doc["statusCode"] == 400
    assert json.loads(doc["body"])["error_code"] == "BAD_REQUEST"
    assert api.posted("after")[0] == "response"


def test_a_model_that_does_not_load_posts_an_init_error_and_exits(task_root, model):
    model.corrupt(task_root / "model")
    with RuntimeApi([("never", b"{}")]) as api:
        result = run_bootstrap(task_root, api)
    assert result.returncode != 0
    init = [(h, b) for p, h, b in api.posts if p == API + "/init/error"]
    assert len(init) == 1, api.posts
    headers, body = init[0]
    doc = json.loads(body)
    assert set(doc) == {"errorMessage", "errorType"}
    assert doc["errorType"] == "Runtime.ModelLoadError"
    assert doc["errorMessage"]
    assert headers["lambda-runtime-function-error-type"] == "Runtime.ModelLoadError"
    assert api.next_calls == 0


def test_the_runtime_needs_the_runtime_api(mlflowc_bin, model):
    env = {k: v for k, v in os.environ.items() if k != "AWS_LAMBDA_RUNTIME_API"}
    result = subprocess.run([str(mlflowc_bin), "models", "lambda-runtime", "-m", str(model.dir)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "AWS_LAMBDA_RUNTIME_API" in result.stderr
    env["AWS_LAMBDA_RUNTIME_API"] = f"127.0.0.1:{free_local_port()}"  # nothing listens there
    result = subprocess.run([str(mlflowc_bin), "models", "lambda-runtime", "-m", str(model.dir)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 3, result.stderr
    assert "Runtime API" in result.stderr


def test_python_models_and_missing_models_are_refused_without_a_zip(mlflowc_bin, tmp_path):
    sk = make_sklearn_model(tmp_path / "sk")
    out = tmp_path / "out.zip"
    result = subprocess.run([str(mlflowc_bin), "models", "build-lambda", "-m", str(sk), "-o", str(out)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "container image" in result.stderr
    result = subprocess.run([str(mlflowc_bin), "models", "build-lambda", "-m", str(tmp_path / "nope"), "-o", str(out)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    result = subprocess.run([str(mlflowc_bin), "models", "build-lambda", "-m", str(sk)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sk"]


def test_a_registered_model_goes_into_the_zip(server, mlflowc_bin, tmp_path):
    model = native_model("c_function", tmp_path / "c", mlflowc_bin)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW")}
    env.update(MLFLOW_TRACKING_URI=server.url, MLFLOWC_MODEL_CACHE=str(tmp_path / "cache"))
    register_model(server.url, mlflowc_bin, model.dir, "fraud", env)
    out = tmp_path / "fraud-lambda.zip"
    result = subprocess.run([str(mlflowc_bin), "models", "build-lambda", "-m", "models:/fraud@champion", "-o",
                             str(out)], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as z:
        for path in model.dir.iterdir():
            assert z.read(f"model/{path.name}") == path.read_bytes()


def test_a_library_loaded_through_another_name_is_bundled_under_its_soname(mlflowc_bin, tmp_path):
    model = native_model("xgboost", tmp_path / "xgb", mlflowc_bin)
    dev_link = "/usr/lib/x86_64-linux-gnu/libxgboost.so"
    if not os.path.exists(dev_link):
        pytest.skip("no libxgboost-dev symlink")
    out = tmp_path / "z.zip"
    env = dict(os.environ, MLFLOWC_LIBXGBOOST=dev_link)
    result = subprocess.run([str(mlflowc_bin), "models", "build-lambda", "-m", str(model.dir), "-o", str(out)],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
    assert "lib/libxgboost.so.0" in names and "lib/libxgboost.so" not in names
    root = tmp_path / "task"
    subprocess.run(["unzip", "-q", str(out), "-d", str(root)], check=True, timeout=60)
    with RuntimeApi([("one", json.dumps(model.payload()).encode())]) as api:
        result = run_bootstrap(root, api)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    kind, _, body = api.posted("one")
    assert kind == "response" and len(json.loads(body)["predictions"]) == len(model.rows)
