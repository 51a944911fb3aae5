/* sigv4.c: AWS Signature Version 4 (see sigv4.h). */
#include "sigv4.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "../engine/core.h"

static const char hexd[] = "0123456789abcdef";

static void to_hex(const unsigned char *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hexd[b[i] >> 4];
    out[2 * i + 1] = hexd[b[i] & 15];
  }
  out[2 * n] = 0;
}

void sigv4_sha256_hex(const void *data, size_t len, char out[65]) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(data, len, md);
  to_hex(md, sizeof md, out);
}

static void hmac(const unsigned char *key, size_t klen, const char *msg,
                 unsigned char out[32]) {
  unsigned int n = 32;
  HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg),
       out, &n);
}

/* ---- encoding ---- */

static int unreserved(unsigned char c) {
  return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

/* Percent-encodes s[0..n) into b, keeping unreserved characters (and '/'
 * when keep_slash). */
static void uri_encode(asl_buf *b, const char *s, size_t n, int keep_slash) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (unreserved(c) || (keep_slash && c == '/')) {
      asl_buf_putc(b, (char)c);
    } else {
      char e[4] = {'%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15],
                   0};
      asl_buf_add(b, e, 3);
    }
  }
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Percent-decodes s[0..n) (a malformed escape stays as written). New. */
static char *uri_decode(const char *s, size_t n) {
  char *o = asl_malloc(n + 1);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    int h, l;
    if (s[i] == '%' && i + 2 < n && (h = hexval(s[i + 1])) >= 0 &&
        (l = hexval(s[i + 2])) >= 0) {
      o[k++] = (char)(h * 16 + l);
      i += 2;
    } else {
      o[k++] = s[i];
    }
  }
  o[k] = 0;
  return o;
}

/* ---- the canonical path ---- */

/* Removes "." and ".." segments and empty segments, keeping a trailing
 * slash. New string, starting with "/". */
static char *normalize_path(const char *p) {
  size_t n = strlen(p);
  const char **seg = asl_malloc((n + 1) * sizeof *seg);
  size_t *len = asl_malloc((n + 1) * sizeof *len);
  size_t ns = 0;
  const char *s = p;
  while (*s) {
    while (*s == '/')
      s++;
    if (!*s) break;
    const char *e = strchr(s, '/');
    size_t l = e ? (size_t)(e - s) : strlen(s);
    if (l == 1 && s[0] == '.') {
    } else if (l == 2 && s[0] == '.' && s[1] == '.') {
      if (ns) ns--;
    } else {
      seg[ns] = s;
      len[ns++] = l;
    }
    s += l;
  }
  asl_buf b = {0};
  asl_buf_putc(&b, '/');
  for (size_t i = 0; i < ns; i++) {
    if (i) asl_buf_putc(&b, '/');
    asl_buf_add(&b, seg[i], len[i]);
  }
  if (ns && n && p[n - 1] == '/') asl_buf_putc(&b, '/');
  free(seg);
  free(len);
  return asl_buf_take(&b);
}

static void canonical_path(asl_buf *b, const char *path, int normalize) {
  if (!path || !*path) path = "/";
  if (normalize) {
    char *np = normalize_path(path);
    uri_encode(b, np, strlen(np), 1);
    free(np);
  } else {
    uri_encode(b, path, strlen(path), 1);
  }
}

/* ---- the canonical query ---- */

typedef struct qparam {
  char *k, *v; /* encoded */
} qparam;

static int qcmp(const void *a, const void *b) {
  const qparam *x = a, *y = b;
  int c = strcmp(x->k, y->k);
  return c ? c : strcmp(x->v, y->v);
}

/* The query's parameters, decoded then encoded, sorted; skip leaves out a
 * parameter by its decoded name. */
static qparam *parse_query(const char *q, const char *skip, size_t *count) {
  size_t cap = 1;
  for (const char *s = q; s && *s; s++)
    cap += *s == '&';
  qparam *ps = asl_calloc(cap, sizeof *ps);
  size_t n = 0;
  while (q && *q) {
    const char *e = strchr(q, '&');
    size_t l = e ? (size_t)(e - q) : strlen(q);
    if (l) {
      const char *eq = memchr(q, '=', l);
      size_t kl = eq ? (size_t)(eq - q) : l;
      char *k = uri_decode(q, kl);
      char *v = eq ? uri_decode(eq + 1, l - kl - 1) : asl_strdup("");
      if (skip && strcmp(k, skip) == 0) {
        free(k);
        free(v);
      } else {
        asl_buf kb = {0}, vb = {0};
        uri_encode(&kb, k, strlen(k), 0);
        uri_encode(&vb, v, strlen(v), 0);
        free(k);
        free(v);
        ps[n].k = kb.s ? asl_buf_take(&kb) : asl_strdup("");
        ps[n].v = vb.s ? asl_buf_take(&vb) : asl_strdup("");
        n++;
      }
    }
    q += l;
    if (*q == '&') q++;
  }
  qsort(ps, n, sizeof *ps, qcmp);
  *count = n;
  return ps;
}

static void free_query(qparam *ps, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(ps[i].k);
    free(ps[i].v);
  }
  free(ps);
}

/* The decoded value of query parameter name, or NULL. New string. */
static char *query_get(const char *q, const char *name) {
  size_t nl = strlen(name);
  while (q && *q) {
    const char *e = strchr(q, '&');
    size_t l = e ? (size_t)(e - q) : strlen(q);
    const char *eq = memchr(q, '=', l);
    size_t kl = eq ? (size_t)(eq - q) : l;
    char *k = uri_decode(q, kl);
    int hit = strlen(k) == nl && strcmp(k, name) == 0;
    free(k);
    if (hit) return eq ? uri_decode(eq + 1, l - kl - 1) : asl_strdup("");
    q += l;
    if (*q == '&') q++;
  }
  return NULL;
}

/* ---- headers ---- */

/* Appends v trimmed, every run of white space one space. */
static void put_trimmed(asl_buf *b, const char *v) {
  int space = 0, any = 0;
  for (const char *s = v; *s; s++) {
    if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
      space = 1;
    } else {
      if (space && any) asl_buf_putc(b, ' ');
      asl_buf_putc(b, *s);
      space = 0;
      any = 1;
    }
  }
}

static int name_is(const char *a, const char *b, size_t blen) {
  return strlen(a) == blen && strncasecmp(a, b, blen) == 0;
}

static const char *header_get(const sigv4_request *r, const char *name) {
  for (size_t i = 0; i < r->nheaders; i++)
    if (strcasecmp(r->headers[i].name, name) == 0) return r->headers[i].value;
  return NULL;
}

char *sigv4_canonical_request(const sigv4_request *r,
                              const char *signed_headers, int normalize,
                              const char *skip_param) {
  asl_buf b = {0};
  asl_buf_puts(&b, r->method ? r->method : "");
  asl_buf_putc(&b, '\n');
  canonical_path(&b, r->path, normalize);
  asl_buf_putc(&b, '\n');
  size_t nq;
  qparam *ps = parse_query(r->query, skip_param, &nq);
  for (size_t i = 0; i < nq; i++) {
    if (i) asl_buf_putc(&b, '&');
    asl_buf_printf(&b, "%s=%s", ps[i].k, ps[i].v);
  }
  free_query(ps, nq);
  asl_buf_putc(&b, '\n');
  const char *s = signed_headers ? signed_headers : "";
  while (*s) {
    const char *e = strchr(s, ';');
    size_t l = e ? (size_t)(e - s) : strlen(s);
    for (size_t i = 0; i < l; i++)
      asl_buf_putc(&b, (char)tolower((unsigned char)s[i]));
    asl_buf_putc(&b, ':');
    int first = 1;
    for (size_t i = 0; i < r->nheaders; i++)
      if (name_is(r->headers[i].name, s, l)) {
        if (!first) asl_buf_putc(&b, ',');
        put_trimmed(&b, r->headers[i].value ? r->headers[i].value : "");
        first = 0;
      }
    asl_buf_putc(&b, '\n');
    s += l;
    if (*s == ';') s++;
  }
  asl_buf_putc(&b, '\n');
  asl_buf_puts(&b, signed_headers ? signed_headers : "");
  asl_buf_putc(&b, '\n');
  asl_buf_puts(&b, r->payload_hash ? r->payload_hash : "");
  return asl_buf_take(&b);
}

static int strptr_cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

char *sigv4_signed_headers_all(const sigv4_request *r) {
  char **names = asl_calloc(r->nheaders + 1, sizeof *names);
  for (size_t i = 0; i < r->nheaders; i++) {
    names[i] = asl_strdup(r->headers[i].name);
    for (char *p = names[i]; *p; p++)
      *p = (char)tolower((unsigned char)*p);
  }
  qsort(names, r->nheaders, sizeof *names, strptr_cmp);
  asl_buf b = {0};
  asl_buf_puts(&b, "");
  for (size_t i = 0; i < r->nheaders; i++) {
    if (i == 0 || strcmp(names[i], names[i - 1]) != 0) {
      if (b.len) asl_buf_putc(&b, ';');
      asl_buf_puts(&b, names[i]);
    }
  }
  for (size_t i = 0; i < r->nheaders; i++)
    free(names[i]);
  free(names);
  return asl_buf_take(&b);
}

/* ---- string to sign and signature ---- */

char *sigv4_credential_scope(const sigv4_scope *s) {
  return asl_sprintf("%.8s/%s/%s/aws4_request", s->amz_date, s->region,
                     s->service);
}

char *sigv4_string_to_sign(const char *amz_date, const char *scope,
                           const char *creq) {
  char h[65];
  sigv4_sha256_hex(creq, strlen(creq), h);
  return asl_sprintf(SIGV4_ALGORITHM "\n%s\n%s\n%s", amz_date, scope, h);
}

void sigv4_signing_key(const char *secret, const char *date8,
                       const char *region, const char *service,
                       unsigned char key[32]) {
  size_t sl = strlen(secret);
  unsigned char *k0 = asl_malloc(sl + 5);
  memcpy(k0, "AWS4", 4);
  memcpy(k0 + 4, secret, sl);
  unsigned char a[32], b[32];
  hmac(k0, sl + 4, date8, a);
  OPENSSL_cleanse(k0, sl + 4);
  free(k0);
  hmac(a, 32, region, b);
  hmac(b, 32, service, a);
  hmac(a, 32, "aws4_request", key);
  OPENSSL_cleanse(a, sizeof a);
  OPENSSL_cleanse(b, sizeof b);
}

void sigv4_signature(const unsigned char key[32], const char *sts,
                     char out[65]) {
  unsigned char md[32];
  hmac(key, 32, sts, md);
  to_hex(md, 32, out);
}

char *sigv4_authorization(const sigv4_request *r, const sigv4_creds *c,
                          const sigv4_scope *s, const char *signed_headers,
                          int normalize, char **creq_out, char **sts_out) {
  char *signed_h =
      signed_headers ? asl_strdup(signed_headers) : sigv4_signed_headers_all(r);
  char *creq = sigv4_canonical_request(r, signed_h, normalize, NULL);
  char *scope = sigv4_credential_scope(s);
  char *sts = sigv4_string_to_sign(s->amz_date, scope, creq);
  char date8[9];
  snprintf(date8, sizeof date8, "%.8s", s->amz_date);
  unsigned char key[32];
  sigv4_signing_key(c->secret_key, date8, s->region, s->service, key);
  char sig[65];
  sigv4_signature(key, sts, sig);
  OPENSSL_cleanse(key, sizeof key);
  char *auth = asl_sprintf(SIGV4_ALGORITHM
                           " Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                           c->access_key, scope, signed_h, sig);
  if (creq_out)
    *creq_out = creq;
  else
    free(creq);
  if (sts_out)
    *sts_out = sts;
  else
    free(sts);
  free(scope);
  free(signed_h);
  return auth;
}

void sigv4_amz_date(time_t t, char out[17]) {
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

time_t sigv4_parse_amz_date(const char *s) {
  if (!s || strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z') return -1;
  for (int i = 0; i < 15; i++)
    if (i != 8 && !isdigit((unsigned char)s[i])) return -1;
  struct tm tm = {0};
  int v[6];
  const int off[6] = {0, 4, 6, 9, 11, 13}, len[6] = {4, 2, 2, 2, 2, 2};
  for (int i = 0; i < 6; i++) {
    v[i] = 0;
    for (int j = 0; j < len[i]; j++)
      v[i] = v[i] * 10 + (s[off[i] + j] - '0');
  }
  if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 ||
      v[4] > 59 || v[5] > 60)
    return -1;
  tm.tm_year = v[0] - 1900;
  tm.tm_mon = v[1] - 1;
  tm.tm_mday = v[2];
  tm.tm_hour = v[3];
  tm.tm_min = v[4];
  tm.tm_sec = v[5];
  return timegm(&tm);
}

/* ---- verifying ---- */

static sigv4_status fail(sigv4_verdict *v, sigv4_status st, const char *error,
                         int http, const char *fmt, ...) ASL_PRINTF(5, 6);
static sigv4_status fail(sigv4_verdict *v, sigv4_status st, const char *error,
                         int http, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(v->message, sizeof v->message, fmt, ap);
  va_end(ap);
  v->status = st;
  v->error = error;
  v->http_status = http;
  return st;
}

#define MSG_MISMATCH                                                           \
  "The request signature we calculated does not match the signature you "      \
  "provided. Check your AWS Secret Access Key and signing method. Consult "    \
  "the service documentation for details."
#define MSG_BAD_TOKEN "The security token included in the request is invalid."

/* The parts of a signature, from the Authorization header or the query. */
typedef struct parts {
  char *credential, *signed_headers, *signature, *amz_date, *token;
  long long expires; /* presigned only; -1 otherwise */
} parts;

static void parts_free(parts *p) {
  free(p->credential);
  free(p->signed_headers);
  free(p->signature);
  free(p->amz_date);
  free(p->token);
}

/* "Name=value" of the Authorization header's components, or NULL. New. */
static char *auth_param(const char *auth, const char *name) {
  size_t nl = strlen(name);
  const char *s = auth;
  while (*s) {
    while (*s == ' ' || *s == ',')
      s++;
    const char *e = strchr(s, ',');
    size_t l = e ? (size_t)(e - s) : strlen(s);
    if (l > nl && strncmp(s, name, nl) == 0 && s[nl] == '=') {
      size_t vl = l - nl - 1;
      while (vl && s[nl + 1 + vl - 1] == ' ')
        vl--;
      return asl_strndup(s + nl + 1, vl);
    }
    s += l;
  }
  return NULL;
}

/* A copy of v without leading and trailing white space. */
static char *dup_trim(const char *v) {
  while (*v == ' ' || *v == '\t')
    v++;
  size_t n = strlen(v);
  while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
    n--;
  return asl_strndup(v, n);
}

static sigv4_status parse_header_auth(const sigv4_request *r, const char *auth,
                                      parts *p, sigv4_verdict *v) {
  size_t al = strlen(SIGV4_ALGORITHM);
  while (*auth == ' ')
    auth++;
  if (strncmp(auth, SIGV4_ALGORITHM, al) != 0 || auth[al] != ' ')
    return fail(v, SIGV4_INCOMPLETE, "IncompleteSignatureException", 400,
                "Unsupported AWS 'algorithm': the Authorization header must "
                "start with '" SIGV4_ALGORITHM " '");
  const char *rest = auth + al + 1;
  p->credential = auth_param(rest, "Credential");
  p->signed_headers = auth_param(rest, "SignedHeaders");
  p->signature = auth_param(rest, "Signature");
  p->expires = -1;
  if (!p->credential || !p->signed_headers || !p->signature) {
    asl_buf m = {0};
    asl_buf_puts(&m, "");
    if (!p->credential)
      asl_buf_puts(&m, "Authorization header requires 'Credential' "
                       "parameter. ");
    if (!p->signature)
      asl_buf_puts(&m, "Authorization header requires 'Signature' "
                       "parameter. ");
    if (!p->signed_headers)
      asl_buf_puts(&m, "Authorization header requires 'SignedHeaders' "
                       "parameter. ");
    fail(v, SIGV4_INCOMPLETE, "IncompleteSignatureException", 400,
         "%sAuthorization=%.200s", m.s, auth);
    asl_buf_free(&m);
    return SIGV4_INCOMPLETE;
  }
  const char *d = header_get(r, "X-Amz-Date");
  if (!d)
    return fail(v, SIGV4_INCOMPLETE, "IncompleteSignatureException", 400,
                "Authorization header requires existence of either a "
                "'X-Amz-Date' or a 'Date' header. Authorization=%.200s",
                auth);
  p->amz_date = dup_trim(d);
  const char *t = header_get(r, "X-Amz-Security-Token");
  p->token = t ? dup_trim(t) : NULL;
  return SIGV4_OK;
}

static sigv4_status parse_query_auth(const sigv4_request *r, parts *p,
                                     sigv4_verdict *v) {
  char *alg = query_get(r->query, "X-Amz-Algorithm");
  int ok_alg = alg && strcmp(alg, SIGV4_ALGORITHM) == 0;
  free(alg);
  p->credential = query_get(r->query, "X-Amz-Credential");
  p->signed_headers = query_get(r->query, "X-Amz-SignedHeaders");
  p->signature = query_get(r->query, "X-Amz-Signature");
  p->amz_date = query_get(r->query, "X-Amz-Date");
  p->token = query_get(r->query, "X-Amz-Security-Token");
  char *ex = query_get(r->query, "X-Amz-Expires");
  char *end = NULL;
  p->expires = ex ? strtoll(ex, &end, 10) : -1;
  int ok_ex = ex && *ex && !*end && p->expires >= 0 && p->expires <= 604800;
  free(ex);
  if (!ok_alg || !p->credential || !p->signed_headers || !p->signature ||
      !p->amz_date || !ok_ex)
    return fail(v, SIGV4_INCOMPLETE, "IncompleteSignatureException", 400,
                "AWS query-string parameters must include 'X-Amz-Algorithm' "
                "(" SIGV4_ALGORITHM "), 'X-Amz-Credential', 'X-Amz-Date', "
                "'X-Amz-Expires' (0 to 604800), 'X-Amz-SignedHeaders' and "
                "'X-Amz-Signature'.");
  return SIGV4_OK;
}

/* Splits "AKID/DATE/REGION/SERVICE/aws4_request" in place into f[0..4]. */
static int split_credential(char *c, char *f[5]) {
  for (int i = 0; i < 5; i++) {
    f[i] = c;
    char *s = strchr(c, '/');
    if (i < 4) {
      if (!s) return -1;
      *s = 0;
      c = s + 1;
    } else if (s) {
      return -1;
    }
  }
  return strcmp(f[4], "aws4_request") == 0 && strlen(f[1]) == 8 && *f[0] &&
                 *f[2] && *f[3]
             ? 0
             : -1;
}

static int has_signed(const char *list, const char *name) {
  size_t nl = strlen(name);
  const char *s = list;
  while (*s) {
    const char *e = strchr(s, ';');
    size_t l = e ? (size_t)(e - s) : strlen(s);
    if (l == nl && strncmp(s, name, l) == 0) return 1;
    s += l;
    if (*s == ';') s++;
  }
  return 0;
}

static sigv4_status check(const sigv4_request *r, int normalize, parts *p,
                          sigv4_lookup_fn lookup, void *ud, time_t now,
                          sigv4_verdict *v, int presigned) {
  char *cred = asl_strdup(p->credential), *f[5];
  sigv4_status st = SIGV4_OK;
  if (split_credential(cred, f) < 0) {
    st = fail(v, SIGV4_INCOMPLETE, "IncompleteSignatureException", 400,
              "Credential must have exactly 5 slash-delimited elements, "
              "e.g. keyid/date/region/service/term, got '%.200s'",
              p->credential);
    goto out;
  }
  snprintf(v->access_key, sizeof v->access_key, "%s", f[0]);
  time_t t = sigv4_parse_amz_date(p->amz_date);
  if (t == (time_t)-1) {
    st = fail(v, SIGV4_INCOMPLETE, "IncompleteSignatureException", 400,
              "X-Amz-Date must be in the ISO8601 Long Format "
              "\"yyyyMMdd'T'HHmmss'Z'\", got '%.40s'",
              p->amz_date);
    goto out;
  }
  if (strncmp(f[1], p->amz_date, 8) != 0) {
    st = fail(v, SIGV4_MISMATCH, "InvalidSignatureException", 400,
              "Date in Credential scope does not match YYYYMMDD from "
              "ISO-8601 version of date from HTTP: '%.8s' != '%.8s', from "
              "'%.16s'.",
              f[1], p->amz_date, p->amz_date);
    goto out;
  }
  if (!has_signed(p->signed_headers, "host")) {
    st = fail(v, SIGV4_INCOMPLETE, "IncompleteSignatureException", 400,
              "'Host' or ':authority' must be a 'SignedHeader' in the AWS "
              "Authorization.");
    goto out;
  }
  sigv4_known k = {0};
  if (lookup(ud, f[0], &k) < 0 || !k.secret_key) {
    st = fail(v, SIGV4_UNKNOWN_KEY, "UnrecognizedClientException", 400,
              MSG_BAD_TOKEN);
    goto out;
  }
  if ((k.session_token || p->token) &&
      (!k.session_token || !p->token ||
       strcmp(k.session_token, p->token) != 0)) {
    st = fail(v, SIGV4_UNKNOWN_KEY, "UnrecognizedClientException", 400,
              MSG_BAD_TOKEN);
    goto out;
  }
  char nowd[17], edge[17];
  sigv4_amz_date(now, nowd);
  if (presigned) {
    if (now > t + p->expires) {
      char exp[17];
      sigv4_amz_date(t + p->expires, exp);
      st = fail(v, SIGV4_EXPIRED, "InvalidSignatureException", 400,
                "Signature expired: %s is now earlier than %s (%s + %llds)",
                exp, nowd, p->amz_date, (long long)p->expires);
      goto out;
    }
  } else if (t < now - SIGV4_MAX_SKEW) {
    sigv4_amz_date(now - SIGV4_MAX_SKEW, edge);
    st = fail(v, SIGV4_EXPIRED, "InvalidSignatureException", 400,
              "Signature expired: %s is now earlier than %s (%s - 15 min.)",
              p->amz_date, edge, nowd);
    goto out;
  }
  if (t > now + SIGV4_MAX_SKEW) {
    sigv4_amz_date(now + SIGV4_MAX_SKEW, edge);
    st = fail(v, SIGV4_EXPIRED, "InvalidSignatureException", 400,
              "Signature not yet current: %s is still later than %s (%s + "
              "15 min.)",
              p->amz_date, edge, nowd);
    goto out;
  }
  char *creq = sigv4_canonical_request(r, p->signed_headers, normalize,
                                       presigned ? "X-Amz-Signature" : NULL);
  char *scope = asl_sprintf("%s/%s/%s/aws4_request", f[1], f[2], f[3]);
  char *sts = sigv4_string_to_sign(p->amz_date, scope, creq);
  unsigned char key[32];
  sigv4_signing_key(k.secret_key, f[1], f[2], f[3], key);
  char sig[65];
  sigv4_signature(key, sts, sig);
  OPENSSL_cleanse(key, sizeof key);
  if (strlen(p->signature) != 64 || CRYPTO_memcmp(sig, p->signature, 64) != 0)
    st =
        fail(v, SIGV4_MISMATCH, "InvalidSignatureException", 400, MSG_MISMATCH);
  free(creq);
  free(scope);
  free(sts);
out:
  free(cred);
  return st;
}

sigv4_status sigv4_verify(const sigv4_request *r, int normalize,
                          sigv4_lookup_fn lookup, void *ud, time_t now,
                          sigv4_verdict *v) {
  memset(v, 0, sizeof *v);
  const char *auth = header_get(r, "Authorization");
  char *qsig = auth ? NULL : query_get(r->query, "X-Amz-Signature");
  int presigned = qsig != NULL;
  free(qsig);
  if (!auth && !presigned)
    return fail(v, SIGV4_MISSING, "MissingAuthenticationTokenException", 403,
                "Missing Authentication Token");
  parts p = {0};
  sigv4_status st = presigned ? parse_query_auth(r, &p, v)
                              : parse_header_auth(r, auth, &p, v);
  if (st == SIGV4_OK)
    st = check(r, normalize, &p, lookup, ud, now, v, presigned);
  parts_free(&p);
  return st;
}
