/* api_int.h: what api.c shares with the files of more operations
 * (api_tasks.c): the call a handler gets and the member readers. Nothing
 * outside web/api*.c includes this. */
#ifndef WEB_API_INT_H
#define WEB_API_INT_H

#include "../engine/store.h"
#include "api.h"

/* One operation being answered: its request members (in), the response
 * members it fills (out), the error it fails with (e), on a store
 * connection (s) of the api (a). */
typedef struct call {
  web_api *a;
  asl_store *s;
  const cJSON *in;
  cJSON *out;
  asl_error *e;
} call;

double now_epoch(void);

/* Takes (lock 1) or gives back (0) the api's one-writer lock: every write
 * of this process to the store goes under it. */
void api_write_lock(web_api *a, int lock);

/* AWS's rule for names of machines, executions and activities. */
int valid_name(const char *n);

/* String member k into *v (borrowed; NULL when absent and optional);
 * ValidationException when required and absent, or not a string. */
int member_str(call *c, const char *k, int required, const char **v);

/* arn is arn:aws:states:REGION:ACCOUNT:KIND:REST with KIND one of kinds:
 * *rest points at REST. InvalidArn otherwise. */
int arn_resource(call *c, const char *arn, const char *const *kinds,
                 const char **rest);

/* Puts the page of items (taken) that maxResults and nextToken ask for in
 * c->out[name], with a nextToken when more follow; key names the member
 * that orders items. */
int paginate(call *c, cJSON *items, const char *name, const char *key);

/* api_tasks.c: task tokens and activities. Each answers as the table's
 * handlers do. */
int op_send_task_success(call *c);
int op_send_task_failure(call *c);
int op_send_task_heartbeat(call *c);
int op_get_activity_task(call *c);
int op_create_activity(call *c);
int op_describe_activity(call *c);
int op_delete_activity(call *c);
int op_list_activities(call *c);

#endif
