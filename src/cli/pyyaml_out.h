/*
 * pyyaml_out.h - writes YAML mappings byte for byte as PyYAML's
 * safe_dump(default_flow_style=False, allow_unicode=True) does, which is how
 * MLflow's file store writes every meta.yaml: keys in the order given (the
 * caller sorts them, as safe_dump does), each string in the style PyYAML
 * picks (plain when it reads back as the same string, else single-quoted,
 * else double-quoted with escapes), long scalars folded at 80 columns,
 * UTF-8 text written as is.
 *
 * Memory: a writer borrows the caller's buffer; nothing is allocated but
 * the buffer's growth.
 */
#ifndef MLF_PYYAML_OUT_H
#define MLF_PYYAML_OUT_H

#include "../base/buf.h"
#include "../base/common.h"

struct pyyaml {
	struct buf *out;
	size_t column;   /* in characters, as PyYAML counts */
	bool whitespace; /* the last character written was a space or break */
	bool indention;  /* only indentation written on this line */
};

void pyyaml_init(struct pyyaml *y, struct buf *out);
/* `key: value` at `indent` spaces; `key` is a string scalar too. */
void pyyaml_str(struct pyyaml *y, int indent, const char *key, const char *value);
void pyyaml_int(struct pyyaml *y, int indent, const char *key, int64_t value);
/* `key: null`, or `value` as the string it is when not NULL. */
void pyyaml_str_or_null(struct pyyaml *y, int indent, const char *key, const char *value);
/* `key: <flow>` with a literal flow value such as `[]` or `{}`. */
void pyyaml_flow(struct pyyaml *y, int indent, const char *key, const char *flow);
/* `key:` opening a nested block mapping at indent + 2. */
void pyyaml_map(struct pyyaml *y, int indent, const char *key);

/* Ends the document (its last line break). */
void pyyaml_end(struct pyyaml *y);

/* Whether PyYAML's safe loader reads the plain scalar `s` as a string
 * (not a bool, int, float, null, timestamp, merge or value key). */
bool pyyaml_plain_is_str(const char *s);

#endif
