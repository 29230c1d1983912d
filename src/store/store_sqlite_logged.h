/*
 * store_sqlite_logged.h - what the logged-model half of the SQLite store
 * (store_sqlite_logged.c) offers the other store files: its ops table, and
 * the loader runs/get uses for a run's model inputs and outputs. Not for
 * use outside src/store.
 */
#ifndef MLF_STORE_SQLITE_LOGGED_H
#define MLF_STORE_SQLITE_LOGGED_H

#include "logged_model.h"
#include "sqlite_conn.h"

extern const struct store_logged_model_ops store_sqlite_logged_ops;

/* Fills r->model_inputs and r->model_outputs of the run with key `run_pk`
 * (in `a`), on a connection inside a read transaction. */
int store_sqlite_load_model_links(struct sqlite_conn *c, int64_t run_pk, struct store_run *r, struct arena *a,
				  struct mlf_err *err);

#endif
