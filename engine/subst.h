/* subst.h: the bindings file (docs/bindings.md) and the ${Name} definition
 * substitutions it and `--sub K=V` give, as CreateStateMachine's callers
 * (CloudFormation's DefinitionSubstitutions, SAM, CDK) apply them: in the
 * definition's text, before it is parsed. */
#ifndef ASL_SUBST_H
#define ASL_SUBST_H

#include "core.h"

/* Replaces every ${Name} in text with subs' member Name: a string as it is,
 * a number or boolean as its JSON text. Name is one or more of
 * A-Z a-z 0-9 _ . : / -; "${" not followed by such a name and "}" stays as
 * written, and there is no escape ("$${X}" is "$" then ${X}). One pass: a
 * value's own ${...} stays. subs may be NULL (no substitutions).
 *
 * Returns the new text, or NULL with *msg (new string) naming the first
 * ${Name} subs does not define, or whose value is of another type, and
 * where: "line 3, column 17: ${Bucket} is not defined". */
char *asl_subst_apply(const char *text, const cJSON *subs, char **msg);

/* Adds (or replaces) a string substitution from "K=V", as `--sub` gives
 * it. 0, or -1 with *msg (new string, without kv: the caller names it)
 * when kv has no "=" or K is no valid name. */
int asl_subst_add_kv(cJSON *subs, const char *kv, char **msg);

/* Reads and checks a bindings file. 0 with *out (a new object), or -1 with
 * *msg, a new string "PATH: line L, column C: reason" for bad JSON,
 * "PATH: /Functions/f/timeout: reason" (a JSON Pointer) for a wrong field,
 * "PATH: No such file or directory" for a missing file. Built-in task names
 * are checked by asl_lambda_check_bindings (states/integrations). */
int asl_bindings_load(const char *path, cJSON **out, char **msg);

/* The bindings file beside a definition: "dir/NAME.json" gives
 * "dir/NAME.bindings.json"; a path not ending in ".json" gets
 * ".bindings.json" appended. NULL for NULL or "-" (standard input). New
 * string. */
char *asl_bindings_default_path(const char *def_path);

#endif
