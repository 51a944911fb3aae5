/* store_machines.h: the state-machine (and activity) side of the durable
 * store that the
 * Step Functions API needs beyond store.h: read one machine, list them,
 * delete one with its executions, and the definition an execution ran.
 *
 * Same rules as store.h: one asl_store per thread at a time, 0 or -1 with
 * an asl_error (Store.* names for SQLite failures), new strings and trees
 * belong to the caller. A machine that is not there fails with
 * "StateMachineDoesNotExist", an execution with "ExecutionDoesNotExist";
 * their causes name what was looked for. */
#ifndef ASL_STORE_MACHINES_H
#define ASL_STORE_MACHINES_H

#include "store.h"

/* One stored state machine; every string is new (asl_store_machine_free). */
typedef struct asl_store_machine_row {
  char *name, *arn, *definition, *type, *role_arn; /* role_arn may be NULL */
  double created, updated;                         /* epoch seconds */
} asl_store_machine_row;

void asl_store_machine_free(asl_store_machine_row *r);

/* The machine called name. */
int asl_store_get_machine(asl_store *s, const char *name,
                          asl_store_machine_row *out, asl_error *e);

/* ListStateMachines items, by name: {"stateMachineArn","name","type",
 * "creationDate"}. New array. */
int asl_store_list_machines(asl_store *s, cJSON **out, asl_error *e);

/* Deletes machine name, its executions and their events, in one
 * transaction. */
int asl_store_delete_machine(asl_store *s, const char *name, asl_error *e);

/* The machine execution arn belongs to, with the definition the execution
 * started with (not the machine's current one) in ->definition. */
int asl_store_execution_machine(asl_store *s, const char *arn,
                                asl_store_machine_row *out, asl_error *e);

/* ---- activities ---- */

/* CreateActivity: the activity name with arn, created at created; when one
 * of that name exists, *created is set to its time (AWS: creating it again
 * is no error). */
int asl_store_put_activity(asl_store *s, const char *name, const char *arn,
                           double *created, asl_error *e);

/* DescribeActivity's {"activityArn","name","creationDate"} of arn; fails
 * with ActivityDoesNotExist. */
int asl_store_get_activity(asl_store *s, const char *arn, cJSON **out,
                           asl_error *e);

/* ListActivities items, by name. New array. */
int asl_store_list_activities(asl_store *s, cJSON **out, asl_error *e);

/* DeleteActivity: nothing happens when there is none (as on AWS). */
int asl_store_delete_activity(asl_store *s, const char *arn, asl_error *e);

#endif
