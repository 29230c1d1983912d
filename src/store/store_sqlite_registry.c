/*
 * store_sqlite_registry.c - the model registry on the SQLite store.
 */
#include "store_sqlite_int.h"

const struct store_registry_ops store_sqlite_registry_ops = { 0 };
