/* creds.h: AWS credentials and region found the way the AWS CLI finds
 * them, and the key store `asl serve` verifies signatures with.
 *
 * Credentials, first found wins:
 *   1. AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN),
 *      unless a profile was given on the command line (--profile), as
 *      botocore skips its environment provider then;
 *   2. the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else
 *      ~/.aws/credentials), section [PROFILE];
 *   3. the config file (AWS_CONFIG_FILE, else ~/.aws/config), section
 *      [profile PROFILE] ([default] for the default profile);
 * where PROFILE is --profile, else AWS_PROFILE, else "default". Keys:
 * aws_access_key_id, aws_secret_access_key, aws_session_token.
 * Region: --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the
 * profile's "region" in the config file.
 *
 * Secrets are never printed: asl_aws_creds_describe names where they came
 * from and the access key id only. */
#ifndef ASL_CREDS_H
#define ASL_CREDS_H

#include <stddef.h>

typedef struct asl_aws_creds {
  char *access_key, *secret_key, *session_token; /* token may be NULL */
  char *region;                                  /* NULL when none found */
  char *source; /* "environment", "/home/u/.aws/credentials [dev]", ... */
} asl_aws_creds;

/* Resolves credentials and region. profile and region are the command
 * line's --profile and --region (NULL when not given). 0, or -1 with *msg
 * (new string) saying what is missing, as the CLI does ("Unable to locate
 * credentials. ..."); a missing region is not an error here (region is
 * left NULL: the caller decides). */
int asl_aws_creds_resolve(const char *profile, const char *region,
                          asl_aws_creds *out, char **msg);
void asl_aws_creds_free(asl_aws_creds *c);

/* ---- the keys a server accepts ---- */

typedef struct asl_aws_key {
  char *access_key, *secret_key, *session_token;
} asl_aws_key;

typedef struct asl_aws_keys {
  asl_aws_key *v;
  size_t n;
} asl_aws_keys;

/* Loads keys from FILE: either JSON, {"AccessKeyId": ..., "SecretAccessKey":
 * ..., "SessionToken": ...} (SessionToken optional) or an array of such
 * objects, or an AWS credentials ini file (every section with
 * aws_access_key_id and aws_secret_access_key is a key). 0, or -1 with
 * *msg naming the file and the problem. */
int asl_aws_keys_load(const char *path, asl_aws_keys *out, char **msg);
/* The key in AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN):
 * 1 when both are set, 0 when not. */
int asl_aws_keys_from_env(asl_aws_keys *out);
/* The key with that id, or NULL. */
const asl_aws_key *asl_aws_keys_find(const asl_aws_keys *k, const char *id);
void asl_aws_keys_free(asl_aws_keys *k);

#endif
