/* fuzz_sigv4.c: libFuzzer target for deploy/sigv4's verifier. An input is
 * a raw HTTP request ("METHOD TARGET HTTP/1.1\nName:value\n...\n\nbody").
 * It is verified as received (any verdict, but a well-formed one: a known
 * status, an AWS error name and an HTTP status of 400 or 403), then signed
 * over all its headers with a known key and verified again, which must
 * succeed: whatever the path, query, header names and values, the verifier
 * computes the canonical request the signer did. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../deploy/sigv4.h"
#include "../engine/core.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define MAXH 40
#define NOW 1796160557 /* 2026-12-01 */

static int lookup(void *ud, const char *id, sigv4_known *out) {
  if (strcmp(id, AKID) != 0) return -1;
  out->secret_key = SECRET;
  out->session_token = NULL;
  return 0;
}

/* the input holds the secret (the verdict may echo what the client sent) */
static int g_input_has_secret;

static void check_verdict(sigv4_status st, const sigv4_verdict *v) {
  if (st == SIGV4_OK) {
    if (v->error || v->http_status) abort();
    return;
  }
  if (st > SIGV4_EXPIRED || !v->error ||
      (v->http_status != 400 && v->http_status != 403) ||
      strlen(v->message) >= sizeof v->message)
    abort();
  if (strstr(v->message, SECRET) && !g_input_has_secret)
    abort(); /* never the secret the server knows */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = asl_strndup((const char *)data, size);
  g_input_has_secret = memmem(data, size, SECRET, strlen(SECRET)) != NULL;
  char *body = strstr(text, "\n\n");
  if (body) {
    *body = 0;
    body += 2;
  } else {
    body = "";
  }
  char *line = text, *next = strchr(line, '\n');
  if (next) *next++ = 0;
  char *sp = strchr(line, ' ');
  char *path = sp ? sp + 1 : (char *)"/";
  if (sp) *sp = 0;
  char *end = strrchr(path, ' ');
  if (end) *end = 0;
  char *query = strchr(path, '?');
  if (query) *query++ = 0;
  sigv4_header h[MAXH + 3];
  size_t n = 0;
  for (line = next; line && *line && n < MAXH; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = 0;
    char *c = strchr(line, ':');
    if (!c) continue;
    *c = 0;
    h[n].name = line;
    h[n].value = c + 1;
    n++;
  }
  char hash[65];
  sigv4_sha256_hex(body, strlen(body), hash);
  sigv4_request r = {text, path, query, h, n, hash};
  sigv4_verdict v;
  check_verdict(sigv4_verify(&r, 1, lookup, NULL, NOW, &v), &v);
  check_verdict(sigv4_verify(&r, 0, lookup, NULL, NOW, &v), &v);

  /* sign it ourselves: keep the headers a signer can sign (names without
     ';', ',' or white space; not ours), add Host if missing and X-Amz-Date,
     then verify */
  size_t k = 0;
  int has_host = 0;
  for (size_t i = 0; i < n; i++) {
    const char *nm = h[i].name;
    if (!*nm || strpbrk(nm, ";, \t\r") ||
        strcasecmp(nm, "authorization") == 0 ||
        strcasecmp(nm, "x-amz-date") == 0 ||
        strcasecmp(nm, "x-amz-security-token") == 0)
      continue;
    has_host |= strcasecmp(nm, "host") == 0;
    h[k++] = h[i];
  }
  if (!has_host) h[k++] = (sigv4_header){"Host", "127.0.0.1:8083"};
  char date[17];
  sigv4_amz_date(NOW, date);
  h[k++] = (sigv4_header){"X-Amz-Date", date};
  r.nheaders = k;
  sigv4_creds c = {AKID, SECRET, NULL};
  sigv4_scope s = {"us-east-1", "states", date};
  char *auth = sigv4_authorization(&r, &c, &s, NULL, 1, NULL, NULL);
  h[k++] = (sigv4_header){"Authorization", auth};
  r.nheaders = k;
  /* a presigned-looking query takes precedence only without a header */
  sigv4_status st = sigv4_verify(&r, 1, lookup, NULL, NOW, &v);
  if (st != SIGV4_OK) {
    fprintf(stderr, "signed request does not verify: %s\n", v.message);
    abort();
  }
  free(auth);
  free(text);
  return 0;
}
