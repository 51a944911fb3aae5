/* path.h: JSONPath as AWS Step Functions evaluates it (Jayway JsonPath
 * semantics), compiled once at load time.
 *
 * A path starts at one of three roots:
 *   "$"        the state's input (scope->input)
 *   "$$"       the context object (scope->context)
 *   "$name"    a variable (scope->var(name)); "$name.field[0]" goes below it
 * and continues with ".name", "['name']", "[n]", "[*]", ".*", "..name",
 * "[a,b]", "[start:end:step]", "[?(@.x < 3)]" filters and ".length()".
 *
 * A path is *definite* when it can select at most one value (no wildcard,
 * deep scan, filter, slice or union). A definite path that finds nothing is
 * ASL_PATH_MISSING; an indefinite one yields an array (maybe empty).
 *
 * A *reference path* (ResultPath, and the targets AWS restricts) is a
 * definite path over "$" made only of names and indices.
 *
 * Thread safety: a compiled path is immutable and may be shared by threads. */
#ifndef ASL_PATH_H
#define ASL_PATH_H

#include "core.h"

typedef struct asl_path asl_path;

#define ASL_PATH_MISSING 1

/* Compile flags */
#define ASL_PATH_REFERENCE 1 /* accept only a reference path */
#define ASL_PATH_NO_VARS 2   /* "$name" roots are not allowed */
#define ASL_PATH_NO_CONTEXT 4 /* "$$" roots are not allowed */

/* Compiles text. On error returns NULL and sets *msg (new string) to a short
 * reason. */
asl_path *asl_path_compile(const char *text, int flags, char **msg);
void asl_path_free(asl_path *p);

/* The text as written. */
const char *asl_path_text(const asl_path *p);
int asl_path_is_definite(const asl_path *p);
/* 0 for "$", 1 for "$$", 2 for a variable root. */
int asl_path_root(const asl_path *p);
/* The variable name of a variable root, else NULL. */
const char *asl_path_var(const asl_path *p);

/* Evaluates p in scope s. Returns 0 with *out a new tree; ASL_PATH_MISSING
 * with *out NULL when a definite path selects nothing (missing member, index
 * out of range, step into a non-container, undefined variable). When missing,
 * and jayway_msg is not NULL, *jayway_msg is set to Jayway's message text
 * ("No results for path: $['a']" or "Missing property in path $['a']"),
 * which AWS quotes in some causes. */
int asl_path_eval(const asl_path *p, const asl_scope *s, cJSON **out,
                  char **jayway_msg);

/* The value a simple definite path (names and indices only) selects,
 * borrowed from the scope's documents, or NULL when it selects nothing or
 * the path is of another kind (then use asl_path_eval). No copy is made. */
const cJSON *asl_path_lookup(const asl_path *p, const asl_scope *s);

/* Whether p is a simple definite path: names and indices only, one each
 * step, no .length() count. */
int asl_path_is_simple(const asl_path *p);

/* Whether a and b may select overlapping values: one is a prefix of the
 * other in the same document. 1 whenever either is not simple. */
int asl_path_overlap(const asl_path *a, const asl_path *b);

/* The value simple path p (at least one step) selects in doc, with its
 * container in *parent, writable; NULL when nothing. Ignores p's root. */
cJSON *asl_path_find_mut(const asl_path *p, cJSON *doc, cJSON **parent);

/* Writes value into *root at reference path p, as ResultPath does: creates
 * missing intermediate objects; "$" replaces the root. Takes value. Fails with
 * States.Runtime (cause in AWS's words) when an intermediate is not an object
 * or an index is out of range. */
int asl_path_set_take(const asl_path *p, cJSON **root, cJSON *value,
                      asl_error *err);

/* An upper bound of the bytes by which asl_path_set_take(p, root, value)
 * can make root's printed size exceed (root's size + value's size): the
 * members and objects it may create. SIZE_MAX for a path it refuses. */
size_t asl_path_set_growth(const asl_path *p);

#endif
