/*
 * test_client_registry_driver.c - drives libmlflowc's artifact and registry
 * API directly (not through the CLI) against a real server, checking what a
 * host program sees: struct fields, out-parameters on failure, result codes
 * for bad arguments and small buffers, error texts. Built and run by
 * test_cli_artifacts_models.py: `driver URL TMPDIR`. Prints one line per
 * failed check on stderr; exit 0 when every check holds.
 */
#include "mlflowc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                                                      \
	do {                                                                                             \
		if (!(cond)) {                                                                           \
			fprintf(stderr, "line %d: CHECK(%s) failed; last error: %s\n", __LINE__, #cond,  \
				mlf_last_error());                                                       \
			failures++;                                                                      \
		}                                                                                        \
	} while (0)

static void bad_arguments(mlf_client *c)
{
	struct mlf_artifacts *a = (struct mlf_artifacts *)&a; /* not NULL, to see it cleared */
	struct mlf_model_versions *v = (struct mlf_model_versions *)&v;
	char buf[64];
	CHECK(mlf_log_artifact(NULL, "r", "/etc/hostname", NULL) == MLF_CLIENT_ERR_INVALID);
	CHECK(mlf_log_artifacts(c, "r", NULL, NULL) == MLF_CLIENT_ERR_INVALID);
	CHECK(mlf_artifact_list(c, NULL, NULL, &a) == MLF_CLIENT_ERR_INVALID && a == NULL);
	CHECK(mlf_artifact_list(c, "r", "../up", &a) == MLF_CLIENT_ERR_INVALID && a == NULL);
	CHECK(mlf_artifact_download(c, "r", "a/../../b", NULL, buf, sizeof(buf)) == MLF_CLIENT_ERR_INVALID);
	CHECK(mlf_artifact_download_uri(c, "", NULL, buf, sizeof(buf)) == MLF_CLIENT_ERR_INVALID);
	CHECK(mlf_model_version_get(c, "m", NULL, &v) == MLF_CLIENT_ERR_INVALID);
	CHECK(mlf_model_version_latest(c, "m", "Live", &v) == MLF_CLIENT_ERR_INVALID && v == NULL);
	CHECK(mlf_model_uri_resolve(c, "runs:/x/y", buf, sizeof(buf)) == MLF_CLIENT_ERR_INVALID);
	CHECK(mlf_model_uri_resolve(c, "models:/only-a-name", buf, sizeof(buf)) == MLF_CLIENT_ERR_INVALID);
	CHECK(mlf_model_version_transition_stage(c, "m", "1", NULL, 0, NULL) == MLF_CLIENT_ERR_INVALID);
	CHECK(mlf_register_model(c, NULL, "m", NULL) == MLF_CLIENT_ERR_INVALID);
	mlf_artifacts_free(NULL);
	mlf_model_versions_free(NULL);
	mlf_registered_models_free(NULL);
	mlf_model_events_free(NULL);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: driver URL TMPDIR\n");
		return 2;
	}
	mlf_client *c;
	char why[256], exp[32];
	if (mlf_client_open(argv[1], NULL, &c, why, sizeof(why)) != MLF_CLIENT_OK) {
		fprintf(stderr, "open: %s\n", why);
		return 1;
	}
	bad_arguments(c);

	mlf_run *run;
	CHECK(mlf_experiment_get_or_create(c, "driver", exp) == MLF_CLIENT_OK);
	CHECK(mlf_run_start(c, exp, "driver", &run) == MLF_CLIENT_OK);
	char file[4096], dir[4096];
	snprintf(dir, sizeof(dir), "%s/model", argv[2]);
	snprintf(file, sizeof(file), "%s/model/MLmodel", argv[2]);
	FILE *f = fopen(file, "w");
	if (!f || fputs("flavors: {}\n", f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", file);
		return 1;
	}
	const char *run_id = mlf_run_id(run);
	CHECK(mlf_log_artifacts(c, run_id, dir, "model") == MLF_CLIENT_OK);

	struct mlf_artifacts *a = NULL;
	CHECK(mlf_artifact_list(c, run_id, "model", &a) == MLF_CLIENT_OK);
	CHECK(a && a->count == 1 && !strcmp(a->items[0].path, "model/MLmodel") && !a->items[0].is_dir &&
	      a->items[0].file_size == 12 && strstr(a->json, "\"files\""));
	mlf_artifacts_free(a);
	CHECK(mlf_artifact_list(c, run_id, NULL, &a) == MLF_CLIENT_OK);
	CHECK(a && a->count == 1 && a->items[0].is_dir && a->items[0].file_size == -1);
	mlf_artifacts_free(a);

	char local[8];
	char dst[4096];
	snprintf(dst, sizeof(dst), "%s/dst", argv[2]);
	CHECK(mlf_artifact_download(c, run_id, "model", dst, local, sizeof(local)) == MLF_CLIENT_ERR_INVALID);
	CHECK(strstr(mlf_last_error(), "does not fit") != NULL);

	char version[32] = "";
	char uri[300];
	snprintf(uri, sizeof(uri), "runs:/%s/model", run_id);
	CHECK(mlf_register_model(c, uri, "drv", version) == MLF_CLIENT_OK && !strcmp(version, "1"));
	CHECK(mlf_registered_model_create(c, "drv", NULL) == MLF_CLIENT_ERR_SERVER &&
	      strstr(mlf_last_error(), "RESOURCE_ALREADY_EXISTS"));
	CHECK(mlf_model_version_create(c, "drv", "s3://bucket/elsewhere", NULL, 0, version) == MLF_CLIENT_OK &&
	      !strcmp(version, "2"));

	struct mlf_model_versions *v = NULL;
	CHECK(mlf_model_version_transition_stage(c, "drv", "1", "staging", 0, &v) == MLF_CLIENT_OK);
	CHECK(v && v->count == 1 && !strcmp(v->items[0].current_stage, "Staging") &&
	      !strcmp(v->items[0].run_id, run_id) && v->items[0].creation_timestamp > 0);
	mlf_model_versions_free(v);
	CHECK(mlf_model_alias_set(c, "drv", "a1", "1") == MLF_CLIENT_OK);
	CHECK(mlf_model_version_by_alias(c, "drv", "a1", &v) == MLF_CLIENT_OK);
	CHECK(v && v->items[0].n_aliases == 1 && !strcmp(v->items[0].aliases[0], "a1") &&
	      !strcmp(v->items[0].status, "READY") && strstr(v->json, "\"model_version\""));
	mlf_model_versions_free(v);
	CHECK(mlf_model_version_latest(c, "drv", NULL, &v) == MLF_CLIENT_OK && v && !strcmp(v->items[0].version, "2"));
	mlf_model_versions_free(v);
	v = (struct mlf_model_versions *)&v;
	CHECK(mlf_model_version_latest(c, "drv", "production", &v) == MLF_CLIENT_ERR_SERVER && v == NULL &&
	      strstr(mlf_last_error(), "RESOURCE_DOES_NOT_EXIST"));

	struct mlf_registered_models *m = NULL;
	CHECK(mlf_registered_model_search(c, "name = 'drv'", &m) == MLF_CLIENT_OK);
	CHECK(m && m->count == 1 && !strcmp(m->items[0].name, "drv") && m->items[0].n_aliases == 1 &&
	      !strcmp(m->items[0].aliases[0].alias, "a1") && !strcmp(m->items[0].aliases[0].version, "1") &&
	      m->items[0].n_latest_versions == 2);
	mlf_registered_models_free(m);

	char source[512], tiny[4];
	CHECK(mlf_model_uri_resolve(c, "models:/drv/Staging", source, sizeof(source)) == MLF_CLIENT_OK &&
	      strstr(source, run_id) && strstr(source, "/artifacts/model"));
	CHECK(mlf_model_uri_resolve(c, "models:/drv@a1", tiny, sizeof(tiny)) == MLF_CLIENT_ERR_INVALID);
	CHECK(mlf_model_version_download_uri(c, "drv", "2", source, sizeof(source)) == MLF_CLIENT_OK &&
	      !strcmp(source, "s3://bucket/elsewhere"));

	struct mlf_model_events *h = NULL;
	CHECK(mlf_model_history(c, "drv", NULL, &h) == MLF_CLIENT_OK);
	CHECK(h && h->count == 2 && !strcmp(h->items[0].kind, "stage") && !strcmp(h->items[0].to, "Staging") &&
	      !strcmp(h->items[1].kind, "alias") && !strcmp(h->items[1].alias, "a1") && !*h->items[1].from);
	mlf_model_events_free(h);

	CHECK(mlf_model_alias_delete(c, "drv", "a1") == MLF_CLIENT_OK);
	CHECK(mlf_model_alias_delete(c, "drv", "a1") == MLF_CLIENT_OK); /* not set: still fine */
	CHECK(mlf_run_end(run, MLF_RUN_FINISHED) == MLF_CLIENT_OK);
	CHECK(mlf_client_close(c) == MLF_CLIENT_OK);
	if (!failures)
		printf("ok\n");
	return failures ? 1 : 0;
}
