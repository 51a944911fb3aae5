/* choice_rule.h: Choice state rules in JSONPath mode, compiled once.
 *
 * A rule is a comparison ({"Variable": "$.x", "NumericEquals": 3}, every
 * operator and its "...Path" variant, the Is* tests, StringMatches with
 * wildcards and escapes) or a combination (And, Or, Not). At the top level
 * of Choices[] a rule also carries "Next", "Assign" and "Comment", which the
 * Choice state reads itself; this module accepts and ignores them there.
 *
 * Thread safety: a compiled rule is immutable. */
#ifndef ASL_CHOICE_RULE_H
#define ASL_CHOICE_RULE_H

#include "../engine/core.h"

typedef struct asl_choice_rule asl_choice_rule;

/* Compiles rule (borrowed). loc is its JSON Pointer ("/States/C/Choices/0");
 * top is nonzero for an element of Choices[]. Problems go to d in AWS's words;
 * returns NULL when there was any. */
asl_choice_rule *asl_choice_rule_compile(const cJSON *rule, const char *loc,
                                         int top, asl_diags *d);

/* Evaluates r in scope s: *matched is 1 or 0. Fails (States.Runtime, AWS's
 * cause) when a "...Path" operand does not exist; a missing Variable is a
 * failure too, except under IsPresent. */
int asl_choice_rule_eval(const asl_choice_rule *r, const asl_scope *s,
                         int *matched, asl_error *err);

void asl_choice_rule_free(asl_choice_rule *r);

/* Parses s as the strict RFC3339 timestamp AWS accepts:
 * "YYYY-MM-DDTHH:MM:SS", an optional fraction of 1 to 9 digits, then "Z" or
 * an offset "+HH:MM" / "-HH:MM" (at most 18:00). "T" and "Z" are uppercase;
 * a missing offset, a space for "T", day 31 of a 30-day month, hour 24 or
 * second 60 are rejected. Returns 0 and sets *epoch_seconds (the instant,
 * fraction included) when s is one; -1 otherwise. */
int asl_choice_parse_timestamp(const char *s, double *epoch_seconds);

#endif
