/* main.c: the `asl` command, the composition root: parses arguments, wires
 * the engine to the outside (files, the clock, OpenSSL for States.Hash) and
 * maps outcomes to exit codes.
 *
 * Exit codes: 0 SUCCEEDED (or valid), 1 FAILED, 2 TIMED_OUT, 3 ABORTED,
 * 64 bad usage, 65 invalid definition or input, 66 file not found. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/stat.h>
#include <time.h>

#include "../engine/asl.h"
#include "../engine/json.h"
#include "../engine/limits.h"
#include "../engine/mock.h"
#include "../engine/pool.h"
#include "../engine/subst.h"
#include "../states/integrations/lambda.h"
#include "hasher.h"
#include "deploy_cmd.h"
#include "serve_cmd.h"
#include "jsonata_cmd.h"
#include "lake_cmd.h"
#include "query_cmd.h"
#include "parquet_cmd.h"
#include "mysql_cmd.h"
#include "store_cmds.h"

#define EX_OK 0
#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66

static const char usage_text[] =
    "usage: asl <command> [options]\n"
    "\n"
    "commands:\n"
    "  run DEF [--input FILE|-] [--name NAME] [--type STANDARD|EXPRESS]\n"
    "          [--bindings FILE] [--sub K=V]... [--describe] [--history]\n"
    "          [--no-wait] [--time-scale F] [--max-payload BYTES] [--stats]\n"
    "          [--mock MockConfigFile.json#TestCase]\n"
    "      run DEF to the end and print its output (or, with --describe,\n"
    "      the DescribeExecution response); --history prints the events\n"
    "      on stderr; --no-wait runs Wait states and retry back-off on a\n"
    "      virtual clock; --time-scale F divides every Wait, retry interval\n"
    "      and timeout by F on the real clock. Bindings (docs/bindings.md) default to\n"
    "      NAME.bindings.json beside NAME.json; --sub sets a ${K}\n"
    "      definition substitution; --max-payload lifts AWS's 256 KiB\n"
    "      payload limit (local runs over big data); --stats prints load\n"
    "      and run times and the event count on stderr\n"
    "          [--db PATH]   (every run is recorded: $ASL_HOME/asl.db,\n"
    "          else ./.asl/asl.db; --db :memory: keeps nothing)\n"
    "  executions [--status S] [--machine NAME] [--db PATH] [--json]\n"
    "  history NAME|ARN [--json] [--reverse] [--db PATH]\n"
    "  describe NAME|ARN [--db PATH]\n"
    "  resume [--db PATH] [--no-wait] [--time-scale F]\n"
    "      finish every RUNNING execution from its last checkpoint\n"
    "  validate DEF [--type STANDARD|EXPRESS] [--bindings FILE] [--sub K=V]\n"
    "      print ValidateStateMachineDefinition's response for DEF\n"
    "  serve [--host ADDR] [--port N] [--db PATH] [--bindings FILE]\n"
    "      serve the AWS Step Functions API on http://127.0.0.1:8083/\n"
    "  lake ls [s3://B[/PREFIX]] | cat s3://B/K | put FILE|- s3://B/K |\n"
    "       rm s3://B/K | mb s3://B\n"
    "      the local data lake, $ASL_HOME/lake (s3://B/K is lake/B/K)\n"
    "  query SQL|- [--database DB] [--format table|csv|json]\n"
    "      run one Athena SQL statement ($ASL_HOME/athena, over the lake)\n"
    "  deploy DEF --name NAME --role-arn ARN [--type T] [--sub K=V]...\n"
    "         [--bindings FILE] [--tags K=V,...] [--endpoint-url URL]\n"
    "         [--dry-run] [--profile P] [--region R]\n"
    "      create or update the state machine in AWS Step Functions\n"
    "  export cloudformation DEF --name NAME [--sub K=V]... [--bindings FILE]\n"
    "         [--format json|yaml]\n"
    "      a template: the state machine and a least-privilege IAM role\n"
    "  parquet schema FILE | cat FILE [--format jsonl|csv] |\n"
    "       write --schema 'name:type,...' IN.jsonl OUT.parquet\n"
    "      read and write Parquet files (asl parquet help)\n"
    "  mysql start | status | stop | sql \"STATEMENT\"\n"
    "      the embedded MariaDB server, $ASL_HOME/mysql (socket only)\n"
    "  jsonata EXPR [--input FILE|-] [--bindings JSON]\n"
    "      evaluate one JSONata expression; prints the result as JSON\n"
    "  help\n"
    "\n"
    "exit codes: 0 succeeded, 1 failed, 2 timed out, 3 aborted,\n"
    "            64 usage, 65 invalid definition or input, 66 no such file\n";

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int usage(const char *why) {
  if (why) fprintf(stderr, "asl: %s\n", why);
  fputs(usage_text, stderr);
  return EX_USAGE;
}

/* Reads a whole file (or stdin for "-") up to max bytes. Returns 0, or the
 * exit code after printing why. */
static int read_file(const char *path, size_t max, char **out, size_t *len) {
  FILE *f = stdin;
  *out = NULL;
  if (strcmp(path, "-") != 0) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
      fprintf(stderr, "asl: %s: %s\n", path, strerror(errno));
      return errno == ENOENT ? EX_NOINPUT : EX_NOINPUT;
    }
    if (S_ISDIR(sb.st_mode)) {
      fprintf(stderr, "asl: %s: is a directory, not a file\n", path);
      return EX_NOINPUT;
    }
    f = fopen(path, "rb");
    if (!f) {
      fprintf(stderr, "asl: %s: %s\n", path, strerror(errno));
      return EX_NOINPUT;
    }
  }
  asl_buf b = {0};
  char chunk[65536];
  size_t n;
  int rc = 0;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (b.len + n > max) {
      fprintf(stderr, "asl: %s: larger than the limit of %zu bytes\n", path,
              max);
      rc = EX_DATAERR;
      break;
    }
    asl_buf_add(&b, chunk, n);
  }
  if (f != stdin) fclose(f);
  if (rc) {
    asl_buf_free(&b);
    return rc;
  }
  *len = b.len;
  *out = asl_buf_take(&b);
  return 0;
}

static void print_json(FILE *f, const cJSON *v, int pretty) {
  char *s = pretty ? cJSON_Print(v) : cJSON_PrintUnformatted(v);
  fprintf(f, "%s\n", s ? s : "null");
  cJSON_free(s);
}

typedef struct {
  const char *def, *input, *name, *type, *bindings, *mock, *db;
  const char *subs[64];
  int nsubs;
  int describe, history, no_wait, stats;
  int make_buckets; /* run: create the bindings' Buckets in the lake */
  long long max_payload;
  double time_scale;
  cJSON *bind; /* the loaded bindings, or NULL */
} run_args;

/* Loads the bindings (given, or the default file when it exists) into
 * a->bind. Returns 0 or an exit code after printing why. */
static int load_bindings(run_args *a) {
  char *dflt = NULL, *msg = NULL;
  const char *path = a->bindings;
  if (!path) {
    dflt = asl_bindings_default_path(a->def);
    struct stat sb;
    if (dflt && stat(dflt, &sb) == 0) path = dflt;
  }
  int rc = 0;
  if (path) {
    struct stat sb;
    if (stat(path, &sb) != 0) {
      fprintf(stderr, "asl: %s: %s\n", path, strerror(errno));
      rc = EX_NOINPUT;
    } else if (asl_bindings_load(path, &a->bind, &msg) < 0 ||
               asl_lambda_check_bindings(a->bind, &msg) < 0) {
      fprintf(stderr, "asl: %s\n", msg ? msg : path);
      rc = EX_DATAERR;
    } else if (a->make_buckets &&
               asl_lake_ensure_buckets(a->bind, &msg) < 0) {
      fprintf(stderr, "asl: %s: %s\n", path, msg);
      rc = EX_DATAERR;
    }
  }
  free(msg);
  free(dflt);
  return rc;
}

/* The definition's text with ${Name} substitutions applied (bindings'
 * "Substitutions", then --sub). Returns 0 or an exit code. */
static int substitute(run_args *a, char **text) {
  cJSON *subs = asl_json_dup(asl_json_get(a->bind, "Substitutions"));
  if (!subs) subs = cJSON_CreateObject();
  char *msg = NULL;
  int rc = 0;
  for (int i = 0; i < a->nsubs && !rc; i++)
    if (asl_subst_add_kv(subs, a->subs[i], &msg) < 0) {
      fprintf(stderr, "asl: --sub %s: %s\n", a->subs[i], msg);
      rc = EX_USAGE;
    }
  if (!rc) {
    char *out = asl_subst_apply(*text, subs, &msg);
    if (!out) {
      fprintf(stderr, "asl: %s: %s\n", a->def, msg);
      rc = EX_DATAERR;
    } else {
      free(*text);
      *text = out;
    }
  }
  free(msg);
  cJSON_Delete(subs);
  return rc;
}

/* The state machine's name for a definition file: its base name without
 * ".json" ("workflows/etl.json" -> "etl"), as the store keys machines. */
static char *machine_name(const char *path) {
  const char *b = strrchr(path, '/');
  b = b ? b + 1 : path;
  size_t n = strlen(b);
  if (n > 5 && strcmp(b + n - 5, ".json") == 0) n -= 5;
  if (n == 0 || strcmp(path, "-") == 0) return asl_strdup("asl");
  return asl_strndup(b, n > ASL_MAX_NAME ? ASL_MAX_NAME : n);
}

/* Loads the definition of a; prints diagnostics and returns the exit code
 * on failure. With text_out, the definition's text (substitutions applied)
 * is handed to the caller. */
static int load_text(run_args *a, asl_machine **m, int print_diags,
                     char **text_out) {
  char *text;
  size_t len;
  *m = NULL;
  int rc = read_file(a->def, ASL_MAX_DEFINITION, &text, &len);
  if (rc) return rc;
  if ((rc = load_bindings(a)) || (rc = substitute(a, &text))) {
    free(text);
    return rc;
  }
  asl_diags d = {0};
  char *mname = machine_name(a->def);
  asl_load_opts o = {a->type, mname, NULL};
  *m = asl_machine_load(text, strlen(text), &o, &d);
  free(mname);
  if (text_out && *m) *text_out = text;
  else free(text);
  if (print_diags) {
    cJSON *j = asl_diags_to_json(&d);
    print_json(stdout, j, 1);
    cJSON_Delete(j);
  } else if (!*m) {
    for (size_t i = 0; i < d.n; i++)
      fprintf(stderr, "%s: %s: %s at %s\n", a->def, d.v[i].code,
              d.v[i].message, d.v[i].location ? d.v[i].location : "null");
  }
  asl_diags_free(&d);
  return *m ? 0 : EX_DATAERR;
}

static int load(run_args *a, asl_machine **m, int print_diags) {
  return load_text(a, m, print_diags, NULL);
}

static int parse_run(int argc, char **argv, run_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *s = argv[i];
    int more = i + 1 < argc;
    if (strcmp(s, "--input") == 0 && more) a->input = argv[++i];
    else if (strcmp(s, "--name") == 0 && more) a->name = argv[++i];
    else if (strcmp(s, "--type") == 0 && more) a->type = argv[++i];
    else if (strcmp(s, "--bindings") == 0 && more) a->bindings = argv[++i];
    else if (strcmp(s, "--mock") == 0 && more) a->mock = argv[++i];
    else if (strcmp(s, "--db") == 0 && more) a->db = argv[++i];
    else if (strcmp(s, "--sub") == 0 && more) {
      if (a->nsubs == 64) return usage("too many --sub"), -1;
      a->subs[a->nsubs++] = argv[++i];
    } else if (strcmp(s, "--describe") == 0) a->describe = 1;
    else if (strcmp(s, "--history") == 0) a->history = 1;
    else if (strcmp(s, "--no-wait") == 0) a->no_wait = 1;
    else if (strcmp(s, "--stats") == 0) a->stats = 1;
    else if (strcmp(s, "--time-scale") == 0 && more) {
      char *end;
      a->time_scale = strtod(argv[++i], &end);
      if (*end || !(a->time_scale >= 1) || a->time_scale > 1e9)
        return usage("--time-scale takes a factor of 1 or more"), -1;
    }
    else if (strcmp(s, "--max-payload") == 0 && more) {
      char *end;
      a->max_payload = strtoll(argv[++i], &end, 10);
      if (*end || a->max_payload < 1)
        return usage("--max-payload takes a number of bytes"), -1;
    }
    else if (s[0] == '-' && s[1]) return usage("unknown option or missing "
                                               "value"), -1;
    else if (!a->def) a->def = s;
    else return usage("more than one definition given"), -1;
  }
  if (!a->def) return usage("no definition file given"), -1;
  if (a->type && strcmp(a->type, "STANDARD") != 0 &&
      strcmp(a->type, "EXPRESS") != 0)
    return usage("--type must be STANDARD or EXPRESS"), -1;
  if (a->name && (!*a->name || strlen(a->name) > ASL_MAX_NAME))
    return usage("--name must have 1 to 80 characters"), -1;
  return 0;
}

static int status_code(const char *status) {
  if (strcmp(status, "SUCCEEDED") == 0) return 0;
  if (strcmp(status, "TIMED_OUT") == 0) return 2;
  if (strcmp(status, "ABORTED") == 0) return 3;
  return 1;
}

static int cmd_run(int argc, char **argv) {
  run_args a = {0};
  if (parse_run(argc, argv, &a) < 0) return EX_USAGE;
  a.make_buckets = 1;
  asl_machine *m = NULL;
  char *text = NULL;
  double t0 = now_ms();
  int rc = load_text(&a, &m, 0, &text);
  double t1 = now_ms();
  if (rc) {
    cJSON_Delete(a.bind);
    return rc;
  }
  char *defcopy = asl_strdup(a.def);
  char *base = asl_strdup(dirname(defcopy));
  free(defcopy);
  char *input = NULL;
  size_t len = 0;
  size_t maxp = a.max_payload ? (size_t)a.max_payload : ASL_MAX_PAYLOAD;
  if (a.input && (rc = read_file(a.input, maxp, &input, &len))) {
    asl_machine_free(m);
    cJSON_Delete(a.bind);
    free(base);
    free(text);
    return rc;
  }
  asl_mock *mock = NULL;
  if (a.mock) {
    char *mmsg = NULL;
    mock = asl_mock_load(a.mock, NULL, &mmsg);
    if (!mock) {
      rc = errno ? EX_NOINPUT : EX_DATAERR;
      fprintf(stderr, "asl: %s\n", mmsg ? mmsg : a.mock);
      free(mmsg);
      free(input);
      asl_machine_free(m);
      cJSON_Delete(a.bind);
      free(base);
      free(text);
      return rc;
    }
  }
  asl_run_opts o = {0};
  o.mock = mock;
  o.mock_spec = a.mock;
  o.bindings = a.bind;
  o.base_dir = base;
  o.max_payload = (size_t)a.max_payload;
  o.time_scale = a.time_scale;
  o.name = a.name;
  o.virtual_clock = a.no_wait;
  o.keep_history = a.history;
  asl_result r;
  char *msg = NULL;
  double t2 = now_ms();
  /* Every run is recorded in the store (--db PATH, $ASL_HOME/asl.db or
   * ./.asl/asl.db; --db :memory: keeps nothing). */
  rc = asl_cli_run_recorded(asl_store_db_path(a.db), m, text,
                            input ? input : "{}", &o, &r);
  free(text);
  if (rc) {
    free(msg);
    free(input);
    asl_machine_free(m);
    asl_mock_free(mock);
    cJSON_Delete(a.bind);
    free(base);
    return rc;
  }
  if (a.stats)
    fprintf(stderr,
            "{\"load_ms\":%.3f,\"run_ms\":%.3f,\"record_ms\":%.3f,"
            "\"events\":%lld,\"child_events\":%lld}\n",
            t1 - t0, r.run_ms, now_ms() - t2 - r.run_ms, r.events,
            r.child_events);
  if (a.history) print_json(stderr, r.history, 1);
  if (a.describe) {
    print_json(stdout, r.describe, 1);
    rc = 0;
  } else {
    if (r.output) print_json(stdout, r.output, 0);
    else
      fprintf(stderr, "asl: execution %s: %s%s%s\n", r.status,
              r.error ? r.error : "", r.cause ? ": " : "",
              r.cause ? r.cause : "");
    rc = status_code(r.status);
  }
  asl_result_free(&r);
  free(input);
  asl_machine_free(m);
  asl_mock_free(mock);
  cJSON_Delete(a.bind);
  free(base);
  return rc;
}

static int cmd_validate(int argc, char **argv) {
  run_args a = {0};
  if (parse_run(argc, argv, &a) < 0) return EX_USAGE;
  asl_machine *m = NULL;
  int rc = load(&a, &m, 1);
  asl_machine_free(m);
  cJSON_Delete(a.bind);
  return rc;
}

int main(int argc, char **argv) {
  asl_pool_install();
  asl_cli_hasher_install();
  if (argc < 2) return usage(NULL);
  const char *cmd = argv[1];
  if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
  if (strcmp(cmd, "validate") == 0) return cmd_validate(argc - 2, argv + 2);
  if (strcmp(cmd, "executions") == 0)
    return asl_cmd_executions(argc - 2, argv + 2);
  if (strcmp(cmd, "history") == 0) return asl_cmd_history(argc - 2, argv + 2);
  if (strcmp(cmd, "describe") == 0)
    return asl_cmd_describe(argc - 2, argv + 2);
  if (strcmp(cmd, "resume") == 0) return asl_cmd_resume(argc - 2, argv + 2);
  if (strcmp(cmd, "serve") == 0) return asl_cmd_serve(argc - 2, argv + 2);
  if (strcmp(cmd, "lake") == 0) return asl_cmd_lake(argc - 2, argv + 2);
  if (strcmp(cmd, "query") == 0) return asl_cmd_query(argc - 2, argv + 2);
  if (strcmp(cmd, "deploy") == 0) return asl_cmd_deploy(argc - 2, argv + 2);
  if (strcmp(cmd, "export") == 0) return asl_cmd_export(argc - 2, argv + 2);
  if (strcmp(cmd, "parquet") == 0)
    return asl_cmd_parquet(argc - 2, argv + 2);
  if (strcmp(cmd, "mysql") == 0) return asl_cmd_mysql(argc - 2, argv + 2);
  if (strcmp(cmd, "jsonata") == 0) return asl_cmd_jsonata(argc - 2, argv + 2);
  if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0) {
    fputs(usage_text, stdout);
    return EX_OK;
  }
  return usage("unknown command");
}
