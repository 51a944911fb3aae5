/* exec_int.h: the executor's private structures, shared by exec.c (frames,
 * scheduler, pipeline, simple states), exec_task.c (Task states and worker
 * threads) and exec_map.c (Parallel and Map). Nothing outside engine/
 * includes this.
 *
 * An execution is a tree of frames. A frame runs one graph (the top level, a
 * Parallel branch, a Map iteration) one state at a time. The scheduler keeps
 * a FIFO of ready frames and a list of sleeping ones; a frame that waits for
 * a timer, a task or its children is in neither, and is woken by whatever
 * it waits for. Only the scheduler thread touches frames; worker threads
 * touch their job and the completion queue only. */
#ifndef ASL_EXEC_INT_H
#define ASL_EXEC_INT_H

#include <pthread.h>

#include "exec.h"
#include "machine.h"
#include "retry.h"
#include "task.h"

typedef struct frame frame;
typedef struct task_job task_job;

/* A distributed Map's item run as a child execution with a history of its
 * own (ItemProcessor ExecutionType STANDARD): its events go to the sink's
 * child_event with ids from 1, not to the parent's history. Owned by the
 * item's frame; the frames below it share it. */
typedef struct child_exec {
  char *name, *arn;
  int last_id;
} child_exec;

enum {
  PH_READY,    /* will run its state's next step when scheduled */
  PH_TIMER,    /* sleeping until wake (Wait state, retry back-off) */
  PH_TASK,     /* waiting for a task job */
  PH_CHILDREN, /* waiting for Parallel branches or Map iterations */
  PH_DONE
};

/* What a frame does when it next runs. */
enum {
  ST_ENTER,  /* enter cur: Entered event, InputPath, Parameters, work */
  ST_WAITED, /* a Wait state's timer fired: exit the state */
  ST_RETRY   /* a back-off fired: run the state's work again */
};

struct frame {
  asl_exec *x;
  const asl_graph *g;
  frame *parent; /* NULL for the top frame */
  size_t slot;   /* branch or item index in the parent */
  int cur;       /* current state index */
  int step;      /* ST_* */
  int phase;     /* PH_* */
  double wake;
  cJSON *input;  /* raw input of the current state */
  size_t in_bound; /* an upper bound of input's printed size, 0 unknown */
  cJSON *eff;    /* effective input (after InputPath, Parameters) */
  int eff_borrowed; /* eff is input itself (no InputPath nor Parameters) */
  cJSON *vars;   /* this frame's variables (object) */
  int last;      /* last event id of this frame's chain */
  int entered_id;
  int quiet;     /* no history events (a distributed Map's children) */
  child_exec *child; /* whose history this frame writes to, or NULL */
  int input_blob; /* input was written as blob "v<n>" (0: not): while it
                     stays the same, checkpoints name it */
  int items_blob; /* the same for a Map's items */
  int map_seq;    /* a Map run: its results are blobs "r<map_seq>.<i>" */
  char *task_token; /* a Task that waits for a token: its $$.Task.Token */
  char *eval_loc;    /* JSONata: the field whose evaluation failed, for the
                        EvaluationFailed event; NULL: none */
  int entered_prev;  /* previousEventId of the state's Entered event */
  int owns_child;    /* f is the child execution's top frame */
  double entered_time;
  int *retry_counts;
  /* a Wait in progress */
  cJSON *pending_output, *pending_assigned;
  int pending_next;
  /* a Task in progress */
  task_job *job;
  /* Parallel and Map in progress */
  frame **kids;
  size_t nkids, launched, finished, nfailed;
  cJSON **resv;   /* one result per child, in child order */
  cJSON *items;   /* Map: the items, when a copy had to be made */
  const cJSON *items_ro; /* Map: the items (f->items, or inside f->eff) */
  const cJSON **itemv; /* Map: the items by index */
  char *map_run;   /* distributed Map: the map run's ARN */
  int launch_prev; /* Map: previousEventId of the next MapIterationStarted */
  long long max_conc;
  double tolerated_pct;
  long long tolerated_count;
  int has_tolerance;
  asl_error kid_err;   /* the first child failure */
  int kids_last;       /* last event id among the children's chains */
  /* Map iteration: $$.Map.Item */
  const cJSON *item_value;
  long long item_index;
  int is_item;
  /* Map: the item whose selector is being evaluated, for $$.Map.Item */
  const cJSON *sel_value;
  long long sel_index;
  int sel_set;
  unsigned long ctx_gen; /* changes whenever f's view of "$$" does */
  /* outcome */
  int failed;
  cJSON *output;
  asl_error err;
  /* scheduler links */
  frame *next_ready;
  int queued;
  int in_sleepers; /* in x->sleepers (once at most) */
  int aborted;
  int rerun_task; /* resumed with a Task whose outcome was not recorded */
};

struct task_job {
  /* filled by the scheduler thread before the job starts */
  asl_exec *x;
  const asl_task_ops *ops;
  asl_task_req req;
  char *resource;
  cJSON *params;
  cJSON *bindings_ref;
  cJSON *context;
  /* filled by the worker */
  cJSON *out;
  cJSON *submitted; /* a .sync call's start response (req.submitted) */
  asl_error err;
  int rc;
  /* bookkeeping */
  frame *f; /* NULL once the frame gave up on it (timeout, abort) */
  task_job *next_done;
  int timed_out;
  /* a Task that waits for a token (.waitForTaskToken, an activity): see
   * live.c. The fields under "registry" are the registry's, read and
   * written under its lock; the rest the scheduler thread's. */
  char *token;      /* the task token, when the Task waits for one */
  int waits;        /* 1: completes by token (after its submit, if any) */
  int activity;     /* an activity task (ActivityScheduled...) */
  int stage;        /* JOB_SUBMIT: the submit call's outcome is in
                       rc/out/err; JOB_TOKEN: the token's in cb_* */
  double hb_since;  /* execution time the heartbeat clock started */
  long long hb_seconds; /* HeartbeatSeconds[Path], 0: none */
  int started_sent; /* ActivityStarted written */
  int submitting;   /* its submit call runs on a worker thread */
  task_job *next_parked; /* x->parked_jobs (scheduler thread) */
  /* registry */
  int registered;   /* its token is in the registry */
  int parked;       /* submitted: a token outcome goes to the done list */
  int cb_done;      /* an outcome arrived while the submit was running */
  int cb_rc;
  cJSON *cb_out;
  asl_error cb_err;
  double heartbeat_at; /* real time of the last heartbeat, 0: none */
  int polled;       /* an activity worker has it */
  char *worker;     /* ... its name */
  char *input_text; /* an activity's input, for the worker */
};

enum { JOB_SUBMIT, JOB_TOKEN };

struct asl_exec {
  const asl_machine *m;
  asl_run_opts o;
  double now, start;
  char *name, *arn;
  cJSON *input;
  cJSON *context; /* shared; State and Map are filled in for one frame at
                     a time, when a path reads "$$" (exec_context) */
  frame *ctx_frame;       /* whose view the context shows, or NULL */
  unsigned long ctx_gen;  /* ... at which of its generations */
  unsigned long gen;      /* generation counter */
  cJSON *history;  /* events kept for the result, or NULL */
  int want_events; /* build event details: history kept, or a sink */
  int last_id;
  frame *top;
  /* scheduler */
  frame *ready_head, *ready_tail;
  frame **sleepers;
  size_t nsleep, capsleep;
  int inflight; /* task jobs running on workers */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  task_job *done_head; /* completed jobs (guarded by mu) */
  /* outcome */
  int done;
  char *status, *error, *cause;
  cJSON *output;
  uint64_t rng;
  long long events; /* counted even when history is not kept */
  long long child_events; /* events of distributed Maps' child executions */
  int want_child_events;  /* the sink records child executions */
  int freeing;            /* asl_exec_free: no more events */
  int parked;             /* jobs waiting for a token (guarded by mu) */
  task_job *parked_jobs;  /* the same, for the scheduler's own use */
  int notes;              /* an activity was polled (guarded by mu) */
  int stop_requested;     /* StopExecution (guarded by mu) */
  char *stop_error, *stop_cause;
  int live;               /* registered in live.c */
  int blob_seq;           /* the last blob number given out */
  int input_blob;         /* x->input's blob, or 0 */
  long long steps;  /* since the last tick */
  int express;      /* an EXPRESS execution */
  int max_conc_threads;
};

/* exec.c */
int exec_event(asl_exec *x, frame *f, const char *type, const char *key,
               cJSON *det, int prev);
void exec_payload(cJSON *det, const char *name, const cJSON *v);
/* Makes Map item frame k (its input set) a child execution of the map run
 * map_run, and writes the child's ExecutionStarted. */
void exec_child_start(frame *k, const char *map_run, size_t index);
/* Writes the end of child execution k (when k owns one): how is
 * "ExecutionSucceeded" (k->output), "ExecutionFailed" (k->err) or
 * "ExecutionAborted". Nothing while the execution is being freed. */
void exec_child_end(frame *k, const char *how);
void exec_ready(asl_exec *x, frame *f);
void exec_sleep(asl_exec *x, frame *f, double until);
asl_scope exec_scope(frame *f, const cJSON *input);
void exec_activate(frame *f);
frame *exec_frame_new(asl_exec *x, const asl_graph *g, frame *parent,
                      size_t slot, cJSON *input_take);
void exec_frame_free(frame *f);
/* The state's work failed with err: retry, catch, or fail the frame. When
 * it is not retried, fail_type (if not NULL) is first written as an event
 * with previousEventId fail_prev (MapStateFailed, ParallelStateFailed). */
void exec_state_error(frame *f, asl_error *err, const char *fail_type,
                      int fail_prev);
/* The state's work produced result (taken): finish the pipeline and exit. */
void exec_state_result(frame *f, cJSON *result);
/* Prefixes a runtime error with AWS's "An error occurred while executing the
 * state ..." text. */
void exec_prefix_error(frame *f, asl_error *err);
/* JSONata mode (exec.c): the bindings of an evaluation in f ($states with
 * input, context and, when not NULL, result and errorOutput; the variables
 * in scope), by reference: delete them before the values change. */
cJSON *exec_jbindings(frame *f, const cJSON *input, const cJSON *result,
                      const cJSON *error_output);
/* Evaluates template node of st's definition (field: "Items",
 * "Output/a") into *out; -1 with States.QueryEvaluationError (and
 * f->eval_loc) when an expression fails or is undefined. */
int exec_jeval(frame *f, const asl_state *st, const cJSON *node,
               const char *field, const cJSON *bind, cJSON **out,
               asl_error *err);
/* Writes the EvaluationFailed event of the JSONata evaluation that failed
 * with err (already prefixed), when f->eval_loc says one did. */
void exec_eval_failed(frame *f, const asl_error *err);
/* Sets AWS's "returned an unexpected result type" error for expression
 * node's value v (want: "array", ...); returns -1. */
int exec_junexpected(frame *f, const cJSON *node, const char *field,
                     const char *want, const cJSON *v, asl_error *err);
double exec_real_now(void);
uint64_t exec_rand(void *ud);

/* A new execution without its first event or frame (exec_ckpt.c builds
 * those of a resumed one). Takes input. */
asl_exec *exec_new(const asl_machine *m, cJSON *input, const asl_run_opts *o);

/* exec_ckpt.c */
cJSON *exec_checkpoint(asl_exec *x);
asl_exec *exec_restore(const asl_machine *m, const cJSON *ck,
                       const asl_run_opts *o, char **msg);

/* exec_task.c */
void exec_task_start(frame *f);
void exec_task_complete(asl_exec *x, task_job *j);
void exec_task_timeout(frame *f);
void exec_task_abandon(frame *f);
/* A resumed Task that was waiting for its token (f->task_token): waits
 * again without calling anything; worker: the activity worker that had it
 * (NULL: offered to pollers again); started_sent: ActivityStarted is in
 * the history; hb_since: when its heartbeat clock started. */
void exec_task_await_again(frame *f, const char *worker, int started_sent,
                           double hb_since);
/* ActivityStarted for every parked activity a worker has polled. */
void exec_task_notes(asl_exec *x);

/* live.c: tokens, activity queues and StopExecution, across threads. */
void live_exec_add(asl_exec *x);
void live_exec_remove(asl_exec *x);
/* Registers j's token (j->token set). parked: the Task has no submit call
 * to wait for. An activity's input_text is offered to pollers. */
void live_register(asl_exec *x, task_job *j, int parked);
/* The submit call of j returned: from now on a token outcome goes to the
 * done list. Returns 1 when an outcome came during the submit (cb_*). */
int live_submitted(task_job *j);
/* Takes j out of the registry (a timeout, an abort). Returns 1 when j was
 * still there (no outcome is on its way to the done list). */
int live_unregister(task_job *j);
/* A new task token: 88 characters, as long as AWS's. */
char *live_new_token(asl_exec *x);
/* Whether an activity worker has taken j (*worker: its name, new string). */
int live_polled(task_job *j, char **worker);
/* Real time of j's last heartbeat, 0: none yet. */
double live_heartbeat_at(task_job *j);

/* exec_map.c */
void exec_parallel_start(frame *f);
void exec_map_start(frame *f);
void exec_child_done(frame *child);
void exec_kids_abort(frame *f);

#endif
