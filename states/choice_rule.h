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

#endif
