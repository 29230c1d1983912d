/*
 * auth_permission.h - MLflow's permission levels (spec §14.4) and their
 * names on the wire. A level grants everything the levels below it grant:
 * NO_PERMISSIONS < READ < USE < EDIT < MANAGE, so "may do X" is a
 * comparison with the level X needs.
 */
#ifndef MLF_AUTH_PERMISSION_H
#define MLF_AUTH_PERMISSION_H

#include "../base/common.h"

enum auth_permission {
	AUTH_PERM_NONE,   /* NO_PERMISSIONS */
	AUTH_PERM_READ,
	AUTH_PERM_USE,    /* MLflow 3.9+: READ and use (gateway); ranks between READ and EDIT */
	AUTH_PERM_EDIT,
	AUTH_PERM_MANAGE,
};

/* MLflow's name of `p` ("READ", "NO_PERMISSIONS"...), static. */
const char *auth_permission_name(enum auth_permission p);
/* Parses MLflow's permission name (exact, upper case as MLflow writes it);
 * false when unknown. */
bool auth_permission_parse(const char *name, enum auth_permission *out);

#endif
