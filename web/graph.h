/* graph.h: a state machine's definition as a graph (Graphviz's dot layout,
 * rendered as SVG), and what happened to each state of one execution, read
 * from its history. Used by the web UI (ui.c); knows nothing of HTTP.
 *
 * The SVG: a Start and an End node; a box per state; Next edges, Choice
 * rules labelled with a short form of the rule, "Default", Catch edges
 * (dashed, labelled with their ErrorEquals); Parallel and Map states are
 * nested boxes (clusters) holding the state's own node, a box per branch
 * (or the item processor) and a join point the state's Next and Catch
 * edges leave from. Each state's SVG group has id "st-<hex>", hex being
 * the lowercase hex of the state name's UTF-8 bytes (so no name needs
 * escaping), and class "state".
 *
 * Statuses (web_graph_states): per state, "succeeded" (entered and
 * exited), "caught" (exited right after a failure: a Catch took it),
 * "failed" (entered, never exited, and the execution is over; a Fail
 * state), "running" (entered, not exited, execution RUNNING); a state never
 * entered is absent ("not reached"). A state that ran more than once (Map
 * iterations, loops) gets the worst of its runs (running, failed, caught,
 * succeeded in that order) and its runs, the last WEB_GRAPH_MAX_RUNS kept.
 *
 * Graphviz is not thread-safe: web_graph_svg serialises its callers on one
 * mutex, and keeps the last SVGs it rendered by definition text. Ownership as
 * in core.h: borrowed const cJSON * in, new tree out. */
#ifndef WEB_GRAPH_H
#define WEB_GRAPH_H

#include <stddef.h>

#include "../engine/core.h"

#define WEB_GRAPH_MAX_RUNS 50
/* Characters of a Choice rule or Catch label before it is cut with "...". */
#define WEB_GRAPH_MAX_LABEL 48

/* SVG of definition def (the parsed definition object). *svg is a new
 * string of *len bytes, free(). -1 with e ("Graph.Render") when Graphviz
 * fails. */
int web_graph_svg(const cJSON *def, char **svg, size_t *len, asl_error *e);

/* What happened to each state in the execution whose history is events
 * (GetExecutionHistory's "events", in id order) and whose status is
 * exec_status ("RUNNING", "SUCCEEDED", ...), with the execution's error
 * and cause (NULL when none). def gives the state types (NULL: unknown).
 * Returns {"Name": {"status", "type", "count", "runs": [{"name", "status",
 * "input", "output", "error", "cause", "entered", "exited"}]}}: input and
 * output are the JSON texts of the history, entered/exited event ids. */
cJSON *web_graph_states(const cJSON *def, const cJSON *events,
                        const char *exec_status, const char *exec_error,
                        const char *exec_cause);

#endif
