"""
Black-box: the exit code and the exact one-line message of every way a
client command stops before doing its work (a bad option value, a tracking
URI the client cannot use, --help). Scripts rely on these (exit codes in
src/cli/cli_client.h), so each path is pinned here, for every group of
commands, without needing a server: nothing here gets as far as a request.
"""
import subprocess

import pytest

BAD_URI = "ftp://nowhere"
UNSUPPORTED = (f"cannot use tracking URI '{BAD_URI}': unsupported tracking URI '{BAD_URI}' "
               "(http://, https:// or sqlite:// only)")

USAGE = 2

# (argv, exit code, the whole of stderr without "mlflowc <group> <command>: ")
STOPS = [
    (["runs", "search", "--experiment-ids", "0,,1"], USAGE,
     "--experiment-ids has an empty or too many ids: '0,,1'"),
    (["runs", "search", "--experiment-ids", "0", "--page-token", "abc"], USAGE, "--page-token needs --max-results"),
    (["runs", "search", "--experiment-ids", "0", "--view", "some"], USAGE,
     "--view must be active_only, deleted_only or all, not 'some'"),
    (["runs", "create", "--status", "DONE"], USAGE, "--status must be FINISHED, FAILED or KILLED, not 'DONE'"),
    (["runs", "log-metric", "--run-id", "r", "--key", "k", "--value", "1", "--timestamp", "soon"], USAGE,
     "--timestamp needs an integer, got 'soon'"),
    (["runs", "history", "--key", "k"], USAGE, "--run-id is required (see --help)"),
    (["experiments", "search", "--view", "some"], USAGE,
     "--view must be active_only, deleted_only or all, not 'some'"),
    (["experiments", "search", "--page-token", "abc"], USAGE, "--page-token needs --max-results"),
    (["experiments", "get", "-x", "0", "-n", "a"], USAGE, "give --experiment-id or --experiment-name (one of them)"),
    (["experiments", "get", "-x", "0", "--output", "yaml"], USAGE, "--output must be table or json, not 'yaml'"),
    (["experiments", "create", "-n", "x", "--tag", "bad"], USAGE, "a tag is key=value, not 'bad'"),
    (["models", "get-version", "--name", "m"], USAGE, "give either --version or --alias"),
    (["models", "get-download-uri", "--model-uri", "models:/m/1", "--name", "m"], USAGE,
     "give either --name with --version, or --model-uri"),
    (["artifacts", "download"], USAGE,
     "give either --run-id (with an optional --artifact-path) or --artifact-uri"),
    (["artifacts", "download", "--artifact-uri", "runs:/r/x", "--artifact-path", "y"], USAGE,
     "--artifact-path goes with --run-id; put the path in the URI instead"),
]

# Commands whose options are all valid, so they stop at opening the client.
OPENING = [
    ["runs", "list", "--experiment-id", "0"],
    ["runs", "search", "--experiment-ids", "0"],
    ["runs", "create"],
    ["runs", "describe", "--run-id", "r"],
    ["runs", "delete", "--run-id", "r"],
    ["runs", "log-param", "--run-id", "r", "--key", "k", "--value", "v"],
    ["runs", "log-metric", "--run-id", "r", "--key", "k", "--value", "1"],
    ["runs", "end", "--run-id", "r"],
    ["runs", "history", "--run-id", "r", "--key", "k"],
    ["experiments", "create", "-n", "x"],
    ["experiments", "search"],
    ["experiments", "get", "-x", "0"],
    ["experiments", "rename", "-x", "0", "--new-name", "y"],
    ["experiments", "csv", "-x", "0"],
    ["artifacts", "list", "--run-id", "r"],
    ["artifacts", "download", "--run-id", "r"],
    ["models", "list"],
    ["models", "get-version", "--name", "m", "--version", "1"],
    ["models", "set-alias", "--name", "m", "--alias", "a", "--version", "1"],
    ["models", "history", "m"],
]

HELPED = [["runs", "history"], ["runs", "end"], ["runs", "list"], ["runs", "create"], ["experiments", "csv"],
          ["artifacts", "list"], ["artifacts", "download"], ["models", "set-alias"], ["models", "get-version"]]


def run(mlflowc_bin, tmp_path, args):
    return subprocess.run([str(mlflowc_bin), *args], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("args,code,message", STOPS, ids=[" ".join(a) for a, _, _ in STOPS])
def test_bad_value_stops_with_its_exit_code_and_message(mlflowc_bin, tmp_path, args, code, message):
    done = run(mlflowc_bin, tmp_path, [*args, "--tracking-uri", BAD_URI])
    assert (done.returncode, done.stderr, done.stdout) == (code, f"mlflowc {args[0]} {args[1]}: {message}\n", "")


@pytest.mark.parametrize("args", OPENING, ids=[" ".join(a) for a in OPENING])
def test_unusable_tracking_uri_is_exit_2_with_the_reason(mlflowc_bin, tmp_path, args):
    done = run(mlflowc_bin, tmp_path, [*args, "--tracking-uri", BAD_URI])
    assert (done.returncode, done.stderr, done.stdout) == (2, f"mlflowc {args[0]} {args[1]}: {UNSUPPORTED}\n", "")


def test_local_file_is_checked_after_the_client_opens(mlflowc_bin, tmp_path):
    """log-artifact opens the client first: with a bad URI that is what it names, not the missing file."""
    args = ["artifacts", "log-artifact", "--run-id", "r", "--local-file", str(tmp_path / "absent.txt")]
    done = run(mlflowc_bin, tmp_path, [*args, "--tracking-uri", BAD_URI])
    assert (done.returncode, done.stderr) == (2, f"mlflowc artifacts log-artifact: {UNSUPPORTED}\n")
    local = run(mlflowc_bin, tmp_path, [*args, "--tracking-uri", f"sqlite:///{tmp_path}/local.db"])
    assert (local.returncode, local.stderr) == (
        4, f"mlflowc artifacts log-artifact: cannot read '{tmp_path}/absent.txt': No such file or directory\n")


def test_unopenable_local_store_is_exit_3(mlflowc_bin, tmp_path):
    uri = f"sqlite:///{tmp_path}/no-such-dir/x.db"
    done = run(mlflowc_bin, tmp_path, ["runs", "describe", "--run-id", "r", "--tracking-uri", uri])
    assert done.returncode == 3, done.stderr
    assert done.stderr == (f"mlflowc runs describe: cannot use tracking URI '{uri}': {uri}: cannot open database "
                           f"'{tmp_path}/no-such-dir/x.db': unable to open database file\n")


@pytest.mark.parametrize("args", HELPED, ids=[" ".join(a) for a in HELPED])
def test_help_is_exit_0_on_stdout(mlflowc_bin, tmp_path, args):
    done = run(mlflowc_bin, tmp_path, [*args, "--help", "--tracking-uri", BAD_URI])
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"usage: mlflowc {args[0]} {args[1]} [options]\n")


def test_models_history_without_a_name(mlflowc_bin, tmp_path):
    """`models history` takes NAME first: --help prints its usage on stdout (0), any other option first is 2."""
    helped = run(mlflowc_bin, tmp_path, ["models", "history", "--help"])
    assert (helped.returncode, helped.stderr) == (0, "")
    assert helped.stdout.startswith("usage: mlflowc models history NAME [options]\n")
    wrong = run(mlflowc_bin, tmp_path, ["models", "history", "--json"])
    assert (wrong.returncode, wrong.stdout, wrong.stderr) == (2, "", helped.stdout)
