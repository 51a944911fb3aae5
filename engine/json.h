/* json.h: cJSON helpers the engine needs beyond cJSON itself: parsing with a
 * line and column on error, compact printing as AWS prints payloads, deep
 * equality by value, and type names. */
#ifndef ASL_JSON_H
#define ASL_JSON_H

#include <stddef.h>

#include "core.h"

/* Parses len bytes of text as one JSON value (trailing whitespace allowed).
 * On failure returns NULL and, when msg is not NULL, sets *msg to a new string
 * "line L, column C: reason". Nesting deeper than ASL_JSON_MAX_DEPTH fails
 * cleanly. */
cJSON *asl_json_parse(const char *text, size_t len, char **msg);

/* Nonzero when cJSON allocates through hooks other than malloc (set by
 * asl_pool_install): cJSON's printed text must then be copied to be
 * free()d. */
extern int asl_json_malloc_hooks;

/* Compact text of v (no spaces), as AWS writes payloads. New string, to be
 * free()d. */
char *asl_json_print(const cJSON *v);

/* Byte length of asl_json_print(v): the payload size AWS limits. */
size_t asl_json_size(const cJSON *v);

/* Is asl_json_size(v) <= max? Counts without printing, and stops as soon
 * as the count passes max. */
int asl_json_size_within(const cJSON *v, size_t max);

/* As asl_json_size_within, and when within, *bound is an upper bound of the
 * printed size (<= max): a cheap one when that is small enough, else the
 * exact size. Lets a caller bound a tree built from checked parts without
 * walking them again. */
int asl_json_size_bound(const cJSON *v, size_t max, size_t *bound);

/* Deep equality: numbers by value, objects regardless of key order. */
int asl_json_equal(const cJSON *a, const cJSON *b);

/* "string", "number", "boolean", "null", "object", "array". */
const char *asl_json_type_name(const cJSON *v);

/* A deep copy (never NULL for non-NULL v). */
cJSON *asl_json_dup(const cJSON *v);

/* As asl_json_dup, for a value about to be added under a new name: a
 * scalar is made afresh, without copying its member name (which adding it
 * to an object would free and replace). */
cJSON *asl_json_dup_value(const cJSON *v);

/* Member lookup by exact (case-sensitive) name; NULL when v is no object. */
const cJSON *asl_json_get(const cJSON *obj, const char *name);

/* Is v a number with an integral value that fits in int64? Stores it. */
int asl_json_as_int64(const cJSON *v, long long *out);

#endif
