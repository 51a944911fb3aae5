/* creds.c: the AWS CLI's credential and region chain, and server keys
 * (see creds.h). */
#include "creds.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "../engine/core.h"
#include "../engine/json.h"

static char *env_nonempty(const char *name) {
  const char *v = getenv(name);
  return v && *v ? asl_strdup(v) : NULL;
}

static void free_secret(char *s) {
  if (!s) return;
  OPENSSL_cleanse(s, strlen(s));
  free(s);
}

/* ---- a tiny ini reader: [section] then key = value lines ---- */

typedef struct ini_entry {
  char *section, *key, *value;
} ini_entry;

typedef struct ini {
  ini_entry *v;
  size_t n;
} ini;

static char *trim(char *s) {
  while (isspace((unsigned char)*s))
    s++;
  size_t n = strlen(s);
  while (n && isspace((unsigned char)s[n - 1]))
    s[--n] = 0;
  return s;
}

/* Reads path into *out; 1 read, 0 no such file, -1 another error. */
static int ini_read(const char *path, ini *out) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "r");
  if (!f) return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
  char line[4096];
  char *section = NULL;
  size_t cap = 0;
  while (fgets(line, sizeof line, f)) {
    /* an indented line is a nested value (e.g. under "s3 ="): not ours */
    if (line[0] == ' ' || line[0] == '\t') continue;
    char *s = trim(line);
    if (!*s || *s == '#' || *s == ';') continue;
    if (*s == '[') {
      char *e = strchr(s, ']');
      if (!e) continue;
      *e = 0;
      free(section);
      section = asl_strdup(trim(s + 1));
      continue;
    }
    char *eq = strchr(s, '=');
    if (!eq || !section) continue;
    *eq = 0;
    if (out->n == cap) {
      cap = cap ? 2 * cap : 16;
      out->v = asl_realloc(out->v, cap * sizeof *out->v);
    }
    out->v[out->n].section = asl_strdup(section);
    out->v[out->n].key = asl_strdup(trim(s));
    out->v[out->n].value = asl_strdup(trim(eq + 1));
    out->n++;
  }
  OPENSSL_cleanse(line, sizeof line);
  free(section);
  fclose(f);
  return 1;
}

static const char *ini_get(const ini *in, const char *section,
                           const char *key) {
  for (size_t i = 0; i < in->n; i++)
    if (strcmp(in->v[i].section, section) == 0 &&
        strcmp(in->v[i].key, key) == 0)
      return in->v[i].value;
  return NULL;
}

static void ini_free(ini *in) {
  for (size_t i = 0; i < in->n; i++) {
    free(in->v[i].section);
    free(in->v[i].key);
    free_secret(in->v[i].value);
  }
  free(in->v);
  memset(in, 0, sizeof *in);
}

static char *home_path(const char *rel) {
  const char *h = getenv("HOME");
  return asl_sprintf("%s/%s", h && *h ? h : ".", rel);
}

static char *file_path(const char *env, const char *rel) {
  char *p = env_nonempty(env);
  if (!p) return home_path(rel);
  if (p[0] == '~' && p[1] == '/') {
    char *h = home_path(p + 2);
    free(p);
    return h;
  }
  return p;
}

/* Fills c's keys from section of in when it has both; 1 found, 0 not. */
static int take_keys(asl_aws_creds *c, const ini *in, const char *section) {
  const char *id = ini_get(in, section, "aws_access_key_id");
  const char *sk = ini_get(in, section, "aws_secret_access_key");
  if (!id || !sk || !*id || !*sk) return 0;
  const char *tok = ini_get(in, section, "aws_session_token");
  c->access_key = asl_strdup(id);
  c->secret_key = asl_strdup(sk);
  c->session_token = tok && *tok ? asl_strdup(tok) : NULL;
  return 1;
}

int asl_aws_creds_resolve(const char *profile, const char *region,
                          asl_aws_creds *out, char **msg) {
  memset(out, 0, sizeof *out);
  *msg = NULL;
  char *prof = profile ? asl_strdup(profile) : env_nonempty("AWS_PROFILE");
  if (!prof) prof = asl_strdup("default");
  char *cred_path =
      file_path("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  char *conf_path = file_path("AWS_CONFIG_FILE", ".aws/config");
  char *conf_section = strcmp(prof, "default") == 0
                           ? asl_strdup("default")
                           : asl_sprintf("profile %s", prof);
  ini cred = {0}, conf = {0};
  int rc = 0;
  int have_cred = ini_read(cred_path, &cred);
  int have_conf = ini_read(conf_path, &conf);
  if (!profile) {
    char *id = env_nonempty("AWS_ACCESS_KEY_ID");
    char *sk = env_nonempty("AWS_SECRET_ACCESS_KEY");
    if (id && sk) {
      out->access_key = id;
      out->secret_key = sk;
      out->session_token = env_nonempty("AWS_SESSION_TOKEN");
      out->source = asl_strdup("environment (AWS_ACCESS_KEY_ID)");
    } else {
      free(id);
      free_secret(sk);
    }
  }
  if (!out->access_key && have_cred > 0 && take_keys(out, &cred, prof))
    out->source = asl_sprintf("%s [%s]", cred_path, prof);
  if (!out->access_key && have_conf > 0 && take_keys(out, &conf, conf_section))
    out->source = asl_sprintf("%s [%s]", conf_path, conf_section);
  if (!out->access_key) {
    int known = (have_cred > 0 && ini_get(&cred, prof, "aws_access_key_id")) ||
                (have_conf > 0 && ini_get(&conf, conf_section, "region"));
    if (profile || (getenv("AWS_PROFILE") && !known))
      *msg = asl_sprintf("The config profile (%s) could not be found, or "
                         "has no aws_access_key_id and aws_secret_access_key "
                         "(looked in %s and %s)",
                         prof, cred_path, conf_path);
    else
      *msg = asl_sprintf("Unable to locate credentials. Set "
                         "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                         "give a profile of %s or %s (--profile, "
                         "AWS_PROFILE)",
                         cred_path, conf_path);
    rc = -1;
  }
  if (region && *region) out->region = asl_strdup(region);
  if (!out->region) out->region = env_nonempty("AWS_REGION");
  if (!out->region) out->region = env_nonempty("AWS_DEFAULT_REGION");
  if (!out->region && have_conf > 0) {
    const char *r = ini_get(&conf, conf_section, "region");
    if (r && *r) out->region = asl_strdup(r);
  }
  ini_free(&cred);
  ini_free(&conf);
  free(conf_section);
  free(cred_path);
  free(conf_path);
  free(prof);
  if (rc) {
    char *m = *msg;
    asl_aws_creds_free(out);
    *msg = m;
  }
  return rc;
}

void asl_aws_creds_free(asl_aws_creds *c) {
  free(c->access_key);
  free_secret(c->secret_key);
  free_secret(c->session_token);
  free(c->region);
  free(c->source);
  memset(c, 0, sizeof *c);
}

/* ---- server keys ---- */

static void keys_add(asl_aws_keys *k, const char *id, const char *sk,
                     const char *tok) {
  k->v = asl_realloc(k->v, (k->n + 1) * sizeof *k->v);
  k->v[k->n].access_key = asl_strdup(id);
  k->v[k->n].secret_key = asl_strdup(sk);
  k->v[k->n].session_token = tok && *tok ? asl_strdup(tok) : NULL;
  k->n++;
}

static int keys_json(const char *path, const char *text, asl_aws_keys *out,
                     char **msg) {
  char *err = NULL;
  cJSON *j = asl_json_parse(text, strlen(text), &err);
  if (!j) {
    *msg = asl_sprintf("%s: %s", path, err ? err : "not JSON");
    free(err);
    return -1;
  }
  int rc = 0;
  int n = cJSON_IsArray(j) ? cJSON_GetArraySize(j) : 1;
  for (int i = 0; i < n && !rc; i++) {
    cJSON *o = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, i) : j;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "AccessKeyId");
    const cJSON *sk = cJSON_GetObjectItemCaseSensitive(o, "SecretAccessKey");
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(o, "SessionToken");
    if (!cJSON_IsString(id) || !*id->valuestring || !cJSON_IsString(sk) ||
        !*sk->valuestring || (tok && !cJSON_IsString(tok))) {
      *msg = asl_sprintf("%s: %s needs string members \"AccessKeyId\" and "
                         "\"SecretAccessKey\" (and optionally "
                         "\"SessionToken\")",
                         path, cJSON_IsArray(j) ? "each object" : "the object");
      rc = -1;
    } else {
      keys_add(out, id->valuestring, sk->valuestring,
               tok ? tok->valuestring : NULL);
    }
  }
  /* the parsed copy held the secrets: wipe them before freeing */
  for (int i = 0; i < n; i++) {
    cJSON *o = cJSON_IsArray(j) ? cJSON_GetArrayItem(j, i) : j;
    cJSON *sk = cJSON_GetObjectItemCaseSensitive(o, "SecretAccessKey");
    if (cJSON_IsString(sk))
      OPENSSL_cleanse(sk->valuestring, strlen(sk->valuestring));
  }
  cJSON_Delete(j);
  return rc;
}

int asl_aws_keys_load(const char *path, asl_aws_keys *out, char **msg) {
  memset(out, 0, sizeof *out);
  *msg = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) {
    *msg = asl_sprintf("%s: %s", path, strerror(errno));
    return -1;
  }
  asl_buf b = {0};
  char chunk[4096];
  size_t n;
  asl_buf_puts(&b, "");
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && b.len < (1 << 20))
    asl_buf_add(&b, chunk, n);
  fclose(f);
  OPENSSL_cleanse(chunk, sizeof chunk);
  const char *s = b.s;
  while (isspace((unsigned char)*s))
    s++;
  int rc = 0;
  /* JSON: an object, or an array of objects ("[default]" is ini) */
  const char *t = s + 1;
  while (isspace((unsigned char)*t))
    t++;
  if (*s == '{' || (*s == '[' && (*t == '{' || *t == ']'))) {
    rc = keys_json(path, b.s, out, msg);
  } else {
    ini in;
    ini_read(path, &in);
    for (size_t i = 0; i < in.n; i++) {
      if (strcmp(in.v[i].key, "aws_access_key_id") != 0) continue;
      const char *sk = ini_get(&in, in.v[i].section, "aws_secret_access_key");
      if (!sk || !*sk || !*in.v[i].value) continue;
      keys_add(out, in.v[i].value, sk,
               ini_get(&in, in.v[i].section, "aws_session_token"));
    }
    ini_free(&in);
  }
  OPENSSL_cleanse(b.s, b.len);
  asl_buf_free(&b);
  if (!rc && out->n == 0) {
    *msg = asl_sprintf("%s: no credentials: give JSON {\"AccessKeyId\": ..., "
                       "\"SecretAccessKey\": ...} or an ini file with "
                       "aws_access_key_id and aws_secret_access_key",
                       path);
    rc = -1;
  }
  if (rc) asl_aws_keys_free(out);
  return rc;
}

int asl_aws_keys_from_env(asl_aws_keys *out) {
  memset(out, 0, sizeof *out);
  const char *id = getenv("AWS_ACCESS_KEY_ID");
  const char *sk = getenv("AWS_SECRET_ACCESS_KEY");
  if (!id || !*id || !sk || !*sk) return 0;
  keys_add(out, id, sk, getenv("AWS_SESSION_TOKEN"));
  return 1;
}

const asl_aws_key *asl_aws_keys_find(const asl_aws_keys *k, const char *id) {
  for (size_t i = 0; i < k->n; i++)
    if (strcmp(k->v[i].access_key, id) == 0) return &k->v[i];
  return NULL;
}

void asl_aws_keys_free(asl_aws_keys *k) {
  for (size_t i = 0; i < k->n; i++) {
    free(k->v[i].access_key);
    free_secret(k->v[i].secret_key);
    free_secret(k->v[i].session_token);
  }
  free(k->v);
  memset(k, 0, sizeof *k);
}
