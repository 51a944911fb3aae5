/* ui.c: the web UI's routes (see ui.h): embedded pages and assets, the
 * graph as SVG, an execution's states as JSON, error pages. */
#include "ui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/json.h"
#include "graph.h"
#include "ui_assets.h"

#define HTML "text/html; charset=utf-8"
#define JSON "application/json"
/* History events read per GetExecutionHistory page. */
#define HISTORY_PAGE 1000

void web_ui_escape(asl_buf *b, const char *s) {
  for (; s && *s; s++)
    switch (*s) {
    case '&':
      asl_buf_puts(b, "&amp;");
      break;
    case '<':
      asl_buf_puts(b, "&lt;");
      break;
    case '>':
      asl_buf_puts(b, "&gt;");
      break;
    case '"':
      asl_buf_puts(b, "&quot;");
      break;
    case '\'':
      asl_buf_puts(b, "&#39;");
      break;
    default:
      asl_buf_putc(b, *s);
    }
}

static void reply(web_ui_reply *r, int status, const char *type, char *body,
                  size_t len) {
  r->status = status;
  r->type = type;
  r->body = body;
  r->len = len;
}

/* An HTML page saying what went wrong (title and message escaped). */
static void error_page(web_ui_reply *r, int status, const char *title,
                       const char *msg) {
  asl_buf b = {0};
  asl_buf_puts(&b, "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
                   "<title>asl: ");
  web_ui_escape(&b, title);
  asl_buf_puts(&b, "</title><link rel=\"stylesheet\" href=\"/ui/app.css\">"
                   "</head>\n<body><header><a href=\"/\">asl</a></header>"
                   "\n<main><div class=\"error-page\"><h1>");
  web_ui_escape(&b, title);
  asl_buf_puts(&b, "</h1>\n<p class=\"message\">");
  web_ui_escape(&b, msg);
  asl_buf_printf(&b, "</p>\n<p><a href=\"/\">All state machines</a></p>"
                     "</div></main></body></html>\n");
  size_t len = b.len;
  reply(r, status, HTML, asl_buf_take(&b), len);
}

static void json_reply(web_ui_reply *r, int status, cJSON *o) {
  char *s = asl_json_print(o);
  reply(r, status, JSON, s, strlen(s));
}

static void json_error(web_ui_reply *r, int status, const char *name,
                       const char *msg) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "error", name);
  cJSON_AddStringToObject(o, "message", msg ? msg : "");
  json_reply(r, status, o);
  cJSON_Delete(o);
}

/* ---- calling the API ---- */

/* Calls op with request req. 0 with *out the response object, or -1 with
 * e: its name the error name AWS gave (the part of __type after '#'), and
 * *status the HTTP status for a page about it. */
static int call(web_api *a, const char *op, const cJSON *req, cJSON **out,
                int *status, asl_error *e) {
  char *body = asl_json_print(req);
  web_reply w;
  web_api_call(a, op, body, strlen(body), &w);
  free(body);
  cJSON *o = cJSON_Parse(w.body);
  free(w.body);
  if (w.status == 200 && cJSON_IsObject(o)) {
    *out = o;
    return 0;
  }
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "__type");
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "message");
  const char *type = cJSON_IsString(t) ? t->valuestring : "InternalFailure";
  const char *hash = strrchr(type, '#');
  const char *name = hash ? hash + 1 : type;
  *status = strstr(name, "DoesNotExist") ? 404 : w.status >= 500 ? 500 : 400;
  asl_error_set(e, name, "%s", cJSON_IsString(m) ? m->valuestring : "");
  cJSON_Delete(o);
  *out = NULL;
  return -1;
}

/* Calls op with the single member k: arn. */
static int call_arn(web_api *a, const char *op, const char *k, const char *arn,
                    cJSON **out, int *status, asl_error *e) {
  cJSON *req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, k, arn);
  int rc = call(a, op, req, out, status, e);
  cJSON_Delete(req);
  return rc;
}

/* An execution's ARN (execution or express), not a machine's. */
static int is_execution_arn(const char *arn) {
  return strstr(arn, ":execution:") || strstr(arn, ":express:");
}

/* The parsed definition of machine arn or of execution arn's machine. */
static int definition(web_api *a, const char *arn, cJSON **def, int *status,
                      asl_error *e) {
  cJSON *d;
  int ex = is_execution_arn(arn);
  if (call_arn(a,
               ex ? "DescribeStateMachineForExecution" : "DescribeStateMachine",
               ex ? "executionArn" : "stateMachineArn", arn, &d, status, e) < 0)
    return -1;
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(d, "definition");
  *def = cJSON_IsString(t) ? cJSON_Parse(t->valuestring) : NULL;
  cJSON_Delete(d);
  if (!*def) {
    *status = 500;
    return asl_error_set(e, "InternalFailure",
                         "the definition of %s is "
                         "not JSON",
                         arn);
  }
  return 0;
}

/* Every event of execution arn, all pages, into a new array. */
static int history(web_api *a, const char *arn, cJSON **events, int *status,
                   asl_error *e) {
  *events = cJSON_CreateArray();
  char *token = NULL;
  int rc = 0;
  do {
    cJSON *req = cJSON_CreateObject(), *page = NULL;
    cJSON_AddStringToObject(req, "executionArn", arn);
    cJSON_AddNumberToObject(req, "maxResults", HISTORY_PAGE);
    if (token) cJSON_AddStringToObject(req, "nextToken", token);
    free(token);
    token = NULL;
    rc = call(a, "GetExecutionHistory", req, &page, status, e);
    cJSON_Delete(req);
    if (rc < 0) break;
    cJSON *evs = cJSON_DetachItemFromObjectCaseSensitive(page, "events");
    for (cJSON *ev = evs ? evs->child : NULL, *next; ev; ev = next) {
      next = ev->next;
      cJSON_AddItemToArray(*events, cJSON_DetachItemViaPointer(evs, ev));
    }
    cJSON_Delete(evs);
    const cJSON *nt = cJSON_GetObjectItemCaseSensitive(page, "nextToken");
    if (cJSON_IsString(nt)) token = asl_strdup(nt->valuestring);
    cJSON_Delete(page);
  } while (token);
  if (rc < 0) {
    cJSON_Delete(*events);
    *events = NULL;
  }
  return rc;
}

/* ---- routes ---- */

typedef struct ctx {
  web_api *a;
  web_ui_arg_fn arg;
  void *ud;
  web_ui_reply *r;
} ctx;

/* The arn argument, or NULL after answering about its absence. */
static const char *need_arn(ctx *c, int html) {
  const char *arn = c->arg(c->ud, "arn");
  if (arn && *arn) return arn;
  if (html)
    error_page(c->r, 400, "Missing ARN",
               "This page needs an arn query parameter.");
  else
    json_error(c->r, 400, "ValidationException", "arn is required");
  return NULL;
}

static void send_asset(ctx *c, const char *name) {
  for (size_t i = 0; i < web_ui_nassets; i++)
    if (strcmp(web_ui_assets[i].name, name) == 0) {
      reply(c->r, 200, web_ui_assets[i].type,
            asl_strndup((const char *)web_ui_assets[i].data,
                        web_ui_assets[i].len),
            web_ui_assets[i].len);
      return;
    }
  error_page(c->r, 404, "Not found", "There is no such page.");
}

static void page_index(ctx *c) { send_asset(c, "index.html"); }

/* A page about one resource: the shell, once the resource is known. */
static void page_resource(ctx *c, const char *op, const char *member,
                          const char *what) {
  const char *arn = need_arn(c, 1);
  if (!arn) return;
  cJSON *d;
  int status;
  asl_error e = {0};
  if (call_arn(c->a, op, member, arn, &d, &status, &e) < 0) {
    char *title = asl_sprintf("%s: %s", what, e.name);
    error_page(c->r, status, title, e.cause);
    free(title);
    asl_error_clear(&e);
    return;
  }
  cJSON_Delete(d);
  send_asset(c, "index.html");
}

static void page_machine(ctx *c) {
  page_resource(c, "DescribeStateMachine", "stateMachineArn", "State machine");
}

static void page_execution(ctx *c) {
  const char *arn = c->arg(c->ud, "arn");
  if (arn && *arn && !is_execution_arn(arn)) {
    error_page(c->r, 400, "Execution: InvalidArn",
               "Invalid Arn: this is not an execution ARN.");
    return;
  }
  page_resource(c, "DescribeExecution", "executionArn", "Execution");
}

static void get_graph(ctx *c) {
  const char *arn = need_arn(c, 0);
  if (!arn) return;
  cJSON *def;
  int status;
  asl_error e = {0};
  char *svg;
  size_t len;
  if (definition(c->a, arn, &def, &status, &e) == 0) {
    if (web_graph_svg(def, &svg, &len, &e) == 0)
      reply(c->r, 200, "image/svg+xml", svg, len);
    else
      status = 500;
    cJSON_Delete(def);
  }
  if (e.name) json_error(c->r, status, e.name, e.cause);
  asl_error_clear(&e);
}

static void get_execution(ctx *c) {
  const char *arn = need_arn(c, 0);
  if (!arn) return;
  cJSON *x = NULL, *def = NULL, *events = NULL;
  int status = 400;
  asl_error e = {0};
  if (!is_execution_arn(arn)) {
    asl_error_set(&e, "InvalidArn", "Invalid Arn: '%s'", arn);
  } else if (call_arn(c->a, "DescribeExecution", "executionArn", arn, &x,
                      &status, &e) == 0 &&
             definition(c->a, arn, &def, &status, &e) == 0 &&
             history(c->a, arn, &events, &status, &e) == 0) {
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(x, "status");
    const cJSON *er = cJSON_GetObjectItemCaseSensitive(x, "error");
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(x, "cause");
    cJSON *states = web_graph_states(
        def, events, cJSON_IsString(st) ? st->valuestring : NULL,
        cJSON_IsString(er) ? er->valuestring : NULL,
        cJSON_IsString(ca) ? ca->valuestring : NULL);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "execution", x);
    cJSON_AddItemToObject(o, "states", states);
    cJSON_AddItemToObject(o, "events", events);
    x = events = NULL;
    json_reply(c->r, 200, o);
    cJSON_Delete(o);
  }
  if (e.name) json_error(c->r, status, e.name, e.cause);
  asl_error_clear(&e);
  cJSON_Delete(x);
  cJSON_Delete(def);
  cJSON_Delete(events);
}

static void get_asset(ctx *c, const char *path) {
  send_asset(c, path + strlen("/ui/"));
}

static const struct {
  const char *path;
  void (*fn)(ctx *c);
} routes[] = {
    {"/", page_index},
    {"/machine", page_machine},
    {"/execution", page_execution},
    {"/ui/graph.svg", get_graph},
    {"/ui/execution.json", get_execution},
};

void web_ui_get(web_api *a, const char *path, web_ui_arg_fn arg, void *ud,
                web_ui_reply *r) {
  ctx c = {a, arg, ud, r};
  for (size_t i = 0; i < sizeof routes / sizeof *routes; i++)
    if (strcmp(path, routes[i].path) == 0) {
      routes[i].fn(&c);
      return;
    }
  /* assets: /ui/<name> with no further '/'; index.html is a page only */
  if (strncmp(path, "/ui/", 4) == 0 && !strchr(path + 4, '/') &&
      strcmp(path + 4, "index.html") != 0) {
    get_asset(&c, path);
    return;
  }
  error_page(r, 404, "Not found", "There is no page at this address.");
}
