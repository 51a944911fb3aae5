/* cfn.c: CloudFormation export with a least-privilege role (see cfn.h).
 *
 * The actions per integration follow AWS's pages "IAM policies for ..." of
 * the Step Functions developer guide, which give what Step Functions
 * itself generates for a definition:
 *   Lambda https://docs.aws.amazon.com/step-functions/latest/dg/lambda-iam.html
 *   Athena https://docs.aws.amazon.com/step-functions/latest/dg/athena-iam.html
 *   Glue     https://docs.aws.amazon.com/step-functions/latest/dg/glue-iam.html
 *   DynamoDB
 * https://docs.aws.amazon.com/step-functions/latest/dg/dynamo-iam.html nested
 * https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html
 *   SQS, SNS https://docs.aws.amazon.com/step-functions/latest/dg/sqs-iam.html,
 *            https://docs.aws.amazon.com/step-functions/latest/dg/sns-iam.html
 *   AWS SDK
 * https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
 *            (the IAM action of aws-sdk:SERVICE:apiAction is SERVICE:ApiAction)
 * Where those pages grant on "*" or "arn:aws:s3:::*" (Athena's
 * s3:CreateBucket, lakeformation:GetDataAccess) we grant less: the buckets
 * the definition names, and no Lake Formation (a note says so). */
#include "cfn.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../engine/core.h"
#include "../engine/json.h"
#include "../engine/subst.h"

#define PART_REGION_ACCOUNT                                                    \
  "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s"

typedef struct policy {
  cJSON *statements; /* array */
  cJSON *notes;      /* array of strings */
} policy;

static void note(policy *p, const char *fmt, ...) ASL_PRINTF(2, 3);
static void note(policy *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *s = asl_vsprintf(fmt, ap);
  va_end(ap);
  const cJSON *n;
  cJSON_ArrayForEach(n, p->notes) if (strcmp(n->valuestring, s) == 0) {
    free(s);
    return;
  }
  cJSON_AddItemToArray(p->notes, cJSON_CreateString(s));
  free(s);
}

static int array_has(const cJSON *a, const cJSON *v) {
  const cJSON *x;
  cJSON_ArrayForEach(x, a) if (asl_json_equal(x, v)) return 1;
  return 0;
}

/* Adds actions (NULL-terminated) on resource (taken) to statement sid. */
static void grant(policy *p, const char *sid, const char *const *actions,
                  cJSON *resource) {
  cJSON *st = NULL, *s;
  cJSON_ArrayForEach(s, p->statements) {
    if (strcmp(cJSON_GetObjectItem(s, "Sid")->valuestring, sid) == 0) st = s;
  }
  if (!st) {
    st = cJSON_CreateObject();
    cJSON_AddStringToObject(st, "Sid", sid);
    cJSON_AddStringToObject(st, "Effect", "Allow");
    cJSON_AddItemToObject(st, "Action", cJSON_CreateArray());
    cJSON_AddItemToObject(st, "Resource", cJSON_CreateArray());
    cJSON_AddItemToArray(p->statements, st);
  }
  cJSON *acts = cJSON_GetObjectItem(st, "Action");
  for (int i = 0; actions[i]; i++) {
    cJSON *a = cJSON_CreateString(actions[i]);
    if (array_has(acts, a))
      cJSON_Delete(a);
    else
      cJSON_AddItemToArray(acts, a);
  }
  cJSON *res = cJSON_GetObjectItem(st, "Resource");
  if (array_has(res, resource))
    cJSON_Delete(resource);
  else
    cJSON_AddItemToArray(res, resource);
}

/* {"Fn::Sub":
 * "arn:${AWS::Partition}:SERVICE:${AWS::Region}:${AWS::AccountId}:REST"} */
static cJSON *arn_here(const char *service, const char *rest) {
  cJSON *o = cJSON_CreateObject();
  char *s = asl_sprintf(PART_REGION_ACCOUNT, service, rest);
  cJSON_AddStringToObject(o, "Fn::Sub", s);
  free(s);
  return o;
}

static const char *str_of(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The state's parameters: Parameters (JSONPath) or Arguments (JSONata). */
static const cJSON *params_of(const cJSON *state) {
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(state, "Parameters");
  return p ? p : cJSON_GetObjectItemCaseSensitive(state, "Arguments");
}

/* A parameter given at run time: "K.$" (JSONPath) or a JSONata "{% %}". */
static int dynamic(const cJSON *params, const char *k) {
  char *dk = asl_sprintf("%s.$", k);
  int d = cJSON_GetObjectItemCaseSensitive(params, dk) != NULL;
  free(dk);
  const char *v = str_of(params, k);
  return d || (v && strncmp(v, "{%", 2) == 0);
}

/* ---- Lambda ---- */

static const char *const LAMBDA_INVOKE[] = {"lambda:InvokeFunction", NULL};

/* A function ARN "arn:aws:lambda:R:A:function:F[:Q]": the function and its
 * versions and aliases (as AWS's generated policy). */
static void grant_lambda_arn(policy *p, const char *arn) {
  const char *f = strstr(arn, ":function:");
  if (!f) return;
  const char *q = strchr(f + 10, ':');
  char *base = q ? asl_strndup(arn, (size_t)(q - arn)) : asl_strdup(arn);
  char *all = asl_sprintf("%s:*", base);
  grant(p, "LambdaInvoke", LAMBDA_INVOKE, cJSON_CreateString(base));
  grant(p, "LambdaInvoke", LAMBDA_INVOKE, cJSON_CreateString(all));
  free(base);
  free(all);
}

static void task_lambda_invoke(policy *p, const char *state,
                               const cJSON *params) {
  const char *fn = str_of(params, "FunctionName");
  if (!fn || dynamic(params, "FunctionName")) {
    grant(p, "LambdaInvoke", LAMBDA_INVOKE, arn_here("lambda", "function:*"));
    note(p,
         "%s: FunctionName is given at run time: lambda:InvokeFunction on "
         "every function of the account and region",
         state);
  } else if (strncmp(fn, "arn:", 4) == 0) {
    grant_lambda_arn(p, fn);
  } else { /* a name, a name:alias, or ACCOUNT:function:NAME */
    const char *f = strstr(fn, "function:");
    const char *name = f ? f + 9 : fn;
    size_t n = strcspn(name, ":");
    char *base = asl_strndup(name, n);
    char *r1 = asl_sprintf("function:%s", base);
    char *r2 = asl_sprintf("function:%s:*", base);
    grant(p, "LambdaInvoke", LAMBDA_INVOKE, arn_here("lambda", r1));
    grant(p, "LambdaInvoke", LAMBDA_INVOKE, arn_here("lambda", r2));
    free(base);
    free(r1);
    free(r2);
  }
}

/* ---- S3 buckets ---- */

static const char *const S3_RESULTS_BUCKET[] = {
    "s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads",
    NULL};
static const char *const S3_RESULTS_OBJECTS[] = {
    "s3:GetObject", "s3:PutObject", "s3:ListMultipartUploadParts",
    "s3:AbortMultipartUpload", NULL};
static const char *const S3_DATA_BUCKET[] = {"s3:GetBucketLocation",
                                             "s3:ListBucket", NULL};
static const char *const S3_DATA_OBJECTS[] = {"s3:GetObject", "s3:PutObject",
                                              "s3:DeleteObject", NULL};

static cJSON *bucket_arn(const char *bucket, int objects) {
  char *s = asl_sprintf("arn:aws:s3:::%s%s", bucket, objects ? "/*" : "");
  cJSON *v = cJSON_CreateString(s);
  free(s);
  return v;
}

/* The bucket of "s3://BUCKET[/...]" (new string), or NULL. */
static char *s3_bucket(const char *url) {
  if (!url || strncmp(url, "s3://", 5) != 0) return NULL;
  size_t n = strcspn(url + 5, "/'\" \n\t)");
  return n ? asl_strndup(url + 5, n) : NULL;
}

/* ---- Athena ---- */

static int is_ident(char c) { return isalnum((unsigned char)c) || c == '_'; }

/* The databases a query names: a name after DATABASE/SCHEMA/IN, and DB of
 * DB.TABLE after FROM/JOIN/INTO/TABLE/EXISTS/UPDATE/USING; quoted text is
 * skipped. Adds lowercased names to dbs (array). Also adds every
 * s3://BUCKET in the query's string literals (LOCATION, external_location)
 * to buckets. */
static void scan_sql(const char *q, cJSON *dbs, cJSON *buckets) {
  char prev[16] = "";
  for (const char *s = q; *s;) {
    if (*s == '\'' || *s == '"') {
      char qc = *s++;
      const char *start = s;
      while (*s && *s != qc)
        s++;
      char *lit = asl_strndup(start, (size_t)(s - start));
      for (const char *u = strstr(lit, "s3://"); u;
           u = strstr(u + 5, "s3://")) {
        char *b = s3_bucket(u);
        if (b) {
          cJSON *v = cJSON_CreateString(b);
          if (array_has(buckets, v))
            cJSON_Delete(v);
          else
            cJSON_AddItemToArray(buckets, v);
          free(b);
        }
      }
      free(lit);
      if (*s) s++;
      continue;
    }
    if (!is_ident(*s)) {
      s++;
      continue;
    }
    const char *start = s;
    while (is_ident(*s) || (*s == '.' && is_ident(s[1])))
      s++;
    char *tok = asl_strndup(start, (size_t)(s - start));
    for (char *t = tok; *t; t++)
      *t = (char)tolower((unsigned char)*t);
    char *dot = strchr(tok, '.');
    char *db = NULL;
    int after_db = strcmp(prev, "database") == 0 || strcmp(prev, "schema") == 0;
    int filler = strcmp(tok, "if") == 0 || strcmp(tok, "not") == 0 ||
                 strcmp(tok, "exists") == 0;
    if (after_db && filler) { /* DATABASE IF NOT EXISTS name */
      free(tok);
      continue;
    }
    if (!dot && (after_db || strcmp(prev, "in") == 0))
      db = asl_strdup(tok);
    else if (dot && !strchr(dot + 1, '.') &&
             (strcmp(prev, "from") == 0 || strcmp(prev, "join") == 0 ||
              strcmp(prev, "into") == 0 || strcmp(prev, "table") == 0 ||
              strcmp(prev, "exists") == 0 || strcmp(prev, "update") == 0 ||
              strcmp(prev, "using") == 0))
      db = asl_strndup(tok, (size_t)(dot - tok));
    if (db) {
      cJSON *v = cJSON_CreateString(db);
      if (array_has(dbs, v))
        cJSON_Delete(v);
      else
        cJSON_AddItemToArray(dbs, v);
      free(db);
    }
    if (strcmp(tok, "if") != 0 && strcmp(tok, "not") != 0)
      snprintf(prev, sizeof prev, "%s", strlen(tok) < 16 ? tok : "");
    free(tok);
  }
}

static const char *const ATHENA_START[] = {"athena:StartQueryExecution",
                                           "athena:GetDataCatalog", NULL};
static const char *const ATHENA_SYNC[] = {"athena:GetQueryExecution",
                                          "athena:StopQueryExecution", NULL};
static const char *const ATHENA_GET_RESULTS[] = {"athena:GetQueryResults",
                                                 NULL};
static const char *const ATHENA_GET_EXEC[] = {"athena:GetQueryExecution", NULL};
static const char *const ATHENA_STOP[] = {"athena:StopQueryExecution", NULL};
/* the Glue Data Catalog actions athena-iam.html lists */
static const char *const GLUE_CATALOG[] = {"glue:CreateDatabase",
                                           "glue:GetDatabase",
                                           "glue:GetDatabases",
                                           "glue:UpdateDatabase",
                                           "glue:DeleteDatabase",
                                           "glue:CreateTable",
                                           "glue:UpdateTable",
                                           "glue:GetTable",
                                           "glue:GetTables",
                                           "glue:DeleteTable",
                                           "glue:BatchDeleteTable",
                                           "glue:BatchCreatePartition",
                                           "glue:CreatePartition",
                                           "glue:UpdatePartition",
                                           "glue:GetPartition",
                                           "glue:GetPartitions",
                                           "glue:BatchGetPartition",
                                           "glue:DeletePartition",
                                           "glue:BatchDeletePartition",
                                           NULL};

typedef struct athena_seen {
  cJSON *workgroups; /* names of the start states' workgroups */
  int results_later; /* a getQueryResults/...: granted once all are known */
} athena_seen;

static void task_athena(policy *p, athena_seen *as, const char *state,
                        const char *op, int sync, const cJSON *params) {
  if (strcmp(op, "startQueryExecution") == 0) {
    const char *wg = str_of(params, "WorkGroup");
    if (dynamic(params, "WorkGroup")) {
      note(p,
           "%s: WorkGroup is given at run time: Athena actions on every "
           "workgroup",
           state);
      wg = "*";
    }
    if (!wg) wg = "primary";
    cJSON *w = cJSON_CreateString(wg);
    if (array_has(as->workgroups, w))
      cJSON_Delete(w);
    else
      cJSON_AddItemToArray(as->workgroups, w);
    char *r = asl_sprintf("workgroup/%s", wg);
    grant(p, "AthenaQueries", ATHENA_START, arn_here("athena", r));
    if (sync) grant(p, "AthenaQueries", ATHENA_SYNC, arn_here("athena", r));
    free(r);
    const cJSON *ctx =
        cJSON_GetObjectItemCaseSensitive(params, "QueryExecutionContext");
    const char *catalog = str_of(ctx, "Catalog");
    char *dc =
        asl_sprintf("datacatalog/%s", catalog ? catalog : "AwsDataCatalog");
    grant(p, "AthenaQueries", ATHENA_START, arn_here("athena", dc));
    free(dc);
    /* the Glue catalog: the databases the query and its context name */
    cJSON *dbs = cJSON_CreateArray(), *buckets = cJSON_CreateArray();
    const char *ctxdb = str_of(ctx, "Database");
    if (ctxdb) cJSON_AddItemToArray(dbs, cJSON_CreateString(ctxdb));
    const char *q = str_of(params, "QueryString");
    if (q && !dynamic(params, "QueryString")) scan_sql(q, dbs, buckets);
    grant(p, "AthenaGlueCatalog", GLUE_CATALOG, arn_here("glue", "catalog"));
    if (!q || dynamic(params, "QueryString") || cJSON_GetArraySize(dbs) == 0) {
      if (!q || dynamic(params, "QueryString"))
        note(p,
             "%s: QueryString is given at run time: Glue catalog actions "
             "on every database and table",
             state);
      grant(p, "AthenaGlueCatalog", GLUE_CATALOG,
            arn_here("glue", "database/*"));
      grant(p, "AthenaGlueCatalog", GLUE_CATALOG, arn_here("glue", "table/*"));
    }
    /* "default" too: Athena resolves unqualified names there */
    const cJSON *db;
    cJSON_ArrayForEach(db, dbs) {
      char *r1 = asl_sprintf("database/%s", db->valuestring);
      char *r2 = asl_sprintf("table/%s/*", db->valuestring);
      char *r3 = asl_sprintf("userDefinedFunction/%s/*", db->valuestring);
      grant(p, "AthenaGlueCatalog", GLUE_CATALOG, arn_here("glue", r1));
      grant(p, "AthenaGlueCatalog", GLUE_CATALOG, arn_here("glue", r2));
      grant(p, "AthenaGlueCatalog", GLUE_CATALOG, arn_here("glue", r3));
      free(r1);
      free(r2);
      free(r3);
    }
    /* S3: the result location, and the data LOCATIONs in the SQL */
    const cJSON *rc =
        cJSON_GetObjectItemCaseSensitive(params, "ResultConfiguration");
    const char *out = str_of(rc, "OutputLocation");
    char *rb = s3_bucket(out);
    if (rb) {
      grant(p, "AthenaResultsBucket", S3_RESULTS_BUCKET, bucket_arn(rb, 0));
      grant(p, "AthenaResultsBucket", S3_RESULTS_OBJECTS, bucket_arn(rb, 1));
      free(rb);
    } else if (rc && (dynamic(rc, "OutputLocation") || out)) {
      note(p,
           "%s: the OutputLocation is given at run time or is not an "
           "s3:// URL: no S3 access granted for it",
           state);
    } else {
      note(p,
           "%s: no ResultConfiguration.OutputLocation: the workgroup's "
           "result location needs S3 access this template does not grant",
           state);
    }
    const cJSON *b;
    cJSON_ArrayForEach(b, buckets) {
      grant(p, "AthenaDataBuckets", S3_DATA_BUCKET,
            bucket_arn(b->valuestring, 0));
      grant(p, "AthenaDataBuckets", S3_DATA_OBJECTS,
            bucket_arn(b->valuestring, 1));
    }
    cJSON_Delete(dbs);
    cJSON_Delete(buckets);
    note(p,
         "Athena: tables whose LOCATION is not in this definition's SQL "
         "need S3 read access on their buckets; Lake Formation "
         "(lakeformation:GetDataAccess, resource \"*\" only) is not granted");
  } else if (strcmp(op, "getQueryResults") == 0) {
    as->results_later |= 1;
  } else if (strcmp(op, "getQueryExecution") == 0) {
    as->results_later |= 2;
  } else if (strcmp(op, "stopQueryExecution") == 0) {
    as->results_later |= 4;
  } else {
    note(p, "%s: athena:%s: no policy derived", state, op);
  }
}

/* getQueryResults and friends name a query execution, whose workgroup is
 * one the definition's queries run in. */
static void athena_finish(policy *p, athena_seen *as) {
  if (!as->results_later) return;
  if (cJSON_GetArraySize(as->workgroups) == 0)
    cJSON_AddItemToArray(as->workgroups, cJSON_CreateString("primary"));
  const cJSON *w;
  cJSON_ArrayForEach(w, as->workgroups) {
    char *r = asl_sprintf("workgroup/%s", w->valuestring);
    if (as->results_later & 1)
      grant(p, "AthenaQueries", ATHENA_GET_RESULTS, arn_here("athena", r));
    if (as->results_later & 2)
      grant(p, "AthenaQueries", ATHENA_GET_EXEC, arn_here("athena", r));
    if (as->results_later & 4)
      grant(p, "AthenaQueries", ATHENA_STOP, arn_here("athena", r));
    free(r);
  }
}

/* ---- Glue ---- */

static void task_glue(policy *p, const char *state, const char *op, int sync,
                      const cJSON *params) {
  static const char *const START[] = {"glue:StartJobRun", NULL};
  static const char *const SYNC[] = {"glue:GetJobRun", "glue:GetJobRuns",
                                     "glue:BatchStopJobRun", NULL};
  if (strcmp(op, "startJobRun") != 0) {
    note(p, "%s: glue:%s: no policy derived", state, op);
    return;
  }
  const char *job = str_of(params, "JobName");
  char *r;
  if (!job || dynamic(params, "JobName")) {
    note(p, "%s: JobName is given at run time: Glue job actions on every job",
         state);
    r = asl_strdup("job/*");
  } else {
    r = asl_sprintf("job/%s", job);
  }
  grant(p, "GlueJobs", START, arn_here("glue", r));
  if (sync) grant(p, "GlueJobs", SYNC, arn_here("glue", r));
  free(r);
}

/* ---- DynamoDB ---- */

static void task_dynamodb(policy *p, const char *state, const char *op,
                          const cJSON *params) {
  char action[64];
  snprintf(action, sizeof action, "dynamodb:%c%s",
           toupper((unsigned char)op[0]), op + 1);
  const char *const acts[] = {action, NULL};
  const char *t = str_of(params, "TableName");
  char *r;
  if (!t || dynamic(params, "TableName")) {
    note(p, "%s: TableName is given at run time: %s on every table", state,
         action);
    r = asl_strdup("table/*");
  } else {
    r = asl_sprintf("table/%s", t);
  }
  grant(p, "DynamoDBItems", acts, arn_here("dynamodb", r));
  free(r);
}

/* ---- S3 (aws-sdk) ---- */

static void task_s3(policy *p, const char *state, const char *op,
                    const cJSON *params) {
  char action[96];
  snprintf(action, sizeof action, "s3:%c%s", toupper((unsigned char)op[0]),
           op + 1);
  /* the API names whose IAM action differs */
  if (strcmp(op, "listObjectsV2") == 0 || strcmp(op, "listObjects") == 0)
    snprintf(action, sizeof action, "s3:ListBucket");
  else if (strcmp(op, "headObject") == 0)
    snprintf(action, sizeof action, "s3:GetObject");
  else if (strcmp(op, "headBucket") == 0)
    snprintf(action, sizeof action, "s3:ListBucket");
  const char *const acts[] = {action, NULL};
  int bucket_level = strstr(op, "Bucket") || strncmp(op, "list", 4) == 0 ||
                     strcmp(op, "headBucket") == 0;
  const char *b = str_of(params, "Bucket");
  const char *k = str_of(params, "Key");
  if (!b || dynamic(params, "Bucket")) {
    note(p, "%s: Bucket is given at run time: %s on every bucket", state,
         action);
    grant(p, "S3", acts,
          cJSON_CreateString(bucket_level ? "arn:aws:s3:::*"
                                          : "arn:aws:s3:::*/*"));
  } else if (bucket_level) {
    grant(p, "S3", acts, bucket_arn(b, 0));
  } else if (k && !dynamic(params, "Key")) {
    char *s = asl_sprintf("arn:aws:s3:::%s/%s", b, k);
    grant(p, "S3", acts, cJSON_CreateString(s));
    free(s);
  } else {
    grant(p, "S3", acts, bucket_arn(b, 1));
  }
  if (strcmp(op, "copyObject") == 0) { /* reads CopySource "bucket/key" */
    const char *cs = str_of(params, "CopySource");
    static const char *const GET[] = {"s3:GetObject", NULL};
    if (cs && !dynamic(params, "CopySource")) {
      char *s = asl_sprintf("arn:aws:s3:::%s", cs[0] == '/' ? cs + 1 : cs);
      grant(p, "S3", GET, cJSON_CreateString(s));
      free(s);
    } else {
      note(p,
           "%s: CopySource is given at run time: s3:GetObject on every "
           "object",
           state);
      grant(p, "S3", GET, cJSON_CreateString("arn:aws:s3:::*/*"));
    }
  }
}

/* ---- nested executions ---- */

static void task_states(policy *p, const char *state, const char *op,
                        const char *suffix, const cJSON *params) {
  static const char *const START[] = {"states:StartExecution", NULL};
  static const char *const SYNC[] = {"states:DescribeExecution",
                                     "states:StopExecution", NULL};
  static const char *const EVENTS[] = {"events:PutTargets", "events:PutRule",
                                       "events:DescribeRule", NULL};
  if (strcmp(op, "startExecution") != 0) {
    note(p, "%s: states:%s: no policy derived", state, op);
    return;
  }
  const char *sm = str_of(params, "StateMachineArn");
  if (!sm || dynamic(params, "StateMachineArn")) {
    note(p,
         "%s: StateMachineArn is given at run time: StartExecution on "
         "every state machine",
         state);
    grant(p, "NestedExecutions", START, arn_here("states", "stateMachine:*"));
    if (suffix && strncmp(suffix, "sync", 4) == 0)
      grant(p, "NestedExecutions", SYNC, arn_here("states", "execution:*"));
  } else {
    grant(p, "NestedExecutions", START, cJSON_CreateString(sm));
    if (suffix && strncmp(suffix, "sync", 4) == 0) {
      /* arn:aws:states:R:A:stateMachine:NAME -> ...:execution:NAME:* */
      const char *m = strstr(sm, ":stateMachine:");
      if (m) {
        char *e = asl_sprintf("%.*s:execution:%s:*", (int)(m - sm), sm, m + 14);
        grant(p, "NestedExecutions", SYNC, cJSON_CreateString(e));
        free(e);
      }
    }
  }
  if (suffix && strncmp(suffix, "sync", 4) == 0)
    grant(p, "SyncEventsRule", EVENTS,
          arn_here("events",
                   "rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"));
}

/* ---- SQS, SNS, other aws-sdk services ---- */

static void task_sqs(policy *p, const char *state, const cJSON *params) {
  static const char *const SEND[] = {"sqs:SendMessage", NULL};
  const char *u = str_of(params, "QueueUrl");
  /* https://sqs.REGION.amazonaws.com/ACCOUNT/NAME */
  char region[64], account[32], name[128];
  if (u && !dynamic(params, "QueueUrl") &&
      sscanf(u, "https://sqs.%63[^.].amazonaws.com/%31[^/]/%127s", region,
             account, name) == 3) {
    char *a = asl_sprintf("arn:aws:sqs:%s:%s:%s", region, account, name);
    grant(p, "SQS", SEND, cJSON_CreateString(a));
    free(a);
  } else {
    note(p,
         "%s: QueueUrl is given at run time or not understood: "
         "sqs:SendMessage on every queue",
         state);
    grant(p, "SQS", SEND, arn_here("sqs", "*"));
  }
}

static void task_sns(policy *p, const char *state, const cJSON *params) {
  static const char *const PUB[] = {"sns:Publish", NULL};
  const char *t = str_of(params, "TopicArn");
  if (t && !dynamic(params, "TopicArn")) {
    grant(p, "SNS", PUB, cJSON_CreateString(t));
  } else {
    note(p, "%s: TopicArn is given at run time: sns:Publish on every topic",
         state);
    grant(p, "SNS", PUB, arn_here("sns", "*"));
  }
}

/* ---- one Task ---- */

static void task(policy *p, athena_seen *as, const char *state,
                 const cJSON *st) {
  const char *r = str_of(st, "Resource");
  const cJSON *params = params_of(st);
  if (!r) return;
  if (strncmp(r, "arn:aws:lambda:", 15) == 0) {
    grant_lambda_arn(p, r);
    return;
  }
  if (strncmp(r, "arn:aws:states:", 15) == 0 && strstr(r, ":activity:")) {
    return; /* activity workers poll with their own credentials */
  }
  if (strncmp(r, "arn:aws:states:::", 17) != 0) {
    note(p, "%s: resource %s: no policy derived", state, r);
    return;
  }
  /* arn:aws:states:::SERVICE:OP[.SUFFIX] or :::aws-sdk:SERVICE:OP */
  char *rest = asl_strdup(r + 17);
  int sdk = strncmp(rest, "aws-sdk:", 8) == 0;
  char *svc = rest + (sdk ? 8 : 0);
  char *op = strchr(svc, ':');
  if (!op) {
    note(p, "%s: resource %s: no policy derived", state, r);
    free(rest);
    return;
  }
  *op++ = 0;
  char *suffix = strchr(op, '.');
  if (suffix) *suffix++ = 0;
  int sync = suffix && strncmp(suffix, "sync", 4) == 0;
  if (strcmp(svc, "lambda") == 0 && strcmp(op, "invoke") == 0)
    task_lambda_invoke(p, state, params);
  else if (strcmp(svc, "athena") == 0)
    task_athena(p, as, state, op, sync, params);
  else if (strcmp(svc, "glue") == 0)
    task_glue(p, state, op, sync, params);
  else if (strcmp(svc, "dynamodb") == 0)
    task_dynamodb(p, state, op, params);
  else if (strcmp(svc, "s3") == 0 && sdk)
    task_s3(p, state, op, params);
  else if (strcmp(svc, "states") == 0)
    task_states(p, state, op, suffix, params);
  else if (strcmp(svc, "sqs") == 0 && strcmp(op, "sendMessage") == 0)
    task_sqs(p, state, params);
  else if (strcmp(svc, "sns") == 0 && strcmp(op, "publish") == 0)
    task_sns(p, state, params);
  else if (sdk) {
    char action[160];
    snprintf(action, sizeof action, "%s:%c%s", svc,
             toupper((unsigned char)op[0]), op + 1);
    const char *const acts[] = {action, NULL};
    grant(p, "AwsSdk", acts, arn_here(svc, "*"));
    note(p,
         "%s: %s: the resource is not derived for this service: every "
         "%s resource of the account and region",
         state, action, svc);
  } else {
    note(p, "%s: resource %s: no policy derived", state, r);
  }
  free(rest);
}

static void walk(policy *p, athena_seen *as, const cJSON *states) {
  const cJSON *st;
  cJSON_ArrayForEach(st, states) {
    const char *type = str_of(st, "Type");
    if (!type) continue;
    if (strcmp(type, "Task") == 0) task(p, as, st->string, st);
    const cJSON *br;
    cJSON_ArrayForEach(br, cJSON_GetObjectItemCaseSensitive(st, "Branches"))
        walk(p, as, cJSON_GetObjectItemCaseSensitive(br, "States"));
    const char *sub[] = {"Iterator", "ItemProcessor"};
    for (int i = 0; i < 2; i++) {
      const cJSON *it = cJSON_GetObjectItemCaseSensitive(st, sub[i]);
      if (it) walk(p, as, cJSON_GetObjectItemCaseSensitive(it, "States"));
    }
    /* a distributed Map starts child executions of this machine, and reads
       its ItemReader's bucket */
    const cJSON *ip = cJSON_GetObjectItemCaseSensitive(st, "ItemProcessor");
    const cJSON *pc = cJSON_GetObjectItemCaseSensitive(ip, "ProcessorConfig");
    if (strcmp(type, "Map") == 0 && str_of(pc, "Mode") &&
        strcmp(str_of(pc, "Mode"), "DISTRIBUTED") == 0)
      note(p,
           "%s: a distributed Map also needs states:StartExecution on "
           "this state machine and access to its ItemReader/ResultWriter "
           "buckets: not derived",
           st->string);
  }
}

/* ---- the template ---- */

/* A CloudFormation logical id from a substitution name: letters and
 * digits only, unique in params. New string. */
static char *param_name(const char *k, const cJSON *params) {
  asl_buf b = {0};
  asl_buf_puts(&b, "");
  for (const char *s = k; *s; s++)
    if (isalnum((unsigned char)*s)) asl_buf_putc(&b, *s);
  if (!b.len || !isalpha((unsigned char)b.s[0])) {
    char *t = asl_sprintf("P%s", b.s);
    asl_buf_free(&b);
    asl_buf_puts(&b, t);
    free(t);
  }
  char *base = asl_buf_take(&b);
  char *name = asl_strdup(base);
  for (int i = 2; cJSON_GetObjectItemCaseSensitive(params, name); i++) {
    free(name);
    name = asl_sprintf("%s%d", base, i);
  }
  free(base);
  return name;
}

cJSON *asl_cfn_template(const char *text, const cJSON *subs, const char *name,
                        const char *type, char **msg) {
  *msg = NULL;
  char *smsg = NULL;
  char *substituted = asl_subst_apply(text, subs, &smsg);
  if (!substituted) {
    *msg = smsg;
    return NULL;
  }
  char *jmsg = NULL;
  cJSON *def = asl_json_parse(substituted, strlen(substituted), &jmsg);
  free(substituted);
  if (!cJSON_IsObject(def)) {
    *msg = asl_sprintf("not a JSON object once substituted%s%s",
                       jmsg ? ": " : "", jmsg ? jmsg : "");
    free(jmsg);
    cJSON_Delete(def);
    return NULL;
  }
  policy p = {cJSON_CreateArray(), cJSON_CreateArray()};
  athena_seen as = {cJSON_CreateArray(), 0};
  walk(&p, &as, cJSON_GetObjectItemCaseSensitive(def, "States"));
  athena_finish(&p, &as);
  cJSON_Delete(as.workgroups);
  cJSON_Delete(def);

  cJSON *t = cJSON_CreateObject();
  cJSON_AddStringToObject(t, "AWSTemplateFormatVersion", "2010-09-09");
  char *desc = asl_sprintf("State machine %s and its least-privilege role "
                           "(asl export cloudformation)",
                           name);
  cJSON_AddStringToObject(t, "Description", desc);
  free(desc);
  cJSON *meta = cJSON_AddObjectToObject(t, "Metadata");
  cJSON *aslm = cJSON_AddObjectToObject(meta, "asl");
  cJSON_AddItemToObject(aslm, "Notes", p.notes);

  /* Parameters: one per substitution the definition uses */
  cJSON *params = cJSON_CreateObject(), *dsubs = cJSON_CreateObject();
  if (subs && subs->child)
    note(&p, "the role's policy names the resources with the substitution "
             "values given at export (the Parameters' defaults): export again "
             "when they change");
  const cJSON *s;
  cJSON_ArrayForEach(s, subs) {
    char *ref = asl_sprintf("${%s}", s->string);
    int used = strstr(text, ref) != NULL;
    free(ref);
    if (!used) continue;
    char *pn = param_name(s->string, params);
    cJSON *pd = cJSON_AddObjectToObject(params, pn);
    cJSON_AddStringToObject(pd, "Type", "String");
    if (cJSON_IsString(s)) {
      cJSON_AddStringToObject(pd, "Default", s->valuestring);
    } else {
      char *v = cJSON_PrintUnformatted(s);
      cJSON_AddStringToObject(pd, "Default", v);
      cJSON_free(v);
    }
    char *d = asl_sprintf("definition substitution ${%s}", s->string);
    cJSON_AddStringToObject(pd, "Description", d);
    free(d);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "Ref", pn);
    cJSON_AddItemToObject(dsubs, s->string, r);
    free(pn);
  }
  if (cJSON_GetArraySize(params) > 0)
    cJSON_AddItemToObject(t, "Parameters", params);
  else
    cJSON_Delete(params);

  cJSON *res = cJSON_AddObjectToObject(t, "Resources");
  /* the role */
  cJSON *role = cJSON_AddObjectToObject(res, "StateMachineRole");
  cJSON_AddStringToObject(role, "Type", "AWS::IAM::Role");
  cJSON *rp = cJSON_AddObjectToObject(role, "Properties");
  cJSON *assume = cJSON_AddObjectToObject(rp, "AssumeRolePolicyDocument");
  cJSON_AddStringToObject(assume, "Version", "2012-10-17");
  cJSON *ast = cJSON_CreateObject();
  cJSON_AddStringToObject(ast, "Effect", "Allow");
  cJSON *pr = cJSON_AddObjectToObject(ast, "Principal");
  cJSON_AddStringToObject(pr, "Service", "states.amazonaws.com");
  cJSON_AddStringToObject(ast, "Action", "sts:AssumeRole");
  cJSON *astl = cJSON_AddArrayToObject(assume, "Statement");
  cJSON_AddItemToArray(astl, ast);
  if (cJSON_GetArraySize(p.statements) > 0) {
    cJSON *pols = cJSON_AddArrayToObject(rp, "Policies");
    cJSON *pol = cJSON_CreateObject();
    char *pn = asl_sprintf("%s-tasks", name);
    cJSON_AddStringToObject(pol, "PolicyName", pn);
    free(pn);
    cJSON *doc = cJSON_AddObjectToObject(pol, "PolicyDocument");
    cJSON_AddStringToObject(doc, "Version", "2012-10-17");
    cJSON_AddItemToObject(doc, "Statement", p.statements);
    cJSON_AddItemToArray(pols, pol);
  } else {
    cJSON_Delete(p.statements);
  }
  /* the state machine */
  cJSON *sm = cJSON_AddObjectToObject(res, "StateMachine");
  cJSON_AddStringToObject(sm, "Type", "AWS::StepFunctions::StateMachine");
  cJSON *sp = cJSON_AddObjectToObject(sm, "Properties");
  cJSON_AddStringToObject(sp, "StateMachineName", name);
  cJSON_AddStringToObject(sp, "StateMachineType", type ? type : "STANDARD");
  cJSON *ga = cJSON_CreateObject();
  cJSON *gal = cJSON_AddArrayToObject(ga, "Fn::GetAtt");
  cJSON_AddItemToArray(gal, cJSON_CreateString("StateMachineRole"));
  cJSON_AddItemToArray(gal, cJSON_CreateString("Arn"));
  cJSON_AddItemToObject(sp, "RoleArn", ga);
  /* the definition as written: an object when it is JSON with its ${...}
     inside strings, else the text */
  cJSON *raw = cJSON_Parse(text);
  if (cJSON_IsObject(raw))
    cJSON_AddItemToObject(sp, "Definition", raw);
  else {
    cJSON_Delete(raw);
    cJSON_AddStringToObject(sp, "DefinitionString", text);
  }
  if (cJSON_GetArraySize(dsubs) > 0)
    cJSON_AddItemToObject(sp, "DefinitionSubstitutions", dsubs);
  else
    cJSON_Delete(dsubs);
  cJSON *outs = cJSON_AddObjectToObject(t, "Outputs");
  cJSON *o1 = cJSON_AddObjectToObject(outs, "StateMachineArn");
  cJSON *ref = cJSON_AddObjectToObject(o1, "Value");
  cJSON_AddStringToObject(ref, "Ref", "StateMachine");
  cJSON *o2 = cJSON_AddObjectToObject(outs, "RoleArn");
  cJSON *ga2 = cJSON_AddObjectToObject(o2, "Value");
  cJSON *ga2l = cJSON_AddArrayToObject(ga2, "Fn::GetAtt");
  cJSON_AddItemToArray(ga2l, cJSON_CreateString("StateMachineRole"));
  cJSON_AddItemToArray(ga2l, cJSON_CreateString("Arn"));
  return t;
}

/* ---- YAML ---- */

static void yaml_scalar(asl_buf *b, const cJSON *v) {
  if (cJSON_IsString(v)) {
    /* a JSON string is a YAML double-quoted scalar (cJSON never writes
       "\/", the one JSON escape YAML 1.1 lacks) */
    cJSON *c = cJSON_CreateString(v->valuestring);
    char *s = cJSON_PrintUnformatted(c);
    asl_buf_puts(b, s);
    cJSON_free(s);
    cJSON_Delete(c);
  } else {
    char *s = cJSON_PrintUnformatted(v);
    asl_buf_puts(b, s);
    cJSON_free(s);
  }
}

static int is_empty_container(const cJSON *v) {
  return (cJSON_IsObject(v) || cJSON_IsArray(v)) && !v->child;
}

static void yaml_value(asl_buf *b, const cJSON *v, int indent);

static void yaml_key(asl_buf *b, const char *k) {
  cJSON *c = cJSON_CreateString(k);
  char *s = cJSON_PrintUnformatted(c);
  asl_buf_puts(b, s);
  cJSON_free(s);
  cJSON_Delete(c);
}

/* v (an object or array, not empty) at indent, each entry on its line. */
static void yaml_block(asl_buf *b, const cJSON *v, int indent) {
  const cJSON *x;
  cJSON_ArrayForEach(x, v) {
    asl_buf_printf(b, "%*s", indent, "");
    if (cJSON_IsObject(v)) {
      yaml_key(b, x->string);
      asl_buf_putc(b, ':');
    } else {
      asl_buf_putc(b, '-');
    }
    yaml_value(b, x, indent + 2);
  }
}

static void yaml_value(asl_buf *b, const cJSON *v, int indent) {
  if ((cJSON_IsObject(v) || cJSON_IsArray(v)) && !is_empty_container(v)) {
    asl_buf_putc(b, '\n');
    yaml_block(b, v, indent);
  } else {
    asl_buf_putc(b, ' ');
    if (is_empty_container(v))
      asl_buf_puts(b, cJSON_IsObject(v) ? "{}" : "[]");
    else
      yaml_scalar(b, v);
    asl_buf_putc(b, '\n');
  }
}

char *asl_cfn_yaml(const cJSON *v) {
  asl_buf b = {0};
  asl_buf_puts(&b, "# asl export cloudformation\n");
  if (cJSON_IsObject(v) && v->child)
    yaml_block(&b, v, 0);
  else
    yaml_value(&b, v, 0);
  if (b.len && b.s[b.len - 1] == '\n') b.s[--b.len] = 0;
  return asl_buf_take(&b);
}
