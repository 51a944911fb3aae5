/* deploy_cmd.c: `asl deploy` and `asl export cloudformation` (see
 * deploy_cmd.h). The definition goes through the same steps as `asl run`
 * and `asl validate`: bindings' Substitutions and --sub applied to its
 * text (engine/subst.h), then asl_machine_load, which refuses an invalid
 * definition with every diagnostic. Bindings' built-in names are not
 * checked here: what a Lambda function is locally does not matter to AWS. */
#include "deploy_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../deploy/cfn.h"
#include "../deploy/client.h"
#include "../deploy/creds.h"
#include "../engine/asl.h"
#include "../engine/json.h"
#include "../engine/limits.h"
#include "../engine/subst.h"

#define EX_FAILED 1
#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66
#define EX_UNAVAILABLE 69
#define EX_NOPERM 77

static const char deploy_usage[] =
    "usage: asl deploy DEF --name NAME --role-arn ARN [--type "
    "STANDARD|EXPRESS]\n"
    "                  [--sub K=V]... [--bindings FILE] [--tags K=V,...]\n"
    "                  [--endpoint-url URL] [--dry-run] [--profile P]\n"
    "                  [--region R]\n"
    "  validates DEF locally, applies ${...} substitutions (the bindings'\n"
    "  Substitutions, then --sub), and creates the state machine NAME in\n"
    "  AWS Step Functions, or updates it when it exists (an identical\n"
    "  definition, role and type changes nothing); prints its ARN.\n"
    "  Credentials and region as the AWS CLI finds them.\n"
    "       asl export cloudformation DEF --name NAME [--type T] [--sub "
    "K=V]...\n"
    "                  [--bindings FILE] [--format json|yaml]\n"
    "  prints a CloudFormation template: the state machine and an IAM role\n"
    "  allowing only what its Task states use.\n";

typedef struct dargs {
  const char *def, *name, *role, *type, *bindings, *tags, *endpoint, *profile,
      *region, *format;
  const char *subs[64];
  int nsubs, dry_run;
} dargs;

static int usage(const char *why) {
  if (why) fprintf(stderr, "asl: %s\n", why);
  fputs(deploy_usage, stderr);
  return EX_USAGE;
}

static int parse(int argc, char **argv, dargs *a, int export) {
  for (int i = 0; i < argc; i++) {
    const char *s = argv[i];
    int more = i + 1 < argc;
    if (strcmp(s, "--name") == 0 && more)
      a->name = argv[++i];
    else if (strcmp(s, "--type") == 0 && more)
      a->type = argv[++i];
    else if (strcmp(s, "--bindings") == 0 && more)
      a->bindings = argv[++i];
    else if (strcmp(s, "--sub") == 0 && more) {
      if (a->nsubs == 64) return usage("too many --sub");
      a->subs[a->nsubs++] = argv[++i];
    } else if (!export && strcmp(s, "--role-arn") == 0 && more)
      a->role = argv[++i];
    else if (!export && strcmp(s, "--tags") == 0 && more)
      a->tags = argv[++i];
    else if (!export && strcmp(s, "--endpoint-url") == 0 && more)
      a->endpoint = argv[++i];
    else if (!export && strcmp(s, "--profile") == 0 && more)
      a->profile = argv[++i];
    else if (!export && strcmp(s, "--region") == 0 && more)
      a->region = argv[++i];
    else if (!export && strcmp(s, "--dry-run") == 0)
      a->dry_run = 1;
    else if (export && strcmp(s, "--format") == 0 && more)
      a->format = argv[++i];
    else if (strcmp(s, "--help") == 0) {
      fputs(deploy_usage, stdout);
      return -1;
    } else if (s[0] == '-' && s[1])
      return usage("unknown option or missing value");
    else if (!a->def)
      a->def = s;
    else
      return usage("more than one definition given");
  }
  if (!a->def) return usage("no definition file given");
  if (!a->name) return usage("--name NAME is required");
  if (!*a->name || strlen(a->name) > ASL_MAX_NAME)
    return usage("--name must have 1 to 80 characters");
  if (!export && !a->role) return usage("--role-arn ARN is required");
  if (a->type && strcmp(a->type, "STANDARD") != 0 &&
      strcmp(a->type, "EXPRESS") != 0)
    return usage("--type must be STANDARD or EXPRESS");
  if (a->format && strcmp(a->format, "json") != 0 &&
      strcmp(a->format, "yaml") != 0)
    return usage("--format must be json or yaml");
  return 0;
}

/* ---- the definition: read, substitute, validate ---- */

typedef struct loaded {
  char *raw;   /* as written */
  char *text;  /* substitutions applied */
  cJSON *subs; /* the substitution values */
} loaded;

static void loaded_free(loaded *l) {
  free(l->raw);
  free(l->text);
  cJSON_Delete(l->subs);
}

static int read_all(const char *path, char **out) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    fprintf(stderr, "asl: %s: %s\n", path, strerror(errno));
    return EX_NOINPUT;
  }
  if (S_ISDIR(sb.st_mode)) {
    fprintf(stderr, "asl: %s: is a directory, not a file\n", path);
    return EX_NOINPUT;
  }
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "asl: %s: %s\n", path, strerror(errno));
    return EX_NOINPUT;
  }
  asl_buf b = {0};
  char chunk[65536];
  size_t n;
  asl_buf_puts(&b, "");
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (b.len + n > ASL_MAX_DEFINITION) {
      fclose(f);
      asl_buf_free(&b);
      fprintf(stderr, "asl: %s: larger than %d bytes\n", path,
              (int)ASL_MAX_DEFINITION);
      return EX_DATAERR;
    }
    asl_buf_add(&b, chunk, n);
  }
  fclose(f);
  *out = asl_buf_take(&b);
  return 0;
}

static int load(const dargs *a, loaded *l) {
  memset(l, 0, sizeof *l);
  int rc = read_all(a->def, &l->raw);
  if (rc) return rc;
  char *dflt = NULL, *msg = NULL;
  const char *bpath = a->bindings;
  struct stat sb;
  if (!bpath) {
    dflt = asl_bindings_default_path(a->def);
    if (dflt && stat(dflt, &sb) == 0) bpath = dflt;
  }
  cJSON *bind = NULL;
  if (bpath && stat(bpath, &sb) != 0) {
    fprintf(stderr, "asl: %s: %s\n", bpath, strerror(errno));
    rc = EX_NOINPUT;
  } else if (bpath && asl_bindings_load(bpath, &bind, &msg) < 0) {
    fprintf(stderr, "asl: %s\n", msg ? msg : bpath);
    rc = EX_DATAERR;
  }
  free(dflt);
  free(msg);
  msg = NULL;
  if (rc) return rc;
  l->subs = asl_json_dup(asl_json_get(bind, "Substitutions"));
  cJSON_Delete(bind);
  if (!l->subs) l->subs = cJSON_CreateObject();
  for (int i = 0; i < a->nsubs; i++)
    if (asl_subst_add_kv(l->subs, a->subs[i], &msg) < 0) {
      fprintf(stderr, "asl: --sub %s: %s\n", a->subs[i], msg);
      free(msg);
      return EX_USAGE;
    }
  l->text = asl_subst_apply(l->raw, l->subs, &msg);
  if (!l->text) {
    fprintf(stderr, "asl: %s: %s\n", a->def, msg);
    free(msg);
    return EX_DATAERR;
  }
  /* the loader `asl validate` uses: refuse what AWS would refuse */
  asl_diags d = {0};
  asl_load_opts o = {a->type, a->name, NULL};
  asl_machine *m = asl_machine_load(l->text, strlen(l->text), &o, &d);
  if (!m)
    for (size_t i = 0; i < d.n; i++)
      fprintf(stderr, "%s: %s: %s at %s\n", a->def, d.v[i].code, d.v[i].message,
              d.v[i].location ? d.v[i].location : "null");
  asl_diags_free(&d);
  if (!m) {
    fprintf(stderr, "asl: %s is not a valid definition: nothing deployed\n",
            a->def);
    return EX_DATAERR;
  }
  asl_machine_free(m);
  return 0;
}

/* ---- asl deploy ---- */

static int aws_error(const char *op, asl_error *e) {
  int conn = strcmp(e->name, "Deploy.Connection") == 0;
  if (strncmp(e->name, "Deploy.", 7) == 0)
    fprintf(stderr, "asl deploy: %s: %s\n", op, e->cause);
  else
    fprintf(stderr,
            "asl deploy: An error occurred (%s) when calling the %s "
            "operation: %s\n",
            e->name, op, e->cause ? e->cause : "");
  if (strcmp(e->name ? e->name : "", "InvalidSignatureException") == 0 ||
      strcmp(e->name ? e->name : "", "UnrecognizedClientException") == 0 ||
      strcmp(e->name ? e->name : "", "IncompleteSignatureException") == 0)
    fprintf(stderr, "asl deploy: the endpoint refused these credentials "
                    "(check the access key and secret key): nothing was "
                    "changed\n");
  asl_error_clear(e);
  return conn ? EX_UNAVAILABLE : EX_FAILED;
}

/* --tags "k=v,k2=v2" as CreateStateMachine's [{"key","value"}]. */
static cJSON *parse_tags(const char *s, int *bad) {
  cJSON *a = cJSON_CreateArray();
  *bad = 0;
  while (s && *s) {
    size_t n = strcspn(s, ",");
    const char *eq = memchr(s, '=', n);
    if (!eq || eq == s) {
      *bad = 1;
      break;
    }
    cJSON *t = cJSON_CreateObject();
    char *k = asl_strndup(s, (size_t)(eq - s));
    char *v = asl_strndup(eq + 1, n - (size_t)(eq - s) - 1);
    cJSON_AddStringToObject(t, "key", k);
    cJSON_AddStringToObject(t, "value", v);
    free(k);
    free(v);
    cJSON_AddItemToArray(a, t);
    s += n;
    if (*s == ',') s++;
  }
  return a;
}

/* The ARN of the machine named name, through ListStateMachines' pages:
 * 1 found (*arn new), 0 not, -1 error in e. */
static int find_machine(asl_sfn_client *c, const char *name, char **arn,
                        asl_error *e) {
  char *token = NULL;
  *arn = NULL;
  for (int page = 0; page < 1000; page++) {
    cJSON *req = cJSON_CreateObject(), *out = NULL;
    cJSON_AddNumberToObject(req, "maxResults", 1000);
    if (token) cJSON_AddStringToObject(req, "nextToken", token);
    free(token);
    token = NULL;
    int rc = asl_sfn_call(c, "ListStateMachines", req, &out, e);
    cJSON_Delete(req);
    if (rc < 0) return -1;
    const cJSON *m;
    cJSON_ArrayForEach(m, asl_json_get(out, "stateMachines")) {
      const cJSON *n = asl_json_get(m, "name"),
                  *a = asl_json_get(m, "stateMachineArn");
      if (cJSON_IsString(n) && cJSON_IsString(a) &&
          strcmp(n->valuestring, name) == 0)
        *arn = asl_strdup(a->valuestring);
    }
    const cJSON *nt = asl_json_get(out, "nextToken");
    if (!*arn && cJSON_IsString(nt) && *nt->valuestring)
      token = asl_strdup(nt->valuestring);
    cJSON_Delete(out);
    if (*arn) return 1;
    if (!token) return 0;
  }
  free(token);
  return 0;
}

/* "State Machine Already Exists: 'arn:...'" -> the ARN, or NULL. */
static char *arn_in_message(const char *msg) {
  const char *s = msg ? strstr(msg, "'arn:") : NULL;
  if (!s) return NULL;
  const char *e = strchr(s + 1, '\'');
  return e ? asl_strndup(s + 1, (size_t)(e - s - 1)) : NULL;
}

static const char *str_of(const cJSON *o, const char *k) {
  const cJSON *v = asl_json_get(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The machine at arn exists: update it unless it already is this. */
static int update_existing(asl_sfn_client *c, const dargs *a, const char *arn,
                           const char *text, const cJSON *tags) {
  asl_error e = {0};
  cJSON *req = cJSON_CreateObject(), *out = NULL;
  cJSON_AddStringToObject(req, "stateMachineArn", arn);
  int rc = asl_sfn_call(c, "DescribeStateMachine", req, &out, &e);
  cJSON_Delete(req);
  if (rc < 0) return aws_error("DescribeStateMachine", &e);
  const char *def = str_of(out, "definition"), *role = str_of(out, "roleArn"),
             *type = str_of(out, "type");
  /* without --type, the deployed type stays */
  const char *want_type = a->type ? a->type : type;
  if (type && want_type && strcmp(type, want_type) != 0) {
    fprintf(stderr,
            "asl deploy: %s is a %s state machine: its type cannot become "
            "%s (delete it first, or deploy under another --name)\n",
            arn, type, want_type);
    cJSON_Delete(out);
    return EX_FAILED;
  }
  int same =
      def && strcmp(def, text) == 0 && role && strcmp(role, a->role) == 0;
  cJSON_Delete(out);
  if (same) {
    fprintf(stderr,
            "asl deploy: %s unchanged (same definition, role and "
            "type): nothing sent to update\n",
            a->name);
  } else {
    req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "stateMachineArn", arn);
    cJSON_AddStringToObject(req, "definition", text);
    cJSON_AddStringToObject(req, "roleArn", a->role);
    rc = asl_sfn_call(c, "UpdateStateMachine", req, &out, &e);
    cJSON_Delete(req);
    if (rc < 0) return aws_error("UpdateStateMachine", &e);
    cJSON_Delete(out);
    fprintf(stderr, "asl deploy: %s updated\n", a->name);
  }
  if (cJSON_GetArraySize(tags) > 0) { /* tags are not part of Update */
    req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "resourceArn", arn);
    cJSON_AddItemToObject(req, "tags", asl_json_dup(tags));
    rc = asl_sfn_call(c, "TagResource", req, &out, &e);
    cJSON_Delete(req);
    if (rc < 0) return aws_error("TagResource", &e);
    cJSON_Delete(out);
  }
  printf("%s\n", arn);
  return 0;
}

static int deploy(asl_sfn_client *c, const dargs *a, const char *text,
                  const cJSON *tags) {
  asl_error e = {0};
  char *arn = NULL;
  if (!c->dry_run) {
    int found = find_machine(c, a->name, &arn, &e);
    if (found < 0) return aws_error("ListStateMachines", &e);
    if (found) {
      int rc = update_existing(c, a, arn, text, tags);
      free(arn);
      return rc;
    }
  }
  cJSON *req = cJSON_CreateObject(), *out = NULL;
  cJSON_AddStringToObject(req, "name", a->name);
  cJSON_AddStringToObject(req, "definition", text);
  cJSON_AddStringToObject(req, "roleArn", a->role);
  cJSON_AddStringToObject(req, "type", a->type ? a->type : "STANDARD");
  if (cJSON_GetArraySize(tags) > 0)
    cJSON_AddItemToObject(req, "tags", asl_json_dup(tags));
  int rc = asl_sfn_call(c, "CreateStateMachine", req, &out, &e);
  cJSON_Delete(req);
  if (c->dry_run) {
    asl_error_clear(&e);
    fprintf(stderr,
            "asl deploy: --dry-run: nothing sent (when %s exists, "
            "DescribeStateMachine and UpdateStateMachine follow instead)\n",
            a->name);
    return 0;
  }
  if (rc == 0) {
    const char *got = str_of(out, "stateMachineArn");
    fprintf(stderr, "asl deploy: %s created\n", a->name);
    printf("%s\n", got ? got : "");
    cJSON_Delete(out);
    return 0;
  }
  if (strcmp(e.name, "StateMachineAlreadyExists") != 0)
    return aws_error("CreateStateMachine", &e);
  /* created meanwhile, or not listed yet: the error names it */
  arn = arn_in_message(e.cause);
  asl_error_clear(&e);
  if (!arn && find_machine(c, a->name, &arn, &e) <= 0) {
    if (e.name) return aws_error("ListStateMachines", &e);
    fprintf(stderr, "asl deploy: %s exists but cannot be found\n", a->name);
    return EX_FAILED;
  }
  rc = update_existing(c, a, arn, text, tags);
  free(arn);
  return rc;
}

int asl_cmd_deploy(int argc, char **argv) {
  dargs a = {0};
  int rc = parse(argc, argv, &a, 0);
  if (rc) return rc < 0 ? 0 : rc;
  int bad;
  cJSON *tags = parse_tags(a.tags, &bad);
  if (bad) {
    cJSON_Delete(tags);
    return usage("--tags takes KEY=VALUE[,KEY=VALUE]...");
  }
  loaded l;
  if ((rc = load(&a, &l))) {
    loaded_free(&l);
    cJSON_Delete(tags);
    return rc;
  }
  asl_aws_creds cr;
  char *msg = NULL;
  if (asl_aws_creds_resolve(a.profile, a.region, &cr, &msg) < 0) {
    fprintf(stderr, "asl deploy: %s\n", msg);
    free(msg);
    loaded_free(&l);
    cJSON_Delete(tags);
    return EX_NOPERM;
  }
  if (!cr.region) {
    fprintf(stderr, "asl deploy: You must specify a region (--region, "
                    "AWS_REGION, AWS_DEFAULT_REGION or the profile's "
                    "region in the config file)\n");
    asl_aws_creds_free(&cr);
    loaded_free(&l);
    cJSON_Delete(tags);
    return EX_NOPERM;
  }
  char *endpoint =
      a.endpoint ? asl_strdup(a.endpoint) : asl_sfn_endpoint(cr.region);
  asl_sfn_client c = {0};
  c.endpoint = endpoint;
  c.creds = &cr;
  c.dry_run = a.dry_run;
  c.dry_out = stdout;
  /* where the credentials came from, never what they are */
  fprintf(stderr, "asl deploy: %s to %s as %s (%s), region %s\n", a.name,
          endpoint, cr.access_key, cr.source, cr.region);
  rc = deploy(&c, &a, l.text, tags);
  free(endpoint);
  asl_aws_creds_free(&cr);
  loaded_free(&l);
  cJSON_Delete(tags);
  return rc;
}

/* ---- asl export cloudformation ---- */

int asl_cmd_export(int argc, char **argv) {
  if (argc < 1 || strcmp(argv[0], "cloudformation") != 0)
    return usage("asl export: the only format is `cloudformation`");
  dargs a = {0};
  int rc = parse(argc - 1, argv + 1, &a, 1);
  if (rc) return rc < 0 ? 0 : rc;
  loaded l;
  if ((rc = load(&a, &l))) {
    loaded_free(&l);
    return rc;
  }
  char *msg = NULL;
  cJSON *t = asl_cfn_template(l.raw, l.subs, a.name, a.type, &msg);
  if (!t) {
    fprintf(stderr, "asl export: %s: %s\n", a.def, msg);
    free(msg);
    loaded_free(&l);
    return EX_DATAERR;
  }
  if (a.format && strcmp(a.format, "yaml") == 0) {
    char *out = asl_cfn_yaml(t);
    puts(out);
    free(out);
  } else {
    char *out = cJSON_Print(t);
    puts(out);
    cJSON_free(out);
  }
  cJSON_Delete(t);
  loaded_free(&l);
  return 0;
}
