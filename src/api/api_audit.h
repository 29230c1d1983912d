/*
 * api_audit.h - the audit trail of writes: every POST, PUT, PATCH and
 * DELETE answered while auth is on, with who sent it, what it named and
 * the status it got, appended to the store's audit table
 * (store_auth_audit_append).
 *
 * Requests do not wait for the database: an entry is copied into a
 * bounded queue and one thread appends what is queued in one transaction,
 * at least once a second or when AUDIT_BATCH entries wait. When the queue
 * is full the request waits for room (the trail is never dropped
 * silently); a store error is logged and the batch retried on the next
 * round, at most AUDIT_RETRIES times. Closing flushes what is queued. What
 * a crash loses is at most the last second of entries.
 */
#ifndef MLF_API_AUDIT_H
#define MLF_API_AUDIT_H

#include "../store/store_auth.h"

#define AUDIT_BATCH 512
#define AUDIT_QUEUE 8192
#define AUDIT_RETRIES 5

struct api_audit;

/* Starts the trail over `st` (borrowed; it must outlive the trail). The
 * trail is owned by the caller (api_audit_close). NULL with `err` set. */
struct api_audit *api_audit_open(struct store *st, struct mlf_err *err);
/* Queues a copy of `e` (its strings are copied, cut to 1 KiB each). */
void api_audit_add(struct api_audit *t, const struct store_audit_entry *e);
/* Appends what is queued and waits until it is written (tests, shutdown). */
void api_audit_flush(struct api_audit *t);
/* Flushes, stops the thread, frees. NULL is a no-op. */
void api_audit_close(struct api_audit *t);

#endif
