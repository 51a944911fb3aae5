/* store_cmds.c: the commands over the durable store (see store_cmds.h):
 * option tables, the readable tables of executions and history events,
 * and `asl run` / `asl resume` recorded through a store sink. */
#include "store_cmds.h"

#include "../engine/mock.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../engine/exec.h"
#include "../engine/json.h"
#include "../engine/limits.h"
#include "../engine/machine.h"
#include "../engine/store.h"

#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66
#define EX_IOERR 74

/* ---- errors and exit codes ---- */

/* Error names (or their prefix) -> exit codes; anything else: EX_IOERR. */
static const struct {
  const char *prefix;
  int code;
} exit_codes[] = {
    {"Store.", EX_IOERR},
    {"ExecutionDoesNotExist", EX_NOINPUT},
    {"StateMachineDoesNotExist", EX_NOINPUT},
    {"ExecutionAlreadyExists", EX_USAGE},
    {"ValidationException", EX_USAGE},
};

/* Prints e ("asl: NAME: cause") and returns its exit code. */
static int report(const asl_error *e) {
  fprintf(stderr, "asl: %s: %s\n", e->name ? e->name : "error",
          e->cause ? e->cause : "");
  for (size_t i = 0; i < sizeof exit_codes / sizeof *exit_codes; i++)
    if (e->name && strncmp(e->name, exit_codes[i].prefix,
                           strlen(exit_codes[i].prefix)) == 0)
      return exit_codes[i].code;
  return EX_IOERR;
}

/* report() that also clears e. */
static int report_clear(asl_error *e) {
  int rc = report(e);
  asl_error_clear(e);
  return rc;
}

/* ---- the store's path ---- */

/* mkdir -p dir; failures show later, when the store does not open. */
static void make_dirs(const char *dir) {
  char *p = asl_strdup(dir);
  for (char *s = p + 1; *s; s++) {
    if (*s != '/') continue;
    *s = 0;
    mkdir(p, 0777);
    *s = '/';
  }
  mkdir(p, 0777);
  free(p);
}

const char *asl_store_db_path(const char *given) {
  static char buf[4096];
  if (given) return given;
  char *dir = asl_home_dir();
  make_dirs(dir);
  snprintf(buf, sizeof buf, "%s/asl.db", dir);
  free(dir);
  return buf;
}

/* Opens the store at --db (or the default), with $ASL_BUSY_TIMEOUT_MS
 * when set; returns 0 or an exit code. */
static int open_store(const char *given, asl_store **s) {
  asl_error e = {0};
  if (asl_store_open(asl_store_db_path(given), s, &e) < 0)
    return report_clear(&e);
  const char *ms = getenv("ASL_BUSY_TIMEOUT_MS");
  if (ms && *ms) asl_store_set_busy_timeout(*s, atoi(ms));
  return 0;
}

/* ---- options ---- */

/* One option of a command: a switch (value NULL: sets *on) or an option
 * with a value (stored in *value). */
typedef struct opt {
  const char *flag;
  const char **value;
  int *on;
} opt;

static int usage(const char *text, const char *why) {
  if (why) fprintf(stderr, "asl: %s\n", why);
  fputs(text, stderr);
  return EX_USAGE;
}

/* Parses argv against opts; the one positional argument (when pos is not
 * NULL it is required) goes to *pos. Returns 0 or EX_USAGE after printing
 * why. */
static int parse(int argc, char **argv, const opt *opts, size_t n,
                 const char **pos, const char *text) {
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    size_t k = 0;
    while (k < n && strcmp(a, opts[k].flag) != 0) k++;
    if (k < n && opts[k].value) {
      if (i + 1 == argc) return usage(text, "missing value of an option");
      *opts[k].value = argv[++i];
    } else if (k < n) {
      *opts[k].on = 1;
    } else if (a[0] == '-' && a[1]) {
      return usage(text, "unknown option");
    } else if (pos && !*pos) {
      *pos = a;
    } else {
      return usage(text, "too many arguments");
    }
  }
  if (pos && !*pos) return usage(text, "no execution name or ARN given");
  return 0;
}

/* ---- printing ---- */

static void print_json(const cJSON *v) {
  char *s = cJSON_Print(v);
  printf("%s\n", s ? s : "null");
  cJSON_free(s);
}

/* "2025-01-02 03:04:05.678" (UTC) of epoch seconds t: the engine's
 * ISO-8601 text, made easier to read in a table. */
static void fmt_time(double t, char *buf, size_t n) {
  asl_iso8601(t, buf, n);
  char *tee = strchr(buf, 'T'), *zed = strchr(buf, 'Z');
  if (tee) *tee = ' ';
  if (zed) *zed = 0;
}

static void fmt_duration(double d, char *buf, size_t n) {
  if (d < 60) snprintf(buf, n, "%.3fs", d);
  else if (d < 3600) snprintf(buf, n, "%dm%02ds", (int)(d / 60), (int)d % 60);
  else snprintf(buf, n, "%dh%02dm", (int)(d / 3600), (int)d / 60 % 60);
}

static double num(const cJSON *o, const char *k) {
  const cJSON *v = asl_json_get(o, k);
  return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = asl_json_get(o, k);
  return cJSON_IsString(v) ? v->valuestring : "";
}

/* The machine's name: what follows ":stateMachine:" in its ARN. */
static const char *machine_of(const char *arn) {
  const char *p = strstr(arn, ":stateMachine:");
  return p ? p + strlen(":stateMachine:") : arn;
}

/* ---- asl executions ---- */

static const char executions_usage[] =
    "usage: asl executions [--status S] [--machine NAME] [--db PATH] "
    "[--json]\n"
    "  lists recorded executions, newest first; S is RUNNING, SUCCEEDED,\n"
    "  FAILED, TIMED_OUT or ABORTED; --json prints ListExecutions's\n"
    "  {\"executions\":[...]}\n";

static void print_execution_row(const cJSON *x) {
  char start[96], dur[32] = "-";
  fmt_time(num(x, "startDate"), start, sizeof start);
  if (asl_json_get(x, "stopDate"))
    fmt_duration(num(x, "stopDate") - num(x, "startDate"), dur, sizeof dur);
  printf("%-9s  %-23s  %9s  %-20s  %s\n", str(x, "status"), start, dur,
         machine_of(str(x, "stateMachineArn")), str(x, "name"));
}

static void print_executions(const cJSON *list, const char *db, int json) {
  if (json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(o, "executions", (cJSON *)list);
    print_json(o);
    cJSON_Delete(o);
    return;
  }
  if (!list->child) {
    printf("no executions recorded in %s\n", db);
    return;
  }
  printf("%-9s  %-23s  %9s  %-20s  %s\n", "STATUS", "START (UTC)", "DURATION",
         "MACHINE", "NAME");
  for (const cJSON *x = list->child; x; x = x->next) print_execution_row(x);
}

int asl_cmd_executions(int argc, char **argv) {
  const char *status = NULL, *machine = NULL, *db = NULL;
  int json = 0;
  const opt opts[] = {{"--status", &status, NULL},
                      {"--machine", &machine, NULL},
                      {"--db", &db, NULL},
                      {"--json", NULL, &json}};
  int rc = parse(argc, argv, opts, sizeof opts / sizeof *opts, NULL,
                 executions_usage);
  asl_store *s = NULL;
  if (rc || (rc = open_store(db, &s))) return rc;
  asl_error e = {0};
  cJSON *list;
  if (asl_store_list_executions(s, status, machine, &list, &e) < 0) {
    rc = report_clear(&e);
  } else {
    print_executions(list, asl_store_path(s), json);
    cJSON_Delete(list);
  }
  asl_store_close(s);
  return rc;
}

/* ---- asl history ---- */

static const char history_usage[] =
    "usage: asl history NAME|ARN [--json] [--reverse] [--db PATH]\n"
    "  prints an execution's events: a table, or with --json\n"
    "  GetExecutionHistory's {\"events\":[...]}; --reverse: newest first\n";

#define DETAIL_WIDTH 60

/* The *EventDetails object of an event: its first member that is an
 * object, besides the four every event has. */
static const cJSON *details_of(const cJSON *ev) {
  for (const cJSON *c = ev->child; c; c = c->next)
    if (cJSON_IsObject(c)) return c;
  return NULL;
}

/* Detail members worth a table cell, in order of preference. */
static const char *const summary_keys[] = {"name",  "error", "resource",
                                           "output", "input"};

/* Appends s to b, control characters as spaces. */
static void put_clean(asl_buf *b, const char *s) {
  for (; *s; s++) asl_buf_putc(b, (unsigned char)*s < 0x20 ? ' ' : *s);
}

/* A one-line summary of det: a state's name (and Map index), an error and
 * its cause, a task's resource, or a payload. */
static void summarize(asl_buf *b, const cJSON *det) {
  for (size_t i = 0; i < sizeof summary_keys / sizeof *summary_keys; i++) {
    const char *k = summary_keys[i];
    if (!cJSON_IsString(asl_json_get(det, k))) continue;
    if (strcmp(k, "resource") == 0 && *str(det, "resourceType")) {
      put_clean(b, str(det, "resourceType"));
      asl_buf_putc(b, ':');
    }
    put_clean(b, str(det, k));
    if (strcmp(k, "name") == 0 && asl_json_get(det, "index"))
      asl_buf_printf(b, "[%.0f]", num(det, "index"));
    if (strcmp(k, "error") == 0 && *str(det, "cause")) {
      asl_buf_puts(b, ": ");
      put_clean(b, str(det, "cause"));
    }
    return;
  }
}

/* Cuts b to DETAIL_WIDTH bytes (not inside a UTF-8 sequence) with "...". */
static void clip(asl_buf *b) {
  if (b->len <= DETAIL_WIDTH) return;
  size_t n = DETAIL_WIDTH - 3;
  while (n > 0 && ((unsigned char)b->s[n] & 0xC0) == 0x80) n--;
  b->len = n;
  asl_buf_puts(b, "...");
}

static void print_event_row(const cJSON *ev) {
  char t[96];
  fmt_time(num(ev, "timestamp"), t, sizeof t);
  asl_buf b = {0};
  summarize(&b, details_of(ev));
  clip(&b);
  printf("%5.0f  %5.0f  %-23s  %-30s  %s\n", num(ev, "id"),
         num(ev, "previousEventId"), t, str(ev, "type"), b.s ? b.s : "");
  asl_buf_free(&b);
}

static void print_history(const cJSON *events, const char *arn, int json) {
  if (json) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(o, "events", (cJSON *)events);
    print_json(o);
    cJSON_Delete(o);
    return;
  }
  if (!events->child) {
    printf("no events recorded for %s%s\n", arn,
           strstr(arn, ":express:") ? " (EXPRESS executions are recorded "
                                      "with their outcome, not their events)"
                                    : "");
    return;
  }
  printf("%5s  %5s  %-23s  %-30s  %s\n", "ID", "PREV", "TIME (UTC)", "TYPE",
         "DETAIL");
  for (const cJSON *ev = events->child; ev; ev = ev->next)
    print_event_row(ev);
}

int asl_cmd_history(int argc, char **argv) {
  const char *db = NULL, *which = NULL;
  int json = 0, reverse = 0;
  const opt opts[] = {{"--db", &db, NULL},
                      {"--json", NULL, &json},
                      {"--reverse", NULL, &reverse}};
  int rc = parse(argc, argv, opts, sizeof opts / sizeof *opts, &which,
                 history_usage);
  asl_store *s = NULL;
  if (rc || (rc = open_store(db, &s))) return rc;
  asl_error e = {0};
  char *arn = NULL;
  cJSON *events = NULL;
  if (asl_store_find_execution(s, which, &arn, NULL, &e) < 0 ||
      asl_store_get_history(s, arn, reverse, &events, &e) < 0)
    rc = report_clear(&e);
  else print_history(events, arn, json);
  cJSON_Delete(events);
  free(arn);
  asl_store_close(s);
  return rc;
}

/* ---- asl describe ---- */

static const char describe_usage[] =
    "usage: asl describe NAME|ARN [--db PATH]\n"
    "  prints DescribeExecution's response for an execution\n";

int asl_cmd_describe(int argc, char **argv) {
  const char *db = NULL, *which = NULL;
  const opt opts[] = {{"--db", &db, NULL}};
  int rc = parse(argc, argv, opts, sizeof opts / sizeof *opts, &which,
                 describe_usage);
  asl_store *s = NULL;
  if (rc || (rc = open_store(db, &s))) return rc;
  asl_error e = {0};
  char *arn = NULL;
  cJSON *d = NULL;
  if (asl_store_find_execution(s, which, &arn, NULL, &e) < 0 ||
      asl_store_describe(s, arn, &d, &e) < 0)
    rc = report_clear(&e);
  else print_json(d);
  cJSON_Delete(d);
  free(arn);
  asl_store_close(s);
  return rc;
}

/* ---- run options kept in the execution's row ---- */

/* The options a resumed run needs to behave as the first: JSON text. */
static char *options_json(const asl_run_opts *o) {
  cJSON *j = cJSON_CreateObject();
  if (o->virtual_clock) cJSON_AddTrueToObject(j, "virtualClock");
  if (o->time_scale > 1) cJSON_AddNumberToObject(j, "timeScale", o->time_scale);
  if (o->max_payload)
    cJSON_AddNumberToObject(j, "maxPayload", (double)o->max_payload);
  if (o->base_dir) { /* absolute: `asl resume` may run elsewhere */
    char *abs = realpath(o->base_dir, NULL);
    cJSON_AddStringToObject(j, "baseDir", abs ? abs : o->base_dir);
    free(abs);
  }
  if (o->bindings)
    cJSON_AddItemToObject(j, "bindings", asl_json_dup(o->bindings));
  if (o->mock_spec) { /* FILE#Case, FILE made absolute */
    const char *hash = strrchr(o->mock_spec, '#');
    char *file = hash ? asl_strndup(o->mock_spec, (size_t)(hash - o->mock_spec))
                      : asl_strdup(o->mock_spec);
    char *abs = realpath(file, NULL);
    char *spec = asl_sprintf("%s%s", abs ? abs : file, hash ? hash : "");
    cJSON_AddStringToObject(j, "mock", spec);
    free(spec);
    free(abs);
    free(file);
  }
  char *s = asl_json_print(j);
  cJSON_Delete(j);
  return s;
}

/* Fills o from options_json's text; o borrows from the returned tree,
 * which the caller frees after the run. NULL text or bad JSON: defaults. */
static cJSON *options_apply(const char *text, asl_run_opts *o) {
  cJSON *j = text ? cJSON_Parse(text) : NULL;
  if (!cJSON_IsObject(j)) return j;
  o->virtual_clock = cJSON_IsTrue(asl_json_get(j, "virtualClock"));
  o->time_scale = num(j, "timeScale");
  o->max_payload = (size_t)num(j, "maxPayload");
  const cJSON *dir = asl_json_get(j, "baseDir");
  o->base_dir = cJSON_IsString(dir) ? dir->valuestring : NULL;
  o->bindings = asl_json_get(j, "bindings");
  const cJSON *mock = asl_json_get(j, "mock");
  o->mock_spec = cJSON_IsString(mock) ? mock->valuestring : NULL;
  return j;
}

/* ---- names and ARNs ---- */

/* A version 4 UUID from /dev/urandom (the clock and pid if it fails). */
static char *new_uuid(void) {
  unsigned char b[16];
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
  if (fd >= 0) close(fd);
  if (got != (ssize_t)sizeof b) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^
                 ((uint64_t)getpid() << 40);
    for (int i = 0; i < 16; i++) {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      b[i] = (unsigned char)(x >> 56);
    }
  }
  b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
  asl_buf s = {0};
  for (int i = 0; i < 16; i++)
    asl_buf_printf(&s, "%s%02x", i == 4 || i == 6 || i == 8 || i == 10 ? "-"
                                                                       : "",
                   b[i]);
  return asl_buf_take(&s);
}

/* The ARN the engine gives execution name of m: ...:execution:M:NAME, or
 * for EXPRESS ...:express:M:NAME:UUID (the engine draws its own UUID: the
 * row takes the engine's ARN when the run ends). */
static char *execution_arn(const asl_machine *m, const char *name) {
  const char *sm = strstr(m->arn, ":stateMachine:");
  int len = sm ? (int)(sm - m->arn) : (int)strlen(m->arn);
  if (strcmp(m->type, "EXPRESS") != 0)
    return asl_sprintf("%.*s:execution:%s:%s", len, m->arn, m->name, name);
  char *u = new_uuid();
  char *arn = asl_sprintf("%.*s:express:%s:%s:%s", len, m->arn, m->name,
                          name, u);
  free(u);
  return arn;
}

static double now_epoch(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- asl run, recorded ---- */

/* The input as the engine will keep it (compact JSON text), or NULL after
 * printing why. */
static char *compact_input(const char *input, size_t max) {
  size_t len = strlen(input);
  if (len > max) {
    fprintf(stderr, "asl: invalid input: the input is larger than %zu bytes\n",
            max);
    return NULL;
  }
  char *msg = NULL;
  cJSON *v = asl_json_parse(input, len, &msg);
  if (!v) {
    fprintf(stderr, "asl: invalid input: %s\n", msg ? msg : "not JSON");
    free(msg);
    return NULL;
  }
  char *out = asl_json_print(v);
  cJSON_Delete(v);
  return out;
}

/* Puts m and starts its execution; sets *id. Returns 0 or an exit code. */
static int record_start(asl_store *s, const asl_machine *m, const char *def,
                        const asl_run_opts *o, const char *input,
                        long long *id) {
  asl_error e = {0};
  asl_store_machine sm = {m->name, m->arn, def, m->type, m->role_arn, 0};
  char *arn = execution_arn(m, o->name);
  char *opts = options_json(o);
  asl_store_start x = {m->name, o->name, arn, input, o->start_time, opts};
  int rc = asl_store_put_machine(s, &sm, &e);
  if (rc == 0) rc = asl_store_start_execution(s, &x, id, &e);
  int claimed = 0; /* this process runs it: `asl resume` keeps off */
  if (rc == 0)
    rc = asl_store_claim(s, *id, 0, (long long)getpid(), &claimed, &e);
  if (rc == 1)
    asl_error_set(&e, "ExecutionAlreadyExists",
                  "Execution Already Exists: '%s' (it is running)", arn);
  free(arn);
  free(opts);
  return rc == 0 ? 0 : report_clear(&e);
}

/* Runs (or, with a checkpoint, resumes) m with a sink into execution id,
 * then records the outcome. Returns 0 with r filled, or an exit code. */
static int run_with_sink(asl_store *s, long long id, const asl_machine *m,
                         const char *input, const cJSON *checkpoint,
                         asl_run_opts *o, asl_result *r) {
  asl_sink sink = asl_store_sink(s, id);
  o->sink = &sink;
  char *msg = NULL;
  int rc = checkpoint ? asl_resume(m, checkpoint, o, r, &msg)
                      : asl_run(m, input, o, r, &msg);
  o->sink = NULL;
  asl_error e = {0};
  if (rc < 0) {
    fprintf(stderr, "asl: %s\n", msg ? msg : "the execution did not start");
    free(msg);
    asl_store_sink_end(&sink, NULL);
    return EX_DATAERR;
  }
  if (asl_store_sink_end(&sink, &e) < 0 ||
      asl_store_finish_result(s, id, r, &e) < 0) {
    asl_result_free(r);
    rc = report_clear(&e);
    fprintf(stderr, "asl: the execution stays RUNNING at its last recorded "
                    "checkpoint: `asl resume` finishes it\n");
    return rc;
  }
  return 0;
}

int asl_cli_run_recorded(const char *db, const asl_machine *m,
                         const char *definition, const char *input,
                         const asl_run_opts *o, asl_result *r) {
  memset(r, 0, sizeof *r);
  asl_run_opts ro = *o;
  char *text = compact_input(input ? input : "{}",
                             o->max_payload ? o->max_payload
                                            : ASL_MAX_PAYLOAD);
  if (!text) return EX_DATAERR;
  char *name = o->name ? NULL : new_uuid();
  if (name) ro.name = name;
  if (ro.start_time <= 0) ro.start_time = now_epoch();
  asl_store *s = NULL;
  long long id = 0;
  int rc = open_store(db, &s);
  if (rc == 0) rc = record_start(s, m, definition, &ro, text, &id);
  if (rc == 0) rc = run_with_sink(s, id, m, text, NULL, &ro, r);
  asl_store_close(s);
  free(name);
  free(text);
  return rc;
}

/* ---- asl resume ---- */

static const char resume_usage[] =
    "usage: asl resume [--db PATH] [--no-wait] [--time-scale F]\n"
    "  finishes every RUNNING execution from its last checkpoint\n";

/* Command-line choices that override the stored options. */
typedef struct resume_args {
  int no_wait;
  double time_scale; /* 0: as stored */
} resume_args;

/* Loads the definition x started with. Returns 0 or EX_DATAERR. */
static int load_stored(const asl_store_running *x, asl_machine **m) {
  asl_diags d = {0};
  asl_load_opts lo = {x->type, x->machine, NULL};
  *m = asl_machine_load(x->definition, strlen(x->definition), &lo, &d);
  if (!*m)
    fprintf(stderr, "asl: %s: its definition does not load: %s\n", x->arn,
            d.n ? d.v[0].message : "");
  asl_diags_free(&d);
  return *m ? 0 : EX_DATAERR;
}

/* Resumes one execution to its end and prints "ARN STATUS". */
/* Is pid a live process other than this one? */
static int alive_elsewhere(long long pid) {
  if (pid <= 0 || pid == (long long)getpid()) return 0;
  return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

static int resume_one(asl_store *s, const asl_store_running *x,
                      const resume_args *a) {
  if (alive_elsewhere(x->owner)) {
    fprintf(stderr, "asl: %s: still running in process %lld; not resumed\n",
            x->arn, x->owner);
    return 0;
  }
  int claimed = 0;
  asl_error ce = {0};
  if (asl_store_claim(s, x->id, x->owner, (long long)getpid(), &claimed,
                      &ce) < 0)
    return report_clear(&ce);
  if (!claimed) return 0; /* another `asl resume` took it first */
  asl_machine *m;
  int rc = load_stored(x, &m);
  if (rc) return rc;
  asl_run_opts o = {0};
  cJSON *keep = options_apply(x->options, &o);
  if (a->no_wait) o.virtual_clock = 1;
  if (a->time_scale > 0) o.time_scale = a->time_scale;
  o.name = x->name;
  o.start_time = x->start;
  if (o.mock_spec) { /* the run's MockConfigFile test case, counters restored
                        from the checkpoint */
    char *mmsg = NULL;
    o.mock = asl_mock_load(o.mock_spec, NULL, &mmsg);
    if (!o.mock) {
      fprintf(stderr, "asl: %s: %s\n", x->arn, mmsg ? mmsg : o.mock_spec);
      free(mmsg);
      cJSON_Delete(keep);
      asl_machine_free(m);
      return 65;
    }
  }
  asl_result r;
  rc = run_with_sink(s, x->id, m, x->input, x->checkpoint, &o, &r);
  asl_mock_free(o.mock);
  if (rc == 0) {
    const cJSON *arn = asl_json_get(r.describe, "executionArn");
    printf("%s %s\n", cJSON_IsString(arn) ? arn->valuestring : x->arn,
           r.status);
    fflush(stdout);
    asl_result_free(&r);
  }
  cJSON_Delete(keep);
  asl_machine_free(m);
  return rc;
}

int asl_cmd_resume(int argc, char **argv) {
  const char *db = NULL, *scale = NULL;
  resume_args a = {0};
  const opt opts[] = {{"--db", &db, NULL},
                      {"--no-wait", NULL, &a.no_wait},
                      {"--time-scale", &scale, NULL}};
  int rc = parse(argc, argv, opts, sizeof opts / sizeof *opts, NULL,
                 resume_usage);
  if (rc) return rc;
  if (scale) {
    char *end;
    a.time_scale = strtod(scale, &end);
    if (*end || !(a.time_scale >= 1) || a.time_scale > 1e9)
      return usage(resume_usage, "--time-scale takes a factor of 1 or more");
  }
  asl_store *s = NULL;
  if ((rc = open_store(db, &s))) return rc;
  asl_error e = {0};
  asl_store_running *v;
  size_t n;
  if (asl_store_running_executions(s, &v, &n, &e) < 0) {
    rc = report_clear(&e);
  } else {
    for (size_t i = 0; i < n; i++) {
      int one = resume_one(s, &v[i], &a);
      if (one && !rc) rc = one;
    }
    asl_store_running_free(v, n);
  }
  asl_store_close(s);
  return rc;
}
