/*
 * auth_config.c - the basic-auth INI file read as Python's configparser
 * reads it, for the subset auth_config.h names, and refused with the line
 * number wherever configparser would read something we do not.
 *
 * A line is, after stripping blanks: empty; a comment ('#' or ';' first);
 * a section header "[name]" (everything between the first '[' and the
 * last ']', as configparser's pattern takes it); or "key = value" /
 * "key: value", split at the first '=' or ':' whichever comes first. A
 * line that starts with a blank and is not empty or a comment would be a
 * continuation (or an indented key) in configparser: refused. Keys are
 * case-insensitive; a key twice in one section, or a section twice, is
 * refused (configparser's strict mode). Values of [DEFAULT] apply to
 * [mlflow] where it does not set them, as configparser's do. In the
 * values we read, "%%" is a '%' (configparser's escape) and any other
 * '%' would be interpolation: refused. Inline comments are not comments
 * (configparser's default): "key = a ; b" is "a ; b".
 */
#include "auth_config.h"

#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

#include "../base/buf.h"
#include "auth_cache.h" /* AUTH_USERNAME_MAX */

#define AUTH_CONFIG_LINE_MAX 4096
#define AUTH_CONFIG_FILE_MAX (64 * 1024)
#define AUTH_CONFIG_TTL_MAX_S (INT64_C(365) * 24 * 3600)
#define MLFLOW_BASIC_AUTH_FUNCTION "mlflow.server.auth:authenticate_request_basic_auth"

/* The keys we read, in the order their values are checked. */
enum config_key {
	KEY_DEFAULT_PERMISSION,
	KEY_DATABASE_URI,
	KEY_ADMIN_USERNAME,
	KEY_ADMIN_PASSWORD,
	KEY_CACHE_TTL,
	KEY_AUTHORIZATION_FUNCTION,
	KEY_COUNT,
};

static const char *const config_key_names[KEY_COUNT] = {
	[KEY_DEFAULT_PERMISSION] = "default_permission",
	[KEY_DATABASE_URI] = "database_uri",
	[KEY_ADMIN_USERNAME] = "admin_username",
	[KEY_ADMIN_PASSWORD] = "admin_password",
	[KEY_CACHE_TTL] = "auth_cache_ttl_seconds",
	[KEY_AUTHORIZATION_FUNCTION] = "authorization_function",
};

/* A value of a key we read: where it is in the text. */
struct config_value {
	const char *at;
	size_t len;
	int line; /* 0: not set */
};

/* A set of names seen (sections of the file, keys of one section), by
 * position in the text: an open-addressing hash, grown when half full. */
struct seen_set {
	struct seen_name {
		const char *at;
		size_t len;
	} *slots;
	size_t cap, n;
	bool fold_case;
};

static uint64_t name_hash(const char *s, size_t n, bool fold)
{
	uint64_t h = 1469598103934665603u;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (fold && c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		h = (h ^ c) * 1099511628211u;
	}
	return h;
}

static bool name_same(const struct seen_name *a, const char *s, size_t n, bool fold)
{
	return a->len == n && (fold ? strncasecmp(a->at, s, n) == 0 : memcmp(a->at, s, n) == 0);
}

/* Adds the name; false when it was there already. */
static bool seen_add(struct seen_set *set, const char *s, size_t n)
{
	if (2 * (set->n + 1) > set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 16;
		struct seen_name *slots = calloc(cap, sizeof(*slots));
		if (!slots)
			abort();
		for (size_t i = 0; i < set->cap; i++)
			if (set->slots[i].at) {
				size_t j = name_hash(set->slots[i].at, set->slots[i].len, set->fold_case) & (cap - 1);
				while (slots[j].at)
					j = (j + 1) & (cap - 1);
				slots[j] = set->slots[i];
			}
		free(set->slots);
		set->slots = slots;
		set->cap = cap;
	}
	size_t j = name_hash(s, n, set->fold_case) & (set->cap - 1);
	while (set->slots[j].at) {
		if (name_same(&set->slots[j], s, n, set->fold_case))
			return false;
		j = (j + 1) & (set->cap - 1);
	}
	set->slots[j] = (struct seen_name){ s, n };
	set->n++;
	return true;
}

static void seen_clear(struct seen_set *set)
{
	free(set->slots);
	set->slots = NULL;
	set->cap = set->n = 0;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void config_defaults(struct auth_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->default_permission = AUTH_PERM_READ;
	cfg->admin_username = strdup("admin");
	cfg->cache_ttl_ms = 30000;
}

void auth_config_release(struct auth_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->database_uri);
	free(cfg->admin_username);
	if (cfg->admin_password) {
		explicit_bzero(cfg->admin_password, strlen(cfg->admin_password));
		free(cfg->admin_password);
	}
	memset(cfg, 0, sizeof(*cfg));
}

/* The value as configparser's get() gives it ("%%" is '%'), NUL-terminated
 * and owned by the caller; NULL (with err) on interpolation. */
static char *value_text(const struct config_value *v, const char *name, const char *key, struct mlf_err *err)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < v->len; i++) {
		if (v->at[i] != '%') {
			buf_addch(&b, v->at[i]);
			continue;
		}
		if (i + 1 < v->len && v->at[i + 1] == '%') {
			buf_addch(&b, '%');
			i++;
			continue;
		}
		buf_release(&b);
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
			   "%s:%d: %s: '%%' starts an interpolation, which is not supported (write '%%%%' for a '%%')",
			   name, v->line, key);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* Checks the values read and sets them into cfg (already holding the
 * defaults). */
static int config_apply(const struct config_value vals[KEY_COUNT], const char *name, struct auth_config *cfg,
			struct mlf_err *err)
{
	char *text[KEY_COUNT] = { 0 };
	int rc = -1;
	for (size_t k = 0; k < KEY_COUNT; k++)
		if (vals[k].line && !(text[k] = value_text(&vals[k], name, config_key_names[k], err)))
			goto out;
#define BAD(k, ...) \
	do { \
		mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s:%d: %s: " __VA_ARGS__); \
		goto out; \
	} while (0)
	if (text[KEY_DEFAULT_PERMISSION] && !auth_permission_parse(text[KEY_DEFAULT_PERMISSION], &cfg->default_permission))
		BAD(KEY_DEFAULT_PERMISSION, "'%s' is not a permission (READ, USE, EDIT, MANAGE or NO_PERMISSIONS)", name,
		    vals[KEY_DEFAULT_PERMISSION].line, config_key_names[KEY_DEFAULT_PERMISSION],
		    text[KEY_DEFAULT_PERMISSION]);
	if (text[KEY_DATABASE_URI] && !text[KEY_DATABASE_URI][0])
		BAD(KEY_DATABASE_URI, "is empty", name, vals[KEY_DATABASE_URI].line, config_key_names[KEY_DATABASE_URI]);
	if (text[KEY_ADMIN_USERNAME] &&
	    (!text[KEY_ADMIN_USERNAME][0] || strlen(text[KEY_ADMIN_USERNAME]) > AUTH_USERNAME_MAX))
		BAD(KEY_ADMIN_USERNAME, "must be 1 to %d bytes", name, vals[KEY_ADMIN_USERNAME].line,
		    config_key_names[KEY_ADMIN_USERNAME], AUTH_USERNAME_MAX);
	if (text[KEY_ADMIN_PASSWORD] && !text[KEY_ADMIN_PASSWORD][0])
		BAD(KEY_ADMIN_PASSWORD, "is empty", name, vals[KEY_ADMIN_PASSWORD].line,
		    config_key_names[KEY_ADMIN_PASSWORD]);
	int64_t ttl_s = cfg->cache_ttl_ms / 1000;
	if (text[KEY_CACHE_TTL]) {
		const char *t = text[KEY_CACHE_TTL];
		size_t n = strlen(t);
		bool digits = n > 0 && n <= 10;
		for (size_t i = 0; i < n && digits; i++)
			digits = t[i] >= '0' && t[i] <= '9';
		if (!digits || (ttl_s = strtoll(t, NULL, 10)) > AUTH_CONFIG_TTL_MAX_S)
			BAD(KEY_CACHE_TTL, "'%s' is not a number of seconds from 0 to %lld", name, vals[KEY_CACHE_TTL].line,
			    config_key_names[KEY_CACHE_TTL], t, (long long)AUTH_CONFIG_TTL_MAX_S);
	}
	if (text[KEY_AUTHORIZATION_FUNCTION] && strcmp(text[KEY_AUTHORIZATION_FUNCTION], MLFLOW_BASIC_AUTH_FUNCTION) != 0)
		BAD(KEY_AUTHORIZATION_FUNCTION, "'%s' is not supported (only %s)", name,
		    vals[KEY_AUTHORIZATION_FUNCTION].line, config_key_names[KEY_AUTHORIZATION_FUNCTION],
		    text[KEY_AUTHORIZATION_FUNCTION], MLFLOW_BASIC_AUTH_FUNCTION);
#undef BAD
	cfg->cache_ttl_ms = ttl_s * 1000;
	if (text[KEY_DATABASE_URI]) {
		cfg->database_uri = text[KEY_DATABASE_URI];
		text[KEY_DATABASE_URI] = NULL;
	}
	if (text[KEY_ADMIN_USERNAME]) {
		free(cfg->admin_username);
		cfg->admin_username = text[KEY_ADMIN_USERNAME];
		text[KEY_ADMIN_USERNAME] = NULL;
	}
	if (text[KEY_ADMIN_PASSWORD]) {
		cfg->admin_password = text[KEY_ADMIN_PASSWORD];
		text[KEY_ADMIN_PASSWORD] = NULL;
	}
	rc = 0;
out:
	for (size_t k = 0; k < KEY_COUNT; k++)
		if (text[k]) {
			explicit_bzero(text[k], strlen(text[k]));
			free(text[k]);
		}
	return rc;
}

/* Where the section being read goes. */
enum config_section { SECTION_NONE, SECTION_DEFAULT, SECTION_MLFLOW, SECTION_OTHER };

struct config_reader {
	const char *name;
	struct seen_set sections, keys;
	enum config_section section;
	struct config_value mlflow[KEY_COUNT], fallback[KEY_COUNT];
};

static int config_line(struct config_reader *r, const char *line, size_t n, int lineno, struct mlf_err *err)
{
	const char *name = r->name;
	size_t lead = 0;
	while (lead < n && is_blank(line[lead]))
		lead++;
	while (n > lead && is_blank(line[n - 1]))
		n--;
	const char *s = line + lead;
	size_t len = n - lead;
	if (len == 0 || s[0] == '#' || s[0] == ';')
		return 0;
	if (lead > 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE,
				  "%s:%d: an indented line (a continuation of the value above) is not supported", name,
				  lineno);
	if (s[0] == '[') {
		const char *close = NULL;
		for (size_t i = len; i-- > 1;)
			if (s[i] == ']') {
				close = s + i;
				break;
			}
		if (!close || close == s + 1)
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s:%d: a section header is \"[name]\"", name,
					  lineno);
		const char *sec = s + 1;
		size_t sec_len = (size_t)(close - sec);
		if (!seen_add(&r->sections, sec, sec_len))
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s:%d: section [%.*s] appears twice", name,
					  lineno, (int)sec_len, sec);
		seen_clear(&r->keys);
		if (sec_len == 6 && memcmp(sec, "mlflow", 6) == 0)
			r->section = SECTION_MLFLOW;
		else if (sec_len == 7 && memcmp(sec, "DEFAULT", 7) == 0)
			r->section = SECTION_DEFAULT;
		else
			r->section = SECTION_OTHER;
		return 0;
	}
	size_t sep = 0;
	while (sep < len && s[sep] != '=' && s[sep] != ':')
		sep++;
	if (sep == len)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s:%d: expected \"key = value\"", name, lineno);
	if (r->section == SECTION_NONE)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s:%d: a key before any [section]", name, lineno);
	size_t klen = sep;
	while (klen && is_blank(s[klen - 1]))
		klen--;
	if (klen == 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s:%d: a value without a key", name, lineno);
	if (!seen_add(&r->keys, s, klen))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s:%d: key '%.*s' appears twice in its section",
				  name, lineno, (int)klen, s);
	size_t vstart = sep + 1;
	while (vstart < len && is_blank(s[vstart]))
		vstart++;
	struct config_value *vals = r->section == SECTION_MLFLOW    ? r->mlflow
				    : r->section == SECTION_DEFAULT ? r->fallback
								    : NULL;
	if (!vals)
		return 0;
	for (size_t k = 0; k < KEY_COUNT; k++)
		if (strlen(config_key_names[k]) == klen && strncasecmp(config_key_names[k], s, klen) == 0)
			vals[k] = (struct config_value){ s + vstart, len - vstart, lineno };
	return 0;
}

int auth_config_parse(const char *text, size_t len, const char *name, struct auth_config *cfg, struct mlf_err *err)
{
	if (!name)
		name = "auth config";
	memset(cfg, 0, sizeof(*cfg));
	if (len > AUTH_CONFIG_FILE_MAX)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s: larger than %d KiB", name,
				  AUTH_CONFIG_FILE_MAX / 1024);
	if (len && memchr(text, '\0', len))
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s: holds a NUL byte", name);
	struct config_reader r = { .name = name, .keys.fold_case = true };
	int rc = 0, lineno = 0;
	size_t pos = 0;
	while (pos < len && rc == 0) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		lineno++;
		if (end - pos > AUTH_CONFIG_LINE_MAX)
			rc = mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s:%d: longer than %d bytes", name, lineno,
					AUTH_CONFIG_LINE_MAX);
		else
			rc = config_line(&r, text + pos, end - pos, lineno, err);
		pos = end + 1;
	}
	seen_clear(&r.sections);
	seen_clear(&r.keys);
	if (rc != 0)
		return -1;
	for (size_t k = 0; k < KEY_COUNT; k++)
		if (!r.mlflow[k].line)
			r.mlflow[k] = r.fallback[k];
	config_defaults(cfg);
	if (!cfg->admin_username) {
		auth_config_release(cfg);
		return mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory");
	}
	if (config_apply(r.mlflow, name, cfg, err) != 0) {
		auth_config_release(cfg);
		return -1;
	}
	return 0;
}

/* Reads the whole file at `path` (at most AUTH_CONFIG_FILE_MAX bytes)
 * into *out. */
static int read_bounded(const char *path, struct buf *out, struct mlf_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "cannot read the auth config %s: %s", path,
				  strerror(errno));
	char chunk[8192];
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "cannot read the auth config %s: %s", path,
					  strerror(e));
		}
		if (n == 0)
			break;
		if (out->len + (size_t)n > AUTH_CONFIG_FILE_MAX) {
			close(fd);
			return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "%s: larger than %d KiB", path,
					  AUTH_CONFIG_FILE_MAX / 1024);
		}
		buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

int auth_config_load(const char *path, struct auth_config *cfg, struct mlf_err *err)
{
	struct buf text = BUF_INIT;
	int rc;
	if (path) {
		rc = read_bounded(path, &text, err);
		if (rc == 0)
			rc = auth_config_parse(text.ptr, text.len, path, cfg, err);
		explicit_bzero(text.ptr, text.len);
		buf_release(&text);
	} else {
		rc = auth_config_parse("", 0, "auth config", cfg, err);
	}
	if (rc != 0)
		return -1;
	const char *env = getenv("MLFLOW_AUTH_ADMIN_PASSWORD");
	if (env && *env) {
		char *pw = strdup(env);
		if (!pw) {
			auth_config_release(cfg);
			return mlf_errorf(err, MLF_INTERNAL_ERROR, "out of memory");
		}
		if (cfg->admin_password) {
			explicit_bzero(cfg->admin_password, strlen(cfg->admin_password));
			free(cfg->admin_password);
		}
		cfg->admin_password = pw;
	}
	return 0;
}
