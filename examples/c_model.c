/*
 * c_model.c - a model written in C for mlflowc's c_function flavor
 * (include/mlflowc_model.h): a linear model, y = bias + sum(w_i * x_i),
 * whose weights are a text file in the model directory named by the
 * flavor's `weights` key ("bias w1 w2 ..."). Built as a shared object:
 *
 *     cc -shared -fPIC -O2 -Iinclude -o model.so examples/c_model.c
 *
 * examples/log_c_model.c logs such a model to a tracking server with the
 * C client and registers it; `mlflowc models serve -m models:/NAME/1` then
 * serves it with no Python at all.
 */
#include <mlflowc_model.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_WEIGHTS 4096

struct linear {
	size_t n;
	double bias;
	double w[MAX_WEIGHTS];
};

int mlflowc_model_abi_version(void)
{
	return MLFLOWC_MODEL_ABI;
}

unsigned mlflowc_model_flags(void)
{
	return MLFLOWC_MODEL_THREAD_SAFE; /* predict only reads the weights */
}

/* The string value of "key" in a flat JSON object (the flavor's config);
 * enough for this example's own keys, which hold plain file names. */
static int config_string(const char *json, const char *key, char *out, size_t size)
{
	char pattern[128];
	snprintf(pattern, sizeof(pattern), "\"%s\":\"", key);
	const char *p = strstr(json, pattern);
	if (!p)
		return -1;
	p += strlen(pattern);
	const char *end = strchr(p, '"');
	if (!end || (size_t)(end - p) >= size || memchr(p, '\\', (size_t)(end - p)))
		return -1;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return strstr(out, "..") || out[0] == '/' ? -1 : 0;
}

void *mlflowc_model_load(const char *model_dir, const char *config_json, char *error, size_t error_size)
{
	char name[256], path[4096];
	if (config_string(config_json, "weights", name, sizeof(name)) < 0) {
		snprintf(error, error_size, "the c_function flavor needs a \"weights\" file name");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", model_dir, name);
	struct stat st;
	FILE *f = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? fopen(path, "r") : NULL; /* no FIFO: it would block */
	if (!f) {
		snprintf(error, error_size, "cannot open %s", name);
		return NULL;
	}
	struct linear *m = calloc(1, sizeof(*m));
	if (!m || fscanf(f, "%lf", &m->bias) != 1) {
		snprintf(error, error_size, "%s holds no bias", name);
		fclose(f);
		free(m);
		return NULL;
	}
	while (m->n < MAX_WEIGHTS && fscanf(f, "%lf", &m->w[m->n]) == 1)
		m->n++;
	fclose(f);
	return m;
}

int mlflowc_model_predict(void *model, const struct mlflowc_model_input *in, struct mlflowc_model_output *out,
			  char *error, size_t error_size)
{
	const struct linear *m = model;
	if (!in->values || in->n_cols != m->n) {
		snprintf(error, error_size, "expected %zu numeric columns, got %zu", m->n, in->n_cols);
		return 1;
	}
	out->values = malloc((in->n_rows ? in->n_rows : 1) * sizeof(double));
	if (!out->values) {
		snprintf(error, error_size, "out of memory");
		return 1;
	}
	out->n_rows = in->n_rows;
	out->n_cols = 1;
	for (size_t r = 0; r < in->n_rows; r++) {
		double y = m->bias;
		for (size_t c = 0; c < in->n_cols; c++)
			y += m->w[c] * in->values[c * in->n_rows + r]; /* column-major */
		out->values[r] = y;
	}
	return 0;
}

void mlflowc_model_free_output(void *model, struct mlflowc_model_output *out)
{
	(void)model;
	free(out->values);
	free(out->json);
}

void mlflowc_model_unload(void *model)
{
	free(model);
}
