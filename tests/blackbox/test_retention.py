"""Retention policies (`mlflowc retention set|show|clear`, applied by `mlflowc gc
--apply-retention`) against a store a real server populated through its REST API: runs of
different ages (start_time set through runs/create), keep tags, registered versions sourced from
some runs, checkpoint directories, archived versions. Checks the set/show/clear outputs, that
applying soft-deletes exactly the aged runs that are neither tagged to keep nor registered,
prunes exactly the checkpoints beyond the last K (never one a version uses), deletes or moves
exactly the files of old archived versions and tags them with a tombstone, through the REST API,
the files and the database; that --dry-run changes no byte and announces what the real run
does; that policies live in the store across a server restart; and that bad input is refused
with exit 2 and nothing written."""

import re
import subprocess
import time

import pytest

from conftest import stop_server, store_is_sqlite_default
from test_gc import Api, query, start, tree
from test_s3 import s3rver  # noqa: F401  (the fixture of the S3 test server)

pytestmark = pytest.mark.skipif(not store_is_sqlite_default(), reason="retention tests read the SQLite file directly")

DAY_MS = 86400000


def cli(mlflowc_bin, directory, *args, expect=0):
    p = subprocess.run([str(mlflowc_bin), *args, "--backend-store-uri", f"sqlite:///{directory}/mlflow.db"],
                       capture_output=True, text=True, timeout=300, cwd=directory)
    assert p.returncode == expect, (args, p.returncode, p.stdout, p.stderr)
    return p


def gc(mlflowc_bin, directory, *args, expect=0):
    return cli(mlflowc_bin, directory, "gc", "--artifacts-destination", str(directory / "artifacts"), *args,
               expect=expect)


def retention(mlflowc_bin, directory, *args, expect=0):
    extra = ("--artifacts-destination", str(directory / "artifacts")) if args[0] == "show" else ()
    return cli(mlflowc_bin, directory, "retention", *args, *extra, expect=expect)


def make_run(api, exp, name, age_days, files=(), tags=()):
    start_time = int(time.time() * 1000) - age_days * DAY_MS
    run = api.call("POST", "runs/create", {"experiment_id": exp, "run_name": name, "start_time": start_time,
                                           "tags": [{"key": k, "value": v} for k, v in tags]})["run"]["info"]
    base = run["artifact_uri"].removeprefix("mlflow-artifacts:/").lstrip("/")
    for path, data in files:
        api.put(f"{base}/{path}", data)
    return run["run_id"], base


def checkpoints(n, extra=()):
    return [(f"checkpoints/ckpt-{i:05d}/weights.bin", b"w" * i) for i in range(1, n + 1)] + list(extra)


def version(api, name, source, run_id, stage=None):
    v = api.call("POST", "model-versions/create", {"name": name, "source": source, "run_id": run_id})
    number = v["model_version"]["version"]
    if stage:
        api.call("POST", "model-versions/transition-stage", {"name": name, "version": number, "stage": stage,
                                                              "archive_existing_versions": False})
    return number


@pytest.fixture
def world(mlflowc_bin, tmp_path):
    """A populated store with policies set; yields (server, api, facts) with the server running."""
    server = start(mlflowc_bin, tmp_path)
    api = Api(server.url)
    f = {"dir": tmp_path, "server": server}
    f["exp_a"] = api.call("POST", "experiments/create", {"name": "own-policy"})["experiment_id"]
    f["exp_b"] = api.call("POST", "experiments/create", {"name": "default-policy"})["experiment_id"]
    f["exp_c"] = api.call("POST", "experiments/create", {"name": "long-policy"})["experiment_id"]
    a, b, c = f["exp_a"], f["exp_b"], f["exp_c"]
    # experiment A: keep 90 days, registered runs, keep=yes and any pinned tag; prune checkpoints
    f["old_plain"], f["old_plain_base"] = make_run(api, a, "old-plain", 200, checkpoints(4, [("out.txt", b"o")]))
    f["old_tagged"], _ = make_run(api, a, "old-tagged", 200, tags=[("keep", "yes")])
    f["old_pinned"], _ = make_run(api, a, "old-pinned", 120, tags=[("pinned", "anything")])
    f["old_wrong"], _ = make_run(api, a, "old-wrong-value", 95, tags=[("keep", "no")])
    f["old_reg"], f["old_reg_base"] = make_run(api, a, "old-registered", 300, [("model/MLmodel", b"reg")])
    f["young"], f["young_base"] = make_run(api, a, "young", 10, checkpoints(5, [
        ("checkpoints/ckpt-00001/sub/deep.bin", b"d"), ("model/MLmodel", b"arch"), ("model/model.pkl", b"p" * 9),
        ("notes/ckpt.txt", b"n")]))
    f["fresh"], f["fresh_base"] = make_run(api, a, "fresh", 1, checkpoints(2))
    # experiment B follows the default: keep 30 days, archived versions moved
    f["b_old"], f["b_old_base"] = make_run(api, b, "b-old", 60, [("x.txt", b"x")])
    f["b_young"], f["b_young_base"] = make_run(api, b, "b-young", 5, checkpoints(3, [
        ("model/MLmodel", b"cold"), ("model/data/blob.bin", b"b" * 33), ("model2/MLmodel", b"prod")]))
    # experiment C: its own policy keeps 1000 days, overriding the default
    f["c_old"], _ = make_run(api, c, "c-old", 60)
    # registered versions
    api.call("POST", "registered-models/create", {"name": "keepme"})
    version(api, "keepme", f"runs:/{f['old_reg']}/model", f["old_reg"])
    version(api, "keepme", f"mlflow-artifacts:/{f['young_base']}/checkpoints/ckpt-00002", f["young"])
    api.call("POST", "registered-models/create", {"name": "archived-a"})
    f["arch_a"] = version(api, "archived-a", f"runs:/{f['young']}/model", f["young"], "Archived")
    api.call("POST", "registered-models/create", {"name": "archived-b"})
    f["arch_b_source"] = f"mlflow-artifacts:/{f['b_young_base']}/model"
    f["arch_b"] = version(api, "archived-b", f["arch_b_source"], f["b_young"], "Archived")
    f["prod_b"] = version(api, "archived-b", f"mlflow-artifacts:/{f['b_young_base']}/model2", f["b_young"],
                          "Production")
    # the clock moves past the archive time (archived-versions-days 0: anything archived before now)
    time.sleep(0.01)
    cold = tmp_path / "cold"
    cold.mkdir()
    f["cold"] = cold
    d = tmp_path
    f["set_a"] = retention(mlflowc_bin, d, "set", "--experiment-id", a, "--keep-days", "90", "--keep-registered",
                           "--keep-tag", "keep=yes", "--keep-tag", "pinned", "--prune", "checkpoints/*",
                           "--keep-last", "2", "--archived-versions-days", "0", "--archived-action", "delete")
    f["set_default"] = retention(mlflowc_bin, d, "set", "--default", "--keep-days", "30", "--archived-versions-days",
                                 "0", "--archived-action", "move", "--move-to", str(cold))
    f["set_c"] = retention(mlflowc_bin, d, "set", "--experiment-id", c, "--keep-days", "1000")
    yield server, api, f
    if not f.get("stopped"):
        stop_server(f["server"])


def stage(d, run_id):
    return query(d, "SELECT lifecycle_stage, deleted_time FROM runs WHERE run_uuid = ?", run_id)[0]


def version_tags(api, name, number):
    v = api.call("GET", "model-versions/get", {"name": name, "version": number})["model_version"]
    return v, {t["key"]: t["value"] for t in v.get("tags", [])}


def test_set_show_clear_and_the_rows(mlflowc_bin, world):
    server, api, f = world
    d, a, c = f["dir"], f["exp_a"], f["exp_c"]
    assert f["set_a"].stdout == (f"set experiment {a}:\n  keep-days: 90 (keep registered)\n  keep-tag: keep=yes\n"
                                 "  keep-tag: pinned\n  prune: checkpoints/* keep-last 2\n"
                                 "  archived-versions-days: 0 delete\n")
    assert f["set_default"].stdout == ("set default policy (experiments without their own):\n  keep-days: 30\n"
                                       f"  archived-versions-days: 0 move to {f['cold']}\n")
    rows = query(d, "SELECT experiment_id, keep_days, keep_registered, prune_pattern, keep_last, archived_days,"
                    " archived_action, move_to FROM retention_policies ORDER BY experiment_id")
    assert rows == [(-1, 30, 0, None, -1, 0, "move", str(f["cold"])),
                    (int(a), 90, 1, "checkpoints/*", 2, 0, "delete", None),
                    (int(c), 1000, 0, None, -1, -1, None, None)]
    assert query(d, "SELECT experiment_id, position, key, value FROM retention_keep_tags ORDER BY 1, 2") == \
        [(int(a), 0, "keep", "yes"), (int(a), 1, "pinned", None)]
    # show: one experiment, with the dry run of what would happen next
    p = retention(mlflowc_bin, d, "show", "--experiment-id", a)
    assert p.stdout.startswith(f"experiment {a}:\n  keep-days: 90")
    assert f"would soft-delete run {f['old_plain']} of experiment {a} (started 200 days ago, keep-days 90)" \
        in p.stdout
    assert f['b_old'] not in p.stdout  # another experiment's run
    p = retention(mlflowc_bin, d, "show", "--experiment-id", f["exp_b"])
    assert p.stdout.startswith(f"experiment {f['exp_b']} follows the default policy")
    assert f"would soft-delete run {f['b_old']} of experiment {f['exp_b']}" in p.stdout
    p = retention(mlflowc_bin, d, "show")
    assert p.stdout.index("default policy") < p.stdout.index(f"experiment {a}:") < p.stdout.index(f"experiment {c}:")
    # resetting a policy replaces it whole, keep tags included
    retention(mlflowc_bin, d, "set", "--experiment-id", c, "--keep-days", "7", "--keep-tag", "x=1")
    retention(mlflowc_bin, d, "set", "--experiment-id", c, "--keep-days", "1000")
    assert query(d, "SELECT count(*) FROM retention_keep_tags WHERE experiment_id = ?", int(c)) == [(0,)]
    # clear
    p = retention(mlflowc_bin, d, "clear", "--experiment-id", c)
    assert p.stdout == f"cleared the policy of experiment {c}\n"
    p = retention(mlflowc_bin, d, "show", "--experiment-id", c)
    assert p.stdout.startswith(f"experiment {c} follows the default policy")
    p = retention(mlflowc_bin, d, "clear", "--experiment-id", c, expect=2)
    assert "has no retention policy of its own" in p.stderr
    assert query(d, "SELECT count(*) FROM retention_policies") == [(2,)]
    p = retention(mlflowc_bin, d, "clear", "--default")
    assert p.stdout == "cleared the default policy\n"
    p = retention(mlflowc_bin, d, "show", "--experiment-id", c)
    assert p.stdout.startswith(f"experiment {c}: no retention policy")
    # and the server answered meanwhile
    assert api.call("GET", "experiments/get", {"experiment_id": a})["experiment"]["name"] == "own-policy"


def test_apply_does_exactly_what_the_policies_say(mlflowc_bin, world):
    server, api, f = world
    d, art = f["dir"], f["dir"] / "artifacts"
    a, b = f["exp_a"], f["exp_b"]
    before = int(time.time() * 1000)
    p = gc(mlflowc_bin, d, "--apply-retention", "--older-than", "1d")
    out = p.stdout
    # (1) runs: the aged ones go, unless tagged or registered
    for rid in ("old_plain", "old_wrong", "b_old"):
        lifecycle, deleted_time = stage(d, f[rid])
        assert lifecycle == "deleted" and deleted_time >= before, rid
        assert api.call("GET", "runs/get", {"run_id": f[rid]})["run"]["info"]["lifecycle_stage"] == "deleted"
        assert f"soft-deleted run {f[rid]} of experiment " in out
    for rid in ("old_tagged", "old_pinned", "old_reg", "young", "fresh", "b_young", "c_old"):
        assert stage(d, f[rid]) == ("active", None), rid
    assert f"kept run {f['old_tagged']} of experiment {a} (started 200 days ago; has tag keep=yes)" in out
    assert f"kept run {f['old_pinned']} of experiment {a} (started 120 days ago; has tag pinned)" in out
    assert f"kept run {f['old_reg']} of experiment {a} (started 300 days ago; used by model keepme version 1)" in out
    assert f['c_old'] not in out and f['young'] + " of experiment" not in out
    # gc's --older-than 1d does not purge what was just soft-deleted
    assert "0 experiments and 0 runs permanently deleted" in out
    assert (art / f["old_plain_base"] / "out.txt").exists()
    # (2) pruning: the two last checkpoints by name stay, and the one a version uses
    ck = art / f["young_base"] / "checkpoints"
    assert sorted(x.name for x in ck.iterdir()) == ["ckpt-00002", "ckpt-00004", "ckpt-00005"]
    assert (ck / "ckpt-00005" / "weights.bin").read_bytes() == b"w" * 5
    assert (art / f["young_base"] / "notes" / "ckpt.txt").exists()  # not matched by checkpoints/*
    uri = f"mlflow-artifacts:/{f['young_base']}"
    assert f"pruned {uri}/checkpoints/ckpt-00001 (run {f['young']}; checkpoints/*, keep-last 2)" in out
    assert f"pruned {uri}/checkpoints/ckpt-00003 (run {f['young']}; checkpoints/*, keep-last 2)" in out
    assert f"kept {uri}/checkpoints/ckpt-00002 (run {f['young']}; used by model keepme version 2)" in out
    assert sorted(x.name for x in (art / f["fresh_base"] / "checkpoints").iterdir()) == ["ckpt-00001", "ckpt-00002"]
    # the soft-deleted run is not pruned; the default policy (experiment B) has no pruning
    assert len(list((art / f["old_plain_base"] / "checkpoints").iterdir())) == 4
    assert len(list((art / f["b_young_base"] / "checkpoints").iterdir())) == 3
    assert out.count("pruned ") == 2
    # (3) archived versions: A's deleted, B's moved, with tombstones; the Production one untouched
    assert not (art / f["young_base"] / "model").exists()
    v, tags = version_tags(api, "archived-a", f["arch_a"])
    assert v["source"] == f"runs:/{f['young']}/model" and v["current_stage"] == "Archived"
    assert before <= int(tags["mlflowc.retention.deleted_at"]) <= int(time.time() * 1000)
    assert "mlflowc.retention.moved_to" not in tags
    moved = f["cold"] / "archived-b" / str(f["arch_b"])
    assert (moved / "MLmodel").read_bytes() == b"cold"
    assert (moved / "data" / "blob.bin").read_bytes() == b"b" * 33
    assert not (art / f["b_young_base"] / "model").exists()
    v, tags = version_tags(api, "archived-b", f["arch_b"])
    assert v["source"] == f["arch_b_source"]
    assert tags["mlflowc.retention.moved_to"] == f"{f['cold']}/archived-b/{f['arch_b']}"
    assert (art / f["b_young_base"] / "model2" / "MLmodel").read_bytes() == b"prod"
    _, tags = version_tags(api, "archived-b", f["prod_b"])
    assert not any(k.startswith("mlflowc.retention") for k in tags)
    assert f"deleted files of archived model archived-a version {f['arch_a']} ({uri}/model)" in out
    assert f"moved files of archived model archived-b version {f['arch_b']} (mlflow-artifacts:/" \
        f"{f['b_young_base']}/model) to {f['cold']}" in out
    assert "retention: 3 runs soft-deleted, 3 kept, 2 paths pruned, 2 archived versions moved or deleted" in out
    # the registered run's files are all there
    assert (art / f["old_reg_base"] / "model" / "MLmodel").read_bytes() == b"reg"
    # applying again changes nothing more
    p = gc(mlflowc_bin, d, "--apply-retention", "--older-than", "1d")
    assert "retention: 0 runs soft-deleted, 3 kept, 0 paths pruned, 0 archived versions moved or deleted" in p.stdout
    # without --older-than, gc then purges what retention soft-deleted, as any deleted run
    p = gc(mlflowc_bin, d, "--apply-retention")
    for rid in ("old_plain", "old_wrong", "b_old"):
        assert f"Run with ID {f[rid]} has been permanently deleted." in p.stdout
        assert api.error("GET", "runs/get", {"run_id": f[rid]}) == "RESOURCE_DOES_NOT_EXIST"
    assert not (art / f["old_plain_base"]).exists()


def test_dry_run_changes_nothing_and_matches_the_real_run(mlflowc_bin, world):
    server, api, f = world
    stop_server(server)
    f["stopped"] = True
    d = f["dir"]
    db = (d / "mlflow.db").read_bytes()
    files = tree(d / "artifacts")
    cold = tree(f["cold"])
    dry = gc(mlflowc_bin, d, "--apply-retention", "--dry-run", "--older-than", "1d").stdout
    shown = retention(mlflowc_bin, d, "show").stdout
    assert (d / "mlflow.db").read_bytes() == db
    assert tree(d / "artifacts") == files and tree(f["cold"]) == cold
    assert "retention (dry run): 3 runs would be soft-deleted, 3 kept, 2 paths would be pruned, 2 archived " \
        "versions would be moved or deleted" in dry
    real = gc(mlflowc_bin, d, "--apply-retention", "--older-than", "1d").stdout

    def actions(text, dry_words, real_words):
        lines = [line for line in text.splitlines()
                 if line.startswith("retention: ") and not re.match(r"retention: \d+ runs", line)]
        for w, r in zip(dry_words, real_words):
            lines = [line.replace(w, r) for line in lines]
        return sorted(lines)

    words = (["would soft-delete", "would prune", "would keep", "would delete", "would move"],
             ["soft-deleted", "pruned", "kept", "deleted", "moved"])
    assert actions(dry, *words) == actions(real, [], [])
    assert actions(shown, *words) == actions(real, [], [])
    assert len(actions(real, [], [])) == 3 + 3 + 3 + 2


def test_policies_survive_a_restart(mlflowc_bin, world):
    from test_gc import start as start_again
    server, api, f = world
    d = f["dir"]
    stop_server(server)
    f["server"] = start_again(mlflowc_bin, d)
    api = Api(f["server"].url)
    p = retention(mlflowc_bin, d, "show", "--experiment-id", f["exp_a"])
    assert p.stdout.startswith(f"experiment {f['exp_a']}:\n  keep-days: 90 (keep registered)\n  keep-tag: keep=yes")
    assert query(d, "SELECT count(*) FROM retention_policies") == [(3,)]
    assert query(d, "PRAGMA user_version")[0][0] >= 4
    # applied while this server serves
    gc(mlflowc_bin, d, "--apply-retention", "--older-than", "1d")
    assert api.call("GET", "runs/get", {"run_id": f["old_plain"]})["run"]["info"]["lifecycle_stage"] == "deleted"
    assert api.call("GET", "runs/get", {"run_id": f["old_tagged"]})["run"]["info"]["lifecycle_stage"] == "active"


BAD = [
    (["--experiment-id", "{a}", "--keep-days", "-5"], "--keep-days must be a whole number"),
    (["--experiment-id", "{a}", "--keep-days", "ten"], "--keep-days must be a whole number"),
    (["--experiment-id", "{a}", "--archived-versions-days", "-1", "--archived-action", "delete"],
     "--archived-versions-days must be a whole number"),
    (["--experiment-id", "999", "--keep-days", "5"], "No Experiment with id=999 exists"),
    (["--experiment-id", "abc", "--keep-days", "5"], "No Experiment with id=abc exists"),
    (["--experiment-id", "{a}", "--prune", "checkpoints/*"], "--prune needs a pattern and --keep-last"),
    (["--experiment-id", "{a}", "--keep-last", "3", "--keep-days", "1"], "--keep-last needs --prune"),
    (["--experiment-id", "{a}", "--archived-versions-days", "3", "--archived-action", "move", "--move-to",
      "{dir}/does-not-exist"], "is neither an existing local directory nor s3://bucket/prefix"),
    (["--experiment-id", "{a}", "--archived-versions-days", "3", "--archived-action", "move", "--move-to",
      "ftp://host/x"], "is neither an existing local directory nor s3://bucket/prefix"),
    (["--experiment-id", "{a}", "--archived-versions-days", "3", "--archived-action", "move"],
     "--move-to goes with --archived-action move"),
    (["--experiment-id", "{a}", "--archived-versions-days", "3", "--archived-action", "shred"],
     "--archived-action must be delete or move"),
    (["--experiment-id", "{a}", "--archived-versions-days", "3"], "go together"),
    (["--experiment-id", "{a}"], "a policy needs"),
    (["--keep-days", "3"], "exactly one of --experiment-id ID and --default"),
    (["--default", "--experiment-id", "{a}", "--keep-days", "3"], "exactly one of"),
    (["--experiment-id", "{a}", "--keep-tag", "=x", "--keep-days", "3"], "--keep-tag needs a key"),
    # --move-storage-class: one of S3's classes, exactly spelled, and only for copies going to S3
    (["--experiment-id", "{a}", "--archived-versions-days", "3", "--archived-action", "move", "--move-to",
      "s3://mlflow/cold", "--move-storage-class", "GLACIER_DEEP"],
     "--move-storage-class must be one of S3's storage classes (STANDARD, STANDARD_IA, ONEZONE_IA, "
     "INTELLIGENT_TIERING, GLACIER, GLACIER_IR, DEEP_ARCHIVE, REDUCED_REDUNDANCY, OUTPOSTS, EXPRESS_ONEZONE), "
     "not 'GLACIER_DEEP'"),
    (["--experiment-id", "{a}", "--archived-versions-days", "3", "--archived-action", "move", "--move-to",
      "s3://mlflow/cold", "--move-storage-class", "standard_ia"], "not 'standard_ia'"),
    (["--experiment-id", "{a}", "--archived-versions-days", "3", "--archived-action", "move", "--move-to",
      "s3://mlflow/cold", "--move-storage-class", ""], "must be one of S3's storage classes"),
    (["--experiment-id", "{a}", "--archived-versions-days", "3", "--archived-action", "move", "--move-to", "{dir}",
      "--move-storage-class", "STANDARD_IA"],
     "--move-storage-class goes with --archived-action move and --move-to s3://bucket/prefix, and only then"),
    (["--experiment-id", "{a}", "--archived-versions-days", "3", "--archived-action", "delete",
      "--move-storage-class", "GLACIER"], "--move-storage-class goes with --archived-action move"),
    (["--experiment-id", "{a}", "--keep-days", "3", "--move-storage-class", "GLACIER"],
     "--move-storage-class goes with --archived-action move"),
]


def test_bad_input_is_refused_and_writes_nothing(mlflowc_bin, tmp_path):
    server = start(mlflowc_bin, tmp_path)
    api = Api(server.url)
    a = api.call("POST", "experiments/create", {"name": "x"})["experiment_id"]
    stop_server(server)
    d = tmp_path
    # the first command migrates the database: every later one must leave it byte for byte
    retention(mlflowc_bin, d, "show")
    db = (d / "mlflow.db").read_bytes()
    for args, message in BAD:
        args = [x.format(a=a, dir=d) for x in args]
        p = retention(mlflowc_bin, d, "set", *args, expect=2)
        assert message in p.stderr, (args, p.stderr)
        assert (d / "mlflow.db").read_bytes() == db, args
    assert query(d, "SELECT count(*) FROM retention_policies") == [(0,)]
    p = retention(mlflowc_bin, d, "show", "--experiment-id", "999", expect=2)
    assert "No Experiment with id=999 exists" in p.stderr
    p = retention(mlflowc_bin, d, "clear", expect=2)
    assert "give --experiment-id ID or --default" in p.stderr
    assert (d / "mlflow.db").read_bytes() == db
    # a store that does not exist is not created
    p = subprocess.run([str(mlflowc_bin), "retention", "set", "--backend-store-uri", f"sqlite:///{d}/none.db",
                        "--default", "--keep-days", "3"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 1 and not (d / "none.db").exists()


def test_the_policy_endpoint(mlflowc_bin, world):
    server, api, f = world
    url = f"{server.url}/api/2.0/mlflowc/experiments/retention"
    r = api.s.get(url, params={"experiment_id": f["exp_a"]}, timeout=30)
    assert r.status_code == 200, r.text
    policy = r.json()["policy"]
    assert policy == {"is_default": False, "keep_days": 90, "keep_registered": True,
                      "keep_tags": [{"key": "keep", "value": "yes"}, {"key": "pinned"}],
                      "prune": "checkpoints/*", "keep_last": 2, "archived_versions_days": 0,
                      "archived_action": "delete", "updated_time": policy["updated_time"]}
    assert policy["updated_time"] > 0
    # an experiment without its own: the default; the UI's prefix answers the same
    r = api.s.get(f"{server.url}/ajax-api/2.0/mlflowc/experiments/retention", params={"experiment_id": f["exp_b"]},
                  timeout=30)
    assert r.json()["policy"] == {"is_default": True, "keep_days": 30, "keep_registered": False, "keep_tags": [],
                                  "archived_versions_days": 0, "archived_action": "move",
                                  "move_to": str(f["cold"]), "updated_time": r.json()["policy"]["updated_time"]}
    retention(mlflowc_bin, f["dir"], "clear", "--default")
    assert api.s.get(url, params={"experiment_id": f["exp_b"]}, timeout=30).json() == {}
    # bad input: MLflow's error JSON
    r = api.s.get(url, params={"experiment_id": "12345"}, timeout=30)
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = api.s.get(url, timeout=30)
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = api.s.post(url, json={"experiment_id": f["exp_a"]}, timeout=30)
    assert r.status_code == 405


def test_apply_beside_a_serving_server_loses_nothing(mlflowc_bin, world):
    """Clients log to a run and restore a soft-deleted one while retention applies: every point
    arrives, and every run ends either deleted or active as a whole, never half-changed."""
    import threading
    server, api, f = world
    d = f["dir"]
    target, _ = make_run(api, f["exp_a"], "busy", 0)
    stop = threading.Event()
    sent = []
    errors = []

    def writer():
        s = Api(server.url)
        step = 0
        while not stop.is_set() and step < 20000:
            try:
                s.call("POST", "runs/log-batch", {"run_id": target, "metrics": [
                    {"key": "x", "value": float(step + i), "timestamp": 1000 + step + i, "step": step + i}
                    for i in range(10)]})
                sent.append(10)
                step += 10
            except AssertionError as e:  # pragma: no cover - reported below
                errors.append(str(e))
                return

    t = threading.Thread(target=writer)
    t.start()
    try:
        for _ in range(3):
            gc(mlflowc_bin, d, "--apply-retention", "--older-than", "1d")
            api.call("POST", "runs/restore", {"run_id": f["old_wrong"]})
    finally:
        stop.set()
        t.join(timeout=120)
    assert not errors, errors[:3]
    history = api.call("GET", "metrics/get-history", {"run_id": target, "metric_key": "x", "max_results": 25000})
    assert len(history.get("metrics", [])) == sum(sent) > 0
    # each gc soft-deleted the restored run again, and the last restore left it active
    assert stage(d, f["old_wrong"]) == ("active", None)
    assert stage(d, f["old_plain"])[0] == "deleted"
    assert stage(d, target) == ("active", None)


def test_archived_files_move_to_s3(mlflowc_bin, tmp_path, s3rver):  # noqa: F811
    """--move-to s3://bucket/prefix (s3rver, as test_s3.py runs it): the files are copied through the
    artifact store's S3 backend, readable there afterwards, and gone from the local destination."""
    import os
    import test_s3
    server = start(mlflowc_bin, tmp_path)
    cold_server = None
    try:
        api = Api(server.url)
        exp = api.call("POST", "experiments/create", {"name": "to-s3"})["experiment_id"]
        rid, base = make_run(api, exp, "r", 1, [("model/MLmodel", b"m" * 5), ("model/w/x.bin", b"x" * 70)])
        api.call("POST", "registered-models/create", {"name": "s3-cold"})
        number = version(api, "s3-cold", f"runs:/{rid}/model", rid, "Archived")
        time.sleep(0.01)
        dest = f"s3://{test_s3.BUCKET}/cold"
        retention(mlflowc_bin, tmp_path, "set", "--experiment-id", exp, "--archived-versions-days", "0",
                  "--archived-action", "move", "--move-to", dest)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLFLOW_S3_"))}
        env.update(test_s3.CREDS, MLFLOW_S3_ENDPOINT_URL=s3rver.url)
        p = subprocess.run([str(mlflowc_bin), "gc", "--apply-retention", "--older-than", "1d", "--backend-store-uri",
                            f"sqlite:///{tmp_path}/mlflow.db", "--artifacts-destination", str(tmp_path / "artifacts")],
                           capture_output=True, text=True, timeout=120, env=env)
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert f"moved files of archived model s3-cold version {number}" in p.stdout
        assert not (tmp_path / "artifacts" / base / "model").exists()
        _, tags = version_tags(api, "s3-cold", number)
        assert tags["mlflowc.retention.moved_to"] == f"{dest}/s3-cold/{number}"
        assert "mlflowc.retention.storage_class" not in tags
        # without --move-storage-class no request names a storage class (the bucket's default applies)
        sent = [r for r in s3rver.requests_recorded() if r["url"].startswith(f"/{test_s3.BUCKET}/cold/")]
        assert len([r for r in sent if r["method"] == "PUT"]) == 2, sent
        assert all(r["storage_class"] is None for r in sent), sent
        # read back through a server whose destination is the cold place
        cold_dir = tmp_path / "cold-server"
        cold_dir.mkdir()
        port = test_s3.free_local_port()
        cold_server = test_s3.launch_server(
            [str(mlflowc_bin), "server", "--backend-store-uri", f"sqlite:///{cold_dir}/mlflow.db",
             "--artifacts-destination", dest, "--host", "127.0.0.1", "--port", str(port)], port, cold_dir, env=env)
        for path, data in (("MLmodel", b"m" * 5), ("w/x.bin", b"x" * 70)):
            r = api.s.get(f"{cold_server.url}/api/2.0/mlflow-artifacts/artifacts/s3-cold/{number}/{path}", timeout=60)
            assert (r.status_code, r.content) == (200, data)
    finally:
        if cold_server:
            stop_server(cold_server)
        stop_server(server)


def s3_env():
    import os
    import test_s3
    return test_s3, {**{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MLFLOW_S3_"))},
                     **test_s3.CREDS}


def test_archived_files_move_to_s3_with_a_storage_class(mlflowc_bin, tmp_path, s3rver):  # noqa: F811
    """--move-storage-class STANDARD_IA: stored with the policy (through a server restart), shown by
    show and the REST route, and sent, signed, as x-amz-storage-class on the PutObject of every copy
    and on the CreateMultipartUpload of a copy over 16 MB (its UploadPart and Complete requests take
    none, as in S3's API); s3rver keeps the class with each object; the tombstone names it."""
    import json as jsonlib
    import urllib.request
    test_s3, env = s3_env()
    env["MLFLOW_S3_ENDPOINT_URL"] = s3rver.url
    d = tmp_path
    server = start(mlflowc_bin, d)
    try:
        api = Api(server.url)
        exp = api.call("POST", "experiments/create", {"name": "to-s3-ia"})["experiment_id"]
        big = bytes(range(256)) * (17 * 4096)  # 17 MiB: over the 16 MB part size, so a multipart upload
        rid, base = make_run(api, exp, "r", 1, [("model/MLmodel", b"m" * 5), ("model/w/x.bin", b"x" * 70),
                                                ("model/big.bin", big)])
        api.call("POST", "registered-models/create", {"name": "s3-ia"})
        number = version(api, "s3-ia", f"runs:/{rid}/model", rid, "Archived")
        time.sleep(0.01)
        dest = f"s3://{test_s3.BUCKET}/cold-class"
        p = retention(mlflowc_bin, d, "set", "--experiment-id", exp, "--archived-versions-days", "0",
                      "--archived-action", "move", "--move-to", dest + "/", "--move-storage-class", "STANDARD_IA")
        assert p.stdout == (f"set experiment {exp}:\n"
                            f"  archived-versions-days: 0 move to {dest}/ (storage class STANDARD_IA)\n")
        assert query(d, "SELECT move_to, move_storage_class FROM retention_policies WHERE experiment_id = ?",
                     int(exp)) == [(dest + "/", "STANDARD_IA")]
        # the class lives in the store: a restarted server and a new command both see it
        stop_server(server)
        server = start(mlflowc_bin, d)
        api = Api(server.url)
        r = api.s.get(f"{server.url}/api/2.0/mlflowc/experiments/retention", params={"experiment_id": exp},
                      timeout=30)
        assert r.status_code == 200, r.text
        assert r.json()["policy"] == {"is_default": False, "archived_versions_days": 0, "archived_action": "move",
                                      "move_to": dest + "/", "move_storage_class": "STANDARD_IA",
                                      "updated_time": r.json()["policy"]["updated_time"]}
        p = retention(mlflowc_bin, d, "show", "--experiment-id", exp)
        assert p.stdout.startswith(f"experiment {exp}:\n  archived-versions-days: 0 move to {dest}/ "
                                   "(storage class STANDARD_IA)\n")
        assert re.search(f"would move files of archived model s3-ia version {number} \\(.*{base}/model\\) to "
                         f"{re.escape(dest)}/ \\(storage class STANDARD_IA\\)$", p.stdout, re.M), p.stdout

        def sent():
            return [x for x in s3rver.requests_recorded() if x["url"].startswith(f"/{test_s3.BUCKET}/cold-class/")]
        assert sent() == []  # a dry run writes nothing to S3
        p = subprocess.run([str(mlflowc_bin), "gc", "--apply-retention", "--older-than", "1d", "--backend-store-uri",
                            f"sqlite:///{d}/mlflow.db", "--artifacts-destination", str(d / "artifacts")],
                           capture_output=True, text=True, timeout=300, env=env)
        assert p.returncode == 0, (p.stdout, p.stderr)
        assert re.search(f"moved files of archived model s3-ia version {number} \\(.*{base}/model\\) to "
                         f"{re.escape(dest)}/ \\(storage class STANDARD_IA\\)$", p.stdout, re.M), p.stdout
        assert not (d / "artifacts" / base / "model").exists()
        _, tags = version_tags(api, "s3-ia", number)
        assert tags["mlflowc.retention.moved_to"] == f"{dest}/s3-ia/{number}"
        assert tags["mlflowc.retention.storage_class"] == "STANDARD_IA"
        # what S3 was sent: each object-creating request carried the class, inside the signature
        small = {f"/{test_s3.BUCKET}/cold-class/s3-ia/{number}/{k}" for k in ("MLmodel", "w/x.bin")}
        big_key = f"/{test_s3.BUCKET}/cold-class/s3-ia/{number}/big.bin"
        requests_sent = sent()
        assert all(x["status"] == 200 for x in requests_sent), requests_sent
        puts = [x for x in requests_sent if x["method"] == "PUT" and "partNumber=" not in x["url"]]
        creates = [x for x in requests_sent if x["method"] == "POST" and re.search(r"\?uploads=?$", x["url"])]
        parts = [x for x in requests_sent if x["method"] == "PUT" and "partNumber=" in x["url"]]
        completes = [x for x in requests_sent if x["method"] == "POST" and "uploadId=" in x["url"]]
        assert sorted(x["url"] for x in puts) == sorted(small)
        assert [x["url"].split("?")[0] for x in creates] == [big_key]
        assert len(parts) == 2 and len(completes) == 1, requests_sent
        for x in puts + creates:
            assert (x["storage_class"], x["storage_class_signed"]) == ("STANDARD_IA", True), x
        for x in parts + completes:
            assert x["storage_class"] is None, x
        # and s3rver keeps the class with every object, whose bytes are the originals
        stored = s3rver.directory / "data" / test_s3.BUCKET / "cold-class" / "s3-ia" / str(number)
        for name, data in (("MLmodel", b"m" * 5), ("w/x.bin", b"x" * 70), ("big.bin", big)):
            meta = jsonlib.loads((stored / f"{name}._S3rver_metadata.json").read_text())
            assert meta["x-amz-storage-class"] == "STANDARD_IA", (name, meta)
            assert (stored / f"{name}._S3rver_object").read_bytes() == data, name
        # the test server refuses a class S3 does not have, as S3 does (so the checks above can fail)
        req = urllib.request.Request(f"{s3rver.url}/{test_s3.BUCKET}/cold-class/bogus", data=b"x", method="PUT",
                                     headers={"x-amz-storage-class": "GLACIER_DEEP"})
        try:
            urllib.request.urlopen(req, timeout=30)
            raise AssertionError("s3rver took an unknown storage class")
        except urllib.error.HTTPError as e:
            assert e.code == 400 and b"InvalidStorageClass" in e.read()
    finally:
        stop_server(server)


def test_a_store_from_before_storage_classes_upgrades(mlflowc_bin, tmp_path):
    """A store at schema 4 (what mlflowc wrote before --move-storage-class: no move_storage_class
    column) opens, is migrated to the newest schema, and its policies read as before, with no class; a class can
    then be set on them."""
    d = tmp_path
    server = start(mlflowc_bin, d)
    api = Api(server.url)
    a = api.call("POST", "experiments/create", {"name": "old-policy"})["experiment_id"]
    stop_server(server)
    retention(mlflowc_bin, d, "set", "--experiment-id", a, "--archived-versions-days", "7", "--archived-action",
              "move", "--move-to", "s3://mlflow/cold")
    retention(mlflowc_bin, d, "set", "--default", "--keep-days", "30")
    # back to schema 4, exactly the tables the previous mlflowc made (without migration 6's users either)
    query(d, "ALTER TABLE retention_policies DROP COLUMN move_storage_class")
    for table in ("experiment_permissions", "registered_model_permissions", "auth_tokens", "audit_log", "users"):
        query(d, f"DROP TABLE {table}")
    query(d, "PRAGMA user_version = 4")
    assert query(d, "PRAGMA user_version")[0][0] == 4
    p = retention(mlflowc_bin, d, "show")
    assert query(d, "PRAGMA user_version")[0][0] == 6
    assert p.stdout.startswith("default policy (experiments without their own):\n  keep-days: 30\n"
                               f"experiment {a}:\n  archived-versions-days: 7 move to s3://mlflow/cold\n")
    assert query(d, "SELECT experiment_id, archived_action, move_to, move_storage_class FROM retention_policies"
                    " ORDER BY experiment_id") == [(-1, None, None, None), (int(a), "move", "s3://mlflow/cold", None)]
    server = start(mlflowc_bin, d)
    try:
        api = Api(server.url)
        r = api.s.get(f"{server.url}/api/2.0/mlflowc/experiments/retention", params={"experiment_id": a}, timeout=30)
        assert r.status_code == 200 and "move_storage_class" not in r.json()["policy"], r.text
        assert r.json()["policy"]["move_to"] == "s3://mlflow/cold"
    finally:
        stop_server(server)
    p = retention(mlflowc_bin, d, "set", "--experiment-id", a, "--archived-versions-days", "7", "--archived-action",
                  "move", "--move-to", "s3://mlflow/cold", "--move-storage-class", "DEEP_ARCHIVE")
    assert p.stdout.endswith("move to s3://mlflow/cold (storage class DEEP_ARCHIVE)\n")
    assert query(d, "SELECT move_storage_class FROM retention_policies WHERE experiment_id = ?", int(a)) == \
        [("DEEP_ARCHIVE",)]
