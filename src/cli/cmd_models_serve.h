/*
 * cmd_models_serve.h - `mlflowc models serve` and `mlflowc models predict`,
 * rows of the `models` command table; see cmd_models_serve.c.
 */
#ifndef MLF_CMD_MODELS_SERVE_H
#define MLF_CMD_MODELS_SERVE_H

int models_serve(int argc, char **argv);
int models_predict(int argc, char **argv);

#endif
