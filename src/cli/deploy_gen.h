/*
 * deploy_gen.h - the text files of deployment, generated from what the
 * commands found (cmd_models_deploy.c): the Dockerfile of a model's image,
 * the Kubernetes manifests of a model service, and the `bootstrap` of a
 * Lambda zip. Pure functions over plain structs, so each is unit-tested
 * without a model, a binary or a cluster.
 */
#ifndef MLF_DEPLOY_GEN_H
#define MLF_DEPLOY_GEN_H

#include "../base/buf.h"
#include "../base/err.h"

#define DEPLOY_MODEL_DIR "/opt/ml/model"      /* where images and MLflow's own put the model */
#define DEPLOY_BINARY_PATH "/usr/local/bin/mlflowc"
#define DEPLOY_PORT 8080
#define DEPLOY_UID 10001                       /* the images' non-root user, also the pods' runAsUser */
#define DEPLOY_VENV "/opt/mlflowc-env"         /* a Python model's environment inside its image */
#define DEPLOY_BASE_IMAGE "debian:12-slim"

/* What one image holds. */
struct dockerfile_spec {
	const char *model_uri;        /* shown in the header comment; NULL for a generic image */
	const char *flavor;           /* the flavor that serves the model ("xgboost", "c_function",
				       * "python_function"); NULL: a generic image for a mounted model */
	bool requirements;            /* python_function: the model has requirements.txt */
	const char *env_manager;      /* python_function: "virtualenv" (a venv built into the image from
				       * requirements.txt) or "local" (Debian's python3 alone) */
	const char *const *packages;  /* the binary's Debian runtime packages (deploy_libs.h) */
	size_t n_packages;
};

/* Appends the Dockerfile of `s` to `out`. The context it expects: the
 * binary as `mlflowc` and, with a model, the model directory as `model/`. */
void deploy_dockerfile(const struct dockerfile_spec *s, struct buf *out);

/* The Debian packages an image adds for flavor `flavor` (NULL: generic,
 * all of them), beyond the binary's, written NULL-terminated into out[max]
 * (borrowed static strings). Returns how many. */
size_t deploy_flavor_packages(const char *flavor, const char **out, size_t max);

/* A Kubernetes model service: Deployment, Service, HorizontalPodAutoscaler. */
struct k8s_spec {
	const char *name;          /* a DNS label (deploy_dns_label) */
	const char *image;
	const char *model_uri;
	const char *tracking_uri;  /* NULL: no MLFLOW_TRACKING_URI in the pods */
	unsigned replicas;
	unsigned port;
	const char *cpu;           /* quantities: requests.cpu, requests.memory (= limits.memory) */
	const char *memory;
	unsigned min_replicas, max_replicas, target_cpu;
};

/* Checks every field of `s` (DNS label name, image without spaces or
 * control bytes, quantities, 1 <= min <= replicas <= max, port 1-65535,
 * target 1-100, text valid UTF-8). 0, or -1 with INVALID_PARAMETER_VALUE
 * naming the field. */
int deploy_k8s_check(const struct k8s_spec *s, struct mlf_err *err);

/* Appends the three manifests of a checked `s` as YAML documents. Every
 * string is written as a double-quoted YAML scalar (deploy_yaml_quote);
 * `$` in values the kubelet expands (env, args) is doubled. */
void deploy_k8s_yaml(const struct k8s_spec *s, struct buf *out);

/* Whether `s` is a Kubernetes object name of the DNS label kind (RFC 1123:
 * 1-63 of [a-z0-9-], starting and ending alphanumeric). */
bool deploy_dns_label(const char *s);

/* Whether `s` is a Kubernetes resource quantity ("500m", "1", "0.5",
 * "512Mi", "2G", "1e3"). */
bool deploy_quantity(const char *s);

/* A DNS label made from a model URI ("models:/Fraud Detector@champion"
 * -> "fraud-detector"), "mlflow-model" when nothing usable is left.
 * Written into out[64]. */
void deploy_k8s_default_name(const char *model_uri, char out[64]);

/* Appends `s` (valid UTF-8) as a YAML double-quoted scalar that PyYAML and
 * Kubernetes read back byte for byte: backslash, quote, every control and
 * non-printable character (C0, DEL, C1, U+2028/2029, U+FEFF, U+FFFE/FFFF)
 * escaped. */
void deploy_yaml_quote(struct buf *out, const char *s);

/* Appends the Lambda zip's `bootstrap`: a POSIX shell script that execs
 * the bundled dynamic loader `interp` (a file name in lib/) on bin/mlflowc
 * with lib/ as the only library path, running `models lambda-runtime` on
 * model/ beneath $LAMBDA_TASK_ROOT. */
void deploy_lambda_bootstrap(const char *interp, struct buf *out);

#endif
