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
  int movable;         /* T_PATH: may be moved out of a doomed input */
} tnode;

struct asl_template {
  const cJSON *src;
  tnode root;
  int can_move; /* some node is movable */
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

/* ---- moving members out of a doomed input ----
 *
 * A Pass state whose result replaces its input copies every "x.$": "$.a"
 * of its Parameters only to delete the input a moment later. Such a member
 * can take the value out of the input instead. The moves happen after the
 * whole template is evaluated, so every other member and intrinsic argument
 * has read the input as it was. What must not happen is two moves of
 * overlapping values (one path a prefix of the other), nor a move whose
 * placeholder a later member of the same output name deletes: members that
 * would are copied as usual. */

typedef struct refs {
  const asl_path **p;
  size_t n, cap;
} refs;

static int is_candidate(const tnode *t) {
  return t->kind == T_PATH && asl_path_root(t->path) == 0 &&
         asl_path_is_simple(t->path) && strcmp(asl_path_text(t->path), "$");
}

static int collect_refs(const tnode *t, refs *r) {
  if (t->dup_keys) return -1;
  if (is_candidate(t)) {
    if (r->n == r->cap) {
      r->cap = r->cap ? 2 * r->cap : 8;
      r->p = asl_realloc(r->p, r->cap * sizeof *r->p);
    }
    r->p[r->n++] = t->path;
  }
  for (size_t i = 0; i < t->n; i++)
    if (collect_refs(&t->kids[i], r) < 0) return -1;
  return 0;
}

static void mark_nodes(tnode *t, const refs *r, int *any) {
  if (is_candidate(t)) {
    int alone = 1;
    for (size_t i = 0; i < r->n && alone; i++)
      if (r->p[i] != t->path && asl_path_overlap(r->p[i], t->path))
        alone = 0;
    if (alone) {
      t->movable = 1;
      *any = 1;
    }
  }
  for (size_t i = 0; i < t->n; i++) mark_nodes(&t->kids[i], r, any);
}

static void mark_movable(asl_template *t) {
  refs r = {0};
  if (collect_refs(&t->root, &r) == 0) mark_nodes(&t->root, &r, &t->can_move);
  free(r.p);
}

int asl_template_can_move(const asl_template *t) { return t->can_move; }

asl_template *asl_template_compile(const cJSON *v, const char *loc,
                                   asl_diags *d) {
  asl_template *t = asl_calloc(1, sizeof *t);
  t->src = v;
  if (node_compile(&t->root, v, loc, d) < 0) {
    asl_template_free(t);
    return NULL;
  }
  mark_movable(t);
  return t;
}

void asl_template_free(asl_template *t) {
  if (!t) return;
  node_free(&t->root);
  free(t);
}

const cJSON *asl_template_source(const asl_template *t) { return t->src; }

/* The members to move (see above), as placeholders in the output. */
typedef struct moves {
  struct move {
    const tnode *t;
    cJSON *holder;    /* the null standing in for the value */
    cJSON *container; /* the holder's parent in the output */
  } *m;
  size_t n, cap;
} moves;

static int node_eval(const tnode *t, const asl_scope *s, cJSON **out,
                     asl_error *err, moves *mv);

static int path_eval(const tnode *t, const asl_scope *s, cJSON **out,
                     asl_error *err) {
  const cJSON *found = asl_path_lookup(t->path, s);
  if (found) {
    *out = asl_json_dup_value(found);
    return 0;
  }
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

static int container_eval(const tnode *t, const asl_scope *s, cJSON **out,
                          asl_error *err, moves *mv) {
  cJSON *c = t->kind == T_OBJECT ? cJSON_CreateObject() : cJSON_CreateArray();
  for (size_t i = 0; i < t->n; i++) {
    const tnode *k = &t->kids[i];
    cJSON *v;
    if (mv && k->movable && asl_path_lookup(k->path, s)) {
      /* found now, moved at the end (a missing one fails in order) */
      v = cJSON_CreateNull();
      if (mv->n == mv->cap) {
        mv->cap = mv->cap ? 2 * mv->cap : 8;
        mv->m = asl_realloc(mv->m, mv->cap * sizeof *mv->m);
      }
      mv->m[mv->n++] = (struct move){k, v, c};
    } else if (node_eval(k, s, &v, err, mv) < 0) {
      cJSON_Delete(c);
      return -1;
    }
    if (t->kind == T_OBJECT) {
      /* A later duplicate key replaces an earlier one, as in Java maps. */
      if (t->dup_keys)
        cJSON_DeleteItemFromObjectCaseSensitive(c, k->key);
      cJSON_AddItemToObject(c, k->key, v);
    } else {
      cJSON_AddItemToArray(c, v);
    }
  }
  *out = c;
  return 0;
}

static int node_eval(const tnode *t, const asl_scope *s, cJSON **out,
                     asl_error *err, moves *mv) {
  *out = NULL;
  switch (t->kind) {
  case T_LITERAL:
    *out = asl_json_dup_value(t->lit);
    return 0;
  case T_CALL:
    return asl_intrinsic_eval(t->call, s, out, err);
  case T_PATH:
    return path_eval(t, s, out, err);
  default:
    return container_eval(t, s, out, err, mv);
  }
}

/* Puts value in place of the holder of move m, under the holder's name. */
static void put_moved(struct move *m, cJSON *value) {
  if (value->string && !(value->type & cJSON_StringIsConst))
    cJSON_free(value->string);
  value->string = m->holder->string; /* NULL in an array */
  value->type &= ~cJSON_StringIsConst;
  value->type |= m->holder->type & cJSON_StringIsConst;
  m->holder->string = NULL;
  m->holder->type &= ~cJSON_StringIsConst;
  cJSON_ReplaceItemViaPointer(m->container, m->holder, value);
}

int asl_template_eval_moving(const asl_template *t, const asl_scope *s,
                             cJSON *doc, cJSON **out, asl_error *err) {
  if (!t->can_move || s->input != doc)
    return asl_template_eval(t, s, out, err);
  moves mv = {0};
  int rc = node_eval(&t->root, s, out, err, &mv);
  if (rc == 0) {
    /* Every value is found before any is moved: a move out of an array
     * shifts its indices, and a failure must leave doc as it was. */
    cJSON **found = asl_calloc(mv.n + 1, sizeof *found);
    cJSON **from = asl_calloc(mv.n + 1, sizeof *from);
    size_t k = 0;
    for (; k < mv.n; k++)
      if (!(found[k] = asl_path_find_mut(mv.m[k].t->path, doc, &from[k])))
        break;
    if (k == mv.n) {
      for (size_t i = 0; i < mv.n; i++)
        put_moved(&mv.m[i], cJSON_DetachItemViaPointer(from[i], found[i]));
    } else { /* something is missing: copy as usual, for AWS's error */
      for (size_t i = 0; i < mv.n && rc == 0; i++) {
        cJSON *v;
        if ((rc = path_eval(mv.m[i].t, s, &v, err)) == 0)
          put_moved(&mv.m[i], v);
      }
    }
    free(found);
    free(from);
  }
  if (rc < 0) {
    cJSON_Delete(*out);
    *out = NULL;
  }
  free(mv.m);
  return rc;
}

int asl_template_eval(const asl_template *t, const asl_scope *s, cJSON **out,
                      asl_error *err) {
  return node_eval(&t->root, s, out, err, NULL);
}
