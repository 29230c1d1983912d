"""models:/ sources of new model versions are read with MLflow's grammar (one parser,
src/base/model_uri, shared with the client library): a name holding '@' before a version
(models:/a@b/1) names that model's version, an alias is split at the last '@'
(models:/a@b@c is alias c of model a@b), and the plain forms resolve to the files' real
location as before; the client library (here through `mlflowc models get-download-uri -m`)
reads them the same way."""

from test_cli_artifacts_models import cli
from test_registry import ok


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
