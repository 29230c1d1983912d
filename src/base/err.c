/*
 * err.c - error code table lookups and the formatting helper.
 */
#include "err.h"
#include <stdarg.h>

static const struct {
	const char *name;
	int status;
} mlf_code_table[] = {
#define X(name, status) { #name, status },
	MLF_ERRORS(X)
#undef X
};

_Static_assert(ARRAY_SIZE(mlf_code_table) == MLF_CODE_COUNT, "error table out of sync");

int mlf_errorf(struct mlf_err *err, enum mlf_code code, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	err->code = code;
	err->detail = 0;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

const char *mlf_code_name(enum mlf_code code)
{
	if ((unsigned)code >= MLF_CODE_COUNT)
		return "INTERNAL_ERROR";
	return mlf_code_table[code].name;
}

int mlf_code_http_status(enum mlf_code code)
{
	if ((unsigned)code >= MLF_CODE_COUNT)
		return 500;
	return mlf_code_table[code].status;
}
