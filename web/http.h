/* http.h: the one HTTP daemon of `asl serve` (libmicrohttpd), a thread per
 * connection so that a slow client or a long StartSyncExecution never
 * stalls the others.
 *
 * Routes (a table in http.c):
 *   POST /  with X-Amz-Target: AWSStepFunctions.<Op>  -> web_api_call
 *   GET  /  a placeholder page (the web UI is later work)
 * Bodies are read whole up to WEB_MAX_BODY bytes; a larger one is read and
 * dropped, and answered with HTTP 413 and an AWS-shaped error. Any Host
 * header is accepted (clients prefix it with "sync-" for
 * StartSyncExecution). POST / requests go through the auth hook first when
 * one is given (`asl serve` verifies SigV4 there, cli/serve_cmd.c); without
 * one every request is accepted, signed or not. GET requests (the web UI)
 * are never checked.
 *
 * web_http_start and web_http_stop are called by one thread (the command's
 * main thread); the daemon's threads only call into the api, which is
 * thread-safe. */
#ifndef WEB_HTTP_H
#define WEB_HTTP_H

#include "../engine/core.h"
#include "api.h"

/* The largest request body read (AWS's definitions are at most 1 MiB; a
 * request with one, escaped inside JSON, is a little larger). */
#define WEB_MAX_BODY (1024 * 1024 + 64 * 1024)

typedef struct web_http web_http;

typedef struct web_http_header {
  const char *name, *value;
} web_http_header;

/* A whole request as received: what a signature covers. */
typedef struct web_http_request {
  const char *method;
  const char *path;  /* raw, as on the request line (percent-escapes kept) */
  const char *query; /* raw, after '?', or NULL */
  const web_http_header *headers; /* every header line, in arrival order */
  size_t nheaders;
  const char *body;
  size_t body_len;
} web_http_request;

/* Why a request is refused: an AWS error name, message, HTTP status. */
typedef struct web_http_denial {
  int status;
  const char *error;
  char message[512];
} web_http_denial;

/* Decides on a request before the API sees it: 0 accepts, -1 refuses
 * with *d filled. Called on the daemon's threads: must be thread-safe. */
typedef int (*web_http_auth_fn)(void *ud, const web_http_request *rq,
                                web_http_denial *d);

typedef struct web_http_opts {
  const char *host; /* address to listen on: "127.0.0.1", "::1", "0.0.0.0" */
  int port;         /* 0: a free port the system picks (web_http_port) */
  web_api *api;     /* answers POST / (borrowed; outlives the daemon) */
  web_http_auth_fn auth; /* NULL: accept every request */
  void *auth_ud;
} web_http_opts;

/* Binds and starts serving. -1 with e ("Serve.Address" for a host that is
 * no address, "Serve.Listen" when the port cannot be had). */
int web_http_start(const web_http_opts *o, web_http **out, asl_error *e);
/* The port it listens on. */
int web_http_port(const web_http *h);
/* Stops accepting, waits for the connections in progress, frees h. */
void web_http_stop(web_http *h);

#endif
