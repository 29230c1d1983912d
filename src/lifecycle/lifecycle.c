/*
 * lifecycle.c - what the lifecycle modules share: saying one line to the
 * caller's sink; see lifecycle.h.
 */
#include "lifecycle.h"
#include "../base/buf.h"
#include <stdarg.h>

void lifecycle_vsay(const struct lifecycle_out *out, enum lifecycle_level level, const char *fmt, va_list ap)
{
	if (!out || !out->line)
		return;
	struct buf b = BUF_INIT;
	buf_vaddf(&b, fmt, ap);
	out->line(out->ctx, level, b.ptr);
	buf_release(&b);
}

void lifecycle_say(const struct lifecycle_out *out, enum lifecycle_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	lifecycle_vsay(out, level, fmt, ap);
	va_end(ap);
}
