/* sigv4.h: AWS Signature Version 4 (HMAC-SHA256, OpenSSL), pure functions
 * of a request's parts: the canonical request, the string to sign, the
 * signing key, the signature; signing a request (Authorization header or
 * presigned query) and verifying one, as AWS services do.
 *
 * The rules are AWS's (docs "Create a signed AWS API request", checked
 * byte for byte against AWS's two test suites in tests/fixtures/sigv4/):
 * - the path is URI-encoded once more as given (non-S3 services "double
 *   encode": "/a%20b" signs as "/a%2520b"), after removing "." and ".."
 *   segments and empty segments when normalize is set (every service but
 *   S3);
 * - query parameters are percent-decoded, re-encoded (RFC 3986 unreserved
 *   characters kept), sorted by name then value;
 * - header names are lowercased, values trimmed with runs of white space
 *   (line folds included) made one space, repeated headers joined by ",".
 *
 * No function here reads the clock, the environment or a file; secrets are
 * only hashed, never copied into a returned string. */
#ifndef ASL_SIGV4_H
#define ASL_SIGV4_H

#include <stddef.h>
#include <time.h>

typedef struct sigv4_header {
  const char *name, *value; /* value as received (may hold folds) */
} sigv4_header;

/* One HTTP request as received or about to be sent. */
typedef struct sigv4_request {
  const char *method;
  const char *path;  /* raw, as on the request line, no query; "" is "/" */
  const char *query; /* raw, after '?', or NULL */
  const sigv4_header *headers;
  size_t nheaders;
  const char *payload_hash; /* lowercase hex SHA-256 of the body */
} sigv4_request;

/* What signs a request. token may be NULL. */
typedef struct sigv4_creds {
  const char *access_key, *secret_key, *session_token;
} sigv4_creds;

typedef struct sigv4_scope {
  const char *region, *service;
  const char *amz_date; /* "YYYYMMDDTHHMMSSZ" */
} sigv4_scope;

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
/* AWS's clock-skew window, in seconds either way. */
#define SIGV4_MAX_SKEW (15 * 60)

/* Lowercase hex SHA-256 of data into out (65 bytes with the NUL). */
void sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* The canonical request over the headers named by signed_headers (";"
 * separated, lowercase, sorted as they will appear). skip_param, when
 * not NULL, is a query parameter left out (X-Amz-Signature, when
 * verifying a presigned URL). New string. */
char *sigv4_canonical_request(const sigv4_request *r,
                              const char *signed_headers, int normalize,
                              const char *skip_param);

/* Every header name of r, lowercased, sorted, unique, ";"-joined. New. */
char *sigv4_signed_headers_all(const sigv4_request *r);

/* "DATE/REGION/SERVICE/aws4_request" for amz_date's day. New string. */
char *sigv4_credential_scope(const sigv4_scope *s);

/* "AWS4-HMAC-SHA256\nAMZDATE\nSCOPE\nhex(sha256(creq))". New string. */
char *sigv4_string_to_sign(const char *amz_date, const char *scope,
                           const char *creq);

/* The signing key: HMAC chain over "AWS4"+secret, date (8 digits), region,
 * service, "aws4_request". */
void sigv4_signing_key(const char *secret, const char *date8,
                       const char *region, const char *service,
                       unsigned char key[32]);

/* hex(HMAC(key, sts)) into out. */
void sigv4_signature(const unsigned char key[32], const char *sts,
                     char out[65]);

/* Signs r over the headers signed_headers names (NULL: all of r's
 * headers; the caller adds Host, X-Amz-Date and, for session credentials,
 * X-Amz-Security-Token first) and returns the Authorization header's
 * value. With creq_out/sts_out (may be NULL), the
 * canonical request and string to sign too. New strings. */
char *sigv4_authorization(const sigv4_request *r, const sigv4_creds *c,
                          const sigv4_scope *s, const char *signed_headers,
                          int normalize, char **creq_out, char **sts_out);

/* "YYYYMMDDTHHMMSSZ" of t (UTC) into out (17 bytes). */
void sigv4_amz_date(time_t t, char out[17]);
/* t of an amz date; -1 when s is not one. */
time_t sigv4_parse_amz_date(const char *s);

/* ---- verifying ---- */

/* What a server knows of an access key: its secret and, for temporary
 * credentials, the session token requests must carry. */
typedef struct sigv4_known {
  const char *secret_key, *session_token; /* token may be NULL */
} sigv4_known;

/* Looks up an access key id: 0 with *out filled, -1 for an unknown key. */
typedef int (*sigv4_lookup_fn)(void *ud, const char *access_key,
                               sigv4_known *out);

typedef enum sigv4_status {
  SIGV4_OK = 0,
  SIGV4_MISSING,     /* no Authorization header, no X-Amz-Signature */
  SIGV4_INCOMPLETE,  /* a malformed Authorization or presigned query */
  SIGV4_UNKNOWN_KEY, /* an access key (or session token) not known */
  SIGV4_MISMATCH,    /* the signature is not the one computed */
  SIGV4_EXPIRED      /* more than 15 minutes off now, or past Expires */
} sigv4_status;

/* A verdict: on failure, AWS's error name (as the JSON __type's suffix),
 * message and HTTP status. The message never holds a secret. */
typedef struct sigv4_verdict {
  sigv4_status status;
  const char *error; /* e.g. "InvalidSignatureException"; NULL when OK */
  int http_status;   /* 400 or 403; 0 when OK */
  char message[512];
  char access_key[129]; /* the key the request named, when it named one */
} sigv4_verdict;

/* Verifies r, signed in its Authorization header or as a presigned URL
 * (X-Amz-Signature in the query), at time now; normalize as for every
 * service but S3. Checks, in AWS's order: a signature is there
 * (MissingAuthenticationTokenException, 403), well formed and signing
 * Host (IncompleteSignatureException, 400), the access key and session
 * token are known (UnrecognizedClientException, 400), the date is within
 * 15 minutes of now (or before a presigned URL's expiry) and the
 * signature matches (InvalidSignatureException, 400). Returns v->status. */
sigv4_status sigv4_verify(const sigv4_request *r, int normalize,
                          sigv4_lookup_fn lookup, void *ud, time_t now,
                          sigv4_verdict *v);

#endif
