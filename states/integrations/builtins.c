/* builtins.c: Lambda functions written in C, for bindings that say
 * {"builtin": "NAME"} instead of a command. They run in-process on the
 * Task's worker thread, so each must be quick or honour the deadline.
 *
 * Errors are answered as a Lambda runtime answers them, an object
 * {"errorType": .., "errorMessage": ..}; lambda.c turns it into the Task's
 * error exactly as it does for a command's answer. */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "../../engine/json.h"
#include "lambda.h"

static asl_builtin_status raise_error(cJSON **out, const char *type,
                                      const char *message) {
  *out = cJSON_CreateObject();
  cJSON_AddStringToObject(*out, "errorType", type);
  cJSON_AddStringToObject(*out, "errorMessage", message);
  return ASL_BUILTIN_ERROR;
}

static double now_epoch(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sleeps until epoch second `until`; EINTR resumes. */
static void sleep_until(double until) {
  for (;;) {
    double left = until - now_epoch();
    if (left <= 0) return;
    struct timespec ts;
    ts.tv_sec = (time_t)left;
    ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
    if (nanosleep(&ts, NULL) == 0) return;
    if (errno != EINTR) return;
  }
}

/* echo: returns its event. */
static asl_builtin_status b_echo(const cJSON *event, double deadline,
                                 cJSON **out) {
  *out = asl_json_dup(event);
  return ASL_BUILTIN_OK;
}

/* fail: raises event.errorType (default "Error") with event.errorMessage
 * (default ""). */
static asl_builtin_status b_fail(const cJSON *event, double deadline,
                                 cJSON **out) {
  const cJSON *t = asl_json_get(event, "errorType");
  const cJSON *m = asl_json_get(event, "errorMessage");
  return raise_error(out, cJSON_IsString(t) ? t->valuestring : "Error",
                     cJSON_IsString(m) ? m->valuestring : "");
}

/* sleep: sleeps event.seconds (a number >= 0), then returns the event.
 * Gives up at the deadline like a killed command. */
static asl_builtin_status b_sleep(const cJSON *event, double deadline,
                                  cJSON **out) {
  const cJSON *s = asl_json_get(event, "seconds");
  if (!cJSON_IsNumber(s) || !(s->valuedouble >= 0) || !isfinite(s->valuedouble))
    return raise_error(out, "TypeError",
                       "sleep needs \"seconds\": a number >= 0");
  double until = now_epoch() + s->valuedouble;
  if (deadline > 0 && deadline < until) {
    sleep_until(deadline);
    return ASL_BUILTIN_TIMEOUT;
  }
  sleep_until(until);
  *out = asl_json_dup(event);
  return ASL_BUILTIN_OK;
}

/* add: returns event.a + event.b (numbers). */
static asl_builtin_status b_add(const cJSON *event, double deadline,
                                cJSON **out) {
  const cJSON *a = asl_json_get(event, "a"), *b = asl_json_get(event, "b");
  if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b))
    return raise_error(out, "TypeError", "add needs numbers \"a\" and \"b\"");
  *out = cJSON_CreateNumber(a->valuedouble + b->valuedouble);
  return ASL_BUILTIN_OK;
}

/* Sorted by name, as asl_builtin_names lists them. check (may be NULL)
 * looks at a binding's "args" when the bindings load. */
static const struct {
  const char *name;
  asl_builtin_fn fn;
  int (*check)(const cJSON *args, char **msg);
} builtins[] = {
    {"add", b_add, NULL},
    {"echo", b_echo, NULL},
    {"fail", b_fail, NULL},
    {"fake-user", asl_builtin_fake_user, NULL},
    {"mysql-extract", asl_builtin_mysql_extract, asl_mysql_extract_check},
    {"sleep", b_sleep, NULL},
};

#define N_BUILTINS (sizeof builtins / sizeof builtins[0])

asl_builtin_fn asl_builtin_find(const char *name) {
  for (size_t i = 0; name && i < N_BUILTINS; i++)
    if (strcmp(builtins[i].name, name) == 0) return builtins[i].fn;
  return NULL;
}

int asl_builtin_check(const char *name, const cJSON *args, char **msg) {
  *msg = NULL;
  for (size_t i = 0; name && i < N_BUILTINS; i++)
    if (strcmp(builtins[i].name, name) == 0 && builtins[i].check && args)
      return builtins[i].check(args, msg);
  return 0;
}

char *asl_builtin_names(void) {
  asl_buf b = {0};
  for (size_t i = 0; i < N_BUILTINS; i++)
    asl_buf_printf(&b, "%s%s", i ? ", " : "", builtins[i].name);
  return asl_buf_take(&b);
}
