/* jsonata_cmd.c: `asl jsonata` (see jsonata_cmd.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../engine/jsonata/jsonata.h"
#include "jsonata_cmd.h"

static const char usage[] =
    "usage: asl jsonata EXPR [--input FILE|-] [--bindings JSON]\n"
    "  evaluates the JSONata expression EXPR (as a JSONata state would) "
    "against\n"
    "  the JSON in FILE (- for stdin; none: no input at all) with the "
    "variables\n"
    "  of the JSON object given to --bindings ({\"k\": v} is $k); prints the "
    "result\n";

static char *read_all(FILE *f) {
  size_t cap = 65536, n = 0;
  char *b = malloc(cap);
  if (!b) return NULL;
  size_t r;
  while ((r = fread(b + n, 1, cap - n - 1, f)) > 0) {
    n += r;
    if (n + 1 == cap) {
      char *nb = realloc(b, cap *= 2);
      if (!nb) {
        free(b);
        return NULL;
      }
      b = nb;
    }
  }
  b[n] = 0;
  return b;
}

static void put_str(FILE *o, const char *s) {
  fputc('"', o);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
    case '"':
      fputs("\\\"", o);
      break;
    case '\\':
      fputs("\\\\", o);
      break;
    case '\n':
      fputs("\\n", o);
      break;
    case '\r':
      fputs("\\r", o);
      break;
    case '\t':
      fputs("\\t", o);
      break;
    case '\b':
      fputs("\\b", o);
      break;
    case '\f':
      fputs("\\f", o);
      break;
    default:
      if (*p < 0x20)
        fprintf(o, "\\u%04x", *p);
      else
        fputc(*p, o);
    }
  }
  fputc('"', o);
}

/* JSON.stringify's output: compact, numbers as JavaScript prints them. */
static void put_json(FILE *o, const cJSON *v) {
  char nb[40];
  if (cJSON_IsNumber(v)) {
    jsonata_number_string(v->valuedouble, nb);
    fputs(nb, o);
  } else if (cJSON_IsString(v))
    put_str(o, v->valuestring);
  else if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
    int obj = cJSON_IsObject(v);
    fputc(obj ? '{' : '[', o);
    for (const cJSON *c = v->child; c; c = c->next) {
      if (c != v->child) fputc(',', o);
      if (obj) {
        put_str(o, c->string);
        fputc(':', o);
      }
      put_json(o, c);
    }
    fputc(obj ? '}' : ']', o);
  } else
    fputs(cJSON_IsTrue(v) ? "true" : cJSON_IsFalse(v) ? "false" : "null", o);
}

int asl_cmd_jsonata(int argc, char **argv) {
  const char *expr = NULL, *input = NULL, *bindings = NULL;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--input") && i + 1 < argc)
      input = argv[++i];
    else if (!strcmp(argv[i], "--bindings") && i + 1 < argc)
      bindings = argv[++i];
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      fputs(usage, stdout);
      return 0;
    } else if (!expr)
      expr = argv[i];
    else {
      fprintf(stderr, "asl jsonata: unexpected argument '%s'\n%s", argv[i],
              usage);
      return 64;
    }
  }
  if (!expr) {
    fputs(usage, stderr);
    return 64;
  }
  cJSON *in = NULL, *bind = NULL;
  if (input) {
    FILE *f = strcmp(input, "-") ? fopen(input, "rb") : stdin;
    if (!f) {
      fprintf(stderr, "asl jsonata: cannot open %s\n", input);
      return 66;
    }
    char *text = read_all(f);
    if (f != stdin) fclose(f);
    in = text ? cJSON_Parse(text) : NULL;
    free(text);
    if (!in) {
      fprintf(stderr, "asl jsonata: %s is not JSON\n", input);
      return 65;
    }
  }
  if (bindings) {
    bind = cJSON_Parse(bindings);
    if (!cJSON_IsObject(bind)) {
      fprintf(stderr, "asl jsonata: --bindings must be a JSON object\n");
      cJSON_Delete(bind);
      cJSON_Delete(in);
      return 65;
    }
  }
  jsonata_error err;
  int rc = 0;
  jsonata *j = jsonata_compile(expr, &err);
  if (j) {
    jsonata_limits lim = {0, 60000, 0};
    cJSON *r = jsonata_evaluate(j, in, bind, &lim, &err);
    if (r) {
      put_json(stdout, r);
      fputc('\n', stdout);
      cJSON_Delete(r);
    }
    jsonata_free(j);
  }
  if (err.code[0]) {
    fprintf(stderr, "%s: %s\n", err.code, err.message);
    rc = 1;
  }
  cJSON_Delete(in);
  cJSON_Delete(bind);
  return rc;
}
