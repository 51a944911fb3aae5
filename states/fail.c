/* fail.c: the Fail state stops the execution with an error and a cause,
 * given literally (Error, Cause) or by a path or intrinsic call (ErrorPath,
 * CausePath). */
#include <stdlib.h>
#include <string.h>

#include "../engine/intrinsic.h"
#include "../engine/json.h"
#include "../engine/machine.h"

static const char *const extra[] = {"Error", "ErrorPath", "Cause",
                                    "CausePath", NULL};

typedef struct {
  asl_path *path;
  asl_intrinsic *call;
} dyn;

typedef struct {
  dyn error, cause;
} fail_data;

static int compile_dyn(dyn *out, const asl_state *st, const cJSON *def,
                       const char *lit, const char *pathf, asl_diags *d) {
  const cJSON *l = asl_json_get(def, lit), *p = asl_json_get(def, pathf);
  int rc = 0;
  if (l && p) {
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", st->loc,
                 "Only one of '%s' or '%s' can be specified", lit, pathf);
    return -1;
  }
  if (l && !cJSON_IsString(l)) {
    char *at = asl_loc_join(st->loc, lit);
    asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", at,
                 "The field '%s' must be a string", lit);
    free(at);
    rc = -1;
  }
  if (p) {
    char *msg = NULL;
    if (cJSON_IsString(p)) {
      if (asl_intrinsic_is_call(p->valuestring))
        out->call = asl_intrinsic_compile(p->valuestring, &msg);
      else
        out->path = asl_path_compile(p->valuestring, 0, &msg);
    }
    free(msg);
    if (!out->call && !out->path) {
      char *at = asl_loc_join(st->loc, pathf);
      asl_diag_add(d, "SCHEMA_VALIDATION_FAILED", at,
                   "The value for the field '%s' must be a valid JSONPath or "
                   "a valid intrinsic function call",
                   pathf);
      free(at);
      rc = -1;
    }
  }
  return rc;
}

static int fail_compile(asl_state *st, const cJSON *def, asl_diags *d) {
  fail_data *f = asl_calloc(1, sizeof *f);
  st->data = f;
  int rc = 0;
  if (compile_dyn(&f->error, st, def, "Error", "ErrorPath", d) < 0) rc = -1;
  if (compile_dyn(&f->cause, st, def, "Cause", "CausePath", d) < 0) rc = -1;
  return rc;
}

/* The text of a dynamic Error or Cause: strings as they are, other JSON
 * values as their text. */
static int eval_dyn(const dyn *v, const char *field, const cJSON *input,
                    const asl_scope *s, char **out, asl_error *err) {
  cJSON *r = NULL;
  if (v->call) {
    if (asl_intrinsic_eval(v->call, s, &r, err) < 0) return -1;
  } else if (asl_path_eval(v->path, s, &r, NULL) != 0) {
    char *in = asl_json_print(input);
    asl_error_set(err, "States.Runtime",
                  "The JSONPath '%s' specified for the field '%s' could not "
                  "be found in the input '%s'",
                  asl_path_text(v->path), field, in);
    free(in);
    return -1;
  }
  *out = cJSON_IsString(r) ? asl_strdup(r->valuestring) : asl_json_print(r);
  cJSON_Delete(r);
  return 0;
}

static int fail_run(const asl_state *st, const cJSON *input,
                    const asl_scope *s, double now, asl_step *out,
                    asl_error *err) {
  const fail_data *f = st->data;
  char *e = NULL, *c = NULL;
  const cJSON *l;
  if (f->error.path || f->error.call) {
    if (eval_dyn(&f->error, "ErrorPath", input, s, &e, err) < 0) return -1;
  } else if (cJSON_IsString(l = asl_json_get(st->def, "Error"))) {
    e = asl_strdup(l->valuestring);
  }
  if (f->cause.path || f->cause.call) {
    if (eval_dyn(&f->cause, "CausePath", input, s, &c, err) < 0) {
      free(e);
      return -1;
    }
  } else if (cJSON_IsString(l = asl_json_get(st->def, "Cause"))) {
    c = asl_strdup(l->valuestring);
  }
  asl_error_clear(err);
  err->name = e;
  err->cause = c;
  out->fail = 1;
  return 0;
}

static void fail_free(asl_state *st) {
  fail_data *f = st->data;
  if (!f) return;
  asl_path_free(f->error.path);
  asl_path_free(f->cause.path);
  asl_intrinsic_free(f->error.call);
  asl_intrinsic_free(f->cause.call);
  free(f);
}

const asl_state_ops asl_fail_ops = {
    "Fail", ASL_KIND_SIMPLE, 0, extra, fail_compile, fail_run, fail_free,
};
