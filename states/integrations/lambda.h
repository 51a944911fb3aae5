/* lambda.h: the Lambda integration (lambda.c) and the built-in C tasks a
 * bindings file can name instead of a command (builtins.c).
 *
 * The bindings file's format is docs/bindings.md; engine/subst.h loads it. */
#ifndef ASL_LAMBDA_H
#define ASL_LAMBDA_H

#include "../../engine/task.h"

/* Serves arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER] and
 * arn:aws:states:::lambda:invoke (not its .waitForTaskToken form). */
extern const asl_task_ops asl_lambda_ops;

/* Checks what engine/ cannot: every "builtin" a bindings object names
 * exists. 0 when all do (or bindings is NULL); else -1 and *msg, a new
 * string "/Functions/NAME/builtin: ...". */
int asl_lambda_check_bindings(const cJSON *bindings, char **msg);

/* ---- built-in tasks ---- */

typedef enum asl_builtin_status {
  ASL_BUILTIN_OK,     /* *out: the function's result */
  ASL_BUILTIN_ERROR,  /* *out: {"errorType":..,"errorMessage":..} */
  ASL_BUILTIN_TIMEOUT /* deadline passed first; *out stays NULL */
} asl_builtin_status;

/* A built-in task: gets the event (borrowed) and a deadline (epoch seconds,
 * 0: none) it must give up at, and sets *out to a new tree. */
typedef asl_builtin_status (*asl_builtin_fn)(const cJSON *event,
                                             double deadline, cJSON **out);

/* The built-in task called name, or NULL. */
asl_builtin_fn asl_builtin_find(const char *name);

/* mysql-extract (mysql_extract.c): MySQL tables and queries into the
 * lake, as Aurora's SELECT INTO OUTFILE S3 writes them. */
asl_builtin_status asl_builtin_mysql_extract(const cJSON *event,
                                             double deadline, cJSON **out);
/* Checks a mysql-extract binding's "args" (what they hold; the Task's
 * input may add the rest): 0, or -1 and *msg, a new string
 * "/connection/password: ...". Environment variables are not read. */
int asl_mysql_extract_check(const cJSON *args, char **msg);

/* fake-user (fake_user.c): one deterministic fake user for event.seed
 * (or event.index), optionally written to the lake as JSON. */
asl_builtin_status asl_builtin_fake_user(const cJSON *event, double deadline,
                                         cJSON **out);

/* Runs the named built-in's check of a binding's "args" (when it has one):
 * 0, or -1 and *msg (new string, a JSON Pointer below args first). */
int asl_builtin_check(const char *name, const cJSON *args, char **msg);

/* "add, echo, fail, sleep": the names, for messages. New string. */
char *asl_builtin_names(void);

#endif
