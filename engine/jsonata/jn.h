/* jn.h: JSONata internals shared by the parser, evaluator and library.
 * Not for use outside engine/jsonata/. */
#ifndef ASL_JN_H
#define ASL_JN_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "jsonata.h"

/* ---- arena: everything of one compilation or evaluation, freed at once */
typedef struct jn_block jn_block;
typedef struct {
  jn_block *head;
  char *p, *end;
  size_t next; /* the next block's size (doubles up to 64 KiB) */
  /* PCRE2 objects to free with the arena */
  pcre2_code **codes;
  size_t ncodes, capcodes;
} jn_arena;
void *jn_alloc(jn_arena *a, size_t n);
/* uninitialised: for big arrays the caller fills at once */
void *jn_alloc_raw(jn_arena *a, size_t n);
void jn_arena_free(jn_arena *a);
char *jn_strndup(jn_arena *a, const char *s, size_t n);
void jn_arena_code(jn_arena *a, pcre2_code *c);

/* ---- values: NULL is undefined */
enum { JT_NULL = 1, JT_BOOL, JT_NUM, JT_STR, JT_ARR, JT_OBJ, JT_FN, JT_TUPLE };
enum { JF_SEQ = 1, JF_KEEP = 2, JF_CONS = 4, JF_OUTER = 8, JF_TUPLES = 16 };
typedef struct jv jv;
typedef struct jfn jfn;
typedef struct jobj jobj;
typedef struct jtuple jtuple;
struct jv {
  uint8_t t, f;
  union {
    int b;
    double n;
    struct {
      const char *p;
      size_t n;
    } s;
    struct {
      jv **v;
      size_t n, cap;
    } a;
    jobj *o;
    jfn *fn;
    jtuple *tp;
  } u;
};
struct jobj {
  size_t n, cap;
  const char **k;
  size_t *kl;
  jv **v;
  uint32_t *idx; /* open addressing over 2*cap slots (index+1), or NULL */
  size_t idxcap;
};
/* A tuple of a tuple stream: the context value '@' and variable bindings. */
struct jtuple {
  jv *at;
  int n;
  const char **names;
  jv **vals;
};

/* ---- AST */
typedef struct node node;
typedef struct slot {
  char label[16];
  int level, index;
} slot;
enum {
  N_PATH = 1,
  N_BINARY,
  N_UNARY,
  N_NAME,
  N_STRING,
  N_NUMBER,
  N_VALUE,
  N_WILDCARD,
  N_DESCENDANT,
  N_PARENT,
  N_CONDITION,
  N_BLOCK,
  N_BIND,
  N_REGEX,
  N_FUNCTION,
  N_VARIABLE,
  N_LAMBDA,
  N_PARTIAL,
  N_APPLY,
  N_TRANSFORM,
  N_SORT,
  N_OPERATOR,
  N_ARRAY,
  N_OBJECT,
  N_GROUPBY_RAW
};
typedef struct jsig jsig;
typedef struct {
  int type; /* 'f' filter, 'i' index */
  node *expr;
  const char *var;
  int pos;
} stage;
typedef struct {
  node *expr;
  int desc;
} sortterm;
typedef struct {
  node **k, **v;
  int n;
  int pos;
} group;
struct node {
  int type;
  int pos;
  const char *value; /* operator, name, variable, string literal */
  size_t vlen;
  double num;
  int vkind; /* N_VALUE: 0 null, 1 true, 2 false */
  node *lhs, *rhs, *expr;
  node **items; /* path steps, block/array items, args */
  int nitems;
  node *cond, *then, *els;
  node *pattern, *update, *del;
  /* paths and steps */
  stage *stages;
  int nstages;
  stage *preds;
  int npreds;
  group *grp;
  sortterm *terms;
  int nterms;
  const char *focus, *index;
  slot *ancestor;
  slot *pslot; /* N_PARENT */
  slot **seeking;
  int nseeking;
  unsigned keep_array : 1, keep_singleton : 1, consarray : 1, tuple : 1,
      thunk : 1, tuple_path : 1;
  /* lambdas */
  const char **params;
  int nparams;
  jsig *sig;
  node *body;
  /* regex */
  pcre2_code *re;
  int re_global;
  const char *re_src;
  /* function call name (for messages) */
  const char *fname;
};

/* ---- signatures */
typedef struct {
  char type; /* b n s l o a f j x ( */
  char sub;  /* a<x>: item type, 0 none */
  int ctx;   /* '-' */
  char regex[24];
} jparam;
#define JN_MAXPARAMS 64
struct jsig {
  jparam p[JN_MAXPARAMS];
  int n;
  pcre2_code *re;
};
jsig *jn_sig_parse(jn_arena *a, const char *s, size_t n, int *errpos,
                   char *errcode);

/* ---- environment */
typedef struct env env;
struct env {
  env *parent;
  int n, cap;
  const char **names;
  jv **vals;
  /* The root environment's bindings arrive as cJSON and are converted only
   * when read (most expressions read one of several variables, and a path
   * such as $states.input.a only the member it reaches): for i < nsrc,
   * src[i] non-NULL means vals[i] is not converted yet. lazy is the
   * evaluation that converts them. */
  const cJSON **src;
  int nsrc;
  struct E *lazy;
};

typedef struct E E;
typedef jv *(*jbuiltin_fn)(E *e, jv **args, int n, jv *input, env *en);
typedef struct {
  const char *name;
  const char *sig;
  jbuiltin_fn fn;
  jsig *csig;
} jbuiltin;

enum {
  FK_BUILTIN = 1,
  FK_LAMBDA,
  FK_PARTIAL,
  FK_REGEX,
  FK_TRANSFORM,
  FK_CHAIN
};
struct jfn {
  int kind;
  const jbuiltin *bi;
  node *lam; /* FK_LAMBDA: the lambda node; FK_REGEX: the regex; FK_TRANSFORM */
  jv *input;
  env *env;
  jv *base;   /* partial: the function; chain: first */
  jv *second; /* chain: second */
  jv **args;  /* partial: bound args, NULL slot = placeholder */
  int nargs;
  int holes; /* partial: placeholders */
  unsigned thunk : 1;
  const char **params; /* partially applied lambda's remaining params */
  int nparams;
  env *penv;
};

/* ---- evaluation context */
struct E {
  jn_arena *a;
  jmp_buf jb;
  jsonata_error *err;
  int depth, maxdepth;
  long time_ms;
  struct timespec t0;
  unsigned long ticks;
  int full;      /* jsonata_limits.full: bindings converted at the start */
  double now_ms; /* $now/$millis: fixed per evaluation (jn_now_ms) */
  int now_set;
  jv *root;
  const char *fname; /* the function being applied: default error token */
  int fpos;
};

/* throw: fills the error from a jsonata-js template ({{token}}, {{value}},
 * {{value2}}, {{index}}, {{type}}, {{{message}}}) and longjmps out */
_Noreturn void jn_throw(E *e, const char *code, int pos, const char *token,
                        jv *value, jv *value2, int index, const char *extra);
_Noreturn void jn_throw_msg(E *e, const char *code, int pos, const char *msg);

/* a double as an index or count in [lo, hi] (NaN: lo), never UB */
static inline double jn_clamp(double d, double lo, double hi) {
  return d != d ? lo : d < lo ? lo : d > hi ? hi : d;
}

/* The evaluation's clock for $now and $millis: read at the first call,
 * the same for the rest of the evaluation. */
double jn_now_ms(E *e);

/* counts work and checks the time limit now and then (U1001) */
void jn_tick(E *e);

/* values */
extern jv jn_true, jn_false, jn_null;
jv *jn_num(E *e, double d);
jv *jn_str(E *e, const char *s, size_t n);
jv *jn_cstr(E *e, const char *s);
jv *jn_arr(E *e, size_t cap);
jv *jn_seq(E *e);
void jn_push(E *e, jv *arr, jv *v);
jv *jn_obj(E *e);
jv *jn_oget(const jv *o, const char *k, size_t kl);
void jn_oset(E *e, jv *o, const char *k, size_t kl, jv *v);
void jn_odel(jv *o, const char *k, size_t kl);
jv *jn_fnval(E *e, jfn *f);
int jn_is_fn(const jv *v);
int jn_is_arr(const jv *v);
int jn_truthy(jv *v); /* $boolean: -1 undefined, 0 false, 1 true */
int jn_deep_eq(jv *a, jv *b);
jv *jn_append(E *e, jv *a, jv *b);
jv *jn_from_cjson(E *e, const cJSON *c);
cJSON *jn_to_cjson(jv *v);
jv *jn_clone(E *e, jv *v);
/* $string (JSON with toPrecision(15) numbers) into a growing buffer */
typedef struct {
  char *p;
  size_t n, cap;
  E *e;
} jbuf;
void jb_put(jbuf *b, const char *s, size_t n);
void jb_putc(jbuf *b, char c);
void jb_puts(jbuf *b, const char *s);
void jn_stringify(E *e, jbuf *b, jv *v, int pretty, int prec15);
jv *jn_string(E *e, jv *v); /* $string semantics */
void jn_numfmt(double d, char *buf);
double jn_prec15(double d);
int jn_is_int(double d);

/* strings: UTF-16 code unit counts over UTF-8 */
size_t jn_u16len(const char *s, size_t n);

/* evaluator entry points for the library */
jv *jn_apply(E *e, jv *fn, jv **args, int n, jv *input, env *en);
int jn_arity(jv *fn);
jv *jn_lookup(env *en, const char *name);
void jn_bind(E *e, env *en, const char *name, jv *v);
env *jn_env(E *e, env *parent);
const jbuiltin *jn_builtin(const char *name);
jv *jn_builtin_val(const char *name);
void jn_builtins_init(void);

/* regex match as JSONata's matcher objects: returns 1 and sets start/end
 * (bytes) and groups, 0 none */
jv *jn_regex_match(E *e, jv *re, const char *s, size_t n, size_t from,
                   size_t *ms, size_t *me);
jv *jn_sort(E *e, jv *arr, jv *cmpfn, env *en);

/* parser */
node *jn_parse(jn_arena *a, const char *text, jsonata_error *err);
pcre2_code *jn_regex_compile(const char *src, size_t n, const char *flags,
                             int *err);

/* datetime & formatting (format.c) */
jv *jn_fn_fromMillis(E *e, jv **args, int n, jv *input, env *en);
jv *jn_fn_toMillis(E *e, jv **args, int n, jv *input, env *en);
jv *jn_fn_formatNumber(E *e, jv **args, int n, jv *input, env *en);
jv *jn_fn_formatInteger(E *e, jv **args, int n, jv *input, env *en);
jv *jn_fn_parseInteger(E *e, jv **args, int n, jv *input, env *en);
jv *jn_fn_now(E *e, jv **args, int n, jv *input, env *en);

#endif
