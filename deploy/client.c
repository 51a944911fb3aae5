/* client.c: signed JSON 1.0 calls to Step Functions over libcurl (see
 * client.h). */
#include "client.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../engine/json.h"
#include "sigv4.h"

#define JSON_TYPE "application/x-amz-json-1.0"
#define TARGET_PREFIX "AWSStepFunctions."

char *asl_sfn_endpoint(const char *region) {
  return asl_sprintf("https://states.%s.amazonaws.com",
                     region ? region : "us-east-1");
}

/* Splits an endpoint URL into its authority (the Host header) and path.
 * -1 when it is not http(s)://HOST[...]. */
static int split_url(const char *url, char **host, char **path) {
  const char *s = NULL;
  if (strncmp(url, "https://", 8) == 0)
    s = url + 8;
  else if (strncmp(url, "http://", 7) == 0)
    s = url + 7;
  if (!s || !*s || *s == '/') return -1;
  size_t n = strcspn(s, "/?#");
  *host = asl_strndup(s, n);
  const char *p = s + n;
  *path = *p == '/' ? asl_strndup(p, strcspn(p, "?#")) : asl_strdup("/");
  return 0;
}

static size_t on_data(char *p, size_t size, size_t n, void *ud) {
  asl_buf_add(ud, p, size * n);
  return size * n;
}

/* One signed request's headers; values owned. */
typedef struct signed_req {
  char *host, *date, *target, *auth;
} signed_req;

static void signed_free(signed_req *s) {
  free(s->host);
  free(s->date);
  free(s->target);
  free(s->auth);
}

static void sign(const asl_sfn_client *c, const char *host, const char *path,
                 const char *op, const char *body, signed_req *out) {
  char date[17];
  sigv4_amz_date(time(NULL), date);
  out->host = asl_strdup(host);
  out->date = asl_strdup(date);
  out->target = asl_sprintf(TARGET_PREFIX "%s", op);
  const char *tok = c->creds->session_token;
  sigv4_header h[5] = {{"Content-Type", JSON_TYPE},
                       {"Host", host},
                       {"X-Amz-Date", date},
                       {"X-Amz-Target", out->target},
                       {"X-Amz-Security-Token", tok}};
  char hash[65];
  sigv4_sha256_hex(body, strlen(body), hash);
  sigv4_request r = {"POST", path, NULL, h, tok ? 5 : 4, hash};
  sigv4_creds cr = {c->creds->access_key, c->creds->secret_key, tok};
  sigv4_scope sc = {c->creds->region, "states", date};
  out->auth = sigv4_authorization(
      &r, &cr, &sc,
      tok ? "content-type;host;x-amz-date;x-amz-target;x-amz-security-token"
          : "content-type;host;x-amz-date;x-amz-target",
      1, NULL, NULL);
}

static void print_dry(const asl_sfn_client *c, const char *path,
                      const signed_req *s, const char *body) {
  FILE *f = c->dry_out ? c->dry_out : stdout;
  fprintf(f,
          "# %s (not sent: --dry-run)\n"
          "POST %s HTTP/1.1\n"
          "Host: %s\n"
          "Content-Type: " JSON_TYPE "\n"
          "X-Amz-Target: %s\n"
          "X-Amz-Date: %s\n",
          c->endpoint, path, s->host, s->target, s->date);
  if (c->creds->session_token) fprintf(f, "X-Amz-Security-Token: <redacted>\n");
  fprintf(f, "Authorization: %s\nContent-Length: %zu\n\n%s\n\n", s->auth,
          strlen(body), body);
}

/* One attempt: 0 with *status and the body in b, -1 with a curl error. */
static int send_once(const asl_sfn_client *c, const signed_req *s,
                     const char *body, long *status, asl_buf *b,
                     char *err /* CURL_ERROR_SIZE */) {
  CURL *h = curl_easy_init();
  if (!h) {
    snprintf(err, CURL_ERROR_SIZE, "libcurl could not start");
    return -1;
  }
  struct curl_slist *l = NULL;
  char *hv[7];
  int nh = 0;
  hv[nh++] = asl_sprintf("Host: %s", s->host);
  hv[nh++] = asl_sprintf("Content-Type: " JSON_TYPE);
  hv[nh++] = asl_sprintf("X-Amz-Target: %s", s->target);
  hv[nh++] = asl_sprintf("X-Amz-Date: %s", s->date);
  hv[nh++] = asl_sprintf("Authorization: %s", s->auth);
  if (c->creds->session_token)
    hv[nh++] = asl_sprintf("X-Amz-Security-Token: %s", c->creds->session_token);
  hv[nh++] = asl_strdup("Expect:");
  for (int i = 0; i < nh; i++)
    l = curl_slist_append(l, hv[i]);
  err[0] = 0;
  curl_easy_setopt(h, CURLOPT_URL, c->endpoint);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  curl_easy_setopt(h, CURLOPT_USERAGENT, "asl-deploy/1");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
  else if (!err[0])
    snprintf(err, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
  curl_slist_free_all(l);
  for (int i = 0; i < nh; i++) {
    if (strncmp(hv[i], "X-Amz-Security-Token", 20) == 0)
      memset(hv[i], 0, strlen(hv[i]));
    free(hv[i]);
  }
  curl_easy_cleanup(h);
  return rc == CURLE_OK ? 0 : -1;
}

static int retryable(long status, const char *code) {
  if (status >= 500) return 1;
  return code && (strcmp(code, "ThrottlingException") == 0 ||
                  strcmp(code, "Throttling") == 0 ||
                  strcmp(code, "TooManyRequestsException") == 0 ||
                  strcmp(code, "RequestLimitExceeded") == 0);
}

/* The error of a non-200 answer into e (name: the code after '#'). */
static void answer_error(long status, const char *text, asl_error *e) {
  cJSON *j = cJSON_Parse(text);
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "__type");
  const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
  if (!m) m = cJSON_GetObjectItemCaseSensitive(j, "Message");
  if (cJSON_IsString(t)) {
    const char *code = strrchr(t->valuestring, '#');
    code = code ? code + 1 : t->valuestring;
    asl_error_set(e, code, "%s",
                  cJSON_IsString(m) ? m->valuestring : "(no message)");
  } else {
    asl_error_set(e, "Deploy.Response",
                  "HTTP %ld with a body that is no AWS "
                  "error: %.200s",
                  status, text);
  }
  cJSON_Delete(j);
}

int asl_sfn_call(asl_sfn_client *c, const char *op, const cJSON *req,
                 cJSON **out, asl_error *e) {
  static int curl_ready;
  *out = NULL;
  c->attempts_made = 0;
  char *host, *path;
  if (split_url(c->endpoint, &host, &path) < 0)
    return asl_error_set(e, "Deploy.Endpoint",
                         "'%s' is not an http:// or https:// URL", c->endpoint);
  if (!curl_ready && !c->dry_run) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    curl_ready = 1;
  }
  char *body = cJSON_PrintUnformatted(req);
  int max = c->max_attempts > 0 ? c->max_attempts : 6;
  double delay = c->base_delay_s > 0 ? c->base_delay_s : 0.2;
  int rc = -1;
  for (int attempt = 1; attempt <= max; attempt++) {
    signed_req s = {0};
    sign(c, host, path, op, body, &s);
    c->attempts_made = attempt;
    if (c->dry_run) {
      print_dry(c, path, &s, body);
      signed_free(&s);
      asl_error_set(e, "Deploy.DryRun", "not sent");
      break;
    }
    long status = 0;
    asl_buf b = {0};
    char err[CURL_ERROR_SIZE];
    int sent = send_once(c, &s, body, &status, &b, err);
    signed_free(&s);
    asl_buf_putc(&b, 0);
    asl_error_clear(e);
    if (sent < 0) {
      asl_error_set(e, "Deploy.Connection", "%s: %s", c->endpoint, err);
    } else if (status == 200) {
      char *msg = NULL;
      *out = asl_json_parse(b.s, strlen(b.s), &msg);
      if (!*out || !cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        asl_error_set(e, "Deploy.Response",
                      "%s answered %s: not a JSON "
                      "object: %s",
                      c->endpoint, op, msg ? msg : "");
      } else {
        rc = 0;
      }
      free(msg);
    } else {
      answer_error(status, b.s, e);
    }
    asl_buf_free(&b);
    if (rc == 0) break;
    int again = sent < 0 ? 1 : retryable(status, e->name);
    if (!again || attempt == max || strcmp(e->name, "Deploy.Response") == 0)
      break;
    /* exponential back-off with jitter: delay * 2^(n-1) * [0.5, 1) */
    double d = delay * (double)(1 << (attempt - 1)) *
               (0.5 + 0.5 * ((double)rand() / ((double)RAND_MAX + 1)));
    struct timespec ts = {(time_t)d, (long)((d - (double)(time_t)d) * 1e9)};
    nanosleep(&ts, NULL);
  }
  cJSON_free(body);
  free(host);
  free(path);
  return rc;
}
