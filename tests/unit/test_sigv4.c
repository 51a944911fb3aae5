/* test_sigv4.c: deploy/sigv4 against AWS's two SigV4 test suites
 * (tests/fixtures/sigv4/: the classic suite and aws-c-auth's v4 suite,
 * header and presigned-query forms) and against the requests the real AWS
 * CLI (v1, v2) and boto3 sent (tests/fixtures/aws-wire/): every canonical
 * request, string to sign and signature is reproduced byte for byte, every
 * signed request verifies, and tampered ones do not. Run from the
 * repository's root (as scripts/test.sh does). */
#include "t.h"

#include <dirent.h>
#include <sys/stat.h>

#include "../../deploy/sigv4.h"
#include "../../engine/core.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define MAXH 32

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  asl_buf b = {0};
  char chunk[4096];
  size_t n;
  asl_buf_puts(&b, "");
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    asl_buf_add(&b, chunk, n);
  fclose(f);
  return asl_buf_take(&b);
}

/* A request parsed from raw HTTP text; strings point into text (owned). */
typedef struct raw {
  char *text, *method, *path, *query, *body;
  sigv4_header h[MAXH];
  char *hv[MAXH]; /* owned values (folded lines joined) */
  size_t nh;
  char hash[65];
} raw;

static void raw_free(raw *r) {
  for (size_t i = 0; i < r->nh; i++)
    free(r->hv[i]);
  free(r->text);
  memset(r, 0, sizeof *r);
}

static void raw_add(raw *r, const char *name, const char *value) {
  if (r->nh == MAXH) return;
  r->hv[r->nh] = asl_strdup(value);
  r->h[r->nh].name = name;
  r->h[r->nh].value = r->hv[r->nh];
  r->nh++;
}

/* Parses "METHOD TARGET HTTP/1.1\nName:value\n...\n\nbody" (TARGET may
 * hold spaces). A line starting with white space continues the value
 * (aws-c-auth's suite), or is another value of the header when repeat is
 * set (the classic suite reads it so: "value1,value2,value3"). */
static int raw_parse_as(raw *r, char *text, int repeat) {
  memset(r, 0, sizeof *r);
  r->text = text;
  char *body = strstr(text, "\n\n");
  if (body) {
    *body = 0;
    r->body = body + 2;
  } else {
    r->body = "";
  }
  char *line = text, *next;
  next = strchr(line, '\n');
  if (next) *next++ = 0;
  char *sp = strchr(line, ' '), *last = strrchr(line, ' ');
  if (!sp || last == sp) return -1;
  *sp = 0;
  *last = 0;
  r->method = line;
  r->path = sp + 1;
  char *q = strchr(r->path, '?');
  if (q) {
    *q = 0;
    r->query = q + 1;
  }
  for (line = next; line && *line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    if ((*line == ' ' || *line == '\t') && r->nh && repeat) {
      raw_add(r, r->h[r->nh - 1].name, line);
      continue;
    }
    if ((*line == ' ' || *line == '\t') && r->nh) {
      char *v = asl_sprintf("%s\n%s", r->hv[r->nh - 1], line);
      free(r->hv[r->nh - 1]);
      r->hv[r->nh - 1] = v;
      r->h[r->nh - 1].value = v;
      continue;
    }
    char *c = strchr(line, ':');
    if (!c) return -1;
    *c = 0;
    c++;
    while (*c == ' ' || *c == '\t')
      c++; /* as HTTP servers drop OWS */
    raw_add(r, line, c);
  }
  sigv4_sha256_hex(r->body, strlen(r->body), r->hash);
  return 0;
}

static int raw_parse(raw *r, char *text) { return raw_parse_as(r, text, 0); }

static sigv4_request raw_req(raw *r) {
  sigv4_request q = {r->method, r->path, r->query, r->h, r->nh, r->hash};
  return q;
}

static const char *g_token; /* the session token the key has, or NULL */
static const char *g_secret = SECRET;

static int lookup(void *ud, const char *akid, sigv4_known *out) {
  if (strcmp(akid, "AKIDEXAMPLE") != 0) return -1;
  out->secret_key = g_secret;
  out->session_token = g_token;
  return 0;
}

static const char *header(const raw *r, const char *name) {
  for (size_t i = 0; i < r->nh; i++)
    if (strcasecmp(r->h[i].name, name) == 0) return r->h[i].value;
  return NULL;
}

/* Verifies a signed request, then the same with a wrong secret, an
 * unknown key, a changed body and the clock 16 minutes on. */
static int verify_all(raw *r, int normalize, time_t now, const char *what) {
  sigv4_request q = raw_req(r);
  sigv4_verdict v;
  int ok = sigv4_verify(&q, normalize, lookup, NULL, now, &v) == SIGV4_OK;
  T_OK(ok, "%s: does not verify: %s: %s", what, v.error, v.message);
  g_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ";
  T_OK(sigv4_verify(&q, normalize, lookup, NULL, now, &v) == SIGV4_MISMATCH &&
           strcmp(v.error, "InvalidSignatureException") == 0 &&
           v.http_status == 400,
       "%s: a wrong secret gives %d", what, v.status);
  g_secret = SECRET;
  char bad[65];
  sigv4_sha256_hex("x", 1, bad);
  q.payload_hash = bad;
  T_OK(sigv4_verify(&q, normalize, lookup, NULL, now, &v) == SIGV4_MISMATCH,
       "%s: a changed body gives %d", what, v.status);
  q.payload_hash = r->hash;
  T_OK(sigv4_verify(&q, normalize, lookup, NULL, now + 16 * 60 + 1, &v) ==
           SIGV4_EXPIRED,
       "%s: 16 minutes later gives %d", what, v.status);
  return ok;
}

/* ---- the classic suite: NAME.req -> .creq, .sts, .authz; .sreq ---- */

static int classic_n, classic_ok;

static void classic_case(const char *dir, const char *name) {
  char *p = asl_sprintf("%s/%s.req", dir, name);
  char *text = slurp(p);
  free(p);
  if (!text) return;
  char *want_creq = slurp(p = asl_sprintf("%s/%s.creq", dir, name));
  free(p);
  char *want_sts = slurp(p = asl_sprintf("%s/%s.sts", dir, name));
  free(p);
  char *want_authz = slurp(p = asl_sprintf("%s/%s.authz", dir, name));
  free(p);
  char *sreq = slurp(p = asl_sprintf("%s/%s.sreq", dir, name));
  free(p);
  raw r;
  T_OK(raw_parse_as(&r, text, 1) == 0, "%s: unparsable", name);
  sigv4_request q = raw_req(&r);
  sigv4_creds c = {"AKIDEXAMPLE", SECRET, NULL};
  sigv4_scope s = {"us-east-1", "service", header(&r, "X-Amz-Date")};
  char *creq, *sts;
  char *auth = sigv4_authorization(&q, &c, &s, NULL, 1, &creq, &sts);
  int good = want_creq && strcmp(creq, want_creq) == 0 && want_sts &&
             strcmp(sts, want_sts) == 0 && want_authz &&
             strcmp(auth, want_authz) == 0;
  T_STREQ(creq, want_creq);
  T_STREQ(sts, want_sts);
  T_STREQ(auth, want_authz);
  free(creq);
  free(sts);
  free(auth);
  raw_free(&r);
  /* the signed request, as the suite gives it, verifies */
  raw sr;
  if (sreq && raw_parse_as(&sr, sreq, 1) == 0) {
    g_token = header(&sr, "X-Amz-Security-Token");
    time_t now = sigv4_parse_amz_date(header(&sr, "X-Amz-Date"));
    good &= verify_all(&sr, 1, now, name);
    g_token = NULL;
    raw_free(&sr);
  } else {
    T_OK(0, "%s: no .sreq", name);
    free(sreq);
    good = 0;
  }
  classic_n++;
  classic_ok += good;
  free(want_creq);
  free(want_sts);
  free(want_authz);
}

static void classic_walk(const char *dir) {
  DIR *d = opendir(dir);
  T_OK(d != NULL, "no folder %s", dir);
  if (!d) return;
  struct dirent *e;
  char *names[128];
  int n = 0;
  while ((e = readdir(d)) && n < 128)
    if (e->d_name[0] != '.') names[n++] = asl_strdup(e->d_name);
  closedir(d);
  for (int i = 0; i < n; i++) {
    char *sub = asl_sprintf("%s/%s", dir, names[i]);
    struct stat sb;
    if (stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode)) {
      char *req = asl_sprintf("%s/%s.req", sub, names[i]);
      if (stat(req, &sb) == 0)
        classic_case(sub, names[i]);
      else
        classic_walk(sub);
      free(req);
    }
    free(sub);
    free(names[i]);
  }
}

/* ---- aws-c-auth v4: request.txt + context.json -> header-* and query-* */

static int crt_n, crt_ok;

static char *crt_file(const char *dir, const char *f) {
  char *p = asl_sprintf("%s/%s", dir, f);
  char *s = slurp(p);
  free(p);
  return s;
}

static void crt_case(const char *dir, const char *name) {
  char *ctxs = crt_file(dir, "context.json");
  cJSON *ctx = ctxs ? cJSON_Parse(ctxs) : NULL;
  free(ctxs);
  T_OK(ctx != NULL, "%s: no context.json", name);
  if (!ctx) return;
  cJSON *cr = cJSON_GetObjectItem(ctx, "credentials");
  const char *akid = cJSON_GetObjectItem(cr, "access_key_id")->valuestring;
  const char *secret =
      cJSON_GetObjectItem(cr, "secret_access_key")->valuestring;
  cJSON *tok = cJSON_GetObjectItem(cr, "token");
  const char *token = cJSON_IsString(tok) ? tok->valuestring : NULL;
  int normalize = cJSON_IsTrue(cJSON_GetObjectItem(ctx, "normalize"));
  int sign_body = cJSON_IsTrue(cJSON_GetObjectItem(ctx, "sign_body"));
  int omit = cJSON_IsTrue(cJSON_GetObjectItem(ctx, "omit_session_token"));
  const char *ts = cJSON_GetObjectItem(ctx, "timestamp")->valuestring;
  int expires = cJSON_GetObjectItem(ctx, "expiration_in_seconds")->valueint;
  /* "2015-08-30T12:36:00Z" -> "20150830T123600Z" */
  char amz[17];
  snprintf(amz, sizeof amz, "%.4s%.2s%.2sT%.2s%.2s%.2sZ", ts, ts + 5, ts + 8,
           ts + 11, ts + 14, ts + 17);
  time_t now = sigv4_parse_amz_date(amz);
  sigv4_creds c = {akid, secret, token};
  sigv4_scope s = {cJSON_GetObjectItem(ctx, "region")->valuestring,
                   cJSON_GetObjectItem(ctx, "service")->valuestring, amz};
  g_secret = secret;

  /* header form */
  raw r;
  int good = raw_parse(&r, crt_file(dir, "request.txt")) == 0;
  raw_add(&r, "X-Amz-Date", amz);
  if (token && !omit) raw_add(&r, "X-Amz-Security-Token", token);
  if (sign_body) raw_add(&r, "x-amz-content-sha256", r.hash);
  sigv4_request q = raw_req(&r);
  char *creq, *sts;
  char *auth = sigv4_authorization(&q, &c, &s, NULL, normalize, &creq, &sts);
  char *wc = crt_file(dir, "header-canonical-request.txt");
  char *ws = crt_file(dir, "header-string-to-sign.txt");
  char *wsig = crt_file(dir, "header-signature.txt");
  const char *got_sig = strstr(auth, "Signature=");
  good &= wc && strcmp(creq, wc) == 0 && ws && strcmp(sts, ws) == 0 && wsig &&
          got_sig && strcmp(got_sig + 10, wsig) == 0;
  T_STREQ(creq, wc);
  T_STREQ(sts, ws);
  T_STREQ(got_sig ? got_sig + 10 : NULL, wsig);
  free(creq);
  free(sts);
  free(wc);
  free(ws);
  free(wsig);
  /* the suite's signed request carries the same Authorization, and
     verifies */
  raw sr;
  if (raw_parse(&sr, crt_file(dir, "header-signed-request.txt")) == 0) {
    T_STREQ(header(&sr, "Authorization"), auth);
    good &= header(&sr, "Authorization") &&
            strcmp(header(&sr, "Authorization"), auth) == 0;
    g_token = token;
    good &= verify_all(&sr, normalize, now, name);
    g_token = NULL;
  } else {
    good = 0;
  }
  raw_free(&sr);
  free(auth);
  raw_free(&r);
  crt_n++;
  crt_ok += good;

  /* presigned-query form: the request's own headers are signed */
  good = raw_parse(&r, crt_file(dir, "request.txt")) == 0;
  q = raw_req(&r);
  char *signed_h = sigv4_signed_headers_all(&q);
  char *scope = sigv4_credential_scope(&s);
  asl_buf qs = {0};
  if (r.query) asl_buf_printf(&qs, "%s&", r.query);
  asl_buf_printf(&qs, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=");
  for (const char *p = akid; *p; p++)
    asl_buf_putc(&qs, *p);
  asl_buf_puts(&qs, "%2F");
  for (const char *p = scope; *p; p++)
    if (*p == '/')
      asl_buf_puts(&qs, "%2F");
    else
      asl_buf_putc(&qs, *p);
  asl_buf_printf(&qs, "&X-Amz-Date=%s&X-Amz-SignedHeaders=", amz);
  for (const char *p = signed_h; *p; p++)
    if (*p == ';')
      asl_buf_puts(&qs, "%3B");
    else
      asl_buf_putc(&qs, *p);
  asl_buf_printf(&qs, "&X-Amz-Expires=%d", expires);
  if (token && !omit) asl_buf_printf(&qs, "&X-Amz-Security-Token=%s", token);
  char *query = asl_buf_take(&qs);
  q.query = query;
  creq = sigv4_canonical_request(&q, signed_h, normalize, NULL);
  sts = sigv4_string_to_sign(amz, scope, creq);
  unsigned char key[32];
  char sig[65];
  sigv4_signing_key(secret, "20150830", s.region, s.service, key);
  sigv4_signature(key, sts, sig);
  wc = crt_file(dir, "query-canonical-request.txt");
  ws = crt_file(dir, "query-string-to-sign.txt");
  wsig = crt_file(dir, "query-signature.txt");
  good &= wc && strcmp(creq, wc) == 0 && ws && strcmp(sts, ws) == 0 && wsig &&
          strcmp(sig, wsig) == 0;
  T_STREQ(creq, wc);
  T_STREQ(sts, ws);
  T_STREQ(sig, wsig);
  free(creq);
  free(sts);
  free(wc);
  free(ws);
  free(wsig);
  free(query);
  free(scope);
  free(signed_h);
  raw_free(&r);
  /* the presigned request verifies (a token added after signing is not
     in the signature: services that want that are not ours) */
  if (!omit && raw_parse(&sr, crt_file(dir, "query-signed-request.txt")) == 0) {
    sigv4_request sq = raw_req(&sr);
    sigv4_verdict v;
    g_token = token;
    int ok = sigv4_verify(&sq, normalize, lookup, NULL, now, &v) == SIGV4_OK;
    T_OK(ok, "%s: presigned does not verify: %s", name, v.message);
    T_OK(sigv4_verify(&sq, normalize, lookup, NULL, now + expires + 1, &v) ==
             SIGV4_EXPIRED,
         "%s: presigned past its expiry verifies", name);
    g_token = NULL;
    good &= ok;
    raw_free(&sr);
  }
  crt_n++;
  crt_ok += good;
  g_secret = SECRET;
  cJSON_Delete(ctx);
}

static void crt_walk(const char *dir) {
  DIR *d = opendir(dir);
  T_OK(d != NULL, "no folder %s", dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char *sub = asl_sprintf("%s/%s", dir, e->d_name);
    struct stat sb;
    if (stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode)) crt_case(sub, e->d_name);
    free(sub);
  }
  closedir(d);
}

/* ---- the AWS CLI's and boto3's requests ---- */

static int wire_n, wire_ok, wire_unsigned;
/* The distinct signatures seen (cli_requests.md repeats most of the logs'
 * requests, and holds three of boto3 1.43 the logs do not). */
static char wire_seen[64][65];
static int wire_distinct;

/* Verifies a captured request and signs it again with the same headers:
 * the Authorization must come out byte for byte. */
static void wire_check(raw *r, const char *what) {
  const char *auth = header(r, "Authorization");
  if (!auth) {
    sigv4_request q = raw_req(r);
    sigv4_verdict v;
    T_OK(sigv4_verify(&q, 1, lookup, NULL, time(NULL), &v) == SIGV4_MISSING &&
             v.http_status == 403 &&
             strcmp(v.message, "Missing Authentication Token") == 0,
         "%s: an unsigned request is not MissingAuthenticationToken", what);
    wire_unsigned++;
    return;
  }
  const char *date = header(r, "X-Amz-Date");
  time_t now = sigv4_parse_amz_date(date);
  int good = verify_all(r, 1, now, what);
  /* sign again over the same signed headers */
  const char *sh = strstr(auth, "SignedHeaders="),
             *sg = strstr(auth, ", Signature=");
  const char *cs = strstr(auth, "Credential=");
  good &= sh && sg && cs;
  if (sh && sg && cs) {
    char *signed_h = asl_strndup(sh + 14, (size_t)(sg - sh - 14));
    char region[32] = "", service[32] = "";
    sscanf(cs + 11, "%*[^/]/%*[^/]/%31[^/]/%31[^/]", region, service);
    sigv4_request q = raw_req(r);
    sigv4_creds c = {"AKIDEXAMPLE", SECRET, NULL};
    sigv4_scope s = {region, service, date};
    char *again = sigv4_authorization(&q, &c, &s, signed_h, 1, NULL, NULL);
    T_STREQ(again, auth);
    good &= strcmp(again, auth) == 0;
    free(again);
    free(signed_h);
  }
  const char *sig = strstr(auth, "Signature=");
  int seen = 0;
  for (int i = 0; sig && i < wire_distinct; i++)
    seen |= strcmp(wire_seen[i], sig + 10) == 0;
  if (sig && !seen && wire_distinct < 64)
    snprintf(wire_seen[wire_distinct++], 65, "%s", sig + 10);
  wire_n++;
  wire_ok += good;
}

static void wire_jsonl(const char *path) {
  char *text = slurp(path);
  T_OK(text != NULL, "no %s", path);
  if (!text) return;
  char *save = NULL;
  int line = 0;
  for (char *l = strtok_r(text, "\n", &save); l;
       l = strtok_r(NULL, "\n", &save)) {
    cJSON *d = cJSON_Parse(l);
    line++;
    T_OK(d != NULL, "%s:%d: not JSON", path, line);
    if (!d) continue;
    raw r;
    memset(&r, 0, sizeof r);
    char *rl = asl_strdup(cJSON_GetObjectItem(d, "requestline")->valuestring);
    r.text = rl;
    char *sp = strchr(rl, ' '), *last = strrchr(rl, ' ');
    *sp = 0;
    *last = 0;
    r.method = rl;
    r.path = sp + 1;
    char *q = strchr(r.path, '?');
    if (q) {
      *q = 0;
      r.query = q + 1;
    }
    cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItem(d, "headers")) {
      raw_add(&r, cJSON_GetArrayItem(h, 0)->valuestring,
              cJSON_GetArrayItem(h, 1)->valuestring);
    }
    const char *body = cJSON_GetObjectItem(d, "body")->valuestring;
    sigv4_sha256_hex(body, strlen(body), r.hash);
    char *what = asl_sprintf("%s:%d %s", path, line,
                             cJSON_GetObjectItem(d, "op")->valuestring);
    wire_check(&r, what);
    free(what);
    raw_free(&r);
    cJSON_Delete(d);
  }
  free(text);
}

/* The ```http blocks of cli_requests.md, as the requests arrived. */
static void wire_md(const char *path) {
  char *text = slurp(path);
  T_OK(text != NULL, "no %s", path);
  if (!text) return;
  int n = 0;
  for (char *s = strstr(text, "```http\n"); s; s = strstr(s, "```http\n")) {
    s += 8;
    char *e = strstr(s, "\n```");
    if (!e) break;
    raw r;
    char *what = asl_sprintf("%s block %d", path, ++n);
    T_OK(raw_parse(&r, asl_strndup(s, (size_t)(e - s))) == 0, "%s", what);
    wire_check(&r, what);
    free(what);
    raw_free(&r);
    s = e + 4;
  }
  free(text);
}

/* ---- edge cases the suites do not hold ---- */

static void edges(void) {
  raw r;
  raw_parse(&r, asl_strdup("POST / HTTP/1.1\nHost:127.0.0.1:8083\n"
                           "X-Amz-Date:20261122T011915Z\n\n{}"));
  sigv4_request q = raw_req(&r);
  sigv4_creds c = {"AKIDEXAMPLE", SECRET, NULL};
  sigv4_scope s = {"us-east-1", "states", "20261122T011915Z"};
  char *auth = sigv4_authorization(&q, &c, &s, NULL, 1, NULL, NULL);
  time_t now = sigv4_parse_amz_date("20261122T011915Z");
  sigv4_verdict v;
  /* an unknown key */
  char *other = asl_strdup(auth);
  memcpy(strstr(other, "AKIDEXAMPLE"), "AKIDEXAMPLF", 11);
  raw_add(&r, "Authorization", other);
  q = raw_req(&r);
  T_OK(sigv4_verify(&q, 1, lookup, NULL, now, &v) == SIGV4_UNKNOWN_KEY &&
           strcmp(v.error, "UnrecognizedClientException") == 0 &&
           strcmp(v.message,
                  "The security token included in the request is invalid.") ==
               0,
       "unknown key: %s", v.message);
  T_STREQ(v.access_key, "AKIDEXAMPLF");
  free(other);
  /* the right key: OK; 15 minutes off either way still OK, 16 not */
  free(r.hv[r.nh - 1]);
  r.hv[r.nh - 1] = asl_strdup(auth);
  r.h[r.nh - 1].value = r.hv[r.nh - 1];
  q = raw_req(&r);
  T_OK(sigv4_verify(&q, 1, lookup, NULL, now, &v) == SIGV4_OK, "%s", v.message);
  T_OK(sigv4_verify(&q, 1, lookup, NULL, now + 900, &v) == SIGV4_OK, "%s",
       v.message);
  T_OK(sigv4_verify(&q, 1, lookup, NULL, now - 900, &v) == SIGV4_OK, "%s",
       v.message);
  T_OK(sigv4_verify(&q, 1, lookup, NULL, now + 3600, &v) == SIGV4_EXPIRED,
       "an hour old");
  T_STREQ(v.message, "Signature expired: 20261122T011915Z is now earlier "
                     "than 20261122T020415Z (20261122T021915Z - 15 min.)");
  T_OK(sigv4_verify(&q, 1, lookup, NULL, now - 3600, &v) == SIGV4_EXPIRED,
       "an hour ahead");
  T_STREQ(v.message, "Signature not yet current: 20261122T011915Z is still "
                     "later than 20261122T003415Z (20261122T001915Z + 15 "
                     "min.)");
  /* a token the key does not have */
  g_token = "tok";
  T_OK(sigv4_verify(&q, 1, lookup, NULL, now, &v) == SIGV4_UNKNOWN_KEY,
       "missing token");
  g_token = NULL;
  /* malformed headers */
  const char *bad[] = {
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/states/"
      "aws4_request, SignedHeaders=host;x-amz-date",
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/"
      "aws4_request, SignedHeaders=host, Signature=00",
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/states/"
      "aws4_request, SignedHeaders=x-amz-date, Signature=00",
      "AWS3 Credential=x",
      "",
      "AWS4-HMAC-SHA256 "};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    free(r.hv[r.nh - 1]);
    r.hv[r.nh - 1] = asl_strdup(bad[i]);
    r.h[r.nh - 1].value = r.hv[r.nh - 1];
    q = raw_req(&r);
    T_OK(sigv4_verify(&q, 1, lookup, NULL, now, &v) == SIGV4_INCOMPLETE &&
             v.http_status == 400,
         "[%s] gives %d %s", bad[i], v.status, v.message);
  }
  free(auth);
  raw_free(&r);
  /* amz dates */
  T_OK(sigv4_parse_amz_date("20150830T123600Z") == 1440938160, "epoch");
  T_OK(sigv4_parse_amz_date("20150830T123600") == -1, "short");
  T_OK(sigv4_parse_amz_date("2015083OT123600Z") == -1, "letter");
  char d[17];
  sigv4_amz_date(1440938160, d);
  T_STREQ(d, "20150830T123600Z");
}

T_MAIN("sigv4") {
  classic_walk("tests/fixtures/sigv4/aws-sig-v4-test-suite");
  T_OK(classic_n == 31, "classic cases: %d, want 31", classic_n);
  printf("sigv4: classic suite %d/%d cases reproduced and verified\n",
         classic_ok, classic_n);
  crt_walk("tests/fixtures/sigv4/aws-c-auth-v4");
  T_OK(crt_n == 76, "aws-c-auth forms: %d, want 76", crt_n);
  printf("sigv4: aws-c-auth v4 %d/%d (header + query) reproduced and "
         "verified\n",
         crt_ok, crt_n);
  wire_jsonl("tests/fixtures/aws-wire/awscli-v2-requests.jsonl");
  wire_jsonl("tests/fixtures/aws-wire/awscli-v1-requests.jsonl");
  wire_jsonl("tests/fixtures/aws-wire/boto3-requests.jsonl");
  wire_md("tests/fixtures/aws-wire/cli_requests.md");
  T_OK(wire_n == 41 && wire_distinct == 26 && wire_unsigned == 1,
       "captured: %d signed (%d distinct), %d unsigned", wire_n, wire_distinct,
       wire_unsigned);
  printf("sigv4: captured CLI/boto3 requests %d/%d verified and re-signed "
         "byte for byte (%d distinct; +%d unsigned)\n",
         wire_ok, wire_n, wire_distinct, wire_unsigned);
  edges();
}
