/* eval.c: the JSONata evaluator (jsonata-js 2.0.6's evaluate(), path and
 * tuple-stream steps, predicates, order-by, group-by, functions, partial
 * application, tail calls), signatures, and the public API. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jn.h"

/* memcpy that accepts (NULL, 0) */
static inline void *mcpy(void *d, const void *s, size_t n) {
  return n ? memcpy(d, s, n) : d;
}

struct jsonata {
  jn_arena a;
  node *ast;
  int simple; /* ast is $v.a.b... : see simple_path */
};

static jv *ev(E *e, node *x, jv *in, env *en);

/* ---------------- environment */
env *jn_env(E *e, env *parent) {
  env *f = jn_alloc(e->a, sizeof *f);
  f->parent = parent;
  return f;
}
void jn_bind(E *e, env *en, const char *name, jv *v) {
  for (int i = 0; i < en->n; i++)
    if (!strcmp(en->names[i], name)) {
      en->vals[i] = v;
      if (i < en->nsrc) en->src[i] = NULL; /* rebound: no longer lazy */
      return;
    }
  if (en->n == en->cap) {
    int nc = en->cap ? en->cap * 2 : 4;
    const char **nn = jn_alloc(e->a, sizeof *nn * (size_t)nc);
    jv **nv = jn_alloc(e->a, sizeof *nv * (size_t)nc);
    if (en->n) {
      mcpy(nn, en->names, sizeof *nn * (size_t)en->n);
      mcpy(nv, en->vals, sizeof *nv * (size_t)en->n);
    }
    en->names = nn;
    en->vals = nv;
    en->cap = nc;
  }
  en->names[en->n] = name;
  en->vals[en->n++] = v;
}
/* The binding of name: 1 with *out, or 0. With src non-NULL, a root
 * binding not converted yet is left so and *src is its cJSON (*out NULL);
 * else it is converted now, once. */
static int env_find_src(env *en, const char *name, jv **out,
                        const cJSON **src) {
  if (src) *src = NULL;
  for (; en; en = en->parent)
    for (int i = en->n - 1; i >= 0; i--)
      if (!strcmp(en->names[i], name)) {
        if (i < en->nsrc && en->src[i]) {
          if (src) {
            *src = en->src[i];
            *out = NULL;
            return 1;
          }
          en->vals[i] = jn_from_cjson(en->lazy, en->src[i]);
          en->src[i] = NULL;
        }
        *out = en->vals[i];
        return 1;
      }
  return 0;
}
static int env_find(env *en, const char *name, jv **out) {
  return env_find_src(en, name, out, NULL);
}
jv *jn_lookup(env *en, const char *name) {
  jv *v;
  if (env_find(en, name, &v)) return v;
  return jn_builtin_val(name);
}

/* ---------------- tuples */
static jv *mk_tuple(E *e, jtuple *from) {
  jv *v = jn_alloc(e->a, sizeof *v);
  v->t = JT_TUPLE;
  v->u.tp = jn_alloc(e->a, sizeof(jtuple));
  if (from) {
    jtuple *t = v->u.tp;
    t->at = from->at;
    t->n = from->n;
    t->names = jn_alloc(e->a, sizeof(char *) * (size_t)(from->n + 4));
    t->vals = jn_alloc(e->a, sizeof(jv *) * (size_t)(from->n + 4));
    mcpy(t->names, from->names, sizeof(char *) * (size_t)from->n);
    mcpy(t->vals, from->vals, sizeof(jv *) * (size_t)from->n);
  }
  return v;
}
static void tuple_set(E *e, jtuple *t, const char *name, jv *v) {
  for (int i = 0; i < t->n; i++)
    if (!strcmp(t->names[i], name)) {
      t->vals[i] = v;
      return;
    }
  const char **nn = jn_alloc(e->a, sizeof(char *) * (size_t)(t->n + 1));
  jv **nv = jn_alloc(e->a, sizeof(jv *) * (size_t)(t->n + 1));
  mcpy(nn, t->names, sizeof(char *) * (size_t)t->n);
  mcpy(nv, t->vals, sizeof(jv *) * (size_t)t->n);
  nn[t->n] = name;
  nv[t->n++] = v;
  t->names = nn;
  t->vals = nv;
}
static env *frame_tuple(E *e, env *en, jv *tv) {
  env *f = jn_env(e, en);
  jtuple *t = tv->u.tp;
  for (int i = 0; i < t->n; i++)
    jn_bind(e, f, t->names[i], t->vals[i]);
  jn_bind(e, f, "@", t->at);
  return f;
}

/* ---------------- helpers */
static int is_seq(jv *v) { return v && v->t == JT_ARR && (v->f & JF_SEQ); }
static jv *seq1(E *e, jv *x) {
  jv *s = jn_seq(e);
  jn_push(e, s, x);
  return s;
}
static int is_num(E *e, jv *v) {
  if (!v || v->t != JT_NUM) return 0;
  if (isnan(v->u.n)) return 0;
  if (!isfinite(v->u.n)) jn_throw(e, "D1001", 0, NULL, v, NULL, 0, NULL);
  return 1;
}
static int arr_of_nums(jv *v) {
  if (!v || v->t != JT_ARR) return 0;
  for (size_t i = 0; i < v->u.a.n; i++)
    if (!v->u.a.v[i] || v->u.a.v[i]->t != JT_NUM) return 0;
  return 1;
}

double jn_now_ms(E *e) {
  if (!e->now_set) {
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    e->now_ms = (double)rt.tv_sec * 1000.0 + (double)(rt.tv_nsec / 1000000);
    e->now_set = 1;
  }
  return e->now_ms;
}

void jn_tick(E *e) {
  if (e->time_ms > 0 && (++e->ticks & 1023) == 0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    long ms = (t.tv_sec - e->t0.tv_sec) * 1000 +
              (t.tv_nsec - e->t0.tv_nsec) / 1000000;
    if (ms > e->time_ms)
      jn_throw_msg(e, "U1001", 0,
                   "Expression evaluation timeout: Check for infinite loop");
  }
}

/* ---------------- path evaluation */
static jv *filter(E *e, node *pred, jv *input, env *en);

static jv *eval_stages(E *e, stage *st, int n, jv *input, env *en) {
  jv *r = input;
  for (int i = 0; i < n; i++) {
    if (st[i].type == 'f')
      r = filter(e, st[i].expr, r, en);
    else if (r && r->t == JT_ARR)
      for (size_t k = 0; k < r->u.a.n; k++)
        tuple_set(e, r->u.a.v[k]->u.tp, st[i].var, jn_num(e, (double)k));
  }
  return r;
}

static jv *eval_sort(E *e, node *x, jv *input, env *en);

static jv *eval_step(E *e, node *x, jv *input, env *en, int last) {
  if (x->type == N_SORT) {
    jv *r = eval_sort(e, x, input, en);
    if (x->nstages) r = eval_stages(e, x->stages, x->nstages, r, en);
    return r;
  }
  jv *res = jn_seq(e);
  size_t n = input->u.a.n;
  for (size_t i = 0; i < n; i++) {
    jv *r = ev(e, x, input->u.a.v[i], en);
    for (int s = 0; s < x->nstages; s++)
      r = filter(e, x->stages[s].expr, r, en);
    if (r) jn_push(e, res, r);
  }
  if (last && res->u.a.n == 1 && res->u.a.v[0]->t == JT_ARR &&
      !is_seq(res->u.a.v[0]))
    return res->u.a.v[0];
  jv *out = jn_arr(e, res->u.a.n);
  out->f = JF_SEQ;
  for (size_t i = 0; i < res->u.a.n; i++) {
    jv *r = res->u.a.v[i];
    if (r->t != JT_ARR || (r->f & JF_CONS))
      jn_push(e, out, r);
    else
      for (size_t k = 0; k < r->u.a.n; k++)
        jn_push(e, out, r->u.a.v[k]);
  }
  return out;
}

static jv *eval_tuple_step(E *e, node *x, jv *input, jv *tb, env *en) {
  jv *r;
  if (x->type == N_SORT) {
    if (tb)
      r = eval_sort(e, x, tb, en);
    else {
      jv *sorted = eval_sort(e, x, input, en);
      r = jn_seq(e);
      r->f |= JF_TUPLES;
      for (size_t i = 0; sorted && i < sorted->u.a.n; i++) {
        jv *t = mk_tuple(e, NULL);
        t->u.tp->at = sorted->u.a.v[i];
        if (x->index) tuple_set(e, t->u.tp, x->index, jn_num(e, (double)i));
        jn_push(e, r, t);
      }
    }
    if (x->nstages) r = eval_stages(e, x->stages, x->nstages, r, en);
    return r;
  }
  r = jn_seq(e);
  r->f |= JF_TUPLES;
  if (!tb) {
    tb = jn_arr(e, input->u.a.n);
    for (size_t i = 0; i < input->u.a.n; i++) {
      jv *t = mk_tuple(e, NULL);
      t->u.tp->at = input->u.a.v[i];
      jn_push(e, tb, t);
    }
  }
  for (size_t i = 0; i < tb->u.a.n; i++) {
    jv *tv = tb->u.a.v[i];
    env *fe = frame_tuple(e, en, tv);
    jv *res = ev(e, x, tv->u.tp->at, fe);
    if (!res) continue;
    if (res->t != JT_ARR) res = seq1(e, res);
    for (size_t b = 0; b < res->u.a.n; b++) {
      jv *t = mk_tuple(e, tv->u.tp);
      if (res->f & JF_TUPLES) {
        jtuple *rt = res->u.a.v[b]->u.tp;
        for (int k = 0; k < rt->n; k++)
          tuple_set(e, t->u.tp, rt->names[k], rt->vals[k]);
        t->u.tp->at = rt->at;
      } else {
        if (x->focus) {
          tuple_set(e, t->u.tp, x->focus, res->u.a.v[b]);
          t->u.tp->at = tv->u.tp->at;
        } else
          t->u.tp->at = res->u.a.v[b];
        if (x->index) tuple_set(e, t->u.tp, x->index, jn_num(e, (double)b));
        if (x->ancestor)
          tuple_set(e, t->u.tp, x->ancestor->label, tv->u.tp->at);
      }
      jn_push(e, r, t);
    }
  }
  if (x->nstages) r = eval_stages(e, x->stages, x->nstages, r, en);
  return r;
}

static jv *eval_group(E *e, group *g, jv *input, env *en);

/* A step that only looks a name up: no predicate, stage, binding, sort,
 * group or array-keeping of its own. */
static int plain_step(const node *s, int type) {
  return s->type == type && !s->nstages && !s->npreds && !s->grp &&
         !s->focus && !s->index && !s->ancestor && !s->tuple &&
         !s->keep_array && !s->keep_singleton && !s->consarray &&
         !s->nseeking && !s->pslot && !s->thunk;
}

/* The last member of the cJSON object o named k (a converted object keeps
 * the last of duplicate keys, at the first one's place), or NULL. */
static const cJSON *cj_member(const cJSON *o, const char *k, size_t kl) {
  const cJSON *r = NULL;
  for (const cJSON *c = o->child; c; c = c->next)
    if (c->string && strlen(c->string) == kl && !memcmp(c->string, k, kl))
      r = c;
  return r;
}

/* A path that starts $v.a.b... where $v is a root binding not converted
 * yet: its leading name steps are walked on the cJSON while each reaches
 * an object member that is not an array (so the step yields that one value,
 * as eval_step would: a sequence of one, not flattened), and only the value
 * reached is converted. Returns the number of steps done (0: none) with
 * *seq the sequence of that one value, as the loop would have it. */
static int path_prefix(E *e, node *x, env *en, jv **seq) {
  node *v = x->items[0];
  if (x->nitems < 2 || !plain_step(v, N_VARIABLE) || v->vlen == 0) return 0;
  jv *got;
  const cJSON *c;
  if (!env_find_src(en, v->value, &got, &c) || !c || !cJSON_IsObject(c))
    return 0;
  int i = 1;
  for (; i < x->nitems; i++) {
    node *s = x->items[i];
    if (!cJSON_IsObject(c) || !plain_step(s, N_NAME)) break;
    const cJSON *m = cj_member(c, s->value, s->vlen);
    if (!m || cJSON_IsArray(m)) break;
    c = m;
  }
  *seq = seq1(e, jn_from_cjson(e, c));
  return i;
}

static jv *eval_path(E *e, node *x, jv *input, env *en) {
  jv *seq;
  if (input && input->t == JT_ARR && x->items[0]->type != N_VARIABLE)
    seq = input;
  else
    seq = seq1(e, input);
  jv *rs = NULL, *tb = NULL;
  int tuple = 0;
  int from = path_prefix(e, x, en, &seq);
  if (from) rs = seq;
  for (int i = from; i < x->nitems; i++) {
    node *s = x->items[i];
    if (s->tuple) tuple = 1;
    if (i == 0 && s->consarray)
      rs = ev(e, s, seq, en);
    else if (tuple)
      tb = eval_tuple_step(e, s, seq, tb, en);
    else
      rs = eval_step(e, s, seq, en, i == x->nitems - 1);
    if (!tuple && (!rs || (rs->t == JT_ARR && rs->u.a.n == 0))) break;
    if (!s->focus) seq = rs;
    if (tuple && !s->focus) seq = rs;
  }
  if (tuple) {
    if (x->tuple)
      rs = tb;
    else {
      rs = jn_arr(e, tb ? tb->u.a.n : 0);
      rs->f = JF_SEQ;
      for (size_t i = 0; tb && i < tb->u.a.n; i++)
        jn_push(e, rs, tb->u.a.v[i]->u.tp->at);
    }
  }
  if (x->keep_singleton) {
    if (rs && rs->t == JT_ARR && (rs->f & JF_CONS) && !(rs->f & JF_SEQ))
      rs = seq1(e, rs);
    if (rs && rs->t == JT_ARR) rs->f |= JF_KEEP;
  }
  if (x->grp) rs = eval_group(e, x->grp, tuple ? tb : rs, en);
  return rs;
}

static jv *filter(E *e, node *pred, jv *input, env *en) {
  jv *res = jn_seq(e);
  if (input && (input->f & JF_TUPLES) && input->t == JT_ARR)
    res->f |= JF_TUPLES;
  if (!input || input->t != JT_ARR) input = seq1(e, input);
  size_t n = input->u.a.n;
  if (pred->type == N_NUMBER) {
    double idx = floor(pred->num);
    if (idx < 0) idx = (double)n + idx;
    if (idx >= 0 && idx < (double)n) {
      jv *item = input->u.a.v[(size_t)idx];
      if (item) {
        if (item->t == JT_ARR) return item;
        jn_push(e, res, item);
      }
    }
    return res;
  }
  for (size_t i = 0; i < n; i++) {
    jv *item = input->u.a.v[i], *ctx = item;
    env *fe = en;
    if (input->f & JF_TUPLES) {
      ctx = item->u.tp->at;
      fe = frame_tuple(e, en, item);
    }
    jv *r = ev(e, pred, ctx, fe);
    if (is_num(e, r)) r = seq1(e, r);
    if (arr_of_nums(r)) {
      for (size_t k = 0; k < r->u.a.n; k++) {
        double ii = floor(r->u.a.v[k]->u.n);
        if (ii < 0) ii = (double)n + ii;
        if (ii == (double)i) jn_push(e, res, item);
      }
    } else if (jn_truthy(r) == 1)
      jn_push(e, res, item);
  }
  return res;
}

/* ---------------- order-by */
typedef struct {
  jv *item;
  jv **keys;
} skey;

static int cmp_keys(E *e, node *x, skey *a, skey *b) {
  for (int t = 0; t < x->nterms; t++) {
    jv *aa = a->keys[t], *bb = b->keys[t];
    int comp;
    if (!aa) {
      comp = bb ? 1 : 0;
      if (comp) return comp;
      continue;
    }
    if (!bb) return -1;
    int at = aa->t == JT_STR || aa->t == JT_NUM,
        bt = bb->t == JT_STR || bb->t == JT_NUM;
    if (!at || !bt)
      jn_throw(e, "T2008", x->pos, NULL, !at ? aa : bb, NULL, 0, NULL);
    if (aa->t != bb->t) jn_throw(e, "T2007", x->pos, NULL, aa, bb, 0, NULL);
    if (aa->t == JT_NUM)
      comp = aa->u.n == bb->u.n ? 0 : aa->u.n < bb->u.n ? -1 : 1;
    else {
      size_t m = aa->u.s.n < bb->u.s.n ? aa->u.s.n : bb->u.s.n;
      int c = memcmp(aa->u.s.p, bb->u.s.p, m);
      comp = c                        ? (c < 0 ? -1 : 1)
             : aa->u.s.n == bb->u.s.n ? 0
             : aa->u.s.n < bb->u.s.n  ? -1
                                      : 1;
    }
    if (x->terms[t].desc) comp = -comp;
    if (comp) return comp;
  }
  return 0;
}

static void msort_keys(E *e, node *x, skey *a, skey *tmp, size_t n) {
  if (n <= 1) return;
  size_t m = n / 2;
  msort_keys(e, x, a, tmp, m);
  msort_keys(e, x, a + m, tmp, n - m);
  size_t i = 0, j = m, k = 0;
  while (i < m && j < n) {
    if (cmp_keys(e, x, &a[i], &a[j]) > 0)
      tmp[k++] = a[j++];
    else
      tmp[k++] = a[i++];
  }
  while (i < m)
    tmp[k++] = a[i++];
  while (j < n)
    tmp[k++] = a[j++];
  mcpy(a, tmp, sizeof *a * n);
}

static jv *eval_sort(E *e, node *x, jv *input, env *en) {
  if (!input) return NULL;
  if (input->t != JT_ARR) input = seq1(e, input);
  size_t n = input->u.a.n;
  int tup = (input->f & JF_TUPLES) != 0;
  skey *ks = jn_alloc(e->a, sizeof *ks * (n + 1));
  skey *tmp = jn_alloc(e->a, sizeof *ks * (n + 1));
  for (size_t i = 0; i < n; i++) {
    jv *it = input->u.a.v[i];
    ks[i].item = it;
    ks[i].keys = jn_alloc(e->a, sizeof(jv *) * (size_t)x->nterms);
    jv *ctx = it;
    env *fe = en;
    if (tup) {
      ctx = it->u.tp->at;
      fe = frame_tuple(e, en, it);
    }
    for (int t = 0; t < x->nterms; t++)
      ks[i].keys[t] = ev(e, x->terms[t].expr, ctx, fe);
  }
  if (n > 1) msort_keys(e, x, ks, tmp, n);
  jv *r = jn_arr(e, n);
  r->f = JF_SEQ | (input->f & JF_TUPLES);
  for (size_t i = 0; i < n; i++)
    jn_push(e, r, ks[i].item);
  return r;
}

/* ---------------- group-by / object constructor */
static jv *reduce_tuples(E *e, jv *ts) {
  if (ts->t != JT_ARR) return ts;
  jv *r = mk_tuple(e, ts->u.a.v[0]->u.tp);
  for (size_t i = 1; i < ts->u.a.n; i++) {
    jtuple *t = ts->u.a.v[i]->u.tp;
    for (int k = 0; k < t->n; k++) {
      jv *cur = NULL;
      for (int q = 0; q < r->u.tp->n; q++)
        if (!strcmp(r->u.tp->names[q], t->names[k])) cur = r->u.tp->vals[q];
      tuple_set(e, r->u.tp, t->names[k], jn_append(e, cur, t->vals[k]));
    }
    r->u.tp->at = jn_append(e, r->u.tp->at, t->at);
  }
  return r;
}

static jv *eval_group(E *e, group *g, jv *input, env *en) {
  int reduce = input && input->t == JT_ARR && (input->f & JF_TUPLES);
  if (!input || input->t != JT_ARR) input = seq1(e, input);
  if (input->u.a.n == 0) input = seq1(e, NULL);
  jv *groups = jn_obj(e); /* key -> index into data arrays */
  size_t cap = 8, ng = 0;
  jv **data = jn_alloc(e->a, sizeof(jv *) * cap);
  int *exi = jn_alloc(e->a, sizeof(int) * cap);
  for (size_t i = 0; i < input->u.a.n; i++) {
    jv *item = input->u.a.v[i];
    env *fe = reduce && item ? frame_tuple(e, en, item) : en;
    for (int p = 0; p < g->n; p++) {
      jv *key = ev(e, g->k[p], reduce && item ? item->u.tp->at : item, fe);
      if (key && key->t != JT_STR)
        jn_throw(e, "T1003", g->pos, NULL, key, NULL, 0, NULL);
      if (!key) continue;
      jv *gi = jn_oget(groups, key->u.s.p, key->u.s.n);
      if (gi) {
        size_t k = (size_t)gi->u.n;
        if (exi[k] != p) jn_throw(e, "D1009", g->pos, NULL, key, NULL, 0, NULL);
        data[k] = jn_append(e, data[k], item);
      } else {
        if (ng == cap) {
          jv **nd = jn_alloc(e->a, sizeof(jv *) * cap * 2);
          int *ne = jn_alloc(e->a, sizeof(int) * cap * 2);
          mcpy(nd, data, sizeof(jv *) * cap);
          mcpy(ne, exi, sizeof(int) * cap);
          data = nd;
          exi = ne;
          cap *= 2;
        }
        data[ng] = item;
        exi[ng] = p;
        jn_oset(e, groups, key->u.s.p, key->u.s.n, jn_num(e, (double)ng));
        ng++;
      }
    }
  }
  jv *res = jn_obj(e);
  for (size_t k = 0; k < ng; k++) {
    jv *ctx = data[k];
    env *fe = en;
    if (reduce && data[k]) {
      jv *t = reduce_tuples(e, data[k]);
      ctx = t->u.tp->at;
      fe = jn_env(e, en);
      for (int q = 0; q < t->u.tp->n; q++)
        jn_bind(e, fe, t->u.tp->names[q], t->u.tp->vals[q]);
    }
    jv *v = ev(e, g->v[exi[k]], ctx, fe);
    if (v) jn_oset(e, res, groups->u.o->k[k], groups->u.o->kl[k], v);
  }
  return res;
}

/* ---------------- operators */
static jv *eval_binary(E *e, node *x, jv *in, env *en) {
  const char *op = x->value;
  jv *l = ev(e, x->lhs, in, en);
  if (!strcmp(op, "and") || !strcmp(op, "or")) {
    int lb = jn_truthy(l) == 1;
    if (op[0] == 'a') {
      if (!lb) return &jn_false;
      return jn_truthy(ev(e, x->rhs, in, en)) == 1 ? &jn_true : &jn_false;
    }
    if (lb) return &jn_true;
    return jn_truthy(ev(e, x->rhs, in, en)) == 1 ? &jn_true : &jn_false;
  }
  jv *r = ev(e, x->rhs, in, en);
  char c = op[0];
  if ((c == '+' || c == '-' || c == '*' || c == '/' || c == '%') &&
      op[1] == 0) {
    if (l && !is_num(e, l)) jn_throw(e, "T2001", x->pos, op, l, NULL, 0, NULL);
    if (r && !is_num(e, r)) jn_throw(e, "T2002", x->pos, op, r, NULL, 0, NULL);
    if (!l || !r) return NULL;
    double a = l->u.n, b = r->u.n, v = 0;
    switch (c) {
    case '+':
      v = a + b;
      break;
    case '-':
      v = a - b;
      break;
    case '*':
      v = a * b;
      break;
    case '/':
      v = a / b;
      break;
    case '%':
      v = fmod(a, b);
      break;
    }
    return jn_num(e, v);
  }
  if (!strcmp(op, "=") || !strcmp(op, "!=")) {
    if (!l || !r) return &jn_false;
    int eq = jn_deep_eq(l, r);
    return (op[0] == '=' ? eq : !eq) ? &jn_true : &jn_false;
  }
  if (c == '<' || c == '>') {
    int lc = !l || l->t == JT_STR || l->t == JT_NUM,
        rc = !r || r->t == JT_STR || r->t == JT_NUM;
    if (!lc || !rc)
      jn_throw(e, "T2010", x->pos, op,
               (l && (l->t == JT_STR || l->t == JT_NUM)) ? r : l, NULL, 0,
               NULL);
    if (!l || !r) return NULL;
    if (l->t != r->t) jn_throw(e, "T2009", x->pos, op, l, r, 0, NULL);
    int cmp;
    if (l->t == JT_NUM)
      cmp = l->u.n < r->u.n ? -1 : l->u.n > r->u.n ? 1 : 0;
    else {
      size_t m = l->u.s.n < r->u.s.n ? l->u.s.n : r->u.s.n;
      int k = memcmp(l->u.s.p, r->u.s.p, m);
      cmp = k                     ? (k < 0 ? -1 : 1)
            : l->u.s.n < r->u.s.n ? -1
            : l->u.s.n > r->u.s.n ? 1
                                  : 0;
    }
    int res;
    if (!strcmp(op, "<"))
      res = cmp < 0;
    else if (!strcmp(op, "<="))
      res = cmp <= 0;
    else if (!strcmp(op, ">"))
      res = cmp > 0;
    else
      res = cmp >= 0;
    return res ? &jn_true : &jn_false;
  }
  if (c == '&') {
    jbuf b = {0};
    b.e = e;
    jb_put(&b, "", 0);
    if (l) {
      jv *s = jn_string(e, l);
      jb_put(&b, s->u.s.p, s->u.s.n);
    }
    if (r) {
      jv *s = jn_string(e, r);
      jb_put(&b, s->u.s.p, s->u.s.n);
    }
    return jn_str(e, b.p, b.n);
  }
  if (!strcmp(op, "..")) {
    if (l && !(l->t == JT_NUM && jn_is_int(l->u.n)))
      jn_throw(e, "T2003", x->pos, op, l, NULL, 0, NULL);
    if (r && !(r->t == JT_NUM && jn_is_int(r->u.n)))
      jn_throw(e, "T2004", x->pos, op, r, NULL, 0, NULL);
    if (!l || !r) return NULL;
    if (l->u.n > r->u.n) return NULL;
    double size = r->u.n - l->u.n + 1;
    if (size > 1e7)
      jn_throw(e, "D2014", x->pos, op, jn_num(e, size), NULL, 0, NULL);
    jv *a = jn_arr(e, 0);
    a->f = JF_SEQ;
    a->u.a.v = jn_alloc_raw(e->a, sizeof(jv *) * (size_t)size);
    a->u.a.cap = (size_t)size;
    jv *nums = jn_alloc_raw(e->a, sizeof(jv) * (size_t)size);
    for (size_t i = 0; i < (size_t)size; i++) {
      nums[i].t = JT_NUM;
      nums[i].f = 0;
      nums[i].u.n = l->u.n + (double)i;
      a->u.a.v[i] = &nums[i];
      jn_tick(e);
    }
    a->u.a.n = (size_t)size;
    return a;
  }
  if (!strcmp(op, "in")) {
    if (!l || !r) return &jn_false;
    if (r->t != JT_ARR)
      return jn_deep_eq(l, r) && l->t != JT_ARR && l->t != JT_OBJ ? &jn_true
                                                                  : &jn_false;
    for (size_t i = 0; i < r->u.a.n; i++) {
      jv *x2 = r->u.a.v[i];
      if (x2 && l->t != JT_ARR && l->t != JT_OBJ && jn_deep_eq(l, x2))
        return &jn_true;
      if (x2 == l) return &jn_true;
    }
    return &jn_false;
  }
  jn_throw(e, "S0201", x->pos, op, NULL, NULL, 0, NULL);
}

/* ---------------- functions */
static jv *apply_inner(E *e, jv *proc, jv **args, int n, jv *input, env *en);

int jn_arity(jv *f) {
  jfn *fn = f->u.fn;
  switch (fn->kind) {
  case FK_LAMBDA:
    return fn->params ? fn->nparams : fn->lam->nparams;
  case FK_BUILTIN:
    if (!strcmp(fn->bi->name, "string")) return 1;
    return fn->bi->csig ? fn->bi->csig->n : 1;
  case FK_PARTIAL:
    return fn->holes;
  case FK_REGEX:
    return 1;
  default:
    return 1;
  }
}

jv *jn_apply(E *e, jv *proc, jv **args, int n, jv *input, env *en) {
  jv *r = apply_inner(e, proc, args, n, input, en);
  while (r && r->t == JT_FN && r->u.fn->kind == FK_LAMBDA && r->u.fn->thunk) {
    jfn *th = r->u.fn;
    node *call = th->lam->body;
    jv *next = ev(e, call->expr, th->input, th->env);
    jv **a = jn_alloc(e->a, sizeof(jv *) * (size_t)(call->nitems + 1));
    for (int i = 0; i < call->nitems; i++)
      a[i] = ev(e, call->items[i], th->input, th->env);
    const char *sf = e->fname;
    int sp = e->fpos;
    e->fname = call->fname;
    e->fpos = call->pos;
    r = apply_inner(e, next, a, call->nitems, input, en);
    e->fname = sf;
    e->fpos = sp;
  }
  return r;
}

static const char *sym_of(jv *v) {
  if (!v) return "m";
  switch (v->t) {
  case JT_FN:
    return "f";
  case JT_STR:
    return "s";
  case JT_NUM:
    return "n";
  case JT_BOOL:
    return "b";
  case JT_NULL:
    return "l";
  case JT_ARR:
    return "a";
  case JT_OBJ:
    return "o";
  }
  return "m";
}

/* The signature's regular expression (jsonata-js builds one per signature)
 * matched by hand: each parameter is a class of type symbols with an
 * optional '?' or '+'; greedy with backtracking, as the regex would. With
 * whole = 1 the match must end at the end of sup (the validation), else the
 * first match of params[0..upto) is taken (to find the bad argument). */
static int pclass(jparam *p, char c) {
  const char *r = p->regex;
  if (r[0] != '[') return r[0] == c;
  for (const char *q = r + 1; *q && *q != ']'; q++)
    if (*q == c) return 1;
  return 0;
}
static char pmod(jparam *p) {
  size_t l = strlen(p->regex);
  return (l && (p->regex[l - 1] == '?' || p->regex[l - 1] == '+'))
             ? p->regex[l - 1]
             : 0;
}
static int sig_match(jsig *g, const char *sup, int sl, int pi, int upto,
                     int pos, int whole, int *caps) {
  if (pi == upto) return whole ? (pos == sl ? pos : -1) : pos;
  jparam *p = &g->p[pi];
  char mod = pmod(p);
  int maxn = mod == '+' ? sl - pos : 1, minn = mod == '?' ? 0 : 1;
  int k = 0;
  while (k < maxn && pos + k < sl && pclass(p, sup[pos + k]))
    k++;
  for (int c = k; c >= minn; c--) {
    caps[pi] = c;
    int r = sig_match(g, sup, sl, pi + 1, upto, pos + c, whole, caps);
    if (r >= 0) return r;
  }
  return -1;
}

static jv **validate(E *e, jsig *sig, jv **args, int *pn, jv *ctx) {
  int n = *pn;
  char *sup = jn_alloc(e->a, (size_t)n + 1);
  int sl = 0;
  for (int i = 0; i < n; i++)
    sup[sl++] = sym_of(args[i])[0];
  sup[sl] = 0;
  int caps[JN_MAXPARAMS];
  if (sig_match(sig, sup, sl, 0, sig->n, 0, 1, caps) < 0) {
    int good = 0;
    for (int i = 1; i <= sig->n; i++) {
      int len = sig_match(sig, sup, sl, 0, i, 0, 0, caps);
      if (len < 0) break;
      good = len;
    }
    jn_throw(e, "T0410", 0, NULL, good < n ? args[good] : NULL, NULL, good + 1,
             NULL);
  }
  size_t off[JN_MAXPARAMS][2];
  size_t at = 0;
  for (int i = 0; i < sig->n; i++) {
    off[i][0] = at;
    at += (size_t)caps[i];
    off[i][1] = at;
  }
  jv **out = jn_alloc(e->a, sizeof(jv *) * (size_t)(n + sig->n + 1));
  int on = 0, ai = 0;
  for (int i = 0; i < sig->n; i++) {
    jparam *p = &sig->p[i];
    size_t ml = off[i][1] - off[i][0];
    if (ml == 0) {
      if (p->ctx) {
        const char *ct = sym_of(ctx);
        /* contextRegex: the param's regex without the trailing '?' */
        char cre[24];
        snprintf(cre, sizeof cre, "%s", p->regex);
        size_t cl = strlen(cre);
        if (cl && cre[cl - 1] == '?') cre[cl - 1] = 0;
        int okc = 0;
        if (cre[0] == '[')
          okc = strchr(cre, ct[0]) != NULL;
        else
          okc = cre[0] == ct[0];
        if (!okc) jn_throw(e, "T0411", 0, NULL, ctx, NULL, ai + 1, NULL);
        out[on++] = ctx;
      } else {
        out[on++] = ai < n ? args[ai] : NULL;
        ai++;
      }
      continue;
    }
    for (size_t k = 0; k < ml; k++) {
      char single = sup[off[i][0] + k];
      jv *arg = ai < n ? args[ai] : NULL;
      if (p->type == 'a') {
        if (single == 'm')
          arg = NULL;
        else {
          int ok = 1;
          if (p->sub) {
            if (single != 'a' && single != p->sub)
              ok = 0;
            else if (single == 'a' && arg->u.a.n > 0) {
              const char *it = sym_of(arg->u.a.v[0]);
              if (it[0] != p->sub)
                ok = 0;
              else
                for (size_t q = 0; q < arg->u.a.n; q++)
                  if (sym_of(arg->u.a.v[q])[0] != it[0]) ok = 0;
            }
          }
          if (!ok) {
            const char *tn = p->sub == 's'   ? "strings"
                             : p->sub == 'n' ? "numbers"
                             : p->sub == 'o' ? "objects"
                             : p->sub == 'b' ? "booleans"
                             : p->sub == 'f' ? "functions"
                                             : "arrays";
            jn_throw(e, "T0412", 0, NULL, arg, NULL, ai + 1, tn);
          }
          if (single != 'a') {
            jv *w = jn_arr(e, 1);
            jn_push(e, w, arg);
            arg = w;
          }
        }
      }
      out[on++] = arg;
      ai++;
    }
  }
  *pn = on;
  return out;
}

static jv *apply_proc(E *e, jfn *f, jv **args, int n) {
  env *fe = jn_env(e, f->penv ? f->penv : f->env);
  const char **params = f->params ? f->params : f->lam->params;
  int np = f->params ? f->nparams : f->lam->nparams;
  for (int i = 0; i < np; i++)
    jn_bind(e, fe, params[i], i < n ? args[i] : NULL);
  return ev(e, f->lam->body, f->input, fe);
}

static jv *regex_call(E *e, jv *re, jv **args, int n);
static jv *transform_call(E *e, jfn *f, jv *obj);

static jv *apply_inner(E *e, jv *proc, jv **args, int n, jv *input, env *en) {
  if (!proc || proc->t != JT_FN)
    jn_throw(e, "T1006", 0, NULL, NULL, NULL, 0, NULL);
  jfn *f = proc->u.fn;
  switch (f->kind) {
  case FK_LAMBDA:
    if (f->lam->sig) args = validate(e, f->lam->sig, args, &n, input);
    return apply_proc(e, f, args, n);
  case FK_BUILTIN: {
    if (f->bi->csig) args = validate(e, f->bi->csig, args, &n, input);
    const char *sf = e->fname;
    if (!sf) e->fname = f->bi->name;
    jv *r = f->bi->fn(e, args, n, input, en);
    e->fname = sf;
    return r;
  }
  case FK_PARTIAL: {
    jv **full = jn_alloc(e->a, sizeof(jv *) * (size_t)(f->nargs + 1));
    int k = 0;
    for (int i = 0; i < f->nargs; i++) {
      if (f->args[i] == (jv *)&jn_null + 1)
        full[i] = k < n ? args[k++] : NULL;
      else
        full[i] = f->args[i];
    }
    return jn_apply(e, f->base, full, f->nargs, input, en);
  }
  case FK_REGEX:
    return regex_call(e, proc, args, n);
  case FK_TRANSFORM: {
    jsig *sg = jn_builtin("clone")->csig;
    (void)sg;
    if (n >= 1 && args[0] && args[0]->t != JT_OBJ && args[0]->t != JT_ARR)
      jn_throw(e, "T0410", 0, NULL, args[0], NULL, 1, NULL);
    return transform_call(e, f, n > 0 ? args[0] : NULL);
  }
  case FK_CHAIN: {
    jv *r = jn_apply(e, f->base, args, n, input, en);
    return jn_apply(e, f->second, &r, 1, input, en);
  }
  }
  jn_throw(e, "T1006", 0, NULL, NULL, NULL, 0, NULL);
}

static jv *eval_function(E *e, node *x, jv *in, env *en, jv *applyto,
                         int has_applyto) {
  jv *proc = ev(e, x->expr, in, en);
  if (!proc && x->expr->type == N_PATH && x->expr->items[0]->type == N_NAME) {
    jv *t;
    if (jn_lookup(en, x->expr->items[0]->value) &&
        (t = jn_lookup(en, x->expr->items[0]->value)))
      jn_throw(e, "T1005", x->pos, x->expr->items[0]->value, NULL, NULL, 0,
               NULL);
  }
  int n = x->nitems + has_applyto;
  jv **args = jn_alloc(e->a, sizeof(jv *) * (size_t)(n + 1));
  int k = 0;
  if (has_applyto) args[k++] = applyto;
  for (int i = 0; i < x->nitems; i++)
    args[k++] = ev(e, x->items[i], in, en);
  const char *sf = e->fname;
  int sp = e->fpos;
  e->fname = x->fname;
  e->fpos = x->pos;
  if (!proc || proc->t != JT_FN)
    jn_throw(e, "T1006", x->pos, NULL, NULL, NULL, 0, NULL);
  jv *r = jn_apply(e, proc, args, n, in, en);
  e->fname = sf;
  e->fpos = sp;
  return r;
}

static jv *eval_partial(E *e, node *x, jv *in, env *en) {
  jv **args = jn_alloc(e->a, sizeof(jv *) * (size_t)(x->nitems + 1));
  int holes = 0;
  for (int i = 0; i < x->nitems; i++) {
    if (x->items[i]->type == N_OPERATOR) {
      args[i] = (jv *)&jn_null + 1; /* placeholder marker, never dereferenced */
      holes++;
    } else
      args[i] = ev(e, x->items[i], in, en);
  }
  jv *proc = ev(e, x->expr, in, en);
  if (!proc && x->expr->type == N_PATH && x->expr->items[0]->type == N_NAME &&
      jn_lookup(en, x->expr->items[0]->value))
    jn_throw(e, "T1007", x->pos, x->expr->items[0]->value, NULL, NULL, 0, NULL);
  if (!proc || proc->t != JT_FN)
    jn_throw(e, "T1008", x->pos, x->fname, NULL, NULL, 0, NULL);
  jfn *f = jn_alloc(e->a, sizeof *f);
  if (proc->u.fn->kind == FK_LAMBDA && !proc->u.fn->lam->sig) {
    jfn *p = proc->u.fn;
    *f = *p;
    f->thunk = 0;
    env *pe = jn_env(e, p->penv ? p->penv : p->env);
    const char **params = p->params ? p->params : p->lam->params;
    int np = p->params ? p->nparams : p->lam->nparams;
    f->params = jn_alloc(e->a, sizeof(char *) * (size_t)(np + 1));
    f->nparams = 0;
    for (int i = 0; i < np; i++) {
      if (i < x->nitems && args[i] == (jv *)&jn_null + 1)
        f->params[f->nparams++] = params[i];
      else
        jn_bind(e, pe, params[i], i < x->nitems ? args[i] : NULL);
    }
    f->penv = pe;
    return jn_fnval(e, f);
  }
  f->kind = FK_PARTIAL;
  f->base = proc;
  f->args = args;
  f->nargs = x->nitems;
  f->holes = holes;
  return jn_fnval(e, f);
}

static jv *eval_apply(E *e, node *x, jv *in, env *en) {
  jv *l = ev(e, x->lhs, in, en);
  if (x->rhs->type == N_FUNCTION) return eval_function(e, x->rhs, in, en, l, 1);
  jv *f = ev(e, x->rhs, in, en);
  if (!jn_is_fn(f)) jn_throw(e, "T2006", x->pos, NULL, f, NULL, 0, NULL);
  if (jn_is_fn(l)) {
    jfn *c = jn_alloc(e->a, sizeof *c);
    c->kind = FK_CHAIN;
    c->base = l;
    c->second = f;
    return jn_fnval(e, c);
  }
  return jn_apply(e, f, &l, 1, in, en);
}

/* ---------------- transform */
static jv *transform_call(E *e, jfn *f, jv *obj) {
  if (!obj) return NULL;
  node *x = f->lam;
  jv *clone = jn_lookup(f->env, "clone");
  if (!jn_is_fn(clone)) jn_throw(e, "T2013", x->pos, NULL, NULL, NULL, 0, NULL);
  jv *res = jn_apply(e, clone, &obj, 1, NULL, f->env);
  jv *m = ev(e, x->pattern, res, f->env);
  if (m) {
    if (m->t != JT_ARR) m = seq1(e, m);
    for (size_t i = 0; i < m->u.a.n; i++) {
      jv *match = m->u.a.v[i];
      jv *up = ev(e, x->update, match, f->env);
      if (up) {
        if (up->t != JT_OBJ)
          jn_throw(e, "T2011", x->update->pos, NULL, up, NULL, 0, NULL);
        if (match && match->t == JT_OBJ)
          for (size_t k = 0; k < up->u.o->n; k++)
            jn_oset(e, match, up->u.o->k[k], up->u.o->kl[k], up->u.o->v[k]);
      }
      if (x->del) {
        jv *d = ev(e, x->del, match, f->env);
        if (d) {
          jv *val = d;
          if (d->t != JT_ARR) d = seq1(e, d);
          for (size_t k = 0; k < d->u.a.n; k++)
            if (!d->u.a.v[k] || d->u.a.v[k]->t != JT_STR)
              jn_throw(e, "T2012", x->del->pos, NULL, val, NULL, 0, NULL);
          for (size_t k = 0; k < d->u.a.n; k++)
            if (match && match->t == JT_OBJ)
              jn_odel(match, d->u.a.v[k]->u.s.p, d->u.a.v[k]->u.s.n);
        }
      }
    }
  }
  return res;
}

/* ---------------- regex as a function: returns a match object */
static jv *regex_call(E *e, jv *re, jv **args, int n) {
  if (n < 1 || !args[0] || args[0]->t != JT_STR) return NULL;
  size_t ms, me;
  size_t from = 0;
  if (n > 1 && args[1] && args[1]->t == JT_NUM) from = (size_t)args[1]->u.n;
  return jn_regex_match(e, re, args[0]->u.s.p, args[0]->u.s.n, from, &ms, &me);
}

/* fn.lookup: a field of an object, or of every object in an array (nested
 * arrays searched too), array results flattened one level. */
static jv *lookup_name(E *e, jv *in, const char *k, size_t kl) {
  if (!in) return NULL;
  if (in->t == JT_OBJ) return jn_oget(in, k, kl);
  if (in->t != JT_ARR) return NULL;
  jv *r = jn_seq(e);
  for (size_t i = 0; i < in->u.a.n; i++) {
    jv *v = lookup_name(e, in->u.a.v[i], k, kl);
    if (!v) continue;
    if (v->t == JT_ARR)
      for (size_t q = 0; q < v->u.a.n; q++)
        jn_push(e, r, v->u.a.v[q]);
    else
      jn_push(e, r, v);
  }
  return r;
}

/* ---------------- the evaluator */
static jv *ev(E *e, node *x, jv *in, env *en) {
  if (++e->depth > e->maxdepth)
    jn_throw(e, "U1001", x->pos, NULL, NULL, NULL, 0, NULL);
  jn_tick(e);
  jv *r = NULL;
  switch (x->type) {
  case N_PATH:
    r = eval_path(e, x, in, en);
    break;
  case N_BINARY:
    r = eval_binary(e, x, in, en);
    break;
  case N_UNARY: {
    r = ev(e, x->expr, in, en);
    if (r) {
      if (is_num(e, r))
        r = jn_num(e, -r->u.n);
      else
        jn_throw(e, "D1002", x->pos, "-", r, NULL, 0, NULL);
    }
    break;
  }
  case N_ARRAY: {
    /* evaluate the items, then copy them into one array of the right size */
    jv **vals = jn_alloc(e->a, sizeof(jv *) * (size_t)(x->nitems + 1));
    size_t total = 0;
    for (int i = 0; i < x->nitems; i++) {
      jv *v = ev(e, x->items[i], in, en);
      vals[i] = v;
      if (!v) continue;
      total += (x->items[i]->type != N_ARRAY && v->t == JT_ARR) ? v->u.a.n : 1;
    }
    r = jn_arr(e, total);
    for (int i = 0; i < x->nitems; i++) {
      jv *v = vals[i];
      if (!v) continue;
      if (x->items[i]->type != N_ARRAY && v->t == JT_ARR) {
        if (v->u.a.n)
          mcpy(r->u.a.v + r->u.a.n, v->u.a.v, sizeof(jv *) * v->u.a.n);
        r->u.a.n += v->u.a.n;
      } else
        r->u.a.v[r->u.a.n++] = v;
    }
    if (x->consarray) r->f |= JF_CONS;
    break;
  }
  case N_OBJECT:
    r = eval_group(e, x->grp, in, en);
    break;
  case N_NAME:
    r = lookup_name(e, in, x->value, x->vlen);
    break;
  case N_STRING:
    r = jn_str(e, x->value, x->vlen);
    break;
  case N_NUMBER:
    r = jn_num(e, x->num);
    break;
  case N_VALUE:
    r = x->vkind == 1 ? &jn_true : x->vkind == 2 ? &jn_false : &jn_null;
    break;
  case N_WILDCARD: {
    r = jn_seq(e);
    jv *v = in;
    if (v && v->t == JT_ARR && (v->f & JF_OUTER) && v->u.a.n > 0)
      v = v->u.a.v[0];
    if (v && v->t == JT_OBJ) {
      for (size_t i = 0; i < v->u.o->n; i++) {
        jv *it = v->u.o->v[i];
        if (it && it->t == JT_ARR) {
          /* flatten fully */
          jv *stack[64];
          (void)stack;
          jv *flat = jn_arr(e, 0);
          jv *todo[1] = {it};
          (void)todo;
          /* recursive flatten */
          struct fl {
            jv *a;
            size_t i;
          } st[64];
          int sp = 0;
          st[sp].a = it;
          st[sp].i = 0;
          while (sp >= 0) {
            if (st[sp].i >= st[sp].a->u.a.n) {
              sp--;
              continue;
            }
            jv *c = st[sp].a->u.a.v[st[sp].i++];
            if (c && c->t == JT_ARR && sp < 63) {
              sp++;
              st[sp].a = c;
              st[sp].i = 0;
            } else
              jn_push(e, flat, c);
          }
          r = jn_append(e, r, flat);
        } else if (it)
          jn_push(e, r, it);
      }
    } else if (v && v->t == JT_ARR) {
      for (size_t i = 0; i < v->u.a.n; i++)
        jn_push(e, r, v->u.a.v[i]);
    }
    break;
  }
  case N_DESCENDANT: {
    if (!in) break;
    jv *res = jn_seq(e);
    /* iterative recursion over the structure */
    jv **stk = jn_alloc(e->a, sizeof(jv *) * 64);
    size_t cap = 64, sp = 0;
    stk[sp++] = in;
    /* depth-first, pre-order: emulate recursion with a stack in reverse order
     */
    while (sp) {
      jv *v = stk[--sp];
      if (!v) continue;
      if (v->t != JT_ARR) jn_push(e, res, v);
      size_t cnt = v->t == JT_ARR ? v->u.a.n : v->t == JT_OBJ ? v->u.o->n : 0;
      if (sp + cnt >= cap) {
        size_t nc = (sp + cnt) * 2 + 16;
        jv **ns = jn_alloc(e->a, sizeof(jv *) * nc);
        mcpy(ns, stk, sizeof(jv *) * sp);
        stk = ns;
        cap = nc;
      }
      for (size_t i = cnt; i > 0; i--)
        stk[sp++] = v->t == JT_ARR ? v->u.a.v[i - 1] : v->u.o->v[i - 1];
    }
    r = res->u.a.n == 1 ? res->u.a.v[0] : res;
    break;
  }
  case N_PARENT:
    r = jn_lookup(en, x->pslot->label);
    break;
  case N_CONDITION: {
    jv *c = ev(e, x->cond, in, en);
    if (jn_truthy(c) == 1)
      r = ev(e, x->then, in, en);
    else if (x->els)
      r = ev(e, x->els, in, en);
    break;
  }
  case N_BLOCK: {
    env *fe = jn_env(e, en);
    for (int i = 0; i < x->nitems; i++)
      r = ev(e, x->items[i], in, fe);
    break;
  }
  case N_BIND:
    r = ev(e, x->rhs, in, en);
    jn_bind(e, en, x->lhs->value, r);
    break;
  case N_REGEX: {
    jfn *f = jn_alloc(e->a, sizeof *f);
    f->kind = FK_REGEX;
    f->lam = x;
    r = jn_fnval(e, f);
    break;
  }
  case N_FUNCTION:
    r = eval_function(e, x, in, en, NULL, 0);
    break;
  case N_VARIABLE:
    if (x->vlen == 0)
      r = (in && in->t == JT_ARR && (in->f & JF_OUTER)) ? in->u.a.v[0] : in;
    else
      r = jn_lookup(en, x->value);
    break;
  case N_LAMBDA: {
    jfn *f = jn_alloc(e->a, sizeof *f);
    f->kind = FK_LAMBDA;
    f->lam = x;
    f->input = in;
    f->env = en;
    f->thunk = x->thunk;
    r = jn_fnval(e, f);
    break;
  }
  case N_PARTIAL:
    r = eval_partial(e, x, in, en);
    break;
  case N_APPLY:
    r = eval_apply(e, x, in, en);
    break;
  case N_TRANSFORM: {
    jfn *f = jn_alloc(e->a, sizeof *f);
    f->kind = FK_TRANSFORM;
    f->lam = x;
    f->env = en;
    r = jn_fnval(e, f);
    break;
  }
  case N_SORT:
    r = eval_sort(e, x, in, en);
    break;
  default:
    jn_throw(e, "S0206", x->pos, NULL, NULL, NULL, 0, NULL);
  }
  for (int i = 0; i < x->npreds; i++)
    r = filter(e, x->preds[i].expr, r, en);
  if (x->type != N_PATH && x->type != N_OBJECT && x->grp)
    r = eval_group(e, x->grp, r, en);
  e->depth--;
  if (r && r->t == JT_ARR && (r->f & JF_SEQ) && !(r->f & JF_TUPLES)) {
    if (x->keep_array) r->f |= JF_KEEP;
    if (r->u.a.n == 0)
      r = NULL;
    else if (r->u.a.n == 1 && !(r->f & JF_KEEP))
      r = r->u.a.v[0];
  }
  return r;
}

/* ---------------- signatures */
jsig *jn_sig_parse(jn_arena *a, const char *s, size_t n, int *errpos,
                   char *errcode) {
  jsig *g = jn_alloc(a, sizeof *g);
  size_t i = 1; /* after '<' */
  int prev = -1;
  while (i < n) {
    char c = s[i];
    if (c == ':' || c == '>') break;
    jparam *p = prev >= 0 ? &g->p[prev] : NULL;
    switch (c) {
    case 's':
    case 'n':
    case 'b':
    case 'l':
    case 'o':
      if (g->n >= JN_MAXPARAMS) goto toolong;
      p = &g->p[g->n];
      p->type = c;
      snprintf(p->regex, sizeof p->regex, "[%cm]", c);
      prev = g->n++;
      break;
    case 'a':
    case 'x':
    case 'j':
    case 'f':
      if (g->n >= JN_MAXPARAMS) goto toolong;
      p = &g->p[g->n];
      p->type = c;
      snprintf(p->regex, sizeof p->regex, "%s",
               c == 'a' || c == 'x' ? "[asnblfom]"
               : c == 'j'           ? "[asnblom]"
                                    : "f");
      prev = g->n++;
      break;
    case '-':
      if (p) {
        p->ctx = 1;
        strcat(p->regex, "?");
      }
      break;
    case '?':
    case '+':
      if (p) {
        size_t l = strlen(p->regex);
        p->regex[l] = c;
        p->regex[l + 1] = 0;
      }
      break;
    case '(': {
      const char *end = memchr(s + i, ')', n - i);
      if (!end) goto toolong;
      size_t cl = (size_t)(end - s) - i - 1;
      if (memchr(s + i + 1, '<', cl)) {
        *errpos = (int)i;
        strcpy(errcode, "S0402");
        return NULL;
      }
      if (g->n >= JN_MAXPARAMS || cl > 16) goto toolong;
      p = &g->p[g->n];
      p->type = '(';
      snprintf(p->regex, sizeof p->regex, "[%.*sm]", (int)cl, s + i + 1);
      prev = g->n++;
      i = (size_t)(end - s);
      break;
    }
    case '<': {
      if (!p || (p->type != 'a' && p->type != 'f')) {
        *errpos = (int)i;
        strcpy(errcode, "S0401");
        return NULL;
      }
      int depth = 1;
      size_t j = i + 1;
      for (; j < n && depth; j++) {
        if (s[j] == '<')
          depth++;
        else if (s[j] == '>')
          depth--;
      }
      if (p->type == 'a') p->sub = s[i + 1];
      i = j - 1;
      break;
    }
    default:
      *errpos = (int)i;
      strcpy(errcode, "S0401");
      return NULL;
    }
    i++;
  }
  return g;
toolong: /* more parameters or choices than this implementation keeps */
  *errpos = (int)i;
  strcpy(errcode, "S0401");
  return NULL;
}

/* ---------------- the whole-expression fast path
 *
 * An expression that is only $v.a.b... (a variable, then name steps, with
 * nothing else on the path: no predicate, stage, binding, sort, group or
 * [] anywhere) is evaluated on the cJSON of the binding without an arena:
 * while each step meets an object, the step is the member lookup; the
 * value reached is the result, duplicated. Whatever the walk does not
 * cover (no such binding, an array before the last step, a value with
 * duplicate keys, a non-finite number or a big object, which the
 * evaluator's conversion treats its own way) goes to the evaluator, so
 * the result is always the evaluator's. */
static int simple_path(const node *x) {
  if (x->type != N_PATH || x->nitems < 2 || x->npreds || x->grp ||
      x->keep_singleton || x->keep_array || x->tuple || x->nstages)
    return 0;
  if (!plain_step(x->items[0], N_VARIABLE) || x->items[0]->vlen == 0)
    return 0;
  for (int i = 1; i < x->nitems; i++)
    if (!plain_step(x->items[i], N_NAME)) return 0;
  return 1;
}

/* Whether v converts to the evaluator's value and back to a cJSON equal to
 * cJSON_Duplicate(v): no duplicate keys (a converted object keeps one), no
 * non-finite number (an error as a result), nothing but JSON types; objects
 * of at most 32 members (the duplicate test is quadratic). */
static int plain_json(const cJSON *v) {
  if (cJSON_IsNumber(v)) return isfinite(v->valuedouble);
  if (cJSON_IsString(v)) return v->valuestring != NULL;
  if (cJSON_IsNull(v) || cJSON_IsBool(v)) return 1;
  if (cJSON_IsArray(v)) {
    for (const cJSON *c = v->child; c; c = c->next)
      if (!plain_json(c)) return 0;
    return 1;
  }
  if (!cJSON_IsObject(v)) return 0;
  int n = 0;
  for (const cJSON *c = v->child; c; c = c->next, n++) {
    if (n >= 32 || !c->string || !plain_json(c)) return 0;
    for (const cJSON *d = v->child; d != c; d = d->next)
      if (strcmp(d->string, c->string) == 0) return 0;
  }
  return 1;
}

/* 1 when done (*out the result, NULL for undefined), 0: use the evaluator */
static int eval_simple(const node *x, const cJSON *bindings, cJSON **out) {
  node *v = x->items[0];
  if (!bindings || !cJSON_IsObject(bindings)) return 0;
  const cJSON *c = cj_member(bindings, v->value, v->vlen);
  if (!c) return 0; /* a builtin's name, or nothing */
  *out = NULL;
  for (int i = 1; i < x->nitems; i++) {
    if (cJSON_IsArray(c)) return 0; /* a step over an array maps */
    if (!cJSON_IsObject(c)) return 1; /* a name of a scalar: undefined */
    c = cj_member(c, x->items[i]->value, x->items[i]->vlen);
    if (!c) return 1;
  }
  if (!plain_json(c)) return 0;
  *out = cJSON_Duplicate(c, 1);
  if (!*out) abort();
  return 1;
}

/* ---------------- public API */
jsonata *jsonata_compile(const char *text, jsonata_error *err) {
  jsonata_error dummy;
  if (!err) err = &dummy;
  memset(err, 0, sizeof *err);
  jn_builtins_init();
  jsonata *j = calloc(1, sizeof *j);
  if (!j) return NULL;
  j->ast = jn_parse(&j->a, text, err);
  if (!j->ast) {
    jn_arena_free(&j->a);
    free(j);
    return NULL;
  }
  j->simple = simple_path(j->ast);
  return j;
}

void jsonata_free(jsonata *j) {
  if (!j) return;
  jn_arena_free(&j->a);
  free(j);
}

/* Binds $ to in and the members of bindings in root, unconverted until
 * read (env_find_src); their names are the caller's, which outlive the
 * evaluation. */
static void bind_lazy(E *e, env *root, jv *in, const cJSON *bindings) {
  int nb = 0;
  for (cJSON *b = bindings ? bindings->child : NULL; b; b = b->next)
    nb++;
  root->cap = nb + 4;
  root->names = jn_alloc(e->a, sizeof *root->names * (size_t)root->cap);
  root->vals = jn_alloc(e->a, sizeof *root->vals * (size_t)root->cap);
  root->src = jn_alloc(e->a, sizeof *root->src * (size_t)(nb + 1));
  root->lazy = e;
  jn_bind(e, root, "$", in);
  root->nsrc = 1;
  for (cJSON *b = bindings ? bindings->child : NULL; b; b = b->next)
    if (b->string) {
      /* a later duplicate name wins, as jn_bind's overwrite did */
      int i = 0;
      while (i < root->n && strcmp(root->names[i], b->string))
        i++;
      if (i == root->n) {
        root->names[root->n++] = b->string;
        root->nsrc = root->n;
      }
      root->vals[i] = NULL;
      root->src[i] = b;
    }
}

static void eval_body(E *e, const jsonata *j, const cJSON *input,
                      const cJSON *bindings, cJSON **out) {
  jv *in = jn_from_cjson(e, input);
  if (in && in->t == JT_ARR) {
    jv *w = jn_seq(e);
    jn_push(e, w, in);
    w->f |= JF_OUTER;
    in = w;
  }
  env *root = jn_env(e, NULL);
  if (e->full) { /* the reference: everything converted now */
    jn_bind(e, root, "$", in);
    for (cJSON *b = bindings ? bindings->child : NULL; b; b = b->next)
      if (b->string) jn_bind(e, root, b->string, jn_from_cjson(e, b));
  } else
    bind_lazy(e, root, in, bindings);
  e->root = in;
  jv *r = ev(e, j->ast, in, root);
  if (r && r->t == JT_ARR && (r->f & JF_SEQ) && r->u.a.n == 0) r = NULL;
  if (r && r->t == JT_NUM && !isfinite(r->u.n))
    jn_throw(e, "D1001", 0, NULL, r, NULL, 0, NULL);
  if (r && r->t == JT_FN) {
    e->err->function = 1;
    r = NULL;
  }
  *out = jn_to_cjson(r);
}

static int eval_guarded(E *e, const jsonata *j, const cJSON *input,
                        const cJSON *bindings, cJSON **out) {
  if (setjmp(e->jb)) return -1;
  eval_body(e, j, input, bindings, out);
  return 0;
}

cJSON *jsonata_evaluate(const jsonata *j, const cJSON *input,
                        const cJSON *bindings, const jsonata_limits *limits,
                        jsonata_error *err) {
  jsonata_error dummy;
  if (!err) err = &dummy;
  memset(err, 0, sizeof *err);
  cJSON *out = NULL;
  if (j->simple && !(limits && limits->full) &&
      eval_simple(j->ast, bindings, &out))
    return out;
  /* the first 16 KiB of the evaluation's arena are on the stack: most
   * evaluations never call malloc */
  _Alignas(16) char first[16384];
  jn_arena a = {0};
  a.p = first;
  a.end = first + sizeof first;
  a.next = 16384;
  E e;
  memset(&e, 0, sizeof e);
  e.a = &a;
  e.err = err;
  e.maxdepth = limits && limits->depth > 0 ? limits->depth : 3000;
  e.time_ms = limits ? limits->time_ms : 0;
  e.full = limits && limits->full;
  if (e.time_ms > 0) clock_gettime(CLOCK_MONOTONIC, &e.t0);
  if (eval_guarded(&e, j, input, bindings, &out) < 0) {
    out = NULL;
    if (!err->code[0]) strcpy(err->code, "U1001");
  }
  jn_arena_free(&a);
  return out;
}
