/* sql_lex.c: Athena's (Trino's) SQL tokens: identifiers (bare, "double
 * quoted" or `backticked`, all lowercased as Athena does), 'strings' with ''
 * inside, numbers, operators; -- and block comments are skipped. Positions
 * are 1-based line and column, as Trino's messages give them. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sql_int.h"

static void push(sql_toks *t, size_t *cap, sql_tok tk) {
  if (t->n == *cap) {
    *cap = *cap ? *cap * 2 : 32;
    t->v = asl_realloc(t->v, *cap * sizeof *t->v);
  }
  t->v[t->n++] = tk;
}

static char *lower_dup(const char *s, size_t n) {
  char *r = asl_strndup(s, n);
  for (char *p = r; *p; p++)
    *p = (char)tolower((unsigned char)*p);
  return r;
}

void sql_toks_free(sql_toks *t) {
  for (size_t i = 0; i < t->n; i++)
    free(t->v[i].v);
  free(t->v);
  t->v = NULL;
  t->n = 0;
}

int sql_lex(const char *sql, sql_toks *out, asl_error *err) {
  size_t cap = 0;
  int line = 1, col = 1;
  const char *p = sql;
  out->v = NULL;
  out->n = 0;
#define ADV(k)                                                                 \
  do {                                                                         \
    for (size_t a_ = 0; a_ < (size_t)(k); a_++) {                              \
      if (p[a_] == '\n') {                                                     \
        line++;                                                                \
        col = 1;                                                               \
      } else if (((unsigned char)p[a_] & 0xC0) != 0x80) {                      \
        col++;                                                                 \
      }                                                                        \
    }                                                                          \
    p += (k);                                                                  \
  } while (0)
  for (;;) {
    while (*p && isspace((unsigned char)*p))
      ADV(1);
    if (!*p) break;
    if (p[0] == '-' && p[1] == '-') {
      size_t k = 0;
      while (p[k] && p[k] != '\n')
        k++;
      ADV(k);
      continue;
    }
    if (p[0] == '/' && p[1] == '*') {
      const char *e = strstr(p + 2, "*/");
      if (!e) {
        asl_error_set(err, "InvalidRequestException",
                      "line %d:%d: mismatched input '/*'. Expecting: an "
                      "end of the comment",
                      line, col);
        sql_toks_free(out);
        return -1;
      }
      ADV((size_t)(e + 2 - p));
      continue;
    }
    sql_tok tk = {0};
    tk.s = p;
    tk.line = line;
    tk.col = col;
    unsigned char c = (unsigned char)*p;
    size_t k = 0;
    if (isalpha(c) || c == '_' || c >= 0x80) {
      while (p[k] && (isalnum((unsigned char)p[k]) || p[k] == '_' ||
                      (unsigned char)p[k] >= 0x80))
        k++;
      tk.k = TK_ID;
      tk.v = lower_dup(p, k);
    } else if (isdigit(c) || (c == '.' && isdigit((unsigned char)p[1]))) {
      while (isdigit((unsigned char)p[k]))
        k++;
      if (p[k] == '.') {
        k++;
        while (isdigit((unsigned char)p[k]))
          k++;
      }
      if ((p[k] == 'e' || p[k] == 'E') &&
          (isdigit((unsigned char)p[k + 1]) ||
           ((p[k + 1] == '+' || p[k + 1] == '-') &&
            isdigit((unsigned char)p[k + 2])))) {
        k += 2;
        while (isdigit((unsigned char)p[k]))
          k++;
      }
      if (isalpha((unsigned char)p[k]) || p[k] == '_') {
        asl_error_set(err, "InvalidRequestException",
                      "line %d:%d: identifiers must not start with a digit; "
                      "surround the identifier with double quotes",
                      line, col);
        sql_toks_free(out);
        return -1;
      }
      tk.k = TK_NUM;
      tk.v = asl_strndup(p, k);
    } else if (c == '\'' || c == '"' || c == '`') {
      asl_buf b = {0};
      k = 1;
      for (;;) {
        if (!p[k]) {
          asl_buf_free(&b);
          asl_error_set(err, "InvalidRequestException",
                        "line %d:%d: mismatched input '%c'. Expecting: a "
                        "closing %c",
                        line, col, c, c);
          sql_toks_free(out);
          return -1;
        }
        if ((unsigned char)p[k] == c) {
          if ((unsigned char)p[k + 1] == c) {
            asl_buf_putc(&b, (char)c);
            k += 2;
            continue;
          }
          k++;
          break;
        }
        asl_buf_putc(&b, p[k]);
        k++;
      }
      char *v = asl_buf_take(&b);
      if (c == '\'') {
        tk.k = TK_STR;
        tk.v = v;
      } else {
        if (!*v) {
          free(v);
          asl_error_set(err, "InvalidRequestException",
                        "line %d:%d: Zero-length delimited identifier not "
                        "allowed",
                        line, col);
          sql_toks_free(out);
          return -1;
        }
        tk.k = TK_QID;
        tk.v = lower_dup(v, strlen(v));
        free(v);
      }
    } else {
      static const char *const two[] = {"||", "<=", ">=", "<>",
                                        "!=", "=>", "->"};
      for (size_t i = 0; i < sizeof two / sizeof two[0]; i++)
        if (p[0] == two[i][0] && p[1] == two[i][1]) k = 2;
      if (!k) {
        if (!strchr("(),.;+-*/%=<>[]?:", c)) {
          asl_error_set(err, "InvalidRequestException",
                        "line %d:%d: token recognition error at: '%c'", line,
                        col, c);
          sql_toks_free(out);
          return -1;
        }
        k = 1;
      }
      tk.k = TK_OP;
      tk.v = asl_strndup(p, k);
    }
    tk.n = k;
    push(out, &cap, tk);
    ADV(k);
  }
  sql_tok eof = {0};
  eof.k = TK_EOF;
  eof.s = p;
  eof.line = line;
  eof.col = col;
  eof.v = asl_strdup("<EOF>");
  push(out, &cap, eof);
  return 0;
#undef ADV
}
