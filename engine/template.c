/* template.c: payload templates: a tree that mirrors the JSON template, with
 * ".$" members compiled into paths or intrinsic calls. Subtrees without any
 * ".$" member are kept as the borrowed literal and copied at run time. */
#include "template.h"

#include <stdlib.h>
#include <string.h>

#include "intrinsic.h"
#include "json.h"
#include "path.h"

enum { T_LITERAL, T_OBJECT, T_ARRAY, T_PATH, T_CALL };

typedef struct tnode {
  int kind;
  char *key;           /* member name in the output (without ".$") */
  const char *field;   /* member name as written ("x.$"), for messages */
  const cJSON *lit;    /* T_LITERAL: the value (borrowed) */
  asl_path *path;      /* T_PATH */
  asl_intrinsic *call; /* T_CALL */
  struct tnode *kids;  /* T_OBJECT, T_ARRAY */
  size_t n;
  int dup_keys;        /* T_OBJECT: two members share an output name */
} tnode;

struct asl_template {
  const cJSON *src;
  tnode root;
};

static int has_dynamic(const cJSON *v) {
  if (cJSON_IsObject(v)) {
    for (const cJSON *c = v->child; c; c = c->next) {
      size_t k = strlen(c->string);
      if (k >= 2 && strcmp(c->string + k - 2, ".$") == 0) return 1;
      if (has_dynamic(c)) return 1;
    }
  } else if (cJSON_IsArray(v)) {
    for (const cJSON *c = v->child; c; c = c->next)
      if (has_dynamic(c)) return 1;
  }
  return 0;
}

static void node_free(tnode *t) {
  for (size_t i = 0; i < t->n; i++) node_free(&t->kids[i]);
  free(t->kids);
  free(t->key);
  asl_path_free(t->path);
  asl_intrinsic_free(t->call);
}

/* Compiles the string value of a ".$" member. */
static int compile_dynamic(tnode *t, const cJSON *v, const char *loc,
                           asl_diags *d) {
  char *msg = NULL;
  if (cJSON_IsString(v)) {
    const char *s = v->valuestring;
    if (asl_intrinsic_is_call(s)) {
      t->call = asl_intrinsic_compile(s, &msg);
      t->kind = T_CALL;
      if (t->call) return 0;
    } else if (s[0] == '$') {
      t->path = asl_path_compile(s, 0, &msg);
      t->kind = T_PATH;
      if (t->path) return 0;
    }
  }
  free(msg);
  asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", loc,
               "The value for the field '%s' must be a valid JSONPath or a "
               "valid intrinsic function call",
               t->field);
  return -1;
}

static int node_compile(tnode *t, const cJSON *v, const char *loc,
                        asl_diags *d) {
  if (!has_dynamic(v)) {
    t->kind = T_LITERAL;
    t->lit = v;
    return 0;
  }
  int rc = 0;
  t->kind = cJSON_IsObject(v) ? T_OBJECT : T_ARRAY;
  t->n = (size_t)cJSON_GetArraySize(v);
  t->kids = asl_calloc(t->n ? t->n : 1, sizeof *t->kids);
  size_t i = 0;
  for (const cJSON *c = v->child; c; c = c->next, i++) {
    tnode *k = &t->kids[i];
    if (t->kind == T_OBJECT) {
      size_t kl = strlen(c->string);
      k->field = c->string;
      if (kl >= 2 && strcmp(c->string + kl - 2, ".$") == 0) {
        k->key = asl_strndup(c->string, kl - 2);
        if (compile_dynamic(k, c, loc, d) < 0) rc = -1;
        continue;
      }
      k->key = asl_strdup(c->string);
    }
    if (node_compile(k, c, loc, d) < 0) rc = -1;
  }
  for (size_t a = 0; t->kind == T_OBJECT && a < t->n; a++)
    for (size_t b = a + 1; b < t->n; b++)
      if (strcmp(t->kids[a].key, t->kids[b].key) == 0) t->dup_keys = 1;
  return rc;
}

asl_template *asl_template_compile(const cJSON *v, const char *loc,
                                   asl_diags *d) {
  asl_template *t = asl_calloc(1, sizeof *t);
  t->src = v;
  if (node_compile(&t->root, v, loc, d) < 0) {
    asl_template_free(t);
    return NULL;
  }
  return t;
}

void asl_template_free(asl_template *t) {
  if (!t) return;
  node_free(&t->root);
  free(t);
}

const cJSON *asl_template_source(const asl_template *t) { return t->src; }

static int node_eval(const tnode *t, const asl_scope *s, cJSON **out,
                     asl_error *err) {
  *out = NULL;
  switch (t->kind) {
  case T_LITERAL:
    *out = asl_json_dup(t->lit);
    return 0;
  case T_CALL:
    return asl_intrinsic_eval(t->call, s, out, err);
  case T_PATH: {
    if (asl_path_eval(t->path, s, out, NULL) == 0) return 0;
    char *in = asl_json_print(asl_path_root(t->path) == 1
                                  ? asl_scope_context(s)
                                  : s->input);
    asl_error_set(err, "States.Runtime",
                  "The JSONPath '%s' specified for the field '%s' could not "
                  "be found in the input '%s'",
                  asl_path_text(t->path), t->field, in);
    free(in);
    return -1;
  }
  default: {
    cJSON *c = t->kind == T_OBJECT ? cJSON_CreateObject() : cJSON_CreateArray();
    for (size_t i = 0; i < t->n; i++) {
      cJSON *v;
      if (node_eval(&t->kids[i], s, &v, err) < 0) {
        cJSON_Delete(c);
        return -1;
      }
      if (t->kind == T_OBJECT) {
        /* A later duplicate key replaces an earlier one, as in Java maps. */
        if (t->dup_keys)
          cJSON_DeleteItemFromObjectCaseSensitive(c, t->kids[i].key);
        cJSON_AddItemToObject(c, t->kids[i].key, v);
      } else {
        cJSON_AddItemToArray(c, v);
      }
    }
    *out = c;
    return 0;
  }
  }
}

int asl_template_eval(const asl_template *t, const asl_scope *s, cJSON **out,
                      asl_error *err) {
  return node_eval(&t->root, s, out, err);
}
