"""`mlflowc models generate-k8s`: the manifests parsed with python3-yaml and their fields
checked (Deployment with probes on /ping, resources, MLFLOW_MODEL_URI and
MLFLOW_TRACKING_URI, the serve command; a Service; an autoscaling/v2
HorizontalPodAutoscaler), odd input that would break unquoted YAML read back exactly, and
the refusals (names that are not DNS labels, bad quantities and replica bounds, a models:/
URI without a tracking server)."""

import os
import subprocess

import yaml


def k8s(mlflowc_bin, *args, env=None):
    base = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    base.update(env or {})
    return subprocess.run([str(mlflowc_bin), "models", "generate-k8s", *args], env=base, capture_output=True,
                          text=True, timeout=60)


def manifests(result):
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d is not None]
    assert [d["kind"] for d in docs] == ["Deployment", "Service", "HorizontalPodAutoscaler"]
    return docs


def test_manifests_have_the_fields(mlflowc_bin):
    deployment, service, hpa = manifests(k8s(
        mlflowc_bin, "-m", "models:/fraud@champion", "--image", "registry.example.com/fraud:3",
        "--tracking-uri", "http://mlflow.mlops.svc:5000", "--replicas", "2", "--cpu", "250m", "--memory", "1Gi",
        "--min-replicas", "2", "--max-replicas", "8", "--target-cpu", "60"))
    assert deployment["apiVersion"] == "apps/v1"
    assert deployment["metadata"]["name"] == "fraud"
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    labels = spec["template"]["metadata"]["labels"]
    assert spec["selector"]["matchLabels"].items() <= labels.items()
    pod = spec["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["image"] == "registry.example.com/fraud:3"
    assert container["command"] + container["args"] == [
        "/usr/local/bin/mlflowc", "models", "serve", "-m", "$(MLFLOW_MODEL_URI)", "-h", "0.0.0.0", "-p", "8080"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["MLFLOW_MODEL_URI"] == "models:/fraud@champion"
    assert env["MLFLOW_TRACKING_URI"] == "http://mlflow.mlops.svc:5000"
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/ping", "port": "http"}
    assert container["resources"] == {"requests": {"cpu": "250m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}}
    # the model cache is writable although the root file system is not
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert os.path.dirname(env["MLFLOWC_MODEL_CACHE"]) in mounts
    assert os.path.dirname(env["HOME"]) in mounts  # ~/.cache: Python environments
    assert container["securityContext"]["readOnlyRootFilesystem"] is True

    assert service["apiVersion"] == "v1"
    assert service["spec"]["selector"] == spec["selector"]["matchLabels"]
    assert service["spec"]["ports"][0]["targetPort"] == "http"

    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "fraud"}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 8)
    assert hpa["spec"]["metrics"] == [{"type": "Resource", "resource": {
        "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]


def test_defaults_and_names_from_the_model(mlflowc_bin):
    deployment, service, hpa = manifests(k8s(mlflowc_bin, "-m", "models:/Fraud Detector/3", "--image", "img",
                                             env={"MLFLOW_TRACKING_URI": "http://tracking:5000"}))
    assert deployment["metadata"]["name"] == service["metadata"]["name"] == hpa["metadata"]["name"] == "fraud-detector"
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert {e["name"]: e["value"] for e in container["env"]}["MLFLOW_TRACKING_URI"] == "http://tracking:5000"
    assert deployment["spec"]["replicas"] == 1
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 5)
    assert container["resources"]["requests"] == {"cpu": "500m", "memory": "512Mi"}
    # a local path needs no tracking server
    deployment, _, _ = manifests(k8s(mlflowc_bin, "-m", "/opt/ml/model", "--image", "img", "--name", "baked"))
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert "MLFLOW_TRACKING_URI" not in {e["name"] for e in container["env"]}


def test_odd_input_is_quoted_safely(mlflowc_bin):
    odd_uri = 'models:/x: y # "z"\n- [a, {b}] & *c !d %e @f `g` \'h\' \\i\t$(HOME) \u2028 \u0085 é'
    odd_tracking = "http://host:5000/#not: a comment\n$x"
    deployment, _, _ = manifests(k8s(mlflowc_bin, "-m", odd_uri, "--image", "reg.example.com/a/b@sha256:00ff",
                                     "--name", "odd", "--tracking-uri", odd_tracking))
    assert deployment["metadata"]["annotations"]["mlflow.org/model-uri"] == odd_uri
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    # '$' doubled: the kubelet expands $(VAR) in env values and reads "$$" as "$"
    assert env["MLFLOW_MODEL_URI"] == odd_uri.replace("$", "$$")
    assert env["MLFLOW_TRACKING_URI"] == odd_tracking.replace("$", "$$")
    assert container["image"] == "reg.example.com/a/b@sha256:00ff"


def test_refusals(mlflowc_bin):
    base = ["-m", "models:/fraud/1", "--image", "img", "--tracking-uri", "http://t:5000"]
    for extra, word in [(["--name", "Fraud"], "--name"), (["--name", "fraud_model"], "--name"),
                        (["--name", "-x"], "--name"), (["--name", "a" * 64], "--name"),
                        (["--cpu", "lots"], "--cpu"), (["--memory", "1 Gi"], "--memory"),
                        (["--port", "0"], "--port"), (["--port", "70000"], "--port"),
                        (["--min-replicas", "3", "--max-replicas", "2"], "--min-replicas"),
                        (["--replicas", "9", "--max-replicas", "4"], "--replicas"),
                        (["--target-cpu", "150"], "--target-cpu"), (["--replicas", "x"], "--replicas")]:
        result = k8s(mlflowc_bin, *base, *extra)
        assert result.returncode == 2, (extra, result.stderr)
        assert word in result.stderr, (extra, result.stderr)
        assert result.stdout == ""
    result = k8s(mlflowc_bin, "-m", "models:/fraud/1", "--image", "img")
    assert result.returncode == 2 and "tracking" in result.stderr
    result = k8s(mlflowc_bin, "-m", "models:/fraud/1")
    assert result.returncode == 2 and "--image" in result.stderr
    result = k8s(mlflowc_bin, "-m", "models:/fraud/1", "--image", "bad image", "--tracking-uri", "http://t:5000")
    assert result.returncode == 2 and "--image" in result.stderr
    result = k8s(mlflowc_bin, "-m", "models:/fraud/1", "--image", "img", "--tracking-uri", "http://127.0.0.1:5000")
    assert result.returncode == 0 and "note" in result.stderr
