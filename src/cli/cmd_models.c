/*
 * cmd_models.c - `mlflowc models ...`: commands that ask a running server
 * about the model registry. `models history NAME` prints the audit trail
 * of stage transitions and alias moves (GET /api/2.0/mlflowc/registered-
 * models/history) as a table, or as the server's JSON with --json.
 *
 * This is a client: it talks HTTP through libcurl to the server named by
 * --tracking-uri, MLFLOW_TRACKING_URI or http://127.0.0.1:5000, and never
 * opens a database. Exit codes: 0 done, 1 the server refused (unknown
 * model, bad version: its message is printed), 2 bad usage, 3 the server
 * could not be reached or answered something that is not MLflow's JSON.
 */
#include "cli.h"
#include "../base/buf.h"
#include <curl/curl.h>
#include <jansson.h>
#include <stdlib.h>
#include <time.h>

#define DEFAULT_TRACKING_URI "http://127.0.0.1:5000"
#define HISTORY_PATH "/api/2.0/mlflowc/registered-models/history"
#define HTTP_TIMEOUT_SECONDS 30L

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

struct history_settings {
	const char *tracking_uri;
	const char *version;
	bool json;
};

#define OPT(field) offsetof(struct history_settings, field)

static const struct cli_option history_options[] = {
	{ "tracking-uri", 0, CLI_STRING, OPT(tracking_uri), "URI",
	  "server to ask (default $MLFLOW_TRACKING_URI, else " DEFAULT_TRACKING_URI ")" },
	{ "version", 0, CLI_STRING, OPT(version), "N", "only the changes of version N" },
	{ "json", 0, CLI_TRUE, OPT(json), NULL, "print the server's JSON instead of a table" },
	{ 0 },
};

#undef OPT

/* ---- HTTP ------------------------------------------------------------------ */

static size_t collect(char *data, size_t size, size_t n, void *bufv)
{
	buf_add(bufv, data, size * n);
	return size * n;
}

/* The request URL, with the name (and version) percent-encoded; caller
 * frees it with buf_release(). */
static int history_url(CURL *curl, const struct history_settings *s, const char *name, struct buf *url)
{
	size_t len = strlen(s->tracking_uri);
	while (len && s->tracking_uri[len - 1] == '/')
		len--;
	char *qname = curl_easy_escape(curl, name, 0);
	char *qversion = s->version ? curl_easy_escape(curl, s->version, 0) : NULL;
	if (!qname || (s->version && !qversion)) {
		curl_free(qname);
		return -1;
	}
	buf_addf(url, "%.*s" HISTORY_PATH "?name=%s", (int)len, s->tracking_uri, qname);
	if (qversion)
		buf_addf(url, "&version=%s", qversion);
	curl_free(qname);
	curl_free(qversion);
	return 0;
}

/* GETs the history into `body`; *status is the HTTP status. Returns 0, or
 * -1 after printing why the server could not be reached. */
static int fetch_history(const struct history_settings *s, const char *name, struct buf *body, long *status)
{
	struct buf url = BUF_INIT;
	CURL *curl = curl_easy_init();
	CURLcode rc = CURLE_FAILED_INIT;
	if (curl && history_url(curl, s, name, &url) == 0) {
		curl_easy_setopt(curl, CURLOPT_URL, url.ptr);
		curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
		curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
		curl_easy_setopt(curl, CURLOPT_TIMEOUT, HTTP_TIMEOUT_SECONDS);
		curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
		rc = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
	}
	if (rc != CURLE_OK)
		fprintf(stderr, "mlflowc models history: cannot reach '%s': %s\n", url.len ? url.ptr : s->tracking_uri,
			curl_easy_strerror(rc));
	curl_easy_cleanup(curl);
	buf_release(&url);
	return rc == CURLE_OK ? 0 : -1;
}

/* ---- output ------------------------------------------------------------------ */

static const char *field(json_t *ev, const char *key)
{
	const char *v = json_string_value(json_object_get(ev, key));
	return v ? v : "";
}

/* "2026-01-31 12:00:00.123" in UTC for epoch milliseconds. */
static void format_time(int64_t ms, char out[32])
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&secs, &tm) || !strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm)) {
		snprintf(out, 32, "%lld", (long long)ms);
		return;
	}
	size_t n = strlen(out);
	snprintf(out + n, 32 - n, ".%03d", (int)(ms % 1000));
}

/* What moved: "Staging -> Production", "@champion -> 3", "@champion 3 -> (removed)". */
static void describe_change(json_t *ev, char *out, size_t size)
{
	const char *from = field(ev, "from"), *to = field(ev, "to");
	snprintf(out, size, "%s -> %s", *from ? from : "(none)", *to ? to : "(removed)");
}

static void print_table(json_t *history)
{
	size_t i;
	json_t *ev;
	printf("%-6s %-23s %-7s %-6s %-16s %-28s %-12s %s\n", "EVENT", "TIME (UTC)", "VERSION", "KIND", "ALIAS",
	       "CHANGE", "USER", "COMMENT");
	json_array_foreach(history, i, ev)
	{
		char when[32], change[96];
		format_time(json_integer_value(json_object_get(ev, "timestamp")), when);
		describe_change(ev, change, sizeof(change));
		printf("%-6lld %-23s %-7s %-6s %-16s %-28s %-12s %s\n",
		       (long long)json_integer_value(json_object_get(ev, "event_id")), when, field(ev, "version"),
		       field(ev, "kind"), *field(ev, "alias") ? field(ev, "alias") : "-", change, field(ev, "user_id"),
		       field(ev, "comment"));
	}
	if (!json_array_size(history))
		printf("(no stage transitions or alias moves recorded)\n");
}

/* Prints the answer; returns the exit code. */
static int report(const struct history_settings *s, long status, const struct buf *body)
{
	json_error_t jerr;
	json_t *doc = json_loadb(body->ptr ? body->ptr : "", body->len, 0, &jerr);
	int rc = EXIT_OK;
	if (!json_is_object(doc)) {
		fprintf(stderr, "mlflowc models history: the server answered HTTP %ld without MLflow's JSON\n", status);
		rc = EXIT_UNREACHABLE;
	} else if (status != 200) {
		fprintf(stderr, "mlflowc models history: %s: %s\n", field(doc, "error_code"), field(doc, "message"));
		rc = EXIT_REFUSED;
	} else if (s->json) {
		printf("%.*s\n", (int)body->len, body->ptr);
	} else {
		print_table(json_object_get(doc, "history"));
	}
	json_decref(doc);
	return rc;
}

/* ---- commands -------------------------------------------------------------------- */

static int models_history(int argc, char **argv)
{
	static const char summary[] = "Print the recorded stage transitions and alias moves of registered model NAME,\n"
				      "oldest first. Exit codes: 0 done, 1 the server refused (e.g. unknown model),\n"
				      "2 bad usage, 3 server unreachable.";
	struct history_settings s = { .tracking_uri = getenv("MLFLOW_TRACKING_URI") };
	if (argc < 1 || argv[0][0] == '-') {
		FILE *f = argc >= 1 && !strcmp(argv[0], "--help") ? stdout : stderr;
		cli_usage(f, "models history NAME", summary, history_options);
		return f == stdout ? EXIT_OK : EXIT_USAGE;
	}
	int rc = cli_parse("models history", history_options, argc - 1, argv + 1, &s);
	if (rc != 0) {
		if (rc > 0)
			cli_usage(stdout, "models history NAME", summary, history_options);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	if (!s.tracking_uri || !*s.tracking_uri)
		s.tracking_uri = DEFAULT_TRACKING_URI;
	struct buf body = BUF_INIT;
	long status = 0;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = fetch_history(&s, argv[0], &body, &status) < 0 ? EXIT_UNREACHABLE : report(&s, status, &body);
	buf_release(&body);
	curl_global_cleanup();
	return rc;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} model_commands[] = {
	{ "history", models_history, "stage transitions and alias moves of a registered model" },
};

static void models_usage(FILE *f)
{
	fprintf(f, "usage: mlflowc models <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(model_commands); i++)
		fprintf(f, "  %-10s %s\n", model_commands[i].name, model_commands[i].summary);
}

int cmd_models(int argc, char **argv)
{
	if (argc >= 1 && !strcmp(argv[0], "--help")) {
		models_usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; argc >= 1 && i < ARRAY_SIZE(model_commands); i++)
		if (!strcmp(argv[0], model_commands[i].name))
			return model_commands[i].fn(argc - 1, argv + 1);
	if (argc >= 1)
		fprintf(stderr, "mlflowc models: unknown command '%s'\n\n", argv[0]);
	models_usage(stderr);
	return EXIT_USAGE;
}
