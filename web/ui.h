/* ui.h: the web UI of `asl serve`: GET requests below /, answered from
 * pages, scripts and styles embedded in the binary (web/assets/, turned
 * into C by scripts/embed_assets.py at build time), the graph of a machine
 * as SVG (graph.c) and an execution's states and events as JSON. It reads
 * everything through the Step Functions API (web_api_call), so it sees
 * what any client sees; the page's JavaScript calls that API too.
 *
 * Routes (one table in ui.c):
 *   /                      state machines
 *   /machine?arn=M         a machine: its graph and its executions
 *   /execution?arn=E       an execution: graph, states, events (live)
 *   /ui/<asset>            app.js, app.css
 *   /ui/graph.svg?arn=X    the graph of machine M or of execution E's
 *                          definition
 *   /ui/execution.json?arn=E  {"execution", "states", "events"}
 * An unknown path is 404; a page for an ARN that is malformed (400) or
 * names nothing (404) is an HTML error page saying so. Everything that
 * comes from user data is HTML-escaped (server side) or set as text
 * (client side).
 *
 * Thread-safe, as web_api_call is. */
#ifndef WEB_UI_H
#define WEB_UI_H

#include <stddef.h>

#include "api.h"

/* One answer: status, content type (static) and body (new, free()). */
typedef struct web_ui_reply {
  int status;
  const char *type;
  char *body;
  size_t len;
} web_ui_reply;

/* Looks up query argument k (decoded), or NULL. */
typedef const char *(*web_ui_arg_fn)(void *ud, const char *k);

/* Answers GET path (without the query). Fills r; never fails. */
void web_ui_get(web_api *a, const char *path, web_ui_arg_fn arg, void *ud,
                web_ui_reply *r);

/* Appends s HTML-escaped (&, <, >, ", ') to b. */
void web_ui_escape(asl_buf *b, const char *s);

#endif
