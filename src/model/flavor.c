/*
 * flavor.c - the table of ways to run a model, and the choice among them;
 * see flavor.h. Native flavors come first: a model that has both an
 * xgboost and a python_function flavor is served by libxgboost, without
 * Python.
 */
#include "flavor.h"

extern const struct flavor_ops flavor_xgboost;
extern const struct flavor_ops flavor_cfunc;
extern const struct flavor_ops flavor_python;

static const struct flavor_ops *const flavors[] = {
	&flavor_xgboost,
	&flavor_cfunc,
	&flavor_python, /* last: any python_function model, in Python workers */
};

const struct flavor_ops *const *flavor_table(size_t *n)
{
	*n = ARRAY_SIZE(flavors);
	return flavors;
}

const struct flavor_ops *flavor_choose(const struct model_dir *md, const char *name, struct mlf_err *err)
{
	char why[256];
	struct buf reasons = BUF_INIT;
	const struct flavor_ops *chosen = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(flavors) && !chosen; i++) {
		if (name && strcmp(name, flavors[i]->name) != 0)
			continue;
		why[0] = '\0';
		if (flavors[i]->accepts(md, why, sizeof(why)))
			chosen = flavors[i];
		else
			buf_addf(&reasons, "%s%s: %s", reasons.len ? "; " : "", flavors[i]->name, why);
	}
	if (!chosen) {
		struct buf have = BUF_INIT;
		const char *key;
		json_t *v;
		json_object_foreach((json_t *)md->ml.flavors, key, v) {
			(void)v;
			buf_addf(&have, "%s%s", have.len ? ", " : "", key);
		}
		if (name && !reasons.len)
			mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "Unknown flavor '%s'", name);
		else
			mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "No way to serve this model (flavors: %s): %s",
				   have.len ? have.ptr : "none", reasons.ptr ? reasons.ptr : "");
		buf_release(&have);
	}
	buf_release(&reasons);
	return chosen;
}
