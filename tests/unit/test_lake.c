/* test_lake.c: the local data lake (lake/lake.c) in a fresh folder, and the
 * S3 Task integration over it (states/integrations/s3.c): name checks,
 * put/get/head, ETags against known MD5s, ListObjectsV2 paging, delimiter
 * and StartAfter, delete, copy, atomic overwrite, SDK shapes and errors. */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../engine/json.h"
#include "../../engine/task.h"
#include "../../lake/lake.h"
#include "../../lake/mysql.h"
#include "../../states/integrations/s3.h"

#include "t.h"

static char g_home[] = "/tmp/asl_lake_XXXXXX";
static char *g_root;

static int err_is(asl_error *e, const char *name) {
  int ok = e->name && strcmp(e->name, name) == 0;
  asl_error_clear(e);
  return ok;
}

static int file_exists(const char *rel) {
  char *p = asl_sprintf("%s/%s", g_root, rel);
  struct stat sb;
  int ok = stat(p, &sb) == 0;
  free(p);
  return ok;
}

static void put(const char *b, const char *k, const char *text) {
  asl_error e = {0};
  int rc = asl_lake_put(g_root, b, k, text, strlen(text), NULL, &e);
  T_OK(rc == 0, "put %s/%s: %s", b, k, e.cause ? e.cause : "");
  asl_error_clear(&e);
}

/* ---- names ---- */

static void test_names(void) {
  static const struct {
    const char *name;
    int ok;
  } buckets[] = {{"data", 1},      {"my-lake.2024", 1}, {"ab", 0},
                 {"Data", 0},      {"-data", 0},        {"data-", 0},
                 {"a..b", 0},      {"192.168.1.1", 0},  {"xn--abc", 0},
                 {"x-s3alias", 0}, {"a_b", 0},          {"", 0},
                 {".tmp", 0},      {"a/b", 0},          {"192.168.1", 1}};
  for (size_t i = 0; i < sizeof buckets / sizeof *buckets; i++) {
    asl_error e = {0};
    int rc = asl_lake_check_bucket(buckets[i].name, &e);
    T_OK((rc == 0) == buckets[i].ok, "bucket '%s': rc %d", buckets[i].name, rc);
    if (!buckets[i].ok) T_OK(err_is(&e, "InvalidBucketName"), "bucket error");
    asl_error_clear(&e);
  }
  char long_seg[300], long_key[1100];
  memset(long_seg, 'a', sizeof long_seg - 1);
  long_seg[sizeof long_seg - 1] = 0;
  memset(long_key, 'a', sizeof long_key - 1);
  for (size_t i = 100; i < sizeof long_key - 1; i += 100)
    long_key[i] = '/';
  long_key[sizeof long_key - 1] = 0;
  static const struct {
    const char *key;
    const char *err; /* NULL: accepted */
  } keys[] = {{"a.txt", NULL},
              {"in/2024/a.csv", NULL},
              {"%2e%2e/x", NULL}, /* a name, never decoded */
              {"..a/b..", NULL},
              {"a b/é.txt", NULL},
              {"../etc/passwd", "InvalidKey"},
              {"a/../../b", "InvalidKey"},
              {"a/..", "InvalidKey"},
              {"/etc/passwd", "InvalidKey"},
              {"a//b", "InvalidKey"},
              {"./a", "InvalidKey"},
              {"a/", "InvalidKey"},
              {"", "InvalidKey"}};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    asl_error e = {0};
    int rc = asl_lake_check_key(keys[i].key, &e);
    if (!keys[i].err)
      T_OK(rc == 0, "key '%s' refused: %s", keys[i].key,
           e.cause ? e.cause : "");
    else
      T_OK(rc < 0 && err_is(&e, keys[i].err), "key '%s' accepted", keys[i].key);
    asl_error_clear(&e);
  }
  asl_error e = {0};
  T_OK(asl_lake_check_key(long_seg, &e) < 0 && err_is(&e, "InvalidKey"),
       "a 299-byte segment is refused");
  T_OK(asl_lake_check_key(long_key, &e) < 0 && err_is(&e, "KeyTooLongError"),
       "a 1099-byte key is refused");
  /* a refused key never reaches the disk, whatever the bucket holds */
  T_OK(asl_lake_put(g_root, "data", "../escape", "x", 1, NULL, &e) < 0 &&
           err_is(&e, "InvalidKey"),
       "put ../escape refused");
  T_OK(!file_exists("escape"), "nothing written outside the bucket");
  put("data", "%2e%2e/x", "literal");
  T_OK(file_exists("data/%2e%2e/x"), "%%2e%%2e is a folder of that name");
}

/* ---- objects ---- */

static void test_objects(void) {
  asl_error e = {0};
  asl_lake_obj info;
  /* a bucket must exist, as on S3 */
  T_OK(asl_lake_put(g_root, "nobucket", "a", "x", 1, NULL, &e) < 0 &&
           err_is(&e, "NoSuchBucket"),
       "put into a missing bucket");
  T_OK(asl_lake_make_bucket(g_root, "data", &e) < 0 &&
           err_is(&e, "BucketAlreadyOwnedByYou"),
       "mb twice");

  T_OK(asl_lake_put(g_root, "data", "in/hello.txt", "hello", 5, &info, &e) == 0,
       "put hello");
  /* MD5("hello") */
  T_STREQ(info.etag, "\"5d41402abc4b2a76b9719d911017c592\"");
  T_OK(info.size == 5, "size %lld", info.size);
  T_OK(file_exists("data/in/hello.txt"), "the file is lake/data/in/hello.txt");

  char *data = NULL;
  size_t len = 0;
  T_OK(asl_lake_get(g_root, "data", "in/hello.txt", &data, &len, &info, &e) ==
           0,
       "get");
  T_OK(len == 5 && data && memcmp(data, "hello", 5) == 0, "get bytes");
  T_STREQ(info.etag, "\"5d41402abc4b2a76b9719d911017c592\"");
  free(data);

  /* an empty object: MD5("") */
  T_OK(asl_lake_put(g_root, "data", "empty", "", 0, &info, &e) == 0, "put ''");
  T_STREQ(info.etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");

  memset(&info, 0, sizeof info);
  T_OK(asl_lake_head(g_root, "data", "in/hello.txt", &info, &e) == 0, "head");
  T_STREQ(info.etag, "\"5d41402abc4b2a76b9719d911017c592\"");
  T_OK(info.mtime > 1e9, "mtime %f", info.mtime);

  T_OK(asl_lake_get(g_root, "data", "in/none", &data, &len, NULL, &e) < 0 &&
           err_is(&e, "NoSuchKey"),
       "get a missing key");
  T_OK(asl_lake_head(g_root, "data", "in", &info, &e) < 0 &&
           err_is(&e, "NoSuchKey"),
       "a folder is not an object");
  T_OK(asl_lake_get(g_root, "nobucket", "a", &data, &len, NULL, &e) < 0 &&
           err_is(&e, "NoSuchBucket"),
       "get from a missing bucket");

  /* overwrite: atomic, the new bytes, no temp file left anywhere */
  T_OK(asl_lake_put(g_root, "data", "in/hello.txt", "bye!", 4, &info, &e) == 0,
       "overwrite");
  T_OK(asl_lake_get(g_root, "data", "in/hello.txt", &data, &len, NULL, &e) ==
               0 &&
           len == 4 && memcmp(data, "bye!", 4) == 0,
       "overwritten bytes");
  free(data);
  char *tmp = asl_sprintf("%s/.tmp", g_root);
  DIR *d = opendir(tmp);
  int left = 0;
  for (struct dirent *x; d && (x = readdir(d));)
    if (x->d_name[0] != '.') left++;
  if (d) closedir(d);
  free(tmp);
  T_OK(left == 0, "%d temp files left", left);

  /* object vs folder: the lake refuses, clearly */
  T_OK(asl_lake_put(g_root, "data", "in/hello.txt/x", "x", 1, NULL, &e) < 0 &&
           err_is(&e, "InvalidArgument"),
       "a key below an object");
  T_OK(asl_lake_put(g_root, "data", "in", "x", 1, NULL, &e) < 0 &&
           err_is(&e, "InvalidArgument"),
       "a key that is a folder");

  /* copy */
  T_OK(asl_lake_copy(g_root, "data", "in/hello.txt", "data", "out/copy.txt",
                     &info, &e) == 0,
       "copy");
  asl_lake_obj src;
  asl_lake_head(g_root, "data", "in/hello.txt", &src, &e);
  T_STREQ(info.etag, src.etag);
  T_OK(file_exists("data/out/copy.txt"), "copy on disk");
  T_OK(asl_lake_copy(g_root, "data", "in/none", "data", "out/c2", &info, &e) <
               0 &&
           err_is(&e, "NoSuchKey"),
       "copy of a missing key");
  T_OK(!file_exists("data/out/c2"), "no copy of a missing key");

  /* delete: absent keys are fine, folders left empty go */
  T_OK(asl_lake_delete(g_root, "data", "out/copy.txt", &e) == 0, "delete");
  T_OK(!file_exists("data/out/copy.txt"), "deleted file");
  T_OK(!file_exists("data/out"), "its empty folder removed");
  T_OK(asl_lake_delete(g_root, "data", "out/copy.txt", &e) == 0,
       "delete again: no error, as S3");
  T_OK(asl_lake_delete(g_root, "nobucket", "x", &e) < 0 &&
           err_is(&e, "NoSuchBucket"),
       "delete in a missing bucket");
  T_OK(asl_lake_delete(g_root, "data", "../x", &e) < 0 &&
           err_is(&e, "InvalidKey"),
       "delete ../x refused");
  asl_lake_delete(g_root, "data", "empty", &e);
  asl_lake_delete(g_root, "data", "%2e%2e/x", &e);
  asl_lake_delete(g_root, "data", "in/hello.txt", &e);
  T_OK(!file_exists("data/in"), "bucket emptied");
  T_OK(file_exists("data"), "the bucket stays");
  asl_error_clear(&e);
}

/* ---- listing ---- */

/* "k1,k2|p1,p2|T" for a page: keys, common prefixes, truncated. */
static char *page(const asl_lake_list_req *q, char **token) {
  asl_lake_list l;
  asl_error e = {0};
  if (asl_lake_list_objects(g_root, "list", q, &l, &e) < 0) {
    char *s = asl_sprintf("error %s", e.name);
    asl_error_clear(&e);
    return s;
  }
  asl_buf b = {0};
  for (size_t i = 0; i < l.nobjs; i++)
    asl_buf_printf(&b, "%s%s", i ? "," : "", l.objs[i].key);
  asl_buf_putc(&b, '|');
  for (size_t i = 0; i < l.nprefixes; i++)
    asl_buf_printf(&b, "%s%s", i ? "," : "", l.prefixes[i]);
  asl_buf_puts(&b, l.truncated ? "|T" : "|F");
  if (token) {
    free(*token);
    *token = l.next_token ? asl_strdup(l.next_token) : NULL;
  }
  asl_lake_list_free(&l);
  return asl_buf_take(&b);
}

static void test_list(void) {
  asl_error e = {0};
  T_OK(asl_lake_make_bucket(g_root, "list", &e) == 0, "mb list");
  /* put out of order: the listing sorts by bytes ('-' < '/' < '0' < 'a') */
  put("list", "b.txt", "bb");
  put("list", "a/2.txt", "2");
  put("list", "a/1.txt", "1");
  put("list", "a-b", "x");
  put("list", "a/sub/3.txt", "3");
  put("list", "c/4.txt", "4");
  put("list", "B", "upper");

  static const struct {
    const char *prefix, *delim, *start_after;
    int max;
    const char *want;
  } rows[] = {
      {NULL, NULL, NULL, 1000,
       "B,a-b,a/1.txt,a/2.txt,a/sub/3.txt,b.txt,c/4.txt||F"},
      {"a/", NULL, NULL, 1000, "a/1.txt,a/2.txt,a/sub/3.txt||F"},
      {"a", NULL, NULL, 1000, "a-b,a/1.txt,a/2.txt,a/sub/3.txt||F"},
      {NULL, "/", NULL, 1000, "B,a-b,b.txt|a/,c/|F"},
      {"a/", "/", NULL, 1000, "a/1.txt,a/2.txt|a/sub/|F"},
      {"a/s", "/", NULL, 1000, "|a/sub/|F"},
      {"zzz", NULL, NULL, 1000, "||F"},
      {"a/nofolder/", NULL, NULL, 1000, "||F"},
      {NULL, NULL, "a/2.txt", 1000, "a/sub/3.txt,b.txt,c/4.txt||F"},
      {NULL, NULL, NULL, 2, "B,a-b||T"},
      {NULL, "/", NULL, 3, "B,a-b|a/|T"},
      {NULL, NULL, NULL, 0, "||F"},
      {"../", NULL, NULL, 1000, "||F"},
  };
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    asl_lake_list_req q = {rows[i].prefix, rows[i].delim, rows[i].start_after,
                           NULL,           rows[i].max,   0};
    char *got = page(&q, NULL);
    T_OK(strcmp(got, rows[i].want) == 0, "list row %zu: got %s, want %s", i,
         got, rows[i].want);
    free(got);
  }

  /* paging by 2 with continuation tokens walks every key once, in order */
  asl_lake_list_req q = {NULL, NULL, NULL, NULL, 2, 0};
  char *token = NULL;
  asl_buf all = {0};
  int pages = 0;
  do {
    q.token = token;
    char *tok_in = token ? asl_strdup(token) : NULL;
    q.token = tok_in;
    char *got = page(&q, &token);
    asl_buf_printf(&all, "[%s]", got);
    free(got);
    free(tok_in);
    pages++;
  } while (token && pages < 10);
  char *s = asl_buf_take(&all);
  T_STREQ(s, "[B,a-b||T][a/1.txt,a/2.txt||T][a/sub/3.txt,b.txt||T]"
             "[c/4.txt||F]");
  free(s);

  /* with a delimiter, a common prefix ends a page and the next one skips
   * everything under it */
  asl_lake_list_req qd = {NULL, "/", NULL, NULL, 3, 0};
  char *got = page(&qd, &token);
  T_STREQ(got, "B,a-b|a/|T");
  free(got);
  qd.token = token;
  got = page(&qd, NULL);
  T_STREQ(got, "b.txt|c/|F");
  free(got);
  free(token);

  /* the token wins over StartAfter; a forged token is refused */
  asl_lake_list_req qb = {NULL, NULL, "zzz", "not-a-token", 10, 0};
  got = page(&qb, NULL);
  T_STREQ(got, "error InvalidArgument");
  free(got);

  asl_lake_list l;
  asl_lake_list_req qn = {NULL, NULL, NULL, NULL, 10, 0};
  T_OK(asl_lake_list_objects(g_root, "nobucket", &qn, &l, &e) < 0 &&
           err_is(&e, "NoSuchBucket"),
       "list a missing bucket");

  /* sizes and ETags in the listing */
  asl_lake_list_req qs = {"b.txt", NULL, NULL, NULL, 10, 0};
  T_OK(asl_lake_list_objects(g_root, "list", &qs, &l, &e) == 0 && l.nobjs == 1,
       "list b.txt");
  if (l.nobjs == 1) {
    T_OK(l.objs[0].size == 2, "size %lld", l.objs[0].size);
    /* MD5("bb") */
    T_STREQ(l.objs[0].etag, "\"21ad0bd836b90d08f4cf640b4c298e7c\"");
  }
  asl_lake_list_free(&l);

  /* buckets, valid names only, sorted */
  char **names;
  size_t n;
  T_OK(asl_lake_buckets(g_root, &names, NULL, &n, &e) == 0, "buckets");
  T_OK(n == 2 && strcmp(names[0], "data") == 0 && strcmp(names[1], "list") == 0,
       "buckets data, list (.tmp hidden): %zu", n);
  asl_lake_free_names(names, n);
}

/* ---- the S3 Task integration ---- */

static int run_task(const char *op, const char *params, cJSON **out,
                    asl_error *err) {
  char *arn = asl_sprintf("arn:aws:states:::aws-sdk:s3:%s", op);
  const char *rt = NULL, *rn = NULL;
  int le = 0;
  const asl_task_ops *ops = asl_task_find(arn, &rt, &rn, &le);
  cJSON *p = cJSON_Parse(params);
  int rc = -2;
  if (ops) {
    asl_task_req req = {0};
    req.resource = arn;
    req.params = p;
    req.state = "S";
    rc = ops->run(&req, out, err);
  }
  cJSON_Delete(p);
  free(arn);
  return rc;
}

static void drop_times(cJSON *v) {
  if (!v) return;
  cJSON_DeleteItemFromObjectCaseSensitive(v, "LastModified");
  for (cJSON *c = v->child; c; c = c->next)
    drop_times(c);
}

static void test_integration(void) {
  const char *rt = NULL, *rn = NULL;
  int le = 1;
  const asl_task_ops *ops =
      asl_task_find("arn:aws:states:::aws-sdk:s3:getObject", &rt, &rn, &le);
  T_OK(ops && strcmp(ops->name, "s3") == 0, "s3 serves getObject");
  T_STREQ(rt, "aws-sdk:s3");
  T_STREQ(rn, "getObject");
  T_OK(le == 0 && ops && !ops->immediate, "worker thread, no Lambda events");
  T_OK(!asl_task_find("arn:aws:states:::aws-sdk:s3:headBucket", NULL, NULL,
                      NULL),
       "headBucket is not served");
  T_OK(!asl_task_find("arn:aws:states:::aws-sdk:s3:getObject.waitForTaskToken",
                      NULL, NULL, NULL),
       "no .waitForTaskToken form");

  cJSON *out = NULL;
  asl_error e = {0};
  T_OK(run_task("putObject",
                "{\"Bucket\":\"data\",\"Key\":\"t/x.json\",\"Body\":{\"a\":1}}",
                &out, &e) == 0,
       "putObject: %s", e.cause ? e.cause : "");
  /* MD5('{"a":1}') */
  T_JSONEQ(out, "{\"ETag\":\"\\\"bb6cb5c68df4652941caf652a366f2d8\\\"\","
                "\"ServerSideEncryption\":\"AES256\"}");
  cJSON_Delete(out);
  out = NULL;
  asl_lake_obj info;
  asl_lake_head(g_root, "data", "t/x.json", &info, &e);
  T_OK(info.size == 7, "a JSON Body is stored as its compact text");

  T_OK(run_task("getObject", "{\"Bucket\":\"data\",\"Key\":\"t/x.json\"}", &out,
                &e) == 0,
       "getObject");
  T_OK(cJSON_IsString(asl_json_get(out, "LastModified")), "LastModified");
  drop_times(out);
  char *want = asl_sprintf(
      "{\"AcceptRanges\":\"bytes\",\"Body\":\"{\\\"a\\\":1}\","
      "\"ContentLength\":7,\"ContentType\":\"binary/octet-stream\","
      "\"ETag\":\"%s\",\"Metadata\":{},\"ServerSideEncryption\":\"AES256\"}",
      "\\\"bb6cb5c68df4652941caf652a366f2d8\\\"");
  T_JSONEQ(out, want);
  free(want);
  cJSON_Delete(out);
  out = NULL;

  T_OK(run_task("listObjectsV2",
                "{\"Bucket\":\"list\",\"Prefix\":\"a/\",\"Delimiter\":\"/\","
                "\"MaxKeys\":1}",
                &out, &e) == 0,
       "listObjectsV2");
  const cJSON *tok = asl_json_get(out, "NextContinuationToken");
  T_OK(cJSON_IsString(tok), "NextContinuationToken");
  cJSON_DeleteItemFromObjectCaseSensitive(out, "NextContinuationToken");
  drop_times(out);
  T_JSONEQ(out, "{\"Contents\":[{\"Key\":\"a/1.txt\",\"ETag\":"
                "\"\\\"c4ca4238a0b923820dcc509a6f75849b\\\"\",\"Size\":1,"
                "\"StorageClass\":\"STANDARD\"}],\"Delimiter\":\"/\","
                "\"IsTruncated\":true,\"KeyCount\":1,\"MaxKeys\":1,"
                "\"Name\":\"list\",\"Prefix\":\"a/\"}");
  cJSON_Delete(out);
  out = NULL;

  T_OK(run_task("copyObject",
                "{\"Bucket\":\"data\",\"Key\":\"t/y.json\","
                "\"CopySource\":\"data/t%2Fx.json\"}",
                &out, &e) == 0,
       "copyObject with an encoded CopySource: %s", e.cause ? e.cause : "");
  T_OK(cJSON_IsString(
           asl_json_get(asl_json_get(out, "CopyObjectResult"), "ETag")),
       "CopyObjectResult.ETag");
  cJSON_Delete(out);
  out = NULL;
  T_OK(file_exists("data/t/y.json"), "copy on disk");

  T_OK(run_task("deleteObject", "{\"Bucket\":\"data\",\"Key\":\"t/y.json\"}",
                &out, &e) == 0,
       "deleteObject");
  T_JSONEQ(out, "{}");
  cJSON_Delete(out);
  out = NULL;
  T_OK(!file_exists("data/t/y.json"), "deleted on disk");

  static const struct {
    const char *op, *params, *error, *cause_has;
  } errs[] = {
      {"getObject", "{\"Bucket\":\"data\",\"Key\":\"none\"}",
       "S3.NoSuchKeyException",
       "The specified key does not exist. (Service: "
       "S3, Status Code: 404"},
      {"getObject", "{\"Bucket\":\"nobucket\",\"Key\":\"a\"}",
       "S3.NoSuchBucketException", "Status Code: 404"},
      {"putObject", "{\"Bucket\":\"nobucket\",\"Key\":\"a\",\"Body\":\"x\"}",
       "S3.NoSuchBucketException", "bucket does not exist"},
      {"putObject", "{\"Bucket\":\"data\",\"Key\":\"../a\",\"Body\":\"x\"}",
       "S3.S3Exception", "'..' segment"},
      {"putObject", "{\"Bucket\":\"Data!\",\"Key\":\"a\"}", "S3.S3Exception",
       "bucket is not valid"},
      {"getObject", "{\"Bucket\":\"data\"}", "S3.S3Exception", "member 'Key'"},
      {"getObject", "{\"Bucket\":\"data\",\"Key\":5}", "S3.S3Exception",
       "must be a string"},
      {"copyObject", "{\"Bucket\":\"data\",\"Key\":\"z\",\"CopySource\":\"x\"}",
       "S3.S3Exception", "Invalid copy source"},
      {"copyObject",
       "{\"Bucket\":\"data\",\"Key\":\"z\",\"CopySource\":\"data/%2e%2e/x\"}",
       "S3.S3Exception", "'..' segment"},
      {"listObjectsV2", "{\"Bucket\":\"list\",\"MaxKeys\":-1}",
       "S3.S3Exception", "MaxKeys"},
      {"listObjectsV2", "{\"Bucket\":\"list\",\"ContinuationToken\":\"x\"}",
       "S3.S3Exception", "continuation token"},
  };
  for (size_t i = 0; i < sizeof errs / sizeof *errs; i++) {
    int rc = run_task(errs[i].op, errs[i].params, &out, &e);
    T_OK(rc == -1 && out == NULL, "error row %zu: rc %d", i, rc);
    T_STREQ(e.name, errs[i].error);
    T_OK(e.cause && strstr(e.cause, errs[i].cause_has), "row %zu cause: %s", i,
         e.cause ? e.cause : "(null)");
    asl_error_clear(&e);
    cJSON_Delete(out);
    out = NULL;
  }

  /* a deadline already past: States.Timeout, nothing written */
  asl_task_req req = {0};
  cJSON *p =
      cJSON_Parse("{\"Bucket\":\"data\",\"Key\":\"late\",\"Body\":\"x\"}");
  req.resource = "arn:aws:states:::aws-sdk:s3:putObject";
  req.params = p;
  req.deadline = 1.0;
  T_OK(asl_s3_ops.run(&req, &out, &e) < 0, "past deadline");
  T_STREQ(e.name, "States.Timeout");
  T_OK(!file_exists("data/late"), "nothing written after the deadline");
  asl_error_clear(&e);
  cJSON_Delete(p);
}

static int tmp_files_left(void) {
  char *tmp = asl_sprintf("%s/.tmp", g_root);
  DIR *d = opendir(tmp);
  int left = 0;
  for (struct dirent *x; d && (x = readdir(d));)
    if (x->d_name[0] != '.') left++;
  if (d) closedir(d);
  free(tmp);
  return left;
}

/* The streaming writer: many small writes and writes larger than its
 * buffer give the same bytes and ETag as one put; nothing is visible
 * before commit; abort leaves nothing; finish stages without publishing. */
static void test_writer(void) {
  asl_error e = {0};
  asl_lake_obj info = {0}, pinfo = {0};
  /* 300,000 bytes: several 64 KiB buffers, a pattern that shows order */
  size_t n = 300000;
  char *big = asl_malloc(n);
  for (size_t i = 0; i < n; i++)
    big[i] = (char)('a' + (i * 7 + i / 1000) % 26);
  asl_lake_writer *w = asl_lake_write_open(g_root, "data", "w/big.bin", &e);
  T_OK(w != NULL, "write_open: %s", e.cause ? e.cause : "");
  if (!w) return;
  size_t off = 0, step = 1;
  while (off < n) { /* sizes 1, 2, 3, ... then one large write */
    size_t k = off + step > n ? n - off : step;
    if (step > 700) k = n - off;
    T_OK(asl_lake_write(w, big + off, k, &e) == 0, "write %zu", k);
    off += k, step++;
  }
  T_OK(asl_lake_write_size(w) == (long long)n, "size so far");
  T_OK(!file_exists("data/w/big.bin"), "not visible before commit");
  T_OK(tmp_files_left() == 1, "one temp file while writing");
  T_OK(asl_lake_write_commit(w, &info, &e) == 0, "commit: %s",
       e.cause ? e.cause : "");
  T_OK(info.size == (long long)n, "commit info size %lld", info.size);
  char *data = NULL;
  size_t len = 0;
  T_OK(asl_lake_get(g_root, "data", "w/big.bin", &data, &len, &pinfo, &e) ==
               0 &&
           len == n && memcmp(data, big, n) == 0,
       "streamed bytes read back");
  free(data);
  T_STREQ(info.etag, pinfo.etag);
  T_OK(asl_lake_put(g_root, "data", "w/put.bin", big, n, &pinfo, &e) == 0,
       "put the same bytes");
  T_STREQ(info.etag, pinfo.etag);
  T_OK(tmp_files_left() == 0, "no temp file after commit");

  /* abort: nothing published, the temp file removed, the old object kept */
  w = asl_lake_write_open(g_root, "data", "w/big.bin", &e);
  T_OK(w && asl_lake_write(w, "xyz", 3, &e) == 0, "second writer");
  asl_lake_write_abort(w);
  T_OK(tmp_files_left() == 0, "abort removes the temp file");
  T_OK(asl_lake_head(g_root, "data", "w/big.bin", &pinfo, &e) == 0 &&
           pinfo.size == (long long)n,
       "abort keeps the old object");
  asl_lake_write_abort(NULL);

  /* finish stages; commit after finish publishes; an empty object */
  w = asl_lake_write_open(g_root, "data", "w/empty", &e);
  T_OK(w && asl_lake_write_finish(w, &e) == 0, "finish");
  T_OK(w && asl_lake_write(w, "x", 1, &e) < 0 && err_is(&e, "InternalError"),
       "no write after finish");
  T_OK(!file_exists("data/w/empty"), "finished is not published");
  T_OK(w && asl_lake_write_commit(w, &info, &e) == 0 && info.size == 0,
       "commit after finish");
  T_STREQ(info.etag, "\"d41d8cd98f00b204e9800998ecf8427e\"");
  T_OK(file_exists("data/w/empty"), "published");

  /* names and buckets are checked at open */
  T_OK(asl_lake_write_open(g_root, "nobucket", "k", &e) == NULL &&
           err_is(&e, "NoSuchBucket"),
       "open in a missing bucket");
  T_OK(asl_lake_write_open(g_root, "data", "../k", &e) == NULL &&
           err_is(&e, "InvalidKey"),
       "open a bad key");
  T_OK(asl_lake_write_open(g_root, "data", NULL, &e) == NULL &&
           err_is(&e, "InvalidKey"),
       "open a NULL key");
  /* a key below an object: refused at commit, the temp file removed */
  w = asl_lake_write_open(g_root, "data", "w/empty/x", &e);
  T_OK(w && asl_lake_write_commit(w, NULL, &e) < 0 &&
           err_is(&e, "InvalidArgument"),
       "commit below an object");
  T_OK(tmp_files_left() == 0, "no temp file after a refused commit");
  asl_lake_delete(g_root, "data", "w/big.bin", &e);
  asl_lake_delete(g_root, "data", "w/put.bin", &e);
  asl_lake_delete(g_root, "data", "w/empty", &e);
  asl_error_clear(&e);
  free(big);
}

/* OUTFILE's escaping, one field at a time (the integration test compares
 * whole files with MariaDB's own INTO OUTFILE). */
static void test_outfile_field(void) {
  static const struct {
    const char *v;
    size_t len;
    int numeric;
    const char *ft, *lt, *want;
    size_t wlen;
  } rows[] = {
      {NULL, 0, 0, ",", "\n", "\\N", 2},
      {NULL, 0, 1, ",", "\n", "\\N", 2},
      {"", 0, 0, ",", "\n", "", 0},
      {"plain", 5, 0, ",", "\n", "plain", 5},
      {"a,b", 3, 0, ",", "\n", "a\\,b", 4},
      {"a\\b", 3, 0, ",", "\n", "a\\\\b", 4},
      {"a\nb", 3, 0, ",", "\n", "a\\\nb", 4},
      {"a\0b", 3, 0, ",", "\n", "a\\0b", 4},
      {"a\tb|c", 5, 0, "|", "\r\n", "a\tb\\|c", 6},
      {"x\ry\n", 4, 0, "|", "\r\n", "x\\\ry\n", 5}, /* first char only */
      {"a,,b", 4, 0, ",,", "\n", "a\\,\\,b", 6},
      {"10.99", 5, 1, ".", "\n", "10.99", 5}, /* numbers as they are */
      {"1.5", 3, 0, ".", "\n", "1\\.5", 4},   /* a string is escaped */
      {"caf\xc3\xa9", 5, 0, ",", "\n", "caf\xc3\xa9", 5},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    asl_buf b = {0};
    asl_mysql_outfile_field(&b, rows[i].v, rows[i].len, rows[i].numeric,
                            rows[i].ft, rows[i].lt);
    T_OK(b.len == rows[i].wlen &&
             memcmp(b.s ? b.s : "", rows[i].want, b.len) == 0,
         "outfile field %zu: got %zu bytes [%.*s]", i, b.len, (int)b.len,
         b.s ? b.s : "");
    asl_buf_free(&b);
  }
}

/* ---- asl_lake_walk: the same keys, in the same order, as paging through
 * ListObjectsV2 ---- */
typedef struct walked {
  asl_buf keys;
  int n, stop_at;
} walked;

static int walk_cb(const char *key, const char *path, void *ud) {
  walked *w = ud;
  struct stat sb;
  T_OK(stat(path, &sb) == 0 && S_ISREG(sb.st_mode), "walk path %s", path);
  asl_buf_printf(&w->keys, "%s\n", key);
  w->n++;
  return w->stop_at && w->n == w->stop_at ? 42 : 0;
}

static char *list_keys(const char *bucket, const char *prefix) {
  asl_buf b = {0};
  asl_lake_list_req lr = {0};
  lr.prefix = prefix;
  lr.max_keys = 3; /* several pages */
  char *tok = NULL;
  for (;;) {
    asl_lake_list l = {0};
    asl_error e = {0};
    lr.token = tok;
    T_OK(asl_lake_list_objects(g_root, bucket, &lr, &l, &e) == 0, "list");
    for (size_t i = 0; i < l.nobjs; i++)
      asl_buf_printf(&b, "%s\n", l.objs[i].key);
    free(tok);
    tok = l.truncated ? asl_strdup(l.next_token) : NULL;
    asl_lake_list_free(&l);
    if (!tok) break;
  }
  return b.s ? asl_buf_take(&b) : asl_strdup("");
}

static void test_walk(void) {
  asl_error e = {0};
  T_OK(asl_lake_make_bucket(g_root, "walkb", &e) == 0, "mb walkb");
  const char *keys[] = {"a-b",       "a/x",       "a/y/z",  "a.c",  "ab",
                        "b/1",       "b/10",      "b/2",    "b0",   "logs/2024-01/f",
                        "logs/2024-02/g", "logs/2025/h", "logs/2024.txt", "z"};
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
    put("walkb", keys[i], "x");
  const char *prefixes[] = {"", "a", "a/", "b", "logs/2024", "logs/", "nope/",
                            "logs/2024-01/f"};
  for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++) {
    walked w = {0};
    T_OK(asl_lake_walk(g_root, "walkb", prefixes[i], walk_cb, &w, &e) == 0,
         "walk %s", prefixes[i]);
    char *want = list_keys("walkb", prefixes[i]);
    T_STREQ(w.keys.s ? w.keys.s : "", want);
    free(want);
    asl_buf_free(&w.keys);
  }
  /* the byte order puts "a-b" and "a.c" before "a/x" */
  walked w = {0};
  asl_lake_walk(g_root, "walkb", "a", walk_cb, &w, &e);
  T_STREQ(w.keys.s, "a-b\na.c\na/x\na/y/z\nab\n");
  asl_buf_free(&w.keys);
  /* stopping: the callback's value comes back */
  walked s = {0};
  s.stop_at = 2;
  T_OK(asl_lake_walk(g_root, "walkb", "", walk_cb, &s, &e) == 42 && s.n == 2,
       "stopped after 2 (n %d)", s.n);
  asl_buf_free(&s.keys);
  T_OK(asl_lake_walk(g_root, "nobucket", "", walk_cb, &s, &e) < 0 &&
           err_is(&e, "NoSuchBucket"),
       "walk of a missing bucket");
}

T_MAIN("lake") {
  if (!mkdtemp(g_home)) {
    perror("mkdtemp");
    exit(1);
  }
  setenv("ASL_HOME", g_home, 1);
  g_root = asl_lake_root();
  {
    char *want = asl_sprintf("%s/lake", g_home);
    T_STREQ(g_root, want);
    free(want);
  }
  asl_error e = {0};
  T_OK(asl_lake_make_bucket(g_root, "data", &e) == 0, "mb data (creates the "
                                                      "lake)");
  test_names();
  test_objects();
  test_writer();
  test_outfile_field();
  test_list();
  test_walk();
  test_integration();
  free(g_root);
  char *cmd = asl_sprintf("rm -rf '%s'", g_home);
  if (system(cmd) != 0) fprintf(stderr, "cannot remove %s\n", g_home);
  free(cmd);
}
