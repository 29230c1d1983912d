/*
 * auth_config.h - the basic-auth app's settings: the `[mlflow]` section of
 * the INI file at MLFLOW_AUTH_CONFIG_PATH (spec §14.1), with MLflow's keys:
 * default_permission, database_uri, admin_username, admin_password,
 * auth_cache_ttl_seconds (and authorization_function, accepted only with
 * MLflow's basic-auth value). Other keys of MLflow's file are accepted and
 * ignored; other sections are skipped.
 *
 * The parser takes Python configparser's common syntax: "key = value" or
 * "key: value", '#' or ';' comment lines, blank lines, section headers,
 * keys case-insensitive, values trimmed. Continuation lines, interpolation
 * and duplicate keys are refused with the line number, not guessed at.
 * Lines are at most 4096 bytes; a file at most 64 KiB.
 *
 * Unlike MLflow, there is no packaged default admin password: with none
 * configured (in the file or MLFLOW_AUTH_ADMIN_PASSWORD), a server whose
 * store has no admin yet refuses to start.
 */
#ifndef MLF_AUTH_CONFIG_H
#define MLF_AUTH_CONFIG_H

#include "../base/common.h"
#include "../base/err.h"
#include "auth_permission.h"

struct auth_config {
	enum auth_permission default_permission; /* READ when unset, as MLflow */
	char *database_uri;    /* NULL: unset (users live in the tracking store) */
	char *admin_username;  /* "admin" when unset */
	char *admin_password;  /* NULL when unset: no default password */
	int64_t cache_ttl_ms;  /* auth_cache_ttl_seconds * 1000; default 30000 */
};

/* Reads the INI text `text` (`len` bytes; `name` for messages) into *cfg,
 * over the defaults. The strings of *cfg are owned by it
 * (auth_config_release). -1 with `err` (INVALID_PARAMETER_VALUE, naming
 * the line) on a syntax error or a bad value; *cfg then holds nothing. */
int auth_config_parse(const char *text, size_t len, const char *name, struct auth_config *cfg, struct mlf_err *err);

/* The defaults, then the file at `path` (NULL: none) if given, then
 * MLFLOW_AUTH_ADMIN_PASSWORD from the environment over admin_password. */
int auth_config_load(const char *path, struct auth_config *cfg, struct mlf_err *err);

void auth_config_release(struct auth_config *cfg);

#endif
