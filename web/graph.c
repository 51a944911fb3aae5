/* graph.c: a definition as a Graphviz graph rendered to SVG, and the
 * statuses of an execution's states from its history (see graph.h). */
#include "graph.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

#include "../engine/json.h"

/* One Graphviz context for the process, used under gv_mu only. */
static pthread_mutex_t gv_mu = PTHREAD_MUTEX_INITIALIZER;
static GVC_t *gv_ctx;

/* The last SVGs rendered, by definition text (under gv_mu): a definition
 * never changes under its text, and Graphviz 2.42's dot layout leaks a
 * little memory on each layout with clusters (virtual edges of mincross),
 * so a long-running server lays out each definition once. */
#define SVG_CACHE 32
static struct {
  char *def, *svg;
  size_t len;
} svg_cache[SVG_CACHE];
static unsigned svg_next; /* the slot replaced next */

#define CATCH_COLOR "#c0392b"
#define CHOICE_COLOR "#1f5fa8"

/* ---- text helpers ---- */

static const cJSON *get(const cJSON *o, const char *k) {
  return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *get_str(const cJSON *o, const char *k) {
  const cJSON *v = get(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Length of the UTF-8 sequence at s when it is a character XML allows
 * (no overlong form, surrogate, U+FFFE/U+FFFF or code point past
 * U+10FFFF), or 0. */
static int utf8_len(const unsigned char *s) {
  if (s[0] < 0x80) return 1;
  int n = (s[0] & 0xE0) == 0xC0   ? 2
          : (s[0] & 0xF0) == 0xE0 ? 3
          : (s[0] & 0xF8) == 0xF0 ? 4
                                  : 0;
  if (n == 0) return 0;
  unsigned long c = s[0] & (0x7F >> n);
  for (int i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    c = (c << 6) | (s[i] & 0x3F);
  }
  static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < min[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) ||
      c == 0xFFFE || c == 0xFFFF)
    return 0;
  return n;
}

/* Appends s to b for a Graphviz HTML-like label: &, <, >, " escaped,
 * control characters as spaces and bytes that are not UTF-8 as '?'
 * (Graphviz's XML parser rejects both). */
static void put_escaped(asl_buf *b, const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    int n = utf8_len(p);
    if (n == 0) {
      asl_buf_putc(b, '?');
      p++;
      continue;
    }
    if (n > 1) {
      asl_buf_add(b, (const char *)p, (size_t)n);
      p += n;
      continue;
    }
    switch (*p) {
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
    default:
      asl_buf_putc(b, *p < 0x20 || *p == 0x7F ? ' ' : (char)*p);
    }
    p++;
  }
}

/* Cuts text t (a new string) to WEB_GRAPH_MAX_LABEL characters, not
 * splitting a UTF-8 sequence, adding "...". */
static char *cut(char *t) {
  size_t n = strlen(t);
  if (n <= WEB_GRAPH_MAX_LABEL) return t;
  size_t k = WEB_GRAPH_MAX_LABEL - 3;
  while (k > 0 && ((unsigned char)t[k] & 0xC0) == 0x80)
    k--;
  memcpy(t + k, "...", 4);
  return t;
}

/* "st-" and the hex of name's bytes: the SVG id of a state's node. */
static char *state_id(const char *name) {
  size_t n = strlen(name);
  char *id = asl_malloc(4 + 2 * n);
  memcpy(id, "st-", 3);
  for (size_t i = 0; i < n; i++)
    snprintf(id + 3 + 2 * i, 3, "%02x", (unsigned char)name[i]);
  id[3 + 2 * n] = 0;
  return id;
}

/* ---- Choice rules as short text ---- */

/* Operator suffixes, longest first ("LessThanEqualsPath" before
 * "EqualsPath"); a "Path" operand is shown as a path, unquoted. */
static const struct {
  const char *suffix, *op;
} choice_ops[] = {
    {"LessThanEqualsPath", "<="},
    {"GreaterThanEqualsPath", ">="},
    {"LessThanEquals", "<="},
    {"GreaterThanEquals", ">="},
    {"LessThanPath", "<"},
    {"GreaterThanPath", ">"},
    {"LessThan", "<"},
    {"GreaterThan", ">"},
    {"EqualsPath", "=="},
    {"Equals", "=="},
    {"MatchesPath", "matches"},
    {"Matches", "matches"},
};

static const char *const is_tests[] = {"IsNull",   "IsPresent", "IsNumeric",
                                       "IsString", "IsBoolean", "IsTimestamp",
                                       NULL};

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Appends a readable form of Choice rule r to b. */
static void rule_text(asl_buf *b, const cJSON *r, int depth) {
  const char *cond = get_str(r, "Condition");
  if (cond) { /* JSONata */
    asl_buf_puts(b, cond);
    return;
  }
  static const char *const combos[] = {"And", "Or", NULL};
  for (int i = 0; combos[i]; i++) {
    const cJSON *arr = get(r, combos[i]);
    if (!cJSON_IsArray(arr)) continue;
    if (depth) asl_buf_putc(b, '(');
    int first = 1;
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) {
      if (!first) asl_buf_puts(b, i == 0 ? " && " : " || ");
      first = 0;
      rule_text(b, x, depth + 1);
    }
    if (depth) asl_buf_putc(b, ')');
    return;
  }
  const cJSON *not = get(r, "Not");
  if (cJSON_IsObject(not )) {
    asl_buf_puts(b, "!(");
    rule_text(b, not, 0);
    asl_buf_putc(b, ')');
    return;
  }
  const char *var = get_str(r, "Variable");
  asl_buf_puts(b, var ? var : "?");
  const cJSON *f;
  cJSON_ArrayForEach(f, r) {
    const char *k = f->string;
    if (!k || strcmp(k, "Variable") == 0 || strcmp(k, "Next") == 0 ||
        strcmp(k, "Comment") == 0 || strcmp(k, "Assign") == 0 ||
        strcmp(k, "Output") == 0)
      continue;
    for (int i = 0; is_tests[i]; i++)
      if (strcmp(k, is_tests[i]) == 0) {
        asl_buf_printf(b, " is %s%c%s", cJSON_IsFalse(f) ? "not " : "",
                       (char)(k[2] - 'A' + 'a'), k + 3);
        return;
      }
    for (size_t i = 0; i < sizeof choice_ops / sizeof *choice_ops; i++)
      if (ends_with(k, choice_ops[i].suffix)) {
        char *v = ends_with(k, "Path") && cJSON_IsString(f)
                      ? asl_strdup(f->valuestring)
                      : asl_json_print(f);
        asl_buf_printf(b, " %s %s", choice_ops[i].op, v);
        free(v);
        return;
      }
  }
}

/* ---- building the graph ---- */

typedef struct gctx {
  Agraph_t *root;
  int clusters; /* numbering of cluster names */
} gctx;

/* One state of a States object, with the nodes edges go into and out of. */
typedef struct gstate {
  const char *name;
  Agnode_t *in, *out;
} gstate;

static void set(void *obj, const char *k, const char *v) {
  agsafeset(obj, (char *)k, (char *)v, "");
}

/* Sets HTML-like attribute k (label, xlabel) of obj to html. */
static void set_html(gctx *x, void *obj, const char *k, const char *html) {
  char *h = agstrdup_html(x->root, (char *)html);
  agsafeset(obj, (char *)k, "", "");
  agxset(obj, agattr(x->root, AGTYPE(obj), (char *)k, NULL), h);
  agstrfree(x->root, h);
}

static Agraph_t *cluster(gctx *x, Agraph_t *g, const char *label,
                         const char *style) {
  char name[48];
  snprintf(name, sizeof name, "cluster_%d", x->clusters++);
  Agraph_t *c = agsubg(g, name, 1);
  if (*label) {
    asl_buf b = {0};
    asl_buf_puts(&b, "<B>");
    put_escaped(&b, label);
    asl_buf_puts(&b, "</B>");
    set_html(x, c, "label", b.s);
    asl_buf_free(&b);
  } else {
    set(c, "label", ""); /* a subgraph inherits its parent's label */
  }
  set(c, "style", style);
  set(c, "color", "#9aa5b1");
  set(c, "labeljust", "l");
  set(c, "fontsize", "10");
  return c;
}

static Agnode_t *state_node(gctx *x, Agraph_t *g, const char *name,
                            const char *type) {
  /* keyed by its id: Graphviz writes the key into the SVG as it is */
  char *id = state_id(name);
  Agnode_t *n = agnode(g, id, 1);
  set(n, "id", id);
  free(id);
  set(n, "class", "state");
  asl_buf b = {0};
  put_escaped(&b, *name ? name : "?");
  asl_buf_puts(&b, "<BR/><FONT POINT-SIZE=\"8\" COLOR=\"#666666\">");
  put_escaped(&b, type && *type ? type : "?");
  asl_buf_puts(&b, "</FONT>");
  set_html(x, n, "label", b.s);
  asl_buf_free(&b);
  return n;
}

static Agnode_t *join_point(gctx *x, Agraph_t *g) {
  char name[48];
  snprintf(name, sizeof name, "join:%d", x->clusters++);
  Agnode_t *n = agnode(g, name, 1);
  set(n, "shape", "point");
  set(n, "width", "0.1");
  set(n, "fillcolor", "#5f6b76");
  set(n, "color", "#5f6b76");
  set(n, "label", "");
  return n;
}

static Agedge_t *edge(gctx *x, Agnode_t *a, Agnode_t *b, const char *label,
                      const char *color, const char *style) {
  Agedge_t *e = agedge(x->root, a, b, NULL, 1);
  if (label) {
    asl_buf t = {0};
    asl_buf_puts(&t, "<FONT POINT-SIZE=\"8\">");
    put_escaped(&t, *label ? label : "?");
    asl_buf_puts(&t, "</FONT>");
    set_html(x, e, "label", t.s);
    asl_buf_free(&t);
  }
  if (color) {
    set(e, "color", color);
    set(e, "fontcolor", color);
  }
  if (style) set(e, "style", style);
  return e;
}

static void add_states(gctx *x, Agraph_t *g, const cJSON *sm, Agnode_t *entry,
                       Agnode_t *exit_);

static gstate *find(gstate *v, size_t n, const char *name) {
  for (size_t i = 0; name && i < n; i++)
    if (strcmp(v[i].name, name) == 0) return &v[i];
  return NULL;
}

/* Creates the nodes of state s (named name) in g: a box, or for Parallel
 * and Map a cluster around the box, its branches and a join point. */
static void add_nodes(gctx *x, Agraph_t *g, const char *name, const cJSON *s,
                      gstate *out) {
  const char *type = get_str(s, "Type");
  out->name = name;
  int par = type && strcmp(type, "Parallel") == 0;
  int map = type && strcmp(type, "Map") == 0;
  if (!par && !map) {
    out->in = out->out = state_node(x, g, name, type);
    return;
  }
  Agraph_t *c = cluster(x, g, "", "rounded,dashed");
  out->in = state_node(x, c, name, type);
  out->out = join_point(x, c);
  if (par) {
    const cJSON *br;
    int i = 0;
    cJSON_ArrayForEach(br, get(s, "Branches")) {
      char label[32];
      snprintf(label, sizeof label, "Branch %d", ++i);
      Agraph_t *bc = cluster(x, c, label, "rounded");
      add_states(x, bc, br, out->in, out->out);
    }
    return;
  }
  const cJSON *p = get(s, "ItemProcessor");
  if (!p) p = get(s, "Iterator");
  Agraph_t *bc = cluster(x, c, "Item processor", "rounded");
  add_states(x, bc, p, out->in, out->out);
}

/* The edges leaving state s (its entry in v). */
static void add_edges(gctx *x, gstate *v, size_t n, const gstate *self,
                      const cJSON *s, Agnode_t *exit_) {
  const char *type = get_str(s, "Type");
  gstate *t = find(v, n, get_str(s, "Next"));
  if (t) edge(x, self->out, t->in, NULL, NULL, NULL);
  if (cJSON_IsTrue(get(s, "End")) ||
      (type && (strcmp(type, "Succeed") == 0 || strcmp(type, "Fail") == 0)))
    edge(x, self->out, exit_, NULL, NULL, NULL);
  const cJSON *r;
  cJSON_ArrayForEach(r, get(s, "Choices")) {
    gstate *rt = find(v, n, get_str(r, "Next"));
    if (!rt) continue;
    asl_buf b = {0};
    rule_text(&b, r, 0);
    char *label = cut(asl_buf_take(&b));
    edge(x, self->out, rt->in, label, CHOICE_COLOR, NULL);
    free(label);
  }
  t = find(v, n, get_str(s, "Default"));
  if (t) edge(x, self->out, t->in, "Default", CHOICE_COLOR, "dashed");
  cJSON_ArrayForEach(r, get(s, "Catch")) {
    gstate *ct = find(v, n, get_str(r, "Next"));
    if (!ct) continue;
    asl_buf b = {0};
    asl_buf_puts(&b, "Catch ");
    const cJSON *err;
    int first = 1;
    cJSON_ArrayForEach(err, get(r, "ErrorEquals")) {
      if (!cJSON_IsString(err)) continue;
      if (!first) asl_buf_puts(&b, ", ");
      first = 0;
      asl_buf_puts(&b, err->valuestring);
    }
    char *label = cut(asl_buf_take(&b));
    edge(x, self->out, ct->in, label, CATCH_COLOR, "dashed");
    free(label);
  }
}

/* The states of sm ({"StartAt","States"}) into g: entry -> StartAt, each
 * terminal state -> exit_. */
static void add_states(gctx *x, Agraph_t *g, const cJSON *sm, Agnode_t *entry,
                       Agnode_t *exit_) {
  const cJSON *states = get(sm, "States");
  size_t n = (size_t)cJSON_GetArraySize(states), i = 0;
  if (!cJSON_IsObject(states) || n == 0) return;
  gstate *v = asl_calloc(n, sizeof *v);
  const cJSON *s;
  cJSON_ArrayForEach(s, states) add_nodes(x, g, s->string, s, &v[i++]);
  gstate *start = find(v, n, get_str(sm, "StartAt"));
  if (start) edge(x, entry, start->in, NULL, NULL, NULL);
  i = 0;
  cJSON_ArrayForEach(s, states) {
    add_edges(x, v, n, &v[i], s, exit_);
    i++;
  }
  free(v);
}

int web_graph_svg(const cJSON *def, char **svg, size_t *len, asl_error *e) {
  *svg = NULL;
  *len = 0;
  int rc = -1;
  char *text = asl_json_print(def);
  pthread_mutex_lock(&gv_mu);
  for (int i = 0; i < SVG_CACHE; i++)
    if (svg_cache[i].def && strcmp(svg_cache[i].def, text) == 0) {
      *svg = asl_strndup(svg_cache[i].svg, svg_cache[i].len);
      *len = svg_cache[i].len;
      pthread_mutex_unlock(&gv_mu);
      free(text);
      return 0;
    }
  if (!gv_ctx) gv_ctx = gvContext();
  gctx x = {agopen("asl", Agdirected, NULL), 0};
  Agraph_t *g = x.root;
  set(g, "rankdir", "TB");
  set(g, "nodesep", "0.3");
  set(g, "ranksep", "0.35");
  set(g, "fontname", "Helvetica");
  set(g, "bgcolor", "transparent");
  agattr(g, AGNODE, "shape", "box");
  agattr(g, AGNODE, "style", "rounded,filled");
  agattr(g, AGNODE, "fillcolor", "#ffffff");
  agattr(g, AGNODE, "fontname", "Helvetica");
  agattr(g, AGNODE, "fontsize", "11");
  agattr(g, AGNODE, "margin", "0.15,0.06");
  agattr(g, AGEDGE, "fontname", "Helvetica");
  agattr(g, AGEDGE, "arrowsize", "0.7");
  Agnode_t *start = agnode(g, "__start", 1), *end = agnode(g, "__end", 1);
  set(start, "label", "Start");
  set(end, "label", "End");
  set(start, "id", "start");
  set(end, "id", "end");
  set(start, "shape", "oval");
  set(end, "shape", "oval");
  set(start, "class", "terminal");
  set(end, "class", "terminal");
  add_states(&x, g, def, start, end);
  char *out = NULL;
  unsigned int n = 0;
  if (gvLayout(gv_ctx, g, "dot") != 0) {
    asl_error_set(e, "Graph.Render", "Graphviz could not lay out the graph");
    goto out;
  }
  if (gvRenderData(gv_ctx, g, "svg", &out, &n) != 0 || !out) {
    asl_error_set(e, "Graph.Render", "Graphviz could not render SVG");
    gvFreeLayout(gv_ctx, g);
    goto out;
  }
  *svg = asl_strndup(out, n);
  *len = n;
  gvFreeRenderData(out);
  gvFreeLayout(gv_ctx, g);
  unsigned k = svg_next++ % SVG_CACHE;
  free(svg_cache[k].def);
  free(svg_cache[k].svg);
  svg_cache[k].def = text;
  svg_cache[k].svg = asl_strndup(*svg, n);
  svg_cache[k].len = n;
  text = NULL;
  rc = 0;
out:
  agclose(g);
  pthread_mutex_unlock(&gv_mu);
  free(text);
  return rc;
}

/* ---- statuses from a history ---- */

/* Order of "worse": a state shows its worst run. */
static int rank(const char *st) {
  static const char *const order[] = {"succeeded", "caught", "failed",
                                      "running", NULL};
  for (int i = 0; order[i]; i++)
    if (strcmp(st, order[i]) == 0) return i;
  return -1;
}

static int ends_failure(const char *type) {
  return ends_with(type, "Failed") || ends_with(type, "TimedOut") ||
         ends_with(type, "Aborted");
}

/* The details object of ev whose key ends in "EventDetails", or NULL. */
static const cJSON *details(const cJSON *ev) {
  const cJSON *d;
  cJSON_ArrayForEach(d, ev) if (d->string &&
                                ends_with(d->string, "EventDetails")) return d;
  return NULL;
}

/* Finds the type of state name anywhere in sm (nested too), or NULL. */
static const cJSON *find_state(const cJSON *sm, const char *name, int depth) {
  if (!sm || depth > 64) return NULL;
  const cJSON *s = get(get(sm, "States"), name);
  if (s) return s;
  const cJSON *st;
  cJSON_ArrayForEach(st, get(sm, "States")) {
    const cJSON *br;
    cJSON_ArrayForEach(br, get(st, "Branches")) {
      const cJSON *f = find_state(br, name, depth + 1);
      if (f) return f;
    }
    const cJSON *p = get(st, "ItemProcessor");
    if (!p) p = get(st, "Iterator");
    const cJSON *f = find_state(p, name, depth + 1);
    if (f) return f;
  }
  return NULL;
}

static void set_str(cJSON *o, const char *k, const char *v) {
  cJSON_DeleteItemFromObjectCaseSensitive(o, k);
  if (v) cJSON_AddStringToObject(o, k, v);
}

/* Member k of event ev as an id: 0 when it is no number in range. */
static long long event_id(const cJSON *ev, const char *k) {
  const cJSON *v = get(ev, k);
  if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble < 1e15))
    return 0;
  return (long long)v->valuedouble;
}

/* The run of the event with id want: walks previousEventId back to the
 * nearest *StateEntered event, through byid (id -> event). */
static cJSON *run_of(const cJSON **byid, long long n, cJSON **runs,
                     long long want) {
  for (int hops = 0; want > 0 && want < n && hops < 100000; hops++) {
    if (runs[want]) return runs[want];
    const cJSON *ev = byid[want];
    if (!ev) return NULL;
    const char *type = get_str(ev, "type");
    /* A Parallel's or Map's end follows its last branch event: not theirs */
    if (type && ends_with(type, "StateExited")) return NULL;
    want = event_id(ev, "previousEventId");
  }
  return NULL;
}

cJSON *web_graph_states(const cJSON *def, const cJSON *events,
                        const char *exec_status, const char *exec_error,
                        const char *exec_cause) {
  cJSON *out = cJSON_CreateObject();
  /* A history's ids are 1..count: an id past that is ignored */
  long long n = (long long)cJSON_GetArraySize(events) + 1;
  const cJSON *ev;
  const cJSON **byid = asl_calloc((size_t)n, sizeof *byid);
  cJSON **runs = asl_calloc((size_t)n, sizeof *runs); /* entered id -> run */
  cJSON_ArrayForEach(ev, events) {
    double id = cJSON_GetNumberValue(get(ev, "id"));
    if (id >= 1 && id < (double)n) byid[(long long)id] = ev;
  }
  int running = exec_status && strcmp(exec_status, "RUNNING") == 0;
  for (long long id = 1; id < n; id++) {
    ev = byid[id];
    if (!ev) continue;
    const char *type = get_str(ev, "type");
    if (!type) continue;
    const cJSON *d = details(ev);
    long long prev = event_id(ev, "previousEventId");
    if (ends_with(type, "StateEntered")) {
      const char *name = get_str(d, "name");
      if (!name) continue;
      cJSON *st = cJSON_GetObjectItemCaseSensitive(out, name);
      if (!st) {
        st = cJSON_AddObjectToObject(out, name);
        const char *stype = get_str(find_state(def, name, 0), "Type");
        if (stype) cJSON_AddStringToObject(st, "type", stype);
        cJSON_AddNumberToObject(st, "count", 0);
        cJSON_AddArrayToObject(st, "runs");
      }
      cJSON *count = cJSON_GetObjectItemCaseSensitive(st, "count");
      cJSON_SetNumberValue(count, count->valuedouble + 1);
      cJSON *run = cJSON_CreateObject();
      cJSON_AddStringToObject(run, "name", name);
      cJSON_AddStringToObject(run, "status", running ? "running" : "failed");
      set_str(run, "input", get_str(d, "input"));
      cJSON_AddNumberToObject(run, "entered", (double)id);
      if (strcmp(type, "FailStateEntered") == 0) {
        const cJSON *fs = find_state(def, name, 0);
        cJSON_SetValuestring(cJSON_GetObjectItemCaseSensitive(run, "status"),
                             "failed");
        set_str(run, "error", get_str(fs, "Error"));
        set_str(run, "cause", get_str(fs, "Cause"));
      }
      cJSON *arr = cJSON_GetObjectItemCaseSensitive(st, "runs");
      cJSON_AddItemToArray(arr, run);
      runs[id] = run;
    } else if (ends_with(type, "StateExited")) {
      const char *name = get_str(d, "name");
      cJSON *run = run_of(byid, n, runs, prev);
      /* A Parallel's or Map's exit follows its branches' last events: the
       * chain leads into a branch. Take the open run of that name. */
      if (run && !(name && strcmp(get_str(run, "name"), name) == 0)) run = NULL;
      if (!run) {
        cJSON *st = cJSON_GetObjectItemCaseSensitive(out, name ? name : "");
        cJSON *r;
        cJSON_ArrayForEach(r, get(st, "runs")) if (!get(r, "exited")) run = r;
      }
      if (!run) continue;
      const cJSON *pe = prev > 0 && prev < n ? byid[prev] : NULL;
      const char *ptype = pe ? get_str(pe, "type") : NULL;
      int caught = ptype && ends_failure(ptype);
      cJSON_SetValuestring(cJSON_GetObjectItemCaseSensitive(run, "status"),
                           caught ? "caught" : "succeeded");
      set_str(run, "output", get_str(d, "output"));
      cJSON_AddNumberToObject(run, "exited", (double)id);
    } else if (d && (get_str(d, "error") || get_str(d, "cause")) &&
               strcmp(type, "ExecutionFailed") != 0 &&
               strcmp(type, "ExecutionTimedOut") != 0 &&
               strcmp(type, "ExecutionAborted") != 0) {
      cJSON *run = run_of(byid, n, runs, prev);
      if (!run) continue;
      set_str(run, "error", get_str(d, "error"));
      set_str(run, "cause", get_str(d, "cause"));
    }
  }
  /* A run left open when the execution ended failed with the execution's
   * error when it has none of its own; each state gets its worst run. */
  cJSON *st;
  cJSON_ArrayForEach(st, out) {
    const char *worst = "succeeded";
    cJSON *runs_arr = cJSON_GetObjectItemCaseSensitive(st, "runs");
    cJSON *r;
    cJSON_ArrayForEach(r, runs_arr) {
      const char *s = get_str(r, "status");
      if (!running && strcmp(s, "failed") == 0 && !get(r, "error") &&
          !get(r, "exited")) {
        set_str(r, "error", exec_error);
        set_str(r, "cause", exec_cause);
      }
      if (rank(s) > rank(worst)) worst = s;
    }
    while (cJSON_GetArraySize(runs_arr) > WEB_GRAPH_MAX_RUNS)
      cJSON_DeleteItemFromArray(runs_arr, 0);
    cJSON_AddStringToObject(st, "status", worst);
  }
  free(byid);
  free(runs);
  return out;
}
