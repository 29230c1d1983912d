"""What the MLflow 3.x client sends and expects, replayed by HTTP against the real server.

The requests are the ones MLflow 3's Python client builds (its RestStore turns each call
into one JSON body; the shapes below are those bodies, and test_recorded_client_session
replays, in order, the bodies MLflow 3.11's client sent in a trial against this server):
- `list_artifacts` / `download_artifacts` on `runs:/<run>/<name>` and registering
  `runs:/<run>/<name>` look the run's logged model up with
  `logged-models/search {"experiment_ids": [exp], "filter": "name = '<name>'"}` (3.0 sent
  a `source_run_id` condition too) and keep the model whose source_run_id is the run,
  then list the model's artifacts through the proxy;
- `search_registered_models(filter_string=F)` sends
  ``F AND tag.`mlflow.prompt.is_prompt` != 'true'``, which in MLflow holds for a model
  without the tag (MLflow sets every prompt-tag condition aside and leaves prompts out);
- `log_inputs(run_id, datasets, models)` sends `models: [{model_id}]`; `runs/get` shows
  them as `inputs.model_inputs`, `runs/search` shows `outputs.model_outputs` (and, like
  MLflow's store, no model inputs);
- `log_metric(..., model_id=, dataset=)` sends the point through `runs/log-batch` with
  `model_id`, `dataset_name`, `dataset_digest`; the logged model shows it and its search
  filters and orders by it, scoped by `datasets`.
"""

import base64
import json
from urllib.parse import urlencode

from test_logged_models import get_bytes, log_model, logged_models, start_run
from test_registry import api, ok

PROMPT = "mlflow.prompt.is_prompt"


def search(server, exp, **body):
    status, answer = logged_models(server, "POST", "/search", dict({"experiment_ids": [exp]}, **body))
    assert status == 200, answer
    return answer


def names(answer):
    return [m["info"]["name"] for m in answer.get("models", [])]


def matched(answer):
    """The names found, whatever their order (several models may share a creation ms)."""
    return sorted(names(answer))


def newest_first(infos):
    """MLflow's default order: creation time descending, then (ours) model id."""
    return [i["name"] for i in sorted(infos, key=lambda i: (-i["creation_timestamp_ms"], i["model_id"]))]


def refused(server, exp, **body):
    status, answer = logged_models(server, "POST", "/search", dict({"experiment_ids": [exp]}, **body))
    assert status == 400 and answer["error_code"] == "INVALID_PARAMETER_VALUE", (body, status, answer)
    return answer["message"]


# ---------------------------------------------------------------- list_artifacts


def test_list_artifacts_finds_the_run_model(server):
    exp, run_id = start_run(server)
    model_id, location, _ = log_model(server, exp, run_id)
    # a model of the same name from another run must not be taken
    other = ok(server, "POST", "runs/create", {"experiment_id": exp})["run"]["info"]["run_id"]
    logged_models(server, "POST", body={"experiment_id": exp, "name": "model", "source_run_id": other})

    ok(server, "GET", "runs/get", run_id=run_id)
    for body in ({"filter": "name = 'model'"},                                   # 3.1+
                 {"filter": f"source_run_id = '{run_id}' AND name = 'model'"},   # 3.0
                 {"filter": f"attributes.source_run_id = '{run_id}'", "datasets": []}):
        found = search(server, exp, **body)
        mine = [m for m in found["models"] if m["info"]["source_run_id"] == run_id]
        assert [m["info"]["model_id"] for m in mine] == [model_id], body
        assert "next_page_token" not in found
    assert len(search(server, exp, filter="name = 'model'")["models"]) == 2
    # then the client lists the model's files through the proxy
    root = location[len("mlflow-artifacts:/"):]
    status, data = get_bytes(server, "/api/2.0/mlflow-artifacts/artifacts?" + urlencode({"path": root}))
    assert status == 200
    assert b'"MLmodel"' in data and b'"model.pkl"' in data


# ---------------------------------------------------------------- prompts


def registry_names(server, text, endpoint="registered-models/search", field="registered_models"):
    found = ok(server, "GET", endpoint, filter=text, max_results=100)
    return sorted(m["name"] for m in found.get(field, []))


def test_search_registered_models_with_the_prompt_clause(server):
    ok(server, "POST", "registered-models/create", {"name": "x-plain"})
    ok(server, "POST", "registered-models/create", {"name": "x-team", "tags": [{"key": "team", "value": "vision"}]})
    ok(server, "POST", "registered-models/create", {"name": "x-false", "tags": [{"key": PROMPT, "value": "false"}]})
    ok(server, "POST", "registered-models/create", {"name": "x-prompt", "tags": [{"key": PROMPT, "value": "true"}]})
    ordinary = ["x-false", "x-plain", "x-team"]
    # what search_registered_models(filter_string="name LIKE 'x%'") sends
    assert registry_names(server, f"name LIKE 'x%' AND tag.`{PROMPT}` != 'true'") == ordinary
    assert registry_names(server, f"tag.`{PROMPT}` != 'true'") == ordinary
    # MLflow sets aside any prompt-tag condition of a search that does not ask for prompts
    assert registry_names(server, f"name LIKE 'x%' AND tags.`{PROMPT}` = 'false'") == ordinary
    assert registry_names(server, f"name LIKE 'x%' AND tags.`{PROMPT}` LIKE 'zz%'") == ordinary
    # asking for prompts: `= 'true'` (any case) or `!= 'false'`, then an ordinary tag condition
    assert registry_names(server, f"name LIKE 'x%' AND tags.`{PROMPT}` = 'true'") == ["x-prompt"]
    assert registry_names(server, f"name LIKE 'x%' AND tags.`{PROMPT}` = 'TRUE'") == []
    assert registry_names(server, f"name LIKE 'x%' AND tags.`{PROMPT}` != 'false'") == ["x-prompt"]
    # other tags keep MLflow's rule: a comparison on a tag the model lacks is false
    assert registry_names(server, "name LIKE 'x%' AND tags.team != 'nlp'") == ["x-team"]
    assert registry_names(server, f"tags.team != 'nlp' AND tag.`{PROMPT}` != 'true'") == ["x-team"]
    assert registry_names(server, "name LIKE 'x%' AND tags.team LIKE '%'") == ["x-team"]
    assert registry_names(server, "name LIKE 'x%' AND NOT tags.team = 'vision'") == ["x-false", "x-plain"]


def test_search_model_versions_with_the_prompt_clause(server):
    for name, tags in (("v-plain", []), ("v-prompt", [{"key": PROMPT, "value": "true"}])):
        ok(server, "POST", "registered-models/create", {"name": name, "tags": tags})
        ok(server, "POST", "model-versions/create", {"name": name, "source": "s3://b/m", "tags": tags})
    found = lambda text: registry_names(server, text, "model-versions/search", "model_versions")
    assert found(f"name LIKE 'v-%' AND tags.`{PROMPT}` != 'true'") == ["v-plain"]
    assert found(f"name LIKE 'v-%' AND tags.`{PROMPT}` = 'true'") == ["v-prompt"]
    assert found("name LIKE 'v-%'") == ["v-plain"]


# ---------------------------------------------------------------- log-inputs, runs/search


def test_log_inputs_models_and_search_outputs(server):
    exp, run_id = start_run(server)
    m_in = logged_models(server, "POST", body={"experiment_id": exp, "name": "used"})[1]["model"]["info"]["model_id"]
    m_out = logged_models(server, "POST", body={"experiment_id": exp, "name": "made"})[1]["model"]["info"]["model_id"]
    ok(server, "POST", "runs/outputs", {"run_id": run_id, "models": [{"model_id": m_out, "step": 2}]})
    # what MlflowClient.log_inputs(run_id, models=[LoggedModelInput(m)]) sends
    ok(server, "POST", "runs/log-inputs", {"run_id": run_id, "models": [{"model_id": m_in}]})
    ok(server, "POST", "runs/log-inputs", {"run_id": run_id, "models": [{"model_id": m_in}]})  # kept once
    dataset = {"name": "toy", "digest": "abc", "source_type": "code", "source": "{}"}
    ok(server, "POST", "runs/log-inputs", {"run_id": run_id, "datasets": [{"dataset": dataset, "tags": []}],
                                           "models": [{"model_id": "m-" + "1" * 32}]})
    run = ok(server, "GET", "runs/get", run_id=run_id)["run"]
    assert run["inputs"]["model_inputs"] == [{"model_id": m_in}, {"model_id": "m-" + "1" * 32}]
    assert run["inputs"]["dataset_inputs"][0]["dataset"]["name"] == "toy"
    assert run["outputs"] == {"model_outputs": [{"model_id": m_out, "step": 2}]}

    found = ok(server, "POST", "runs/search", {"experiment_ids": [exp]})["runs"]
    assert [r["info"]["run_id"] for r in found] == [run_id]
    assert found[0]["outputs"] == {"model_outputs": [{"model_id": m_out, "step": 2}]}
    assert "model_inputs" not in found[0]["inputs"]  # MLflow's search leaves them out
    assert found[0]["inputs"]["dataset_inputs"][0]["dataset"]["digest"] == "abc"

    # a run without models answers as before
    plain = ok(server, "POST", "runs/create", {"experiment_id": exp})["run"]["info"]["run_id"]
    found = ok(server, "POST", "runs/search", {"experiment_ids": [exp], "filter": f"run_id = '{plain}'"})["runs"]
    assert "outputs" not in found[0] and found[0]["inputs"] == {}


def test_log_inputs_models_bad_input(server):
    exp, run_id = start_run(server)
    dataset = {"name": "toy", "digest": "abc", "source_type": "code", "source": "{}"}
    status, err = api(server, "POST", "runs/log-inputs", {"run_id": run_id, "datasets": [{"dataset": dataset}],
                                                          "models": [{"step": 1}]})
    assert status == 400 and err["error_code"] == "INVALID_PARAMETER_VALUE" and "model_id" in err["message"]
    status, err = api(server, "POST", "runs/log-inputs", {"run_id": run_id, "models": {"model_id": "m"}})
    assert status == 400
    run = ok(server, "GET", "runs/get", run_id=run_id)["run"]
    assert run["inputs"] == {}  # nothing of the refused requests was written
    ok(server, "POST", "runs/delete", {"run_id": run_id})
    status, err = api(server, "POST", "runs/log-inputs", {"run_id": run_id, "models": [{"model_id": "m-1"}]})
    assert status == 400 and err["error_code"] == "INVALID_PARAMETER_VALUE"
    status, err = api(server, "POST", "runs/log-inputs", {"run_id": "0" * 32, "models": [{"model_id": "m-1"}]})
    assert status == 404


# ---------------------------------------------------------------- logged-model search


def make_models(server):
    """Four models: params, tags, statuses, and metric points on two datasets."""
    exp, run_id = start_run(server)
    other = ok(server, "POST", "runs/create", {"experiment_id": exp})["run"]["info"]["run_id"]
    made = {}
    specs = [("alpha", "sklearn", run_id, {"lr": "0.1", "opt": "adam"}, {"team": "vision"}),
             ("beta", "", run_id, {"lr": "0.2"}, {"team": "nlp", "odd key": "x y"}),
             ("Gamma_1", "pytorch", other, {"opt": "sgd"}, {}),
             ("delta_2", "sklearn", "", {}, {"team": "vision"})]
    for name, mtype, source, params, tags in specs:
        body = {"experiment_id": exp, "name": name, "model_type": mtype, "source_run_id": source,
                "params": [{"key": k, "value": v} for k, v in params.items()],
                "tags": [{"key": k, "value": v} for k, v in tags.items()]}
        status, answer = logged_models(server, "POST", body=body)
        assert status == 200, answer
        made[name] = answer["model"]["info"]
    ids = {n: i["model_id"] for n, i in made.items()}
    logged_models(server, "PATCH", f"/{ids['alpha']}", {"status": "LOGGED_MODEL_READY"})
    logged_models(server, "PATCH", f"/{ids['beta']}", {"status": "LOGGED_MODEL_UPLOAD_FAILED"})

    def point(name, key, value, ts, dataset=None, digest=None, run=run_id, step=0):
        m = {"key": key, "value": value, "timestamp": ts, "step": step, "model_id": ids[name]}
        if dataset:
            m.update(dataset_name=dataset, dataset_digest=digest)
        ok(server, "POST", "runs/log-batch", {"run_id": run, "metrics": [m]})

    point("alpha", "acc", 0.9, 10, "train", "d1")
    point("alpha", "acc", 0.7, 20, "test", "d2")
    point("beta", "acc", 0.8, 10, "train", "d1")
    point("beta", "acc", 0.95, 30, "test", "d3")
    point("Gamma_1", "acc", 0.5, 10, run=other)
    point("Gamma_1", "loss", "NaN", 10, run=other)
    return exp, run_id, other, ids


def test_log_batch_records_model_metrics(server):
    exp, run_id, _, ids = make_models(server)
    got = logged_models(server, "GET", f"/{ids['alpha']}")[1]["model"]["data"]["metrics"]
    assert got == [
        {"key": "acc", "value": 0.9, "timestamp": 10, "step": 0, "dataset_name": "train", "dataset_digest": "d1",
         "model_id": ids["alpha"], "run_id": run_id},
        {"key": "acc", "value": 0.7, "timestamp": 20, "step": 0, "dataset_name": "test", "dataset_digest": "d2",
         "model_id": ids["alpha"], "run_id": run_id}]
    # the run keeps its own latest value as well
    run = ok(server, "GET", "runs/get", run_id=run_id)["run"]
    assert {(m["key"], m["value"]) for m in run["data"]["metrics"]} == {("acc", 0.95)}


def test_search_attributes(server):
    exp, run_id, other, ids = make_models(server)
    cases = {
        "name = 'alpha'": ["alpha"],
        "attributes.name != 'alpha'": ["delta_2", "Gamma_1", "beta"],
        "name LIKE 'gamma%'": [],
        "name ILIKE 'gamma%'": ["Gamma_1"],
        "name LIKE '%\\%'": [],  # no ESCAPE: the backslash is literal
        "name LIKE '%%'": ["delta_2", "Gamma_1", "beta", "alpha"],
        "name IN ('alpha', 'beta')": ["beta", "alpha"],
        "name NOT IN ('alpha', 'beta')": ["delta_2", "Gamma_1"],
        f"model_id = '{ids['beta']}'": ["beta"],
        "model_type = 'sklearn'": ["delta_2", "alpha"],
        "model_type != 'sklearn'": ["Gamma_1"],  # beta has none: no comparison holds
        f"source_run_id = '{run_id}'": ["beta", "alpha"],
        f"source_run_id IN ('{other}')": ["Gamma_1"],
        "status = 'READY'": ["alpha"],
        "status = 'FAILED'": ["beta"],
        "status IN ('PENDING')": ["delta_2", "Gamma_1"],
        "status LIKE 'P%'": ["delta_2", "Gamma_1"],
        "creation_timestamp > 0": ["delta_2", "Gamma_1", "beta", "alpha"],
        "creation_time < 0": [],
        "last_updated_timestamp >= 1": ["delta_2", "Gamma_1", "beta", "alpha"],
        "creation_timestamp_ms != 1": ["delta_2", "Gamma_1", "beta", "alpha"],
    }
    for text, want in cases.items():
        assert matched(search(server, exp, filter=text)) == sorted(want), text
    t = next(m["info"]["creation_timestamp_ms"] for m in search(server, exp)["models"]
             if m["info"]["name"] == "beta")
    assert "beta" in names(search(server, exp, filter=f"creation_timestamp = {t}"))
    assert "beta" not in names(search(server, exp, filter=f"creation_timestamp > {t + 100000}"))


def test_search_params_tags_metrics(server):
    exp, run_id, other, ids = make_models(server)
    cases = {
        "params.lr = '0.1'": ["alpha"],
        "params.lr != '0.1'": ["beta"],  # models without lr do not match
        "params.opt LIKE '%d%'": ["Gamma_1", "alpha"],
        "params.opt IN ('sgd', 'adam')": ["Gamma_1", "alpha"],
        "params.opt NOT IN ('sgd')": ["alpha"],
        "tags.team = 'vision'": ["delta_2", "alpha"],
        "tags.team != 'vision'": ["beta"],
        "tags.`odd key` = 'x y'": ["beta"],
        'tags."odd key" ILIKE \'X%\'': ["beta"],
        "tags.team ILIKE 'VISION' AND params.lr = '0.1'": ["alpha"],
        # a metric condition holds when one of the model's points does
        "metrics.acc > 0.85": ["beta", "alpha"],
        "metrics.acc < 0.6": ["Gamma_1"],
        "metrics.acc = 0.7": ["alpha"],
        "metrics.acc != 0.5": ["beta", "alpha"],
        "metrics.loss != 1": [],  # NaN matches nothing
        "metrics.missing >= 0": [],
        # the extensions work here too
        "name = 'alpha' OR tags.team = 'nlp'": ["beta", "alpha"],
        "NOT tags.team = 'vision'": ["Gamma_1", "beta"],
        "(metrics.acc > 0.9 OR params.opt = 'sgd') AND NOT name = 'beta'": ["Gamma_1"],
    }
    for text, want in cases.items():
        assert matched(search(server, exp, filter=text)) == sorted(want), text


def test_search_datasets(server):
    exp, run_id, other, ids = make_models(server)
    train = [{"dataset_name": "train"}]
    # datasets scope the metric conditions
    assert matched(search(server, exp, filter="metrics.acc > 0.85", datasets=train)) == ["alpha"]
    assert matched(search(server, exp, filter="metrics.acc > 0.85",
                        datasets=[{"dataset_name": "test", "dataset_digest": "d3"}])) == ["beta"]
    assert matched(search(server, exp, filter="metrics.acc > 0.85",
                        datasets=[{"dataset_name": "test", "dataset_digest": "nope"}])) == []
    assert matched(search(server, exp, filter="metrics.acc > 0.6",
                        datasets=[{"dataset_name": "test"}, {"dataset_name": "train"}])) == ["alpha", "beta"]
    # without a metric condition: the models that have a point on one of them
    assert matched(search(server, exp, datasets=train)) == ["alpha", "beta"]
    assert matched(search(server, exp, filter="name = 'beta'", datasets=[{"dataset_name": "test",
                                                                           "dataset_digest": "d2"}])) == []
    assert matched(search(server, exp, datasets=[{"dataset_name": "test", "dataset_digest": "d2"}])) == ["alpha"]


def test_search_order_by_and_paging(server):
    exp, run_id, other, ids = make_models(server)
    infos = [m["info"] for m in search(server, exp)["models"]]
    assert names(search(server, exp)) == newest_first(infos)
    # explicit terms, then newest first (unless a creation term was given), then model id
    tail = newest_first(infos)
    order = lambda *terms: names(search(server, exp, order_by=list(terms)))
    then = lambda first: first + [n for n in tail if n not in first]
    assert order({"field_name": "name"}) == ["Gamma_1", "alpha", "beta", "delta_2"]
    assert order({"field_name": "name", "ascending": False}) == ["delta_2", "beta", "alpha", "Gamma_1"]
    by_creation = [i["name"] for i in sorted(infos, key=lambda i: (i["creation_timestamp_ms"], i["model_id"]))]
    assert order({"field_name": "creation_time", "ascending": True}) == by_creation
    assert order({"field_name": "status"}, {"field_name": "name"}) == ["Gamma_1", "delta_2", "alpha", "beta"]
    # a metric orders by the latest point (timestamp, then step); no point: last both ways
    assert order({"field_name": "metrics.acc", "ascending": True}) == ["Gamma_1", "alpha", "beta", "delta_2"]
    assert order({"field_name": "metrics.acc", "ascending": False}) == ["beta", "alpha", "Gamma_1", "delta_2"]
    # scoped to a dataset
    assert order({"field_name": "metrics.acc", "ascending": False, "dataset_name": "train"}) == \
        then(["alpha", "beta"])
    assert order({"field_name": "metrics.acc", "dataset_name": "test", "dataset_digest": "d2"}) == then(["alpha"])
    # NaN after every number, before missing
    assert order({"field_name": "metrics.loss"}, {"field_name": "name"}) == ["Gamma_1", "alpha", "beta", "delta_2"]

    # paging: every page with a token until none, the same order as one page
    seen, token = [], None
    for _ in range(10):
        body = {"max_results": 1, "order_by": [{"field_name": "name"}]}
        if token:
            body["page_token"] = token
        page = search(server, exp, **body)
        seen += names(page)
        token = page.get("next_page_token")
        if not token:
            break
    assert seen == ["Gamma_1", "alpha", "beta", "delta_2"]
    text = "tags.team = 'vision' OR name = 'beta'"
    two = search(server, exp, filter=text, max_results=2, order_by=[{"field_name": "name"}])
    assert names(two) == ["alpha", "beta"] and two["next_page_token"]
    rest = search(server, exp, filter=text, max_results=2, order_by=[{"field_name": "name"}],
                  page_token=two["next_page_token"])
    assert names(rest) == ["delta_2"] and "next_page_token" not in rest


def test_search_bad_input(server):
    exp, *_ = make_models(server)
    cases = {
        "metric.acc > 1": "Invalid entity type: 'metric'",
        "tag.team = 'x'": "Invalid entity type: 'tag'",
        "metrics.acc LIKE 'x'": "Expected numeric value type for metric",
        "metrics.acc IS NULL": "Invalid comparison operator",
        "params.lr IS NULL": "Invalid comparison operator",
        "params.lr > '1'": "Invalid comparison operator",
        "creation_timestamp > 'x'": "Expected numeric value type",
        "creation_timestamp LIKE '1'": "Expected numeric value type",
        "name > 'a'": "Invalid comparison operator",
        "name = alpha": "not quoted",
        "artifact_uri = 'x'": "Invalid attribute key 'artifact_uri'",
        "name = 'a' OR": "Invalid filter string",
    }
    for text, fragment in cases.items():
        assert fragment in refused(server, exp, filter=text), text
    assert "`dataset_name` in the `datasets` clause must be specified." == \
        refused(server, exp, filter="metrics.acc > 0", datasets=[{"dataset_digest": "d1"}])
    assert refused(server, exp, order_by=[{"field_name": "params.lr"}]) == \
        "Invalid order by field name: params.lr. Only metrics are supported."
    assert refused(server, exp, order_by=[{"field_name": "bogus"}]) == "Invalid order by field name: bogus"
    assert "page token" in refused(server, exp, page_token="garbage")
    assert "ascending" in refused(server, exp, order_by=[{"field_name": "name", "ascending": "no"}])
    assert "field_name" in refused(server, exp, order_by=[{"ascending": True}])


# ---------------------------------------------------------------- as recorded


def test_recorded_client_session(server):
    """The bodies MLflow 3.11's client sent, in order, for create_logged_model /
    log_outputs / log_model_artifacts / finalize, log_batch with a model metric,
    mlflow.artifacts.list_artifacts("runs:/<run>/model"), search_logged_models with a
    filter, datasets and a metric order, log_inputs(models=...), search_runs and
    search_registered_models("name LIKE 'x%'"); each answer is checked for what the
    client reads from it."""
    exp = ok(server, "POST", "experiments/create", {"name": "trial"})["experiment_id"]
    rid = ok(server, "POST", "runs/create", {"experiment_id": exp})["run"]["info"]["run_id"]
    status, created = logged_models(server, "POST", body={
        "experiment_id": exp, "name": "model", "source_run_id": rid,
        "params": [{"key": "lr", "value": "0.1"}], "tags": [{"key": "team", "value": "x"}]})
    assert status == 200, created
    mid = created["model"]["info"]["model_id"]
    ok(server, "POST", "runs/outputs", {"run_id": rid, "models": [{"model_id": mid, "step": 0}]})
    assert logged_models(server, "PATCH", f"/{mid}", {"model_id": mid, "status": "LOGGED_MODEL_READY"})[0] == 200
    ok(server, "POST", "runs/log-batch", {"run_id": rid, "metrics": [
        {"key": "acc", "value": 0.9, "timestamp": 5, "step": 0, "dataset_name": "test", "dataset_digest": "d1",
         "model_id": mid}]})

    found = search(server, exp, filter="name = 'model'")
    assert [(m["info"]["model_id"], m["info"]["source_run_id"]) for m in found["models"]] == [(mid, rid)]
    found = search(server, exp, filter="metrics.acc > 0.5 AND params.lr = '0.1'",
                   order_by=[{"field_name": "metrics.acc", "ascending": False, "dataset_name": "test"}],
                   datasets=[{"dataset_name": "test"}])
    assert [m["info"]["model_id"] for m in found["models"]] == [mid]
    assert found["models"][0]["data"]["metrics"][0]["dataset_name"] == "test"

    ok(server, "POST", "runs/log-inputs", {"run_id": rid, "models": [{"model_id": mid}]})
    runs = ok(server, "POST", "runs/search", {"experiment_ids": [exp], "run_view_type": "ACTIVE_ONLY", "filter": "",
                                              "max_results": 1000})["runs"]
    assert runs[0]["outputs"] == {"model_outputs": [{"model_id": mid, "step": 0}]}
    assert ok(server, "GET", "runs/get", run_id=rid)["run"]["inputs"]["model_inputs"] == [{"model_id": mid}]

    ok(server, "POST", "registered-models/create", {"name": "x-plain"})
    ok(server, "POST", "registered-models/create", {"name": "x-team", "tags": [{"key": "team", "value": "a"}]})
    found = ok(server, "GET", "registered-models/search",
               filter=f"name LIKE 'x%' AND tag.`{PROMPT}` != 'true'", max_results=100)
    assert [m["name"] for m in found["registered_models"]] == ["x-plain", "x-team"]
    version = ok(server, "POST", "model-versions/create", {"name": "x-plain", "source": f"runs:/{rid}/model",
                                                           "run_id": rid})["model_version"]
    assert version["version"] == "1" and version["source"] == f"runs:/{rid}/model"


def test_page_tokens_carry_the_request(server):
    """MLflow 3's logged-model token is base64 of json.dumps({experiment_ids,
    filter_string, order_by, offset}) and must come back with the same request; 50
    models a page unless asked otherwise (the proto's default)."""
    exp, *_ = make_models(server)
    order = [{"field_name": "name"}]
    page = search(server, exp, filter="name != 'x'", max_results=1, order_by=order)
    token = page["next_page_token"]
    assert base64.b64decode(token) == json.dumps({
        "experiment_ids": [exp], "filter_string": "name != 'x'",
        "order_by": [{"field_name": "name", "ascending": True, "dataset_name": None, "dataset_digest": None}],
        "offset": 1}).encode()
    again = search(server, exp, filter="name != 'x'", max_results=1, order_by=order, page_token=token)
    assert names(again) == ["alpha"]
    message = refused(server, exp, filter="name != 'y'", max_results=1, order_by=order, page_token=token)
    assert message.startswith("Filter string in the page token does not match the requested filter string.")
    assert refused(server, exp, filter="name != 'x'", max_results=1, page_token=token).startswith("Order by")
    assert refused(server, "0", filter="name != 'x'", max_results=1, order_by=order,
                   page_token=token).startswith("Experiment IDs")
    # a token without a filter says null, and a plain offset token is still read
    token = search(server, exp, max_results=3)["next_page_token"]
    assert json.loads(base64.b64decode(token)) == {"experiment_ids": [exp], "filter_string": None,
                                                   "order_by": None, "offset": 3}
    assert len(search(server, exp, max_results=3, page_token=token)["models"]) == 1
    plain = base64.b64encode(b'{"offset": 2}').decode()
    assert len(search(server, exp, page_token=plain)["models"]) == 2

    for i in range(47):
        logged_models(server, "POST", body={"experiment_id": exp, "name": f"bulk-{i}"})
    first = search(server, exp)
    assert len(first["models"]) == 50 and first["next_page_token"]
    assert len(search(server, exp, page_token=first["next_page_token"])["models"]) == 1
