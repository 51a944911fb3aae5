/* task.h: the contract between the Task state and the integrations in
 * states/integrations/ (the architecture's asl_task_ops).
 *
 * A Task's Resource ARN selects one integration by asl_task_ops.match. The
 * engine calls .run with the effective parameters. .run may block (a local
 * command, a database, a network call): the engine then runs it on a worker
 * thread, never on the scheduler thread, unless .immediate says the work is
 * pure and quick (a built-in computation), in which case it runs inline.
 *
 * .run returns 0 with *out (a new tree: the Task's result before
 * ResultSelector), or -1 with err set to the ASL error the Task raises
 * ("Lambda.Unknown", "States.TaskFailed", a Lambda's own errorType, ...).
 * It must honour req->deadline (epoch seconds, 0 = none) where it can, by
 * giving up with States.Timeout.
 *
 * History: .resource_type and the part after it name the Task in its events
 * (TaskScheduled {resourceType:"lambda", resource:"invoke"}); .lambda_events
 * makes the engine write LambdaFunction* events instead, as AWS does for a
 * bare Lambda function ARN. */
#ifndef ASL_TASK_H
#define ASL_TASK_H

#include "core.h"

typedef struct asl_task_req {
  const char *resource;  /* the Resource ARN as written (after ${} subs) */
  const cJSON *params;   /* effective Parameters (borrowed) */
  const char *state;     /* the Task state's name */
  const cJSON *bindings; /* the bindings file's object, or NULL (borrowed) */
  const char *base_dir;  /* folder of the definition, for relative paths */
  double deadline;       /* epoch seconds, 0: none */
  const cJSON *context;  /* the context object (borrowed) */
  /* A .sync (Run a Job) call that got as far as starting its job puts the
   * start call's response here (a new tree), as AWS records it in the
   * TaskSubmitted event written before the Task's outcome. NULL when the
   * caller keeps no such event (then nothing is put). */
  cJSON **submitted;
} asl_task_req;

typedef struct asl_task_ops {
  const char *name; /* "lambda" */
  /* Nonzero when this integration serves resource. Sets *resource_type and
   * *resource_name (static or resource-owned strings) for history events,
   * and *lambda_events. */
  int (*match)(const char *resource, const char **resource_type,
               const char **resource_name, int *lambda_events);
  int (*run)(const asl_task_req *req, cJSON **out, asl_error *err);
  int immediate; /* 1: run inline on the scheduler thread */
  /* Optional: nonzero when this request is immediate (a built-in that
   * computes), though the integration in general is not. */
  int (*immediate_for)(const asl_task_req *req);
} asl_task_ops;

/* The registry, defined in states/integrations/registry.c. */
extern const asl_task_ops *const asl_task_integrations[];

/* The operation a service Resource names: for
 * "arn:PARTITION:states:::SERVICE:OP" (*sdk = 0) or
 * "arn:PARTITION:states:::aws-sdk:SERVICE:OP" (*sdk = 1), a pointer to OP
 * inside resource; NULL for any other Resource. Defined in
 * states/integrations/registry.c. */
const char *asl_task_service_op(const char *resource, const char *service,
                                int *sdk);

/* The integration for resource, or NULL. */
const asl_task_ops *asl_task_find(const char *resource, const char **rtype,
                                  const char **rname, int *lambda_events);

#endif
