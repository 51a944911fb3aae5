/* s3.c: S3 for Task states, served by the local lake.
 *
 * Resources arn:PARTITION:states:::aws-sdk:s3:OPERATION, the AWS SDK
 * integration, for the operations in OPS[]. Parameters are the SDK
 * request's members (Bucket, Key, Body, Prefix, Delimiter, MaxKeys,
 * ContinuationToken, StartAfter, CopySource); the result is the SDK
 * response as Step Functions hands it to the state, members in
 * alphabetical order. History names the Task resourceType "aws-sdk:s3",
 * resource "OPERATION", as AWS does.
 *
 * Errors, as the SDK integration names them ("S3." + the SDK exception):
 * NoSuchKey -> S3.NoSuchKeyException, NoSuchBucket ->
 * S3.NoSuchBucketException, anything else S3 answers (a bad bucket name,
 * a key the lake refuses, a bad continuation token, a missing member, an
 * I/O failure) -> S3.S3Exception; the cause is S3's message followed by
 * "(Service: S3, Status Code: N, Request ID: ID)" as the SDK prints it.
 *
 * Choices where the local lake cannot know what S3 stores:
 *  - putObject's Body: a string is stored as its bytes; any other JSON
 *    value is stored as its compact JSON text;
 *  - getObject's Body is the object's bytes as a string (objects that are
 *    not UTF-8 text give a string holding those bytes, and a NUL byte
 *    ends it, though ContentLength counts all), ContentType is
 *    S3's default "binary/octet-stream" (no metadata is kept);
 *  - ServerSideEncryption is "AES256", S3's default encryption since 2023.
 *
 * The work is blocking file I/O, so it runs on a worker thread (not
 * immediate); the deadline is checked before the call and during a
 * listing's walk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "../../engine/json.h"
#include "../../lake/lake.h"
#include "s3.h"

typedef enum { OP_PUT, OP_GET, OP_LIST, OP_DELETE, OP_COPY } op_id;

static const struct {
  const char *name;
  op_id id;
} OPS[] = {{"putObject", OP_PUT},
           {"getObject", OP_GET},
           {"listObjectsV2", OP_LIST},
           {"deleteObject", OP_DELETE},
           {"copyObject", OP_COPY}};

#define NOPS (sizeof OPS / sizeof *OPS)

/* The operation named after "...:states:::aws-sdk:s3:", or -1. */
static int op_of(const char *r) {
  if (!r || strncmp(r, "arn:", 4) != 0) return -1;
  const char *p = strchr(r + 4, ':');
  if (!p || strncmp(p, ":states:::aws-sdk:s3:", 21) != 0) return -1;
  p += 21;
  for (size_t i = 0; i < NOPS; i++)
    if (strcmp(p, OPS[i].name) == 0) return (int)OPS[i].id;
  return -1;
}

static int s3_match(const char *resource, const char **rtype,
                    const char **rname, int *lambda_events) {
  if (op_of(resource) < 0) return 0;
  *rtype = "aws-sdk:s3";
  *rname = strrchr(resource, ':') + 1;
  *lambda_events = 0;
  return 1;
}

/* ---- errors ---- */

static const struct {
  const char *code, *exception;
  int status;
} ERRS[] = {{"NoSuchKey", "S3.NoSuchKeyException", 404},
            {"NoSuchBucket", "S3.NoSuchBucketException", 404},
            {"InvalidBucketName", "S3.S3Exception", 400},
            {"InvalidKey", "S3.S3Exception", 400},
            {"KeyTooLongError", "S3.S3Exception", 400},
            {"InvalidArgument", "S3.S3Exception", 400},
            {"InternalError", "S3.S3Exception", 500}};

/* Turns the lake's error (S3's code) into the integration's. */
static int s3_error(asl_error *err) {
  if (err->name && strcmp(err->name, "States.Timeout") == 0) return -1;
  const char *ex = "S3.S3Exception";
  int status = 500;
  for (size_t i = 0; i < sizeof ERRS / sizeof *ERRS; i++)
    if (err->name && strcmp(err->name, ERRS[i].code) == 0) {
      ex = ERRS[i].exception;
      status = ERRS[i].status;
    }
  unsigned char r[8] = {0};
  if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) r[0] = 1;
  char id[17];
  for (int i = 0; i < 8; i++) {
    id[2 * i] = "0123456789ABCDEF"[r[i] >> 4];
    id[2 * i + 1] = "0123456789ABCDEF"[r[i] & 15];
  }
  id[16] = 0;
  char *cause = asl_sprintf("%s (Service: S3, Status Code: %d, Request ID: %s)",
                            err->cause ? err->cause : "", status, id);
  asl_error_set(err, ex, "%s", cause);
  free(cause);
  return -1;
}

/* A string member of params: *out borrowed, NULL when absent. -1 (an
 * S3Exception) when present but not a string, or absent and required. */
static int str_member(const cJSON *params, const char *name, int required,
                      const char **out, asl_error *err) {
  const cJSON *v = asl_json_get(params, name);
  *out = NULL;
  if (cJSON_IsString(v)) {
    *out = v->valuestring;
    return 0;
  }
  if (!v && !required) return 0;
  asl_error_set(err, "InvalidArgument",
                v ? "The member '%s' must be a string."
                  : "The request must have the member '%s'.",
                name);
  return s3_error(err);
}

/* ---- responses ---- */

static void add_obj_fields(cJSON *o, const asl_lake_obj *info) {
  char t[32];
  asl_lake_time_iso(info->mtime, t);
  cJSON_AddStringToObject(o, "ETag", info->etag);
  cJSON_AddStringToObject(o, "LastModified", t);
}

static int do_put(const char *root, const cJSON *p, cJSON **out,
                  asl_error *err) {
  const char *b, *k;
  if (str_member(p, "Bucket", 1, &b, err) < 0 ||
      str_member(p, "Key", 1, &k, err) < 0)
    return -1;
  const cJSON *body = asl_json_get(p, "Body");
  char *text = NULL;
  const char *data = "";
  if (cJSON_IsString(body))
    data = body->valuestring;
  else if (body)
    data = text = cJSON_PrintUnformatted(body);
  asl_lake_obj info;
  int rc = asl_lake_put(root, b, k, data, strlen(data), &info, err);
  cJSON_free(text);
  if (rc < 0) return s3_error(err);
  *out = cJSON_CreateObject();
  cJSON_AddStringToObject(*out, "ETag", info.etag);
  cJSON_AddStringToObject(*out, "ServerSideEncryption", "AES256");
  return 0;
}

static int do_get(const char *root, const cJSON *p, cJSON **out,
                  asl_error *err) {
  const char *b, *k;
  if (str_member(p, "Bucket", 1, &b, err) < 0 ||
      str_member(p, "Key", 1, &k, err) < 0)
    return -1;
  char *data;
  size_t len;
  asl_lake_obj info;
  if (asl_lake_get(root, b, k, &data, &len, &info, err) < 0)
    return s3_error(err);
  char t[32];
  asl_lake_time_iso(info.mtime, t);
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "AcceptRanges", "bytes");
  cJSON_AddStringToObject(o, "Body", data);
  cJSON_AddNumberToObject(o, "ContentLength", (double)len);
  cJSON_AddStringToObject(o, "ContentType", "binary/octet-stream");
  cJSON_AddStringToObject(o, "ETag", info.etag);
  cJSON_AddStringToObject(o, "LastModified", t);
  cJSON_AddItemToObject(o, "Metadata", cJSON_CreateObject());
  cJSON_AddStringToObject(o, "ServerSideEncryption", "AES256");
  free(data);
  *out = o;
  return 0;
}

static int do_delete(const char *root, const cJSON *p, cJSON **out,
                     asl_error *err) {
  const char *b, *k;
  if (str_member(p, "Bucket", 1, &b, err) < 0 ||
      str_member(p, "Key", 1, &k, err) < 0)
    return -1;
  if (asl_lake_delete(root, b, k, err) < 0) return s3_error(err);
  *out = cJSON_CreateObject();
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* %XX decoding of CopySource ("bucket/key", URL-encoded as S3 asks); a
 * "%00" stays as written (a key cannot hold NUL). */
static char *url_decode(const char *s) {
  char *o = asl_malloc(strlen(s) + 1), *q = o;
  for (; *s; s++) {
    int h = s[0] == '%' && s[1] ? hexval(s[1]) : -1;
    int l = h >= 0 && s[2] ? hexval(s[2]) : -1;
    if (h >= 0 && l >= 0 && (h || l)) {
      *q++ = (char)(h * 16 + l);
      s += 2;
    } else {
      *q++ = *s;
    }
  }
  *q = 0;
  return o;
}

static int do_copy(const char *root, const cJSON *p, cJSON **out,
                   asl_error *err) {
  const char *b, *k, *src;
  if (str_member(p, "Bucket", 1, &b, err) < 0 ||
      str_member(p, "Key", 1, &k, err) < 0 ||
      str_member(p, "CopySource", 1, &src, err) < 0)
    return -1;
  char *s = url_decode(*src == '/' ? src + 1 : src);
  char *slash = strchr(s, '/');
  int rc;
  if (!slash || strchr(s, '?')) {
    asl_error_set(err, "InvalidArgument",
                  "Invalid copy source: '%s' (expected \"bucket/key\").", src);
    rc = s3_error(err);
  } else {
    *slash = 0;
    asl_lake_obj info;
    rc = asl_lake_copy(root, s, slash + 1, b, k, &info, err);
    if (rc < 0) {
      s3_error(err);
    } else {
      cJSON *r = cJSON_CreateObject();
      add_obj_fields(r, &info);
      *out = cJSON_CreateObject();
      cJSON_AddItemToObject(*out, "CopyObjectResult", r);
      cJSON_AddStringToObject(*out, "ServerSideEncryption", "AES256");
    }
  }
  free(s);
  return rc;
}

static int do_list(const char *root, const cJSON *p, double deadline,
                   cJSON **out, asl_error *err) {
  asl_lake_list_req q = {0};
  const char *b;
  if (str_member(p, "Bucket", 1, &b, err) < 0 ||
      str_member(p, "Prefix", 0, &q.prefix, err) < 0 ||
      str_member(p, "Delimiter", 0, &q.delimiter, err) < 0 ||
      str_member(p, "StartAfter", 0, &q.start_after, err) < 0 ||
      str_member(p, "ContinuationToken", 0, &q.token, err) < 0)
    return -1;
  const cJSON *mk = asl_json_get(p, "MaxKeys");
  q.max_keys = ASL_LAKE_MAX_KEYS;
  if (mk) {
    if (!cJSON_IsNumber(mk) || mk->valuedouble < 0 ||
        mk->valuedouble != (double)(long long)mk->valuedouble) {
      asl_error_set(err, "InvalidArgument",
                    "MaxKeys must be a whole number of 0 or more.");
      return s3_error(err);
    }
    q.max_keys = mk->valuedouble > ASL_LAKE_MAX_KEYS ? ASL_LAKE_MAX_KEYS
                                                     : (int)mk->valuedouble;
  }
  q.deadline = deadline;
  asl_lake_list l;
  if (asl_lake_list_objects(root, b, &q, &l, err) < 0) return s3_error(err);
  cJSON *o = cJSON_CreateObject();
  if (l.nprefixes) {
    cJSON *cp = cJSON_AddArrayToObject(o, "CommonPrefixes");
    for (size_t i = 0; i < l.nprefixes; i++) {
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "Prefix", l.prefixes[i]);
      cJSON_AddItemToArray(cp, e);
    }
  }
  if (l.nobjs) {
    cJSON *c = cJSON_AddArrayToObject(o, "Contents");
    for (size_t i = 0; i < l.nobjs; i++) {
      cJSON *e = cJSON_CreateObject();
      cJSON_AddStringToObject(e, "Key", l.objs[i].key);
      char t[32];
      asl_lake_time_iso(l.objs[i].mtime, t);
      cJSON_AddStringToObject(e, "ETag", l.objs[i].etag);
      cJSON_AddStringToObject(e, "LastModified", t);
      cJSON_AddNumberToObject(e, "Size", (double)l.objs[i].size);
      cJSON_AddStringToObject(e, "StorageClass", "STANDARD");
      cJSON_AddItemToArray(c, e);
    }
  }
  if (q.token) cJSON_AddStringToObject(o, "ContinuationToken", q.token);
  if (q.delimiter) cJSON_AddStringToObject(o, "Delimiter", q.delimiter);
  cJSON_AddBoolToObject(o, "IsTruncated", l.truncated);
  cJSON_AddNumberToObject(o, "KeyCount", (double)(l.nobjs + l.nprefixes));
  cJSON_AddNumberToObject(o, "MaxKeys", q.max_keys);
  cJSON_AddStringToObject(o, "Name", b);
  if (l.next_token)
    cJSON_AddStringToObject(o, "NextContinuationToken", l.next_token);
  cJSON_AddStringToObject(o, "Prefix", q.prefix ? q.prefix : "");
  if (q.start_after) cJSON_AddStringToObject(o, "StartAfter", q.start_after);
  asl_lake_list_free(&l);
  *out = o;
  return 0;
}

static double now_epoch(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int s3_run(const asl_task_req *req, cJSON **out, asl_error *err) {
  *out = NULL;
  int op = op_of(req->resource);
  if (op < 0)
    return asl_error_set(err, "States.Runtime", "not an S3 resource: %s",
                         req->resource);
  if (req->deadline > 0 && now_epoch() >= req->deadline)
    return asl_error_set(err, "States.Timeout", NULL);
  const cJSON *p = req->params;
  if (p && !cJSON_IsObject(p)) {
    asl_error_set(err, "InvalidArgument", "The request must be a JSON object.");
    return s3_error(err);
  }
  char *root = asl_lake_root();
  int rc;
  switch ((op_id)op) {
  case OP_PUT:
    rc = do_put(root, p, out, err);
    break;
  case OP_GET:
    rc = do_get(root, p, out, err);
    break;
  case OP_LIST:
    rc = do_list(root, p, req->deadline, out, err);
    break;
  case OP_DELETE:
    rc = do_delete(root, p, out, err);
    break;
  default:
    rc = do_copy(root, p, out, err);
    break;
  }
  free(root);
  return rc;
}

const asl_task_ops asl_s3_ops = {"s3", s3_match, s3_run, 0, NULL};
