/*
 * tracking_app.h - what `mlflowc server` serves, opened and closed in one
 * place: the tracking store, the artifact proxy's store, the local
 * artifact roots the server may touch, and the `struct app` the API
 * handlers read. Command-line parsing stays in the CLI; the HTTP life of
 * the process is serve.h.
 */
#ifndef MLF_TRACKING_APP_H
#define MLF_TRACKING_APP_H

#include "../api/api.h"
#include "../store/store.h"

struct auth_config;

struct tracking_app_config {
	const char *backend_store_uri;
	struct store_options store;        /* artifact_root is filled in by tracking_app_open */
	const char *default_artifact_root; /* NULL: mlflow-artifacts:/ when serving artifacts, else ./mlruns */
	const char *artifacts_destination; /* the proxy's directory or s3:// URI */
	bool serve_artifacts;
	bool artifacts_only;               /* no tracking store is opened */
	const char *static_prefix;
	const char *allowed_artifact_roots; /* "DIR,DIR" or NULL */
	unsigned max_artifact_mb;          /* 0: no limit */
	unsigned min_free_disk_mb;
	const struct security_policy *security; /* NULL: browser protection off; stays the caller's */
	const struct auth_config *auth; /* the basic-auth app's settings (borrowed for the open); NULL: off */
	bool tls;                       /* the server speaks TLS (session cookies are Secure) */
};

struct tracking_app {
	struct app app; /* what the handlers get; points into the fields below */
	struct store *store;
	struct artifact_repo *artifacts;
	struct artifact_roots *roots;
	char *destination; /* absolute, or NULL without the proxy */
	char *root;        /* the default artifact root of new experiments */
	struct auth_gate *gate; /* users and permissions; NULL: auth off */
};

/* Opens everything `cfg` names into *t (zeroed first). Local directories
 * are made absolute and created, as MLflow does. Returns 0, or -1 with
 * `err` set and nothing left open. Close with tracking_app_close(). */
int tracking_app_open(const struct tracking_app_config *cfg, struct tracking_app *t, struct mlf_err *err);

/* Closes what tracking_app_open opened (pending writes commit, the
 * database is closed); safe on a zeroed or half-open *t. */
void tracking_app_close(struct tracking_app *t);

#endif
