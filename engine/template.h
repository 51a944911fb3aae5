/* template.h: payload templates (Parameters, ResultSelector, ItemSelector,
 * and JSONPath-mode Assign), compiled once.
 *
 * A template is any JSON value. Inside it, an object member whose name ends
 * in ".$" must have a string value that is a path ("$.x", "$$.x", "$var") or
 * an intrinsic call; at run time the member is renamed without ".$" and its
 * value is what the path or call yields. Everything else is copied as is.
 *
 * Thread safety: a compiled template is immutable. */
#ifndef ASL_TEMPLATE_H
#define ASL_TEMPLATE_H

#include "core.h"

typedef struct asl_template asl_template;

/* Compiles v (borrowed; must outlive the template) found at JSON Pointer loc
 * (e.g. "/States/A/Parameters"). Problems go to d as AWS reports them
 * ("The value for the field 'x.$' must be a valid JSONPath or a valid
 * intrinsic function call"); returns NULL when there was any. */
asl_template *asl_template_compile(const cJSON *v, const char *loc,
                                   asl_diags *d);
void asl_template_free(asl_template *t);

/* Evaluates t in s; *out is a new tree. A path that selects nothing fails
 * with States.Runtime: "The JSONPath '$.x' specified for the field 'k.$'
 * could not be found in the input '<input>'". */
int asl_template_eval(const asl_template *t, const asl_scope *s, cJSON **out,
                      asl_error *err);

/* As asl_template_eval, where s->input is doc, a tree the caller will only
 * delete afterwards: members that are plain paths into doc which no other
 * reference of the template overlaps are moved out of doc instead of
 * copied. doc is left unchanged when the evaluation fails. */
int asl_template_eval_moving(const asl_template *t, const asl_scope *s,
                             cJSON *doc, cJSON **out, asl_error *err);

/* Whether asl_template_eval_moving can move anything for t. */
int asl_template_can_move(const asl_template *t);

/* The source value the template was compiled from. */
const cJSON *asl_template_source(const asl_template *t);

#endif
