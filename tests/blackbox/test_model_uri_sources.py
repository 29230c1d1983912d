"""models:/ sources of new model versions are read with MLflow's grammar (one parser,
src/base/model_uri, shared with the client library): a name holding '@' before a version
(models:/a@b/1) names that model's version, an alias is split at the last '@'
(models:/a@b@c is alias c of model a@b), and every form (version, alias, latest, stage, logged
model) resolves to the files' real location when the version is created, while a models: source
that does not parse or names nothing is refused; the client library (here through `mlflowc models get-download-uri -m`)
reads them the same way."""

from test_cli_artifacts_models import cli
from test_registry import api, ok


def download_uri(server, name, version):
    return ok(server, "GET", "model-versions/get-download-uri", name=name, version=version)["artifact_uri"]


def test_models_sources_follow_mlflow_grammar(server):
    ok(server, "POST", "registered-models/create", {"name": "src@team"})
    ok(server, "POST", "model-versions/create", {"name": "src@team", "source": "s3://bucket/original"})
    ok(server, "POST", "registered-models/alias", {"name": "src@team", "alias": "champ", "version": "1"})
    ok(server, "POST", "registered-models/create", {"name": "dst"})
    for source in ("models:/src@team/1", "models:/src@team@champ"):
        created = ok(server, "POST", "model-versions/create", {"name": "dst", "source": source})["model_version"]
        assert created["source"] == source
        assert download_uri(server, "dst", created["version"]) == "s3://bucket/original"


def test_client_resolves_models_uris_with_mlflow_grammar(server, mlflowc_bin):
    ok(server, "POST", "registered-models/create", {"name": "cli@team"})
    ok(server, "POST", "model-versions/create", {"name": "cli@team", "source": "s3://bucket/cli"})
    ok(server, "POST", "registered-models/alias", {"name": "cli@team", "alias": "champ", "version": "1"})
    for uri in ("models:/cli@team/1", "models:/cli@team@champ", "models:/cli@team/latest"):
        done = cli(mlflowc_bin, "models", "get-download-uri", "-m", uri, uri=server.url)
        assert done.returncode == 0, f"{uri}: {done.stderr}"
        assert done.stdout.strip() == "s3://bucket/cli"
    for bad in ("models:/cli@team/1/2", "models:/ /1", "models:/@champ"):
        done = cli(mlflowc_bin, "models", "get-download-uri", "-m", bad, uri=server.url)
        assert done.returncode != 0 and "is not models:/<name>/" in done.stderr, (bad, done.stderr)


def test_every_models_source_is_stored_with_the_location_it_names_now(server):
    ok(server, "POST", "registered-models/create", {"name": "origin"})
    for i in (1, 2, 3):
        ok(server, "POST", "model-versions/create", {"name": "origin", "source": f"s3://bucket/v{i}"})
    ok(server, "POST", "model-versions/transition-stage",
       {"name": "origin", "version": "2", "stage": "Production", "archive_existing_versions": False})
    ok(server, "POST", "registered-models/create", {"name": "copy"})
    for source, want in (("models:/origin/latest", "s3://bucket/v3"), ("models:/origin/LATEST", "s3://bucket/v3"),
                         ("models:/origin/Production", "s3://bucket/v2"),
                         ("models:/origin/production", "s3://bucket/v2"), ("Models:/origin/1", "s3://bucket/v1")):
        created = ok(server, "POST", "model-versions/create", {"name": "copy", "source": source})["model_version"]
        assert created["source"] == source
        assert download_uri(server, "copy", created["version"]) == want, source
    # the stage moves on; the copy keeps what it was made from
    ok(server, "POST", "model-versions/transition-stage",
       {"name": "origin", "version": "3", "stage": "Production", "archive_existing_versions": True})
    assert download_uri(server, "copy", "3") == "s3://bucket/v2"


def test_a_models_source_that_names_nothing_is_refused_and_writes_nothing(server):
    ok(server, "POST", "registered-models/create", {"name": "target"})
    ok(server, "POST", "registered-models/create", {"name": "empty"})
    ok(server, "POST", "model-versions/create", {"name": "target", "source": "s3://bucket/t"})
    cases = [
        ("models:/target/1/2", 400, "INVALID_PARAMETER_VALUE", "Not a proper models:/ URI"),
        ("models:/ /1", 400, "INVALID_PARAMETER_VALUE", "Not a proper models:/ URI"),
        ("models:/target@", 400, "INVALID_PARAMETER_VALUE", "Not a proper models:/ URI"),
        ("models:/target/", 400, "INVALID_PARAMETER_VALUE", "Not a proper models:/ URI"),
        ("models:/", 400, "INVALID_PARAMETER_VALUE", "Not a proper models:/ URI"),
        ("models:/target/Bogus", 400, "INVALID_PARAMETER_VALUE", "Invalid Model Version stage: Bogus"),
        ("models:/target/7", 404, "RESOURCE_DOES_NOT_EXIST", ""),
        ("models:/nobody/1", 404, "RESOURCE_DOES_NOT_EXIST", ""),
        ("models:/target@nobody", 400, "INVALID_PARAMETER_VALUE", "Registered model alias nobody not found"),
        ("models:/empty/latest", 404, "RESOURCE_DOES_NOT_EXIST", ""),
        ("models:/target/Staging", 404, "RESOURCE_DOES_NOT_EXIST", "No versions of model with name 'target' and stage 'Staging'"),
        ("models:/m-0123456789abcdef0123456789abcdef", 404, "RESOURCE_DOES_NOT_EXIST", ""),
        ("models:/not-a-logged-model", 404, "RESOURCE_DOES_NOT_EXIST", ""),
    ]
    for source, status, code, message in cases:
        got_status, body = api(server, "POST", "model-versions/create", {"name": "target", "source": source})
        assert (got_status, body.get("error_code")) == (status, code), (source, got_status, body)
        assert message in body.get("message", ""), (source, body)
    versions = ok(server, "GET", "model-versions/search", filter="name='target'")["model_versions"]
    assert [v["version"] for v in versions] == ["1"]
