/* task.c: the Task state: validates the Resource and the Task's own fields
 * and compiles them into an asl_task_spec, with the integration that serves
 * the Resource; the executor (engine/exec_task.c) runs it. */
#include <stdlib.h>
#include <string.h>

#include "../engine/json.h"
#include "../engine/machine.h"
#include "../engine/task.h"

static const char *const extra[] = {
    "Resource",         "TimeoutSeconds",       "TimeoutSecondsPath",
    "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials", NULL};

/* Optimised integrations AWS recognises: "service:action" after
 * "arn:aws:states:::" (without .sync / .waitForTaskToken suffixes). */
static const char *const known[] = {
    "lambda:invoke", "sqs:sendMessage", "sns:publish",
    "dynamodb:getItem", "dynamodb:putItem", "dynamodb:updateItem",
    "dynamodb:deleteItem", "athena:startQueryExecution",
    "athena:getQueryExecution", "athena:getQueryResults",
    "athena:stopQueryExecution", "athena:getWorkGroup", "glue:startJobRun",
    "glue:startCrawler", "states:startExecution", "ecs:runTask",
    "batch:submitJob", "events:putEvents", "http:invoke", "s3:getObject",
    "s3:putObject", "stepfunctions:startExecution", "emr:addStep",
    "sagemaker:createTrainingJob", "apigateway:invoke", "codebuild:startBuild",
    "eks:runJob", "bedrock:invokeModel", NULL};

static int known_resource(const char *r, int *callback, int *activity) {
  *callback = strstr(r, ".waitForTaskToken") != NULL;
  *activity = strncmp(r, "arn:aws:states:", 15) == 0 &&
              strstr(r, ":activity:") != NULL;
  if (*activity) return 1;
  if (strncmp(r, "arn:aws:lambda:", 15) == 0 && strstr(r, ":function:"))
    return 1;
  const char *p = NULL;
  if (strncmp(r, "arn:aws:states:::", 17) == 0) p = r + 17;
  else if (strncmp(r, "arn:aws-us-gov:states:::", 24) == 0) p = r + 24;
  if (!p) return 0;
  if (strncmp(p, "aws-sdk:", 8) == 0) return strchr(p + 8, ':') != NULL;
  size_t n = strcspn(p, ".");
  for (const char *const *k = known; *k; k++)
    if (strlen(*k) == n && strncmp(*k, p, n) == 0) return 1;
  return 0;
}

/* resourceType and resource for the history when no integration serves
 * the ARN (a mocked Task): "arn:aws:states:::sqs:sendMessage" gives "sqs"
 * and "sendMessage", as AWS writes them. */
static void name_from_arn(asl_task_spec *t, const char *arn) {
  const char *p = strstr(arn, ":::");
  if (!p || !strchr(p + 3, ':')) return;
  p += 3;
  const char *c = strchr(p, ':');
  t->rtype_own = asl_strndup(p, (size_t)(c - p));
  t->rname_own = asl_strdup(c + 1);
  t->rtype = t->rtype_own;
  t->rname = t->rname_own;
}

static int task_compile(asl_state *st, const cJSON *def, asl_diags *d) {
  int rc = 0;
  asl_task_spec *t = asl_calloc(1, sizeof *t);
  st->data = t;
  const cJSON *r = asl_json_get(def, "Resource");
  char *at = asl_loc_join(st->loc, "Resource");
  int cb = 0, act = 0;
  if (!r) {
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", st->loc,
                 "These fields are required: [Resource]");
    rc = -1;
  } else if (!cJSON_IsString(r) ||
             !known_resource(r->valuestring, &cb, &act)) {
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", at,
                 "The resource provided %s is not recognized. The value is "
                 "not a valid resource ARN, or the resource is not available "
                 "in this region.",
                 cJSON_IsString(r) ? r->valuestring : "");
    rc = -1;
  } else if (strcmp(st->machine_type, "EXPRESS") == 0 && act) {
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", at,
                 "Express state machine does not support Activity ARN");
    rc = -1;
  } else if (strcmp(st->machine_type, "EXPRESS") == 0 && cb) {
    /* AWS's message has two spaces before " at": kept. */
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", at,
                 "Express state machine does not support "
                 "'.waitForTaskToken' service integration ");
    rc = -1;
  }
  free(at);
  if (cJSON_IsString(r)) {
    t->resource = r->valuestring;
    t->callback = cb;
    t->activity = act;
    if (cb) { /* the integration of the call without the suffix */
      const char *suffix = strstr(t->resource, ".waitForTaskToken");
      char *bare = asl_strndup(t->resource, (size_t)(suffix - t->resource));
      const char *rname = NULL;
      t->ops = asl_task_find(bare, &t->rtype, &rname, &t->lambda_events);
      free(bare);
      t->lambda_events = 0;
      name_from_arn(t, r->valuestring); /* "invoke.waitForTaskToken" */
    } else if (act) {
      t->rtype = "activity"; /* not in Task* events: Activity* instead */
    } else {
      t->ops = asl_task_find(t->resource, &t->rtype, &t->rname,
                             &t->lambda_events);
      if (!t->ops) name_from_arn(t, r->valuestring);
    }
  }
  const cJSON *cr = asl_json_get(def, "Credentials");
  if (cr && !asl_json_get(cr, "RoleArn") && !asl_json_get(cr, "RoleArn.$")) {
    char *cl = asl_loc_join(st->loc, "Credentials");
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", cl,
                 "The field 'RoleArn' is required but was missing");
    free(cl);
    rc = -1;
  }
  if (st->query_lang == ASL_QL_JSONPATH) {
    if (asl_compile_int(def, "TimeoutSeconds", st->loc, 1, &t->timeout, NULL,
                        d) < 0)
      rc = -1;
    if (asl_compile_int(def, "HeartbeatSeconds", st->loc, 1, &t->heartbeat,
                        NULL, d) < 0)
      rc = -1;
    if (asl_compile_opt_path(&t->timeout_path, def, "TimeoutSecondsPath",
                             st->loc, 0, d) < 0)
      rc = -1;
    if (asl_compile_opt_path(&t->heartbeat_path, def, "HeartbeatSecondsPath",
                             st->loc, 0, d) < 0)
      rc = -1;
    if (t->timeout && t->heartbeat && t->heartbeat >= t->timeout) {
      asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", st->loc,
                   "HeartbeatSeconds must be less than TimeoutSeconds");
      rc = -1;
    }
  } else {
    /* JSONata: numbers here; "{% %}" strings are evaluated when the task
     * starts (engine/exec_task.c) */
    const char *f[] = {"TimeoutSeconds", "HeartbeatSeconds"};
    long long *dst[] = {&t->timeout, &t->heartbeat};
    for (int i = 0; i < 2; i++) {
      const cJSON *v = asl_json_get(def, f[i]);
      if (v && !cJSON_IsString(v) &&
          asl_compile_int(def, f[i], st->loc, 1, dst[i], NULL, d) < 0)
        rc = -1;
    }
  }
  return rc;
}

static int task_run(const asl_state *st, const cJSON *input,
                    const asl_scope *s, double now, asl_step *out,
                    asl_error *err) {
  return asl_error_set(err, "States.Runtime",
                       "Task runs in the executor");
}

static void task_free(asl_state *st) {
  asl_task_spec *t = st->data;
  if (!t) return;
  asl_path_free(t->timeout_path.path);
  asl_path_free(t->heartbeat_path.path);
  free(t->rtype_own);
  free(t->rname_own);
  free(t);
}

const asl_state_ops asl_task_state_ops = {
    "Task", ASL_KIND_TASK,
    ASL_F_NEXT | ASL_F_INPUTPATH | ASL_F_OUTPUTPATH | ASL_F_RESULTPATH |
        ASL_F_PARAMETERS | ASL_F_RESULTSELECTOR | ASL_F_RETRY | ASL_F_ASSIGN |
        ASL_F_OUTPUT | ASL_F_ARGUMENTS,
    extra,
    task_compile,
    task_run,
    task_free,
};
