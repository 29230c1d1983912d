/*
 * cmd_server.c - `mlflowc server`: reads and checks the options, then
 * opens what is served (tracking_app.h) and runs the HTTP server until
 * SIGINT or SIGTERM (serve.h), then shuts down cleanly (requests in flight
 * finish, pending writes commit, the database is closed).
 */
#include "cli.h"
#include "../api/api.h"
#include "../api/security.h"
#include "../auth/auth_config.h"
#include "../base/buf.h"
#include "../base/log.h"
#include "../base/xalloc.h"
#include "../http/http.h"
#include "../server/retention_schedule.h"
#include "../server/serve.h"
#include "../server/tracking_app.h"
#include "../store/store.h"
#include <errno.h>
#include "../store/store_gc.h"
#include <signal.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

struct server_settings {
	const char *backend_store_uri;
	const char *default_artifact_root;
	const char *artifacts_destination;
	bool serve_artifacts;
	bool artifacts_only;
	const char *host;
	unsigned port;
	unsigned workers;
	const char *static_prefix;
	unsigned max_body_mb;
	unsigned idle_timeout;
	const char *log_level;
	const char *durability;
	const char *allowed_artifact_roots;
	unsigned max_artifact_mb;
	unsigned min_free_disk_mb;
	unsigned max_connections;
	unsigned max_connections_per_ip;
	unsigned header_timeout;
	const char *allowed_hosts;
	const char *cors_allowed_origins;
	bool disable_security_middleware;
	const char *x_frame_options;
	unsigned db_pool_size;
	const char *retention_interval;
	const char *app_name;
	const char *tls_cert;
	const char *tls_key;
};

#define OPT(field) offsetof(struct server_settings, field)

static const struct cli_option server_options[] = {
	{ "backend-store-uri", 0, CLI_STRING, OPT(backend_store_uri), "URI",
	  "where runs and experiments are stored (default sqlite:///mlflow.db)" },
	{ "default-artifact-root", 0, CLI_STRING, OPT(default_artifact_root), "URI",
	  "artifact root of new experiments (default mlflow-artifacts:/ when serving artifacts, else ./mlruns)" },
	{ "artifacts-destination", 0, CLI_STRING, OPT(artifacts_destination), "PATH",
	  "where the artifact proxy stores files (default ./mlartifacts)" },
	{ "serve-artifacts", 0, CLI_TRUE, OPT(serve_artifacts), NULL, "proxy artifact uploads and downloads (default)" },
	{ "no-serve-artifacts", 0, CLI_FALSE, OPT(serve_artifacts), NULL, "do not proxy artifacts" },
	{ "artifacts-only", 0, CLI_TRUE, OPT(artifacts_only), NULL,
	  "serve only the artifact proxy (no tracking store is opened)" },
	{ "host", 'h', CLI_STRING, OPT(host), "HOST", "address to listen on (default 127.0.0.1)" },
	{ "port", 'p', CLI_UINT, OPT(port), "PORT", "port to listen on (default 5000)" },
	{ "workers", 'w', CLI_UINT, OPT(workers), "N", "HTTP worker threads (default 4)" },
	{ "static-prefix", 0, CLI_STRING, OPT(static_prefix), "PREFIX", "serve every route under this path prefix" },
	{ "max-body-mb", 0, CLI_UINT, OPT(max_body_mb), "MB", "largest JSON request body accepted (default 32)" },
	{ "idle-timeout", 0, CLI_UINT, OPT(idle_timeout), "SECONDS",
	  "close a connection silent for this long: an idle keep-alive connection, a stalled upload or "
	  "download (default 120)" },
	{ "log-level", 0, CLI_STRING, OPT(log_level), "LEVEL", "debug, info, warn or error (default info)" },
	{ "durability", 0, CLI_STRING, OPT(durability), "MODE",
	  "normal: a crash of the server loses nothing, an OS crash or power loss may lose the last writes; "
	  "full: every acknowledged write is on disk (slower, see docs/storage.md) (default normal)" },
	{ "allowed-artifact-roots", 0, CLI_STRING, OPT(allowed_artifact_roots), "DIRS",
	  "comma-separated local directories, besides --default-artifact-root and --artifacts-destination, "
	  "whose artifacts the server may read and list (env MLFLOW_ALLOWED_ARTIFACT_ROOTS)" },
	{ "max-artifact-mb", 0, CLI_UINT, OPT(max_artifact_mb), "MB",
	  "largest artifact upload accepted through the proxy (default 0: no limit)" },
	{ "min-free-disk-mb", 0, CLI_UINT, OPT(min_free_disk_mb), "MB",
	  "refuse an upload that would leave less than this free on the artifact disk (default 32)" },
	{ "max-connections", 0, CLI_UINT, OPT(max_connections), "N",
	  "open connections at most; at the cap the oldest idle one is closed to make room, and a new one "
	  "is refused only when all are inside requests (default: half the descriptor limit, at most 8192)" },
	{ "max-connections-per-ip", 0, CLI_UINT, OPT(max_connections_per_ip), "N",
	  "open connections from one address at most, making room the same way (default: a quarter of "
	  "--max-connections)" },
	{ "header-timeout", 0, CLI_UINT, OPT(header_timeout), "SECONDS",
	  "close a connection that takes longer to send a request's headers, however steadily it trickles; "
	  "a buffered body must then average 16 KB/s (default 10)" },
	{ "allowed-hosts", 0, CLI_STRING, OPT(allowed_hosts), "LIST",
	  "Host headers to answer, comma-separated, '*' as a wildcard (default localhost and private IPs, any port; "
	  "env MLFLOW_SERVER_ALLOWED_HOSTS)" },
	{ "cors-allowed-origins", 0, CLI_STRING, OPT(cors_allowed_origins), "LIST",
	  "other origins than localhost and the server's own allowed to write through the API, comma-separated, "
	  "'*' as a wildcard (env MLFLOW_SERVER_CORS_ALLOWED_ORIGINS)" },
	{ "disable-security-middleware", 0, CLI_TRUE, OPT(disable_security_middleware), NULL,
	  "no Host, Origin or frame checks and no security headers (env MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE)" },
	{ "x-frame-options", 0, CLI_STRING, OPT(x_frame_options), "VALUE",
	  "SAMEORIGIN (default), DENY, or NONE to allow framing from anywhere (env MLFLOW_SERVER_X_FRAME_OPTIONS)" },
	{ "db-pool-size", 0, CLI_UINT, OPT(db_pool_size), "N",
	  "PostgreSQL connections this server keeps at most (default: --workers + 4; env "
	  "MLFLOW_SQLALCHEMYSTORE_POOL_SIZE plus MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW)" },
	{ "retention-interval", 0, CLI_STRING, OPT(retention_interval), "DURATION",
	  "apply the retention policies (mlflowc retention) every DURATION, e.g. 30m, 6h, 1d (#d#h#m#s, at least 1s), "
	  "the first pass one interval after the start; soft-deleted runs still wait for mlflowc gc (default: off)" },
	{ "app-name", 0, CLI_STRING, OPT(app_name), "NAME",
	  "basic-auth: users, passwords, tokens and permissions, as MLflow's basic-auth app (settings from the "
	  "[mlflow] INI file MLFLOW_AUTH_CONFIG_PATH names; the first admin's password from it or "
	  "MLFLOW_AUTH_ADMIN_PASSWORD; docs/auth.md) (default: none, everyone may do everything)" },
	{ "tls-cert", 0, CLI_STRING, OPT(tls_cert), "FILE",
	  "serve HTTPS with this PEM certificate chain (with --tls-key)" },
	{ "tls-key", 0, CLI_STRING, OPT(tls_key), "FILE", "the PEM private key of --tls-cert" },
	{ 0 },
};

static const struct {
	const char *name;
	enum log_level level;
} log_levels[] = {
	{ "debug", LOG_DEBUG }, { "info", LOG_INFO }, { "warn", LOG_WARN }, { "error", LOG_ERROR },
};

static int apply_log_level(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(log_levels); i++)
		if (strcmp(name, log_levels[i].name) == 0) {
			log_set_level(log_levels[i].level);
			return 0;
		}
	fprintf(stderr, "mlflowc server: unknown log level '%s'\n", name);
	return -1;
}

/* A boolean variable as click reads one; -1 (after a message) for junk. */
static int env_flag(const char *name, bool *out)
{
	static const char *const yes[] = { "1", "true", "t", "yes", "y", "on" };
	static const char *const no[] = { "", "0", "false", "f", "no", "n", "off" };
	const char *v = getenv(name);
	if (!v)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++)
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	fprintf(stderr, "mlflowc server: %s must be true or false, not '%s'\n", name, v);
	return -1;
}

static int check_static_prefix(const char *p)
{
	size_t n = strlen(p);
	if (n && (p[0] != '/' || p[n - 1] == '/')) {
		fprintf(stderr, "mlflowc server: --static-prefix must start with '/' and not end with '/'\n");
		return -1;
	}
	return 0;
}

/* MLflow's pool variables (SQLAlchemy's pool_size + max_overflow: the
 * most connections it opens) as one bound; -1 (after a message) for junk. */
static int env_pool_size(unsigned *out)
{
	static const char *const names[] = { "MLFLOW_SQLALCHEMYSTORE_POOL_SIZE", "MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW" };
	unsigned long total = 0;
	bool any = false;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *v = getenv(names[i]);
		if (!v || !*v)
			continue;
		char *end;
		errno = 0;
		unsigned long n = strtoul(v, &end, 10);
		if (*end || errno || v[0] == '-' || n > 100000) {
			fprintf(stderr, "mlflowc server: %s must be a number of connections, not '%s'\n", names[i], v);
			return -1;
		}
		total += n;
		any = any || i == 0;
	}
	if (any)
		*out = (unsigned)total;
	return 0;
}

/* --retention-interval: a duration of at least a second and at most a
 * year; -1 (after a message) otherwise. */
static int parse_retention_interval(const char *text, bool artifacts_only, int64_t *ms)
{
	struct mlf_err err;
	if (artifacts_only) {
		fprintf(stderr, "mlflowc server: --retention-interval needs a tracking store, not --artifacts-only\n");
		return -1;
	}
	if (store_gc_parse_older_than(text, ms, &err) < 0 || *ms < 1000 || *ms > 366 * 86400000LL) {
		fprintf(stderr,
			"mlflowc server: --retention-interval must be a duration such as 30m, 6h or 1d (#d#h#m#s, from 1s "
			"to 366d), not '%s'\n",
			text);
		return -1;
	}
	return 0;
}

/* The contents of the PEM file `path` (at most 1 MiB) in *out, which the
 * caller frees; -1 with the message printed. */
static int read_pem(const char *flag, const char *path, char **out)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	if (!f) {
		fprintf(stderr, "mlflowc server: %s %s: %s\n", flag, path, strerror(errno));
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.len <= (1u << 20))
		buf_add(&b, chunk, n);
	fclose(f);
	if (b.len > (1u << 20) || b.len == 0 || memchr(b.ptr, 0, b.len)) {
		fprintf(stderr, "mlflowc server: %s %s: not a PEM file of at most 1 MiB\n", flag, path);
		buf_release(&b);
		return -1;
	}
	*out = xstrndup(b.ptr, b.len);
	buf_release(&b);
	return 0;
}

/* --app-name and the auth settings; *on false without auth. */
static int auth_settings(const struct server_settings *s, struct auth_config *cfg, bool *on)
{
	struct mlf_err err;
	*on = false;
	if (!s->app_name)
		return 0;
	if (strcmp(s->app_name, "basic-auth") != 0) {
		fprintf(stderr, "mlflowc server: --app-name: only basic-auth is served, not '%s'\n", s->app_name);
		return -1;
	}
	if (s->artifacts_only) {
		fprintf(stderr, "mlflowc server: --app-name basic-auth needs the tracking store: not with --artifacts-only\n");
		return -1;
	}
	if (auth_config_load(getenv("MLFLOW_AUTH_CONFIG_PATH"), cfg, &err) < 0) {
		fprintf(stderr, "mlflowc server: %s\n", err.msg);
		return -1;
	}
	*on = true;
	return 0;
}

int cmd_server(int argc, char **argv)
{
	struct server_settings s = {
		.backend_store_uri = "sqlite:///mlflow.db",
		.artifacts_destination = "./mlartifacts",
		.serve_artifacts = true,
		.host = "127.0.0.1",
		.port = 5000,
		.workers = 4,
		.static_prefix = "",
		.max_body_mb = 32,
		.idle_timeout = 120,
		.log_level = "info",
		.durability = "normal",
		.allowed_artifact_roots = getenv("MLFLOW_ALLOWED_ARTIFACT_ROOTS"),
		.min_free_disk_mb = 32,
		.allowed_hosts = getenv("MLFLOW_SERVER_ALLOWED_HOSTS"),
		.cors_allowed_origins = getenv("MLFLOW_SERVER_CORS_ALLOWED_ORIGINS"),
		.x_frame_options = getenv("MLFLOW_SERVER_X_FRAME_OPTIONS"),
	};
	if (env_flag("MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE", &s.disable_security_middleware) < 0 ||
	    env_pool_size(&s.db_pool_size) < 0)
		return 2;
	int parsed = cli_parse("server", server_options, argc, argv, &s);
	if (parsed) {
		if (parsed > 0)
			cli_usage(stdout, "server", "Run the tracking server.", server_options);
		return parsed > 0 ? 0 : 2;
	}
	struct store_options so = { .durability = STORE_DURABILITY_NORMAL,
				    .pool_size = s.db_pool_size ? s.db_pool_size : s.workers + 4 };
	if (apply_log_level(s.log_level) < 0 || check_static_prefix(s.static_prefix) < 0)
		return 2;
	if (store_durability_parse(s.durability, &so.durability) < 0) {
		fprintf(stderr, "mlflowc server: --durability must be normal or full, not '%s'\n", s.durability);
		return 2;
	}
	struct mlf_err err;
	struct security_policy security;
	if (security_policy_init(&security, s.allowed_hosts, s.cors_allowed_origins, s.x_frame_options, &err) < 0) {
		fprintf(stderr, "mlflowc server: %s\n", err.msg);
		return 2;
	}

	if (s.artifacts_only && !s.serve_artifacts) {
		fprintf(stderr, "mlflowc server: --artifacts-only needs --serve-artifacts\n");
		security_policy_free(&security);
		return 2;
	}
	int64_t retention_ms = 0;
	if (s.retention_interval && parse_retention_interval(s.retention_interval, s.artifacts_only, &retention_ms) < 0) {
		security_policy_free(&security);
		return 2;
	}
	struct auth_config auth = { 0 };
	bool auth_on;
	char *tls_cert = NULL, *tls_key = NULL;
	if (!s.tls_cert != !s.tls_key) {
		fprintf(stderr, "mlflowc server: --tls-cert and --tls-key go together\n");
		security_policy_free(&security);
		return 2;
	}
	if ((s.tls_cert && (read_pem("--tls-cert", s.tls_cert, &tls_cert) < 0 ||
			    read_pem("--tls-key", s.tls_key, &tls_key) < 0)) ||
	    auth_settings(&s, &auth, &auth_on) < 0) {
		free(tls_cert);
		free(tls_key);
		security_policy_free(&security);
		return 2;
	}
	serve_prepare_process();

	struct tracking_app_config tc = {
		.backend_store_uri = s.backend_store_uri,
		.store = so,
		.default_artifact_root = s.default_artifact_root,
		.artifacts_destination = s.artifacts_destination,
		.serve_artifacts = s.serve_artifacts,
		.artifacts_only = s.artifacts_only,
		.static_prefix = s.static_prefix,
		.allowed_artifact_roots = s.allowed_artifact_roots,
		.max_artifact_mb = s.max_artifact_mb,
		.min_free_disk_mb = s.min_free_disk_mb,
		.security = s.disable_security_middleware ? NULL : &security,
		.auth = auth_on ? &auth : NULL,
		.tls = tls_cert != NULL,
	};
	struct tracking_app t;
	struct http_config hc = { s.host, s.port, s.workers, (size_t)s.max_body_mb << 20, s.idle_timeout,
				  s.max_connections, s.max_connections_per_ip, s.header_timeout, tls_cert, tls_key };
	int rc = 1;
	if (tracking_app_open(&tc, &t, &err) == 0) {
		struct retention_schedule *retention = NULL;
		if (retention_ms && !(retention = retention_schedule_start(t.store, t.artifacts, t.roots, retention_ms, &err))) {
			tracking_app_close(&t);
			fprintf(stderr, "mlflowc server: %s\n", err.msg);
			security_policy_free(&security);
			auth_config_release(&auth);
			free(tls_cert);
			free(tls_key);
			return 1;
		}
		struct serve_handlers handlers = { api_handle, api_stream, &t.app };
		struct buf detail = BUF_INIT;
		buf_addf(&detail, "store %s", s.artifacts_only ? "none: --artifacts-only" : s.backend_store_uri);
		if (serve_until_signal(&hc, &handlers, "mlflowc " MLF_VERSION, detail.ptr, &err) == 0)
			rc = 0;
		buf_release(&detail);
		retention_schedule_stop(retention); /* a pass under way ends at its next step */
		tracking_app_close(&t);
	}
	if (rc)
		fprintf(stderr, "mlflowc server: %s\n", err.msg);
	security_policy_free(&security);
	auth_config_release(&auth);
	free(tls_cert);
	if (tls_key) { /* the private key does not outlive its use in memory */
		memset(tls_key, 0, strlen(tls_key));
		free(tls_key);
	}
	if (rc == 0)
		log_info("bye");
	return rc;
}
