/* serve_cmd.c: `asl serve` (see serve_cmd.h): wires the store, the API
 * and the HTTP daemon together and waits for a signal on the main thread;
 * every other thread has SIGINT and SIGTERM blocked. */
#include "serve_cmd.h"
#include "lake_cmd.h"

#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../deploy/creds.h"
#include "../deploy/sigv4.h"
#include "../engine/subst.h"
#include "../states/integrations/lambda.h"
#include "../web/api.h"
#include "../web/http.h"
#include "store_cmds.h"

#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_IOERR 74
#define EX_TEMPFAIL 75

static const char serve_usage[] =
    "usage: asl serve [--host ADDR] [--port N] [--db PATH] [--bindings FILE]\n"
    "                 [--grace SECONDS] [--credentials FILE]\n"
    "  serves the AWS Step Functions API (JSON 1.0, as the AWS CLI and SDKs\n"
    "  speak it) on http://ADDR:N/ (default 127.0.0.1:8083; --port 0 picks a\n"
    "  free port), recording into the store like `asl run`. --bindings\n"
    "  gives Lambda Tasks their local commands. SIGINT or SIGTERM stop it,\n"
    "  after waiting up to --grace seconds (default 10) for executions.\n"
    "  With credentials (--credentials FILE: JSON {\"AccessKeyId\",\n"
    "  \"SecretAccessKey\"[, \"SessionToken\"]} or an AWS credentials ini\n"
    "  file; else AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) every API\n"
    "  request must carry a valid SigV4 signature by one of those keys;\n"
    "  without, every request is accepted.\n";

typedef struct serve_args {
  const char *host, *db, *bindings, *credentials;
  long port;
  double grace;
} serve_args;

static int usage(const char *why) {
  if (why) fprintf(stderr, "asl: %s\n", why);
  fputs(serve_usage, stderr);
  return EX_USAGE;
}

static int parse_serve(int argc, char **argv, serve_args *a) {
  for (int i = 0; i < argc; i++) {
    const char *s = argv[i];
    int more = i + 1 < argc;
    char *end = NULL;
    if (strcmp(s, "--host") == 0 && more)
      a->host = argv[++i];
    else if (strcmp(s, "--db") == 0 && more)
      a->db = argv[++i];
    else if (strcmp(s, "--bindings") == 0 && more)
      a->bindings = argv[++i];
    else if (strcmp(s, "--credentials") == 0 && more)
      a->credentials = argv[++i];
    else if (strcmp(s, "--port") == 0 && more) {
      a->port = strtol(argv[++i], &end, 10);
      if (*end || a->port < 0 || a->port > 65535)
        return usage("--port takes a number from 0 to 65535");
    } else if (strcmp(s, "--grace") == 0 && more) {
      a->grace = strtod(argv[++i], &end);
      if (*end || !(a->grace >= 0) || a->grace > 86400)
        return usage("--grace takes a number of seconds");
    } else if (strcmp(s, "--help") == 0) {
      fputs(serve_usage, stdout);
      return -1;
    } else {
      return usage("unknown option or missing value");
    }
  }
  return 0;
}

/* ":memory:" is one connection's private database, and the API uses many:
 * a temporary file stands in for it. Sets *tmpdir (removed at exit). */
static const char *db_file(const char *given, char **tmpdir, char **path) {
  *tmpdir = *path = NULL;
  if (!given || strcmp(given, ":memory:") != 0) return asl_store_db_path(given);
  char tmpl[] = "/tmp/asl-serve-XXXXXX";
  if (!mkdtemp(tmpl)) return NULL;
  *tmpdir = asl_strdup(tmpl);
  *path = asl_sprintf("%s/asl.db", tmpl);
  return *path;
}

static void remove_tmp(const char *dir) {
  static const char *const files[] = {"asl.db", "asl.db-wal", "asl.db-shm"};
  for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
    char *p = asl_sprintf("%s/%s", dir, files[i]);
    unlink(p);
    free(p);
  }
  rmdir(dir);
}

/* The bindings file's object into *out; 0 or an exit code. */
static int load_bindings(const char *path, cJSON **out) {
  char *msg = NULL;
  *out = NULL;
  if (!path) return 0;
  if (asl_bindings_load(path, out, &msg) < 0 ||
      asl_lambda_check_bindings(*out, &msg) < 0 ||
      asl_lake_ensure_buckets(*out, &msg) < 0) {
    fprintf(stderr, "asl: %s\n", msg ? msg : path);
    free(msg);
    cJSON_Delete(*out);
    *out = NULL;
    return EX_DATAERR;
  }
  return 0;
}

/* ---- SigV4 verification (deploy/sigv4.h) ---- */

static int key_lookup(void *ud, const char *id, sigv4_known *out) {
  const asl_aws_key *k = asl_aws_keys_find(ud, id);
  if (!k) return -1;
  out->secret_key = k->secret_key;
  out->session_token = k->session_token;
  return 0;
}

/* The auth hook of the HTTP daemon: the request's signature against the
 * keys, the clock now. Thread-safe (keys are read only). */
static int verify_request(void *ud, const web_http_request *rq,
                          web_http_denial *d) {
  sigv4_header *h = asl_calloc(rq->nheaders + 1, sizeof *h);
  for (size_t i = 0; i < rq->nheaders; i++) {
    h[i].name = rq->headers[i].name;
    h[i].value = rq->headers[i].value;
  }
  char hash[65];
  sigv4_sha256_hex(rq->body, rq->body_len, hash);
  sigv4_request r = {rq->method, rq->path, rq->query, h, rq->nheaders, hash};
  sigv4_verdict v;
  sigv4_status st = sigv4_verify(&r, 1, key_lookup, ud, time(NULL), &v);
  free(h);
  if (st == SIGV4_OK) return 0;
  d->status = v.http_status;
  d->error = v.error;
  snprintf(d->message, sizeof d->message, "%s", v.message);
  return -1;
}

/* The keys to verify with: --credentials FILE, else the environment.
 * 0 (k->n may be 0: no verification), or an exit code. */
static int load_keys(const serve_args *a, asl_aws_keys *k) {
  char *msg = NULL;
  if (a->credentials) {
    if (asl_aws_keys_load(a->credentials, k, &msg) < 0) {
      fprintf(stderr, "asl: --credentials %s\n", msg);
      free(msg);
      return EX_DATAERR;
    }
    fprintf(stderr,
            "asl serve: verifying SigV4 signatures: %zu access key%s from "
            "%s (%s%s)\n",
            k->n, k->n == 1 ? "" : "s", a->credentials, k->v[0].access_key,
            k->n > 1 ? ", ..." : "");
  } else if (asl_aws_keys_from_env(k)) {
    fprintf(stderr,
            "asl serve: verifying SigV4 signatures: access key %s from "
            "AWS_ACCESS_KEY_ID\n",
            k->v[0].access_key);
  } else {
    fprintf(stderr, "asl serve: no credentials (--credentials FILE or "
                    "AWS_ACCESS_KEY_ID): accepting every request, signed "
                    "or not\n");
  }
  return 0;
}

static asl_aws_keys g_keys;

/* Where the api lives once serving, so that a drain that times out can
 * leave it to the process's exit (workers still use it). */
static web_api *g_api;

/* Serves with api until SIGINT/SIGTERM; returns the exit code. */
static int serve(const serve_args *a, web_api *api, const char *db) {
  web_http_opts ho = {a->host, (int)a->port, api, NULL, NULL};
  if (g_keys.n) {
    ho.auth = verify_request;
    ho.auth_ud = &g_keys;
  }
  web_http *h;
  asl_error e = {0};
  if (web_http_start(&ho, &h, &e) < 0) {
    fprintf(stderr, "asl: %s\n", e.cause);
    asl_error_clear(&e);
    return EX_TEMPFAIL;
  }
  int ipv6 = strchr(a->host, ':') != NULL;
  fprintf(stderr, "asl serve: listening on http://%s%s%s:%d/ (store %s)\n",
          ipv6 ? "[" : "", a->host, ipv6 ? "]" : "", web_http_port(h), db);
  fflush(stderr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "asl serve: %s: stopping\n",
          sig == SIGINT ? "SIGINT" : "SIGTERM");
  web_http_stop(h);
  int dropped;
  int left = web_api_drain(api, a->grace, &dropped);
  if (left + dropped)
    fprintf(stderr,
            "asl serve: %d execution%s still running: left RUNNING in the "
            "store for `asl resume`\n",
            left + dropped, left + dropped == 1 ? "" : "s");
  return left ? -1 : 0;
}

int asl_cmd_serve(int argc, char **argv) {
  serve_args a = {"127.0.0.1", NULL, NULL, NULL, 8083, 10};
  int rc = parse_serve(argc, argv, &a);
  if (rc) return rc < 0 ? 0 : rc;
  cJSON *bind = NULL;
  if ((rc = load_keys(&a, &g_keys))) return rc;
  if ((rc = load_bindings(a.bindings, &bind))) {
    asl_aws_keys_free(&g_keys);
    return rc;
  }
  /* Blocked in every thread from here on; the main thread sigwaits. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  char *tmpdir, *tmppath;
  const char *db = db_file(a.db, &tmpdir, &tmppath);
  char *base = NULL;
  if (a.bindings) {
    char *copy = asl_strdup(a.bindings);
    base = asl_strdup(dirname(copy));
    free(copy);
  }
  web_api_opts ao = {db, bind, base, 0};
  asl_error e = {0};
  if (!db || web_api_new(&ao, &g_api, &e) < 0) {
    fprintf(stderr, "asl: %s: %s\n", e.name ? e.name : "serve",
            e.cause ? e.cause : "no temporary folder for :memory:");
    asl_error_clear(&e);
    rc = EX_IOERR;
  } else {
    int resumed = 0;
    if (web_api_resume(g_api, &resumed, &e) < 0) { /* serve all the same */
      fprintf(stderr, "asl serve: resuming: %s: %s\n", e.name, e.cause);
      asl_error_clear(&e);
    } else if (resumed) {
      fprintf(stderr, "asl serve: resuming %d execution%s left RUNNING\n",
              resumed, resumed == 1 ? "" : "s");
    }
    rc = serve(&a, g_api, db);
    if (rc < 0) { /* workers still run on g_api: end the process under
                     them, without exit()'s teardown */
      if (tmpdir) remove_tmp(tmpdir);
      fflush(NULL);
      _exit(0);
    } else {
      web_api_free(g_api);
      g_api = NULL;
    }
  }
  if (tmpdir) remove_tmp(tmpdir);
  free(tmpdir);
  free(tmppath);
  free(base);
  cJSON_Delete(bind);
  asl_aws_keys_free(&g_keys);
  return rc;
}
