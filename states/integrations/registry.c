/* registry.c: every Task integration, in the order a Resource is tried.
 * The first whose .match accepts the Resource serves it. */
#include <stddef.h>

#include "../../engine/task.h"
#include "athena.h"
#include "glue.h"
#include "lambda.h"
#include "s3.h"

const asl_task_ops *const asl_task_integrations[] = {
    &asl_lambda_ops, &asl_s3_ops, &asl_athena_ops, &asl_glue_ops, NULL};

const asl_task_ops *asl_task_find(const char *resource, const char **rtype,
                                  const char **rname, int *lambda_events) {
  const char *t = NULL, *n = NULL;
  int le = 0;
  const asl_task_ops *found = NULL;
  for (size_t i = 0; resource && asl_task_integrations[i] && !found; i++) {
    t = n = NULL;
    le = 0;
    if (asl_task_integrations[i]->match(resource, &t, &n, &le))
      found = asl_task_integrations[i];
  }
  if (rtype) *rtype = found ? t : NULL;
  if (rname) *rname = found ? n : NULL;
  if (lambda_events) *lambda_events = found ? le : 0;
  return found;
}
