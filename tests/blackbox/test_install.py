"""`make install` and the installed C client library, as a host program sees them.

The tree beside the binary under test is installed with PREFIX=/opt/mlflowc into a
temporary DESTDIR. Then test_install_host.c, a program that also uses libcurl and
OpenSSL itself and defines functions named like the library's internals, is built
with `pkg-config --cflags --libs mlflowc` (PKG_CONFIG_SYSROOT_DIR pointing into
DESTDIR) twice, against libmlflowc.so and against libmlflowc.a, and each build logs a
run on a server started from the installed binary and reads it back. Also checked:
the shared library's dynamic symbols are exactly the functions of the installed
mlflowc.h, the static archive defines no other global symbol (no curl_*, HMAC,
SHA256, buf_*: nothing a host could clash with), the soname and its links, neither
build needs libmicrohttpd or SQLite, and `make uninstall` removes what was installed.
"""

import json
import os
import re
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from conftest import REPO_ROOT, free_local_port, launch_server, mlflowc_bin_path, stop_server

PREFIX = "/opt/mlflowc"
HOST_SOURCE = Path(__file__).with_name("test_install_host.c")


def public_api(header):
    """The function names include/mlflowc.h declares."""
    return set(re.findall(r"\b(mlf_[a-z0-9_]+)\(", header.read_text()))


def defined_symbols(args, path):
    """Names `nm args` lists as defined (global) in `path`."""
    out = subprocess.run(["nm", *args, str(path)], check=True, capture_output=True, text=True).stdout
    return {f[2] for f in (line.split() for line in out.splitlines()) if len(f) == 3}


def check_shared_exports(so, header):
    exported = defined_symbols(["-D", "--defined-only"], so)
    assert exported == public_api(header), sorted(exported ^ public_api(header))


# libcurl's and libcrypto's names, which the library's lazy-link shims must not take
BORROWED_NAMES = re.compile(r"(curl_(easy|multi|global|slist)_\w+|curl_free|HMAC|SHA256|EVP_sha256)")


def check_static_globals(archive, header):
    globals_ = defined_symbols(["-g", "--defined-only"], archive)
    stray = sorted(globals_ - public_api(header))
    assert not stray, f"{archive} defines {len(stray)} global symbols outside mlflowc.h: {stray[:20]}"
    borrowed = sorted(n for n in defined_symbols(["--defined-only"], archive) if BORROWED_NAMES.fullmatch(n))
    assert not borrowed, f"{archive} defines libcurl/OpenSSL names, even locally: {borrowed}"


def needed(binary):
    out = subprocess.run(["readelf", "-d", str(binary)], check=True, capture_output=True, text=True).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^]]+)\]", out)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    binary = mlflowc_bin_path()
    asan = b"__asan_init" in binary.read_bytes()
    dest = tmp_path_factory.mktemp("destdir")
    build = os.path.relpath(binary.parent, REPO_ROOT)
    make = ["make", "-s", "-C", str(REPO_ROOT), f"BUILD={build}", f"PREFIX={PREFIX}", f"DESTDIR={dest}",
            *(["SANITIZE=1"] if asan else [])]
    subprocess.run([*make, "install"], check=True)
    root = dest / PREFIX.lstrip("/")
    env = dict(os.environ, PKG_CONFIG_SYSROOT_DIR=str(dest), PKG_CONFIG_PATH=str(root / "lib" / "pkgconfig"))
    return {"dest": dest, "root": root, "env": env, "make": make,
            "sanitize": ["-fsanitize=address,undefined"] if asan else []}


def pkg_config(installed, *args):
    return subprocess.run(["pkg-config", *args], check=True, capture_output=True, text=True,
                          env=installed["env"]).stdout.split()


def build_host(installed, out, static):
    cc = os.environ.get("CC", "cc")
    own = pkg_config(installed, "--libs", "libcurl", "libcrypto")  # the host's own libraries
    if static:
        libs = ["-l:libmlflowc.a" if f == "-lmlflowc" else f
                for f in pkg_config(installed, "--static", "--libs", "mlflowc")]
    else:
        libs = pkg_config(installed, "--libs", "mlflowc")
    subprocess.run([cc, "-std=c11", "-Wall", "-Werror", *installed["sanitize"], "-o", str(out), str(HOST_SOURCE),
                    *pkg_config(installed, "--cflags", "mlflowc"), *libs, *own], check=True)
    return out


@pytest.fixture
def installed_server(installed, tmp_path):
    port = free_local_port()
    command = [str(installed["root"] / "bin" / "mlflowc"), "server",
               "--backend-store-uri", f"sqlite:///{tmp_path}/mlflow.db",
               "--artifacts-destination", str(tmp_path / "artifacts"),
               "--host", "127.0.0.1", "--port", str(port)]
    running = launch_server(command, port, tmp_path)
    yield running
    stop_server(running)


def test_installed_files_and_symbols(installed):
    root = installed["root"]
    lib = root / "lib"
    header = root / "include" / "mlflowc.h"
    assert header.read_bytes() == (REPO_ROOT / "include" / "mlflowc.h").read_bytes()
    assert os.access(root / "bin" / "mlflowc", os.X_OK)
    real = [p.name for p in lib.glob("libmlflowc.so.*.*.*")]
    assert len(real) == 1
    assert os.readlink(lib / "libmlflowc.so") == "libmlflowc.so.0"
    assert os.readlink(lib / "libmlflowc.so.0") == real[0]
    dyn = subprocess.run(["readelf", "-d", str(lib / real[0])], check=True, capture_output=True, text=True).stdout
    assert "Library soname: [libmlflowc.so.0]" in dyn
    check_shared_exports(lib / "libmlflowc.so", header)
    check_static_globals(lib / "libmlflowc.a", header)
    # what a program needs to link the library: jansson, no server libraries
    static_libs = pkg_config(installed, "--static", "--libs", "mlflowc")
    assert "-ljansson" in static_libs and "-lmicrohttpd" not in static_libs and "-lsqlite3" not in static_libs
    assert not [n for n in needed(lib / real[0]) if "microhttpd" in n or "sqlite" in n or "curl" in n]


@pytest.mark.parametrize("static", [False, True], ids=["shared", "static"])
def test_host_program_logs_and_reads_back(installed, installed_server, tmp_path, static):
    host = build_host(installed, tmp_path / "host", static)
    libs = needed(host)
    assert ("libmlflowc.so.0" in libs) != static, libs
    assert not [n for n in libs if "microhttpd" in n or "sqlite" in n], libs
    env = dict(os.environ, LD_LIBRARY_PATH=str(installed["root"] / "lib"))
    done = subprocess.run([str(host), installed_server.url], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    url = f"{installed_server.url}/api/2.0/mlflow/runs/get?{urllib.parse.urlencode({'run_id': run_id})}"
    with urllib.request.urlopen(url, timeout=10) as resp:
        run = json.load(resp)["run"]
    assert run["info"]["status"] == "FINISHED"
    assert run["data"]["params"] == [{"key": "linked", "value": "pkg-config"}]


def test_uninstall_removes_what_install_put(installed, tmp_path):
    dest = tmp_path / "again"
    make = [f if not f.startswith("DESTDIR=") else f"DESTDIR={dest}" for f in installed["make"]]
    subprocess.run([*make, "install"], check=True)
    assert any(p.is_file() or p.is_symlink() for p in dest.rglob("*"))
    subprocess.run([*make, "uninstall"], check=True)
    assert [p for p in dest.rglob("*") if p.is_file() or p.is_symlink()] == []
