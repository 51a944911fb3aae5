/* api.h: the AWS Step Functions API (JSON 1.0 protocol) over the durable
 * store and the engine: request bodies in, response bodies out, no HTTP.
 *
 * web_api_call answers one operation: 200 with the response members, or
 * 400 with {"__type":"<namespace>#<ErrorName>","message":"..."} as AWS
 * does (500 when the store failed). Dates are epoch seconds (numbers).
 * StartExecution records the execution and answers at once; the execution
 * runs on a worker thread of the api and is recorded in the store as it
 * goes (events, checkpoints, outcome), so `asl history`/`asl describe`
 * and `asl resume` see it like a run of `asl run`.
 *
 * Thread-safe: any number of threads may call web_api_call at once. Each
 * call takes a store connection from a pool; writes of this process
 * (API calls and running executions) take turns on one mutex, so they do
 * not poll SQLite's lock against each other. */
#ifndef WEB_API_H
#define WEB_API_H

#include <stddef.h>

#include "../engine/core.h"

typedef struct web_api web_api;

typedef struct web_api_opts {
  const char *db;        /* the store's file (not ":memory:", which is
                            private to one connection) */
  const cJSON *bindings; /* bindings for Lambda Tasks, or NULL (borrowed,
                            outlives the api) */
  const char *base_dir;  /* folder the bindings' paths are relative to */
  int max_workers;       /* executions running at once; 0: 64. Others
                            wait in a queue, RUNNING in the store. */
} web_api_opts;

/* One answer: an HTTP status and a JSON body (new string, free()). */
typedef struct web_reply {
  int status;
  char *body;
} web_reply;

/* Opens the store (creating it) and starts no thread yet. -1 with e when
 * the store does not open. */
int web_api_new(const web_api_opts *o, web_api **out, asl_error *e);

/* Queues, from their last checkpoint, the RUNNING executions an earlier
 * server left (started by a web_api, whose process is gone), after
 * claiming them for this process. *n says how many. */
int web_api_resume(web_api *a, int *n, asl_error *e);

/* Answers operation op (the part of X-Amz-Target after "AWSStepFunctions.",
 * or NULL when the header was missing or had another prefix) with request
 * body (len bytes, not NUL-terminated). Fills r; never fails. */
void web_api_call(web_api *a, const char *op, const char *body, size_t len,
                  web_reply *r);

/* An AWS-shaped error reply: status and {"__type","message"}. */
void web_api_error_reply(web_reply *r, int status, const char *name,
                         const char *message);

/* Refuses new executions, drops queued ones that have not started (they
 * stay RUNNING in the store, without a checkpoint: `asl resume` runs them
 * from their input; *dropped says how many) and waits up to grace seconds
 * for running ones. Returns how many still run. */
int web_api_drain(web_api *a, double grace, int *dropped);

/* Frees a. Only after web_api_drain returned 0 (a running execution uses
 * it); otherwise leave it to the process's exit. */
void web_api_free(web_api *a);

#endif
