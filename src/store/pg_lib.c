/*
 * pg_lib.c - libpq, loaded the first time the PostgreSQL store calls it
 * (pg_lib.h says why). Each function pg_lib.h renames is defined here
 * under its new name; the first call dlopen()s libpq by its soname and
 * resolves them all at once (under pthread_once). When libpq cannot be
 * loaded, that is logged once and each call fails as libpq itself reports
 * failure, which its callers already handle.
 */
#include "pg_lib.h" /* first: it renames the declarations below */
#include "../base/common.h"
#include "../base/log.h"
#include <dlfcn.h>
#include <pthread.h>

#define PG_LIB_SONAME "libpq.so.5"

/* X(return type, name, (parameters), (arguments), value when not loaded) */
#define PG_LIB_FUNCTIONS(X) \
	X(PGconn *, PQconnectdbParams, (const char *const *k, const char *const *v, int expand), (k, v, expand), NULL) \
	X(ConnStatusType, PQstatus, (const PGconn *c), (c), CONNECTION_BAD) \
	X(char *, PQerrorMessage, (const PGconn *c), (c), (char *)"libpq (Debian package libpq5) could not be loaded") \
	X(void, PQfinish, (PGconn *c), (c), ) \
	X(PGresult *, PQexec, (PGconn *c, const char *q), (c, q), NULL) \
	X(PGresult *, PQexecParams, (PGconn *c, const char *q, int n, const Oid *t, const char *const *v, const int *l, \
				     const int *f, int rf), (c, q, n, t, v, l, f, rf), NULL) \
	X(PGresult *, PQprepare, (PGconn *c, const char *s, const char *q, int n, const Oid *t), (c, s, q, n, t), NULL) \
	X(PGresult *, PQexecPrepared, (PGconn *c, const char *s, int n, const char *const *v, const int *l, const int *f, \
				       int rf), (c, s, n, v, l, f, rf), NULL) \
	X(ExecStatusType, PQresultStatus, (const PGresult *r), (r), PGRES_FATAL_ERROR) \
	X(char *, PQresultErrorMessage, (const PGresult *r), (r), (char *)"") \
	X(char *, PQresultErrorField, (const PGresult *r, int f), (r, f), NULL) \
	X(void, PQclear, (PGresult *r), (r), ) \
	X(PGTransactionStatusType, PQtransactionStatus, (const PGconn *c), (c), PQTRANS_UNKNOWN) \
	X(char *, PQcmdTuples, (PGresult *r), (r), (char *)"") \
	X(int, PQntuples, (const PGresult *r), (r), 0) \
	X(int, PQnfields, (const PGresult *r), (r), 0) \
	X(char *, PQgetvalue, (const PGresult *r, int row, int col), (r, row, col), (char *)"") \
	X(int, PQgetlength, (const PGresult *r, int row, int col), (r, row, col), 0) \
	X(int, PQgetisnull, (const PGresult *r, int row, int col), (r, row, col), 1) \
	X(char *, PQfname, (const PGresult *r, int col), (r, col), NULL) \
	X(int, PQputCopyData, (PGconn *c, const char *b, int n), (c, b, n), -1) \
	X(int, PQputCopyEnd, (PGconn *c, const char *e), (c, e), -1) \
	X(PGresult *, PQgetResult, (PGconn *c), (c), NULL) \
	X(char *, PQescapeIdentifier, (PGconn *c, const char *s, size_t n), (c, s, n), NULL) \
	X(void, PQfreemem, (void *p), (p), ) \
	X(int, PQserverVersion, (const PGconn *c), (c), 0) \
	X(PQconninfoOption *, PQconninfoParse, (const char *s, char **e), (s, e), NULL) \
	X(void, PQconninfoFree, (PQconninfoOption *o), (o), )

#define DECLARE_POINTER(ret, name, params, ...) static ret(*p_##name) params;
PG_LIB_FUNCTIONS(DECLARE_POINTER)

static pthread_once_t pg_lib_once = PTHREAD_ONCE_INIT;
static bool pg_lib_loaded;

/* dlsym returns an object pointer; POSIX guarantees it converts to a
 * function pointer of the right type. */
#define RESOLVE(ret, name, ...)                                                  \
	if (!(*(void **)&p_##name = dlsym(h, #name))) {                         \
		log_error("%s has no %s: %s", PG_LIB_SONAME, #name, dlerror()); \
		ok = false;                                                      \
	}

static void pg_lib_load(void)
{
	void *h = dlopen(PG_LIB_SONAME, RTLD_NOW | RTLD_LOCAL);
	bool ok = h != NULL;
	if (!h)
		log_error("cannot load %s: %s", PG_LIB_SONAME, dlerror());
	else {
		PG_LIB_FUNCTIONS(RESOLVE)
	}
	pg_lib_loaded = ok;
}

bool pg_lib_ready(void)
{
	pthread_once(&pg_lib_once, pg_lib_load);
	return pg_lib_loaded;
}

#define DEFINE_FUNCTION(ret, name, params, args, failed) \
	ret name params                                  \
	{                                                \
		if (!pg_lib_ready())                     \
			return failed;                   \
		return p_##name args;                    \
	}
PG_LIB_FUNCTIONS(DEFINE_FUNCTION)
