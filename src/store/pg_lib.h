/*
 * pg_lib.h - libpq's declarations under mlflowc's own names, for the
 * PostgreSQL store only. Include pg_conn.h (which includes this first),
 * never <libpq-fe.h> itself: every libpq function the store calls is
 * renamed here to pg_lib_<name> before libpq's header declares it, and
 * pg_lib.c loads libpq the first time one is called, so commands and
 * servers that never open a PostgreSQL store do not map libpq and the
 * dozen shared objects it brings (ssl, gssapi, ldap, ...), and a Lambda or
 * Docker bundle of `models serve` does not carry them.
 */
#ifndef MLF_PG_LIB_H
#define MLF_PG_LIB_H

#define PQconnectdbParams pg_lib_PQconnectdbParams
#define PQstatus pg_lib_PQstatus
#define PQerrorMessage pg_lib_PQerrorMessage
#define PQfinish pg_lib_PQfinish
#define PQexec pg_lib_PQexec
#define PQexecParams pg_lib_PQexecParams
#define PQprepare pg_lib_PQprepare
#define PQexecPrepared pg_lib_PQexecPrepared
#define PQresultStatus pg_lib_PQresultStatus
#define PQresultErrorMessage pg_lib_PQresultErrorMessage
#define PQresultErrorField pg_lib_PQresultErrorField
#define PQclear pg_lib_PQclear
#define PQtransactionStatus pg_lib_PQtransactionStatus
#define PQcmdTuples pg_lib_PQcmdTuples
#define PQntuples pg_lib_PQntuples
#define PQnfields pg_lib_PQnfields
#define PQgetvalue pg_lib_PQgetvalue
#define PQgetlength pg_lib_PQgetlength
#define PQgetisnull pg_lib_PQgetisnull
#define PQfname pg_lib_PQfname
#define PQputCopyData pg_lib_PQputCopyData
#define PQputCopyEnd pg_lib_PQputCopyEnd
#define PQgetResult pg_lib_PQgetResult
#define PQescapeIdentifier pg_lib_PQescapeIdentifier
#define PQfreemem pg_lib_PQfreemem
#define PQserverVersion pg_lib_PQserverVersion
#define PQconninfoParse pg_lib_PQconninfoParse
#define PQconninfoFree pg_lib_PQconninfoFree

#include <libpq-fe.h>
#include <stdbool.h>

/* True when libpq is loaded (loading it on the first call); when it
 * cannot be, every function above fails as libpq reports failure (NULL,
 * CONNECTION_BAD, PGRES_FATAL_ERROR, 0, -1). */
bool pg_lib_ready(void);

#endif
