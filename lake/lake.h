/* lake.h: the local data lake, an S3-like object store on disk.
 *
 * s3://BUCKET/KEY is the file ROOT/BUCKET/KEY, ROOT being $ASL_HOME/lake
 * (asl_lake_root). A bucket is a folder; it must exist before objects go in
 * (asl_lake_make_bucket), as on S3. The lake knows nothing of executions:
 * the S3 Task integration (states/integrations/s3.c) and `asl lake`
 * (cli/lake_cmd.c) map their requests onto these calls.
 *
 * Names are checked before any path is built:
 *  - buckets follow S3's rules: 3 to 63 characters of a-z 0-9 . -, a
 *    letter or digit at each end, no "..", not an IP address, no "xn--"
 *    prefix nor "-s3alias"/"--ol-s3" suffix;
 *  - keys are 1 to 1024 bytes and, because each '/' is a folder here, may
 *    not start or end with '/', hold an empty segment ("a//b"), a "." or
 *    ".." segment, or a segment over 255 bytes. Nothing is decoded:
 *    "%2e%2e" is a file called "%2e%2e", never a way up. A NUL cannot be
 *    in a C string, so a key is whatever precedes it (JSON "\u0000" ends
 *    the key where cJSON ends it).
 * Unlike S3, a key cannot be both an object and a folder of others ("a"
 * and "a/b"): the second put fails with InvalidArgument.
 *
 * Writes are atomic: the bytes go to ROOT/.tmp/ (not a valid bucket name)
 * and are renamed into place, so a reader sees the old object or the new
 * one. ETags are the MD5 of the bytes, in hex between double quotes, as S3
 * gives for a single-part upload; they are computed when asked (head,
 * list), not stored.
 *
 * Errors: functions return 0, or -1 with err->name set to S3's error code
 * ("NoSuchBucket", "NoSuchKey", "InvalidBucketName", "InvalidKey",
 * "KeyTooLongError", "InvalidArgument", "BucketAlreadyOwnedByYou",
 * "InternalError" for an I/O failure) and err->cause to a message. Any
 * thread may call them; concurrent writers of one key: the last rename
 * wins, as on S3. */
#ifndef ASL_LAKE_H
#define ASL_LAKE_H

#include <stddef.h>

#include "../engine/core.h"

/* S3's largest page of ListObjectsV2. */
#define ASL_LAKE_MAX_KEYS 1000
#define ASL_LAKE_MAX_KEY_LEN 1024

/* What head, put and list tell about one object. */
typedef struct asl_lake_obj {
  char *key;      /* owned (list entries); NULL from head/put/get */
  long long size; /* bytes */
  double mtime;   /* last modified, epoch seconds */
  char etag[35];  /* "\"" + 32 hex + "\"" */
} asl_lake_obj;

/* $ASL_HOME/lake (see asl_home_dir). A new string. */
char *asl_lake_root(void);

/* 0 when name is a bucket name S3 would accept, else -1 (InvalidBucketName). */
int asl_lake_check_bucket(const char *name, asl_error *err);
/* 0 when key is a key the lake can hold, else -1 (InvalidKey or
 * KeyTooLongError). */
int asl_lake_check_key(const char *key, asl_error *err);

/* Creates the bucket's folder (and root). BucketAlreadyOwnedByYou when it
 * exists. */
int asl_lake_make_bucket(const char *root, const char *bucket, asl_error *err);

/* Bucket names (valid ones only) in byte order, with their folders'
 * mtimes; *names is a new array of new strings, free with
 * asl_lake_free_names. A missing root is no buckets. */
int asl_lake_buckets(const char *root, char ***names, double **mtimes,
                     size_t *n, asl_error *err);
void asl_lake_free_names(char **names, size_t n);

/* Writes len bytes as the object, atomically, creating folders for the
 * key's '/' segments. info (may be NULL) gets size, mtime, ETag. */
int asl_lake_put(const char *root, const char *bucket, const char *key,
                 const void *data, size_t len, asl_lake_obj *info,
                 asl_error *err);

/* ---- streaming writes: an object of any size in bounded memory ----
 *
 * open checks the names and that the bucket exists, and creates a file
 * under ROOT/.tmp; write appends through a fixed 64 KiB buffer (the MD5
 * for the ETag is computed as the bytes pass); commit renames the file
 * into place atomically, as asl_lake_put does (a reader sees the old
 * object or the whole new one, never a part). commit and abort free the
 * writer, whatever happens; abort removes the temporary file. finish
 * (optional) flushes and closes the file and frees the buffer without
 * publishing it, so a caller can stage many objects and publish them
 * together (an export's parts); commit then only renames. One writer is
 * used by one thread at a time. */
typedef struct asl_lake_writer asl_lake_writer;

asl_lake_writer *asl_lake_write_open(const char *root, const char *bucket,
                                     const char *key, asl_error *err);
int asl_lake_write(asl_lake_writer *w, const void *data, size_t len,
                   asl_error *err);
int asl_lake_write_finish(asl_lake_writer *w, asl_error *err);
/* Bytes written so far. */
long long asl_lake_write_size(const asl_lake_writer *w);
/* info (may be NULL) gets size, mtime and ETag. */
int asl_lake_write_commit(asl_lake_writer *w, asl_lake_obj *info,
                          asl_error *err);
void asl_lake_write_abort(asl_lake_writer *w); /* NULL is a no-op */

/* Reads the object: *data is a new NUL-terminated buffer of *len bytes.
 * info (may be NULL) gets size, mtime, ETag. */
int asl_lake_get(const char *root, const char *bucket, const char *key,
                 char **data, size_t *len, asl_lake_obj *info, asl_error *err);

/* Size, mtime and ETag of an object (NoSuchKey when absent). */
int asl_lake_head(const char *root, const char *bucket, const char *key,
                  asl_lake_obj *info, asl_error *err);

/* Removes the object; an absent key is not an error (S3 answers 204), an
 * absent bucket is (NoSuchBucket). Folders left empty are removed. */
int asl_lake_delete(const char *root, const char *bucket, const char *key,
                    asl_error *err);

/* Copies src to dst (atomically, as put). info gets the copy's ETag and
 * mtime. */
int asl_lake_copy(const char *root, const char *sbucket, const char *skey,
                  const char *dbucket, const char *dkey, asl_lake_obj *info,
                  asl_error *err);

/* ListObjectsV2's request. NULL strings are absent. */
typedef struct asl_lake_list_req {
  const char *prefix, *delimiter, *start_after, *token;
  int max_keys;    /* 0..1000; larger asks are capped at 1000 as S3 does */
  double deadline; /* epoch seconds, 0: none; past it the walk gives up */
} asl_lake_list_req;

/* One page of a listing: objects and common prefixes in byte order of
 * key, together at most max_keys. next_token is set (new string) when
 * truncated. */
typedef struct asl_lake_list {
  asl_lake_obj *objs;
  size_t nobjs;
  char **prefixes;
  size_t nprefixes;
  int truncated;
  char *next_token;
} asl_lake_list;

/* Lists bucket as ListObjectsV2: keys starting with prefix, after
 * start_after (or after the token's position, which wins), grouped by
 * delimiter after the prefix into common prefixes. Errors: NoSuchBucket,
 * InvalidArgument (a token this lake did not give), "States.Timeout" past
 * the deadline. */
int asl_lake_list_objects(const char *root, const char *bucket,
                          const asl_lake_list_req *req, asl_lake_list *out,
                          asl_error *err);
void asl_lake_list_free(asl_lake_list *l);

/* ---- walking every object under a prefix ----
 *
 * Calls cb for every object of bucket whose key starts with prefix, in
 * byte order of key (the order ListObjectsV2 gives), with the key and the
 * object's file path (both valid during the call only). Unlike paging
 * through asl_lake_list_objects, which walks the whole tree again for every
 * page, one walk visits each folder once: memory is one folder's entry
 * names per level of the current path, and a file costs no stat when the
 * file system reports entry types (dirent d_type). cb returns 0 to go on,
 * anything else to stop the walk (asl_lake_walk then returns that value).
 * Errors: NoSuchBucket, InvalidArgument for a prefix no key could have. */
typedef int (*asl_lake_walk_cb)(const char *key, const char *path, void *ud);
int asl_lake_walk(const char *root, const char *bucket, const char *prefix,
                  asl_lake_walk_cb cb, void *ud, asl_error *err);

/* "2026-11-22T08:00:00Z" for t (epoch seconds) into buf: S3 keeps
 * Last-Modified to the second. */
void asl_lake_time_iso(double t, char buf[32]);

#endif
