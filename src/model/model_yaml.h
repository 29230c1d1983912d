/*
 * model_yaml.h - YAML files of a model directory (MLmodel, conda.yaml,
 * python_env.yaml, MLproject) read into jansson values.
 *
 * MLflow writes these files with PyYAML and reads them with its safe
 * loader, so this reader gives plain scalars the types that loader gives
 * them (YAML 1.1): null (~, null, empty), booleans (true/false, yes/no,
 * on/off in their three spellings), integers (decimal, 0x, 0o/0 octal, 0b,
 * with '_' separators) and floats (a '.' is required, as in PyYAML; .inf,
 * .nan). Quoted and block scalars are strings. Timestamps stay strings.
 * Anchors, aliases and '<<' merge keys are followed; a duplicate key keeps
 * its last value, as PyYAML does. Tags other than YAML's own (!!str, !!int,
 * !!float, !!bool, !!null, !!map, !!seq) are refused, as the safe loader
 * refuses them. libyaml (the parser of PyYAML's C loader) does the parsing;
 * libfyaml was tried first and dropped: 0.7.12 decodes 'a''''b' as "a'''" and
 * never returns on some ill-formed UTF-8 (both found by tests/fuzz/fuzz_mlmodel.c).
 *
 * Limits (hostile files): MODEL_YAML_MAX_BYTES of text, MODEL_YAML_MAX_DEPTH
 * of nesting and MODEL_YAML_MAX_NODES values after aliases are followed, so
 * an alias bomb is refused instead of expanded.
 */
#ifndef MLF_MODEL_YAML_H
#define MLF_MODEL_YAML_H

#include "../base/err.h"
#include <jansson.h>

#define MODEL_YAML_MAX_BYTES ((size_t)4 << 20)
#define MODEL_YAML_MAX_DEPTH 64
#define MODEL_YAML_MAX_NODES 100000

/* Parses the single document in text[0..len) into *out, which the caller
 * owns (json_decref). An empty document gives JSON null. Mapping keys that
 * are not strings (numbers, booleans) become their text. Returns 0, or -1
 * with INVALID_PARAMETER_VALUE and a message naming `what` (e.g. "MLmodel")
 * and the line; *out is then NULL. */
int model_yaml_parse(const char *text, size_t len, const char *what, json_t **out, struct mlf_err *err);

#endif
