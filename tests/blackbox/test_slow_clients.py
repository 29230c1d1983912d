"""Connections that hold the server without using it: 1,000 idle keep-alive clients and 200
slowloris clients (one header byte a second) must not deny service to a normal client nor
grow the server's memory without bound; the header deadline closes slowloris connections
(and slow buffered bodies) while idle keep-alive connections stay; a body announced over
--max-body-mb is refused at once; at --max-connections / --max-connections-per-ip the oldest
idle connection makes room, a request in flight is never cut, and a new connection is refused
only when every connection is inside a request. Every client is on 127.0.0.1, as in the
issue: a per-address cap alone cannot be the answer.

Run with -s to see the measured figures (success rate, latencies, peak RSS)."""

import http.client
import json
import os
import resource
import select
import socket
import statistics
import threading
import time

import pytest

from conftest import launch_server, free_local_port, stop_server, store_uri

IDLE_CLIENTS = 1000
SLOWLORIS_CLIENTS = 200
ATTACK_SECONDS = 20
NORMAL_PERIOD_SECONDS = 0.1
NORMAL_TIMEOUT_SECONDS = 5
MIN_SUCCESS_RATE = 0.99
PEAK_RSS_LIMIT_KB = 64 * 1024          # gcc build; 1,000 idle connections cost ~34 MB
PEAK_RSS_LIMIT_KB_ASAN = 256 * 1024    # ASan's allocator keeps redzones and a quarantine
SLOW_PREFIX = b"POST /api/2.0/mlflow/runs/log-metric HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "


def raise_own_fd_limit(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(hard, max(soft, wanted))
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return max(soft, target)


def start(binary, workdir, *extra):
    port = free_local_port()
    cmd = [str(binary), "server", "--backend-store-uri", store_uri(workdir),
           "--artifacts-destination", str(workdir / "artifacts"), "--host", "127.0.0.1",
           "--port", str(port), *extra]
    running = launch_server(cmd, port, workdir, append=True)
    running.port = port
    return running


def is_asan(binary):
    return "/asan/" in str(binary) or b"__asan_init" in binary.read_bytes()


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def read_response(sock):
    """Reads one HTTP response (Content-Length bodies only); returns (status, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError(f"connection closed after {len(data)} bytes")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed inside the body")
        body += chunk
    return status, body


def connect(port, timeout=NORMAL_TIMEOUT_SECONDS):
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def open_idle(port):
    """A keep-alive connection that made one request and now stays silent."""
    sock = connect(port)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    status, _ = read_response(sock)
    assert status == 200
    return sock


def closed_by_peer(sock, wait=0.0):
    """True when the server closed `sock` (EOF or reset) within `wait` seconds."""
    poller = select.poll()  # select() stops at descriptor 1023
    poller.register(sock, select.POLLIN)
    if not poller.poll(wait * 1000):
        return False
    try:
        return sock.recv(65536, socket.MSG_PEEK) == b""
    except OSError:
        return True


def wait_closed(sock, seconds):
    """Bounded wait for the server to close `sock`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if closed_by_peer(sock, 0.2):
            return True
    return False


def post_json(port, endpoint, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=NORMAL_TIMEOUT_SECONDS)
    try:
        conn.request("POST", f"/api/2.0/mlflow/{endpoint}", json.dumps(body),
                     {"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


class Slowloris:
    """Connections that send one header byte a second and never finish; each one the
    server closes is replaced, so the pressure lasts."""

    def __init__(self, port, count):
        self.port, self.closed, self.refused = port, 0, 0
        self.socks = [self.open() for _ in range(count)]

    def open(self):
        try:
            sock = connect(self.port)
            sock.sendall(SLOW_PREFIX)
            return sock
        except OSError:
            self.refused += 1
            return None

    def tick(self):
        for i, sock in enumerate(self.socks):
            if sock is not None and not closed_by_peer(sock):
                try:
                    sock.sendall(b"a")
                    continue
                except OSError:
                    pass
            if sock is not None:
                self.closed += 1
                sock.close()
            self.socks[i] = self.open()

    def close(self):
        for sock in self.socks:
            if sock is not None:
                sock.close()


def normal_client(port, run_id, stop, results):
    """A small POST and a GET every 100 ms, each on a fresh connection:
    results gets (ok, seconds) per request."""
    step = 0
    while not stop.is_set():
        tick = time.monotonic()
        for method in ("POST", "GET"):
            t0 = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=NORMAL_TIMEOUT_SECONDS)
            try:
                if method == "POST":
                    conn.request("POST", "/api/2.0/mlflow/runs/log-metric", json.dumps(
                        {"run_id": run_id, "key": "m", "value": step, "timestamp": 1, "step": step}),
                        {"Content-Type": "application/json"})
                else:
                    conn.request("GET", f"/api/2.0/mlflow/runs/get?run_id={run_id}")
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
            finally:
                conn.close()
            results.append((ok, time.monotonic() - t0))
        step += 1
        stop.wait(max(0.0, NORMAL_PERIOD_SECONDS - (time.monotonic() - tick)))


def sample_rss(pid, stop, peak):
    while not stop.is_set():
        try:
            peak[0] = max(peak[0], vm_rss_kb(pid))
        except OSError:
            return
        stop.wait(0.1)


# the defaults (caps above the load), and caps below it, where room is made by closing the
# oldest idle connections (what the defaults do on a machine with a low descriptor limit)
@pytest.mark.parametrize("caps", [[], ["--max-connections", "1000", "--max-connections-per-ip", "600"]],
                         ids=["defaults", "caps-below-load"])
def test_idle_and_slowloris_clients_do_not_deny_service(mlflowc_bin, tmp_path, caps):
    needed = IDLE_CLIENTS + 2 * SLOWLORIS_CLIENTS + 100
    if raise_own_fd_limit(needed) < needed:
        pytest.skip(f"this test needs {needed} descriptors; the hard limit is lower")
    server = start(mlflowc_bin, tmp_path, *caps)
    pid = server.proc.pid
    stop = threading.Event()
    peak = [vm_rss_kb(pid)]
    base_rss = peak[0]
    sampler = threading.Thread(target=sample_rss, args=(pid, stop, peak), daemon=True)
    sampler.start()
    idle, slow, results = [], None, []
    try:
        _, exp = post_json(server.port, "experiments/create", {"name": "slow-clients"})
        _, run = post_json(server.port, "runs/create", {"experiment_id": exp["experiment_id"]})
        run_id = run["run"]["info"]["run_id"]

        idle_failures = 0
        for _ in range(IDLE_CLIENTS):
            try:
                idle.append(open_idle(server.port))
            except (OSError, EOFError, AssertionError):
                idle_failures += 1
        idle_rss = vm_rss_kb(pid)
        slow = Slowloris(server.port, SLOWLORIS_CLIENTS)

        client = threading.Thread(target=normal_client, args=(server.port, run_id, stop, results), daemon=True)
        client.start()
        deadline = time.monotonic() + ATTACK_SECONDS
        while time.monotonic() < deadline:
            slow.tick()
            time.sleep(1)
        stop.set()
        client.join(timeout=2 * NORMAL_TIMEOUT_SECONDS + 5)
        idle_closed = sum(1 for sock in idle if closed_by_peer(sock))

        # a clean SIGTERM exit with every connection still open
        stop_server(server)
    finally:
        stop.set()
        if server.proc.poll() is None:
            server.proc.kill()
            server.proc.wait()
        for sock in idle:
            sock.close()
        if slow:
            slow.close()

    latencies = sorted(seconds for ok, seconds in results if ok)
    successes = len(latencies)
    rate = successes / len(results) if results else 0.0
    figures = (f"normal client: {successes}/{len(results)} answered ({rate:.1%}), "
               f"p50 {statistics.median(latencies) * 1000 if latencies else 0:.1f} ms, "
               f"max {max(latencies) * 1000 if latencies else 0:.1f} ms; "
               f"server RSS: {base_rss // 1024} MB at start, {idle_rss // 1024} MB with {len(idle)} idle "
               f"connections, peak {peak[0] // 1024} MB; idle connections refused {idle_failures}, "
               f"closed by the server {idle_closed}; slowloris closed {slow.closed}, "
               f"refused {slow.refused}")
    print("\n" + figures)
    limit = PEAK_RSS_LIMIT_KB_ASAN if is_asan(mlflowc_bin) else PEAK_RSS_LIMIT_KB
    assert results and rate >= MIN_SUCCESS_RATE, figures
    assert peak[0] < limit, f"peak RSS {peak[0]} KB over {limit} KB; {figures}"
    # every first slowloris connection met the 10 s header deadline within the 20 s
    assert slow.closed >= SLOWLORIS_CLIENTS, figures
    # and the log did not take a line for each of them
    log_lines = server.stderr_path.read_text(errors="replace").splitlines()
    assert len(log_lines) < 100, "\n".join(log_lines[-20:])


def test_body_over_limit_is_refused_at_once(mlflowc_bin, tmp_path):
    server = start(mlflowc_bin, tmp_path, "--max-body-mb", "1")
    try:
        sock = connect(server.port, timeout=10)
        sock.sendall(b"POST /api/2.0/mlflow/runs/log-batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n")
        status, body = read_response(sock)  # no body sent: only an answer at once can arrive
        assert status == 413, body
        assert json.loads(body)["error_code"] == "MAX_READ_SIZE_EXCEEDED"
        assert wait_closed(sock, 10), "the connection stays open after refusing the body"
        sock.close()

        # the same with Expect: 100-continue: refused, no 100 sent first
        sock = connect(server.port, timeout=10)
        sock.sendall(b"POST /api/2.0/mlflow/runs/log-batch HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                     b"Content-Length: 2000000\r\n\r\n")
        status, body = read_response(sock)
        assert status == 413 and json.loads(body)["error_code"] == "MAX_READ_SIZE_EXCEEDED"
        sock.close()

        # a client that sends its whole body before it reads (as MLflow's does) still gets
        # the answer: the server drains what follows instead of resetting the connection
        status, answer = post_json(server.port, "experiments/create",
                                   {"name": "too big", "unused": "x" * (8 << 20)})
        assert status == 413 and answer["error_code"] == "MAX_READ_SIZE_EXCEEDED", answer

        # under the limit still works, and artifact uploads stream past it
        status, exp = post_json(server.port, "experiments/create", {"name": "under", "unused": "x" * 900_000})
        assert status == 200, exp
        blob = os.urandom(3 << 20)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("PUT", "/api/2.0/mlflow-artifacts/artifacts/big/blob.bin", blob,
                     {"Content-Type": "application/octet-stream"})
        assert conn.getresponse().status == 200
        conn.close()
        assert (tmp_path / "artifacts" / "big" / "blob.bin").read_bytes() == blob
    finally:
        stop_server(server)


def test_refused_artifact_upload_is_answered_before_its_body(mlflowc_bin, tmp_path):
    # over --max-artifact-mb, or a path the proxy refuses: the answer comes after the
    # headers alone, nothing is written, and a fitting upload still streams
    server = start(mlflowc_bin, tmp_path, "--max-artifact-mb", "1")
    try:
        for path, status, code in (("exp/run/big.bin", 413, "MAX_READ_SIZE_EXCEEDED"),
                                   ("exp/%2e%2e/%2e%2e/x.bin", 400, "INVALID_PARAMETER_VALUE"),
                                   ("exp/%00/x.bin", 404, "ENDPOINT_NOT_FOUND")):
            sock = connect(server.port, timeout=10)
            sock.sendall(f"PUT /api/2.0/mlflow-artifacts/artifacts/{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Content-Type: application/octet-stream\r\nContent-Length: 104857600\r\n\r\n"
                         .encode())
            got, body = read_response(sock)  # no body sent: only an answer at once can arrive
            assert got == status and json.loads(body)["error_code"] == code, body
            assert wait_closed(sock, 10), "the connection stays open after refusing the upload"
            sock.close()
        leftovers = [p for p in (tmp_path / "artifacts").rglob("*") if p.is_file()]
        assert leftovers == []
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("PUT", "/api/2.0/mlflow-artifacts/artifacts/exp/run/small.bin", b"x" * 1000,
                     {"Content-Type": "application/octet-stream"})
        assert conn.getresponse().status == 200
        conn.close()
    finally:
        stop_server(server)


def test_header_deadline_closes_slowloris_but_not_idle_keepalive(mlflowc_bin, tmp_path):
    server = start(mlflowc_bin, tmp_path, "--header-timeout", "2")
    try:
        idle = open_idle(server.port)
        silent = connect(server.port)         # connects and never sends anything
        slow = connect(server.port)
        slow.sendall(SLOW_PREFIX)
        slow_on_keepalive = open_idle(server.port)
        slow_on_keepalive.sendall(SLOW_PREFIX)  # its second request trickles
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not closed_by_peer(slow, 0.5):
            slow.sendall(b"a")
            slow_on_keepalive.sendall(b"a")
        assert closed_by_peer(slow), "a slowloris connection outlived the 2 s header deadline"
        assert wait_closed(slow_on_keepalive, 5), "a trickling keep-alive request outlived the deadline"
        assert wait_closed(silent, 5), "a silent new connection outlived the header deadline"
        # the idle keep-alive connection has been silent for twice the deadline: still served
        assert not closed_by_peer(idle)
        idle.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(idle)[0] == 200
        for sock in (idle, silent, slow, slow_on_keepalive):
            sock.close()
    finally:
        stop_server(server)


def test_slow_buffered_body_is_closed(mlflowc_bin, tmp_path):
    server = start(mlflowc_bin, tmp_path, "--header-timeout", "1")
    try:
        sock = connect(server.port)
        sock.sendall(b"POST /api/2.0/mlflow/experiments/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not closed_by_peer(sock, 0.5):
            try:
                sock.sendall(b" ")
            except OSError:
                break
        assert closed_by_peer(sock), "a body trickling 2 bytes a second was still being waited for"
        sock.close()
        assert post_json(server.port, "experiments/create", {"name": "after"})[0] == 200
    finally:
        stop_server(server)


def upload_in_flight(port, name, size):
    """Starts an artifact upload and stops after half its body, once the server has taken
    its headers (100 Continue): the request is in flight."""
    sock = connect(port, timeout=10)
    sock.sendall(f"PUT /api/2.0/mlflow-artifacts/artifacts/inflight/{name} HTTP/1.1\r\n"
                 f"Host: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
                 f"Expect: 100-continue\r\nContent-Length: {size}\r\n\r\n".encode())
    interim = sock.recv(1024)
    assert interim.startswith(b"HTTP/1.1 100"), interim
    sock.sendall(b"x" * (size // 2))
    return sock


def finish_upload(sock, size):
    sock.sendall(b"x" * (size - size // 2))
    status, body = read_response(sock)
    assert status == 200, body


def refused(port):
    """True when a new connection gets no answer: closed without a response."""
    try:
        sock = connect(port, timeout=10)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        read_response(sock)
        sock.close()
        return False
    except (OSError, EOFError):
        return True


@pytest.mark.parametrize("caps", [["--max-connections", "4", "--max-connections-per-ip", "100"],
                                  ["--max-connections-per-ip", "4"]], ids=["global", "per-ip"])
def test_caps_close_idle_connections_first_and_never_a_request(mlflowc_bin, tmp_path, caps):
    server = start(mlflowc_bin, tmp_path, *caps)
    size = 4096
    try:
        upload = upload_in_flight(server.port, "first.bin", size)
        idle = []
        for _ in range(3):  # with the upload: at the cap
            idle.append(open_idle(server.port))
            # a connection turns idle when the server has finished its response, which
            # the client may see first: let the server mark it before the next one starts
            time.sleep(0.3)
        # a new client is served; the oldest idle connection made room, the upload was spared
        fresh = open_idle(server.port)
        assert wait_closed(idle[0], 5), "no idle connection was closed at the cap"
        assert not closed_by_peer(idle[1]) and not closed_by_peer(idle[2])
        finish_upload(upload, size)
        assert (tmp_path / "artifacts" / "inflight" / "first.bin").stat().st_size == size

        # every connection inside a request: a new one is refused, none of them is cut
        for sock in idle[1:] + [fresh, upload]:
            sock.close()
        time.sleep(0.5)  # the server takes the closes in
        uploads = [upload_in_flight(server.port, f"u{i}.bin", size) for i in range(4)]
        assert refused(server.port), "a fifth connection was admitted while four requests were in flight"
        for sock in uploads:
            finish_upload(sock, size)
            sock.close()
        time.sleep(0.5)
        assert not refused(server.port)
    finally:
        stop_server(server)


def test_idle_timeout_shortens_under_pressure(mlflowc_bin, tmp_path):
    server = start(mlflowc_bin, tmp_path, "--max-connections", "8", "--max-connections-per-ip", "8",
                   "--header-timeout", "1")
    try:
        idle = [open_idle(server.port) for _ in range(5)]  # 5 of 8: no pressure
        assert not wait_closed(idle[0], 3), "an idle connection was closed without pressure"
        idle.append(open_idle(server.port))                # 6 of 8: 3/4 of the cap
        assert wait_closed(idle[0], 5), "the oldest idle connection stayed open under pressure"
        # one closed is enough to leave the pressure: the others stay
        time.sleep(2)
        assert not any(closed_by_peer(sock) for sock in idle[1:])
        for sock in idle[1:]:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert read_response(sock)[0] == 200
            sock.close()
        idle[0].close()
    finally:
        stop_server(server)


def test_large_requests_still_fit_the_smaller_connection_memory(mlflowc_bin, tmp_path):
    # the per-connection pool shrank from 256 KB to 32 KB (what an idle connection costs):
    # real requests must still fit, and oversized ones get a clean 431 / 414
    server = start(mlflowc_bin, tmp_path)
    try:
        _, exp = post_json(server.port, "experiments/create", {"name": "large"})
        run_ids = [post_json(server.port, "runs/create", {"experiment_id": exp["experiment_id"]})[1]
                   ["run"]["info"]["run_id"] for _ in range(100)]
        post_json(server.port, "runs/log-metric", {"run_id": run_ids[-1], "key": "loss", "value": 0.5,
                                                   "timestamp": 1, "step": 0})
        query = "&".join(f"run_ids={r}" for r in run_ids) + "&metric_key=loss&max_results=10"
        headers = {f"X-Header-{i}": "v" * 90 for i in range(80)}  # 8 KB of headers
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("GET", f"/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval?{query}", headers=headers)
        response = conn.getresponse()
        body = json.loads(response.read())
        assert response.status == 200, body
        assert [m["run_id"] for m in body["metrics"]] == [run_ids[-1]]
        conn.close()

        # a 16 KB artifact path reaches the handler (no 414/431), which refuses it as longer
        # than any local path can be; a 3 KB one is simply not there
        for segments, status, code in ((160, 400, "INVALID_PARAMETER_VALUE"), (30, 404, "RESOURCE_DOES_NOT_EXIST")):
            long_path = "/".join(["d" * 99] * segments)
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", f"/api/2.0/mlflow-artifacts/artifacts/{long_path}")
            response = conn.getresponse()
            assert response.status == status and json.loads(response.read())["error_code"] == code
            conn.close()

        for path, extra, status in ((f"/health?{'q' * 300_000}", {}, 414),
                                    ("/health", {f"X-Big-{i}": "v" * 990 for i in range(300)}, 431)):
            sock = connect(server.port, timeout=10)
            lines = "".join(f"{k}: {v}\r\n" for k, v in extra.items())
            try:
                sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{lines}\r\n".encode())
            except OSError:
                pass  # the server may answer and close before it has read everything
            assert read_response(sock)[0] == status
            sock.close()
    finally:
        stop_server(server)
