/* subst.c: ${Name} definition substitutions and the bindings file.
 *
 * Substitutions work on the definition's text, as CloudFormation's
 * DefinitionSubstitutions do before CreateStateMachine sees the definition:
 * "Resource": "${FnArn}" and "Seconds": ${Delay} both work. AWS documents no
 * escape, so there is none here. */
#include "subst.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ------------------------------------------------------------------ */
/* ${Name} substitutions                                                */
/* ------------------------------------------------------------------ */

static int name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || (c && strchr("_.:/-", c));
}

/* Length of the name at p when "}" closes it, else 0. */
static size_t name_len(const char *p) {
  size_t n = 0;
  while (name_char(p[n]))
    n++;
  return n && p[n] == '}' ? n : 0;
}

/* "line L, column C" of position at in text (1-based, in bytes). */
static char *where(const char *text, const char *at) {
  size_t line = 1, col = 1;
  for (const char *p = text; p < at; p++) {
    if (*p == '\n')
      line++, col = 1;
    else
      col++;
  }
  return asl_sprintf("line %zu, column %zu", line, col);
}

/* The text a substitution's value stands for, or NULL (wrong type). */
static char *value_text(const cJSON *v) {
  if (cJSON_IsString(v)) return asl_strdup(v->valuestring);
  if (cJSON_IsNumber(v) || cJSON_IsBool(v)) return asl_json_print(v);
  return NULL;
}

static char *subst_value(const char *text, const char *at, const char *name,
                         const cJSON *subs, char **msg) {
  const cJSON *v = asl_json_get(subs, name);
  char *s = v ? value_text(v) : NULL;
  if (s || !msg) return s;
  char *pos = where(text, at);
  if (!v)
    *msg = asl_sprintf("%s: ${%s} is not defined (give it in the bindings' "
                       "Substitutions or with --sub %s=VALUE)",
                       pos, name, name);
  else
    *msg = asl_sprintf("%s: ${%s}: a substitution must be a string, number "
                       "or boolean, not %s",
                       pos, name, asl_json_type_name(v));
  free(pos);
  return NULL;
}

char *asl_subst_apply(const char *text, const cJSON *subs, char **msg) {
  asl_buf b = {0};
  const char *p = text;
  if (msg) *msg = NULL;
  for (;;) {
    const char *d = strstr(p, "${");
    if (!d) break;
    size_t n = name_len(d + 2);
    asl_buf_add(&b, p, (size_t)(d - p) + (n ? 0 : 2));
    p = d + 2;
    if (!n) continue;
    char *name = asl_strndup(d + 2, n);
    char *val = subst_value(text, d, name, subs, msg);
    free(name);
    if (!val) {
      asl_buf_free(&b);
      return NULL;
    }
    asl_buf_puts(&b, val);
    free(val);
    p = d + 2 + n + 1;
  }
  asl_buf_puts(&b, p);
  return asl_buf_take(&b);
}

static int subst_name_ok(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!name_char(s[i])) return 0;
  return n > 0;
}

int asl_subst_add_kv(cJSON *subs, const char *kv, char **msg) {
  const char *eq = strchr(kv, '=');
  *msg = NULL;
  if (!eq || !subst_name_ok(kv, (size_t)(eq - kv))) {
    *msg = asl_strdup("expected NAME=VALUE, NAME made of letters, digits "
                      "and _ . : / -");
    return -1;
  }
  char *name = asl_strndup(kv, (size_t)(eq - kv));
  cJSON_DeleteItemFromObjectCaseSensitive(subs, name);
  cJSON_AddStringToObject(subs, name, eq + 1);
  free(name);
  return 0;
}

/* ------------------------------------------------------------------ */
/* the bindings file                                                    */
/* ------------------------------------------------------------------ */

/* A check of one value at JSON Pointer ptr: NULL, or the complaint
 * "ptr: reason" (new string). */
typedef char *(*check_fn)(const cJSON *v, const char *ptr);

typedef struct field {
  const char *name;
  check_fn check;
} field;

/* ptr + "/" + key, with "~" and "/" escaped as RFC 6901 says. */
static char *ptr_join(const char *ptr, const char *key) {
  asl_buf b = {0};
  asl_buf_printf(&b, "%s/", ptr);
  for (const char *k = key; *k; k++) {
    if (*k == '~')
      asl_buf_puts(&b, "~0");
    else if (*k == '/')
      asl_buf_puts(&b, "~1");
    else
      asl_buf_putc(&b, *k);
  }
  return asl_buf_take(&b);
}

/* The first member of obj whose name an earlier member has. */
static const cJSON *duplicate(const cJSON *obj) {
  for (const cJSON *a = obj->child; a; a = a->next)
    for (const cJSON *b = obj->child; b != a; b = b->next)
      if (strcmp(a->string, b->string) == 0) return a;
  return NULL;
}

static char *not_object(const cJSON *v, const char *ptr) {
  if (!cJSON_IsObject(v))
    return asl_sprintf("%s: must be an object, not %s", ptr,
                       asl_json_type_name(v));
  const cJSON *d = duplicate(v);
  if (!d) return NULL;
  char *p = ptr_join(ptr, d->string);
  char *e = asl_sprintf("%s: given twice", p);
  free(p);
  return e;
}

/* Checks each member of obj by its entry in fields (NULL-terminated);
 * others are unknown. */
static char *check_fields(const cJSON *obj, const char *ptr,
                          const field *fields, const char *expected) {
  char *e = not_object(obj, ptr);
  for (const cJSON *m = obj->child; m && !e; m = m->next) {
    const field *f = fields;
    while (f->name && strcmp(f->name, m->string) != 0)
      f++;
    char *p = ptr_join(ptr, m->string);
    e = f->name ? f->check(m, p)
                : asl_sprintf("%s: unknown field (expected %s)", p, expected);
    free(p);
  }
  return e;
}

/* Checks each member of a map object with check (and its name with
 * key_ok, which returns the complaint's reason or NULL). */
static char *check_map(const cJSON *obj, const char *ptr,
                       const char *(*key_ok)(const char *), check_fn check) {
  char *e = not_object(obj, ptr);
  for (const cJSON *m = obj->child; m && !e; m = m->next) {
    char *p = ptr_join(ptr, m->string);
    const char *bad = key_ok(m->string);
    e = bad ? asl_sprintf("%s: %s", p, bad) : check(m, p);
    free(p);
  }
  return e;
}

static char *check_text(const cJSON *v, const char *ptr) {
  if (cJSON_IsString(v) && *v->valuestring) return NULL;
  return asl_sprintf("%s: must be a non-empty string", ptr);
}

static char *check_command(const cJSON *v, const char *ptr) {
  if (cJSON_IsString(v)) return check_text(v, ptr);
  if (!cJSON_IsArray(v) || !v->child)
    return asl_sprintf("%s: must be a non-empty array of strings (argv) or "
                       "a string (run by /bin/sh -c)",
                       ptr);
  int i = 0;
  for (const cJSON *a = v->child; a; a = a->next, i++) {
    if (cJSON_IsString(a) && *a->valuestring) continue;
    return asl_sprintf("%s/%d: must be a non-empty string", ptr, i);
  }
  return NULL;
}

static char *check_env_value(const cJSON *v, const char *ptr) {
  if (cJSON_IsString(v)) return NULL;
  return asl_sprintf("%s: must be a string, not %s", ptr,
                     asl_json_type_name(v));
}

static const char *env_name_ok(const char *k) {
  return *k && !strchr(k, '=') ? NULL : "not an environment variable name";
}

static char *check_env(const cJSON *v, const char *ptr) {
  return check_map(v, ptr, env_name_ok, check_env_value);
}

static char *check_timeout(const cJSON *v, const char *ptr) {
  if (cJSON_IsNumber(v) && v->valuedouble > 0 && isfinite(v->valuedouble))
    return NULL;
  return asl_sprintf("%s: must be a number of seconds greater than 0", ptr);
}

static char *check_args(const cJSON *v, const char *ptr) {
  if (cJSON_IsObject(v)) return NULL;
  return asl_sprintf("%s: must be an object (members a built-in task "
                     "receives over its event's)",
                     ptr);
}

static const field function_fields[] = {{"command", check_command},
                                        {"builtin", check_text},
                                        {"env", check_env},
                                        {"timeout", check_timeout},
                                        {"cwd", check_text},
                                        {"args", check_args},
                                        {NULL, NULL}};

static char *check_function(const cJSON *v, const char *ptr) {
  char *e = check_fields(v, ptr, function_fields,
                         "command, builtin, env, timeout, cwd, args");
  if (e) return e;
  int cmd = asl_json_get(v, "command") != NULL;
  int builtin = asl_json_get(v, "builtin") != NULL;
  if (cmd && builtin)
    return asl_sprintf("%s: has both \"command\" and \"builtin\"; give one",
                       ptr);
  if (!cmd && !builtin)
    return asl_sprintf("%s: needs \"command\" or \"builtin\"", ptr);
  return NULL;
}

static int function_chars(const char *s, size_t n, const char *extra) {
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || strchr(extra, c)) ||
        !c)
      return 0;
  }
  return n > 0;
}

/* NAME or NAME:QUALIFIER, with Lambda's characters. */
static const char *function_name_ok(const char *k) {
  const char *colon = strchr(k, ':');
  size_t n = colon ? (size_t)(colon - k) : strlen(k);
  int ok = n <= 140 && function_chars(k, n, "-_.") &&
           (!colon || function_chars(colon + 1, strlen(colon + 1), "-_$"));
  return ok ? NULL
            : "not a Lambda function name (letters, digits, - _ and ., "
              "then an optional :QUALIFIER)";
}

static char *check_functions(const cJSON *v, const char *ptr) {
  return check_map(v, ptr, function_name_ok, check_function);
}

static char *check_subst_value(const cJSON *v, const char *ptr) {
  if (!cJSON_IsString(v) && !cJSON_IsNumber(v) && !cJSON_IsBool(v))
    return asl_sprintf("%s: must be a string, number or boolean, not %s", ptr,
                       asl_json_type_name(v));
  return NULL;
}

static const char *subst_key_ok(const char *k) {
  return subst_name_ok(k, strlen(k))
             ? NULL
             : "not a substitution name (letters, digits and _ . : / -)";
}

static char *check_substitutions(const cJSON *v, const char *ptr) {
  return check_map(v, ptr, subst_key_ok, check_subst_value);
}

/* Buckets: names of lake buckets a run needs, as the stack that deploys
 * the workflow on AWS would create them. Their S3 naming rules are checked
 * where they are made (cli/, with lake/'s rules: engine/ does not know the
 * lake). */
static char *check_buckets(const cJSON *v, const char *ptr) {
  if (!cJSON_IsArray(v))
    return asl_sprintf("%s: must be an array of bucket names, not %s", ptr,
                       asl_json_type_name(v));
  int i = 0;
  for (const cJSON *b = v->child; b; b = b->next, i++)
    if (!cJSON_IsString(b) || !b->valuestring[0])
      return asl_sprintf("%s/%d: must be a bucket name (a non-empty string)",
                         ptr, i);
  return NULL;
}

/* GlueJobs: {"NAME": {"builtin": "convert", "args": {...}}}, a Glue job
 * name bound to a built-in job (states/integrations/glue.c checks the
 * args when the job runs, since their values may come from the run's
 * Arguments). */
static char *check_glue_builtin(const cJSON *v, const char *ptr) {
  if (cJSON_IsString(v) && !strcmp(v->valuestring, "convert")) return NULL;
  return asl_sprintf("%s: must be \"convert\" (the only built-in Glue job)",
                     ptr);
}

static const field glue_job_fields[] = {
    {"builtin", check_glue_builtin}, {"args", check_args}, {NULL, NULL}};

static char *check_glue_job(const cJSON *v, const char *ptr) {
  char *e = check_fields(v, ptr, glue_job_fields, "builtin, args");
  if (e) return e;
  if (!asl_json_get(v, "builtin"))
    return asl_sprintf("%s: needs \"builtin\"", ptr);
  return NULL;
}

/* Glue's job names: 1 to 255 characters, no control characters. */
static const char *glue_name_ok(const char *k) {
  size_t n = strlen(k);
  if (!n || n > 255) return "not a Glue job name (1 to 255 characters)";
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)k[i] < 0x20)
      return "not a Glue job name (no control characters)";
  return NULL;
}

static char *check_glue_jobs(const cJSON *v, const char *ptr) {
  return check_map(v, ptr, glue_name_ok, check_glue_job);
}

static const field root_fields[] = {{"Functions", check_functions},
                                    {"GlueJobs", check_glue_jobs},
                                    {"Substitutions", check_substitutions},
                                    {"Buckets", check_buckets},
                                    {NULL, NULL}};

/* Reads all of path. NULL with *msg "PATH: reason" on failure. */
static char *read_all(const char *path, size_t *len, char **msg) {
  FILE *f = fopen(path, "rb");
  asl_buf b = {0};
  char chunk[65536];
  size_t n;
  while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
    asl_buf_add(&b, chunk, n);
  if (!f || ferror(f)) {
    *msg = asl_sprintf("%s: %s", path, strerror(errno));
    if (f) fclose(f);
    asl_buf_free(&b);
    return NULL;
  }
  fclose(f);
  *len = b.len;
  return asl_buf_take(&b);
}

int asl_bindings_load(const char *path, cJSON **out, char **msg) {
  size_t len = 0;
  char *why = NULL;
  *out = NULL;
  *msg = NULL;
  char *text = read_all(path, &len, msg);
  if (!text) return -1;
  cJSON *root = asl_json_parse(text, len, &why);
  free(text);
  char *e = NULL;
  if (!root)
    e = why, why = NULL;
  else if (!cJSON_IsObject(root))
    e = asl_sprintf("must be a JSON object {\"Functions\": {...}, "
                    "\"Substitutions\": {...}}, not %s",
                    asl_json_type_name(root));
  else
    e = check_fields(root, "", root_fields,
                     "Functions, Substitutions, Buckets, GlueJobs");
  if (!e) {
    *out = root;
    return 0;
  }
  *msg = asl_sprintf("%s: %s", path, e);
  free(e);
  cJSON_Delete(root);
  return -1;
}

char *asl_bindings_default_path(const char *def_path) {
  if (!def_path || strcmp(def_path, "-") == 0) return NULL;
  size_t n = strlen(def_path);
  if (n >= 5 && strcmp(def_path + n - 5, ".json") == 0)
    return asl_sprintf("%.*s.bindings.json", (int)(n - 5), def_path);
  return asl_sprintf("%s.bindings.json", def_path);
}
