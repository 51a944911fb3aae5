/* test_creds.c: deploy/creds: the AWS CLI's credential and region chain
 * (environment, --profile, AWS_PROFILE, the shared credentials and config
 * files, region precedence) and the key files `asl serve --credentials`
 * reads, on real files in a temporary folder. */
#include "t.h"

#include <sys/stat.h>
#include <unistd.h>

#include "../../deploy/creds.h"
#include "../../engine/core.h"

static char dir[] = "/tmp/asl-test-creds-XXXXXX";

static char *put(const char *name, const char *text) {
  char *p = asl_sprintf("%s/%s", dir, name);
  FILE *f = fopen(p, "w");
  fputs(text, f);
  fclose(f);
  return p;
}

static void clear_env(void) {
  const char *v[] = {"AWS_ACCESS_KEY_ID",
                     "AWS_SECRET_ACCESS_KEY",
                     "AWS_SESSION_TOKEN",
                     "AWS_PROFILE",
                     "AWS_REGION",
                     "AWS_DEFAULT_REGION",
                     "AWS_SHARED_CREDENTIALS_FILE",
                     "AWS_CONFIG_FILE"};
  for (size_t i = 0; i < sizeof v / sizeof *v; i++)
    unsetenv(v[i]);
}

T_MAIN("creds") {
  if (!mkdtemp(dir)) abort();
  char *home = asl_sprintf("%s/home", dir);
  char *aws = asl_sprintf("%s/home/.aws", dir);
  mkdir(home, 0700);
  mkdir(aws, 0700);
  char *cred =
      put("home/.aws/credentials",
          "# comment\n[default]\naws_access_key_id = AKIDDEF\n"
          "aws_secret_access_key = secretdef\n\n[dev]\n"
          "aws_access_key_id=AKIDDEV\naws_secret_access_key=secretdev\n"
          "aws_session_token = tokdev\n");
  char *conf = put("home/.aws/config",
                   "[default]\nregion = eu-west-1\n[profile dev]\n"
                   "region = ap-south-1\ns3 =\n  max_concurrent_requests = 2\n"
                   "[profile conf-only]\naws_access_key_id = AKIDCONF\n"
                   "aws_secret_access_key = secretconf\n");
  clear_env();
  setenv("HOME", home, 1);
  asl_aws_creds c;
  char *msg = NULL;

  /* the default profile of ~/.aws */
  T_OK(asl_aws_creds_resolve(NULL, NULL, &c, &msg) == 0, "default: %s", msg);
  T_STREQ(c.access_key, "AKIDDEF");
  T_STREQ(c.secret_key, "secretdef");
  T_OK(c.session_token == NULL, "no token");
  T_STREQ(c.region, "eu-west-1");
  T_OK(c.source && strstr(c.source, "[default]"), "source %s", c.source);
  asl_aws_creds_free(&c);

  /* the environment wins over the files, and AWS_REGION over the rest */
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
  setenv("AWS_SESSION_TOKEN", "tokenv", 1);
  setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
  T_OK(asl_aws_creds_resolve(NULL, NULL, &c, &msg) == 0, "env");
  T_STREQ(c.access_key, "AKIDENV");
  T_STREQ(c.session_token, "tokenv");
  T_STREQ(c.region, "us-west-2");
  asl_aws_creds_free(&c);
  setenv("AWS_REGION", "us-east-2", 1);
  T_OK(asl_aws_creds_resolve(NULL, NULL, &c, &msg) == 0, "env");
  T_STREQ(c.region, "us-east-2");
  asl_aws_creds_free(&c);
  /* --region wins over all */
  T_OK(asl_aws_creds_resolve(NULL, "sa-east-1", &c, &msg) == 0, "env");
  T_STREQ(c.region, "sa-east-1");
  asl_aws_creds_free(&c);
  /* AWS_PROFILE does not skip the environment's keys (botocore) */
  setenv("AWS_PROFILE", "dev", 1);
  T_OK(asl_aws_creds_resolve(NULL, NULL, &c, &msg) == 0, "env+profile");
  T_STREQ(c.access_key, "AKIDENV");
  asl_aws_creds_free(&c);
  /* --profile does */
  unsetenv("AWS_REGION");
  unsetenv("AWS_DEFAULT_REGION");
  T_OK(asl_aws_creds_resolve("dev", NULL, &c, &msg) == 0, "--profile dev");
  T_STREQ(c.access_key, "AKIDDEV");
  T_STREQ(c.session_token, "tokdev");
  T_STREQ(c.region, "ap-south-1"); /* [profile dev] of the config file */
  asl_aws_creds_free(&c);
  /* keys in the config file */
  T_OK(asl_aws_creds_resolve("conf-only", "us-east-1", &c, &msg) == 0,
       "config keys: %s", msg);
  T_STREQ(c.access_key, "AKIDCONF");
  T_OK(c.source && strstr(c.source, "[profile conf-only]"), "%s", c.source);
  asl_aws_creds_free(&c);
  /* an unknown profile */
  T_OK(asl_aws_creds_resolve("nope", NULL, &c, &msg) == -1, "nope");
  T_OK(msg && strstr(msg, "nope") && !strstr(msg, "secretde"), "%s", msg);
  free(msg);
  msg = NULL;
  /* AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE move the files */
  clear_env();
  char *cred2 = put("other-creds", "[default]\naws_access_key_id = AKIDOTHER\n"
                                   "aws_secret_access_key = s2\n");
  setenv("AWS_SHARED_CREDENTIALS_FILE", cred2, 1);
  setenv("AWS_CONFIG_FILE", "/dev/null", 1);
  T_OK(asl_aws_creds_resolve(NULL, NULL, &c, &msg) == 0, "moved");
  T_STREQ(c.access_key, "AKIDOTHER");
  T_OK(c.region == NULL, "no region anywhere");
  asl_aws_creds_free(&c);
  /* nothing at all */
  setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
  T_OK(asl_aws_creds_resolve(NULL, NULL, &c, &msg) == -1, "none");
  T_OK(msg && strstr(msg, "Unable to locate credentials"), "%s", msg);
  free(msg);
  msg = NULL;

  /* server key files */
  asl_aws_keys k;
  char *j1 = put("k1.json", "{\"AccessKeyId\":\"A1\",\"SecretAccessKey\":"
                            "\"S1\",\"SessionToken\":\"T1\"}");
  T_OK(asl_aws_keys_load(j1, &k, &msg) == 0 && k.n == 1, "json: %s", msg);
  T_OK(asl_aws_keys_find(&k, "A1") &&
           strcmp(asl_aws_keys_find(&k, "A1")->session_token, "T1") == 0,
       "token");
  T_OK(asl_aws_keys_find(&k, "A2") == NULL, "unknown");
  asl_aws_keys_free(&k);
  char *j2 = put("k2.json", " [ {\"AccessKeyId\":\"A1\",\"SecretAccessKey\":"
                            "\"S1\"}, {\"AccessKeyId\":\"A2\","
                            "\"SecretAccessKey\":\"S2\"} ]");
  T_OK(asl_aws_keys_load(j2, &k, &msg) == 0 && k.n == 2, "array");
  T_STREQ(asl_aws_keys_find(&k, "A2")->secret_key, "S2");
  asl_aws_keys_free(&k);
  T_OK(asl_aws_keys_load(cred, &k, &msg) == 0 && k.n == 2, "ini: %s", msg);
  T_STREQ(asl_aws_keys_find(&k, "AKIDDEV")->session_token, "tokdev");
  asl_aws_keys_free(&k);
  char *bad[] = {
      put("b1.json", "{\"AccessKeyId\":\"A1\"}"),
      put("b2.json", "{\"AccessKeyId\":1,\"SecretAccessKey\":\"x\"}"),
      put("b3.json", "{nope"), put("b4.ini", "[x]\nfoo = bar\n"),
      conf /* keys only in [profile conf-only]: that one counts */};
  for (int i = 0; i < 4; i++) {
    T_OK(asl_aws_keys_load(bad[i], &k, &msg) == -1 && msg &&
             strstr(msg, bad[i]),
         "%s refused: %s", bad[i], msg);
    free(msg);
    msg = NULL;
  }
  T_OK(asl_aws_keys_load(bad[4], &k, &msg) == 0 && k.n == 1, "config file");
  asl_aws_keys_free(&k);
  T_OK(asl_aws_keys_load("/nonexistent/k", &k, &msg) == -1 && msg &&
           strstr(msg, "No such file"),
       "missing: %s", msg);
  free(msg);
  /* the environment's key */
  clear_env();
  T_OK(asl_aws_keys_from_env(&k) == 0 && k.n == 0, "no env key");
  setenv("AWS_ACCESS_KEY_ID", "AE", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "SE", 1);
  T_OK(asl_aws_keys_from_env(&k) == 1 && k.n == 1, "env key");
  T_STREQ(k.v[0].secret_key, "SE");
  asl_aws_keys_free(&k);

  for (int i = 0; i < 4; i++) {
    unlink(bad[i]);
    free(bad[i]);
  }
  char *files[] = {cred, conf, cred2, j1, j2};
  for (int i = 0; i < 5; i++) {
    unlink(files[i]);
    free(files[i]);
  }
  rmdir(aws);
  rmdir(home);
  rmdir(dir);
  free(aws);
  free(home);
}
