/*
 * err.h - the one error type: MLflow's error code plus a message.
 *
 * MLF_ERRORS is the single table of error codes and their HTTP statuses
 * (MLflow's ERROR_CODE_TO_HTTP_STATUS). Rows are only ever appended; the enum
 * values are internal, the names go on the wire. Fallible functions take a
 * `struct mlf_err *` last and return 0 on success, -1 on error.
 */
#ifndef MLF_ERR_H
#define MLF_ERR_H

#include "common.h"

#define MLF_ERRORS(X)                      \
	X(INTERNAL_ERROR, 500)             \
	X(TEMPORARILY_UNAVAILABLE, 503)    \
	X(BAD_REQUEST, 400)                \
	X(INVALID_PARAMETER_VALUE, 400)    \
	X(ENDPOINT_NOT_FOUND, 404)         \
	X(MALFORMED_REQUEST, 400)          \
	X(INVALID_STATE, 500)              \
	X(PERMISSION_DENIED, 403)          \
	X(CUSTOMER_UNAUTHORIZED, 401)      \
	X(REQUEST_LIMIT_EXCEEDED, 429)     \
	X(RESOURCE_CONFLICT, 409)          \
	X(NOT_IMPLEMENTED, 501)            \
	X(DATA_LOSS, 500)                  \
	X(RESOURCE_ALREADY_EXISTS, 400)    \
	X(RESOURCE_DOES_NOT_EXIST, 404)    \
	X(NOT_FOUND, 404)                  \
	X(ALREADY_EXISTS, 409)             \
	X(UNAUTHENTICATED, 401)            \
	X(ABORTED, 409)                    \
	X(RESOURCE_EXHAUSTED, 429)         \
	X(CANCELLED, 499)                  \
	X(DEADLINE_EXCEEDED, 504)       \
	X(MAX_READ_SIZE_EXCEEDED, 413) /* ours: a request body over the limit */ \
	X(INSUFFICIENT_STORAGE, 507) /* ours: the artifact disk is (nearly) full; 507 is not retried */

enum mlf_code {
#define X(name, status) MLF_##name,
	MLF_ERRORS(X)
#undef X
	MLF_CODE_COUNT
};

#define MLF_ERR_MSG_MAX 2048

struct mlf_err {
	enum mlf_code code;
	char msg[MLF_ERR_MSG_MAX];
	/* A layer's own finer reason behind `code` (store.h's STORE_ROW_*:
	 * the row condition a store backend hit), 0 when none; mlf_errorf()
	 * resets it. */
	int detail;
};

/* Fills `err` (which may be NULL) and returns -1, so callers can write
 * `return mlf_errorf(err, MLF_INVALID_PARAMETER_VALUE, "...", ...);`. */
int mlf_errorf(struct mlf_err *err, enum mlf_code code, const char *fmt, ...) MLF_PRINTF(3, 4);
/* Borrowed static strings / plain numbers from the table. */
const char *mlf_code_name(enum mlf_code code);
int mlf_code_http_status(enum mlf_code code);

#endif
