/*
 * mlmodel.h - a model directory's MLmodel file: its flavors, signature and
 * input example description, as MLflow writes them (spec §9).
 *
 * The whole file is kept as a JSON tree (`doc`), so keys this reader does
 * not know are preserved for whoever writes the model out again; the
 * fields below are views into it. The signature's inputs, outputs and
 * params are JSON strings inside the YAML; they are parsed into specs that
 * the scoring layer enforces. Everything is checked on reading: a file
 * that is not a mapping, has no flavors, or whose signature does not parse
 * is refused with a message saying what is wrong, so serving never starts
 * on a half-read model.
 */
#ifndef MLF_MLMODEL_H
#define MLF_MLMODEL_H

#include "../base/err.h"
#include <jansson.h>

/* The value types of a column spec (MLflow's DataType), and "tensor". */
#define MLMODEL_TYPES(X)              \
	X(BOOLEAN, "boolean")         \
	X(INTEGER, "integer")         \
	X(LONG, "long")               \
	X(FLOAT, "float")             \
	X(DOUBLE, "double")           \
	X(STRING, "string")           \
	X(BINARY, "binary")           \
	X(DATETIME, "datetime")       \
	X(ARRAY, "array")             \
	X(OBJECT, "object")           \
	X(MAP, "map")                 \
	X(ANY, "any")                 \
	X(SPARKML_VECTOR, "sparkml_vector") \
	X(TENSOR, "tensor")

enum mlmodel_type {
#define X(id, name) MLMODEL_##id,
	MLMODEL_TYPES(X)
#undef X
	MLMODEL_TYPE_COUNT
};

#define MLMODEL_MAX_SPECS 4096 /* columns or tensors in one schema */
#define MLMODEL_MAX_RANK 32    /* dimensions of one tensor */

/* One column or tensor of a schema. Strings borrow from the model. */
struct mlmodel_spec {
	const char *name;         /* NULL when the spec has none */
	enum mlmodel_type type;
	bool required;            /* MLflow's default: true */
	const json_t *detail;     /* the spec's JSON (items/properties/values of composite types) */
	/* tensors only */
	const char *dtype;        /* numpy's name: "float64", "int64", "object", ... */
	size_t rank;
	int64_t shape[MLMODEL_MAX_RANK]; /* -1: any size */
};

struct mlmodel_schema {
	bool present;             /* the signature has this part */
	bool tensors;             /* all specs are tensors (else all are columns) */
	size_t n;
	struct mlmodel_spec *specs;
};

/* One parameter of the params schema. */
struct mlmodel_param {
	const char *name;
	enum mlmodel_type type;
	const json_t *default_value; /* borrowed; JSON null when the default is None */
	bool is_list;                /* shape [-1]: a list of values of `type` */
};

struct mlmodel {
	json_t *doc;                  /* the whole file; owned */
	const json_t *flavors;        /* object: flavor name -> config; never NULL once read */
	const char *run_id;           /* these are NULL when absent */
	const char *artifact_path;
	const char *model_uuid;
	const char *model_id;
	const char *mlflow_version;
	const char *utc_time_created;
	bool has_signature;
	struct mlmodel_schema inputs, outputs;
	size_t n_params;
	struct mlmodel_param *params;
	/* saved_input_example_info, when present */
	const char *example_path;     /* relative path of input_example.json */
	const char *example_type;     /* dataframe, ndarray, json_object, ... */
	const char *serving_example_path; /* relative path of serving_input_example.json */
	/* the signature's parsed JSON, owned (specs point into them) */
	json_t *sig_inputs, *sig_outputs, *sig_params;
};

/* Reads MLmodel text into *m (zeroed first). Returns 0, or -1 with
 * INVALID_PARAMETER_VALUE saying what is wrong; *m is then empty. The
 * model owns everything; release it with mlmodel_release(). */
int mlmodel_parse(const char *text, size_t len, struct mlmodel *m, struct mlf_err *err);
void mlmodel_release(struct mlmodel *m);

/* The configuration of flavor `name`, or NULL; borrowed from the model. */
const json_t *mlmodel_flavor(const struct mlmodel *m, const char *name);

/* A string field of a flavor's configuration, or NULL. */
const char *mlmodel_flavor_string(const struct mlmodel *m, const char *flavor, const char *key);

/* The MLflow name of a type ("double"), and the reverse (-1 when unknown). */
const char *mlmodel_type_name(enum mlmodel_type type);
int mlmodel_type_of(const char *name);

#endif
