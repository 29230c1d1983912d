"""`mlflowc models generate-dockerfile` and `build-docker`, without a Docker engine.

No engine runs here (and `docker build` is never run by these tests: build-docker is
pointed at a fake `docker` first in PATH). What is checked instead: the build context is
complete (every COPY source exists in it, the model's files are there byte for byte, the
binary is the one that wrote it), an xgboost model's Dockerfile holds no Python, every
package it installs is a Debian 12 package and together with the base image they provide
every library the binary links; and the image's command, run from the context directory
on this machine with the image's environment (its /opt/ml/model mapped to the context's
copy, its port and address to a free 127.0.0.1 port), serves the model: GET /ping, POST
/invocations, and the HEALTHCHECK command itself succeeds against it.
"""

import json
import os
import re
import shlex
import subprocess
import sys

import pytest

from conftest import free_local_port, mlflowc_bin_path
from deploy_models import (NATIVE_FLAVORS, http_call, make_sklearn_model, native_model, register_model, require_flavor,
                           running)

BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "zlib1g"}  # in debian:12-slim already


def generate(mlflowc_bin, *args, cwd=None, env=None):
    return subprocess.run([str(mlflowc_bin), "models", "generate-dockerfile", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def instructions(dockerfile):
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(l for l in dockerfile.splitlines() if not l.lstrip().startswith("#")))
    return [(l.split(None, 1)[0].upper(), l.split(None, 1)[1] if " " in l.strip() else "")
            for l in text.splitlines() if l.strip()]


def image_env(steps):
    env = {}
    for op, args in steps:
        if op == "ENV":
            for item in shlex.split(args):
                key, _, value = item.partition("=")
                env[key] = value
    return env


def installed_packages(steps):
    for op, args in steps:
        if op == "RUN" and "apt-get install" in args:
            words = args.split("apt-get install", 1)[1].split("&&")[0].split()
            return [w for w in words if not w.startswith("-")]
    return []


def exec_form(steps, name):
    found = [json.loads(args) for op, args in steps if op == name]
    assert len(found) == 1, f"one {name} expected"
    return found[0]


@pytest.fixture(scope="module", params=NATIVE_FLAVORS)
def model(request, tmp_path_factory):
    return native_model(request.param, tmp_path_factory.mktemp(request.param) / "model", mlflowc_bin_path())


def predict(mlflowc_bin, model_dir, payload):
    """What `mlflowc models predict` answers to `payload`."""
    result = subprocess.run([str(mlflowc_bin), "models", "predict", "-m", str(model_dir)], input=json.dumps(payload),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def check_complete(context, steps):
    for op, args in steps:
        if op == "COPY":
            parts = args.split()
            sources = [p for p in parts[:-1] if not p.startswith("--")]
            for source in sources:
                assert (context / source).exists(), f"COPY {source}: not in the context"


def test_context_of_a_native_model_is_complete_and_holds_no_python(mlflowc_bin, model, tmp_path):
    context = tmp_path / "image"
    result = generate(mlflowc_bin, "-m", model.dir, "-d", context)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(context)
    dockerfile = (context / "Dockerfile").read_text()
    steps = instructions(dockerfile)
    check_complete(context, steps)
    assert ("FROM", "debian:12-slim") in steps
    assert not any(re.search(r"python|pip|venv", args, re.I) for _, args in steps), dockerfile
    # the model, byte for byte, and the binary that wrote it
    for path in model.dir.iterdir():
        assert (context / "model" / path.name).read_bytes() == path.read_bytes()
    assert (context / "mlflowc").read_bytes() == mlflowc_bin.read_bytes()
    assert os.access(context / "mlflowc", os.X_OK)
    assert ("COPY", "model /opt/ml/model") in steps
    # a non-root user, port 8080, the health check on /ping
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert ("EXPOSE", "8080") in steps
    assert any(op == "HEALTHCHECK" and "/ping" in args for op, args in steps)
    assert exec_form(steps, "ENTRYPOINT") + exec_form(steps, "CMD") == [
        "/usr/local/bin/mlflowc", "models", "serve", "-m", "/opt/ml/model", "-h", "0.0.0.0", "-p", "8080"]
    # the packages: Debian 12's, libxgboost0 for the xgboost flavor, and with the base image
    # every library the binary links (each resolved here and traced to its package)
    packages = installed_packages(steps)
    assert ("libxgboost0" in packages) == (model.flavor == "xgboost")
    for package in packages:
        assert subprocess.run(["dpkg-query", "-W", package], capture_output=True).returncode == 0, package
    ldd = subprocess.run(["ldd", str(context / "mlflowc")], capture_output=True, text=True, check=True).stdout
    direct = subprocess.run(["objdump", "-p", str(context / "mlflowc")], capture_output=True, text=True,
                            check=True).stdout
    needed = {l.split()[1] for l in direct.splitlines() if l.strip().startswith("NEEDED")}
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", ldd, re.M))
    resolved.update({os.path.basename(p): p for p in re.findall(r"^\s*(/\S+) \(", ldd, re.M)})  # the loader
    for soname in needed:
        real = os.path.realpath(resolved[soname])  # dpkg may know it under /lib or /usr/lib (merged /usr)
        owner = subprocess.run(["dpkg", "-S", "*/" + os.path.basename(real)], capture_output=True, text=True)
        owners = {line.split(":")[0] for line in owner.stdout.splitlines()}
        assert owners & (set(packages) | BASE_IMAGE_PACKAGES), (soname, owners, packages)


def serve_like_the_image(context, steps, model_dir, log_path, venv=None):
    """The image's ENTRYPOINT + CMD with its ENV, run from the context directory (its venv, when
    it has one, at `venv`); returns the port and the running server's context manager."""
    port = free_local_port()
    command = exec_form(steps, "ENTRYPOINT") + exec_form(steps, "CMD")
    mapped = []
    for i, word in enumerate(command):
        if word == "/usr/local/bin/mlflowc":
            word = str(context / "mlflowc")
        elif word == "/opt/ml/model":
            word = str(model_dir)
        elif word.startswith("/opt/mlflowc-env/"):
            word = str(venv) + word[len("/opt/mlflowc-env"):]
        elif i and command[i - 1] == "-h":
            word = "127.0.0.1"
        elif i and command[i - 1] == "-p":
            word = str(port)
        mapped.append(word)
    env = image_env(steps)
    env.update({"PATH": os.environ["PATH"], "HOME": str(context), "MLFLOW_HOST": "127.0.0.1",
                "MLFLOW_PORT": str(port), "MLFLOWC_MODEL_CACHE": str(context / "cache")})
    return port, running(mapped, port, log_path, env=env, cwd=context)


def healthcheck(steps, port):
    args = [a for op, a in steps if op == "HEALTHCHECK"][0]
    probe = json.loads(args.split("CMD", 1)[1].strip())
    probe = [p.replace("/8080", f"/{port}") for p in probe]
    return subprocess.run(probe, capture_output=True, timeout=30).returncode


def test_the_image_command_serves_the_model(mlflowc_bin, model, tmp_path):
    context = tmp_path / "image"
    assert generate(mlflowc_bin, "-m", model.dir, "-d", context).returncode == 0
    steps = instructions((context / "Dockerfile").read_text())
    port, server = serve_like_the_image(context, steps, context / "model", tmp_path / "image.log")
    with server:
        assert http_call(port, "GET", "/ping")[0] == 200
        status, content_type, body = http_call(port, "POST", "/invocations", json.dumps(model.payload()).encode(),
                                               "application/json")
        assert status == 200, body
        answer = json.loads(body)
        assert len(answer["predictions"]) == len(model.rows)
        assert answer == predict(mlflowc_bin, model.dir, model.payload())
        status, _, body = http_call(port, "POST", "/invocations", b'{"no": 1}', "application/json")
        assert status == 400 and json.loads(body)["error_code"] == "BAD_REQUEST"
        assert healthcheck(steps, port) == 0
    assert healthcheck(steps, port) != 0  # nothing answers any more


def test_a_generic_image_serves_a_mounted_model(mlflowc_bin, model, tmp_path):
    context = tmp_path / "generic"
    result = generate(mlflowc_bin, "-d", context)
    assert result.returncode == 0, result.stderr
    steps = instructions((context / "Dockerfile").read_text())
    check_complete(context, steps)
    assert not (context / "model").exists()
    assert not any(op == "COPY" and "/opt/ml/model" in args for op, args in steps)
    assert {"libxgboost0", "python3", "python3-venv"} <= set(installed_packages(steps))
    port, server = serve_like_the_image(context, steps, model.dir, tmp_path / "generic.log")
    with server:
        status, _, body = http_call(port, "POST", "/invocations", json.dumps(model.payload()).encode(),
                                    "application/json")
        assert status == 200, body
        assert json.loads(body) == predict(mlflowc_bin, model.dir, model.payload())


def test_a_python_model_gets_python_and_its_requirements_in_a_venv(mlflowc_bin, tmp_path):
    model = make_sklearn_model(tmp_path / "sk")
    require_flavor(mlflowc_bin, model, "python_function")
    context = tmp_path / "image"
    result = generate(mlflowc_bin, "-m", model, "-d", context)
    assert result.returncode == 0, result.stderr
    dockerfile = (context / "Dockerfile").read_text()
    steps = instructions(dockerfile)
    check_complete(context, steps)
    assert {"python3", "python3-venv"} <= set(installed_packages(steps))
    assert "libxgboost0" not in installed_packages(steps)
    assert "python3 -m venv /opt/mlflowc-env" in dockerfile
    assert "-r /opt/ml/model/requirements.txt" in dockerfile
    assert (context / "model" / "requirements.txt").read_text() == (model / "requirements.txt").read_text()
    assert image_env(steps)["PATH"].startswith("/opt/mlflowc-env/bin:")
    # the venv comes before the model's files are needed: COPY model precedes the RUN using it
    copy_at = steps.index(("COPY", "model /opt/ml/model"))
    venv_at = next(i for i, (op, args) in enumerate(steps) if op == "RUN" and "-m venv" in args)
    assert copy_at < venv_at
    assert exec_form(steps, "CMD")[-4:] == ["--env-manager", "local", "--python", "/opt/mlflowc-env/bin/python"]
    # the image's command with its venv's interpreter; the venv here sees Debian's packages
    # (no PyPI on these machines) where the image's has the requirements installed
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)], check=True,
                   timeout=120)
    payload = {"dataframe_split": {"columns": ["0", "1", "2", "3"], "data": [[1.0, 2.0, 3.0, 4.0], [-1.0, 0.0, 0.0, 0.0]]}}
    port, server = serve_like_the_image(context, steps, context / "model", tmp_path / "venv.log", venv=venv)
    with server as proc:
        status, _, body = http_call(port, "POST", "/invocations", json.dumps(payload).encode(), "application/json")
        assert status == 200, body
        assert json.loads(body) == predict(mlflowc_bin, model, payload)
        workers = subprocess.run(["pgrep", "-P", str(proc.pid), "-a"], capture_output=True, text=True).stdout
        assert str(venv / "bin" / "python") in workers, workers
    # with Debian's python3 alone (which has sklearn here), the image's command serves the model
    local = tmp_path / "local"
    result = generate(mlflowc_bin, "-m", model, "-d", local, "--env-manager", "local")
    assert result.returncode == 0, result.stderr
    assert "venv /opt" not in (local / "Dockerfile").read_text()
    steps = instructions((local / "Dockerfile").read_text())
    assert "--python" not in exec_form(steps, "CMD")
    port, server = serve_like_the_image(local, steps, local / "model", tmp_path / "local.log")
    with server:
        status, _, body = http_call(port, "POST", "/invocations", json.dumps(payload).encode(), "application/json")
        assert status == 200, body
        assert json.loads(body) == predict(mlflowc_bin, model, payload)


def test_output_directory_rules(mlflowc_bin, model, tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    result = generate(mlflowc_bin, "-m", model.dir, "-d", foreign)
    assert result.returncode == 2
    assert "not empty" in result.stderr
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    # an earlier context is replaced whole
    context = tmp_path / "image"
    assert generate(mlflowc_bin, "-m", model.dir, "-d", context).returncode == 0
    (context / "model" / "stale.bin").write_bytes(b"old")
    assert generate(mlflowc_bin, "-d", context).returncode == 0
    assert not (context / "model").exists()
    # a trailing slash names the same directory
    assert generate(mlflowc_bin, "-d", f"{context}/").returncode == 0
    assert sorted(p.name for p in context.iterdir()) == [".mlflowc-context", "Dockerfile", "mlflowc"]
    # the default directory, in the working directory
    assert generate(mlflowc_bin, "-m", model.dir, cwd=tmp_path).returncode == 0
    assert (tmp_path / "mlflow-dockerfile" / "Dockerfile").is_file()
    # refusals leave nothing behind
    result = generate(mlflowc_bin, "-m", tmp_path / "no-such-model", "-d", tmp_path / "x")
    assert result.returncode == 1
    result = generate(mlflowc_bin, "-m", model.dir, "-d", tmp_path / "y", "--env-manager", "conda")
    assert result.returncode == 2
    assert "conda" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["image", "mine", "mlflow-dockerfile"]


def fake_docker(directory, info_exit):
    """A `docker` that answers `info` with `info_exit` and records every call (never builds)."""
    directory.mkdir()
    script = directory / "docker"
    script.write_text(f"#!/bin/sh\necho \"$@\" >> '{directory}/calls'\n"
                      f"[ \"$1\" = info ] && exit {info_exit}\nexit 0\n")
    script.chmod(0o755)
    return directory


def test_build_docker_without_an_engine_leaves_the_context(mlflowc_bin, model, tmp_path):
    fake = fake_docker(tmp_path / "bin", 1)
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}")
    result = subprocess.run([str(mlflowc_bin), "models", "build-docker", "-m", str(model.dir), "-n", "fraud:3",
                             "-d", str(tmp_path / "ctx")], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 5, result.stderr
    lines = [l for l in result.stderr.splitlines() if "Docker engine" in l]
    assert len(lines) == 1 and "docker build -t fraud:3" in lines[0]
    assert (fake / "calls").read_text() == "info\n"
    assert (tmp_path / "ctx" / "Dockerfile").is_file() and (tmp_path / "ctx" / "model" / "MLmodel").is_file()


def test_build_docker_with_an_engine_runs_docker_build(mlflowc_bin, model, tmp_path):
    fake = fake_docker(tmp_path / "bin", 0)
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}")
    result = subprocess.run([str(mlflowc_bin), "models", "build-docker", "-m", str(model.dir)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (fake / "calls").read_text() == "info\nbuild -t mlflow-pyfunc-servable mlflow-dockerfile\n"


def test_a_registered_model_goes_into_the_context(server, mlflowc_bin, tmp_path):
    model = native_model("c_function", tmp_path / "c", mlflowc_bin)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW")}
    env.update(MLFLOW_TRACKING_URI=server.url, MLFLOWC_MODEL_CACHE=str(tmp_path / "cache"))
    register_model(server.url, mlflowc_bin, model.dir, "fraud", env)
    context = tmp_path / "image"
    result = generate(mlflowc_bin, "-m", "models:/fraud@champion", "-d", context, env=env)
    assert result.returncode == 0, result.stderr
    for path in model.dir.iterdir():
        assert (context / "model" / path.name).read_bytes() == path.read_bytes()
    assert "# Model: models:/fraud@champion\n" in (context / "Dockerfile").read_text()
    result = generate(mlflowc_bin, "-m", "models:/fraud/7", "-d", tmp_path / "none", env=env)
    assert result.returncode == 1 and not (tmp_path / "none").exists()
    env["MLFLOW_TRACKING_URI"] = f"http://127.0.0.1:{free_local_port()}"
    result = generate(mlflowc_bin, "-m", "models:/fraud/1", "-d", tmp_path / "none", env=env | {
        "MLFLOWC_MODEL_CACHE": str(tmp_path / "empty-cache")})
    assert result.returncode == 3, result.stderr


def test_links_inside_the_model_are_followed_and_links_out_refused(mlflowc_bin, tmp_path):
    model = native_model("c_function", tmp_path / "c", mlflowc_bin)
    (model.dir / "docs").mkdir()
    (model.dir / "docs" / "README").write_text("weights are bias, w1, w2\n")
    (model.dir / "weights-link.txt").symlink_to("weights.txt")
    (model.dir / "docs-link").symlink_to("docs")
    context = tmp_path / "image"
    result = generate(mlflowc_bin, "-m", model.dir, "-d", context)
    assert result.returncode == 0, result.stderr
    copied = context / "model"
    assert not (copied / "weights-link.txt").is_symlink()
    assert (copied / "weights-link.txt").read_text() == "0.5 2 -1\n"
    assert (copied / "docs-link" / "README").read_text() == "weights are bias, w1, w2\n"
    for path in (copied / "docs", copied / "docs" / "README"):
        assert path.stat().st_mode & 0o444 == 0o444  # readable by the image's user
    (model.dir / "secret").symlink_to("/etc/hostname")
    result = generate(mlflowc_bin, "-m", model.dir, "-d", tmp_path / "refused")
    assert result.returncode == 1
    assert "secret" in result.stderr and "out of the model" in result.stderr
    assert not (tmp_path / "refused").exists()
    assert not list(tmp_path.glob("refused.partial-*"))
