/* http.c: the libmicrohttpd daemon of `asl serve` (see http.h): reads
 * request bodies, routes by method and path through one table, and hands
 * POST / to the Step Functions API. */
#include "http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ui.h"

#define TARGET_PREFIX "AWSStepFunctions."
#define JSON_TYPE "application/x-amz-json-1.0"
/* Idle seconds before a connection is closed. */
#define IDLE_TIMEOUT 300
#define MAX_CONNECTIONS 1000

struct web_http {
  struct MHD_Daemon *d;
  web_api *api;
  int port;
  web_http_auth_fn auth;
  void *auth_ud;
};

/* One request in progress (MHD's per-request pointer), made by the URI
 * log callback so that the raw request target is kept for the auth hook
 * (MHD hands on_request the path unescaped and without its query). */
typedef struct request {
  asl_buf body;
  char *uri;   /* the request target as received */
  int started; /* on_request has seen the headers */
  int too_big; /* the body passed WEB_MAX_BODY: discard the rest */
} request;

/* Queues status and body (copied) with content type ct. */
static enum MHD_Result send_reply(struct MHD_Connection *c, int status,
                                  const char *ct, const char *body,
                                  size_t len) {
  static unsigned long long counter; /* request ids: unique enough here */
  struct MHD_Response *r =
      MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  char id[64];
  snprintf(id, sizeof id, "asl-%llu",
           __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ct);
  MHD_add_response_header(r, "x-amzn-RequestId", id);
  enum MHD_Result ok = MHD_queue_response(c, (unsigned)status, r);
  MHD_destroy_response(r);
  return ok;
}

static enum MHD_Result send_web_reply(struct MHD_Connection *c, web_reply *w) {
  enum MHD_Result ok =
      send_reply(c, w->status, JSON_TYPE, w->body, strlen(w->body));
  free(w->body);
  w->body = NULL;
  return ok;
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status,
                                  const char *name, const char *msg) {
  web_reply w;
  web_api_error_reply(&w, status, name, msg);
  return send_web_reply(c, &w);
}

/* ---- routes ---- */

typedef enum MHD_Result (*route_fn)(web_http *h, struct MHD_Connection *c,
                                    request *rq);

/* Collects the headers of a connection (web_http_request.headers). */
typedef struct header_list {
  web_http_header *v;
  size_t n, cap;
} header_list;

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value) {
  header_list *l = cls;
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 16;
    l->v = asl_realloc(l->v, l->cap * sizeof *l->v);
  }
  l->v[l->n].name = key;
  l->v[l->n].value = value ? value : "";
  l->n++;
  return MHD_YES;
}

/* Runs the auth hook on a complete request; 0 accepted, -1 answered. */
static int check_auth(web_http *h, struct MHD_Connection *c, request *rq,
                      const char *method, enum MHD_Result *res) {
  if (!h->auth) return 0;
  header_list l = {0};
  MHD_get_connection_values(c, MHD_HEADER_KIND, add_header, &l);
  char *path = asl_strdup(rq->uri ? rq->uri : "/");
  char *q = strchr(path, '?');
  if (q) *q++ = 0;
  web_http_request r = {
      method, path, q, l.v, l.n, rq->body.s ? rq->body.s : "", rq->body.len};
  web_http_denial d = {0};
  int rc = h->auth(h->auth_ud, &r, &d);
  free(l.v);
  free(path);
  if (rc == 0) return 0;
  *res = send_error(c, d.status ? d.status : 403,
                    d.error ? d.error : "AccessDeniedException", d.message);
  return -1;
}

/* POST /: the API. The operation is the X-Amz-Target header's suffix. */
static enum MHD_Result route_api(web_http *h, struct MHD_Connection *c,
                                 request *rq) {
  enum MHD_Result denied;
  if (!rq->too_big && check_auth(h, c, rq, "POST", &denied) < 0) return denied;
  if (rq->too_big) {
    char msg[128];
    snprintf(msg, sizeof msg, "Request body is larger than %d bytes",
             WEB_MAX_BODY);
    return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "RequestEntityTooLarge",
                      msg);
  }
  const char *target =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Target");
  const char *op = NULL;
  if (target && strncmp(target, TARGET_PREFIX, strlen(TARGET_PREFIX)) == 0)
    op = target + strlen(TARGET_PREFIX);
  web_reply w;
  web_api_call(h->api, op, rq->body.s ? rq->body.s : "", rq->body.len, &w);
  return send_web_reply(c, &w);
}

static const char *query_arg(void *ud, const char *k) {
  return MHD_lookup_connection_value(ud, MHD_GET_ARGUMENT_KIND, k);
}

/* GET and HEAD: the web UI (ui.h), which answers every path. */
static enum MHD_Result route_ui(web_http *h, struct MHD_Connection *c,
                                const char *url) {
  web_ui_reply r;
  web_ui_get(h->api, url, query_arg, c, &r);
  enum MHD_Result ok = send_reply(c, r.status, r.type, r.body, r.len);
  free(r.body);
  return ok;
}

static const struct {
  const char *method, *path;
  route_fn fn;
} routes[] = {
    {"POST", "/", route_api},
};

static enum MHD_Result route_missing(struct MHD_Connection *c,
                                     const char *method, const char *url) {
  char msg[256];
  snprintf(msg, sizeof msg, "No route for %.16s %.200s", method, url);
  return send_error(c, MHD_HTTP_NOT_FOUND, "UnknownOperationException", msg);
}

/* ---- the daemon's callbacks ---- */

/* Called once with the headers, then once per piece of body, then once
 * more with *size 0: the request is complete and is answered. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **ptr) {
  web_http *h = cls;
  request *rq = *ptr;
  if (!rq) rq = *ptr = asl_calloc(1, sizeof *rq);
  if (!rq->started) {
    rq->started = 1;
    const char *cl = MHD_lookup_connection_value(
        c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    /* Too big: the body is read and dropped, then answered, so the client
     * sees the error rather than a connection reset in mid-send. */
    if (cl && strtoull(cl, NULL, 10) > WEB_MAX_BODY) rq->too_big = 1;
    return MHD_YES;
  }
  if (*size) {
    if (!rq->too_big && rq->body.len + *size > WEB_MAX_BODY) {
      rq->too_big = 1;
      asl_buf_free(&rq->body);
    }
    if (!rq->too_big) asl_buf_add(&rq->body, data, *size);
    *size = 0;
    return MHD_YES;
  }
  for (size_t i = 0; i < sizeof routes / sizeof *routes; i++)
    if (strcmp(method, routes[i].method) == 0 &&
        strcmp(url, routes[i].path) == 0)
      return routes[i].fn(h, c, rq);
  if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
    return route_ui(h, c, url);
  return route_missing(c, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **ptr,
                         enum MHD_RequestTerminationCode why) {
  request *rq = *ptr;
  if (!rq) return;
  asl_buf_free(&rq->body);
  free(rq->uri);
  free(rq);
  *ptr = NULL;
}

/* MHD's first call on a request, with the target as received: the
 * request record starts here. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c) {
  request *rq = asl_calloc(1, sizeof *rq);
  rq->uri = asl_strdup(uri ? uri : "/");
  return rq;
}

/* ---- start and stop ---- */

/* The first address of host (numeric: no DNS wait) into ss. */
static int resolve(const char *host, int port, struct sockaddr_storage *ss,
                   socklen_t *len, asl_error *e) {
  struct addrinfo hints = {0}, *res = NULL;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  char ports[16];
  snprintf(ports, sizeof ports, "%d", port);
  int rc = getaddrinfo(host, ports, &hints, &res);
  if (rc != 0 || !res)
    return asl_error_set(e, "Serve.Address", "'%s' is not an IP address: %s",
                         host, gai_strerror(rc));
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  return 0;
}

int web_http_start(const web_http_opts *o, web_http **out, asl_error *e) {
  *out = NULL;
  struct sockaddr_storage ss;
  socklen_t sslen;
  if (resolve(o->host, o->port, &ss, &sslen, e) < 0) return -1;
  web_http *h = asl_calloc(1, sizeof *h);
  h->api = o->api;
  h->auth = o->auth;
  h->auth_ud = o->auth_ud;
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
                   MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
                   MHD_USE_ERROR_LOG;
  if (ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  h->d = MHD_start_daemon(
      flags, (uint16_t)o->port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, h, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)IDLE_TIMEOUT, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned)MAX_CONNECTIONS, MHD_OPTION_END);
  if (!h->d) {
    free(h);
    return asl_error_set(e, "Serve.Listen",
                         "cannot listen on %s port %d (in use, or not an "
                         "address of this machine)",
                         o->host, o->port);
  }
  const union MHD_DaemonInfo *info =
      MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
  h->port = info ? info->port : o->port;
  *out = h;
  return 0;
}

int web_http_port(const web_http *h) { return h->port; }

void web_http_stop(web_http *h) {
  if (!h) return;
  MHD_stop_daemon(h->d);
  free(h);
}
