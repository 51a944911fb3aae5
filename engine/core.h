/* core.h: what every engine module shares: errors as values, diagnostics,
 * the evaluation scope, allocation and a growable string buffer.
 *
 * Ownership rule for the whole engine (as jq's jv.h states it once):
 *   - a `const cJSON *` parameter is borrowed; the callee never frees or keeps it;
 *   - a `cJSON **out` result is a new tree owned by the caller;
 *   - a function whose name ends in `_take` takes ownership of its argument.
 *
 * Functions that can fail return int (0 ok, -1 failed) and take an
 * `asl_error *` last. Out-of-memory is not an ASL error: asl_malloc aborts the
 * process with a message, so no caller needs to handle NULL. */
#ifndef ASL_CORE_H
#define ASL_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#if defined(__GNUC__)
#define ASL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ASL_PRINTF(a, b)
#endif

/* ---- allocation: one wrapper, aborts on exhaustion ---- */
void *asl_malloc(size_t n);
void *asl_calloc(size_t n, size_t size);
void *asl_realloc(void *p, size_t n);
char *asl_strdup(const char *s);
char *asl_strndup(const char *s, size_t n);
char *asl_sprintf(const char *fmt, ...) ASL_PRINTF(1, 2);
char *asl_vsprintf(const char *fmt, va_list ap);

/* ---- errors: an ASL error name and a cause, both owned by the struct ---- */
typedef struct asl_error {
  char *name;  /* "States.Runtime", ... ; NULL means no error */
  char *cause; /* free text; may be NULL */
} asl_error;

/* Sets name and a printf-formatted cause (fmt may be NULL), replacing any
 * previous error. Always returns -1 so callers can `return asl_error_set(..)`. */
int asl_error_set(asl_error *e, const char *name, const char *fmt, ...)
    ASL_PRINTF(3, 4);
void asl_error_clear(asl_error *e);
/* Moves src into dst (dst cleared first); src is left empty. */
void asl_error_move(asl_error *dst, asl_error *src);

/* ---- validation diagnostics, in ValidateStateMachineDefinition's shape ---- */
typedef struct asl_diag {
  char *severity; /* "ERROR" or "WARNING" */
  char *code;     /* "SCHEMA_VALIDATION_FAILED", "MISSING_TRANSITION_TARGET", ... */
  char *message;  /* AWS's words, without the " at /loc" suffix */
  char *location; /* JSON Pointer into the definition: "/States/A/Next";
                     NULL where AWS gives none (MISSING_END_STATE) */
} asl_diag;

typedef struct asl_diags {
  asl_diag *v;
  size_t n, cap;
} asl_diags;

void asl_diag_add(asl_diags *d, const char *code, const char *location,
                  const char *fmt, ...) ASL_PRINTF(4, 5);
void asl_diag_warn(asl_diags *d, const char *code, const char *location,
                   const char *fmt, ...) ASL_PRINTF(4, 5);
size_t asl_diag_errors(const asl_diags *d);
void asl_diags_free(asl_diags *d);
/* AWS's InvalidDefinition text: "Invalid State Machine Definition:
 * 'CODE: message at /loc, CODE: message at /loc'". New string. */
char *asl_diags_message(const asl_diags *d);

/* ---- evaluation scope: what "$", "$$" and "$name" mean right now ---- */
typedef struct asl_scope {
  const cJSON *input;   /* "$": the effective input of the step */
  const cJSON *context; /* "$$": the context object, or NULL: context_fn */
  /* Builds the context object on demand (most steps never read "$$"). */
  const cJSON *(*context_fn)(void *ud);
  void *context_ud;
  /* "$name": a variable's value, or NULL when it is not defined. */
  const cJSON *(*var)(void *ud, const char *name);
  void *var_ud;
  /* 64 random bits (States.UUID, States.MathRandom). NULL means rand(). */
  uint64_t (*rand64)(void *ud);
  void *rand_ud;
} asl_scope;

uint64_t asl_scope_rand64(const asl_scope *s);
/* The context object of s ("$$"), built if need be; NULL when none. */
const cJSON *asl_scope_context(const asl_scope *s);

/* Decimal text of v into buf (>= 21 bytes), NUL-terminated; returns its
 * length. printf is slow in hot loops: this is not. */
size_t asl_fmt_ll(char *buf, long long v);

/* ---- where local state lives ---- */
/* $ASL_HOME when set and not empty, else "./.asl": the folder of asl.db
 * (the store) and lake/ (the local S3). A new string; nothing is created. */
char *asl_home_dir(void);

/* ---- growable string buffer ---- */
typedef struct asl_buf {
  char *s;
  size_t len, cap;
} asl_buf;

void asl_buf_add(asl_buf *b, const char *s, size_t n);
/* Makes room for n more bytes at once. */
void asl_buf_reserve(asl_buf *b, size_t n);
void asl_buf_puts(asl_buf *b, const char *s);
void asl_buf_putc(asl_buf *b, char c);
void asl_buf_printf(asl_buf *b, const char *fmt, ...) ASL_PRINTF(2, 3);
/* Returns the NUL-terminated string (never NULL) and resets the buffer. */
char *asl_buf_take(asl_buf *b);
void asl_buf_free(asl_buf *b);

#endif
