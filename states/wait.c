/* wait.c: the Wait state: for Seconds or SecondsPath, or until Timestamp
 * or TimestampPath. The executor does the waiting on its clock. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/json.h"
#include "../engine/machine.h"
#include "choice_rule.h"

static const char *const extra[] = {"Seconds", "SecondsPath", "Timestamp",
                                    "TimestampPath", NULL};

typedef struct {
  long long seconds;
  int has_seconds;
  double timestamp;
  int has_timestamp;
  asl_opt_path seconds_path, timestamp_path;
} wait_data;

static int wait_compile(asl_state *st, const cJSON *def, asl_diags *d) {
  wait_data *w = asl_calloc(1, sizeof *w);
  st->data = w;
  int rc = 0, n = 0;
  for (const char *const *f = extra; *f; f++)
    if (asl_json_get(def, *f)) n++;
  if (n != 1) {
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", st->loc,
                 "Exactly one of 'Seconds', 'SecondsPath', 'Timestamp' or "
                 "'TimestampPath' is required");
    rc = -1;
  }
  if (st->query_lang == ASL_QL_JSONATA) return rc; /* JSONata: later */
  if (asl_compile_int(def, "Seconds", st->loc, 0, &w->seconds,
                      &w->has_seconds, d) < 0)
    rc = -1;
  const cJSON *ts = asl_json_get(def, "Timestamp");
  if (ts) {
    if (!cJSON_IsString(ts) ||
        asl_choice_parse_timestamp(ts->valuestring, &w->timestamp) < 0) {
      char *at = asl_loc_join(st->loc, "Timestamp");
      asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", at,
                   "String does not match RFC3339 timestamp");
      free(at);
      rc = -1;
    }
    w->has_timestamp = 1;
  }
  if (asl_compile_opt_path(&w->seconds_path, def, "SecondsPath", st->loc, 0,
                           d) < 0)
    rc = -1;
  if (asl_compile_opt_path(&w->timestamp_path, def, "TimestampPath", st->loc,
                           0, d) < 0)
    rc = -1;
  return rc;
}

static int seconds_from_path(const wait_data *w, const asl_scope *s,
                             double *out, asl_error *err) {
  const char *p = asl_path_text(w->seconds_path.path);
  cJSON *v = NULL;
  if (asl_path_eval(w->seconds_path.path, s, &v, NULL) != 0)
    return asl_error_set(err, "States.Runtime",
                         "The SecondsPath parameter does not reference an "
                         "input value: %s",
                         p);
  long long n;
  int ok = asl_json_as_int64(v, &n) && n >= 0;
  if (!ok) {
    char *t = cJSON_IsString(v) ? asl_strdup(v->valuestring)
                                : asl_json_print(v);
    asl_error_set(err, "States.Runtime",
                  "The SecondsPath parameter cannot be parsed as a long "
                  "value: %s == %s",
                  p, t);
    free(t);
  }
  cJSON_Delete(v);
  *out = ok ? (double)n : 0;
  return ok ? 0 : -1;
}

static int timestamp_from_path(const wait_data *w, const asl_scope *s,
                               double *out, asl_error *err) {
  const char *p = asl_path_text(w->timestamp_path.path);
  cJSON *v = NULL;
  if (asl_path_eval(w->timestamp_path.path, s, &v, NULL) != 0)
    return asl_error_set(err, "States.Runtime",
                         "The TimestampPath parameter does not reference an "
                         "input value: %s",
                         p);
  int ok = cJSON_IsString(v) &&
           asl_choice_parse_timestamp(v->valuestring, out) == 0;
  if (!ok) {
    char *t = cJSON_IsString(v) ? asl_strdup(v->valuestring)
                                : asl_json_print(v);
    asl_error_set(err, "States.Runtime",
                  "The TimestampPath parameter does not reference a valid "
                  "ISO-8601 extended offset date-time format string: %s == %s",
                  p, t);
    free(t);
  }
  cJSON_Delete(v);
  return ok ? 0 : -1;
}

static int wait_run(const asl_state *st, const cJSON *input,
                    const asl_scope *s, double now, asl_step *out,
                    asl_error *err) {
  const wait_data *w = st->data;
  double until = now;
  if (w->has_seconds) {
    until = now + (double)w->seconds;
  } else if (w->has_timestamp) {
    until = w->timestamp;
  } else if (w->seconds_path.path) {
    double secs = 0;
    if (seconds_from_path(w, s, &secs, err) < 0) return -1;
    until = now + secs;
  } else if (w->timestamp_path.path) {
    if (timestamp_from_path(w, s, &until, err) < 0) return -1;
  }
  /* A time in the past ends the wait at once; 0 would mean "no wait". */
  out->wait_until = until > now ? until : now > 0 ? now : 1e-9;
  out->skip_result = 1;
  return 0;
}

static void wait_free(asl_state *st) {
  wait_data *w = st->data;
  if (!w) return;
  asl_path_free(w->seconds_path.path);
  asl_path_free(w->timestamp_path.path);
  free(w);
}

const asl_state_ops asl_wait_ops = {
    "Wait", ASL_KIND_SIMPLE,
    ASL_F_NEXT | ASL_F_INPUTPATH | ASL_F_OUTPUTPATH | ASL_F_ASSIGN |
        ASL_F_OUTPUT,
    extra,
    wait_compile,
    wait_run,
    wait_free,
};
