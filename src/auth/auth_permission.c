/*
 * auth_permission.c - MLflow's permission levels by name: one table in
 * rank order, so a name and its level are written once.
 */
#include "auth_permission.h"

static const struct {
	enum auth_permission level;
	const char *name;
} auth_permission_names[] = {
	{ AUTH_PERM_NONE, "NO_PERMISSIONS" },
	{ AUTH_PERM_READ, "READ" },
	{ AUTH_PERM_USE, "USE" },
	{ AUTH_PERM_EDIT, "EDIT" },
	{ AUTH_PERM_MANAGE, "MANAGE" },
};

const char *auth_permission_name(enum auth_permission p)
{
	for (size_t i = 0; i < ARRAY_SIZE(auth_permission_names); i++)
		if (auth_permission_names[i].level == p)
			return auth_permission_names[i].name;
	return "NO_PERMISSIONS";
}

bool auth_permission_parse(const char *name, enum auth_permission *out)
{
	if (!name)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(auth_permission_names); i++)
		if (strcmp(auth_permission_names[i].name, name) == 0) {
			*out = auth_permission_names[i].level;
			return true;
		}
	return false;
}
