/* intrinsic.h: the 18 intrinsic functions of ASL (States.Format,
 * States.StringToJson, States.JsonToString, States.Array,
 * States.ArrayPartition, States.ArrayContains, States.ArrayRange,
 * States.ArrayGetItem, States.ArrayLength, States.ArrayUnique,
 * States.Base64Encode, States.Base64Decode, States.Hash, States.JsonMerge,
 * States.MathRandom, States.MathAdd, States.StringSplit, States.UUID),
 * parsed once at load time and evaluated in a scope.
 *
 * Arguments are string literals in single quotes (with \' \{ \} \\ escapes),
 * numbers, true/false/null, paths ("$.x", "$$.x", "$var.x") and nested calls
 * (at most ASL_MAX_INTRINSIC_NESTING deep).
 *
 * Runtime failures are States.IntrinsicFailure errors with AWS's cause text.
 * States.Hash needs a digest, which the engine does not implement: the
 * composition root registers one with asl_intrinsic_set_hasher(). */
#ifndef ASL_INTRINSIC_H
#define ASL_INTRINSIC_H

#include "core.h"

typedef struct asl_intrinsic asl_intrinsic;

/* Does text look like an intrinsic call ("States.Name(...")? Used to decide
 * between a path and a call for ".$" fields. */
int asl_intrinsic_is_call(const char *text);

/* Compiles text. On error returns NULL and sets *msg to a new string. */
asl_intrinsic *asl_intrinsic_compile(const char *text, char **msg);
void asl_intrinsic_free(asl_intrinsic *f);
const char *asl_intrinsic_text(const asl_intrinsic *f);

/* Evaluates f; on success *out is a new tree. */
int asl_intrinsic_eval(const asl_intrinsic *f, const asl_scope *s, cJSON **out,
                       asl_error *err);

/* Digest for States.Hash: algorithm is "MD5", "SHA-1", "SHA-256", "SHA-384"
 * or "SHA-512"; writes the lowercase hex digest into hex (>= 129 bytes) and
 * returns 0, or -1 for an unknown algorithm. */
typedef int (*asl_hasher)(const char *algorithm, const void *data, size_t len,
                          char *hex);
void asl_intrinsic_set_hasher(asl_hasher h);

#endif
