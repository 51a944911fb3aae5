/* sql.c: the Athena-like SQL engine (lake/sql.h): the catalog, the parser's
 * cursor, the translation of Trino's SELECT syntax into SQLite's, queries
 * and statement dispatch. The statements are in sql_ddl.c (catalog
 * statements) and sql_dml.c (statements that write rows); what the three
 * files share is in sql_stmt.h.
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

#include "sql_stmt.h"

#define MAX_DEPTH 200

int sql_past_deadline(sqlx *x) {
  if (x->timed_out) return 1;
  if (x->deadline <= 0) return 0;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if ((double)ts.tv_sec + ts.tv_nsec / 1e9 > x->deadline) x->timed_out = 1;
  return x->timed_out;
}

void sql_stamp_name(char *buf, size_t n, int nsec_digits) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  time_t sec = ts.tv_sec;
  gmtime_r(&sec, &tm);
  long frac = ts.tv_nsec;
  for (int d = 9; d > nsec_digits && d > 0; d--)
    frac /= 10;
  snprintf(buf, n, "%04d%02d%02d_%02d%02d%02d_%0*ld_%08x",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec, nsec_digits, frac, (unsigned)rand());
}

static int progress(void *ud) { return sql_past_deadline(ud); }

char *sql_qid(const char *s) {
  asl_buf b = {0};
  asl_buf_putc(&b, '"');
  for (; *s; s++) {
    if (*s == '"') asl_buf_putc(&b, '"');
    asl_buf_putc(&b, *s);
  }
  asl_buf_putc(&b, '"');
  return asl_buf_take(&b);
}

void sql_put_str_lit(asl_buf *b, const char *s) {
  asl_buf_putc(b, '\'');
  for (; *s; s++) {
    if (*s == '\'') asl_buf_putc(b, '\'');
    asl_buf_putc(b, *s);
  }
  asl_buf_putc(b, '\'');
}

int sql_valid_name(const char *s) {
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

int sql_exec(sqlx *x, const char *sql, asl_error *err) {
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
  return sql_exec(x,
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

int sql_db_exists(sqlx *x, const char *name) {
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
int sql_table_get(sqlx *x, const char *db, const char *name, char **kind,
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

int sql_attach(sqlx *x, const char *db, asl_error *err) {
  for (size_t i = 0; i < x->nattached; i++)
    if (!strcmp(x->attached[i], db)) return 0;
  if (!strcmp(db, "main") || !strcmp(db, "temp"))
    return asl_error_set(
        err, IRE, "NOT_SUPPORTED: asl cannot hold a database named %s", db);
  char *path = asl_sprintf("%s/db/%s.sqlite", x->athena, db);
  char *q = sql_qid(db);
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

sql_tok *sql_pk(P *p) { return &p->t->v[p->i < p->end ? p->i : p->end]; }
sql_tok *sql_pk2(P *p, size_t k) {
  size_t j = p->i + k;
  return &p->t->v[j < p->end ? j : p->end];
}
int sql_tk_is(const sql_tok *t, const char *kw) {
  return t->k == TK_ID && !strcmp(t->v, kw);
}
int sql_op_is(const sql_tok *t, const char *op) {
  return t->k == TK_OP && !strcmp(t->v, op);
}
int sql_at_end(P *p) { return p->i >= p->end; }

const char *sql_tok_text(const sql_tok *t) {
  return t->k == TK_EOF ? "<EOF>" : t->v;
}

int sql_syntax(P *p, const sql_tok *t, const char *expecting) {
  if (t->k == TK_STR)
    return asl_error_set(p->err, IRE,
                         "line %d:%d: mismatched input ''%s''. Expecting: %s",
                         t->line, t->col, t->v, expecting);
  return asl_error_set(p->err, IRE,
                       "line %d:%d: mismatched input '%.*s'. Expecting: %s",
                       t->line, t->col, t->k == TK_EOF ? 5 : (int)t->n,
                       t->k == TK_EOF ? "<EOF>" : t->s, expecting);
}

int sql_accept(P *p, const char *kw) {
  if (sql_tk_is(sql_pk(p), kw)) {
    p->i++;
    return 1;
  }
  return 0;
}
int sql_accept_op(P *p, const char *op) {
  if (sql_op_is(sql_pk(p), op)) {
    p->i++;
    return 1;
  }
  return 0;
}
int sql_expect(P *p, const char *kw, const char *expecting) {
  if (sql_accept(p, kw)) return 0;
  return sql_syntax(p, sql_pk(p), expecting);
}
int sql_expect_op(P *p, const char *op) {
  if (sql_accept_op(p, op)) return 0;
  char e[16];
  snprintf(e, sizeof e, "'%s'", op);
  return sql_syntax(p, sql_pk(p), e);
}

int sql_ident(P *p, char **out) {
  sql_tok *t = sql_pk(p);
  if (t->k != TK_ID && t->k != TK_QID) return sql_syntax(p, t, "<identifier>");
  *out = asl_strdup(t->v);
  p->i++;
  return 0;
}

int sql_str_lit(P *p, char **out) {
  sql_tok *t = sql_pk(p);
  if (t->k != TK_STR) return sql_syntax(p, t, "<string>");
  *out = asl_strdup(t->v);
  p->i++;
  return 0;
}

/* [catalog.][db.]name; *db NULL when not given. */
int sql_qname(P *p, char **db, char **name, sql_tok **where) {
  char *a = NULL, *b = NULL, *c = NULL;
  *db = *name = NULL;
  if (where) *where = sql_pk(p);
  if (sql_ident(p, &a) < 0) return -1;
  if (sql_accept_op(p, ".")) {
    if (sql_ident(p, &b) < 0) goto bad;
    if (sql_accept_op(p, ".")) {
      if (sql_ident(p, &c) < 0) goto bad;
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

void sql_tr_add(textres *r, const char *const *vals) {
  if (r->nrows == r->cap) {
    r->cap = r->cap ? r->cap * 2 : 16;
    r->cells = asl_realloc(r->cells, r->cap * r->ncols * sizeof(char *));
  }
  for (size_t i = 0; i < r->ncols; i++)
    r->cells[r->nrows * r->ncols + i] = vals[i] ? asl_strdup(vals[i]) : NULL;
  r->nrows++;
}

int sql_tr_send(textres *r, const asl_sql_sink *sink, asl_error *err) {
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

int sql_hive_match(const char *pat, const char *s) {
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

void sql_tr_free(tr *T) {
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
  sql_table_get(T->x, db, name, &r->kind, &r->spec);
  return r;
}

/* Trino's "Table 'awsdatacatalog.db.t' does not exist" / "Schema 'db' does
 * not exist" (as trino-main's SemanticExceptions word them). */
int sql_resolve_table(tr *T, const sql_tok *at, const char *db,
                      const char *name) {
  if (!sql_db_exists(T->x, db))
    return asl_error_set(T->err, IRE, "line %d:%d: Schema '%s' does not exist",
                         at->line, at->col, db);
  if (!sql_table_get(T->x, db, name, NULL, NULL))
    return asl_error_set(T->err, IRE,
                         "line %d:%d: Table 'awsdatacatalog.%s.%s' does not "
                         "exist",
                         at->line, at->col, db, name);
  if (sql_attach(T->x, db, T->err) < 0) return -1;
  ref_add(T, db, name);
  return 0;
}

size_t sql_match_paren(sql_toks *t, size_t i, size_t b) {
  int d = 0;
  for (size_t j = i; j < b; j++) {
    if (sql_op_is(&t->v[j], "("))
      d++;
    else if (sql_op_is(&t->v[j], ")") && --d == 0)
      return j;
  }
  return b;
}

/* Collects CTE names: WITH [RECURSIVE] name [(cols)] AS (...) [, ...]. */
void sql_collect_ctes(tr *T, size_t a, size_t b) {
  sql_toks *t = T->t;
  for (size_t i = a; i < b; i++) {
    if (!sql_tk_is(&t->v[i], "with")) continue;
    size_t j = i + 1;
    if (j < b && sql_tk_is(&t->v[j], "recursive")) j++;
    while (j < b && (t->v[j].k == TK_ID || t->v[j].k == TK_QID)) {
      T->ctes = asl_realloc(T->ctes, (T->nctes + 1) * sizeof(char *));
      T->ctes[T->nctes++] = asl_strdup(t->v[j].v);
      j++;
      if (j < b && sql_op_is(&t->v[j], "(")) j = sql_match_paren(t, j, b) + 1;
      if (j < b && sql_tk_is(&t->v[j], "as")) j++;
      if (j < b && sql_op_is(&t->v[j], "(")) j = sql_match_paren(t, j, b) + 1;
      if (j < b && sql_op_is(&t->v[j], ","))
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
    if (sql_op_is(k, "(") || sql_op_is(k, "<")) d++;
    if (sql_op_is(k, ")") || sql_op_is(k, ">")) {
      if (d == 0) break;
      d--;
    }
    if (k->k == TK_ID && o.len && isalnum((unsigned char)o.s[o.len - 1]))
      asl_buf_putc(&o, ' ');
    asl_buf_puts(&o, k->v);
  }
  return asl_buf_take(&o);
}

static int tr_cast(tr *T, size_t *pi, size_t b) {
  sql_toks *t = T->t;
  size_t i = *pi;
  int try = sql_tk_is(&t->v[i], "try_cast");
  size_t open = i + 1, close = sql_match_paren(t, open, b);
  if (close >= b)
    return asl_error_set(T->err, IRE,
                         "line %d:%d: mismatched input '<EOF>'. Expecting: ')'",
                         t->v[b].line, t->v[b].col);
  /* the last AS at depth 1 */
  size_t as = 0;
  int d = 0;
  for (size_t j = open; j < close; j++) {
    if (sql_op_is(&t->v[j], "("))
      d++;
    else if (sql_op_is(&t->v[j], ")"))
      d--;
    else if (d == 1 && sql_tk_is(&t->v[j], "as"))
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
  int rc = sql_translate(T, open + 1, as);
  if (rc == 0) {
    asl_buf_puts(&T->out, ", ");
    sql_put_str_lit(&T->out, rt);
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
  if (sql_op_is(k, "(")) {
    int fnp =
        i0 > a && t->v[i0 - 1].k == TK_ID && !in_list(t->v[i0 - 1].v, FUNC_NOT);
    open_off[depth] = fnp ? *prim : before;
    return;
  }
  if (sql_op_is(k, ")")) {
    if (open_off[depth + 1] != (size_t)-1) *prim = open_off[depth + 1];
    return;
  }
  if (k->k == TK_OP) return;
  if (i0 > a && sql_op_is(&t->v[i0 - 1], ".")) return;
  *prim = before;
}

static void buf_insert(asl_buf *b, size_t at, const char *s) {
  size_t n = strlen(s);
  asl_buf_reserve(b, n + 1);
  memmove(b->s + at + n, b->s + at, b->len - at + 1);
  memcpy(b->s + at, s, n);
  b->len += n;
}

int sql_translate(tr *T, size_t a, size_t b) {
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
    if (expect_table && (sql_tk_is(k, "unnest") || sql_tk_is(k, "lateral")))
      return asl_error_set(T->err, IRE,
                           "line %d:%d: NOT_SUPPORTED: asl does not support "
                           "%s yet",
                           k->line, k->col,
                           sql_tk_is(k, "unnest") ? "UNNEST" : "LATERAL");
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
        if (np < 3 && j + 1 < b && sql_op_is(&t->v[j], ".") &&
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
        char *q = sql_qid(name);
        out(T, q);
        free(q);
      } else {
        if (sql_resolve_table(T, k, db, name) < 0) return -1;
        char *qd = sql_qid(db), *qn = sql_qid(name);
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
      int call = i + 1 < b && sql_op_is(nx, "(");
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
      if (!strcmp(v, "order") && i + 1 < b && sql_tk_is(nx, "by")) {
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
        sql_put_str_lit(&T->out, buf);
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
          t->v[i + 2].k == TK_ID && sql_tk_is(&t->v[i + 3], "from")) {
        /* EXTRACT(field FROM x) -> asl_extract('field', x) */
        if (depth >= MAX_DEPTH)
          return asl_error_set(T->err, IRE,
                               "line %d:%d: the statement is nested too deeply",
                               k->line, k->col);
        mark(T, i);
        out(T, "asl_extract(");
        sql_put_str_lit(&T->out, t->v[i + 2].v);
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
      char *q = sql_qid(k->v);
      mark(T, i);
      out(T, q);
      free(q);
      i++;
      continue;
    }
    if (k->k == TK_STR) {
      mark(T, i);
      out(T, "");
      sql_put_str_lit(&T->out, k->v);
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
    if (sql_op_is(k, "(")) {
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
    if (sql_op_is(k, ")")) {
      END_ORDER(depth);
      int fs = fromsub[depth];
      size_t pp = paren_pos[depth];
      if (depth > 0) depth--;
      /* (query) [AS] x(a, b): SQLite has no column aliases there, so the
       * query becomes (WITH "__asl_dN"(a, b) AS (query) SELECT * FROM
       * "__asl_dN") AS x */
      size_t j = i + 1;
      if (fs && j < b && sql_tk_is(&t->v[j], "as")) j++;
      if (fs && j + 2 < b &&
          (t->v[j].k == TK_QID ||
           (t->v[j].k == TK_ID && !in_list(t->v[j].v, RESERVED))) &&
          sql_op_is(&t->v[j + 1], "(")) {
        size_t c = j + 2;
        asl_buf cl = {0};
        int okc = 1;
        for (;;) {
          if (c >= b || (t->v[c].k != TK_ID && t->v[c].k != TK_QID)) {
            okc = 0;
            break;
          }
          char *qc = sql_qid(t->v[c].v);
          asl_buf_printf(&cl, "%s%s", cl.len ? ", " : "", qc);
          free(qc);
          c++;
          if (c < b && sql_op_is(&t->v[c], ",")) {
            c++;
            continue;
          }
          if (c < b && sql_op_is(&t->v[c], ")")) break;
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
          char *qa = sql_qid(t->v[j].v);
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
    if (sql_op_is(k, ",")) {
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
    if (sql_op_is(k, ";"))
      return asl_error_set(T->err, IRE,
                           "line %d:%d: mismatched input ';'. Expecting: <EOF>",
                           k->line, k->col);
    if (sql_op_is(k, "[") || sql_op_is(k, "]") || sql_op_is(k, "?") ||
        sql_op_is(k, ":") || sql_op_is(k, "->") || sql_op_is(k, "=>"))
      return asl_error_set(T->err, IRE,
                           "line %d:%d: NOT_SUPPORTED: asl does not support "
                           "'%s' here yet",
                           k->line, k->col, k->v);
    if ((sql_op_is(k, "+") || sql_op_is(k, "-")) && i + 3 < b &&
        sql_tk_is(&t->v[i + 1], "interval") && t->v[i + 2].k == TK_STR &&
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
      sql_put_str_lit(&T->out, t->v[i + 2].v);
      asl_buf_puts(&T->out, ", ");
      sql_put_str_lit(&T->out, t->v[i + 3].v);
      asl_buf_puts(&T->out, sql_op_is(k, "-") ? ", -1)" : ", 1)");
      i += 4;
      continue;
    }
    mark(T, i);
    if (sql_op_is(k, "."))
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
int sql_sqlite_fail(tr *T, int rc, asl_error *err) {
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
                         k->col, sql_tok_text(k));
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
int sql_refresh_refs(tr *T, asl_error *err) {
  sql_need need = {T->t, T->qa, T->qb, T->nrefs == 1};
  for (size_t i = 0; i < T->nrefs; i++)
    if (T->refs[i].kind && !strcmp(T->refs[i].kind, "EXTERNAL"))
      if (sql_ext_refresh(T->x, T->refs[i].db, T->refs[i].name, T->refs[i].spec,
                          T->have_q ? &need : NULL, err) < 0)
        return -1;
  return 0;
}

/* ---- result column types and names ---- */

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

int sql_is_name_tok(const sql_tok *k) {
  return k->k == TK_ID || k->k == TK_QID;
}

static void analyze_item(tr *T, size_t s, size_t e, item *it) {
  sql_toks *t = T->t;
  static const char *const no_alias[] = {
      "end", "null", "true", "false", "current_date", "current_timestamp",
      NULL};
  int has_iv = 0;
  for (size_t j = s; j < e; j++)
    if (sql_tk_is(&t->v[j], "interval")) has_iv = 1;
  if (e - s >= 2 && sql_is_name_tok(&t->v[e - 1]) &&
      !(e - s >= 3 && sql_tk_is(&t->v[e - 3], "interval")) &&
      !(t->v[e - 1].k == TK_ID && in_list(t->v[e - 1].v, no_alias))) {
    const sql_tok *pv = &t->v[e - 2];
    if (sql_tk_is(pv, "as") || sql_op_is(pv, ")") || pv->k == TK_STR ||
        pv->k == TK_NUM ||
        (sql_is_name_tok(pv) &&
         !(pv->k == TK_ID && in_list(pv->v, FUNC_NOT)))) {
      it->name = asl_strdup(t->v[e - 1].v);
      e -= sql_tk_is(pv, "as") ? 2 : 1;
    }
  }
  if (e <= s) return;
  const sql_tok *h = &t->v[s];
  if (has_iv) {
    static const char *const cmp[] = {
        "=", "<", ">", "<=", ">=", "<>", "!=", NULL};
    int d = 0;
    for (size_t j = s; j < e; j++) {
      if (sql_op_is(&t->v[j], "("))
        d++;
      else if (sql_op_is(&t->v[j], ")"))
        d--;
      else if (!d && t->v[j].k == TK_OP && in_list(t->v[j].v, cmp)) {
        it->type = asl_strdup("boolean");
        return;
      }
    }
    it->point = 1;
    return;
  }
  if (sql_op_is(&t->v[e - 1], "*")) {
    it->star = 1;
    return;
  }
  /* a column: name or q.name or db.t.name */
  int plain = 1;
  for (size_t j = s; j < e; j++)
    if (!((j - s) % 2 == 0 ? sql_is_name_tok(&t->v[j])
                           : sql_op_is(&t->v[j], ".")))
      plain = 0;
  if (plain && (e - s) % 2 == 1) {
    const char *cn = t->v[e - 1].v;
    if (e - s == 1 && sql_tk_is(h, "current_date"))
      it->type = asl_strdup("date");
    else if (e - s == 1 && sql_tk_is(h, "current_timestamp"))
      it->type = asl_strdup("timestamp");
    else if (e - s == 1 && (sql_tk_is(h, "true") || sql_tk_is(h, "false")))
      it->type = asl_strdup("boolean");
    else if (e - s == 1 && sql_tk_is(h, "null"))
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
  if (e - s == 2 && (sql_tk_is(h, "date") || sql_tk_is(h, "timestamp")) &&
      t->v[s + 1].k == TK_STR) {
    it->type = asl_strdup(h->v);
    return;
  }
  if (h->k == TK_ID && s + 1 < e && sql_op_is(&t->v[s + 1], "(") &&
      sql_match_paren(t, s + 1, e) == e - 1) {
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
        if (sql_op_is(&t->v[j], "("))
          d++;
        else if (sql_op_is(&t->v[j], ")"))
          d--;
        else if (d == 1 && sql_tk_is(&t->v[j], "as"))
          as = j;
      }
      if (as) {
        size_t k = as + 1;
        char *ty = type_text(t, &k, e - 1);
        char b[64];
        it->type = asl_strdup(sql_result_type(ty, b));
        free(ty);
      }
    } else if (in_list(f, same) && s + 3 < e && sql_is_name_tok(&t->v[s + 2])) {
      /* f(col ...) or f(q.col ...): the column's type */
      size_t c = s + 2;
      while (c + 2 < e && sql_op_is(&t->v[c + 1], ".") &&
             sql_is_name_tok(&t->v[c + 2]))
        c += 2;
      if (sql_op_is(&t->v[c + 1], ")") || sql_op_is(&t->v[c + 1], ",")) {
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
  if (!sql_tk_is(h, "case")) {
    int d = 0;
    static const char *const bops[] = {
        "=", "<", ">", "<=", ">=", "<>", "!=", NULL};
    static const char *const bkw[] = {"and",     "or", "not",    "like", "in",
                                      "between", "is", "exists", NULL};
    for (size_t j = s; j < e; j++) {
      const sql_tok *k = &t->v[j];
      if (sql_op_is(k, "("))
        d++;
      else if (sql_op_is(k, ")"))
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
    if (sql_op_is(&t->v[i], "("))
      d++;
    else if (sql_op_is(&t->v[i], ")"))
      d--;
    else if (!d && sql_tk_is(&t->v[i], "select")) {
      s = i + 1;
      break;
    }
  }
  if (s >= b) {
    it->star = 1;
    it->values = a < b && sql_tk_is(&t->v[a], "values");
    return;
  }
  if (sql_tk_is(&t->v[s], "distinct") || sql_tk_is(&t->v[s], "all")) s++;
  static const char *const stop[] = {
      "from",      "where",  "group",  "having", "order", "limit", "union",
      "intersect", "except", "window", "offset", "fetch", NULL};
  size_t st = s;
  d = 0;
  for (size_t i = s;; i++) {
    int last = i >= b || (!d && t->v[i].k == TK_ID && in_list(t->v[i].v, stop));
    if (last || (!d && sql_op_is(&t->v[i], ","))) {
      it->v = asl_realloc(it->v, (it->n + 1) * sizeof *it->v);
      item *x = &it->v[it->n++];
      memset(x, 0, sizeof *x);
      analyze_item(T, st, i, x);
      if (x->star) it->star = 1;
      st = i + 1;
      if (last) break;
      continue;
    }
    if (sql_op_is(&t->v[i], "("))
      d++;
    else if (sql_op_is(&t->v[i], ")"))
      d--;
  }
}

/* Names and types of a prepared query's columns; *row1 says whether a
 * first row was stepped (its values decide what the static analysis left
 * open). */

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

/* ---- queries ---- */

void sql_qrun_free(qrun *q) {
  sqlite3_finalize(q->st);
  qmeta_free(&q->meta);
  items_free(&q->it);
  sql_tr_free(&q->T);
}

/* Translates and prepares tokens [a, b) as a query (after loading the
 * external tables it reads), steps its first row and works out its
 * columns. prefix/suffix wrap the translated text. */
int sql_query_prepare(P *p, size_t a, size_t b, qrun *q) {
  memset(q, 0, sizeof *q);
  q->T.x = p->x;
  q->T.t = p->t;
  q->T.err = p->err;
  sql_collect_ctes(&q->T, a, b);
  if (a >= b) return sql_syntax(p, &p->t->v[b], "'SELECT', 'VALUES', 'WITH'");
  if (sql_translate(&q->T, a, b) < 0) return -1;
  analyze_select(&q->T, a, b, &q->it);
  q->T.qa = a;
  q->T.qb = b;
  q->T.have_q = 1;
  if (sql_refresh_refs(&q->T, p->err) < 0) return -1;
  const char *sql = q->T.out.s ? q->T.out.s : "";
  if (getenv("ASL_SQL_DEBUG")) fprintf(stderr, "asl sql: %s\n", sql);
  int rc = sqlite3_prepare_v2(p->x->db, sql, -1, &q->st, NULL);
  if (rc != SQLITE_OK) return sql_sqlite_fail(&q->T, rc, p->err);
  if (!sqlite3_stmt_readonly(q->st))
    return asl_error_set(p->err, IRE,
                         "line %d:%d: mismatched input '%s'. Expecting: "
                         "'SELECT', 'VALUES', 'WITH'",
                         p->t->v[a].line, p->t->v[a].col,
                         sql_tok_text(&p->t->v[a]));
  rc = sqlite3_step(q->st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return sql_sqlite_fail(&q->T, rc, p->err);
  q->have_row = rc == SQLITE_ROW;
  query_meta(q->st, &q->it, q->have_row, &q->meta);
  return 0;
}

static int st_select(P *p, size_t a, const asl_sql_sink *sink,
                     asl_sql_info *info) {
  qrun q;
  sql_info_set(info, "DML", "SELECT", 1);
  int rc = sql_query_prepare(p, a, p->end, &q);
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
    if (r != SQLITE_DONE) rc = sql_sqlite_fail(&q.T, r, p->err);
    q.have_row = 0;
  }
  free(vals);
  sql_qrun_free(&q);
  return rc;
}

/* ---- statement dispatch ---- */
static int dispatch(P *p, const asl_sql_sink *sink, asl_sql_info *info) {
  sql_tok *f = sql_pk(p);
  if (f->k == TK_EOF)
    return sql_syntax(p, f,
                      "'ALTER', 'CREATE', 'DELETE', 'DESCRIBE', 'DROP', "
                      "'INSERT', 'MERGE', 'SELECT', 'SHOW', 'UPDATE', "
                      "'WITH'");
  if (sql_tk_is(f, "select") || sql_tk_is(f, "with") ||
      sql_tk_is(f, "values") || sql_op_is(f, "("))
    return st_select(p, p->i, sink, info);
  p->i++;
  if (sql_tk_is(f, "create")) {
    if (sql_accept(p, "or") && sql_expect(p, "replace", "'REPLACE'") < 0)
      return -1;
    if (sql_accept(p, "database") || sql_accept(p, "schema")) {
      sql_info_set(info, "DDL", "CREATE_DATABASE", 0);
      return sql_st_create_db(p, info);
    }
    if (sql_accept(p, "external")) {
      sql_info_set(info, "DDL", "CREATE_TABLE", 0);
      if (sql_expect(p, "table", "'TABLE'") < 0) return -1;
      return sql_st_create_external(p, info);
    }
    if (sql_accept(p, "table")) {
      int ctas = 0, d = 0;
      for (size_t j = p->i; j < p->end && !ctas; j++) {
        if (sql_op_is(&p->t->v[j], "("))
          d++;
        else if (sql_op_is(&p->t->v[j], ")"))
          d--;
        else if (!d && sql_tk_is(&p->t->v[j], "as"))
          ctas = 1;
      }
      sql_info_set(info, ctas ? "DML" : "DDL",
                   ctas ? "CREATE_TABLE_AS_SELECT" : "CREATE_TABLE", 0);
      return sql_st_create_table(p, info);
    }
    if (sql_tk_is(sql_pk(p), "view"))
      return sql_not_supported(p, f, "CREATE VIEW");
    return sql_syntax(p, sql_pk(p),
                      "'DATABASE', 'EXTERNAL', 'SCHEMA', 'TABLE'");
  }
  if (sql_tk_is(f, "drop")) {
    if (sql_accept(p, "database") || sql_accept(p, "schema")) {
      sql_info_set(info, "DDL", "DROP_DATABASE", 0);
      return sql_st_drop_db(p, info);
    }
    if (sql_accept(p, "table")) {
      sql_info_set(info, "DDL", "DROP_TABLE", 0);
      return sql_st_drop_table(p, info);
    }
    if (sql_tk_is(sql_pk(p), "view"))
      return sql_not_supported(p, f, "DROP VIEW");
    return sql_syntax(p, sql_pk(p), "'DATABASE', 'SCHEMA', 'TABLE'");
  }
  if (sql_tk_is(f, "show")) {
    if (sql_tk_is(sql_pk(p), "databases") || sql_tk_is(sql_pk(p), "schemas"))
      sql_info_set(info, "DDL", "SHOW_DATABASES", 0);
    else if (sql_tk_is(sql_pk(p), "tables"))
      sql_info_set(info, "DDL", "SHOW_TABLES", 0);
    else if (sql_tk_is(sql_pk(p), "columns"))
      sql_info_set(info, "DDL", "SHOW_COLUMNS", 0);
    else if (sql_tk_is(sql_pk(p), "partitions"))
      sql_info_set(info, "DDL", "SHOW_PARTITIONS", 0);
    else if (sql_tk_is(sql_pk(p), "create"))
      sql_info_set(info, "UTILITY", "SHOW_CREATE_TABLE", 0);
    return sql_st_show(p, sink, info);
  }
  if (sql_tk_is(f, "describe") || sql_tk_is(f, "desc")) {
    sql_info_set(info, "UTILITY", "DESCRIBE_TABLE", 0);
    return sql_st_describe(p, sink, info);
  }
  if (sql_tk_is(f, "insert")) {
    sql_info_set(info, "DML", "INSERT", 0);
    return sql_st_insert(p, info);
  }
  if (sql_tk_is(f, "merge")) {
    sql_info_set(info, "DML", "MERGE", 0);
    return sql_st_merge(p, info);
  }
  if (sql_tk_is(f, "update")) {
    sql_info_set(info, "DML", "UPDATE", 0);
    return sql_st_update_delete(p, 1, info);
  }
  if (sql_tk_is(f, "delete")) {
    sql_info_set(info, "DML", "DELETE", 0);
    return sql_st_update_delete(p, 0, info);
  }
  if (sql_tk_is(f, "msck")) {
    if (sql_expect(p, "repair", "'REPAIR'") < 0 ||
        sql_expect(p, "table", "'TABLE'") < 0)
      return -1;
    return sql_st_partitions_noop(p, f, info);
  }
  if (sql_tk_is(f, "alter")) {
    if (!sql_accept(p, "table"))
      return sql_not_supported(p, f, "this ALTER statement");
    return sql_st_partitions_noop(p, f, info);
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
    return sql_not_supported(p, f, up);
  }
  return sql_syntax(
      p, f,
      "'ALTER', 'CREATE', 'DELETE', 'DESCRIBE', 'DROP', 'INSERT', "
      "'MERGE', 'SELECT', 'SHOW', 'UPDATE', 'WITH'");
}

int asl_sql_run(const char *home, const char *database, const char *sql,
                double deadline, const asl_sql_sink *sink, asl_sql_info *info,
                asl_error *err) {
  asl_sql_info dummy;
  if (!info) info = &dummy;
  memset(info, 0, sizeof *info);
  sql_info_set(info, "DML", "SELECT", 1);
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
  while (p.end > 0 && sql_op_is(&toks.v[p.end - 1], ";"))
    p.end--;
  for (size_t i = 0; i < p.end; i++)
    if (sql_op_is(&toks.v[i], ";")) {
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
