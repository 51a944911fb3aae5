/* jsonata.h: JSONata 2.0.6 (as AWS Step Functions runs it) in C.
 *
 * An expression is compiled once (jsonata_compile) and evaluated any number
 * of times (jsonata_evaluate), from any number of threads at once: a compiled
 * expression is read-only after compilation; every evaluation works in its
 * own arena, freed before it returns.
 *
 * Values at the boundary are cJSON. NULL means JSONata "undefined" (no
 * value), which differs from a cJSON null. Like Step Functions, the library
 * leaves out $eval and adds $partition, $range, $hash, $random, $uuid and
 * $parse. Error codes and English messages are jsonata-js 2.0.6's. */
#ifndef ASL_JSONATA_H
#define ASL_JSONATA_H

#include <cjson/cJSON.h>
#include <stddef.h>

typedef struct jsonata jsonata;

/* An error: code ("S0201", "T2001", "D3137", "U1001", ...), character
 * position in the expression (0 when unknown), token (the operator or
 * function name the error is about, "" if none) and the message. */
typedef struct {
  char code[8];
  int position;
  char token[64];
  char message[512];
  int function; /* with code "": the result was a function (undefined) */
} jsonata_error;

/* Bounds on one evaluation. depth bounds nested evaluations (a JSONata
 * recursion deeper than that fails with U1001 "Stack overflow error" rather
 * than exhaust the C stack); time_ms bounds the wall-clock time (U1001 too).
 * 0 means the default: depth 10000, time unbounded. */
typedef struct {
  int depth;
  long time_ms;
  int full; /* 1: the reference evaluation, for tests that compare: every
             * binding converted at the start, no fast path for $v.a.b */
} jsonata_limits;

/* Compiles text. Returns the expression, or NULL with *err filled (a syntax
 * error S0xxx, or a signature error S04xx). */
jsonata *jsonata_compile(const char *text, jsonata_error *err);

/* Evaluates expr against input (NULL: no input at all; the caller keeps
 * ownership) with extra variables: bindings is a cJSON object whose member k
 * is visible as $k (NULL: none); limits may be NULL. Returns a new cJSON the
 * caller frees, or NULL: then *err->code is "" when the result is undefined,
 * else the error. */
cJSON *jsonata_evaluate(const jsonata *expr, const cJSON *input,
                        const cJSON *bindings, const jsonata_limits *limits,
                        jsonata_error *err);

void jsonata_free(jsonata *expr);

/* The digest behind AWS's $hash (the engine has no crypto of its own; the
 * composition root installs one, cli/hasher.c's libcrypto digest):
 * algorithm is "MD5", "SHA-1", "SHA-256", "SHA-384" or "SHA-512"; writes
 * the lowercase hex digest into hex (>= 129 bytes) and returns 0, or -1 for
 * an unknown algorithm. Without one, $hash fails with D3030. */
typedef int (*jsonata_hasher)(const char *algorithm, const void *data,
                              size_t len, char *hex);
void jsonata_set_hasher(jsonata_hasher h);

/* Formats a double as JavaScript's JSON.stringify does (shortest round-trip,
 * "1e+21" style exponents) into buf (at least 32 bytes). */
void jsonata_number_string(double d, char *buf);

#endif
