"""Pytest fixtures for black-box tests that drive a real mlflowc binary over HTTP.

`mlflowc_bin` locates the binary (env MLFLOWC_BIN, default <repo>/build/mlflowc),
`server` starts a fresh server on a free 127.0.0.1 port in a temporary directory and
stops it with SIGTERM afterwards (it must exit 0 within 10 s), and `shared_dir` locates
the shared conformance material (env MLFLOWC_SHARED, default <repo>/../shared). Server
stdout and stderr go to files in the temporary directory; their tails are attached to
every failure the fixtures report.

The backend store of every server these tests start comes from store_uri(): the URI
template in env MLF_TEST_STORE_URI (default sqlite:///{dir}/mlflow.db), with {dir} the
server's directory and {id} a name unique to that directory, so each server gets a fresh
database and a restart on the same directory finds its data again. Tests of SQLite files
themselves call store_is_sqlite_default() and skip for another backend.

A PostgreSQL template (postgresql://, postgres:// or postgresql+DRIVER://, e.g.
postgresql://postgres@127.0.0.1:PORT/{id} as scripts/pg_test_cluster.sh prints it) names a
database per directory: store_uri() creates it through psql on the admin URI in env
MLF_TEST_PG_ADMIN when it does not exist yet (so a restart finds its data), and the session's
end drops every database it created or found. pg_database_uri() gives a test a database of its
own on the same cluster (tests/blackbox/test_replicas.py).
"""

import dataclasses
import hashlib
import http.client
import os
import re
import signal
import socket
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
READINESS_TIMEOUT_SECONDS = 10
READINESS_POLL_SECONDS = 0.02
SHUTDOWN_TIMEOUT_SECONDS = 10
LOG_TAIL_LINES = 40
STORE_URI_ENV = "MLF_TEST_STORE_URI"
DEFAULT_STORE_URI = "sqlite:///{dir}/mlflow.db"


@dataclasses.dataclass
class RunningServer:
    url: str
    dir: Path
    proc: subprocess.Popen
    stdout_path: Path
    stderr_path: Path

    def log_tail(self):
        """The last lines of the server's stdout and stderr, for failure messages."""
        sections = []
        for name, path in (("stdout", self.stdout_path), ("stderr", self.stderr_path)):
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            sections.append(f"--- server {name} (last {LOG_TAIL_LINES} lines) ---")
            sections.extend(lines[-LOG_TAIL_LINES:])
        return "\n".join(sections)


PG_ADMIN_ENV = "MLF_TEST_PG_ADMIN"
PG_SCHEMES = ("postgresql", "postgres")  # and postgresql+DRIVER, as MLflow users write them
PSQL_TIMEOUT_SECONDS = 60
# the PostgreSQL databases this session created or found, dropped by pytest_sessionfinish
_pg_databases = set()


def is_postgresql_uri(uri):
    """True for postgresql://, postgres:// and postgresql+DRIVER:// URIs."""
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    return scheme in PG_SCHEMES or scheme.startswith("postgresql+")


def pg_admin_uri():
    """The cluster's admin URI (env MLF_TEST_PG_ADMIN), or None when unset."""
    return os.environ.get(PG_ADMIN_ENV) or None


def psql_path():
    found = shutil.which("psql")
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/psql"), key=lambda p: int(p.parts[4]))
    return str(versions[-1]) if versions else None


def psql(sql, admin=None):
    """Runs one SQL statement on the admin database and returns its output (unaligned, tuples
    only); raises RuntimeError with psql's message when it fails."""
    admin = admin or pg_admin_uri()
    if not admin:
        raise RuntimeError(f"a PostgreSQL store needs {PG_ADMIN_ENV} (scripts/pg_test_cluster.sh start prints it)")
    binary = psql_path()
    if not binary:
        raise RuntimeError("psql not found (Debian's postgresql-client)")
    done = subprocess.run([binary, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", admin, "-c", sql],
                          capture_output=True, text=True, timeout=PSQL_TIMEOUT_SECONDS,
                          env={**os.environ, "PGCONNECT_TIMEOUT": "10",
                               "PGOPTIONS": "-c client_min_messages=warning"})
    if done.returncode != 0:
        raise RuntimeError(f"psql failed ({sql}): {done.stderr.strip()}")
    return done.stdout.strip()


def pg_database_name(uri):
    """The database a PostgreSQL URI names (its path), checked to be a plain identifier."""
    name = urlsplit(uri).path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]{1,63}", name):
        raise RuntimeError(f"test database name {name!r} (from {uri}) is not letters, digits and '_'")
    return name


def ensure_pg_database(name):
    """Creates the database `name` on the admin URI's cluster unless it exists, and remembers it
    for the drop at the session's end."""
    if name in _pg_databases:
        return
    exists = f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
    if psql(exists) != "1":
        try:
            psql(f'CREATE DATABASE "{name}"')
        except RuntimeError:
            if psql(exists) != "1":  # lost a race with another creator: fine; anything else is not
                raise
    _pg_databases.add(name)


def drop_pg_databases(names=None):
    """Drops the databases `names` (default: every one this session created or found; connections
    still open to them are ended) and returns the failures' messages."""
    failures = []
    for name in sorted(_pg_databases if names is None else names):
        try:
            psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            failures.append(str(e))
        _pg_databases.discard(name)
    return failures


def pg_database_uri(name):
    """A postgresql:// URI of the database `name` (created unless it exists) on the cluster of
    MLF_TEST_PG_ADMIN, with the admin URI's user, host, port and options."""
    admin = pg_admin_uri()
    if not admin:
        raise RuntimeError(f"{PG_ADMIN_ENV} is not set")
    parts = urlsplit(admin)
    uri = urlunsplit(("postgresql", parts.netloc, "/" + name, parts.query, ""))
    ensure_pg_database(pg_database_name(uri))
    return uri


def pytest_sessionfinish(session, exitstatus):
    failures = drop_pg_databases()
    if failures:
        print("\nconftest: could not drop test databases:\n" + "\n".join(failures))


def store_uri(directory):
    """The backend-store URI of the server whose directory is `directory`: MLF_TEST_STORE_URI
    (default sqlite:///{dir}/mlflow.db) with {dir} replaced by `directory` and {id} by a name
    derived from it (letters, digits and '_'), so the same directory means the same store.
    For a PostgreSQL URI the database it names exists when this returns (see the module's
    header); a failure to create it fails the test with psql's message."""
    template = os.environ.get(STORE_URI_ENV) or DEFAULT_STORE_URI
    ident = "mlflowc_test_" + hashlib.sha256(str(directory).encode()).hexdigest()[:16]
    uri = template.replace("{dir}", str(directory)).replace("{id}", ident)
    if is_postgresql_uri(uri):
        try:
            ensure_pg_database(pg_database_name(uri))
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            pytest.fail(f"cannot prepare the test database: {e}", pytrace=False)
    return uri


def store_is_sqlite_default():
    """True when the servers' stores are SQLite files at the default place, which tests that
    read or write <dir>/mlflow.db themselves need."""
    return (os.environ.get(STORE_URI_ENV) or DEFAULT_STORE_URI) == DEFAULT_STORE_URI


def free_local_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def health_is_ok(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=READINESS_POLL_SECONDS * 10)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def wait_until_ready(server, port):
    """Polls GET /health until 200; fails with the log tail if the server exits or times out."""
    deadline = time.monotonic() + READINESS_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"mlflowc exited with code {server.proc.returncode} before becoming ready\n"
                        f"{server.log_tail()}", pytrace=False)
        if health_is_ok(port):
            return
        time.sleep(READINESS_POLL_SECONDS)
    pytest.fail(f"mlflowc did not answer GET /health with 200 within {READINESS_TIMEOUT_SECONDS} s\n"
                f"{server.log_tail()}", pytrace=False)


def stop_server(server):
    """Sends SIGTERM and checks for a clean exit (code 0 within 10 s)."""
    if server.proc.poll() is not None:
        pytest.fail(f"mlflowc exited on its own with code {server.proc.returncode} during the test\n"
                    f"{server.log_tail()}", pytrace=False)
    server.proc.send_signal(signal.SIGTERM)
    try:
        exit_code = server.proc.wait(timeout=SHUTDOWN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
        pytest.fail(f"mlflowc did not exit within {SHUTDOWN_TIMEOUT_SECONDS} s of SIGTERM\n"
                    f"{server.log_tail()}", pytrace=False)
    assert exit_code == 0, f"mlflowc exited with code {exit_code} after SIGTERM\n{server.log_tail()}"


def mlflowc_bin_path():
    return Path(os.environ.get("MLFLOWC_BIN", REPO_ROOT / "build" / "mlflowc"))


def server_link_pkgs():
    """The pkg-config packages the server is linked with: the Makefile's LINKED_PKGS."""
    found = re.search(r"^LINKED_PKGS := (.*)$", (REPO_ROOT / "Makefile").read_text(), re.M)
    assert found, "Makefile has no LINKED_PKGS line"
    return found.group(1).split()


def build_with_libmlflowc(sources, out, archive="libmlflowc.a"):
    """Compiles C `sources` into the program `out` against libmlflowc.a: $MLFLOWC_LIB, else
    the archive beside the server binary under test, so a test of build/asan/mlflowc uses
    build/asan/libmlflowc.a (and links the sanitizers it needs) and never a stale build/.
    `archive` "libmlflowc-server.a" links the whole program instead (the client with local
    mode). libcurl and libcrypto need no flags: the archive loads them on first use. Extra
    linker flags may come in $MLFLOWC_LDFLAGS. Skips when there is no C compiler."""
    default = mlflowc_bin_path().parent / archive
    lib = Path(os.environ.get("MLFLOWC_LIB", default) if archive == "libmlflowc.a" else default)
    if not lib.is_file():
        pytest.fail(f"{lib} not found (build the library beside MLFLOWC_BIN, or set MLFLOWC_LIB)",
                    pytrace=False)
    cc = os.environ.get("CC", "cc")
    if not shutil.which(cc):
        pytest.skip(f"no C compiler ({cc})")
    # the client library needs jansson; the server archive (local mode) every package the
    # Makefile links the server with (its LINKED_PKGS line, read so the two never drift apart)
    pkgs = ["jansson"] if archive == "libmlflowc.a" else server_link_pkgs()
    libs = subprocess.run(["pkg-config", "--libs", *pkgs],
                          check=True, capture_output=True, text=True).stdout.split()
    sanitize = ["-fsanitize=address,undefined"] if b"__asan_init" in lib.read_bytes() else []
    extra = os.environ.get("MLFLOWC_LDFLAGS", "").split()
    subprocess.run([cc, "-std=c11", "-D_GNU_SOURCE", "-O1", *sanitize, "-I", str(REPO_ROOT / "include"),
                    "-o", str(out), *map(str, sources), str(lib), *libs, "-lpthread", "-lm", "-ldl", *extra],
                   check=True)
    return out


@pytest.fixture
def mlflowc_bin():
    binary = mlflowc_bin_path()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"mlflowc binary not found or not executable at {binary}"
                    " (build it, or set MLFLOWC_BIN)", pytrace=False)
    return binary


def launch_server(command, port, cwd, log_dir=None, env=None, append=False):
    """Starts `command` (an mlflowc server on 127.0.0.1:`port`) in `cwd`, its output in
    `log_dir` (default `cwd`)/server.stdout and server.stderr, and waits until it answers;
    a server that never does is killed. The caller stops it with stop_server()."""
    log_dir = log_dir or cwd
    stdout_path, stderr_path = log_dir / "server.stdout", log_dir / "server.stderr"
    mode = "ab" if append else "wb"
    with open(stdout_path, mode) as stdout, open(stderr_path, mode) as stderr:
        proc = subprocess.Popen([str(c) for c in command], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                stdout=stdout, stderr=stderr)
    running = RunningServer(f"http://127.0.0.1:{port}", cwd, proc, stdout_path, stderr_path)
    try:
        wait_until_ready(running, port)
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return running


@pytest.fixture
def server(mlflowc_bin, tmp_path):
    port = free_local_port()
    artifacts = tmp_path / "artifacts"
    command = [
        str(mlflowc_bin), "server",
        "--backend-store-uri", store_uri(tmp_path),
        "--artifacts-destination", str(artifacts),
        "--host", "127.0.0.1",
        "--port", str(port),
    ]
    running = launch_server(command, port, tmp_path)
    yield running
    stop_server(running)


@pytest.fixture
def shared_dir():
    shared = Path(os.environ.get("MLFLOWC_SHARED", REPO_ROOT.parent / "shared"))
    if not (shared / "conformance").is_dir():
        pytest.skip("../shared/conformance not found: conformance replay runs in CI only")
    return shared
