/* registry.c: every Task integration, in the order a Resource is tried.
 * The first whose .match accepts the Resource serves it. */
#include <stddef.h>
#include <string.h>

#include "../../engine/task.h"
#include "athena.h"
#include "glue.h"
#include "lambda.h"
#include "s3.h"

const asl_task_ops *const asl_task_integrations[] = {
    &asl_lambda_ops, &asl_s3_ops, &asl_athena_ops, &asl_glue_ops, NULL};

const char *asl_task_service_op(const char *r, const char *service,
                                int *sdk) {
  if (!r || strncmp(r, "arn:", 4) != 0) return NULL;
  const char *p = strchr(r + 4, ':');
  if (!p || strncmp(p, ":states:::", 10) != 0) return NULL;
  p += 10;
  *sdk = strncmp(p, "aws-sdk:", 8) == 0;
  if (*sdk) p += 8;
  size_t n = strlen(service);
  if (strncmp(p, service, n) != 0 || p[n] != ':') return NULL;
  return p + n + 1;
}

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
