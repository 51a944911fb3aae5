/* test_lambda.c: the Lambda integration with real local commands (small sh
 * and python3 scripts written into a fresh folder), the built-in tasks, the
 * registry, ${Name} substitutions and the bindings file. */
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../engine/json.h"
#include "../../engine/subst.h"
#include "../../engine/task.h"
#include "../../states/integrations/lambda.h"

#include "t.h"

static char g_dir[] = "/tmp/asl_lambda_XXXXXX";
static cJSON *g_bindings;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void write_file(const char *rel, const char *text, int mode) {
  char *path = asl_sprintf("%s/%s", g_dir, rel);
  FILE *f = fopen(path, "w");
  if (f) {
    fputs(text, f);
    fclose(f);
  }
  chmod(path, (mode_t)mode);
  free(path);
}

static const char *BINDINGS =
    "{\"Functions\": {"
    "\"echo\": {\"command\": [\"sh\", \"echo.sh\"]},"
    "\"py\": {\"command\": [\"python3\", \"add.py\"]},"
    "\"err\": {\"command\": \"./err.sh\"},"
    "\"spaced\": {\"command\": \"cat >/dev/null; printf "
    "'{\\\"errorMessage\\\": \\\"x\\\", \\\"errorType\\\": \\\"Py\\\"}'\"},"
    "\"exit3\": {\"command\": \"exit 3\"},"
    "\"killed\": {\"command\": \"kill -9 $$\"},"
    "\"bad\": {\"command\": \"echo not json\"},"
    "\"noext\": {\"command\": \"echo '{\\\"errorMessage\\\":\\\"m\\\"}'; "
    "exit 1\"},"
    "\"nothing\": {\"command\": \"true\"},"
    "\"sleeper\": {\"command\": [\"sleep\", \"30\"]},"
    "\"slowfn\": {\"command\": \"sleep 30\", \"timeout\": 1},"
    "\"big\": {\"command\": [\"python3\", \"big.py\"]},"
    "\"count\": {\"command\": \"wc -c\"},"
    "\"huge\": {\"command\": [\"python3\", \"-c\", \"import sys; "
    "sys.stdout.write(chr(34) + 'x' * 7000000 + chr(34))\"]},"
    "\"env\": {\"command\": \"printf '[\\\"%s\\\",\\\"%s\\\",\\\"%s\\\"]' "
    "\\\"$MYVAR\\\" \\\"$AWS_LAMBDA_FUNCTION_NAME\\\" \\\"$AWS_REGION\\\"\","
    " \"env\": {\"MYVAR\": \"hello\"}},"
    "\"where\": {\"command\": \"printf '\\\"%s\\\"' \\\"$(pwd)\\\"\", "
    "\"cwd\": \"sub\"},"
    "\"rel\": {\"command\": [\"./sub/rel.sh\"], \"cwd\": \"/\"},"
    "\"nocmd\": {\"command\": [\"no-such-program-xyz\"]},"
    "\"stderr\": {\"command\": \"echo line1 >&2; echo line2 >&2; "
    "echo '{}'\"},"
    "\"qual\": {\"builtin\": \"add\"},"
    "\"qual:v2\": {\"builtin\": \"echo\"},"
    "\"b_echo\": {\"builtin\": \"echo\"},"
    "\"b_fail\": {\"builtin\": \"fail\"},"
    "\"b_add\": {\"builtin\": \"add\"},"
    "\"b_sleep\": {\"builtin\": \"sleep\"},"
    "\"b_nope\": {\"builtin\": \"nope\"}"
    "}}";

static void setup(void) {
  if (!mkdtemp(g_dir)) abort();
  char *sub = asl_sprintf("%s/sub", g_dir);
  mkdir(sub, 0755);
  free(sub);
  write_file("echo.sh", "#!/bin/sh\ncat\n", 0755);
  write_file("add.py",
             "import json, sys\ne = json.load(sys.stdin)\n"
             "print(json.dumps({'sum': e['a'] + e['b']}))\n",
             0644);
  write_file("err.sh",
             "#!/bin/sh\ncat >/dev/null\n"
             "echo '{\"errorType\":\"MyError\",\"errorMessage\":\"boom\"}'\n",
             0755);
  /* writes 1 MB before it reads its 1 MB of stdin: a runner that writes
   * all of stdin first would deadlock */
  write_file("big.py",
             "import sys\nsys.stdout.write('\"' + 'x' * 1048576 + '\"')\n"
             "sys.stdout.flush()\nd = sys.stdin.read()\n"
             "sys.exit(0 if len(d) > 1000000 else 5)\n",
             0644);
  write_file("sub/rel.sh", "#!/bin/sh\necho '\"rel ok\"'\n", 0755);
  g_bindings = cJSON_Parse(BINDINGS);
  if (!g_bindings) abort();
}

static void teardown(void) {
  char *cmd = asl_sprintf("rm -rf '%s'", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
  free(cmd);
  cJSON_Delete(g_bindings);
}

/* Runs resource with params (JSON text, may be NULL) and a deadline
 * `timeout` seconds away (0: none), as the engine would. */
static int run_ctx(const char *resource, const char *params, double timeout,
                   const char *context, cJSON **out, asl_error *err) {
  const char *t = NULL, *n = NULL;
  int le = 0;
  const asl_task_ops *ops = asl_task_find(resource, &t, &n, &le);
  if (!ops) return asl_error_set(err, "test.NoIntegration", "%s", resource);
  cJSON *p = params ? cJSON_Parse(params) : NULL;
  cJSON *ctx = context ? cJSON_Parse(context) : NULL;
  asl_task_req req = {resource,   p,     "S",
                      g_bindings, g_dir, timeout > 0 ? now_s() + timeout : 0,
                      ctx,        NULL};
  int rc = ops->run(&req, out, err);
  cJSON_Delete(p);
  cJSON_Delete(ctx);
  return rc;
}

static int run(const char *resource, const char *params, double timeout,
               cJSON **out, asl_error *err) {
  return run_ctx(resource, params, timeout, NULL, out, err);
}

#define INVOKE "arn:aws:states:::lambda:invoke"
#define FN(name) "arn:aws:lambda:us-east-1:123456789012:function:" name

/* Invokes function `name` through lambda:invoke with Payload JSON text. */
static int invoke(const char *name, const char *payload, double timeout,
                  cJSON **out, asl_error *err) {
  char *params = payload ? asl_sprintf("{\"FunctionName\":\"%s\","
                                       "\"Payload\":%s}",
                                       name, payload)
                         : asl_sprintf("{\"FunctionName\":\"%s\"}", name);
  int rc = run(INVOKE, params, timeout, out, err);
  free(params);
  return rc;
}

static const cJSON *payload_of(const cJSON *envelope) {
  return asl_json_get(envelope, "Payload");
}

static char *keys_of(const cJSON *obj) {
  asl_buf b = {0};
  for (const cJSON *m = obj ? obj->child : NULL; m; m = m->next)
    asl_buf_printf(&b, "%s%s", b.len ? "," : "", m->string);
  return asl_buf_take(&b);
}

static int starts_with(const char *s, const char *prefix) {
  return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int has(const char *s, const char *part) {
  return s && strstr(s, part) != NULL;
}

/* ---- registry and matching ---- */

static void test_match(void) {
  const char *t = NULL, *n = NULL;
  int le = -1;
  T_OK(asl_task_find(INVOKE, &t, &n, &le) == &asl_lambda_ops, "invoke");
  T_STREQ(t, "lambda");
  T_STREQ(n, "invoke");
  T_OK(le == 0, "invoke writes Task events");
  const char *arn = FN("echo");
  T_OK(asl_task_find(arn, &t, &n, &le) == &asl_lambda_ops, "bare ARN");
  T_OK(n == arn && le == 1, "bare ARN: resource name, Lambda events");
  T_OK(asl_task_find(FN("echo:v1"), NULL, NULL, NULL) != NULL, "qualifier");
  T_OK(asl_task_find("arn:aws-us-gov:states:::lambda:invoke", 0, 0, 0),
       "partition");
  T_OK(!asl_task_find(INVOKE ".waitForTaskToken", &t, &n, &le),
       "waitForTaskToken is not ours");
  T_OK(t == NULL && n == NULL && le == 0, "no match clears the outs");
  T_OK(!asl_task_find(FN(""), 0, 0, 0), "empty name");
  T_OK(!asl_task_find("arn:aws:lambda:us-east-1:1:layer:x", 0, 0, 0),
       "a layer");
  T_OK(!asl_task_find("arn:aws:states:::sqs:sendMessage", 0, 0, 0), "sqs");
  T_OK(asl_lambda_ops.immediate == 0, "runs on a worker thread");
}

/* ---- results ---- */

static void test_bare(void) {
  cJSON *out = NULL;
  asl_error err = {0};
  T_OK(run(FN("echo"), "{\"a\":[1,\"x\"]}", 10, &out, &err) == 0,
       "bare echo: %s", err.cause);
  T_JSONEQ(out, "{\"a\":[1,\"x\"]}");
  cJSON_Delete(out);
  out = NULL;
  T_OK(run(FN("py"), "{\"a\":2,\"b\":3}", 10, &out, &err) == 0, "python: %s",
       err.cause);
  T_JSONEQ(out, "{\"sum\":5}");
  cJSON_Delete(out);
  out = NULL;
  T_OK(run(FN("nothing"), "{}", 10, &out, &err) == 0, "no output");
  T_JSONEQ(out, "null");
  cJSON_Delete(out);
  out = NULL;
  T_OK(run(FN("rel"), "{}", 10, &out, &err) == 0,
       "argv[0] against base_dir: %s", err.cause);
  T_JSONEQ(out, "\"rel ok\"");
  cJSON_Delete(out);
  asl_error_clear(&err);
}

static void test_envelope(void) {
  cJSON *out = NULL;
  asl_error err = {0};
  T_OK(invoke("echo", "{\"x\":[1,2]}", 10, &out, &err) == 0, "invoke: %s",
       err.cause);
  char *keys = keys_of(out);
  T_STREQ(keys, "ExecutedVersion,Payload,SdkHttpMetadata,"
                "SdkResponseMetadata,StatusCode");
  free(keys);
  T_JSONEQ(payload_of(out), "{\"x\":[1,2]}");
  T_JSONEQ(asl_json_get(out, "ExecutedVersion"), "\"$LATEST\"");
  T_JSONEQ(asl_json_get(out, "StatusCode"), "200");
  const cJSON *md = asl_json_get(out, "SdkHttpMetadata");
  keys = keys_of(asl_json_get(md, "AllHttpHeaders"));
  T_STREQ(keys, "X-Amz-Executed-Version,x-amzn-Remapped-Content-Length,"
                "Connection,x-amzn-RequestId,Content-Length,Date,"
                "X-Amzn-Trace-Id,Content-Type");
  free(keys);
  keys = keys_of(asl_json_get(md, "HttpHeaders"));
  T_STREQ(keys, "Connection,Content-Length,Content-Type,Date,"
                "X-Amz-Executed-Version,x-amzn-Remapped-Content-Length,"
                "x-amzn-RequestId,X-Amzn-Trace-Id");
  free(keys);
  const cJSON *all = asl_json_get(md, "AllHttpHeaders");
  T_JSONEQ(asl_json_get(all, "Content-Length"), "[\"11\"]");
  T_JSONEQ(asl_json_get(md, "HttpStatusCode"), "200");
  const cJSON *id =
      asl_json_get(asl_json_get(out, "SdkResponseMetadata"), "RequestId");
  const cJSON *hid =
      asl_json_get(asl_json_get(md, "HttpHeaders"), "x-amzn-RequestId");
  T_OK(cJSON_IsString(id) && strlen(id->valuestring) == 36 &&
           id->valuestring[14] == '4',
       "request id is a UUID v4");
  T_OK(cJSON_IsString(hid) && !strcmp(id->valuestring, hid->valuestring),
       "one request id");
  const cJSON *date = asl_json_get(asl_json_get(md, "HttpHeaders"), "Date");
  T_OK(cJSON_IsString(date) && has(date->valuestring, " GMT"), "Date");
  cJSON_Delete(out);
  asl_error_clear(&err);
}

/* Payload as AWS sends it: absent or null gives {}, a string holding
 * JSON is that JSON, another string is a JSON string. */
static void test_payloads(void) {
  static const struct {
    const char *payload, *want;
  } rows[] = {
      {NULL, "{}"},
      {"null", "{}"},
      {"\"{\\\"k\\\":1}\"", "{\"k\":1}"},
      {"\"hello\"", "\"hello\""},
      {"[1,true]", "[1,true]"},
      {"0", "0"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    cJSON *out = NULL;
    asl_error err = {0};
    T_OK(invoke("echo", rows[i].payload, 10, &out, &err) == 0, "payload %zu",
         i);
    T_JSONEQ(payload_of(out), rows[i].want);
    cJSON_Delete(out);
    asl_error_clear(&err);
  }
}

static void test_names(void) {
  static const struct {
    const char *name, *want, *version;
  } rows[] = {
      {"123456789012:function:b_echo", "{\"a\":1,\"b\":2}", "$LATEST"},
      {"arn:aws:lambda:eu-west-1:123456789012:function:b_echo",
       "{\"a\":1,\"b\":2}", "$LATEST"},
      {"qual", "3", "$LATEST"},
      {"qual:v2", "{\"a\":1,\"b\":2}", "$LATEST"},
      {"qual:7", "3", "7"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    cJSON *out = NULL;
    asl_error err = {0};
    T_OK(invoke(rows[i].name, "{\"a\":1,\"b\":2}", 10, &out, &err) == 0,
         "%s: %s", rows[i].name, err.cause);
    T_JSONEQ(payload_of(out), rows[i].want);
    const cJSON *v = asl_json_get(out, "ExecutedVersion");
    T_STREQ(cJSON_IsString(v) ? v->valuestring : NULL, rows[i].version);
    cJSON_Delete(out);
    asl_error_clear(&err);
  }
}

/* ---- errors ---- */

typedef struct err_row {
  const char *resource, *params;
  double timeout;
  const char *name, *cause_start, *cause_has;
} err_row;

static const err_row ERRS[] = {
    /* the function's own error: compact for invoke, as written for ARN */
    {INVOKE, "{\"FunctionName\":\"err\"}", 10, "MyError",
     "{\"errorType\":\"MyError\",\"errorMessage\":\"boom\"}", NULL},
    {INVOKE, "{\"FunctionName\":\"spaced\"}", 10, "Py",
     "{\"errorMessage\":\"x\",\"errorType\":\"Py\"}", NULL},
    {FN("spaced"), "{}", 10, "Py",
     "{\"errorMessage\": \"x\", \"errorType\": \"Py\"}", NULL},
    {INVOKE, "{\"FunctionName\":\"exit3\"}", 10, "Runtime.ExitError",
     "{\"errorType\":\"Runtime.ExitError\",\"errorMessage\":\"RequestId: ",
     " Error: Runtime exited with error: exit status 3\"}"},
    {FN("killed"), "{}", 10, "Runtime.ExitError", NULL,
     "Runtime exited with error: signal: killed"},
    {INVOKE, "{\"FunctionName\":\"bad\"}", 10, "Lambda.Unknown",
     "The function's response is not valid JSON (line 1, column ",
     "Returned payload: not json"},
    {FN("noext"), "{}", 10, "Lambda.Unknown",
     "The cause could not be determined because Lambda did not return an "
     "error type. Returned payload: {\"errorMessage\":\"m\"}",
     NULL},
    {INVOKE, "{\"FunctionName\":\"nocmd\"}", 10, "Runtime.InvalidEntrypoint",
     NULL, "Error: fork/exec no-such-program-xyz: no such file or directory"},
    {INVOKE, "{\"FunctionName\":\"huge\"}", 20, "Function.ResponseSizeTooLarge",
     "{\"errorMessage\":\"Response payload size exceeded maximum allowed "
     "payload size (6291556 bytes).\",\"errorType\":"
     "\"Function.ResponseSizeTooLarge\"}",
     NULL},
    {INVOKE, "{\"FunctionName\":\"nope\"}", 10,
     "Lambda.ResourceNotFoundException",
     "Function not found: arn:aws:lambda:us-east-1:123456789012:function:"
     "nope (Service: AWSLambda; Status Code: 404; Error Code: "
     "ResourceNotFoundException; Request ID: ",
     "; Proxy: null)"},
    {INVOKE,
     "{\"FunctionName\":\"arn:aws:lambda:us-west-2:222222222222:function:"
     "nope:prod\"}",
     10, "Lambda.ResourceNotFoundException",
     "Function not found: arn:aws:lambda:us-west-2:222222222222:function:"
     "nope:prod (Service: AWSLambda; Status Code: 404;",
     NULL},
    {FN("nope"), "{}", 10, "Lambda.ResourceNotFoundException",
     "Function not found: arn:aws:lambda:us-east-1:123456789012:function:"
     "nope (",
     NULL},
    {INVOKE, "{\"FunctionName\":\"qual:v2\",\"Qualifier\":\"v3\"}", 10,
     "Lambda.InvalidParameterValueException",
     "The derived qualifier from the function name does not match the "
     "specified qualifier. (Service: AWSLambda; Status Code: 400;",
     NULL},
    {INVOKE, "{\"FunctionName\":\"bad name\"}", 10, "Lambda.AWSLambdaException",
     "1 validation error detected: Value 'bad name' at 'functionName' "
     "failed to satisfy constraint: ",
     "Error Code: ValidationException;"},
    {INVOKE, "{\"FunctionName\":\"echo\",\"InvocationType\":\"Later\"}", 10,
     "Lambda.AWSLambdaException",
     "1 validation error detected: Value 'Later' at 'invocationType' "
     "failed to satisfy constraint: Member must satisfy enum value set: "
     "[Event, RequestResponse, DryRun]",
     NULL},
    {INVOKE, "{\"Payload\":{}}", 10, "States.Runtime", NULL,
     "'FunctionName' must be a string"},
    {INVOKE,
     "{\"FunctionName\":\"b_fail\",\"Payload\":{\"errorType\":"
     "\"Custom.Err\",\"errorMessage\":\"why\"}}",
     10, "Custom.Err",
     "{\"errorType\":\"Custom.Err\",\"errorMessage\":"
     "\"why\"}",
     NULL},
    {INVOKE, "{\"FunctionName\":\"b_add\",\"Payload\":{\"a\":\"1\"}}", 10,
     "TypeError", NULL, "add needs numbers"},
    {INVOKE, "{\"FunctionName\":\"b_nope\"}", 10, "States.Runtime",
     "bindings: /Functions/b_nope/builtin: no built-in task named 'nope' "
     "(built-ins: add, echo, fail, fake-user, mysql-extract, sleep)",
     NULL},
};

static void test_errors(void) {
  for (size_t i = 0; i < sizeof ERRS / sizeof ERRS[0]; i++) {
    const err_row *r = &ERRS[i];
    cJSON *out = NULL;
    asl_error err = {0};
    int rc = run(r->resource, r->params, r->timeout, &out, &err);
    T_OK(rc == -1 && out == NULL, "row %zu fails", i);
    T_STREQ(err.name, r->name);
    if (r->cause_start)
      T_OK(starts_with(err.cause, r->cause_start), "row %zu cause [%s]", i,
           err.cause);
    if (r->cause_has)
      T_OK(has(err.cause, r->cause_has), "row %zu cause [%s]", i, err.cause);
    cJSON_Delete(out);
    asl_error_clear(&err);
  }
}

static char *payload_string(size_t n, char c) {
  char *s = asl_malloc(n + 3);
  s[0] = '"';
  memset(s + 1, c, n);
  s[n + 1] = '"';
  s[n + 2] = 0;
  return s;
}

/* The partition, region and account of a bare name come from the
 * execution's ARN in the context object. */
static void test_home(void) {
  cJSON *out = NULL;
  asl_error err = {0};
  run_ctx(INVOKE, "{\"FunctionName\":\"nope\"}", 10,
          "{\"Execution\":{\"Id\":\"arn:aws:states:eu-west-1:111111111111:"
          "execution:sm:x\"}}",
          &out, &err);
  T_OK(starts_with(err.cause, "Function not found: arn:aws:lambda:eu-west-1:"
                              "111111111111:function:nope ("),
       "home from context: %s", err.cause);
  asl_error_clear(&err);
  /* a request over Lambda's 6 MB */
  char *big = payload_string(7000000, 'x');
  char *params = asl_sprintf("{\"FunctionName\":\"echo\",\"Payload\":%s}", big);
  T_OK(run(INVOKE, params, 10, &out, &err) == -1, "request too large");
  free(big);
  free(params);
  T_STREQ(err.name, "Lambda.RequestTooLargeException");
  T_OK(has(err.cause, " byte payload is too large for the RequestResponse "
                      "invocation type (limit 6291456 bytes) (Service: "
                      "AWSLambda; Status Code: 413;"),
       "%.200s", err.cause);
  asl_error_clear(&err);
}

/* ---- deadlines ---- */

static void test_timeouts(void) {
  cJSON *out = NULL;
  asl_error err = {0};
  double t0 = now_s();
  T_OK(run(FN("sleeper"), "{}", 1, &out, &err) == -1, "sleep 30 killed");
  double took = now_s() - t0;
  T_STREQ(err.name, "States.Timeout");
  T_OK(err.cause == NULL, "States.Timeout has no cause");
  T_OK(took > 0.9 && took < 2.5, "killed after about 1 s: %.2f", took);
  asl_error_clear(&err);
  t0 = now_s();
  T_OK(invoke("slowfn", NULL, 0, &out, &err) == -1, "function timeout");
  took = now_s() - t0;
  T_STREQ(err.name, "Sandbox.Timedout");
  T_OK(has(err.cause, " Error: Task timed out after 1.00 seconds\"}"), "%s",
       err.cause);
  T_OK(took > 0.9 && took < 2.5, "function timeout after 1 s: %.2f", took);
  asl_error_clear(&err);
  /* the Task's deadline before the function's own timeout */
  T_OK(invoke("slowfn", NULL, 0.3, &out, &err) == -1, "task first");
  T_STREQ(err.name, "States.Timeout");
  asl_error_clear(&err);
  T_OK(run(INVOKE,
           "{\"FunctionName\":\"b_sleep\",\"Payload\":"
           "{\"seconds\":30}}",
           0.5, &out, &err) == -1,
       "built-in sleep gives up at the deadline");
  T_STREQ(err.name, "States.Timeout");
  asl_error_clear(&err);
}

/* ---- big data both ways ---- */

static void test_big(void) {
  cJSON *out = NULL;
  asl_error err = {0};
  char *mb = payload_string(1048576, 'y');
  double t0 = now_s();
  T_OK(invoke("big", mb, 30, &out, &err) == 0, "1 MB out before 1 MB in: %s",
       err.cause);
  const cJSON *p = payload_of(out);
  T_OK(cJSON_IsString(p) && strlen(p->valuestring) == 1048576, "1 MB result");
  T_OK(now_s() - t0 < 10, "no deadlock");
  cJSON_Delete(out);
  out = NULL;
  T_OK(invoke("count", mb, 30, &out, &err) == 0, "1 MB stdin: %s", err.cause);
  T_JSONEQ(payload_of(out), "1048578");
  cJSON_Delete(out);
  out = NULL;
  /* exits without reading: EPIPE (and SIGPIPE) are the function's end */
  T_OK(invoke("nothing", mb, 30, &out, &err) == 0, "unread stdin: %s",
       err.cause);
  T_JSONEQ(payload_of(out), "null");
  cJSON_Delete(out);
  free(mb);
  asl_error_clear(&err);
}

typedef struct worker {
  int ok;
} worker;

static void *count_worker(void *arg) {
  worker *w = arg;
  cJSON *out = NULL;
  asl_error err = {0};
  char *s = payload_string(300000, 'z');
  w->ok = invoke("count", s, 30, &out, &err) == 0 &&
          cJSON_IsNumber(payload_of(out)) &&
          payload_of(out)->valuedouble == 300002;
  free(s);
  cJSON_Delete(out);
  asl_error_clear(&err);
  return NULL;
}

/* Functions started by several threads at once must not hold one
 * another's pipes open (each would wait for an EOF that never comes). */
static void test_concurrent(void) {
  pthread_t th[6];
  worker w[6] = {{0}};
  for (int i = 0; i < 6; i++)
    pthread_create(&th[i], NULL, count_worker, &w[i]);
  int ok = 0;
  for (int i = 0; i < 6; i++) {
    pthread_join(th[i], NULL);
    ok += w[i].ok;
  }
  T_OK(ok == 6, "6 concurrent functions: %d right", ok);
}

/* ---- environment, folders, stderr, log tail ---- */

static void test_process(void) {
  cJSON *out = NULL;
  asl_error err = {0};
  T_OK(invoke("env", NULL, 10, &out, &err) == 0, "env: %s", err.cause);
  T_JSONEQ(payload_of(out), "[\"hello\",\"env\",\"us-east-1\"]");
  cJSON_Delete(out);
  out = NULL;
  T_OK(invoke("where", NULL, 10, &out, &err) == 0, "cwd: %s", err.cause);
  char *real = realpath(g_dir, NULL);
  char *want = asl_sprintf("\"%s/sub\"", real);
  T_JSONEQ(payload_of(out), want);
  free(want);
  free(real);
  cJSON_Delete(out);
  asl_error_clear(&err);
}

static char *unbase64(const char *s) {
  static const char tab[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  asl_buf b = {0};
  unsigned v = 0;
  int bits = 0;
  for (; *s && *s != '='; s++) {
    const char *p = strchr(tab, *s);
    if (!p) break;
    v = v << 6 | (unsigned)(p - tab);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      asl_buf_putc(&b, (char)(v >> bits & 0xff));
    }
  }
  return asl_buf_take(&b);
}

static char *read_text(const char *path) {
  asl_buf b = {0};
  FILE *f = fopen(path, "r");
  char chunk[4096];
  size_t n;
  while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
    asl_buf_add(&b, chunk, n);
  if (f) fclose(f);
  return asl_buf_take(&b);
}

static void test_stderr(void) {
  char *path = asl_sprintf("%s/stderr.txt", g_dir);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int saved = dup(2);
  dup2(fd, 2);
  cJSON *out = NULL;
  asl_error err = {0};
  int rc = run(INVOKE, "{\"FunctionName\":\"stderr\",\"LogType\":\"Tail\"}", 10,
               &out, &err);
  dup2(saved, 2);
  close(saved);
  close(fd);
  T_OK(rc == 0, "stderr function: %s", err.cause);
  char *text = read_text(path);
  T_STREQ(text, "[stderr] line1\n[stderr] line2\n");
  free(text);
  char *keys = keys_of(out);
  T_STREQ(keys, "ExecutedVersion,LogResult,Payload,SdkHttpMetadata,"
                "SdkResponseMetadata,StatusCode");
  free(keys);
  const cJSON *lr = asl_json_get(out, "LogResult");
  char *log = unbase64(cJSON_IsString(lr) ? lr->valuestring : "");
  T_OK(starts_with(log, "START RequestId: ") &&
           has(log, "Version: $LATEST\nline1\nline2\nEND RequestId: "),
       "log tail [%s]", log);
  free(log);
  const cJSON *all =
      asl_json_get(asl_json_get(out, "SdkHttpMetadata"), "AllHttpHeaders");
  T_OK(all && all->child && !strcmp(all->child->string, "X-Amz-Log-Result"),
       "X-Amz-Log-Result comes first");
  cJSON_Delete(out);
  free(path);
  asl_error_clear(&err);
}

static void test_invocation_types(void) {
  cJSON *out = NULL;
  asl_error err = {0};
  T_OK(run(INVOKE,
           "{\"FunctionName\":\"exit3\",\"InvocationType\":"
           "\"DryRun\"}",
           10, &out, &err) == 0,
       "DryRun runs nothing");
  T_JSONEQ(asl_json_get(out, "StatusCode"), "204");
  T_JSONEQ(payload_of(out), "\"\"");
  cJSON_Delete(out);
  out = NULL;
  T_OK(run(INVOKE,
           "{\"FunctionName\":\"exit3\",\"InvocationType\":"
           "\"Event\"}",
           10, &out, &err) == 0,
       "Event: the function's failure is not the Task's");
  T_JSONEQ(asl_json_get(out, "StatusCode"), "202");
  cJSON_Delete(out);
  asl_error_clear(&err);
}

/* ---- built-ins ---- */

static void test_builtins(void) {
  static const struct {
    const char *name, *payload, *want;
  } rows[] = {
      {"b_echo", "{\"k\":[1,{}]}", "{\"k\":[1,{}]}"},
      {"b_add", "{\"a\":1.5,\"b\":2}", "3.5"},
      {"b_sleep", "{\"seconds\":0.05}", "{\"seconds\":0.05}"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    cJSON *out = NULL;
    asl_error err = {0};
    T_OK(invoke(rows[i].name, rows[i].payload, 10, &out, &err) == 0, "%s",
         rows[i].name);
    T_JSONEQ(payload_of(out), rows[i].want);
    cJSON_Delete(out);
    asl_error_clear(&err);
  }
  cJSON *out = NULL;
  asl_error err = {0};
  T_OK(run(FN("b_add"), "{\"a\":40,\"b\":2}", 0, &out, &err) == 0,
       "bare built-in");
  T_JSONEQ(out, "42");
  cJSON_Delete(out);
  T_OK(asl_builtin_find("echo") && !asl_builtin_find("nope"), "find");
  char *msg = NULL;
  T_OK(asl_lambda_check_bindings(g_bindings, &msg) == -1, "checks");
  T_STREQ(msg, "/Functions/b_nope/builtin: no built-in task named 'nope' "
               "(built-ins: add, echo, fail, fake-user, mysql-extract, sleep)");
  free(msg);
  cJSON *ok = cJSON_Parse("{\"Functions\":{\"a\":{\"builtin\":\"add\"}}}");
  T_OK(asl_lambda_check_bindings(ok, &msg) == 0 && !msg, "all known");
  cJSON_Delete(ok);
  /* mysql-extract's args are checked when the bindings load */
  static const struct {
    const char *args, *msg; /* msg NULL: accepted */
  } my[] = {
      {"{}", NULL},
      {"{\"connection\":{\"host\":\"h\",\"password_env\":\"NOT_SET_X\"},"
       "\"setup\":[\"SELECT 1\"],\"exports\":[{\"table\":\"a.b\","
       "\"to\":\"s3://bkt/p\",\"part_size\":10}]}",
       NULL},
      {"{\"connection\":{\"password\":\"x\"}}",
       "/Functions/m/args/connection/password: a password is never written "
       "in a bindings file or an input; put it in an environment variable "
       "and name that variable with \"password_env\""},
      {"{\"connection\":{\"port\":0}}",
       "/Functions/m/args/connection/port: must be a port number 1..65535"},
      {"{\"setup\":[1]}",
       "/Functions/m/args/setup/0: must be a string (one SQL statement)"},
      {"{\"exports\":[{\"table\":\"t\",\"query\":\"q\",\"to\":\"s3://b/p\"}]}",
       "/Functions/m/args/exports/0: give exactly one of \"table\" and "
       "\"query\""},
      {"[]", "/Functions/m/args: must be an object"},
  };
  for (size_t i = 0; i < sizeof my / sizeof my[0]; i++) {
    char *text = asl_sprintf(
        "{\"Functions\":{\"m\":{\"builtin\":\"mysql-extract\",\"args\":%s}}}",
        my[i].args);
    cJSON *b = cJSON_Parse(text);
    int rc = asl_lambda_check_bindings(b, &msg);
    T_OK(rc == (my[i].msg ? -1 : 0), "mysql-extract args %zu: rc %d", i, rc);
    T_STREQ(msg, my[i].msg);
    free(msg);
    msg = NULL;
    cJSON_Delete(b);
    free(text);
  }
}

/* ---- substitutions ---- */

static void test_subst(void) {
  cJSON *subs = cJSON_Parse("{\"Fn\":\"arn:aws:lambda:r:1:function:f\","
                            "\"N\":5,\"B\":true,\"Half\":0.5,"
                            "\"AWS::Region\":\"eu-west-1\",\"O\":{}}");
  static const struct {
    const char *in, *out;
  } rows[] = {
      {"{\"Resource\":\"${Fn}\"}",
       "{\"Resource\":\"arn:aws:lambda:r:1:function:f\"}"},
      {"{\"Seconds\":${N},\"On\":${B},\"H\":${Half}}",
       "{\"Seconds\":5,\"On\":true,\"H\":0.5}"},
      {"${N}${N}-${AWS::Region}", "55-eu-west-1"},
      {"$${N}", "$5"},
      {"${} ${ N} ${N!} $N {N}", "${} ${ N} ${N!} $N {N}"},
      {"no placeholders", "no placeholders"},
      {"${", "${"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    char *msg = NULL;
    char *got = asl_subst_apply(rows[i].in, subs, &msg);
    T_STREQ(got, rows[i].out);
    T_OK(msg == NULL, "row %zu: %s", i, msg);
    free(got);
    free(msg);
  }
  char *msg = NULL;
  char *got =
      asl_subst_apply("{\n  \"A\": 1,\n  \"R\": \"${Missing}\"\n}", subs, &msg);
  T_OK(got == NULL, "undefined");
  T_STREQ(msg, "line 3, column 9: ${Missing} is not defined (give it in "
               "the bindings' Substitutions or with --sub Missing=VALUE)");
  free(msg);
  got = asl_subst_apply("x ${O}", subs, &msg);
  T_OK(got == NULL && has(msg, "${O}: a substitution must be a string, "
                               "number or boolean, not object"),
       "%s", msg);
  free(msg);
  got = asl_subst_apply("${N}", NULL, &msg);
  T_OK(got == NULL && has(msg, "${N} is not defined"), "no subs at all");
  free(msg);
  T_OK(asl_subst_add_kv(subs, "N=7", &msg) == 0, "--sub");
  got = asl_subst_apply("${N}", subs, &msg);
  T_STREQ(got, "7");
  free(got);
  T_OK(asl_subst_add_kv(subs, "bad name=1", &msg) == -1 && msg, "bad --sub");
  free(msg);
  T_OK(asl_subst_add_kv(subs, "novalue", &msg) == -1, "--sub without =");
  free(msg);
  cJSON_Delete(subs);
}

/* ---- the bindings file ---- */

static void test_bindings_file(void) {
  static const struct {
    const char *text, *msg; /* msg NULL: loads */
  } rows[] = {
      {"{\"Functions\":{\"f\":{\"command\":[\"python3\",\"f.py\"],"
       "\"env\":{\"K\":\"V\"},\"timeout\":3,\"cwd\":\"x\"},"
       "\"g:live\":{\"builtin\":\"echo\"}},"
       "\"Substitutions\":{\"A\":\"x\",\"N\":1,\"B\":false}}",
       NULL},
      {"{}", NULL},
      {"{\n  \"Functions\": {\n    \"f\": {\"command\": [\"a\",]}\n  }\n}",
       "line 3, column 27: unexpected character"},
      {"[]", "must be a JSON object {\"Functions\": {...}, "
             "\"Substitutions\": {...}}, not array"},
      {"{\"Function\":{}}",
       "/Function: unknown field (expected Functions, Substitutions, Buckets, GlueJobs)"},
      {"{\"Buckets\":[\"a-b\",\"lake\"]}", NULL},
      {"{\"Buckets\":\"lake\"}",
       "/Buckets: must be an array of bucket names, not string"},
      {"{\"Buckets\":[\"lake\",\"\"]}",
       "/Buckets/1: must be a bucket name (a non-empty string)"},
      {"{\"Functions\":{\"f\":{\"command\":[\"a\",2]}}}",
       "/Functions/f/command/1: must be a non-empty string"},
      {"{\"Functions\":{\"f\":{\"command\":[]}}}",
       "/Functions/f/command: must be a non-empty array of strings (argv) "
       "or a string (run by /bin/sh -c)"},
      {"{\"Functions\":{\"f\":{\"builtin\":\"echo\",\"timeout\":0}}}",
       "/Functions/f/timeout: must be a number of seconds greater than 0"},
      {"{\"Functions\":{\"f\":{\"command\":\"x\",\"env\":{\"N\":1}}}}",
       "/Functions/f/env/N: must be a string, not number"},
      {"{\"Functions\":{\"f\":{\"command\":\"x\",\"builtin\":\"echo\"}}}",
       "/Functions/f: has both \"command\" and \"builtin\"; give one"},
      {"{\"Functions\":{\"f\":{\"timeout\":1}}}",
       "/Functions/f: needs \"command\" or \"builtin\""},
      {"{\"Functions\":{\"f\":{\"comand\":\"x\"}}}",
       "/Functions/f/comand: unknown field (expected command, builtin, env, "
       "timeout, cwd, args)"},
      {"{\"Functions\":{\"a/b\":{\"builtin\":\"echo\"}}}",
       "/Functions/a~1b: not a Lambda function name"},
      {"{\"Substitutions\":{\"A\":null}}",
       "/Substitutions/A: must be a string, number or boolean, not null"},
      {"{\"Substitutions\":{\"A\":1,\"A\":2}}",
       "/Substitutions/A: given twice"},
      {"{\"Functions\":[]}", "/Functions: must be an object, not array"},
  };
  char *path = asl_sprintf("%s/b.bindings.json", g_dir);
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    write_file("b.bindings.json", rows[i].text, 0644);
    cJSON *out = NULL;
    char *msg = NULL;
    int rc = asl_bindings_load(path, &out, &msg);
    if (!rows[i].msg) {
      T_OK(rc == 0 && cJSON_IsObject(out) && !msg, "row %zu loads: %s", i, msg);
    } else {
      char *want = asl_sprintf("%s: %s", path, rows[i].msg);
      T_OK(rc == -1 && !out && starts_with(msg, want), "row %zu: [%s]", i, msg);
      free(want);
    }
    cJSON_Delete(out);
    free(msg);
  }
  cJSON *out = NULL;
  char *msg = NULL;
  char *missing = asl_sprintf("%s/none.json", g_dir);
  char *want = asl_sprintf("%s: No such file or directory", missing);
  T_OK(asl_bindings_load(missing, &out, &msg) == -1, "missing file");
  T_STREQ(msg, want);
  free(msg);
  free(want);
  free(missing);
  free(path);
}

static void test_default_path(void) {
  static const struct {
    const char *in, *out;
  } rows[] = {
      {"workflows/etl.json", "workflows/etl.bindings.json"},
      {"etl.asl.json", "etl.asl.bindings.json"},
      {"flow", "flow.bindings.json"},
      {"-", NULL},
      {NULL, NULL},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    char *got = asl_bindings_default_path(rows[i].in);
    T_STREQ(got, rows[i].out);
    free(got);
  }
}

T_MAIN("lambda") {
  setup();
  test_match();
  test_bare();
  test_envelope();
  test_payloads();
  test_names();
  test_errors();
  test_home();
  test_timeouts();
  test_big();
  test_concurrent();
  test_process();
  test_stderr();
  test_invocation_types();
  test_builtins();
  test_subst();
  test_bindings_file();
  test_default_path();
  teardown();
}
