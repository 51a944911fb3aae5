/* sql.c: the Athena-like SQL engine (lake/sql.h): the catalog, statement
 * dispatch, the DDL and DML statements, and the translation of Trino's
 * SELECT syntax into SQLite's.
 *
 * Storage ($ASL_HOME/athena/):
 *  - catalog.db: databases(name, comment, location, props) and
 *    tables(db, name, kind, spec, sig): kind EXTERNAL, ICEBERG or MANAGED
 *    (a CTAS Hive table); spec is a JSON object (columns with their
 *    Athena types, partitions, location, serde, delim, escape,
 *    serde_props, props = TBLPROPERTIES); sig is the signature of an
 *    external table's last load (sql_ext.c).
 *  - db/NAME.sqlite: one file per database, attached under the database's
 *    name, holding managed tables' rows and external tables' loads, with
 *    columns declared with Athena result types ("varchar", "integer",
 *    "date", "float", ...) so sqlite3_column_decltype carries the types.
 * Every table reference is rewritten to "db"."table" so two databases with
 * the same table name never clash. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lake.h"
#include "sql_int.h"

#define IRE "InvalidRequestException"
#define MAX_DEPTH 200

int sql_past_deadline(sqlx *x) {
  if (x->timed_out) return 1;
  if (x->deadline <= 0) return 0;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if ((double)ts.tv_sec + ts.tv_nsec / 1e9 > x->deadline) x->timed_out = 1;
  return x->timed_out;
}

static int progress(void *ud) { return sql_past_deadline(ud); }

static char *qid(const char *s) {
  asl_buf b = {0};
  asl_buf_putc(&b, '"');
  for (; *s; s++) {
    if (*s == '"') asl_buf_putc(&b, '"');
    asl_buf_putc(&b, *s);
  }
  asl_buf_putc(&b, '"');
  return asl_buf_take(&b);
}

static void put_str_lit(asl_buf *b, const char *s) {
  asl_buf_putc(b, '\'');
  for (; *s; s++) {
    if (*s == '\'') asl_buf_putc(b, '\'');
    asl_buf_putc(b, *s);
  }
  asl_buf_putc(b, '\'');
}

static int valid_name(const char *s) {
  size_t n = strlen(s);
  if (!n || n > 255) return 0;
  for (; *s; s++)
    if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
          *s == '_'))
      return 0;
  return 1;
}

/* ---- the catalog ---- */
static int mkdirs(const char *path) {
  char *p = asl_strdup(path);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    mkdir(p, 0777);
    *s = '/';
  }
  int rc = mkdir(p, 0777) == 0 || errno == EEXIST ? 0 : -1;
  free(p);
  return rc;
}

static int exec(sqlx *x, const char *sql, asl_error *err) {
  char *m = NULL;
  if (sqlite3_exec(x->db, sql, NULL, NULL, &m) == SQLITE_OK) return 0;
  if (sql_past_deadline(x))
    asl_error_set(err, "States.Timeout", "the query ran past its deadline");
  else
    asl_error_set(err, "InternalError", "catalog: %s",
                  m ? m : sqlite3_errmsg(x->db));
  sqlite3_free(m);
  return -1;
}

static int x_open(sqlx *x, const char *home, asl_error *err) {
  char *h = home ? asl_strdup(home) : asl_home_dir();
  x->athena = asl_sprintf("%s/athena", h);
  x->lake = asl_sprintf("%s/lake", h);
  free(h);
  char *dbdir = asl_sprintf("%s/db", x->athena);
  int rc = mkdirs(dbdir);
  free(dbdir);
  if (rc < 0)
    return asl_error_set(err, "InternalError", "cannot create %s: %s",
                         x->athena, strerror(errno));
  char *cat = asl_sprintf("%s/catalog.db", x->athena);
  rc = sqlite3_open_v2(
      cat, &x->db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  free(cat);
  if (rc != SQLITE_OK)
    return asl_error_set(err, "InternalError", "cannot open the catalog: %s",
                         x->db ? sqlite3_errmsg(x->db) : "out of memory");
  sqlite3_busy_timeout(x->db, 30000);
  sqlite3_limit(x->db, SQLITE_LIMIT_ATTACHED, 125);
  sqlite3_progress_handler(x->db, 1000, progress, x);
  sql_register_functions(x->db);
  return exec(x,
              "PRAGMA journal_mode=WAL;"
              "CREATE TABLE IF NOT EXISTS databases(name TEXT PRIMARY KEY, "
              "comment TEXT, location TEXT, props TEXT);"
              "CREATE TABLE IF NOT EXISTS tables(db TEXT, name TEXT, kind "
              "TEXT, spec TEXT, sig TEXT, PRIMARY KEY(db, name));"
              "INSERT OR IGNORE INTO databases(name) VALUES('default');",
              err);
}

static void x_close(sqlx *x) {
  if (x->db) sqlite3_close_v2(x->db);
  for (size_t i = 0; i < x->nattached; i++)
    free(x->attached[i]);
  free(x->attached);
  free(x->athena);
  free(x->lake);
  free(x->cur);
}

static int db_exists(sqlx *x, const char *name) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(x->db, "SELECT 1 FROM main.databases WHERE name=?1",
                         -1, &st, NULL) != SQLITE_OK)
    return 0;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int ok = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  return ok;
}

/* 1 found (kind, spec new), 0 not found. */
static int table_get(sqlx *x, const char *db, const char *name, char **kind,
                     cJSON **spec) {
  sqlite3_stmt *st;
  if (kind) *kind = NULL;
  if (spec) *spec = NULL;
  if (sqlite3_prepare_v2(
          x->db, "SELECT kind, spec FROM main.tables WHERE db=?1 AND name=?2",
          -1, &st, NULL) != SQLITE_OK)
    return 0;
  sqlite3_bind_text(st, 1, db, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  int found = sqlite3_step(st) == SQLITE_ROW;
  if (found) {
    if (kind) *kind = asl_strdup((const char *)sqlite3_column_text(st, 0));
    if (spec) *spec = cJSON_Parse((const char *)sqlite3_column_text(st, 1));
    if (spec && !*spec) *spec = cJSON_CreateObject();
  }
  sqlite3_finalize(st);
  return found;
}

static int attach(sqlx *x, const char *db, asl_error *err) {
  for (size_t i = 0; i < x->nattached; i++)
    if (!strcmp(x->attached[i], db)) return 0;
  if (!strcmp(db, "main") || !strcmp(db, "temp"))
    return asl_error_set(
        err, IRE, "NOT_SUPPORTED: asl cannot hold a database named %s", db);
  char *path = asl_sprintf("%s/db/%s.sqlite", x->athena, db);
  char *q = qid(db);
  char *sql = asl_sprintf("ATTACH DATABASE ?1 AS %s", q);
  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(x->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
  }
  free(sql);
  free(path);
  if (rc != SQLITE_DONE) {
    free(q);
    return asl_error_set(err, "InternalError", "cannot open database %s: %s",
                         db, sqlite3_errmsg(x->db));
  }
  sql = asl_sprintf("PRAGMA %s.journal_mode=WAL", q);
  sqlite3_exec(x->db, sql, NULL, NULL, NULL);
  free(sql);
  free(q);
  x->attached = asl_realloc(x->attached, (x->nattached + 1) * sizeof(char *));
  x->attached[x->nattached++] = asl_strdup(db);
  return 0;
}

/* ---- the parser's cursor ---- */
typedef struct P {
  sqlx *x;
  sql_toks *t;
  size_t i;
  size_t end; /* index of the EOF (or the trailing ';') */
  asl_error *err;
} P;

static sql_tok *pk(P *p) { return &p->t->v[p->i < p->end ? p->i : p->end]; }
static sql_tok *pk2(P *p, size_t k) {
  size_t j = p->i + k;
  return &p->t->v[j < p->end ? j : p->end];
}
static int tk_is(const sql_tok *t, const char *kw) {
  return t->k == TK_ID && !strcmp(t->v, kw);
}
static int op_is(const sql_tok *t, const char *op) {
  return t->k == TK_OP && !strcmp(t->v, op);
}
static int at_end(P *p) { return p->i >= p->end; }

static const char *tok_text(const sql_tok *t) {
  return t->k == TK_EOF ? "<EOF>" : t->v;
}

static int syntax(P *p, const sql_tok *t, const char *expecting) {
  if (t->k == TK_STR)
    return asl_error_set(p->err, IRE,
                         "line %d:%d: mismatched input ''%s''. Expecting: %s",
                         t->line, t->col, t->v, expecting);
  return asl_error_set(p->err, IRE,
                       "line %d:%d: mismatched input '%.*s'. Expecting: %s",
                       t->line, t->col, t->k == TK_EOF ? 5 : (int)t->n,
                       t->k == TK_EOF ? "<EOF>" : t->s, expecting);
}

static int accept(P *p, const char *kw) {
  if (tk_is(pk(p), kw)) {
    p->i++;
    return 1;
  }
  return 0;
}
static int accept_op(P *p, const char *op) {
  if (op_is(pk(p), op)) {
    p->i++;
    return 1;
  }
  return 0;
}
static int expect(P *p, const char *kw, const char *expecting) {
  if (accept(p, kw)) return 0;
  return syntax(p, pk(p), expecting);
}
static int expect_op(P *p, const char *op) {
  if (accept_op(p, op)) return 0;
  char e[16];
  snprintf(e, sizeof e, "'%s'", op);
  return syntax(p, pk(p), e);
}

static int ident(P *p, char **out) {
  sql_tok *t = pk(p);
  if (t->k != TK_ID && t->k != TK_QID) return syntax(p, t, "<identifier>");
  *out = asl_strdup(t->v);
  p->i++;
  return 0;
}

static int str_lit(P *p, char **out) {
  sql_tok *t = pk(p);
  if (t->k != TK_STR) return syntax(p, t, "<string>");
  *out = asl_strdup(t->v);
  p->i++;
  return 0;
}

/* [catalog.][db.]name; *db NULL when not given. */
static int qname(P *p, char **db, char **name, sql_tok **where) {
  char *a = NULL, *b = NULL, *c = NULL;
  *db = *name = NULL;
  if (where) *where = pk(p);
  if (ident(p, &a) < 0) return -1;
  if (accept_op(p, ".")) {
    if (ident(p, &b) < 0) goto bad;
    if (accept_op(p, ".")) {
      if (ident(p, &c) < 0) goto bad;
      if (strcmp(a, "awsdatacatalog") != 0) {
        asl_error_set(p->err, IRE, "line %d:%d: Catalog '%s' does not exist",
                      where ? (*where)->line : 1, where ? (*where)->col : 1, a);
        goto bad;
      }
      free(a);
      *db = b;
      *name = c;
      return 0;
    }
    *db = a;
    *name = b;
    return 0;
  }
  *name = a;
  return 0;
bad:
  free(a);
  free(b);
  free(c);
  return -1;
}

/* ---- result plumbing ---- */
static int emit_columns(const asl_sql_sink *s, const asl_sql_col *c, size_t n) {
  return s && s->columns ? s->columns(s->ctx, c, n) : 0;
}
static int emit_row(const asl_sql_sink *s, const char *const *v, size_t n) {
  return s && s->row ? s->row(s->ctx, v, n) : 0;
}
static int sink_stopped(asl_error *err) {
  if (!err->name)
    asl_error_set(err, "InternalError",
                  "the result sink stopped the statement");
  return -1;
}

/* A result of varchar columns from a list of rows (SHOW, DESCRIBE). */
typedef struct textres {
  size_t ncols;
  const char **names;
  char **cells; /* rows * ncols */
  size_t nrows, cap;
} textres;

static void tr_add(textres *r, const char *const *vals) {
  if (r->nrows == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 16;
    r->cells = asl_realloc(r->cells, r->cap * r->ncols * sizeof(char *));
  }
  for (size_t i = 0; i < r->ncols; i++)
    r->cells[r->nrows * r->ncols + i] = vals[i] ? asl_strdup(vals[i]) : NULL;
  r->nrows++;
}

static int tr_send(textres *r, const asl_sql_sink *sink, asl_error *err) {
  asl_sql_col *cols = asl_calloc(r->ncols, sizeof *cols);
  for (size_t i = 0; i < r->ncols; i++) {
    cols[i].name = r->names[i];
    cols[i].type = "varchar";
  }
  int rc = 0;
  if (emit_columns(sink, cols, r->ncols)) rc = sink_stopped(err);
  for (size_t i = 0; !rc && i < r->nrows; i++)
    if (emit_row(sink, (const char *const *)&r->cells[i * r->ncols], r->ncols))
      rc = sink_stopped(err);
  free(cols);
  for (size_t i = 0; i < r->nrows * r->ncols; i++)
    free(r->cells[i]);
  free(r->cells);
  return rc;
}

/* Hive's SHOW pattern: '*' any characters, '|' alternatives, no case. */
static int hive_match1(const char *pat, size_t pn, const char *s) {
  if (!pn) return !*s;
  if (*pat == '*') {
    for (const char *q = s;; q++) {
      if (hive_match1(pat + 1, pn - 1, q)) return 1;
      if (!*q) return 0;
    }
  }
  if (!*s || tolower((unsigned char)*pat) != tolower((unsigned char)*s))
    return 0;
  return hive_match1(pat + 1, pn - 1, s + 1);
}

static int hive_match(const char *pat, const char *s) {
  if (!pat) return 1;
  for (;;) {
    const char *bar = strchr(pat, '|');
    size_t n = bar ? (size_t)(bar - pat) : strlen(pat);
    while (n && *pat == ' ') {
      pat++;
      n--;
    }
    while (n && pat[n - 1] == ' ')
      n--;
    if (hive_match1(pat, n, s)) return 1;
    if (!bar) return 0;
    pat = bar + 1;
  }
}

/* ---- the translator: Trino tokens -> SQLite text ---- */
typedef struct tref {
  char *db, *name, *kind;
  cJSON *spec;
} tref;

typedef struct tr {
  sqlx *x;
  sql_toks *t;
  asl_error *err;
  asl_buf out;
  size_t *moff, *mtok, nm, capm;
  char **ctes;
  size_t nctes;
  tref *refs;
  size_t nrefs;
  size_t qa, qb; /* the query's tokens, for sql_ext_refresh's pruning */
  int have_q;
} tr;

static void tr_free(tr *T) {
  asl_buf_free(&T->out);
  free(T->moff);
  free(T->mtok);
  for (size_t i = 0; i < T->nctes; i++)
    free(T->ctes[i]);
  free(T->ctes);
  for (size_t i = 0; i < T->nrefs; i++) {
    free(T->refs[i].db);
    free(T->refs[i].name);
    free(T->refs[i].kind);
    cJSON_Delete(T->refs[i].spec);
  }
  free(T->refs);
}

static void mark(tr *T, size_t tok) {
  if (T->nm == T->capm) {
    T->capm = T->capm ? T->capm * 2 : 64;
    T->moff = asl_realloc(T->moff, T->capm * sizeof(size_t));
    T->mtok = asl_realloc(T->mtok, T->capm * sizeof(size_t));
  }
  T->moff[T->nm] = T->out.len;
  T->mtok[T->nm] = tok;
  T->nm++;
}

static void out(tr *T, const char *s) {
  if (T->out.len && s[0] != ',' && s[0] != ')' && s[0] != '.' &&
      T->out.s[T->out.len - 1] != '(' && T->out.s[T->out.len - 1] != '.')
    asl_buf_putc(&T->out, ' ');
  asl_buf_puts(&T->out, s);
}

static int is_cte(tr *T, const char *n) {
  for (size_t i = 0; i < T->nctes; i++)
    if (!strcmp(T->ctes[i], n)) return 1;
  return 0;
}

static const tref *ref_add(tr *T, const char *db, const char *name) {
  for (size_t i = 0; i < T->nrefs; i++)
    if (!strcmp(T->refs[i].db, db) && !strcmp(T->refs[i].name, name))
      return &T->refs[i];
  T->refs = asl_realloc(T->refs, (T->nrefs + 1) * sizeof *T->refs);
  tref *r = &T->refs[T->nrefs++];
  r->db = asl_strdup(db);
  r->name = asl_strdup(name);
  table_get(T->x, db, name, &r->kind, &r->spec);
  return r;
}

/* Trino's "Table 'awsdatacatalog.db.t' does not exist" / "Schema 'db' does
 * not exist" (as trino-main's SemanticExceptions word them). */
static int resolve_table(tr *T, const sql_tok *at, const char *db,
                         const char *name) {
  if (!db_exists(T->x, db))
    return asl_error_set(T->err, IRE, "line %d:%d: Schema '%s' does not exist",
                         at->line, at->col, db);
  if (!table_get(T->x, db, name, NULL, NULL))
    return asl_error_set(T->err, IRE,
                         "line %d:%d: Table 'awsdatacatalog.%s.%s' does not "
                         "exist",
                         at->line, at->col, db, name);
  if (attach(T->x, db, T->err) < 0) return -1;
  ref_add(T, db, name);
  return 0;
}

static size_t match_paren(sql_toks *t, size_t i, size_t b) {
  int d = 0;
  for (size_t j = i; j < b; j++) {
    if (op_is(&t->v[j], "("))
      d++;
    else if (op_is(&t->v[j], ")") && --d == 0)
      return j;
  }
  return b;
}

/* Collects CTE names: WITH [RECURSIVE] name [(cols)] AS (...) [, ...]. */
static void collect_ctes(tr *T, size_t a, size_t b) {
  sql_toks *t = T->t;
  for (size_t i = a; i < b; i++) {
    if (!tk_is(&t->v[i], "with")) continue;
    size_t j = i + 1;
    if (j < b && tk_is(&t->v[j], "recursive")) j++;
    while (j < b && (t->v[j].k == TK_ID || t->v[j].k == TK_QID)) {
      T->ctes = asl_realloc(T->ctes, (T->nctes + 1) * sizeof(char *));
      T->ctes[T->nctes++] = asl_strdup(t->v[j].v);
      j++;
      if (j < b && op_is(&t->v[j], "(")) j = match_paren(t, j, b) + 1;
      if (j < b && tk_is(&t->v[j], "as")) j++;
      if (j < b && op_is(&t->v[j], "(")) j = match_paren(t, j, b) + 1;
      if (j < b && op_is(&t->v[j], ","))
        j++;
      else
        break;
    }
  }
}

static const char *const CLAUSE_END[] = {
    "where",     "group",  "having", "order", "limit",  "union",
    "intersect", "except", "window", "set",   "offset", "values",
    "select",    "fetch",  "when",   "then",  NULL};

static int in_list(const char *v, const char *const *l) {
  for (; *l; l++)
    if (!strcmp(v, *l)) return 1;
  return 0;
}

/* Trino's reserved words: never a table name unless quoted */
static const char *const RESERVED[] = {
    "alter",  "and",        "as",       "between",   "by",       "case",
    "cast",   "constraint", "create",   "cross",     "cube",     "deallocate",
    "delete", "describe",   "distinct", "drop",      "else",     "end",
    "escape", "except",     "execute",  "exists",    "extract",  "false",
    "for",    "from",       "full",     "group",     "grouping", "having",
    "in",     "inner",      "insert",   "intersect", "into",     "is",
    "join",   "left",       "like",     "natural",   "not",      "null",
    "on",     "or",         "order",    "outer",     "prepare",  "recursive",
    "right",  "rollup",     "select",   "table",     "then",     "true",
    "union",  "unnest",     "using",    "values",    "when",     "where",
    "with",   "limit",      "lateral",  NULL};

static const char *const FUNC_NOT[] = {
    "in",    "exists",  "from",  "join",   "on",      "as",    "select",
    "where", "and",     "or",    "not",    "values",  "using", "over",
    "with",  "into",    "table", "by",     "then",    "else",  "when",
    "union", "all",     "any",   "some",   "lateral", "case",  "is",
    "like",  "between", "set",   "having", NULL};

/* Reads a type inside CAST(... AS type): returns its text, advancing *i. */
static char *type_text(sql_toks *t, size_t *i, size_t b) {
  asl_buf o = {0};
  int d = 0;
  for (; *i < b; (*i)++) {
    sql_tok *k = &t->v[*i];
    if (op_is(k, "(") || op_is(k, "<")) d++;
    if (op_is(k, ")") || op_is(k, ">")) {
      if (d == 0) break;
      d--;
    }
    if (k->k == TK_ID && o.len && isalnum((unsigned char)o.s[o.len - 1]))
      asl_buf_putc(&o, ' ');
    asl_buf_puts(&o, k->v);
  }
  return asl_buf_take(&o);
}

static int translate(tr *T, size_t a, size_t b);

static int tr_cast(tr *T, size_t *pi, size_t b) {
  sql_toks *t = T->t;
  size_t i = *pi;
  int try = tk_is(&t->v[i], "try_cast");
  size_t open = i + 1, close = match_paren(t, open, b);
  if (close >= b)
    return asl_error_set(T->err, IRE,
                         "line %d:%d: mismatched input '<EOF>'. Expecting: ')'",
                         t->v[b].line, t->v[b].col);
  /* the last AS at depth 1 */
  size_t as = 0;
  int d = 0;
  for (size_t j = open; j < close; j++) {
    if (op_is(&t->v[j], "("))
      d++;
    else if (op_is(&t->v[j], ")"))
      d--;
    else if (d == 1 && tk_is(&t->v[j], "as"))
      as = j;
  }
  if (!as)
    return asl_error_set(T->err, IRE,
                         "line %d:%d: mismatched input ')'. Expecting: 'AS'",
                         t->v[close].line, t->v[close].col);
  size_t k = as + 1;
  char *ty = type_text(t, &k, close);
  char canon[64];
  const char *rt = sql_result_type(ty, canon);
  if (!sql_type_known(ty) && strcmp(ty, "varbinary") != 0) {
    asl_error_set(T->err, IRE, "line %d:%d: Unknown type: %s",
                  t->v[as + 1].line, t->v[as + 1].col, ty);
    free(ty);
    return -1;
  }
  mark(T, i);
  out(T, "asl_cast(");
  int rc = translate(T, open + 1, as);
  if (rc == 0) {
    asl_buf_puts(&T->out, ", ");
    put_str_lit(&T->out, rt);
    asl_buf_puts(&T->out, try ? ", 1)" : ", 0)");
  }
  free(ty);
  *pi = close + 1;
  return rc;
}

/* Where the latest complete operand starts in the output, so that
 * "x + INTERVAL '1' DAY" can become asl_add_interval(x, ...): an operand
 * is a name chain, a literal, a call or a parenthesised expression. */
static void track(sql_toks *t, size_t a, size_t i0, size_t before, size_t *prim,
                  size_t *open_off, int depth) {
  sql_tok *k = &t->v[i0];
  if (op_is(k, "(")) {
    int fnp =
        i0 > a && t->v[i0 - 1].k == TK_ID && !in_list(t->v[i0 - 1].v, FUNC_NOT);
    open_off[depth] = fnp ? *prim : before;
    return;
  }
  if (op_is(k, ")")) {
    if (open_off[depth + 1] != (size_t)-1) *prim = open_off[depth + 1];
    return;
  }
  if (k->k == TK_OP) return;
  if (i0 > a && op_is(&t->v[i0 - 1], ".")) return;
  *prim = before;
}

static void buf_insert(asl_buf *b, size_t at, const char *s) {
  size_t n = strlen(s);
  asl_buf_reserve(b, n + 1);
  memmove(b->s + at + n, b->s + at, b->len - at + 1);
  memcpy(b->s + at, s, n);
  b->len += n;
}

static int translate(tr *T, size_t a, size_t b) {
  sql_toks *t = T->t;
  size_t prim = (size_t)-1, open_off[MAX_DEPTH + 2];
  for (size_t j = 0; j < MAX_DEPTH + 2; j++)
    open_off[j] = (size_t)-1;
  int in_from[MAX_DEPTH + 1] = {0}, order[MAX_DEPTH + 1] = {0},
                          nulls[MAX_DEPTH + 1] = {0},
                          isfunc[MAX_DEPTH + 1] = {0};
  int depth = 0, expect_table = 0, fromsub[MAX_DEPTH + 1] = {0};
  size_t i = a, i0 = a, before = T->out.len, paren_pos[MAX_DEPTH + 1] = {0};
#define END_ORDER(d)                                                           \
  do {                                                                         \
    if (order[d]) {                                                            \
      if (!nulls[d]) out(T, "NULLS LAST");                                     \
      order[d] = 0;                                                            \
    }                                                                          \
  } while (0)
  for (; i < b; track(t, a, i0, before, &prim, open_off, depth),
                i0 = i, before = T->out.len) {
    sql_tok *k = &t->v[i];
    if (expect_table && (tk_is(k, "unnest") || tk_is(k, "lateral")))
      return asl_error_set(T->err, IRE,
                           "line %d:%d: NOT_SUPPORTED: asl does not support "
                           "%s yet",
                           k->line, k->col,
                           tk_is(k, "unnest") ? "UNNEST" : "LATERAL");
    if (expect_table && k->k == TK_ID && in_list(k->v, RESERVED))
      return asl_error_set(T->err, IRE,
                           "line %d:%d: mismatched input '%.*s'. Expecting: "
                           "<identifier>, '('",
                           k->line, k->col, (int)k->n, k->s);
    if (expect_table && (k->k == TK_ID || k->k == TK_QID)) {
      expect_table = 0;
      char *parts[3] = {0};
      int np = 0;
      size_t j = i;
      for (;;) {
        parts[np++] = t->v[j].v;
        j++;
        if (np < 3 && j + 1 < b && op_is(&t->v[j], ".") &&
            (t->v[j + 1].k == TK_ID || t->v[j + 1].k == TK_QID)) {
          j++;
          continue;
        }
        break;
      }
      const char *db, *name;
      if (np == 3) {
        if (strcmp(parts[0], "awsdatacatalog") != 0)
          return asl_error_set(T->err, IRE,
                               "line %d:%d: Catalog '%s' does not exist",
                               k->line, k->col, parts[0]);
        db = parts[1];
        name = parts[2];
      } else if (np == 2) {
        db = parts[0];
        name = parts[1];
      } else {
        db = T->x->cur;
        name = parts[0];
      }
      mark(T, i);
      if (np == 1 && is_cte(T, name)) {
        char *q = qid(name);
        out(T, q);
        free(q);
      } else {
        if (resolve_table(T, k, db, name) < 0) return -1;
        char *qd = qid(db), *qn = qid(name);
        char *s = asl_sprintf("%s.%s", qd, qn);
        out(T, s);
        free(s);
        free(qd);
        free(qn);
      }
      i = j;
      continue;
    }
    int was_expect = expect_table;
    expect_table = 0;
    if (k->k == TK_ID) {
      const char *v = k->v;
      sql_tok *nx = &t->v[i + 1 < b ? i + 1 : b];
      int call = i + 1 < b && op_is(nx, "(");
      if (!strcmp(v, "from") && !isfunc[depth]) {
        mark(T, i);
        out(T, "FROM");
        in_from[depth] = 1;
        expect_table = 1;
        i++;
        continue;
      }
      if ((!strcmp(v, "join") || !strcmp(v, "into") || !strcmp(v, "update")) &&
          !isfunc[depth]) {
        mark(T, i);
        out(T, v);
        if (!strcmp(v, "join")) in_from[depth] = 1;
        expect_table = 1;
        i++;
        continue;
      }
      if (in_list(v, CLAUSE_END)) in_from[depth] = 0;
      if (order[depth] &&
          (!strcmp(v, "limit") || !strcmp(v, "offset") || !strcmp(v, "rows") ||
           !strcmp(v, "range") || !strcmp(v, "fetch") || !strcmp(v, "union")))
        END_ORDER(depth);
      if (!strcmp(v, "nulls")) nulls[depth] = 1;
      if (!strcmp(v, "order") && i + 1 < b && tk_is(nx, "by")) {
        mark(T, i);
        out(T, "ORDER BY");
        order[depth] = 1;
        nulls[depth] = 0;
        i += 2;
        continue;
      }
      if ((!strcmp(v, "date") || !strcmp(v, "timestamp")) && i + 1 < b &&
          nx->k == TK_STR) {
        long long ms;
        int ht, isdate = v[0] == 'd';
        if (sql_parse_ts(nx->v, isdate, &ms, &ht) < 0)
          return asl_error_set(
              T->err, IRE, "line %d:%d: '%s' is not a valid %s literal",
              k->line, k->col, nx->v, isdate ? "date" : "timestamp");
        char buf[40];
        if (isdate)
          sql_fmt_date(ms, buf);
        else
          sql_fmt_ts(ms, buf);
        mark(T, i);
        out(T, "");
        put_str_lit(&T->out, buf);
        i += 2;
        continue;
      }
      if (!strcmp(v, "interval"))
        return asl_error_set(T->err, IRE,
                             "line %d:%d: NOT_SUPPORTED: asl supports INTERVAL "
                             "only as d + INTERVAL 'n' UNIT or d - INTERVAL "
                             "'n' UNIT; use date_add(unit, n, d)",
                             k->line, k->col);
      if (!strcmp(v, "extract") && call && i + 3 < b &&
          t->v[i + 2].k == TK_ID && tk_is(&t->v[i + 3], "from")) {
        /* EXTRACT(field FROM x) -> asl_extract('field', x) */
        if (depth >= MAX_DEPTH)
          return asl_error_set(T->err, IRE,
                               "line %d:%d: the statement is nested too deeply",
                               k->line, k->col);
        mark(T, i);
        out(T, "asl_extract(");
        put_str_lit(&T->out, t->v[i + 2].v);
        asl_buf_putc(&T->out, ',');
        depth++;
        in_from[depth] = order[depth] = nulls[depth] = 0;
        isfunc[depth] = 1;
        open_off[depth] = before;
        i += 4;
        continue;
      }
      if ((!strcmp(v, "cast") || !strcmp(v, "try_cast")) && call) {
        if (tr_cast(T, &i, b) < 0) return -1;
        continue;
      }
      if (!call && (!strcmp(v, "current_date"))) {
        mark(T, i);
        out(T, "asl_current_date()");
        i++;
        continue;
      }
      if (!call &&
          (!strcmp(v, "current_timestamp") || !strcmp(v, "localtimestamp"))) {
        mark(T, i);
        out(T, "asl_now()");
        i++;
        continue;
      }
      if (call) {
        static const char *const ren[][2] = {
            {"date", "asl_date"},
            {"concat", "asl_concat"},
            {"if", "asl_if"},
            {"now", "asl_now"},
            {"arbitrary", "min"},
            {"any_value", "min"},
            {"bool_and", "min"},
            {"every", "min"},
            {"bool_or", "max"},
            {"json_extract_scalar", "json_extract"},
            {"char_length", "length"},
            {"strftime", "asl_no_such_function"},
            {"julianday", "asl_no_such_function"},
            {"unixepoch", "asl_no_such_function"},
            {"time", "asl_no_such_function"},
            {"datetime", "asl_no_such_function"},
            {"printf", "asl_no_such_function"},
            {"format", "asl_no_such_function"},
            {"randomblob", "asl_no_such_function"},
            {"zeroblob", "asl_no_such_function"},
            {"load_extension", "asl_no_such_function"},
            {"sqlite_version", "asl_no_such_function"},
            {"instr", "asl_no_such_function"},
            {"group_concat", "asl_no_such_function"},
            {"total", "asl_no_such_function"},
            {"iif", "asl_no_such_function"},
            {"ifnull", "asl_no_such_function"},
            {"typeof", "asl_no_such_function"},
            {"glob", "asl_no_such_function"},
            {"hex", "asl_no_such_function"},
            {"quote", "asl_no_such_function"},
            {"likelihood", "asl_no_such_function"},
            {"unlikely", "asl_no_such_function"},
        };
        const char *fn = v;
        for (size_t r = 0; r < sizeof ren / sizeof ren[0]; r++)
          if (!strcmp(v, ren[r][0])) fn = ren[r][1];
        if (!strcmp(fn, "asl_no_such_function") || !strncmp(v, "asl_", 4) ||
            !strncmp(v, "sqlite_", 7) ||
            (!strncmp(v, "json_", 5) && strcmp(v, "json_extract_scalar")))
          return asl_error_set(T->err, IRE,
                               "line %d:%d: Function '%s' not registered",
                               k->line, k->col, v);
        mark(T, i);
        if (!strcmp(v, "approx_distinct")) {
          out(T, "count(DISTINCT");
          i += 2;
          if (depth >= MAX_DEPTH)
            return asl_error_set(T->err, IRE,
                                 "line %d:%d: the statement is nested too "
                                 "deeply",
                                 k->line, k->col);
          depth++;
          in_from[depth] = order[depth] = nulls[depth] = 0;
          isfunc[depth] = 1;
          continue;
        }
        out(T, fn);
        i++;
        continue;
      }
      mark(T, i);
      out(T, v);
      i++;
      continue;
    }
    if (k->k == TK_QID) {
      char *q = qid(k->v);
      mark(T, i);
      out(T, q);
      free(q);
      i++;
      continue;
    }
    if (k->k == TK_STR) {
      mark(T, i);
      out(T, "");
      put_str_lit(&T->out, k->v);
      i++;
      continue;
    }
    if (k->k == TK_NUM) {
      mark(T, i);
      out(T, k->v);
      i++;
      continue;
    }
    /* operators */
    if (op_is(k, "(")) {
      if (depth >= MAX_DEPTH)
        return asl_error_set(T->err, IRE,
                             "line %d:%d: the statement is nested too deeply",
                             k->line, k->col);
      int fnp =
          i > a && t->v[i - 1].k == TK_ID && !in_list(t->v[i - 1].v, FUNC_NOT);
      depth++;
      in_from[depth] = order[depth] = nulls[depth] = 0;
      isfunc[depth] = fnp;
      fromsub[depth] = was_expect;
      mark(T, i);
      if (T->out.len && !fnp) asl_buf_putc(&T->out, ' ');
      paren_pos[depth] = T->out.len;
      asl_buf_putc(&T->out, '(');
      i++;
      continue;
    }
    if (op_is(k, ")")) {
      END_ORDER(depth);
      int fs = fromsub[depth];
      size_t pp = paren_pos[depth];
      if (depth > 0) depth--;
      /* (query) [AS] x(a, b): SQLite has no column aliases there, so the
       * query becomes (WITH "__asl_dN"(a, b) AS (query) SELECT * FROM
       * "__asl_dN") AS x */
      size_t j = i + 1;
      if (fs && j < b && tk_is(&t->v[j], "as")) j++;
      if (fs && j + 2 < b &&
          (t->v[j].k == TK_QID ||
           (t->v[j].k == TK_ID && !in_list(t->v[j].v, RESERVED))) &&
          op_is(&t->v[j + 1], "(")) {
        size_t c = j + 2;
        asl_buf cl = {0};
        int okc = 1;
        for (;;) {
          if (c >= b || (t->v[c].k != TK_ID && t->v[c].k != TK_QID)) {
            okc = 0;
            break;
          }
          char *qc = qid(t->v[c].v);
          asl_buf_printf(&cl, "%s%s", cl.len ? ", " : "", qc);
          free(qc);
          c++;
          if (c < b && op_is(&t->v[c], ",")) {
            c++;
            continue;
          }
          if (c < b && op_is(&t->v[c], ")")) break;
          okc = 0;
          break;
        }
        if (okc) {
          char *cte = asl_sprintf("\"__asl_d%zu\"", i);
          char *ins = asl_sprintf("WITH %s(%s) AS (", cte, cl.s);
          buf_insert(&T->out, pp + 1, ins);
          for (size_t m = 0; m < T->nm; m++)
            if (T->moff[m] > pp) T->moff[m] += strlen(ins);
          mark(T, i);
          asl_buf_printf(&T->out, ") SELECT * FROM %s)", cte);
          char *qa = qid(t->v[j].v);
          out(T, "AS");
          out(T, qa);
          free(qa);
          free(ins);
          free(cte);
          asl_buf_free(&cl);
          i = c + 1;
          continue;
        }
        asl_buf_free(&cl);
      }
      mark(T, i);
      asl_buf_putc(&T->out, ')');
      i++;
      continue;
    }
    if (op_is(k, ",")) {
      if (order[depth]) {
        if (!nulls[depth]) out(T, "NULLS LAST");
        nulls[depth] = 0;
      }
      mark(T, i);
      asl_buf_putc(&T->out, ',');
      if (in_from[depth]) expect_table = 1;
      i++;
      continue;
    }
    if (op_is(k, ";"))
      return asl_error_set(T->err, IRE,
                           "line %d:%d: mismatched input ';'. Expecting: <EOF>",
                           k->line, k->col);
    if (op_is(k, "[") || op_is(k, "]") || op_is(k, "?") || op_is(k, ":") ||
        op_is(k, "->") || op_is(k, "=>"))
      return asl_error_set(T->err, IRE,
                           "line %d:%d: NOT_SUPPORTED: asl does not support "
                           "'%s' here yet",
                           k->line, k->col, k->v);
    if ((op_is(k, "+") || op_is(k, "-")) && i + 3 < b &&
        tk_is(&t->v[i + 1], "interval") && t->v[i + 2].k == TK_STR &&
        t->v[i + 3].k == TK_ID) {
      if (prim == (size_t)-1 || prim > T->out.len)
        return asl_error_set(T->err, IRE,
                             "line %d:%d: mismatched input 'INTERVAL'",
                             t->v[i + 1].line, t->v[i + 1].col);
      const char *ins = "asl_add_interval(";
      if (prim < T->out.len && T->out.s[prim] == ' ') prim++;
      buf_insert(&T->out, prim, ins);
      for (size_t m = 0; m < T->nm; m++)
        if (T->moff[m] >= prim) T->moff[m] += strlen(ins);
      mark(T, i);
      asl_buf_puts(&T->out, ", ");
      put_str_lit(&T->out, t->v[i + 2].v);
      asl_buf_puts(&T->out, ", ");
      put_str_lit(&T->out, t->v[i + 3].v);
      asl_buf_puts(&T->out, op_is(k, "-") ? ", -1)" : ", 1)");
      i += 4;
      continue;
    }
    mark(T, i);
    if (op_is(k, "."))
      asl_buf_putc(&T->out, '.');
    else
      out(T, k->v);
    i++;
  }
  END_ORDER(depth);
#undef END_ORDER
  return 0;
}

/* The source token of an offset in the translated text. */
static const sql_tok *tok_at(tr *T, int off) {
  if (!T->nm) return &T->t->v[0];
  size_t best = 0;
  for (size_t i = 0; i < T->nm; i++)
    if (off >= 0 && T->moff[i] <= (size_t)off) best = i;
  return &T->t->v[T->mtok[best]];
}

static const sql_tok *find_name(tr *T, const char *name) {
  for (size_t i = 0; i + 1 < T->t->n; i++) {
    const sql_tok *k = &T->t->v[i];
    if ((k->k == TK_ID || k->k == TK_QID) && !strcasecmp(k->v, name)) return k;
  }
  return NULL;
}

/* SQLite's complaint as Trino words it (trino-main's SemanticException
 * messages: "Column 'x' cannot be resolved", "Function 'f' not
 * registered", antlr's "mismatched input"). */
static int sqlite_fail(tr *T, int rc, asl_error *err) {
  sqlite3 *db = T->x->db;
  if (rc == SQLITE_INTERRUPT || sql_past_deadline(T->x))
    return asl_error_set(err, "States.Timeout",
                         "the query ran past its deadline");
  const char *m = sqlite3_errmsg(db);
  int off = sqlite3_error_offset(db);
  const sql_tok *k = tok_at(T, off);
  char name[256];
  if (sscanf(m, "no such column: %255s", name) == 1) {
    const char *dot = strrchr(name, '.');
    const sql_tok *f = find_name(T, dot ? dot + 1 : name);
    if (off < 0 && f) k = f;
    return asl_error_set(err, IRE, "line %d:%d: Column '%s' cannot be resolved",
                         k->line, k->col, name);
  }
  if (sscanf(m, "no such function: %255s", name) == 1) {
    const sql_tok *f = find_name(T, name);
    if (f) k = f;
    return asl_error_set(err, IRE, "line %d:%d: Function '%s' not registered",
                         k->line, k->col, name);
  }
  if (sscanf(m, "ambiguous column name: %255s", name) == 1) {
    const char *dot = strrchr(name, '.');
    const sql_tok *f = find_name(T, dot ? dot + 1 : name);
    if (f) k = f;
    return asl_error_set(err, IRE, "line %d:%d: Column '%s' is ambiguous",
                         k->line, k->col, name);
  }
  if (strstr(m, "syntax error"))
    return asl_error_set(err, IRE, "line %d:%d: mismatched input '%s'", k->line,
                         k->col, tok_text(k));
  if (strstr(m, "incomplete input")) {
    const sql_tok *e = &T->t->v[T->t->n - 1];
    return asl_error_set(err, IRE, "line %d:%d: mismatched input '<EOF>'",
                         e->line, e->col);
  }
  if (strstr(m, "wrong number of arguments to function")) {
    return asl_error_set(err, IRE,
                         "line %d:%d: Unexpected parameters for "
                         "function: %s",
                         k->line, k->col, m);
  }
  if (strstr(m, "do not have the same number of result columns"))
    return asl_error_set(err, IRE,
                         "line %d:%d: UNION query has different number of "
                         "fields",
                         k->line, k->col);
  if (rc == SQLITE_ERROR &&
      (strncmp(m, "INVALID_", 8) == 0 || strncmp(m, "NOT_SUPPORTED", 13) == 0 ||
       strncmp(m, "DIVISION", 8) == 0))
    return asl_error_set(err, IRE, "%s", m);
  if (rc == SQLITE_ERROR || rc == SQLITE_CONSTRAINT || rc == SQLITE_MISMATCH ||
      rc == SQLITE_RANGE || rc == SQLITE_TOOBIG)
    return asl_error_set(err, IRE, "line %d:%d: %s", k->line, k->col, m);
  return asl_error_set(err, "InternalError", "%s", m);
}

/* Loads the external tables the statement reads. */
static int refresh_refs(tr *T, asl_error *err) {
  sql_need need = {T->t, T->qa, T->qb, T->nrefs == 1};
  for (size_t i = 0; i < T->nrefs; i++)
    if (T->refs[i].kind && !strcmp(T->refs[i].kind, "EXTERNAL"))
      if (sql_ext_refresh(T->x, T->refs[i].db, T->refs[i].name, T->refs[i].spec,
                          T->have_q ? &need : NULL, err) < 0)
        return -1;
  return 0;
}

/* ---- result column types and names ---- */
typedef struct item {
  char *name; /* alias or column name; NULL: _colN */
  char *type; /* static type, or NULL: runtime */
  int point;  /* date or timestamp, decided by the value */
  int star;   /* "*" or "t.*" */
} item;

typedef struct items {
  item *v;
  size_t n;
  int star;
  int values; /* a bare VALUES: SQLite's column1.. are Trino's _col0.. */
} items;

static void items_free(items *it) {
  for (size_t i = 0; i < it->n; i++) {
    free(it->v[i].name);
    free(it->v[i].type);
  }
  free(it->v);
}

/* The declared type of column name among the referenced tables (one
 * match), as a result type. */
static char *ref_col_type(tr *T, const char *name) {
  char *found = NULL;
  int n = 0;
  for (size_t i = 0; i < T->nrefs; i++) {
    for (int pass = 0; pass < 2; pass++) {
      const cJSON *arr = cJSON_GetObjectItemCaseSensitive(
          T->refs[i].spec, pass ? "partitions" : "columns");
      const cJSON *c;
      cJSON_ArrayForEach(c, arr) {
        const cJSON *cn = cJSON_GetObjectItemCaseSensitive(c, "name");
        const cJSON *ct = cJSON_GetObjectItemCaseSensitive(c, "type");
        if (cJSON_IsString(cn) && !strcmp(cn->valuestring, name) &&
            cJSON_IsString(ct)) {
          char b[64];
          free(found);
          found = asl_strdup(sql_result_type(ct->valuestring, b));
          n++;
        }
      }
    }
  }
  if (n != 1) {
    free(found);
    return NULL;
  }
  return found;
}

static int is_name_tok(const sql_tok *k) {
  return k->k == TK_ID || k->k == TK_QID;
}

static void analyze_item(tr *T, size_t s, size_t e, item *it) {
  sql_toks *t = T->t;
  static const char *const no_alias[] = {
      "end", "null", "true", "false", "current_date", "current_timestamp",
      NULL};
  int has_iv = 0;
  for (size_t j = s; j < e; j++)
    if (tk_is(&t->v[j], "interval")) has_iv = 1;
  if (e - s >= 2 && is_name_tok(&t->v[e - 1]) &&
      !(e - s >= 3 && tk_is(&t->v[e - 3], "interval")) &&
      !(t->v[e - 1].k == TK_ID && in_list(t->v[e - 1].v, no_alias))) {
    const sql_tok *pv = &t->v[e - 2];
    if (tk_is(pv, "as") || op_is(pv, ")") || pv->k == TK_STR ||
        pv->k == TK_NUM ||
        (is_name_tok(pv) && !(pv->k == TK_ID && in_list(pv->v, FUNC_NOT)))) {
      it->name = asl_strdup(t->v[e - 1].v);
      e -= tk_is(pv, "as") ? 2 : 1;
    }
  }
  if (e <= s) return;
  const sql_tok *h = &t->v[s];
  if (has_iv) {
    static const char *const cmp[] = {
        "=", "<", ">", "<=", ">=", "<>", "!=", NULL};
    int d = 0;
    for (size_t j = s; j < e; j++) {
      if (op_is(&t->v[j], "("))
        d++;
      else if (op_is(&t->v[j], ")"))
        d--;
      else if (!d && t->v[j].k == TK_OP && in_list(t->v[j].v, cmp)) {
        it->type = asl_strdup("boolean");
        return;
      }
    }
    it->point = 1;
    return;
  }
  if (op_is(&t->v[e - 1], "*")) {
    it->star = 1;
    return;
  }
  /* a column: name or q.name or db.t.name */
  int plain = 1;
  for (size_t j = s; j < e; j++)
    if (!((j - s) % 2 == 0 ? is_name_tok(&t->v[j]) : op_is(&t->v[j], ".")))
      plain = 0;
  if (plain && (e - s) % 2 == 1) {
    const char *cn = t->v[e - 1].v;
    if (e - s == 1 && tk_is(h, "current_date"))
      it->type = asl_strdup("date");
    else if (e - s == 1 && tk_is(h, "current_timestamp"))
      it->type = asl_strdup("timestamp");
    else if (e - s == 1 && (tk_is(h, "true") || tk_is(h, "false")))
      it->type = asl_strdup("boolean");
    else if (e - s == 1 && tk_is(h, "null"))
      it->type = asl_strdup("unknown");
    else {
      if (!it->name) it->name = asl_strdup(cn);
      it->type = ref_col_type(T, cn);
    }
    return;
  }
  if (e - s == 1 && h->k == TK_STR) {
    it->type = asl_strdup("varchar");
    return;
  }
  if (e - s == 1 && h->k == TK_NUM) {
    if (strchr(h->v, 'e') || strchr(h->v, 'E')) {
      it->type = asl_strdup("double");
    } else if (strchr(h->v, '.')) {
      const char *d = strchr(h->v, '.');
      int sc = (int)strlen(d + 1), pr = (int)strlen(h->v) - 1;
      it->type = asl_sprintf("decimal(%d,%d)", pr, sc);
    } else {
      it->type = asl_strdup(strlen(h->v) < 10 ? "integer" : "bigint");
    }
    return;
  }
  if (e - s == 2 && (tk_is(h, "date") || tk_is(h, "timestamp")) &&
      t->v[s + 1].k == TK_STR) {
    it->type = asl_strdup(h->v);
    return;
  }
  if (h->k == TK_ID && s + 1 < e && op_is(&t->v[s + 1], "(") &&
      match_paren(t, s + 1, e) == e - 1) {
    const char *f = h->v;
    static const char *const big[] = {
        "count",    "approx_distinct", "length",      "strpos",
        "year",     "month",           "day",         "day_of_week",
        "dow",      "day_of_year",     "doy",         "quarter",
        "hour",     "minute",          "second",      "date_diff",
        "count_if", "day_of_month",    "char_length", NULL};
    static const char *const dbl[] = {"avg",   "to_unixtime", "sqrt",
                                      "ln",    "log10",       "exp",
                                      "power", "pow",         NULL};
    static const char *const vc[] = {"concat",
                                     "substr",
                                     "substring",
                                     "lower",
                                     "upper",
                                     "trim",
                                     "ltrim",
                                     "rtrim",
                                     "replace",
                                     "split_part",
                                     "regexp_replace",
                                     "regexp_extract",
                                     "date_format",
                                     "lpad",
                                     "rpad",
                                     "reverse",
                                     "json_extract_scalar",
                                     NULL};
    static const char *const bl[] = {"regexp_like", "starts_with", "bool_and",
                                     "bool_or",     "every",       NULL};
    static const char *const same[] = {
        "min",      "max",      "arbitrary", "any_value", "sum",
        "coalesce", "round",    "abs",       "floor",     "ceil",
        "ceiling",  "greatest", "least",     "nullif",    NULL};
    if (in_list(f, big))
      it->type = asl_strdup("bigint");
    else if (in_list(f, dbl))
      it->type = asl_strdup("double");
    else if (in_list(f, vc))
      it->type = asl_strdup("varchar");
    else if (in_list(f, bl))
      it->type = asl_strdup("boolean");
    else if (!strcmp(f, "date") || !strcmp(f, "from_iso8601_date") ||
             !strcmp(f, "current_date"))
      it->type = asl_strdup("date");
    else if (!strcmp(f, "date_parse") || !strcmp(f, "from_unixtime") ||
             !strcmp(f, "from_iso8601_timestamp") || !strcmp(f, "now"))
      it->type = asl_strdup("timestamp");
    else if (!strcmp(f, "date_add") || !strcmp(f, "date_trunc"))
      it->point = 1;
    else if ((!strcmp(f, "cast") || !strcmp(f, "try_cast"))) {
      size_t as = 0;
      int d = 0;
      for (size_t j = s + 1; j < e; j++) {
        if (op_is(&t->v[j], "("))
          d++;
        else if (op_is(&t->v[j], ")"))
          d--;
        else if (d == 1 && tk_is(&t->v[j], "as"))
          as = j;
      }
      if (as) {
        size_t k = as + 1;
        char *ty = type_text(t, &k, e - 1);
        char b[64];
        it->type = asl_strdup(sql_result_type(ty, b));
        free(ty);
      }
    } else if (in_list(f, same) && s + 3 < e && is_name_tok(&t->v[s + 2])) {
      /* f(col ...) or f(q.col ...): the column's type */
      size_t c = s + 2;
      while (c + 2 < e && op_is(&t->v[c + 1], ".") && is_name_tok(&t->v[c + 2]))
        c += 2;
      if (op_is(&t->v[c + 1], ")") || op_is(&t->v[c + 1], ",")) {
        char *ct = ref_col_type(T, t->v[c].v);
        if (ct && !strcmp(f, "sum") &&
            (!strcmp(ct, "integer") || !strcmp(ct, "smallint") ||
             !strcmp(ct, "tinyint"))) {
          free(ct);
          ct = asl_strdup("bigint");
        }
        if (ct && !strcmp(f, "sum") && !strncmp(ct, "decimal(", 8)) {
          const char *cm = strchr(ct, ',');
          char *nt = asl_sprintf("decimal(38,%d)", cm ? atoi(cm + 1) : 0);
          free(ct);
          ct = nt;
        }
        it->type = ct;
      }
    }
    return;
  }
  /* a comparison or logical operator at the top: boolean */
  if (!tk_is(h, "case")) {
    int d = 0;
    static const char *const bops[] = {
        "=", "<", ">", "<=", ">=", "<>", "!=", NULL};
    static const char *const bkw[] = {"and",     "or", "not",    "like", "in",
                                      "between", "is", "exists", NULL};
    for (size_t j = s; j < e; j++) {
      const sql_tok *k = &t->v[j];
      if (op_is(k, "("))
        d++;
      else if (op_is(k, ")"))
        d--;
      else if (!d && ((k->k == TK_OP && in_list(k->v, bops)) ||
                      (k->k == TK_ID && in_list(k->v, bkw)))) {
        it->type = asl_strdup("boolean");
        return;
      }
    }
  }
}

/* The items of the first SELECT at depth 0 in [a, b). */
static void analyze_select(tr *T, size_t a, size_t b, items *it) {
  sql_toks *t = T->t;
  int d = 0;
  size_t s = b;
  for (size_t i = a; i < b; i++) {
    if (op_is(&t->v[i], "("))
      d++;
    else if (op_is(&t->v[i], ")"))
      d--;
    else if (!d && tk_is(&t->v[i], "select")) {
      s = i + 1;
      break;
    }
  }
  if (s >= b) {
    it->star = 1;
    it->values = a < b && tk_is(&t->v[a], "values");
    return;
  }
  if (tk_is(&t->v[s], "distinct") || tk_is(&t->v[s], "all")) s++;
  static const char *const stop[] = {
      "from",      "where",  "group",  "having", "order", "limit", "union",
      "intersect", "except", "window", "offset", "fetch", NULL};
  size_t st = s;
  d = 0;
  for (size_t i = s;; i++) {
    int last = i >= b || (!d && t->v[i].k == TK_ID && in_list(t->v[i].v, stop));
    if (last || (!d && op_is(&t->v[i], ","))) {
      it->v = asl_realloc(it->v, (it->n + 1) * sizeof *it->v);
      item *x = &it->v[it->n++];
      memset(x, 0, sizeof *x);
      analyze_item(T, st, i, x);
      if (x->star) it->star = 1;
      st = i + 1;
      if (last) break;
      continue;
    }
    if (op_is(&t->v[i], "("))
      d++;
    else if (op_is(&t->v[i], ")"))
      d--;
  }
}

/* Names and types of a prepared query's columns; *row1 says whether a
 * first row was stepped (its values decide what the static analysis left
 * open). */
typedef struct qmeta {
  size_t n;
  asl_sql_col *cols;
  char **own; /* owned strings */
  size_t nown;
} qmeta;

static const char *own(qmeta *m, char *s) {
  m->own = asl_realloc(m->own, (m->nown + 1) * sizeof(char *));
  m->own[m->nown++] = s;
  return s;
}

static void qmeta_free(qmeta *m) {
  for (size_t i = 0; i < m->nown; i++)
    free(m->own[i]);
  free(m->own);
  free(m->cols);
}

static void query_meta(sqlite3_stmt *st, const items *it, int have_row,
                       qmeta *m) {
  m->n = (size_t)sqlite3_column_count(st);
  m->cols = asl_calloc(m->n ? m->n : 1, sizeof *m->cols);
  int mapped = !it->star && it->n == m->n;
  for (size_t i = 0; i < m->n; i++) {
    const item *x = mapped ? &it->v[i] : NULL;
    const char *dt = sqlite3_column_decltype(st, (int)i);
    const char *type = NULL;
    if (dt && *dt) {
      char *lc = asl_strdup(dt);
      for (char *c = lc; *c; c++)
        *c = (char)tolower((unsigned char)*c);
      type = own(m, lc);
    } else if (x && x->type)
      type = x->type;
    else if (have_row) {
      sqlite3_value *v = sqlite3_column_value(st, (int)i);
      switch (sqlite3_value_type(v)) {
      case SQLITE_INTEGER:
        type = "bigint";
        break;
      case SQLITE_FLOAT:
        type = "double";
        break;
      case SQLITE_BLOB:
        type = "varbinary";
        break;
      case SQLITE_TEXT:
        type = x && x->point
                   ? (sqlite3_value_bytes(v) == 10 ? "date" : "timestamp")
                   : "varchar";
        break;
      default:
        type = "varchar";
      }
    }
    if (!type) type = "varchar";
    m->cols[i].type = type;
    if (x) {
      m->cols[i].name = x->name ? x->name : own(m, asl_sprintf("_col%zu", i));
    } else {
      const char *nm = sqlite3_column_name(st, (int)i);
      if (it->values)
        m->cols[i].name = own(m, asl_sprintf("_col%zu", i));
      else
        m->cols[i].name = own(m, asl_strdup(nm ? nm : ""));
    }
  }
}

/* ---- statement helpers ---- */
static void info_set(asl_sql_info *info, const char *st, const char *sub,
                     int header) {
  info->statement_type = st;
  info->substatement_type = sub;
  info->header_row = header;
}

static int not_supported(P *p, const sql_tok *t, const char *what) {
  return asl_error_set(p->err, IRE,
                       "line %d:%d: NOT_SUPPORTED: asl does not support %s yet",
                       t->line, t->col, what);
}

static int need_db(P *p, const char *db) {
  if (db_exists(p->x, db)) return 0;
  return asl_error_set(p->err, IRE,
                       "FAILED: SemanticException [Error 10072]: Database "
                       "does not exist: %s",
                       db);
}

/* ('k'='v', ...) into obj. */
static int props(P *p, cJSON *obj) {
  if (expect_op(p, "(") < 0) return -1;
  for (;;) {
    char *k = NULL, *v = NULL;
    if (str_lit(p, &k) < 0) return -1;
    if (expect_op(p, "=") < 0 || str_lit(p, &v) < 0) {
      free(k);
      return -1;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(obj, k);
    cJSON_AddStringToObject(obj, k, v);
    free(k);
    free(v);
    if (accept_op(p, ",")) continue;
    return expect_op(p, ")");
  }
}

/* A Hive column type: name[(n[,m])] | array<T> | map<T,T> | struct<n:T,..> */
static int hive_type(P *p, asl_buf *o) {
  sql_tok *t = pk(p);
  if (t->k != TK_ID) return syntax(p, t, "<type>");
  p->i++;
  asl_buf_puts(o, t->v);
  if (!strcmp(t->v, "array") || !strcmp(t->v, "map") ||
      !strcmp(t->v, "struct")) {
    if (expect_op(p, "<") < 0) return -1;
    asl_buf_putc(o, '<');
    for (int n = 0;; n++) {
      if (!strcmp(t->v, "struct")) {
        char *f;
        if (ident(p, &f) < 0) return -1;
        asl_buf_printf(o, "%s:", f);
        free(f);
        if (expect_op(p, ":") < 0) return -1;
      }
      if (hive_type(p, o) < 0) return -1;
      if (accept_op(p, ",")) {
        asl_buf_putc(o, ',');
        continue;
      }
      if (expect_op(p, ">") < 0) return -1;
      asl_buf_putc(o, '>');
      return 0;
    }
  }
  if (accept_op(p, "(")) {
    asl_buf_putc(o, '(');
    for (;;) {
      sql_tok *n = pk(p);
      if (n->k != TK_NUM) return syntax(p, n, "<integer>");
      asl_buf_puts(o, n->v);
      p->i++;
      if (accept_op(p, ",")) {
        asl_buf_putc(o, ',');
        continue;
      }
      if (expect_op(p, ")") < 0) return -1;
      asl_buf_putc(o, ')');
      break;
    }
  }
  char *ty = o->s;
  /* the last type written: find its start */
  (void)ty;
  return 0;
}

static int check_type(P *p, const sql_tok *at, const char *ty) {
  if (sql_type_known(ty)) return 0;
  return asl_error_set(p->err, IRE, "line %d:%d: Unknown type '%s'", at->line,
                       at->col, ty);
}

/* ( name type [COMMENT '..'], ... ) into arr; types checked. */
static int col_defs(P *p, cJSON *arr, int types_optional) {
  if (expect_op(p, "(") < 0) return -1;
  for (;;) {
    char *name;
    sql_tok *at = pk(p);
    if (ident(p, &name) < 0) return -1;
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "name", name);
    cJSON_AddItemToArray(arr, c);
    const cJSON *o;
    cJSON_ArrayForEach(o, arr) {
      if (o != c &&
          !strcmp(cJSON_GetObjectItemCaseSensitive(o, "name")->valuestring,
                  name)) {
        asl_error_set(p->err, IRE,
                      "FAILED: SemanticException [Error 10036]: Duplicate "
                      "column name: %s",
                      name);
        free(name);
        return -1;
      }
    }
    free(name);
    (void)at;
    if (!(types_optional && (op_is(pk(p), ",") || op_is(pk(p), ")")))) {
      sql_tok *tt = pk(p);
      asl_buf ty = {0};
      if (hive_type(p, &ty) < 0) {
        asl_buf_free(&ty);
        return -1;
      }
      char *ts = asl_buf_take(&ty);
      if (check_type(p, tt, ts) < 0) {
        free(ts);
        return -1;
      }
      cJSON_AddStringToObject(c, "type", ts);
      free(ts);
    }
    if (accept(p, "comment")) {
      char *cm;
      if (str_lit(p, &cm) < 0) return -1;
      cJSON_AddStringToObject(c, "comment", cm);
      free(cm);
    }
    if (accept_op(p, ",")) continue;
    return expect_op(p, ")");
  }
}

static int table_insert_catalog(sqlx *x, const char *db, const char *name,
                                const char *kind, const cJSON *spec,
                                asl_error *err) {
  sqlite3_stmt *st;
  char *js = cJSON_PrintUnformatted(spec);
  int rc = sqlite3_prepare_v2(x->db,
                              "INSERT INTO main.tables(db, name, kind, spec) "
                              "VALUES(?1, ?2, ?3, ?4)",
                              -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, db, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, js, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
  }
  cJSON_free(js);
  if (rc != SQLITE_DONE)
    return asl_error_set(err, "InternalError", "catalog: %s",
                         sqlite3_errmsg(x->db));
  return 0;
}

/* Creates the SQLite table of a managed table: columns then partitions. */
static int create_storage(sqlx *x, const char *db, const char *name,
                          const cJSON *spec, asl_error *err) {
  if (attach(x, db, err) < 0) return -1;
  char *qd = qid(db), *qn = qid(name);
  asl_buf b = {0};
  asl_buf_printf(&b, "DROP TABLE IF EXISTS %s.%s; CREATE TABLE %s.%s (", qd, qn,
                 qd, qn);
  int k = 0;
  for (int pass = 0; pass < 2; pass++) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
                              spec, pass ? "partitions" : "columns")) {
      const cJSON *ty = cJSON_GetObjectItemCaseSensitive(c, "type");
      if (!cJSON_IsString(ty)) continue; /* Iceberg: a transform of a column */
      char tb[64];
      char *cn = qid(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring);
      asl_buf_printf(&b, "%s%s %s", k++ ? ", " : "", cn,
                     sql_result_type(ty->valuestring, tb));
      free(cn);
    }
  }
  asl_buf_puts(&b, ")");
  free(qd);
  free(qn);
  char *sql = asl_buf_take(&b);
  int rc = exec(x, sql, err);
  free(sql);
  return rc;
}

static int drop_storage(sqlx *x, const char *db, const char *name,
                        asl_error *err) {
  if (attach(x, db, err) < 0) return -1;
  char *qd = qid(db), *qn = qid(name);
  char *sql = asl_sprintf("DROP TABLE IF EXISTS %s.%s", qd, qn);
  int rc = exec(x, sql, err);
  free(sql);
  free(qd);
  free(qn);
  return rc;
}

/* ---- CREATE DATABASE / DROP DATABASE ---- */
static int st_create_db(P *p, asl_sql_info *info) {
  int ine = 0;
  if (accept(p, "if")) {
    if (expect(p, "not", "'NOT'") < 0 || expect(p, "exists", "'EXISTS'") < 0)
      return -1;
    ine = 1;
  }
  char *name = NULL, *comment = NULL, *loc = NULL;
  cJSON *pr = cJSON_CreateObject();
  int rc = -1;
  sql_tok *at = pk(p);
  if (ident(p, &name) < 0) goto out;
  for (;;) {
    if (accept(p, "comment")) {
      free(comment);
      if (str_lit(p, &comment) < 0) goto out;
    } else if (accept(p, "location")) {
      free(loc);
      if (str_lit(p, &loc) < 0) goto out;
    } else if (accept(p, "with")) {
      if (expect(p, "dbproperties", "'DBPROPERTIES'") < 0 || props(p, pr) < 0)
        goto out;
    } else {
      break;
    }
  }
  if (!at_end(p)) {
    syntax(p, pk(p), "'COMMENT', 'LOCATION', 'WITH', <EOF>");
    goto out;
  }
  if (!valid_name(name) || !strcmp(name, "main") || !strcmp(name, "temp")) {
    asl_error_set(p->err, IRE,
                  "line %d:%d: Invalid database name '%s': use lowercase "
                  "letters, digits and '_'",
                  at->line, at->col, name);
    goto out;
  }
  if (loc) {
    char *b, *k;
    if (sql_split_location(loc, &b, &k, p->err) < 0) goto out;
    free(b);
    free(k);
  }
  info_set(info, "DDL", "CREATE_DATABASE", 0);
  if (db_exists(p->x, name)) {
    if (ine) {
      rc = 0;
      goto out;
    }
    /* Hive's DDLTask error, as Athena relays it */
    asl_error_set(p->err, IRE,
                  "FAILED: Execution Error, return code 1 from "
                  "org.apache.hadoop.hive.ql.exec.DDLTask. Database %s already "
                  "exists",
                  name);
    goto out;
  }
  sqlite3_stmt *st;
  char *js = cJSON_PrintUnformatted(pr);
  int r = sqlite3_prepare_v2(p->x->db,
                             "INSERT INTO main.databases VALUES(?1,?2,?3,?4)",
                             -1, &st, NULL);
  if (r == SQLITE_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, comment, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, loc, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, js, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    sqlite3_finalize(st);
  }
  cJSON_free(js);
  if (r != SQLITE_DONE) {
    asl_error_set(p->err, "InternalError", "catalog: %s",
                  sqlite3_errmsg(p->x->db));
    goto out;
  }
  rc = 0;
out:
  free(name);
  free(comment);
  free(loc);
  cJSON_Delete(pr);
  return rc;
}

static int st_drop_db(P *p, asl_sql_info *info) {
  int ie = 0, cascade = 0;
  if (accept(p, "if")) {
    if (expect(p, "exists", "'EXISTS'") < 0) return -1;
    ie = 1;
  }
  char *name;
  if (ident(p, &name) < 0) return -1;
  if (accept(p, "cascade"))
    cascade = 1;
  else
    accept(p, "restrict");
  int rc = -1;
  sqlx *x = p->x;
  if (!at_end(p)) {
    syntax(p, pk(p), "'CASCADE', 'RESTRICT', <EOF>");
    goto out;
  }
  info_set(info, "DDL", "DROP_DATABASE", 0);
  if (!db_exists(x, name)) {
    if (ie)
      rc = 0;
    else
      asl_error_set(p->err, IRE,
                    "FAILED: SemanticException [Error 10072]: Database does "
                    "not exist: %s",
                    name);
    goto out;
  }
  sqlite3_stmt *st;
  sqlite3_prepare_v2(x->db, "SELECT count(*) FROM main.tables WHERE db=?1", -1,
                     &st, NULL);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  long long n =
      sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  if (n && !cascade) {
    asl_error_set(p->err, IRE,
                  "FAILED: Execution Error, return code 1 from "
                  "org.apache.hadoop.hive.ql.exec.DDLTask. "
                  "InvalidOperationException(message:Database %s is not "
                  "empty. One or more tables exist.)",
                  name);
    goto out;
  }
  if (exec(x, "BEGIN IMMEDIATE", p->err) < 0) goto out;
  sqlite3_prepare_v2(x->db, "DELETE FROM main.tables WHERE db=?1; ", -1, &st,
                     NULL);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int r1 = sqlite3_step(st);
  sqlite3_finalize(st);
  sqlite3_prepare_v2(x->db, "DELETE FROM main.databases WHERE name=?1", -1, &st,
                     NULL);
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int r2 = sqlite3_step(st);
  sqlite3_finalize(st);
  if (r1 != SQLITE_DONE || r2 != SQLITE_DONE || exec(x, "COMMIT", p->err) < 0) {
    sqlite3_exec(x->db, "ROLLBACK", NULL, NULL, NULL);
    if (!p->err->name)
      asl_error_set(p->err, "InternalError", "catalog: %s",
                    sqlite3_errmsg(x->db));
    goto out;
  }
  /* the rows go with the database's file (an attached copy is detached
   * first) */
  for (size_t i = 0; i < x->nattached; i++) {
    if (strcmp(x->attached[i], name)) continue;
    char *q = qid(name), *sql = asl_sprintf("DETACH DATABASE %s", q);
    sqlite3_exec(x->db, sql, NULL, NULL, NULL);
    free(sql);
    free(q);
    free(x->attached[i]);
    x->attached[i] = x->attached[--x->nattached];
    break;
  }
  const char *sfx[] = {"", "-wal", "-shm", "-journal"};
  for (size_t i = 0; i < 4; i++) {
    char *f = asl_sprintf("%s/db/%s.sqlite%s", x->athena, name, sfx[i]);
    unlink(f);
    free(f);
  }
  rc = 0;
out:
  free(name);
  return rc;
}

/* ---- SHOW / DESCRIBE ---- */
static int st_show(P *p, const asl_sql_sink *sink, asl_sql_info *info) {
  sqlx *x = p->x;
  sql_tok *at = pk(p);
  if (accept(p, "databases") || accept(p, "schemas")) {
    char *pat = NULL;
    if (accept(p, "like")) {
      if (str_lit(p, &pat) < 0) return -1;
    } else if (pk(p)->k == TK_STR) {
      str_lit(p, &pat);
    }
    if (!at_end(p)) {
      free(pat);
      return syntax(p, pk(p), "'LIKE', <EOF>");
    }
    info_set(info, "DDL", "SHOW_DATABASES", 0);
    textres r = {0};
    const char *names[] = {"database_name"};
    r.ncols = 1;
    r.names = names;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(x->db, "SELECT name FROM main.databases ORDER BY name",
                       -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const char *v = (const char *)sqlite3_column_text(st, 0);
      if (hive_match(pat, v)) tr_add(&r, &v);
    }
    sqlite3_finalize(st);
    free(pat);
    return tr_send(&r, sink, p->err);
  }
  if (accept(p, "tables")) {
    char *db = NULL, *pat = NULL;
    if (accept(p, "in") || accept(p, "from")) {
      if (ident(p, &db) < 0) return -1;
    }
    if (accept(p, "like")) {
      if (str_lit(p, &pat) < 0) goto bad;
    } else if (pk(p)->k == TK_STR) {
      str_lit(p, &pat);
    }
    if (!at_end(p)) {
      syntax(p, pk(p), "'IN', <string>, <EOF>");
      goto bad;
    }
    if (!db) db = asl_strdup(x->cur);
    if (need_db(p, db) < 0) goto bad;
    info_set(info, "DDL", "SHOW_TABLES", 0);
    textres r = {0};
    const char *names[] = {"tab_name"};
    r.ncols = 1;
    r.names = names;
    sqlite3_stmt *st;
    sqlite3_prepare_v2(x->db,
                       "SELECT name FROM main.tables WHERE db=?1 ORDER BY name",
                       -1, &st, NULL);
    sqlite3_bind_text(st, 1, db, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const char *v = (const char *)sqlite3_column_text(st, 0);
      if (hive_match(pat, v)) tr_add(&r, &v);
    }
    sqlite3_finalize(st);
    free(db);
    free(pat);
    return tr_send(&r, sink, p->err);
  bad:
    free(db);
    free(pat);
    return -1;
  }
  if (accept(p, "create")) {
    if (expect(p, "table", "'TABLE', 'VIEW'") < 0) return -1;
    char *db, *name;
    if (qname(p, &db, &name, NULL) < 0) return -1;
    if (!db) db = asl_strdup(x->cur);
    int rc = -1;
    char *kind = NULL;
    cJSON *spec = NULL;
    if (!at_end(p)) {
      syntax(p, pk(p), "<EOF>");
      goto sc_out;
    }
    info_set(info, "UTILITY", "SHOW_CREATE_TABLE", 0);
    if (!table_get(x, db, name, &kind, &spec)) {
      asl_error_set(p->err, IRE,
                    "FAILED: SemanticException [Error 10001]: Table not found "
                    "%s.%s",
                    db, name);
      goto sc_out;
    }
    asl_buf b = {0};
    int ext = !strcmp(kind, "EXTERNAL");
    asl_buf_printf(&b, "CREATE %sTABLE `%s`.`%s`(\n", ext ? "EXTERNAL " : "",
                   db, name);
    const cJSON *c, *cols = cJSON_GetObjectItemCaseSensitive(spec, "columns");
    int n = cJSON_GetArraySize(cols), k = 0;
    cJSON_ArrayForEach(c, cols) {
      asl_buf_printf(&b, "  `%s` %s%s\n",
                     cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
                     cJSON_GetObjectItemCaseSensitive(c, "type")->valuestring,
                     ++k < n ? "," : ")");
    }
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(spec, "partitions");
    if (cJSON_GetArraySize(parts)) {
      asl_buf_puts(&b, "PARTITIONED BY (\n");
      n = cJSON_GetArraySize(parts);
      k = 0;
      cJSON_ArrayForEach(c, parts) {
        const cJSON *ty = cJSON_GetObjectItemCaseSensitive(c, "type");
        asl_buf_printf(&b, "  `%s`%s%s%s\n",
                       cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
                       cJSON_IsString(ty) ? " " : "",
                       cJSON_IsString(ty) ? ty->valuestring : "",
                       ++k < n ? "," : ")");
      }
    }
    if (ext) {
      const cJSON *sd = cJSON_GetObjectItemCaseSensitive(spec, "serde");
      const char *serde = cJSON_IsString(sd) ? sd->valuestring : "lazy";
      if (!strcmp(serde, "parquet")) {
        asl_buf_puts(&b, "ROW FORMAT SERDE\n  'org.apache.hadoop.hive.ql.io."
                         "parquet.serde.ParquetHiveSerDe'\n"
                         "STORED AS INPUTFORMAT\n  'org.apache.hadoop.hive.ql."
                         "io.parquet.MapredParquetInputFormat'\n"
                         "OUTPUTFORMAT\n  'org.apache.hadoop.hive.ql.io."
                         "parquet.MapredParquetOutputFormat'\n");
      } else if (!strcmp(serde, "lazy")) {
        const cJSON *dl = cJSON_GetObjectItemCaseSensitive(spec, "delim");
        asl_buf_puts(&b, "ROW FORMAT DELIMITED\n");
        if (cJSON_IsString(dl))
          asl_buf_printf(&b, "  FIELDS TERMINATED BY '%s'\n", dl->valuestring);
      } else {
        asl_buf_printf(&b, "ROW FORMAT SERDE\n  '%s'\n",
                       !strcmp(serde, "opencsv")
                           ? "org.apache.hadoop.hive.serde2.OpenCSVSerde"
                           : "org.openx.data.jsonserde.JsonSerDe");
      }
      if (strcmp(serde, "parquet"))
        asl_buf_puts(&b, "STORED AS INPUTFORMAT\n  "
                         "'org.apache.hadoop.mapred.TextInputFormat'\n"
                         "OUTPUTFORMAT\n  'org.apache.hadoop.hive.ql.io."
                         "HiveIgnoreKeyTextOutputFormat'\n");
    }
    const cJSON *loc = cJSON_GetObjectItemCaseSensitive(spec, "location");
    if (cJSON_IsString(loc))
      asl_buf_printf(&b, "LOCATION\n  '%s'\n", loc->valuestring);
    const cJSON *pr = cJSON_GetObjectItemCaseSensitive(spec, "props");
    n = cJSON_GetArraySize(pr);
    if (n) {
      asl_buf_puts(&b, "TBLPROPERTIES (\n");
      k = 0;
      cJSON_ArrayForEach(c, pr) {
        asl_buf_printf(&b, "  '%s'='%s'%s\n", c->string,
                       cJSON_IsString(c) ? c->valuestring : "",
                       ++k < n ? "," : ")");
      }
    }
    char *text = asl_buf_take(&b);
    textres r = {0};
    const char *names[] = {"createtab_stmt"};
    r.ncols = 1;
    r.names = names;
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
      nl = strchr(line, '\n');
      if (nl) *nl = 0;
      const char *v = line;
      tr_add(&r, &v);
    }
    free(text);
    rc = tr_send(&r, sink, p->err);
  sc_out:
    free(db);
    free(name);
    free(kind);
    cJSON_Delete(spec);
    return rc;
  }
  if (accept(p, "columns")) {
    /* SHOW COLUMNS {IN|FROM} [db.]t [{IN|FROM} db]: column "field" */
    if (!accept(p, "in") && expect(p, "from", "'IN', 'FROM'") < 0) return -1;
    char *db, *name;
    if (qname(p, &db, &name, NULL) < 0) return -1;
    if (accept(p, "in") || accept(p, "from")) {
      free(db);
      db = NULL;
      if (ident(p, &db) < 0) {
        free(name);
        return -1;
      }
    }
    if (!db) db = asl_strdup(x->cur);
    int rc = -1;
    cJSON *spec = NULL;
    if (!at_end(p)) {
      syntax(p, pk(p), "<EOF>");
    } else if (!table_get(x, db, name, NULL, &spec)) {
      asl_error_set(p->err, IRE,
                    "FAILED: SemanticException [Error 10001]: Table not found "
                    "%s.%s",
                    db, name);
    } else {
      info_set(info, "DDL", "SHOW_COLUMNS", 0);
      textres r = {0};
      const char *names[] = {"field"};
      r.ncols = 1;
      r.names = names;
      for (int pass = 0; pass < 2; pass++) {
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
                                  spec, pass ? "partitions" : "columns")) {
          if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "type")))
            continue;
          const char *v =
              cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
          tr_add(&r, &v);
        }
      }
      rc = tr_send(&r, sink, p->err);
    }
    cJSON_Delete(spec);
    free(db);
    free(name);
    return rc;
  }
  if (accept(p, "partitions")) {
    /* SHOW PARTITIONS [db.]t: the col=value/... folders that hold rows of
     * an external table (column "partition") */
    char *db, *name, *kind = NULL;
    cJSON *spec = NULL;
    if (qname(p, &db, &name, NULL) < 0) return -1;
    if (!db) db = asl_strdup(x->cur);
    int rc = -1;
    info_set(info, "DDL", "SHOW_PARTITIONS", 0);
    const cJSON *parts = NULL;
    if (!at_end(p)) {
      syntax(p, pk(p), "<EOF>");
    } else if (!table_get(x, db, name, &kind, &spec)) {
      asl_error_set(p->err, IRE,
                    "FAILED: SemanticException [Error 10001]: Table not found "
                    "%s.%s",
                    db, name);
    } else if (strcmp(kind, "EXTERNAL") != 0 ||
               !cJSON_GetArraySize(parts = cJSON_GetObjectItemCaseSensitive(
                                       spec, "partitions"))) {
      asl_error_set(p->err, IRE,
                    "FAILED: SemanticException [Error 10241]: Table %s is not "
                    "a partitioned table",
                    name);
    } else if (attach(x, db, p->err) == 0 &&
               sql_ext_refresh(x, db, name, spec, NULL, p->err) == 0) {
      asl_buf q = {0}, order = {0};
      asl_buf_puts(&q, "SELECT DISTINCT ");
      const cJSON *c;
      int k = 0;
      cJSON_ArrayForEach(c, parts) {
        char *cn =
            qid(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring);
        asl_buf_printf(&q, "%s%s", k ? ", " : "", cn);
        asl_buf_printf(&order, "%s%s", k++ ? ", " : "", cn);
        free(cn);
      }
      char *qd = qid(db), *qn = qid(name);
      asl_buf_printf(&q, " FROM %s.%s ORDER BY %s", qd, qn, order.s);
      free(qd);
      free(qn);
      asl_buf_free(&order);
      char *sql = asl_buf_take(&q);
      sqlite3_stmt *st = NULL;
      textres r = {0};
      const char *names[] = {"partition"};
      r.ncols = 1;
      r.names = names;
      if (sqlite3_prepare_v2(x->db, sql, -1, &st, NULL) == SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
          asl_buf line = {0};
          int n = 0;
          cJSON_ArrayForEach(c, parts) {
            const char *v = (const char *)sqlite3_column_text(st, n);
            asl_buf_printf(
                &line, "%s%s=%s", n ? "/" : "",
                cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
                v ? v : "__HIVE_DEFAULT_PARTITION__");
            n++;
          }
          char *lv = asl_buf_take(&line);
          const char *cv = lv;
          tr_add(&r, &cv);
          free(lv);
        }
        sqlite3_finalize(st);
        rc = tr_send(&r, sink, p->err);
      } else {
        asl_error_set(p->err, "InternalError", "%s", sqlite3_errmsg(x->db));
        tr_send(&r, NULL, p->err);
      }
      free(sql);
    }
    free(kind);
    cJSON_Delete(spec);
    free(db);
    free(name);
    return rc;
  }
  if (accept(p, "views") || accept(p, "functions") ||
      accept(p, "tblproperties"))
    return not_supported(p, at, "this SHOW statement");
  return syntax(p, pk(p), "'DATABASES', 'SCHEMAS', 'TABLES', 'CREATE'");
}

static int st_describe(P *p, const asl_sql_sink *sink, asl_sql_info *info) {
  if (!accept(p, "formatted")) accept(p, "extended");
  char *db, *name;
  if (qname(p, &db, &name, NULL) < 0) return -1;
  if (!db) db = asl_strdup(p->x->cur);
  int rc = -1;
  cJSON *spec = NULL;
  if (!at_end(p)) {
    syntax(p, pk(p), "<EOF>");
    goto out;
  }
  info_set(info, "UTILITY", "DESCRIBE_TABLE", 0);
  if (!table_get(p->x, db, name, NULL, &spec)) {
    asl_error_set(p->err, IRE,
                  "FAILED: SemanticException [Error 10001]: Table not found "
                  "%s.%s",
                  db, name);
    goto out;
  }
  textres r = {0};
  const char *names[] = {"col_name", "data_type", "comment"};
  r.ncols = 3;
  r.names = names;
  for (int pass = 0; pass < 2; pass++) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
                              spec, pass ? "partitions" : "columns")) {
      const cJSON *ty = cJSON_GetObjectItemCaseSensitive(c, "type");
      const cJSON *cm = cJSON_GetObjectItemCaseSensitive(c, "comment");
      const char *v[3] = {
          cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
          cJSON_IsString(ty) ? ty->valuestring : "",
          cJSON_IsString(cm)   ? cm->valuestring
          : !pass              ? ""
          : cJSON_IsString(ty) ? "partition"
                               : "partition transform"};
      tr_add(&r, v);
    }
  }
  rc = tr_send(&r, sink, p->err);
out:
  free(db);
  free(name);
  cJSON_Delete(spec);
  return rc;
}

/* ---- CREATE EXTERNAL TABLE ---- */
static int st_create_external(P *p, asl_sql_info *info) {
  int ine = 0, rc = -1;
  if (accept(p, "if")) {
    if (expect(p, "not", "'NOT'") < 0 || expect(p, "exists", "'EXISTS'") < 0)
      return -1;
    ine = 1;
  }
  char *db = NULL, *name = NULL;
  sql_tok *at;
  cJSON *spec = cJSON_CreateObject();
  cJSON *cols = cJSON_AddArrayToObject(spec, "columns");
  cJSON *parts = cJSON_AddArrayToObject(spec, "partitions");
  cJSON *sprops = cJSON_AddObjectToObject(spec, "serde_props");
  cJSON *tprops = cJSON_AddObjectToObject(spec, "props");
  const char *serde = "lazy";
  if (qname(p, &db, &name, &at) < 0) goto out;
  if (!db) db = asl_strdup(p->x->cur);
  if (!op_is(pk(p), "(")) {
    syntax(p, pk(p), "'('");
    goto out;
  }
  if (col_defs(p, cols, 0) < 0) goto out;
  for (;;) {
    sql_tok *k = pk(p);
    if (accept(p, "comment")) {
      char *c;
      if (str_lit(p, &c) < 0) goto out;
      cJSON_AddStringToObject(spec, "comment", c);
      free(c);
    } else if (accept(p, "partitioned")) {
      if (expect(p, "by", "'BY'") < 0 || col_defs(p, parts, 0) < 0) goto out;
    } else if (accept(p, "clustered")) {
      not_supported(p, k, "CLUSTERED BY");
      goto out;
    } else if (accept(p, "row")) {
      if (expect(p, "format", "'FORMAT'") < 0) goto out;
      if (accept(p, "delimited")) {
        serde = "lazy";
        for (;;) {
          char *v = NULL;
          if (accept(p, "fields")) {
            if (expect(p, "terminated", "'TERMINATED'") < 0 ||
                expect(p, "by", "'BY'") < 0 || str_lit(p, &v) < 0)
              goto out;
            cJSON_DeleteItemFromObject(spec, "delim");
            cJSON_AddStringToObject(spec, "delim", v);
            free(v);
            if (accept(p, "escaped")) {
              if (expect(p, "by", "'BY'") < 0 || str_lit(p, &v) < 0) goto out;
              cJSON_AddStringToObject(spec, "escape", v);
              free(v);
            }
          } else if (accept(p, "lines") || accept(p, "collection") ||
                     accept(p, "map")) {
            /* LINES TERMINATED BY '\n' (the only one Hive has), and the
             * complex-type separators, recorded only */
            if (!accept(p, "items")) accept(p, "keys");
            if (expect(p, "terminated", "'TERMINATED'") < 0 ||
                expect(p, "by", "'BY'") < 0 || str_lit(p, &v) < 0)
              goto out;
            free(v);
          } else if (accept(p, "null")) {
            if (expect(p, "defined", "'DEFINED'") < 0 ||
                expect(p, "as", "'AS'") < 0 || str_lit(p, &v) < 0)
              goto out;
            cJSON_AddStringToObject(sprops, "serialization.null.format", v);
            free(v);
          } else {
            break;
          }
        }
      } else if (accept(p, "serde")) {
        char *cls;
        sql_tok *ct = pk(p);
        if (str_lit(p, &cls) < 0) goto out;
        if (!strcmp(cls, "org.apache.hadoop.hive.serde2.OpenCSVSerde"))
          serde = "opencsv";
        else if (!strcmp(cls, "org.openx.data.jsonserde.JsonSerDe") ||
                 !strcmp(cls, "org.apache.hive.hcatalog.data.JsonSerDe"))
          serde = "json";
        else if (!strcmp(cls,
                         "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe"))
          serde = "lazy";
        else if (!strcmp(cls, "org.apache.hadoop.hive.ql.io.parquet.serde."
                              "ParquetHiveSerDe"))
          serde = "parquet";
        else {
          asl_error_set(p->err, IRE,
                        "line %d:%d: NOT_SUPPORTED: asl does not support the "
                        "SerDe %s yet",
                        ct->line, ct->col, cls);
          free(cls);
          goto out;
        }
        free(cls);
        if (accept(p, "with")) {
          if (expect(p, "serdeproperties", "'SERDEPROPERTIES'") < 0 ||
              props(p, sprops) < 0)
            goto out;
        }
      } else {
        syntax(p, pk(p), "'DELIMITED', 'SERDE'");
        goto out;
      }
    } else if (accept(p, "with")) {
      if (expect(p, "serdeproperties", "'SERDEPROPERTIES'") < 0 ||
          props(p, sprops) < 0)
        goto out;
    } else if (accept(p, "stored")) {
      if (expect(p, "as", "'AS'") < 0) goto out;
      sql_tok *ft = pk(p);
      if (accept(p, "inputformat")) {
        char *in = NULL, *of = NULL;
        if (str_lit(p, &in) < 0) goto out;
        if (expect(p, "outputformat", "'OUTPUTFORMAT'") < 0 ||
            str_lit(p, &of) < 0) {
          free(in);
          goto out;
        }
        int text = !strcmp(in, "org.apache.hadoop.mapred.TextInputFormat");
        if (!strcmp(in, "org.apache.hadoop.hive.ql.io.parquet."
                        "MapredParquetInputFormat")) {
          text = 1;
          serde = "parquet";
        }
        cJSON_AddStringToObject(spec, "input_format", in);
        cJSON_AddStringToObject(spec, "output_format", of);
        if (!text) {
          asl_error_set(p->err, IRE,
                        "line %d:%d: NOT_SUPPORTED: asl does not support the "
                        "input format %s yet",
                        ft->line, ft->col, in);
          free(in);
          free(of);
          goto out;
        }
        free(in);
        free(of);
      } else if (accept(p, "textfile")) {
        /* the default */
      } else if (accept(p, "parquet")) {
        serde = "parquet";
      } else if (ft->k == TK_ID) {
        char up[32];
        snprintf(up, sizeof up, "%s", ft->v);
        for (char *c = up; *c; c++)
          *c = (char)toupper((unsigned char)*c);
        asl_error_set(p->err, IRE,
                      "line %d:%d: NOT_SUPPORTED: asl does not support STORED "
                      "AS %s yet",
                      ft->line, ft->col, up);
        goto out;
      } else {
        syntax(p, ft, "'INPUTFORMAT', 'TEXTFILE'");
        goto out;
      }
    } else if (accept(p, "location")) {
      char *l;
      if (str_lit(p, &l) < 0) goto out;
      char *b, *k2;
      if (sql_split_location(l, &b, &k2, p->err) < 0) {
        free(l);
        goto out;
      }
      free(b);
      free(k2);
      cJSON_AddStringToObject(spec, "location", l);
      free(l);
    } else if (accept(p, "tblproperties")) {
      if (props(p, tprops) < 0) goto out;
    } else {
      break;
    }
  }
  if (!at_end(p)) {
    syntax(p, pk(p),
           "'COMMENT', 'PARTITIONED', 'ROW', 'STORED', 'LOCATION', "
           "'TBLPROPERTIES', <EOF>");
    goto out;
  }
  if (!cJSON_GetObjectItemCaseSensitive(spec, "location")) {
    asl_error_set(p->err, IRE,
                  "line %d:%d: an EXTERNAL table needs a LOCATION "
                  "'s3://bucket/prefix/'",
                  at->line, at->col);
    goto out;
  }
  cJSON_AddStringToObject(spec, "serde", serde);
  if (!strcmp(serde, "lazy")) {
    const char *fd =
        cJSON_GetStringValue(cJSON_GetObjectItem(sprops, "field.delim"));
    if (fd && !cJSON_GetObjectItemCaseSensitive(spec, "delim"))
      cJSON_AddStringToObject(spec, "delim", fd);
    const char *ec =
        cJSON_GetStringValue(cJSON_GetObjectItem(sprops, "escape.delim"));
    if (ec && !cJSON_GetObjectItemCaseSensitive(spec, "escape"))
      cJSON_AddStringToObject(spec, "escape", ec);
  } else if (!strcmp(serde, "opencsv")) {
    const char *sc =
        cJSON_GetStringValue(cJSON_GetObjectItem(sprops, "separatorChar"));
    cJSON_AddStringToObject(spec, "delim", sc && *sc ? sc : ",");
  }
  /* partition columns may not repeat data columns */
  const cJSON *pc;
  cJSON_ArrayForEach(pc, parts) {
    const char *pn = cJSON_GetObjectItemCaseSensitive(pc, "name")->valuestring;
    const cJSON *c;
    cJSON_ArrayForEach(c, cols) {
      if (!strcmp(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
                  pn)) {
        asl_error_set(p->err, IRE,
                      "FAILED: SemanticException [Error 10035]: Column "
                      "repeated in partitioning columns");
        goto out;
      }
    }
  }
  if (!valid_name(name)) {
    asl_error_set(p->err, IRE,
                  "line %d:%d: Invalid table name '%s': use lowercase letters, "
                  "digits and '_'",
                  at->line, at->col, name);
    goto out;
  }
  info_set(info, "DDL", "CREATE_TABLE", 0);
  if (need_db(p, db) < 0) goto out;
  if (table_get(p->x, db, name, NULL, NULL)) {
    if (ine)
      rc = 0;
    else
      asl_error_set(p->err, IRE,
                    "FAILED: Execution Error, return code 1 from "
                    "org.apache.hadoop.hive.ql.exec.DDLTask. "
                    "AlreadyExistsException(message:Table %s already exists)",
                    name);
    goto out;
  }
  if (attach(p->x, db, p->err) < 0) goto out;
  if (drop_storage(p->x, db, name, p->err) < 0) goto out;
  rc = table_insert_catalog(p->x, db, name, "EXTERNAL", spec, p->err);
out:
  free(db);
  free(name);
  cJSON_Delete(spec);
  return rc;
}

/* ---- queries ---- */
typedef struct qrun {
  tr T;
  items it;
  sqlite3_stmt *st;
  int have_row;
  qmeta meta;
} qrun;

static void qrun_free(qrun *q) {
  sqlite3_finalize(q->st);
  qmeta_free(&q->meta);
  items_free(&q->it);
  tr_free(&q->T);
}

/* Translates and prepares tokens [a, b) as a query (after loading the
 * external tables it reads), steps its first row and works out its
 * columns. prefix/suffix wrap the translated text. */
static int query_prepare(P *p, size_t a, size_t b, qrun *q) {
  memset(q, 0, sizeof *q);
  q->T.x = p->x;
  q->T.t = p->t;
  q->T.err = p->err;
  collect_ctes(&q->T, a, b);
  if (a >= b) return syntax(p, &p->t->v[b], "'SELECT', 'VALUES', 'WITH'");
  if (translate(&q->T, a, b) < 0) return -1;
  analyze_select(&q->T, a, b, &q->it);
  q->T.qa = a;
  q->T.qb = b;
  q->T.have_q = 1;
  if (refresh_refs(&q->T, p->err) < 0) return -1;
  const char *sql = q->T.out.s ? q->T.out.s : "";
  if (getenv("ASL_SQL_DEBUG")) fprintf(stderr, "asl sql: %s\n", sql);
  int rc = sqlite3_prepare_v2(p->x->db, sql, -1, &q->st, NULL);
  if (rc != SQLITE_OK) return sqlite_fail(&q->T, rc, p->err);
  if (!sqlite3_stmt_readonly(q->st))
    return asl_error_set(p->err, IRE,
                         "line %d:%d: mismatched input '%s'. Expecting: "
                         "'SELECT', 'VALUES', 'WITH'",
                         p->t->v[a].line, p->t->v[a].col,
                         tok_text(&p->t->v[a]));
  rc = sqlite3_step(q->st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sqlite_fail(&q->T, rc, p->err);
  q->have_row = rc == SQLITE_ROW;
  query_meta(q->st, &q->it, q->have_row, &q->meta);
  return 0;
}

static int st_select(P *p, size_t a, const asl_sql_sink *sink,
                     asl_sql_info *info) {
  qrun q;
  info_set(info, "DML", "SELECT", 1);
  int rc = query_prepare(p, a, p->end, &q);
  if (rc == 0 && emit_columns(sink, q.meta.cols, q.meta.n))
    rc = sink_stopped(p->err);
  char **vals = asl_calloc(q.meta.n + 1, sizeof(char *));
  while (rc == 0 && q.have_row) {
    for (size_t i = 0; i < q.meta.n; i++)
      vals[i] = sql_fmt_value(sqlite3_column_value(q.st, (int)i),
                              q.meta.cols[i].type);
    if (emit_row(sink, (const char *const *)vals, q.meta.n))
      rc = sink_stopped(p->err);
    for (size_t i = 0; i < q.meta.n; i++) {
      free(vals[i]);
      vals[i] = NULL;
    }
    if (rc) break;
    int r = sqlite3_step(q.st);
    if (r == SQLITE_ROW) continue;
    if (r != SQLITE_DONE) rc = sqlite_fail(&q.T, r, p->err);
    q.have_row = 0;
  }
  free(vals);
  qrun_free(&q);
  return rc;
}

/* ---- CREATE TABLE (Iceberg) and CTAS ---- */
static int ext_write(P *p, const char *db, const char *name, const cJSON *spec,
                     size_t a, size_t b, const char *collist,
                     asl_sql_info *info);

static int ctas_nonempty(const char *key, const char *path, void *ud) {
  (void)key;
  (void)path;
  (void)ud;
  return 1;
}

/* CTAS with external_location: the rows go to files under it, in format
 * (PARQUET when absent, as Athena's default), and the table is an
 * EXTERNAL table over them (docs.aws.amazon.com/athena/latest/ug/
 * create-table-as.html: format, external_location, partitioned_by,
 * write_compression; GZIP is the default write compression of Parquet
 * and text files, compression-formats.html). spec holds the query's
 * columns; partitioned_by moves its columns (the last ones of the query,
 * in the same order) to the partitions. */
static int ctas_external(P *p, const char *db, const char *name, cJSON *spec,
                         cJSON *tprops, qrun *q, int no_data,
                         asl_sql_info *info) {
  const char *fmt = cJSON_GetStringValue(cJSON_GetObjectItem(tprops, "format"));
  if (!fmt) fmt = "PARQUET";
  const char *wc =
      cJSON_GetStringValue(cJSON_GetObjectItem(tprops, "write_compression"));
  if (!wc)
    wc = cJSON_GetStringValue(
        cJSON_GetObjectItem(tprops, "parquet_compression"));
  int is_pq = !strcasecmp(fmt, "parquet");
  int is_text = !strcasecmp(fmt, "textfile") || !strcasecmp(fmt, "json");
  if (!is_pq && !is_text)
    return asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: asl writes CTAS tables as PARQUET, "
                         "JSON or TEXTFILE, not %s",
                         fmt);
  int codec = 2; /* GZIP: Athena's default for Parquet */
  if (wc) {
    codec = !strcasecmp(wc, "snappy")                                 ? 1
            : !strcasecmp(wc, "zstd")                                 ? 6
            : !strcasecmp(wc, "gzip")                                 ? 2
            : !strcasecmp(wc, "none") || !strcasecmp(wc, "uncompressed") ? 0
                                                                      : -1;
    if (codec < 0 || (is_text && codec != 0))
      return asl_error_set(p->err, IRE,
                           "NOT_SUPPORTED: write_compression '%s' for %s "
                           "(asl writes %s)",
                           wc, fmt,
                           is_text ? "text files uncompressed"
                                   : "Parquet with SNAPPY, ZSTD, GZIP or "
                                     "NONE");
  }
  cJSON *cols = cJSON_GetObjectItemCaseSensitive(spec, "columns");
  cJSON *parts = cJSON_GetObjectItemCaseSensitive(spec, "partitions");
  /* partitioned_by: ARRAY['a', 'b'] (kept as its text) */
  const char *pb =
      cJSON_GetStringValue(cJSON_GetObjectItem(tprops, "partitioned_by"));
  size_t npb = 0;
  if (pb) {
    char **names = NULL;
    for (const char *s = pb; *s; s++) {
      if (*s != '\'') continue;
      asl_buf b = {0};
      for (s++; *s; s++) {
        if (*s == '\'' && s[1] == '\'') {
          asl_buf_putc(&b, '\'');
          s++;
        } else if (*s == '\'') {
          break;
        } else {
          asl_buf_putc(&b, (char)tolower((unsigned char)*s));
        }
      }
      names = asl_realloc(names, (npb + 1) * sizeof *names);
      names[npb++] = b.s ? asl_buf_take(&b) : asl_strdup("");
      if (!*s) break;
    }
    size_t nc = (size_t)cJSON_GetArraySize(cols);
    int bad = npb == 0 || npb > nc;
    for (size_t i = 0; !bad && i < npb; i++) {
      const cJSON *c = cJSON_GetArrayItem(cols, (int)(nc - npb + i));
      if (strcmp(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring,
                 names[i]))
        bad = 1;
    }
    int rc = 0;
    if (bad) {
      asl_buf l = {0};
      for (size_t i = 0; i < npb; i++)
        asl_buf_printf(&l, "%s%s", i ? ", " : "", names[i]);
      rc = asl_error_set(p->err, IRE,
                         "HIVE_COLUMN_ORDER_MISMATCH: Partition keys must be "
                         "the last columns in the table and in the same order "
                         "as the table properties: [%s]",
                         l.s ? l.s : "");
      asl_buf_free(&l);
    } else if (npb == nc) {
      rc = asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: Table contains only partition "
                         "columns");
    }
    for (size_t i = 0; i < npb; i++)
      free(names[i]);
    free(names);
    if (rc < 0) return -1;
    for (size_t i = 0; i < npb; i++)
      cJSON_AddItemToArray(parts,
                           cJSON_DetachItemFromArray(cols, (int)(nc - npb)));
  }
  if (is_text && npb)
    return asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: asl writes partitioned CTAS tables "
                         "as PARQUET only");
  const char *serde = is_pq                        ? "parquet"
                      : !strcasecmp(fmt, "json")   ? "json"
                                                   : "lazy";
  cJSON_AddStringToObject(spec, "serde", serde);
  if (!strcmp(serde, "lazy")) {
    const char *fd =
        cJSON_GetStringValue(cJSON_GetObjectItem(tprops, "field_delimiter"));
    cJSON_AddStringToObject(spec, "delim", fd && *fd ? fd : "\001");
  }
  long long rows = 0;
  int rc = -1;
  if (is_pq) {
    char *sql = asl_sprintf("SELECT * FROM (%s)%s", q->T.out.s,
                            no_data ? " LIMIT 0" : "");
    sqlite3_stmt *st = NULL;
    int r = sqlite3_prepare_v2(p->x->db, sql, -1, &st, NULL);
    free(sql);
    if (r != SQLITE_OK) return sqlite_fail(&q->T, r, p->err);
    char *tn = asl_sprintf("%s.%s", db, name);
    r = sql_ext_write_parquet(p->x, st, tn, spec, codec, &rows, p->err);
    free(tn);
    sqlite3_finalize(st);
    if (r < 0) return -1;
  } else {
    /* the location must be empty */
    char *bk, *px;
    const char *loc =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "location"));
    if (sql_split_location(loc, &bk, &px, p->err) < 0) return -1;
    char *pfx = *px ? asl_sprintf("%s/", px) : asl_strdup("");
    asl_error le = {0};
    int w = asl_lake_walk(p->x->lake, bk, pfx, ctas_nonempty, NULL, &le);
    free(pfx);
    free(bk);
    free(px);
    if (w != 0) {
      if (w < 0)
        asl_error_set(p->err, IRE, "%s: %s: %s", loc, le.name ? le.name : "",
                      le.cause ? le.cause : "");
      else
        asl_error_set(p->err, IRE,
                      "HIVE_PATH_ALREADY_EXISTS: Target directory for table "
                      "'%s.%s' already exists: %s",
                      db, name, loc);
      asl_error_clear(&le);
      return -1;
    }
  }
  if (exec(p->x, "BEGIN IMMEDIATE", p->err) < 0) return -1;
  if (table_insert_catalog(p->x, db, name, "EXTERNAL", spec, p->err) < 0 ||
      exec(p->x, "COMMIT", p->err) < 0) {
    sqlite3_exec(p->x->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
  }
  rc = 0;
  if (is_text && !no_data) {
    asl_sql_info wi;
    memset(&wi, 0, sizeof wi);
    rc = ext_write(p, db, name, spec, q->T.qa, q->T.qb, "", &wi);
    rows = wi.rows_affected;
  }
  info->rows_affected = rows;
  return rc;
}

static int st_create_table(P *p, asl_sql_info *info) {
  int ine = 0, rc = -1;
  sql_tok *start = pk(p);
  if (accept(p, "if")) {
    if (expect(p, "not", "'NOT'") < 0 || expect(p, "exists", "'EXISTS'") < 0)
      return -1;
    ine = 1;
  }
  char *db = NULL, *name = NULL;
  sql_tok *at;
  cJSON *spec = cJSON_CreateObject();
  cJSON *cols = cJSON_AddArrayToObject(spec, "columns");
  cJSON *parts = cJSON_AddArrayToObject(spec, "partitions");
  cJSON *tprops = cJSON_AddObjectToObject(spec, "props");
  qrun q;
  memset(&q, 0, sizeof q);
  int have_q = 0;
  if (qname(p, &db, &name, &at) < 0) goto out;
  if (!db) db = asl_strdup(p->x->cur);
  if (op_is(pk(p), "(")) {
    /* CREATE TABLE t (cols) ...: Athena makes only Iceberg tables so */
    if (col_defs(p, cols, 0) < 0) goto out;
    for (;;) {
      if (accept(p, "comment")) {
        char *c;
        if (str_lit(p, &c) < 0) goto out;
        free(c);
      } else if (accept(p, "partitioned")) {
        if (expect(p, "by", "'BY'") < 0 || expect_op(p, "(") < 0) goto out;
        for (;;) {
          /* a column or a transform: bucket(16, c), day(ts), ... */
          size_t s = p->i;
          int d = 0;
          while (!at_end(p) &&
                 !(d == 0 && (op_is(pk(p), ",") || op_is(pk(p), ")")))) {
            if (op_is(pk(p), "(")) d++;
            if (op_is(pk(p), ")")) d--;
            p->i++;
          }
          if (p->i == s) {
            syntax(p, pk(p), "<identifier>");
            goto out;
          }
          asl_buf b = {0};
          for (size_t j = s; j < p->i; j++)
            asl_buf_puts(&b, p->t->v[j].v);
          char *txt = asl_buf_take(&b);
          cJSON *pc = cJSON_CreateObject();
          cJSON_AddStringToObject(pc, "name", txt);
          cJSON_AddItemToArray(parts, pc);
          free(txt);
          if (accept_op(p, ",")) continue;
          if (expect_op(p, ")") < 0) goto out;
          break;
        }
      } else if (accept(p, "location")) {
        char *l, *b, *k2;
        if (str_lit(p, &l) < 0) goto out;
        if (sql_split_location(l, &b, &k2, p->err) < 0) {
          free(l);
          goto out;
        }
        free(b);
        free(k2);
        cJSON_AddStringToObject(spec, "location", l);
        free(l);
      } else if (accept(p, "tblproperties")) {
        if (props(p, tprops) < 0) goto out;
      } else if (tk_is(pk(p), "row") || tk_is(pk(p), "stored")) {
        not_supported(p, pk(p), "ROW FORMAT or STORED AS on an Iceberg table");
        goto out;
      } else {
        break;
      }
    }
    if (!at_end(p)) {
      syntax(p, pk(p),
             "'COMMENT', 'PARTITIONED', 'LOCATION', 'TBLPROPERTIES', <EOF>");
      goto out;
    }
    const char *tt =
        cJSON_GetStringValue(cJSON_GetObjectItem(tprops, "table_type"));
    if (!tt || strcasecmp(tt, "iceberg") != 0) {
      /* Athena's CREATE TABLE page: "If you use CREATE TABLE without the
       * EXTERNAL keyword for non-Iceberg tables, Athena issues an error"
       * (docs.aws.amazon.com/athena/latest/ug/create-table.html); the
       * words are Hive's. */
      asl_error_set(p->err, IRE,
                    "line %d:%d: Only EXTERNAL tables are supported for Hive "
                    "tables: use CREATE EXTERNAL TABLE, or TBLPROPERTIES "
                    "('table_type'='ICEBERG') for an Iceberg table",
                    start->line, start->col);
      goto out;
    }
    /* partition columns must be columns (or transforms of them) */
    const cJSON *pc;
    cJSON_ArrayForEach(pc, parts) {
      const char *pn =
          cJSON_GetObjectItemCaseSensitive(pc, "name")->valuestring;
      const char *open = strchr(pn, '(');
      const cJSON *c;
      int found = 0;
      cJSON_ArrayForEach(c, cols) {
        const char *cn =
            cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
        if (!strcmp(cn, pn)) found = 1;
        if (open && strstr(open, cn)) found = 1;
      }
      if (!found) {
        asl_error_set(p->err, IRE,
                      "line %d:%d: Partition column %s is not a column of the "
                      "table",
                      at->line, at->col, pn);
        goto out;
      }
    }
    if (!valid_name(name)) {
      asl_error_set(p->err, IRE,
                    "line %d:%d: Invalid table name '%s': use lowercase "
                    "letters, digits and '_'",
                    at->line, at->col, name);
      goto out;
    }
    info_set(info, "DDL", "CREATE_TABLE", 0);
    if (need_db(p, db) < 0) goto out;
    if (table_get(p->x, db, name, NULL, NULL)) {
      if (ine)
        rc = 0;
      else
        asl_error_set(p->err, IRE,
                      "line %d:%d: Table 'awsdatacatalog.%s.%s' already exists",
                      at->line, at->col, db, name);
      goto out;
    }
    if (exec(p->x, "BEGIN IMMEDIATE", p->err) < 0) goto out;
    if (create_storage(p->x, db, name, spec, p->err) < 0 ||
        table_insert_catalog(p->x, db, name, "ICEBERG", spec, p->err) < 0 ||
        exec(p->x, "COMMIT", p->err) < 0) {
      sqlite3_exec(p->x->db, "ROLLBACK", NULL, NULL, NULL);
      goto out;
    }
    rc = 0;
    goto out;
  }
  /* CTAS: [WITH (k = v, ...)] AS query [WITH [NO] DATA] */
  const char *kind = "MANAGED";
  if (accept(p, "with")) {
    if (expect_op(p, "(") < 0) goto out;
    for (;;) {
      char *k;
      if (ident(p, &k) < 0) goto out;
      if (expect_op(p, "=") < 0) {
        free(k);
        goto out;
      }
      sql_tok *vt = pk(p);
      if (vt->k == TK_STR) {
        cJSON_AddStringToObject(tprops, k, vt->v);
        if (!strcmp(k, "table_type") && !strcasecmp(vt->v, "iceberg"))
          kind = "ICEBERG";
        if (!strcmp(k, "external_location") || !strcmp(k, "location")) {
          char *b, *k2;
          if (sql_split_location(vt->v, &b, &k2, p->err) < 0) {
            free(k);
            goto out;
          }
          free(b);
          free(k2);
          cJSON_AddStringToObject(spec, "location", vt->v);
        }
        p->i++;
      } else {
        /* ARRAY['a', 'b'] and numbers: kept as text */
        size_t s = p->i;
        int d = 0;
        while (!at_end(p) &&
               !(d == 0 && (op_is(pk(p), ",") || op_is(pk(p), ")")))) {
          if (op_is(pk(p), "(") || op_is(pk(p), "[")) d++;
          if (op_is(pk(p), ")") || op_is(pk(p), "]")) d--;
          p->i++;
        }
        asl_buf b = {0};
        for (size_t j = s; j < p->i; j++) {
          if (p->t->v[j].k == TK_STR)
            put_str_lit(&b, p->t->v[j].v);
          else
            asl_buf_puts(&b, p->t->v[j].v);
        }
        char *txt = asl_buf_take(&b);
        cJSON_AddStringToObject(tprops, k, txt);
        free(txt);
      }
      free(k);
      if (accept_op(p, ",")) continue;
      if (expect_op(p, ")") < 0) goto out;
      break;
    }
  }
  if (expect(p, "as", "'AS', 'WITH', '('") < 0) goto out;
  size_t qa = p->i, qb = p->end;
  int no_data = 0;
  /* a trailing WITH [NO] DATA */
  if (qb - qa >= 2 && tk_is(&p->t->v[qb - 1], "data")) {
    if (tk_is(&p->t->v[qb - 2], "no") && qb - qa >= 3 &&
        tk_is(&p->t->v[qb - 3], "with")) {
      no_data = 1;
      qb -= 3;
    } else if (tk_is(&p->t->v[qb - 2], "with")) {
      qb -= 2;
    }
  }
  if (qa < qb && op_is(&p->t->v[qa], "(") &&
      match_paren(p->t, qa, qb) == qb - 1) {
    qa++;
    qb--;
  }
  info_set(info, "DML", "CREATE_TABLE_AS_SELECT", 0);
  if (!valid_name(name)) {
    asl_error_set(p->err, IRE,
                  "line %d:%d: Invalid table name '%s': use lowercase letters, "
                  "digits and '_'",
                  at->line, at->col, name);
    goto out;
  }
  if (need_db(p, db) < 0) goto out;
  if (table_get(p->x, db, name, NULL, NULL)) {
    if (ine)
      rc = 0;
    else
      asl_error_set(p->err, IRE,
                    "line %d:%d: Table 'awsdatacatalog.%s.%s' already exists",
                    at->line, at->col, db, name);
    goto out;
  }
  have_q = 1;
  if (query_prepare(p, qa, qb, &q) < 0) goto out;
  for (size_t i = 0; i < q.meta.n; i++) {
    const char *cn = q.meta.cols[i].name;
    if (!strncmp(cn, "_col", 4) && q.it.n == q.meta.n && !q.it.v[i].name) {
      asl_error_set(p->err, IRE,
                    "line %d:%d: Column name not specified at position %zu",
                    p->t->v[qa].line, p->t->v[qa].col, i + 1);
      goto out;
    }
    for (size_t j = 0; j < i; j++)
      if (!strcmp(q.meta.cols[j].name, cn)) {
        asl_error_set(p->err, IRE,
                      "line %d:%d: Column name '%s' specified more than once",
                      p->t->v[qa].line, p->t->v[qa].col, cn);
        goto out;
      }
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "name", cn);
    const char *ty = q.meta.cols[i].type;
    cJSON_AddStringToObject(c, "type", !strcmp(ty, "varchar") ? "string" : ty);
    cJSON_AddItemToArray(cols, c);
  }
  /* the first row was stepped: run the query again for the copy */
  sqlite3_finalize(q.st);
  q.st = NULL;
  if (strcmp(kind, "ICEBERG") &&
      cJSON_IsString(cJSON_GetObjectItem(tprops, "external_location"))) {
    rc = ctas_external(p, db, name, spec, tprops, &q, no_data, info);
    goto out;
  }
  if (exec(p->x, "BEGIN IMMEDIATE", p->err) < 0) goto out;
  if (create_storage(p->x, db, name, spec, p->err) < 0 ||
      table_insert_catalog(p->x, db, name, kind, spec, p->err) < 0)
    goto rollback;
  if (!no_data) {
    char *qd = qid(db), *qn = qid(name);
    char *sql =
        asl_sprintf("INSERT INTO %s.%s SELECT * FROM (%s)", qd, qn, q.T.out.s);
    free(qd);
    free(qn);
    int r = sqlite3_exec(p->x->db, sql, NULL, NULL, NULL);
    free(sql);
    if (r != SQLITE_OK) {
      sqlite_fail(&q.T, r, p->err);
      goto rollback;
    }
    info->rows_affected = sqlite3_changes64(p->x->db);
  }
  if (exec(p->x, "COMMIT", p->err) < 0) goto rollback;
  rc = 0;
  goto out;
rollback:
  sqlite3_exec(p->x->db, "ROLLBACK", NULL, NULL, NULL);
out:
  if (have_q) qrun_free(&q);
  free(db);
  free(name);
  cJSON_Delete(spec);
  return rc;
}

/* ---- DROP TABLE ---- */
static int st_drop_table(P *p, asl_sql_info *info) {
  int ie = 0;
  if (accept(p, "if")) {
    if (expect(p, "exists", "'EXISTS'") < 0) return -1;
    ie = 1;
  }
  char *db, *name;
  if (qname(p, &db, &name, NULL) < 0) return -1;
  if (!db) db = asl_strdup(p->x->cur);
  int rc = -1;
  accept(p, "purge");
  if (!at_end(p)) {
    syntax(p, pk(p), "<EOF>");
    goto out;
  }
  info_set(info, "DDL", "DROP_TABLE", 0);
  if (!table_get(p->x, db, name, NULL, NULL)) {
    if (ie && db_exists(p->x, db))
      rc = 0;
    else if (!db_exists(p->x, db))
      need_db(p, db);
    else
      asl_error_set(p->err, IRE,
                    "FAILED: SemanticException [Error 10001]: Table not found "
                    "%s.%s",
                    db, name);
    goto out;
  }
  if (exec(p->x, "BEGIN IMMEDIATE", p->err) < 0) goto out;
  sqlite3_stmt *st;
  sqlite3_prepare_v2(p->x->db,
                     "DELETE FROM main.tables WHERE db=?1 AND name=?2", -1, &st,
                     NULL);
  sqlite3_bind_text(st, 1, db, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
  int r = sqlite3_step(st);
  sqlite3_finalize(st);
  if (r != SQLITE_DONE || drop_storage(p->x, db, name, p->err) < 0 ||
      exec(p->x, "COMMIT", p->err) < 0) {
    sqlite3_exec(p->x->db, "ROLLBACK", NULL, NULL, NULL);
    if (!p->err->name)
      asl_error_set(p->err, "InternalError", "catalog: %s",
                    sqlite3_errmsg(p->x->db));
    goto out;
  }
  rc = 0;
out:
  free(db);
  free(name);
  return rc;
}

/* The target of a DML statement: found, managed, attached. */
static int dml_target(P *p, const char *what, char **db, char **name,
                      char **kind, cJSON **spec, sql_tok **at) {
  if (qname(p, db, name, at) < 0) return -1;
  if (!*db) *db = asl_strdup(p->x->cur);
  if (!db_exists(p->x, *db))
    return asl_error_set(p->err, IRE, "line %d:%d: Schema '%s' does not exist",
                         (*at)->line, (*at)->col, *db);
  if (!table_get(p->x, *db, *name, kind, spec))
    return asl_error_set(p->err, IRE,
                         "line %d:%d: Table 'awsdatacatalog.%s.%s' does not "
                         "exist",
                         (*at)->line, (*at)->col, *db, *name);
  if (strcmp(what, "INSERT") != 0 && strcmp(*kind, "ICEBERG") != 0)
    /* Trino's Hive connector, as dbt-trino #457 quotes it */
    return asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: Modifying Hive table rows is only "
                         "supported for transactional tables");
  return attach(p->x, *db, p->err);
}

/* Translates [a, b) and runs it as one write; rows_affected from SQLite. */
static int run_write(P *p, const char *prefix, size_t a, size_t b,
                     asl_sql_info *info) {
  tr T = {0};
  T.x = p->x;
  T.t = p->t;
  T.err = p->err;
  collect_ctes(&T, a, b);
  int rc = -1;
  if (translate(&T, a, b) < 0) goto out;
  T.qa = a;
  T.qb = b;
  T.have_q = 1;
  if (refresh_refs(&T, p->err) < 0) goto out;
  char *sql = asl_sprintf("%s %s", prefix, T.out.s ? T.out.s : "");
  sqlite3_stmt *st = NULL;
  int r = sqlite3_prepare_v2(p->x->db, sql, -1, &st, NULL);
  free(sql);
  if (r == SQLITE_OK) {
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
    }
  }
  if (r != SQLITE_DONE) {
    sqlite_fail(&T, r, p->err);
    sqlite3_finalize(st);
    goto out;
  }
  sqlite3_finalize(st);
  info->rows_affected = sqlite3_changes64(p->x->db);
  rc = 0;
out:
  tr_free(&T);
  return rc;
}

/* ---- INSERT INTO ---- */
static int ext_write(P *p, const char *db, const char *name, const cJSON *spec,
                     size_t a, size_t b, const char *collist,
                     asl_sql_info *info);

static int st_insert(P *p, asl_sql_info *info) {
  if (expect(p, "into", "'INTO'") < 0) return -1;
  char *db = NULL, *name = NULL, *kind = NULL;
  cJSON *spec = NULL;
  sql_tok *at;
  int rc = -1;
  info_set(info, "DML", "INSERT", 0);
  if (dml_target(p, "INSERT", &db, &name, &kind, &spec, &at) < 0) goto out;
  asl_buf cl = {0};
  if (op_is(pk(p), "(") && !tk_is(pk2(p, 1), "select") &&
      !tk_is(pk2(p, 1), "with") && !tk_is(pk2(p, 1), "values")) {
    p->i++;
    asl_buf_putc(&cl, '(');
    for (int n = 0;; n++) {
      char *c;
      if (ident(p, &c) < 0) {
        asl_buf_free(&cl);
        goto out;
      }
      char *q = qid(c);
      asl_buf_printf(&cl, "%s%s", n ? ", " : "", q);
      free(q);
      free(c);
      if (accept_op(p, ",")) continue;
      if (expect_op(p, ")") < 0) {
        asl_buf_free(&cl);
        goto out;
      }
      break;
    }
    asl_buf_putc(&cl, ')');
  }
  char *collist = asl_buf_take(&cl);
  if (!tk_is(pk(p), "select") && !tk_is(pk(p), "with") &&
      !tk_is(pk(p), "values") && !op_is(pk(p), "(")) {
    syntax(p, pk(p), "'SELECT', 'VALUES', 'WITH', '('");
    free(collist);
    goto out;
  }
  if (!strcmp(kind, "EXTERNAL")) {
    rc = ext_write(p, db, name, spec, p->i, p->end, collist, info);
    free(collist);
    goto out;
  }
  char *qd = qid(db), *qn = qid(name);
  char *prefix = asl_sprintf("INSERT INTO %s.%s %s", qd, qn, collist);
  free(qd);
  free(qn);
  free(collist);
  rc = run_write(p, prefix, p->i, p->end, info);
  free(prefix);
out:
  free(db);
  free(name);
  free(kind);
  cJSON_Delete(spec);
  return rc;
}

/* INSERT into an external delimited/OpenCSV/JSON table: the query's rows
 * become a new object under LOCATION in the table's format. Partitioned
 * external tables are refused. */
static int ext_write(P *p, const char *db, const char *name, const cJSON *spec,
                     size_t a, size_t b, const char *collist,
                     asl_sql_info *info) {
  if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(spec, "partitions")))
    return asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: asl does not support INSERT INTO a "
                         "partitioned external table yet");
  if (collist && *collist)
    return asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: asl does not support a column list "
                         "in INSERT INTO an external table yet");
  const char *sdv =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "serde"));
  if (sdv && !strcmp(sdv, "parquet"))
    return asl_error_set(p->err, IRE,
                         "NOT_SUPPORTED: asl does not support INSERT INTO a "
                         "Parquet table yet");
  qrun q;
  int rc = query_prepare(p, a, b, &q);
  const cJSON *cols = cJSON_GetObjectItemCaseSensitive(spec, "columns");
  size_t nc = (size_t)cJSON_GetArraySize(cols);
  if (rc == 0 && q.meta.n != nc)
    rc = asl_error_set(p->err, IRE,
                       "line %d:%d: Insert query has %zu columns but table "
                       "%s.%s has %zu",
                       p->t->v[a].line, p->t->v[a].col, q.meta.n, db, name, nc);
  const char *serde =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "serde"));
  const char *dl =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "delim"));
  const char *es =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(spec, "escape"));
  char delim = dl && *dl ? *dl : (serde && !strcmp(serde, "opencsv") ? ',' : 1);
  asl_buf o = {0};
  long long n = 0;
  while (rc == 0 && q.have_row) {
    cJSON *obj = serde && !strcmp(serde, "json") ? cJSON_CreateObject() : NULL;
    for (size_t i = 0; i < nc; i++) {
      const cJSON *c = cJSON_GetArrayItem(cols, (int)i);
      const char *cn = cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring;
      char tb[64];
      const char *ty = sql_result_type(
          cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "type")),
          tb);
      char *v = sql_fmt_value(sqlite3_column_value(q.st, (int)i), ty);
      if (obj) {
        sqlite3_value *sv = sqlite3_column_value(q.st, (int)i);
        if (!v)
          cJSON_AddNullToObject(obj, cn);
        else if (sqlite3_value_type(sv) == SQLITE_INTEGER &&
                 strcmp(ty, "boolean") && strcmp(ty, "varchar"))
          cJSON_AddNumberToObject(obj, cn, (double)sqlite3_value_int64(sv));
        else if (sqlite3_value_type(sv) == SQLITE_FLOAT &&
                 strcmp(ty, "varchar"))
          cJSON_AddNumberToObject(obj, cn, sqlite3_value_double(sv));
        else if (!strcmp(ty, "boolean"))
          cJSON_AddBoolToObject(obj, cn, !strcmp(v, "true"));
        else
          cJSON_AddStringToObject(obj, cn, v);
      } else {
        if (i) asl_buf_putc(&o, delim);
        if (serde && !strcmp(serde, "opencsv")) {
          asl_buf_putc(&o, '"');
          for (const char *s = v ? v : ""; *s; s++) {
            if (*s == '"') asl_buf_putc(&o, '"');
            asl_buf_putc(&o, *s);
          }
          asl_buf_putc(&o, '"');
        } else if (!v) {
          asl_buf_puts(&o, "\\N");
        } else {
          for (const char *s = v; *s; s++) {
            if (es && *es && (*s == delim || *s == *es || *s == '\n'))
              asl_buf_putc(&o, *es);
            asl_buf_putc(&o, *s == '\n' && es && *es ? 'n' : *s);
          }
        }
      }
      free(v);
    }
    if (obj) {
      char *js = cJSON_PrintUnformatted(obj);
      asl_buf_puts(&o, js);
      cJSON_free(js);
      cJSON_Delete(obj);
    }
    asl_buf_putc(&o, '\n');
    n++;
    int r = sqlite3_step(q.st);
    if (r == SQLITE_DONE)
      q.have_row = 0;
    else if (r != SQLITE_ROW)
      rc = sqlite_fail(&q.T, r, p->err);
  }
  if (rc == 0 && n > 0) {
    const char *loc = cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(spec, "location"));
    char *bucket, *prefix;
    if (sql_split_location(loc, &bucket, &prefix, p->err) < 0) {
      rc = -1;
    } else {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      struct tm tm;
      time_t sec = ts.tv_sec;
      gmtime_r(&sec, &tm);
      char fn[96];
      snprintf(fn, sizeof fn, "%04d%02d%02d_%02d%02d%02d_%09ld_%08x",
               tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
               tm.tm_min, tm.tm_sec, ts.tv_nsec, (unsigned)rand());
      char *key = *prefix ? asl_sprintf("%s/%s", prefix, fn) : asl_strdup(fn);
      asl_error le = {0};
      if (asl_lake_put(p->x->lake, bucket, key, o.s ? o.s : "", o.len, NULL,
                       &le) < 0) {
        rc = asl_error_set(p->err,
                           !strcmp(le.name ? le.name : "", "NoSuchBucket")
                               ? IRE
                               : "InternalError",
                           "writing s3://%s/%s: %s: %s", bucket, key,
                           le.name ? le.name : "", le.cause ? le.cause : "");
        asl_error_clear(&le);
      }
      free(key);
      free(bucket);
      free(prefix);
    }
  }
  if (rc == 0) info->rows_affected = n;
  asl_buf_free(&o);
  qrun_free(&q);
  return rc;
}

/* ---- UPDATE / DELETE ---- */
static int st_update_delete(P *p, int is_update, asl_sql_info *info) {
  char *db = NULL, *name = NULL, *kind = NULL;
  cJSON *spec = NULL;
  sql_tok *at;
  size_t start = p->i - 1; /* the UPDATE or DELETE token */
  int rc = -1;
  info_set(info, "DML", is_update ? "UPDATE" : "DELETE", 0);
  if (!is_update && expect(p, "from", "'FROM'") < 0) goto out;
  if (dml_target(p, is_update ? "UPDATE" : "DELETE", &db, &name, &kind, &spec,
                 &at) < 0)
    goto out;
  if (is_update && !tk_is(pk(p), "set")) {
    syntax(p, pk(p), "'SET'");
    goto out;
  }
  if (!is_update && !at_end(p) && !tk_is(pk(p), "where")) {
    syntax(p, pk(p), "'WHERE', <EOF>");
    goto out;
  }
  rc = run_write(p, "", start, p->end, info);
out:
  free(db);
  free(name);
  free(kind);
  cJSON_Delete(spec);
  return rc;
}

/* ---- MERGE INTO ---- */
typedef struct when {
  int matched;   /* 1 MATCHED, 0 NOT MATCHED */
  int action;    /* 'U' update, 'D' delete, 'I' insert */
  size_t ca, cb; /* condition tokens, ca == cb: none */
  size_t sa, sb; /* UPDATE SET assignments / INSERT VALUES (...) inside */
  size_t la, lb; /* INSERT column list inside the parens; la == lb: none */
} when;

/* Next token index at depth 0 in [i, b) that is keyword kw, or b. */
static size_t find_kw(sql_toks *t, size_t i, size_t b, const char *kw) {
  int d = 0;
  for (; i < b; i++) {
    if (op_is(&t->v[i], "("))
      d++;
    else if (op_is(&t->v[i], ")"))
      d--;
    else if (!d && tk_is(&t->v[i], kw))
      return i;
  }
  return b;
}

static char *tr_range(P *p, tr *T, size_t a, size_t b) {
  size_t from = T->out.len;
  if (translate(T, a, b) < 0) return NULL;
  char *s = asl_strndup(T->out.s ? T->out.s + from : "", T->out.len - from);
  return s;
}

static int st_merge(P *p, asl_sql_info *info) {
  sqlx *x = p->x;
  sql_toks *t = p->t;
  char *db = NULL, *name = NULL, *kind = NULL, *talias = NULL, *salias = NULL;
  cJSON *spec = NULL;
  sql_tok *at;
  when *w = NULL;
  size_t nw = 0;
  int rc = -1, in_tx = 0;
  tr T = {0};
  T.x = x;
  T.t = t;
  T.err = p->err;
  asl_buf sql = {0};
  char **parts = NULL;
  size_t nparts = 0;
  info_set(info, "DML", "MERGE", 0);
  if (expect(p, "into", "'INTO'") < 0) goto out;
  if (dml_target(p, "MERGE", &db, &name, &kind, &spec, &at) < 0) goto out;
  accept(p, "as");
  if (is_name_tok(pk(p)) && !tk_is(pk(p), "using")) ident(p, &talias);
  if (!talias) talias = asl_strdup(name);
  if (expect(p, "using", "'USING'") < 0) goto out;
  size_t sa, sb;
  int src_query = 0;
  sql_tok *src_at = pk(p);
  if (op_is(pk(p), "(")) {
    sa = p->i + 1;
    sb = match_paren(t, p->i, p->end);
    if (sb >= p->end) {
      syntax(p, &t->v[p->end], "')'");
      goto out;
    }
    p->i = sb + 1;
    src_query = 1;
  } else {
    sa = p->i;
    char *sd, *sn;
    if (qname(p, &sd, &sn, NULL) < 0) goto out;
    sb = p->i;
    salias = asl_strdup(sn);
    free(sd);
    free(sn);
  }
  accept(p, "as");
  if (is_name_tok(pk(p)) && !tk_is(pk(p), "on")) {
    free(salias);
    salias = NULL;
    ident(p, &salias);
  }
  if (!salias) salias = asl_strdup("__asl_source");
  if (expect(p, "on", "'ON'") < 0) goto out;
  size_t ona = p->i, onb = find_kw(t, p->i, p->end, "when");
  if (onb == ona) {
    syntax(p, pk(p), "<expression>");
    goto out;
  }
  p->i = onb;
  if (at_end(p)) {
    syntax(p, pk(p), "'WHEN'");
    goto out;
  }
  while (!at_end(p)) {
    if (expect(p, "when", "'WHEN', <EOF>") < 0) goto out;
    w = asl_realloc(w, (nw + 1) * sizeof *w);
    when *c = &w[nw++];
    memset(c, 0, sizeof *c);
    c->matched = 1;
    if (accept(p, "not")) c->matched = 0;
    if (expect(p, "matched", "'MATCHED'") < 0) goto out;
    if (accept(p, "and")) {
      c->ca = p->i;
      c->cb = find_kw(t, p->i, p->end, "then");
      p->i = c->cb;
    }
    if (expect(p, "then", "'THEN', 'AND'") < 0) goto out;
    sql_tok *act = pk(p);
    if (c->matched && accept(p, "update")) {
      c->action = 'U';
      if (expect(p, "set", "'SET'") < 0) goto out;
      c->sa = p->i;
      c->sb = find_kw(t, p->i, p->end, "when");
      if (c->sa == c->sb) {
        syntax(p, pk(p), "<identifier>");
        goto out;
      }
      p->i = c->sb;
    } else if (c->matched && accept(p, "delete")) {
      c->action = 'D';
    } else if (!c->matched && accept(p, "insert")) {
      c->action = 'I';
      if (op_is(pk(p), "(")) {
        size_t e = match_paren(t, p->i, p->end);
        c->la = p->i + 1;
        c->lb = e;
        p->i = e + 1;
      }
      if (expect(p, "values", "'VALUES'") < 0) goto out;
      if (!op_is(pk(p), "(")) {
        syntax(p, pk(p), "'('");
        goto out;
      }
      size_t e = match_paren(t, p->i, p->end);
      if (e >= p->end) {
        syntax(p, &t->v[p->end], "')'");
        goto out;
      }
      c->sa = p->i + 1;
      c->sb = e;
      p->i = e + 1;
    } else {
      syntax(p, act, c->matched ? "'UPDATE', 'DELETE'" : "'INSERT'");
      goto out;
    }
  }
  /* the source, materialised */
  char *src = src_query ? tr_range(p, &T, sa, sb) : NULL;
  if (!src_query) {
    /* re-read the name: [catalog.][db.]table */
    size_t save = p->i;
    p->i = sa;
    char *sd = NULL, *sn = NULL;
    if (qname(p, &sd, &sn, NULL) == 0) {
      if (!sd) sd = asl_strdup(x->cur);
      if (resolve_table(&T, src_at, sd, sn) == 0) {
        char *a1 = qid(sd), *a2 = qid(sn);
        src = asl_sprintf("SELECT * FROM %s.%s", a1, a2);
        free(a1);
        free(a2);
      }
    }
    free(sd);
    free(sn);
    p->i = save;
  }
  if (!src) goto out;
  if (refresh_refs(&T, p->err) < 0) {
    free(src);
    goto out;
  }
  char *qd = qid(db), *qn = qid(name), *qta = qid(talias), *qsa = qid(salias);
  char *target = asl_sprintf("%s.%s", qd, qn);
  free(qd);
  free(qn);
  if (exec(x, "BEGIN IMMEDIATE", p->err) < 0) {
    free(src);
    goto out2;
  }
  in_tx = 1;
  asl_buf_printf(&sql,
                 "DROP TABLE IF EXISTS temp.__asl_src; DROP TABLE IF EXISTS "
                 "temp.__asl_m; CREATE TEMP TABLE __asl_src AS %s",
                 src);
  free(src);
  char *s = asl_buf_take(&sql);
  int r = sqlite3_exec(x->db, s, NULL, NULL, NULL);
  free(s);
  if (r != SQLITE_OK) {
    sqlite_fail(&T, r, p->err);
    goto out2;
  }
  char *on = tr_range(p, &T, ona, onb);
  if (!on) goto out2;
  asl_buf_printf(&sql,
                 "CREATE TEMP TABLE __asl_m AS SELECT %s.rowid AS trid, "
                 "%s.rowid AS srid, CASE",
                 qta, qsa);
  int nm = 0;
  for (size_t i = 0; i < nw; i++) {
    if (!w[i].matched) continue;
    char *cond =
        w[i].ca < w[i].cb ? tr_range(p, &T, w[i].ca, w[i].cb) : asl_strdup("1");
    if (!cond) {
      free(on);
      goto out2;
    }
    asl_buf_printf(&sql, " WHEN (%s) THEN %zu", cond, i + 1);
    free(cond);
    nm++;
  }
  if (!nm) asl_buf_puts(&sql, " WHEN 0 THEN 0");
  asl_buf_printf(&sql,
                 " ELSE 0 END AS k FROM %s AS %s JOIN temp.__asl_src AS "
                 "%s ON (%s)",
                 target, qta, qsa, on);
  free(on);
  s = asl_buf_take(&sql);
  r = sqlite3_exec(x->db, s, NULL, NULL, NULL);
  free(s);
  if (r != SQLITE_OK) {
    sqlite_fail(&T, r, p->err);
    goto out2;
  }
  /* Trino's rule (MERGE_TARGET_ROW_MULTIPLE_MATCHES) */
  sqlite3_stmt *st;
  sqlite3_prepare_v2(x->db,
                     "SELECT 1 FROM temp.__asl_m WHERE k > 0 GROUP BY trid "
                     "HAVING count(*) > 1 LIMIT 1",
                     -1, &st, NULL);
  r = sqlite3_step(st);
  sqlite3_finalize(st);
  if (r == SQLITE_ROW) {
    asl_error_set(p->err, IRE,
                  "MERGE_TARGET_ROW_MULTIPLE_MATCHES: One MERGE target table "
                  "row matched more than one source row");
    goto out2;
  }
  /* the target's columns, for INSERT without a list */
  const cJSON *c;
  for (int pass = 0; pass < 2; pass++)
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
                              spec, pass ? "partitions" : "columns")) {
      if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c, "type")))
        continue;
      parts = asl_realloc(parts, (nparts + 1) * sizeof(char *));
      parts[nparts++] =
          qid(cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring);
    }
  long long affected = 0;
  asl_buf prev = {0}; /* earlier NOT MATCHED conditions */
  for (size_t i = 0; i < nw; i++) {
    when *cw = &w[i];
    if (cw->action == 'U') {
      asl_buf_printf(&sql, "UPDATE %s AS %s SET ", target, qta);
      /* col = expr, ... at depth 0 */
      size_t j = cw->sa;
      int first = 1;
      while (j < cw->sb) {
        size_t e = j;
        int d = 0;
        while (e < cw->sb && !(d == 0 && op_is(&t->v[e], ","))) {
          if (op_is(&t->v[e], "(")) d++;
          if (op_is(&t->v[e], ")")) d--;
          e++;
        }
        size_t eq = j;
        while (eq < e && !op_is(&t->v[eq], "="))
          eq++;
        if (eq >= e || eq == j) {
          asl_error_set(p->err, IRE,
                        "line %d:%d: mismatched input '%s'. "
                        "Expecting: '='",
                        t->v[j].line, t->v[j].col, tok_text(&t->v[j]));
          asl_buf_free(&prev);
          goto out2;
        }
        const sql_tok *col = &t->v[eq - 1];
        char *val = tr_range(p, &T, eq + 1, e);
        if (!val) {
          asl_buf_free(&prev);
          goto out2;
        }
        char *qc = qid(col->v);
        asl_buf_printf(&sql, "%s%s = (%s)", first ? "" : ", ", qc, val);
        free(qc);
        free(val);
        first = 0;
        j = e + 1;
      }
      asl_buf_printf(&sql,
                     " FROM (SELECT m.trid AS __asl_trid, s.* FROM "
                     "temp.__asl_m AS m JOIN temp.__asl_src AS s ON s.rowid = "
                     "m.srid WHERE m.k = %zu) AS %s WHERE %s.rowid = "
                     "%s.__asl_trid",
                     i + 1, qsa, qta, qsa);
    } else if (cw->action == 'D') {
      asl_buf_printf(&sql,
                     "DELETE FROM %s WHERE rowid IN (SELECT trid FROM "
                     "temp.__asl_m WHERE k = %zu)",
                     target, i + 1);
    } else {
      char *vals = tr_range(p, &T, cw->sa, cw->sb);
      char *cond =
          cw->ca < cw->cb ? tr_range(p, &T, cw->ca, cw->cb) : asl_strdup("1");
      if (!vals || !cond) {
        free(vals);
        free(cond);
        asl_buf_free(&prev);
        goto out2;
      }
      asl_buf_printf(&sql, "INSERT INTO %s (", target);
      if (cw->la < cw->lb) {
        int first = 1;
        for (size_t j = cw->la; j < cw->lb; j++) {
          if (op_is(&t->v[j], ",")) continue;
          if (!is_name_tok(&t->v[j])) {
            asl_error_set(p->err, IRE,
                          "line %d:%d: mismatched input '%s'. Expecting: "
                          "<identifier>",
                          t->v[j].line, t->v[j].col, tok_text(&t->v[j]));
            free(vals);
            free(cond);
            asl_buf_free(&prev);
            goto out2;
          }
          char *qc = qid(t->v[j].v);
          asl_buf_printf(&sql, "%s%s", first ? "" : ", ", qc);
          free(qc);
          first = 0;
        }
      } else {
        for (size_t j = 0; j < nparts; j++)
          asl_buf_printf(&sql, "%s%s", j ? ", " : "", parts[j]);
      }
      asl_buf_printf(
          &sql,
          ") SELECT %s FROM temp.__asl_src AS %s WHERE %s.rowid "
          "NOT IN (SELECT srid FROM temp.__asl_m) AND coalesce((%s), "
          "0)%s",
          vals, qsa, qsa, cond, prev.s ? prev.s : "");
      asl_buf_printf(&prev, " AND NOT coalesce((%s), 0)", cond);
      free(vals);
      free(cond);
    }
    s = asl_buf_take(&sql);
    r = sqlite3_exec(x->db, s, NULL, NULL, NULL);
    free(s);
    if (r != SQLITE_OK) {
      sqlite_fail(&T, r, p->err);
      asl_buf_free(&prev);
      goto out2;
    }
    affected += sqlite3_changes64(x->db);
  }
  asl_buf_free(&prev);
  sqlite3_exec(x->db,
               "DROP TABLE IF EXISTS temp.__asl_src; DROP TABLE IF EXISTS "
               "temp.__asl_m",
               NULL, NULL, NULL);
  if (exec(x, "COMMIT", p->err) < 0) goto out2;
  in_tx = 0;
  info->rows_affected = affected;
  rc = 0;
out2:
  free(target);
  free(qta);
  free(qsa);
out:
  if (in_tx) {
    sqlite3_exec(x->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_exec(x->db,
                 "DROP TABLE IF EXISTS temp.__asl_src; DROP TABLE IF EXISTS "
                 "temp.__asl_m",
                 NULL, NULL, NULL);
  }
  for (size_t i = 0; i < nparts; i++)
    free(parts[i]);
  free(parts);
  asl_buf_free(&sql);
  tr_free(&T);
  free(w);
  free(db);
  free(name);
  free(kind);
  free(talias);
  free(salias);
  cJSON_Delete(spec);
  return rc;
}

/* ---- MSCK REPAIR TABLE / ALTER TABLE ADD PARTITION: partitions are
 * found in the folders at query time, so these only check the table ---- */
static int st_partitions_noop(P *p, sql_tok *first, asl_sql_info *info) {
  char *db, *name;
  if (qname(p, &db, &name, NULL) < 0) return -1;
  if (!db) db = asl_strdup(p->x->cur);
  int rc = -1;
  char *kind = NULL;
  if (tk_is(first, "alter")) {
    if (!tk_is(pk(p), "add")) {
      rc = not_supported(p, first, "ALTER TABLE (other than ADD PARTITION)");
      goto out;
    }
    p->i = p->end; /* ADD [IF NOT EXISTS] PARTITION (...) [LOCATION ..] ... */
    info_set(info, "DDL", "ALTER_TABLE_ADD_PARTITION", 0);
  } else {
    info_set(info, "DDL", "MSCK_REPAIR_TABLE", 0);
  }
  if (!at_end(p)) {
    syntax(p, pk(p), "<EOF>");
    goto out;
  }
  if (!table_get(p->x, db, name, &kind, NULL)) {
    asl_error_set(p->err, IRE,
                  "FAILED: SemanticException [Error 10001]: Table not found "
                  "%s.%s",
                  db, name);
    goto out;
  }
  rc = 0;
out:
  free(kind);
  free(db);
  free(name);
  return rc;
}

static int dispatch(P *p, const asl_sql_sink *sink, asl_sql_info *info) {
  sql_tok *f = pk(p);
  if (f->k == TK_EOF)
    return syntax(p, f,
                  "'ALTER', 'CREATE', 'DELETE', 'DESCRIBE', 'DROP', "
                  "'INSERT', 'MERGE', 'SELECT', 'SHOW', 'UPDATE', "
                  "'WITH'");
  if (tk_is(f, "select") || tk_is(f, "with") || tk_is(f, "values") ||
      op_is(f, "("))
    return st_select(p, p->i, sink, info);
  p->i++;
  if (tk_is(f, "create")) {
    if (accept(p, "or") && expect(p, "replace", "'REPLACE'") < 0) return -1;
    if (accept(p, "database") || accept(p, "schema")) {
      info_set(info, "DDL", "CREATE_DATABASE", 0);
      return st_create_db(p, info);
    }
    if (accept(p, "external")) {
      info_set(info, "DDL", "CREATE_TABLE", 0);
      if (expect(p, "table", "'TABLE'") < 0) return -1;
      return st_create_external(p, info);
    }
    if (accept(p, "table")) {
      int ctas = 0, d = 0;
      for (size_t j = p->i; j < p->end && !ctas; j++) {
        if (op_is(&p->t->v[j], "("))
          d++;
        else if (op_is(&p->t->v[j], ")"))
          d--;
        else if (!d && tk_is(&p->t->v[j], "as"))
          ctas = 1;
      }
      info_set(info, ctas ? "DML" : "DDL",
               ctas ? "CREATE_TABLE_AS_SELECT" : "CREATE_TABLE", 0);
      return st_create_table(p, info);
    }
    if (tk_is(pk(p), "view")) return not_supported(p, f, "CREATE VIEW");
    return syntax(p, pk(p), "'DATABASE', 'EXTERNAL', 'SCHEMA', 'TABLE'");
  }
  if (tk_is(f, "drop")) {
    if (accept(p, "database") || accept(p, "schema")) {
      info_set(info, "DDL", "DROP_DATABASE", 0);
      return st_drop_db(p, info);
    }
    if (accept(p, "table")) {
      info_set(info, "DDL", "DROP_TABLE", 0);
      return st_drop_table(p, info);
    }
    if (tk_is(pk(p), "view")) return not_supported(p, f, "DROP VIEW");
    return syntax(p, pk(p), "'DATABASE', 'SCHEMA', 'TABLE'");
  }
  if (tk_is(f, "show")) {
    if (tk_is(pk(p), "databases") || tk_is(pk(p), "schemas"))
      info_set(info, "DDL", "SHOW_DATABASES", 0);
    else if (tk_is(pk(p), "tables"))
      info_set(info, "DDL", "SHOW_TABLES", 0);
    else if (tk_is(pk(p), "columns"))
      info_set(info, "DDL", "SHOW_COLUMNS", 0);
    else if (tk_is(pk(p), "partitions"))
      info_set(info, "DDL", "SHOW_PARTITIONS", 0);
    else if (tk_is(pk(p), "create"))
      info_set(info, "UTILITY", "SHOW_CREATE_TABLE", 0);
    return st_show(p, sink, info);
  }
  if (tk_is(f, "describe") || tk_is(f, "desc")) {
    info_set(info, "UTILITY", "DESCRIBE_TABLE", 0);
    return st_describe(p, sink, info);
  }
  if (tk_is(f, "insert")) {
    info_set(info, "DML", "INSERT", 0);
    return st_insert(p, info);
  }
  if (tk_is(f, "merge")) {
    info_set(info, "DML", "MERGE", 0);
    return st_merge(p, info);
  }
  if (tk_is(f, "update")) {
    info_set(info, "DML", "UPDATE", 0);
    return st_update_delete(p, 1, info);
  }
  if (tk_is(f, "delete")) {
    info_set(info, "DML", "DELETE", 0);
    return st_update_delete(p, 0, info);
  }
  if (tk_is(f, "msck")) {
    if (expect(p, "repair", "'REPAIR'") < 0 ||
        expect(p, "table", "'TABLE'") < 0)
      return -1;
    return st_partitions_noop(p, f, info);
  }
  if (tk_is(f, "alter")) {
    if (!accept(p, "table")) return not_supported(p, f, "this ALTER statement");
    return st_partitions_noop(p, f, info);
  }
  static const char *const known[] = {
      "unload",  "explain",  "prepare",  "execute", "deallocate",
      "vacuum",  "optimize", "use",      "grant",   "revoke",
      "analyze", "call",     "set",      "reset",   "start",
      "commit",  "rollback", "truncate", NULL};
  if (f->k == TK_ID && in_list(f->v, known)) {
    char up[32];
    snprintf(up, sizeof up, "%s", f->v);
    for (char *c = up; *c; c++)
      *c = (char)toupper((unsigned char)*c);
    return not_supported(p, f, up);
  }
  return syntax(p, f,
                "'ALTER', 'CREATE', 'DELETE', 'DESCRIBE', 'DROP', 'INSERT', "
                "'MERGE', 'SELECT', 'SHOW', 'UPDATE', 'WITH'");
}

int asl_sql_run(const char *home, const char *database, const char *sql,
                double deadline, const asl_sql_sink *sink, asl_sql_info *info,
                asl_error *err) {
  asl_sql_info dummy;
  if (!info) info = &dummy;
  memset(info, 0, sizeof *info);
  info_set(info, "DML", "SELECT", 1);
  if (!sql) return asl_error_set(err, IRE, "no statement");
  sqlx x = {0};
  x.deadline = deadline;
  sql_toks toks = {0};
  int rc = -1;
  if (sql_lex(sql, &toks, err) < 0) return -1;
  if (x_open(&x, home, err) < 0) goto out;
  x.cur = asl_strdup(database && *database ? database : "default");
  for (char *c = x.cur; *c; c++)
    *c = (char)tolower((unsigned char)*c);
  if (sql_past_deadline(&x)) {
    asl_error_set(err, "States.Timeout", "the query ran past its deadline");
    goto out;
  }
  P p = {0};
  p.x = &x;
  p.t = &toks;
  p.err = err;
  p.end = toks.n - 1;
  /* one statement, with an optional trailing ';' */
  while (p.end > 0 && op_is(&toks.v[p.end - 1], ";"))
    p.end--;
  for (size_t i = 0; i < p.end; i++)
    if (op_is(&toks.v[i], ";")) {
      asl_error_set(err, IRE,
                    "line %d:%d: mismatched input ';'. Expecting: <EOF>",
                    toks.v[i].line, toks.v[i].col);
      goto out;
    }
  rc = dispatch(&p, sink, info);
  if (rc < 0 && !err->name) asl_error_set(err, "InternalError", "failed");
  if (rc < 0 && x.timed_out && strcmp(err->name, "States.Timeout") != 0)
    asl_error_set(err, "States.Timeout", "the query ran past its deadline");
out:
  info->bytes_scanned = x.bytes_scanned;
  if (getenv("ASL_SQL_DEBUG"))
    fprintf(stderr, "asl sql: %lld external files read\n", x.files_read);
  x_close(&x);
  sql_toks_free(&toks);
  return rc;
}
