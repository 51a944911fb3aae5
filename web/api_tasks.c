/* api_tasks.c: the operations on task tokens and activities. A Task that
 * waits for its token (.waitForTaskToken, an activity) runs on one of the
 * api's workers; these hand it its outcome through the engine's registry
 * (asl_task_success and the like, engine/asl.h), from the thread of the
 * request. Activities themselves are rows of the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/asl.h"
#include "../engine/json.h"
#include "../engine/store_machines.h"
#include "api_int.h"

/* AWS's limits: a token of up to 1,024 characters, an error name of 256
 * and a cause of 32,768, an output of 256 KiB. */
#define MAX_TOKEN 1024
#define MAX_ERROR 256
#define MAX_CAUSE 32768
#define MAX_OUTPUT (256 * 1024)
/* GetActivityTask holds the request this long when no task waits */
#define POLL_SECONDS 60.0

static int too_long(call *c, const char *k, const char *v, size_t max) {
  if (!v || strlen(v) <= max) return 0;
  return asl_error_set(c->e, "ValidationException",
                       "1 validation error detected: Value at '%s' failed to "
                       "satisfy constraint: Member must have length less "
                       "than or equal to %zu",
                       k, max);
}

static int token_member(call *c, const char **token) {
  if (member_str(c, "taskToken", 1, token) < 0 ||
      too_long(c, "taskToken", *token, MAX_TOKEN) < 0)
    return -1;
  return 0;
}

int op_send_task_success(call *c) {
  const char *token, *output;
  if (token_member(c, &token) < 0 || member_str(c, "output", 1, &output) < 0 ||
      too_long(c, "output", output, MAX_OUTPUT) < 0)
    return -1;
  return asl_task_success(token, output, c->e);
}

int op_send_task_failure(call *c) {
  const char *token, *error, *cause;
  if (token_member(c, &token) < 0 || member_str(c, "error", 0, &error) < 0 ||
      member_str(c, "cause", 0, &cause) < 0 ||
      too_long(c, "error", error, MAX_ERROR) < 0 ||
      too_long(c, "cause", cause, MAX_CAUSE) < 0)
    return -1;
  return asl_task_failure(token, error, cause, c->e);
}

int op_send_task_heartbeat(call *c) {
  const char *token;
  if (token_member(c, &token) < 0) return -1;
  return asl_task_heartbeat(token, c->e);
}

static const char *const activity_kinds[] = {"activity", NULL};

/* The activity arn names, which must exist. */
static int find_activity(call *c, const char *arn, cJSON **row) {
  const char *rest;
  if (arn_resource(c, arn, activity_kinds, &rest) < 0) return -1;
  return asl_store_get_activity(c->s, arn, row, c->e);
}

/* AWS holds the request up to a minute and answers {} when no task came:
 * the AWS CLI and the SDKs wait longer than that for this operation. */
int op_get_activity_task(call *c) {
  const char *arn, *worker;
  cJSON *row = NULL;
  if (member_str(c, "activityArn", 1, &arn) < 0 ||
      member_str(c, "workerName", 0, &worker) < 0 ||
      too_long(c, "workerName", worker, 80) < 0 ||
      find_activity(c, arn, &row) < 0)
    return -1;
  cJSON_Delete(row);
  char *token = NULL, *input = NULL;
  if (asl_activity_poll(arn, worker, POLL_SECONDS, &token, &input) == 0) {
    cJSON_AddStringToObject(c->out, "taskToken", token);
    cJSON_AddStringToObject(c->out, "input", input);
  }
  free(token);
  free(input);
  return 0;
}

int op_create_activity(call *c) {
  const char *name;
  if (member_str(c, "name", 1, &name) < 0) return -1;
  if (!valid_name(name))
    return asl_error_set(c->e, "InvalidName", "Invalid Name: '%s'", name);
  char *arn = asl_sprintf("arn:aws:states:us-east-1:123456789012:activity:%s",
                          name);
  double created = now_epoch();
  api_write_lock(c->a, 1);
  int rc = asl_store_put_activity(c->s, name, arn, &created, c->e);
  api_write_lock(c->a, 0);
  if (rc == 0) {
    cJSON_AddStringToObject(c->out, "activityArn", arn);
    cJSON_AddNumberToObject(c->out, "creationDate", created);
  }
  free(arn);
  return rc;
}

int op_describe_activity(call *c) {
  const char *arn;
  cJSON *row = NULL;
  if (member_str(c, "activityArn", 1, &arn) < 0 ||
      find_activity(c, arn, &row) < 0)
    return -1;
  for (cJSON *m = row->child; m;) {
    cJSON *next = m->next;
    cJSON_AddItemToObject(c->out, m->string,
                          cJSON_DetachItemViaPointer(row, m));
    m = next;
  }
  cJSON_Delete(row);
  return 0;
}

int op_delete_activity(call *c) {
  const char *arn, *rest;
  if (member_str(c, "activityArn", 1, &arn) < 0 ||
      arn_resource(c, arn, activity_kinds, &rest) < 0)
    return -1;
  api_write_lock(c->a, 1);
  int rc = asl_store_delete_activity(c->s, arn, c->e);
  api_write_lock(c->a, 0);
  return rc;
}

int op_list_activities(call *c) {
  cJSON *items = NULL;
  if (asl_store_list_activities(c->s, &items, c->e) < 0) return -1;
  return paginate(c, items, "activities", "name");
}
