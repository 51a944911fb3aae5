/* machine.h: the compiled machine and the contract between engine/ and the
 * state types in states/ (SQLite's *Int.h: shared inside, never by cli/,
 * web/ or deploy/).
 *
 * A machine is immutable once loaded. Each state is compiled by the loader
 * (common fields: Next/End, paths, templates, Assign) and then by its type's
 * asl_state_ops.compile (type-specific fields into st->data). At run time the
 * executor drives the data-flow pipeline and calls ops.run for the state's
 * own work. */
#ifndef ASL_MACHINE_H
#define ASL_MACHINE_H

#include "asl.h"
#include "path.h"
#include "template.h"

typedef struct asl_state asl_state;
typedef struct asl_graph asl_graph;
typedef struct asl_exec asl_exec;

enum { ASL_QL_JSONPATH = 0, ASL_QL_JSONATA = 1 };

/* A field given as a path, or "null" (the ASL meaning of null differs per
 * field: InputPath null is {}, ResultPath null discards the result, ...). */
typedef struct asl_opt_path {
  int present; /* the field was written */
  int is_null; /* it was written as null */
  asl_path *path;
} asl_opt_path;

/* A state graph: the top level, a Parallel branch or a Map processor. */
struct asl_graph {
  asl_state *states; /* in definition order */
  size_t n;
  int start; /* index of StartAt */
  int query_lang;
  const char *loc; /* JSON Pointer of the graph's "States" parent */
  int *slots;      /* name hash table: state index + 1, 0 = empty */
  size_t nslots;   /* a power of two, > 2n */
};

/* Index of the state called name in g, or -1. */
int asl_graph_find(const asl_graph *g, const char *name);

/* What a state's own work decided (filled by ops.run). */
typedef struct asl_step {
  cJSON *result;     /* the state's result (owned), before ResultSelector */
  int next;          /* override of the next state, -1: st->next */
  double wait_until; /* > 0: sleep until this epoch time before exiting */
  int end;           /* 1: Succeed: the execution ends with the output */
  int fail;          /* 1: Fail state: err holds error and cause */
  int skip_result;   /* 1: no result: output is the effective input (Choice,
                        Wait, Succeed) and ResultPath does not apply */
  const asl_template *assign; /* replaces the state's Assign (Choice rule) */
} asl_step;

/* How the executor drives a state type: simple states do their work in
 * ops.run; Task, Parallel and Map are driven by the executor itself from the
 * spec their compile step fills in (st->data). */
enum { ASL_KIND_SIMPLE, ASL_KIND_TASK, ASL_KIND_PARALLEL, ASL_KIND_MAP };

typedef struct asl_state_ops {
  const char *type; /* "Pass" */
  int kind;         /* ASL_KIND_* */
  unsigned fields;  /* ASL_F_* common fields allowed */
  const char *const *extra; /* type-specific fields, NULL-terminated */
  /* Compiles type-specific fields of def (borrowed; lives as long as the
   * machine) into st->data. Reports problems to d; returns -1 on any. */
  int (*compile)(asl_state *st, const cJSON *def, asl_diags *d);
  /* Does the state's own work on the effective input (after InputPath and
   * Parameters) in scope s. Returns -1 with err set on a runtime error. */
  int (*run)(const asl_state *st, const cJSON *input, const asl_scope *s,
             double now, asl_step *out, asl_error *err);
  void (*free)(asl_state *st);
} asl_state_ops;

/* Common fields, for asl_state_ops.fields */
#define ASL_F_NEXT (1u << 0) /* Next and End */
#define ASL_F_INPUTPATH (1u << 1)
#define ASL_F_OUTPUTPATH (1u << 2)
#define ASL_F_RESULTPATH (1u << 3)
#define ASL_F_PARAMETERS (1u << 4)
#define ASL_F_RESULTSELECTOR (1u << 5)
#define ASL_F_RETRY (1u << 6) /* Retry and Catch */
#define ASL_F_ASSIGN (1u << 7)
#define ASL_F_OUTPUT (1u << 8)    /* JSONata Output */
#define ASL_F_ARGUMENTS (1u << 9) /* JSONata Arguments */

struct asl_state {
  char *name;
  char *loc; /* "/States/Name" (nested: ".../Branches/0/States/Name") */
  const asl_state_ops *ops;
  const cJSON *def; /* the state's definition object (machine-owned) */
  int query_lang;
  const char *machine_type;        /* "STANDARD" or "EXPRESS" */
  const asl_graph *graph;          /* the graph the state belongs to */
  size_t graph_index, graph_size; /* place in the graph's states array */
  int next; /* index in the graph, -1 when End or none */
  int end;
  asl_opt_path input_path, output_path, result_path;
  asl_template *parameters, *result_selector, *assign;
  struct asl_retry *retry; /* Retry and Catch (Task, Parallel, Map) */
  /* JSONata states: every "{% ... %}" string of the definition (outside
   * nested Branches and ItemProcessor), compiled once at load; see
   * asl_state_jsonata. */
  struct asl_jexpr *jexprs;
  size_t n_jexprs;
  /* 1: no expression of the state can read $states.context (see
   * jreads_context), so its evaluations are given $states without it */
  int jno_context;
  char *ev_entered, *ev_exited; /* "PassStateEntered", "PassStateExited" */
  void *data; /* type-specific, owned by ops */
};

/* A compiled "{% ... %}" string: node is the cJSON string in the
 * machine-owned definition, text the expression between the delimiters. */
typedef struct asl_jexpr {
  const cJSON *node;
  struct jsonata *expr;
  int borrowed; /* expr is an earlier state's of the same graph, the same
                 * text compiled once (compiled expressions are read-only):
                 * that state frees it */
} asl_jexpr;

/* The compiled expression of the definition string node of st, or NULL when
 * node is not a "{% ... %}" string of st. */
const struct jsonata *asl_state_jsonata(const asl_state *st, const cJSON *node);

/* st->data of a Task. */
typedef struct asl_task_spec {
  const char *resource;
  const struct asl_task_ops *ops; /* NULL: no integration serves it */
  const char *rtype, *rname;      /* for history events */
  char *rtype_own, *rname_own;    /* ... when taken from the ARN */
  int lambda_events;
  int callback; /* ".waitForTaskToken": waits for its token after the call */
  int activity; /* an activity ARN: waits for a worker and its token */
  long long timeout, heartbeat;   /* seconds; 0: none */
  asl_opt_path timeout_path, heartbeat_path;
} asl_task_spec;

/* st->data of a Parallel. */
typedef struct asl_parallel_spec {
  asl_graph *branches;
  size_t n;
} asl_parallel_spec;

/* st->data of a Map. Its item selector is ItemSelector, or the legacy
 * Parameters (st->parameters), which the executor then applies per item and
 * not to the state's input. */
typedef struct asl_map_spec {
  asl_graph g;
  int has_graph;
  int distributed;
  int child_express; /* ProcessorConfig ExecutionType EXPRESS */
  asl_opt_path items_path;
  asl_template *item_selector;
  long long max_conc;
  asl_opt_path max_conc_path;
  double tol_pct;
  int has_tol_pct;
  asl_opt_path tol_pct_path;
  long long tol_count;
  int has_tol_count;
  asl_opt_path tol_count_path;
} asl_map_spec;

struct asl_machine {
  cJSON *def; /* owned copy of the definition */
  asl_graph top;
  char *name, *arn, *type, *role_arn;
  long long timeout_seconds; /* 0: none */
};

/* The registry of state types, defined in states/registry.c. */
extern const asl_state_ops *const asl_state_types[];

/* Compiles the graph in obj ({"StartAt","States",...}) at JSON Pointer loc;
 * used for the top level and, by Map and Parallel, for nested graphs. */
int asl_graph_compile(asl_graph *g, const cJSON *obj, const char *loc,
                      int query_lang, const asl_load_opts *o, asl_diags *d);
void asl_graph_free(asl_graph *g);

/* "/States/A" + "Next" -> "/States/A/Next" (JSON Pointer escaping). */
char *asl_loc_join(const char *loc, const char *field);

/* Compiles a path field of a state: reports AWS's diagnostic on error. */
int asl_compile_opt_path(asl_opt_path *p, const cJSON *def, const char *field,
                         const char *loc, int flags, asl_diags *d);

/* Reads an integer field (>= min); 0 when absent. */
int asl_compile_int(const cJSON *def, const char *field, const char *loc,
                    long long min, long long *out, int *present,
                    asl_diags *d);

#endif
