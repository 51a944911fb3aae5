/* jsonata_suite.c: runs the JSONata 2.0.6 test suite (tests/jsonata/, a
 * copy of jsonata-js's test/test-suite, MIT, see tests/jsonata/LICENSE)
 * against engine/jsonata, as jsonata-js's runner does: a case expecting a
 * result must evaluate to a deep-equal value, one expecting undefined to
 * nothing, one expecting an error to an error with that code (and, for the
 * cases with an error object, its token and message). Cases in
 * aws_excluded.txt ($eval) do not apply to Step Functions and are skipped.
 *
 * usage: jsonata_suite [DIR] [--verbose] [--only ID-PREFIX]
 * Prints "jsonata: N passed, N failed"; known failures (KNOWN[] below, each
 * with its reason, also in the README) are counted apart; a known failure
 * that passes is reported as a failure so the list cannot go stale. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../engine/jsonata/jsonata.h"

static const struct {
  const char *id, *reason;
} KNOWN[] = {
    {"", ""},
};

static const char *known_reason(const char *id) {
  for (size_t i = 0; i < sizeof KNOWN / sizeof KNOWN[0]; i++)
    if (KNOWN[i].id[0] && !strcmp(KNOWN[i].id, id)) return KNOWN[i].reason;
  return NULL;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  if (!b) abort();
  size_t r = fread(b, 1, (size_t)n, f);
  b[r] = 0;
  fclose(f);
  return b;
}

/* chai deep.equal: arrays in order, objects by key set, numbers === */
static int deq(const cJSON *a, const cJSON *b) {
  if (!a || !b) return a == b;
  if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
    return a->valuedouble == b->valuedouble;
  if ((a->type & 0xFF) != (b->type & 0xFF)) return 0;
  if (cJSON_IsString(a)) return !strcmp(a->valuestring, b->valuestring);
  if (cJSON_IsArray(a)) {
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 0;
    for (const cJSON *x = a->child, *y = b->child; x; x = x->next, y = y->next)
      if (!deq(x, y)) return 0;
    return 1;
  }
  if (cJSON_IsObject(a)) {
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b)) return 0;
    for (const cJSON *x = a->child; x; x = x->next) {
      const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
      if (!y || !deq(x, y)) return 0;
    }
    return 1;
  }
  return 1; /* null, true, false: same type */
}

static int in_list(const char *list, const char *id) {
  if (!list) return 0;
  size_t n = strlen(id);
  for (const char *p = list; (p = strstr(p, id)); p += n)
    if ((p == list || p[-1] == '\n') &&
        (p[n] == '\t' || p[n] == '\n' || p[n] == 0))
      return 1;
  return 0;
}

int main(int argc, char **argv) {
  const char *dir = "tests/jsonata", *only = NULL;
  int verbose = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
      verbose = 1;
    else if (!strcmp(argv[i], "--only") && i + 1 < argc)
      only = argv[++i];
    else
      dir = argv[i];
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/cases.jsonl", dir);
  char *all = slurp(path);
  if (!all) {
    fprintf(stderr, "jsonata_suite: cannot read %s\n", path);
    return 2;
  }
  snprintf(path, sizeof path, "%s/aws_excluded.txt", dir);
  char *excluded = slurp(path);
  int pass = 0, fail = 0, known = 0, skipped = 0, total = 0;
  char *line = all, *line_next = NULL;
  while (line && *line) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    char *copy = malloc(strlen(line) * 2 + 1);
    if (!copy) abort();
    strcpy(copy, line);
    line_next = nl ? nl + 1 : NULL;
    line = copy;
    /* cJSON refuses JSON's lone UTF-16 surrogate escapes (2 cases pass one
     * in a string literal): hand them to the JSONata lexer as its own \\u
     * escape instead, which makes the same string. */
    for (char *q = line; (q = strstr(q, "\\ud")); q += 2) {
      int hi = q[3] == '8' || q[3] == '9' || q[3] == 'a' || q[3] == 'b';
      if (q > line && q[-1] == '\\') continue;
      if (hi && strncmp(q + 6, "\\ud", 4) != 0) {
        memmove(q + 1, q, strlen(q) + 1);
        q++;
      }
    }
    cJSON *c = cJSON_Parse(line);
    free(copy);
    line = line_next;
    if (!c) {
      fprintf(stderr, "jsonata_suite: unparsable case line\n");
      fail++;
      continue;
    }
    const char *id = cJSON_GetObjectItem(c, "id")->valuestring;
    if ((only && strncmp(id, only, strlen(only))) || in_list(excluded, id)) {
      if (!only) skipped++;
      cJSON_Delete(c);
      continue;
    }
    total++;
    const char *expr = cJSON_GetObjectItem(c, "expr")->valuestring;
    const char *inmode = cJSON_GetObjectItem(c, "input")->valuestring;
    cJSON *input = NULL, *owned = NULL;
    if (!strcmp(inmode, "data"))
      input = cJSON_GetObjectItem(c, "data");
    else if (!strcmp(inmode, "dataset")) {
      snprintf(path, sizeof path, "%s/datasets/%s.json", dir,
               cJSON_GetObjectItem(c, "dataset")->valuestring);
      char *t = slurp(path);
      owned = input = t ? cJSON_Parse(t) : NULL;
      free(t);
    }
    cJSON *bindings = cJSON_GetObjectItem(c, "bindings");
    cJSON *expect = cJSON_GetObjectItem(c, "expect");
    jsonata_limits lim = {0, 0, 0};
    cJSON *tl = cJSON_GetObjectItem(c, "timelimit"),
          *dp = cJSON_GetObjectItem(c, "depth");
    if (cJSON_IsNumber(tl) && cJSON_IsNumber(dp)) {
      lim.time_ms = (long)tl->valuedouble;
      lim.depth = (int)dp->valuedouble;
    }
    jsonata_error err;
    cJSON *result = NULL;
    jsonata *j = jsonata_compile(expr, &err);
    if (j) {
      result = jsonata_evaluate(j, input, bindings, &lim, &err);
      jsonata_free(j);
    }
    char why[600] = "";
    cJSON *ex;
    if ((ex = cJSON_GetObjectItem(expect, "error"))) {
      if (strcmp(err.code, ex->valuestring))
        snprintf(why, sizeof why, "expected error %s, got %s%s",
                 ex->valuestring, err.code[0] ? err.code : "a result",
                 err.code[0] ? "" : "");
      else {
        cJSON *props = cJSON_GetObjectItem(expect, "props");
        cJSON *m = cJSON_GetObjectItem(props, "message"),
              *t = cJSON_GetObjectItem(props, "token");
        if (m && strcmp(m->valuestring, err.message))
          snprintf(why, sizeof why, "message \"%s\", expected \"%s\"",
                   err.message, m->valuestring);
        if (t && strcmp(t->valuestring, err.token))
          snprintf(why, sizeof why, "token \"%s\", expected \"%s\"", err.token,
                   t->valuestring);
        cJSON *tk = cJSON_GetObjectItem(expect, "token");
        if (tk && cJSON_IsString(tk) && strcmp(tk->valuestring, err.token))
          snprintf(why, sizeof why, "token \"%s\", expected \"%s\"", err.token,
                   tk->valuestring);
      }
    } else if (cJSON_GetObjectItem(expect, "undefined")) {
      if (err.code[0])
        snprintf(why, sizeof why, "error %s: %s", err.code, err.message);
      else if (result) {
        char *s = cJSON_PrintUnformatted(result);
        snprintf(why, sizeof why, "expected undefined, got %.500s", s);
        free(s);
      }
    } else {
      cJSON *want = cJSON_GetObjectItem(expect, "result");
      if (err.code[0])
        snprintf(why, sizeof why, "error %s: %s", err.code, err.message);
      else if (!deq(result, want)) {
        char *s = result ? cJSON_PrintUnformatted(result) : NULL;
        char *w = cJSON_PrintUnformatted(want);
        snprintf(why, sizeof why, "got %.250s, expected %.250s",
                 s ? s : "undefined", w);
        free(s);
        free(w);
      }
    }
    const char *kr = known_reason(id);
    if (!why[0] && !kr)
      pass++;
    else if (why[0] && kr) {
      known++;
      if (verbose) printf("KNOWN %s: %s\n", id, kr);
    } else {
      fail++;
      if (!why[0])
        snprintf(why, sizeof why, "listed in KNOWN[] but passes: remove it");
      if (verbose) printf("FAIL %s: %s\n    %s\n", id, why, expr);
    }
    cJSON_Delete(result);
    cJSON_Delete(owned);
    cJSON_Delete(c);
  }
  free(all);
  free(excluded);
  if (known)
    printf("  known failures: %d (KNOWN[] in tests/jsonata_suite.c, and the "
           "README)\n",
           known);
  printf("  %d of %d AWS-relevant cases pass (%.2f%%), %d skipped ($eval)\n",
         pass, total, total ? 100.0 * pass / total : 0.0, skipped);
  printf("jsonata: %d passed, %d failed\n", pass, fail);
  return fail ? 1 : 0;
}
