/*
 * client_nolocal.c - local mode's place in the client-only libmlflowc.
 *
 * Local mode (a sqlite:// tracking URI) answers requests through the
 * server's own router and store in the host process, so it needs the
 * server's layers, libmicrohttpd's request structs and SQLite. The
 * installed libmlflowc is the HTTP client only: it is built with this file
 * instead of client_local.c, and a sqlite:// URI is refused with a message
 * saying what to use instead. The mlflowc binary and programs linked with
 * the server archive (build/libmlflowc-server.a) get client_local.c and local
 * mode.
 */
#include "client_int.h"

bool clocal_uri(const char *uri)
{
	return strncmp(uri, "sqlite://", 9) == 0; /* as client_local.c */
}

enum mlf_result clocal_open(mlf_client *c, const char *uri)
{
	(void)c;
	return client_fail(MLF_CLIENT_ERR_INVALID,
			   "%s: sqlite:// tracking URIs (local mode) are not in this libmlflowc, which is the HTTP "
			   "client: run `mlflowc server --backend-store-uri %s` and use its http:// URL",
			   uri, uri);
}

void clocal_close(mlf_client *c)
{
	(void)c;
}
