/*
 * serve.c - the life of a server process; see serve.h.
 */
#include "serve.h"
#include "../base/log.h"
#include <signal.h>

static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

void serve_prepare_process(void)
{
	sigset_t set;
	stop_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* taken by sigwait() in serve_until_signal */
	signal(SIGPIPE, SIG_IGN);
	http_raise_fd_limit(); /* each connection is a descriptor; the caps derive from the limit */
}

int serve_until_signal(const struct http_config *hc, const struct serve_handlers *h, const char *banner,
		       const char *detail, struct mlf_err *err)
{
	struct http_server *srv = http_server_start(hc, h->handle, h->stream, h->ctx, err);
	if (!srv)
		return -1;
	log_info("%s listening on http://%s:%u (%s)", banner, hc->host, http_server_port(srv), detail);
	sigset_t set;
	int sig = 0;
	stop_signals(&set);
	sigwait(&set, &sig);
	log_info("signal %d: shutting down", sig);
	http_server_stop(srv);
	return 0;
}
