/* path_int.h: JSONPath's private structures, shared by path.c (paths:
 * parsing, evaluation, the API) and path_filter.c (filter expressions
 * "[?( ... )]": their parser, the Java-regex-to-POSIX translation and their
 * evaluation). Only those two files include this; nothing else in engine/
 * or outside it does. The public interface is path.h.
 *
 * A compiled path is a chain of tokens; a TK_FILTER token holds a tree of
 * filter nodes whose operands may be chains themselves. Functions named
 * path_* are defined in path.c, pf_* in path_filter.c. */
#ifndef ASL_PATH_INT_H
#define ASL_PATH_INT_H

#include <regex.h>
#include <stddef.h>

#include "core.h"

#define MAX_NESTING 32 /* filters in filters, '(' and '!' inside filters */

/* ---- compiled form ---- */

enum { TK_NAME, TK_INDEX, TK_SLICE, TK_WILD, TK_SCAN, TK_FILTER, TK_LENGTH };

typedef struct fexpr fexpr;

typedef struct tok {
  int kind;
  char quote; /* TK_NAME: the delimiter, kept for the normalised form */
  size_t n;   /* TK_NAME: names; TK_INDEX: indices */
  char **name;
  int *idx;
  int from, to, has_from, has_to; /* TK_SLICE */
  fexpr *filter;                  /* TK_FILTER */
} tok;

typedef struct chain {
  tok *t;
  size_t n, cap;
  unsigned char *updef; /* updef[i]: the tokens before i are all definite */
  int definite;
  int count_scan; /* "$..a.length()": count the hits of "$..a.*" */
} chain;

enum { FV_LIT, FV_PATH, FV_REGEX };

typedef struct fval {
  int kind;
  int at_doc; /* FV_PATH: starts at "$" (the document), not at "@" */
  chain *path;
  cJSON *lit;
  regex_t re;
} fval;

enum { FE_OR, FE_AND, FE_NOT, FE_EXISTS, FE_CMP };
enum { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_RE, OP_IN, OP_NIN };

struct fexpr {
  int kind, op;
  fexpr *a, *b; /* FE_OR, FE_AND, FE_NOT */
  fval l, r;    /* FE_EXISTS uses l only */
};

/* ---- parsing ---- */

/* One parser per (sub)range of the text; positions are absolute, so the
 * messages of filter sub-paths point into the whole path. */
typedef struct parser {
  const char *s;
  size_t pos, end;
  int flags;
  int depth;   /* filter and parenthesis nesting */
  int *budget; /* tokens and filter nodes left, shared by sub-parsers */
  char **err;  /* the first error, shared by sub-parsers */
} parser;

/* ---- evaluation ---- */

/* What nested evaluations (filter operands) share. */
typedef struct run {
  const cJSON *root; /* "$" inside filters */
  int depth;         /* evaluation frames in use */
} run;

typedef struct ev {
  run *r;
  const chain *c;
  size_t n; /* tokens to run */
  const cJSON **hit;
  size_t nhit, cap;
  cJSON *own;   /* values made here (lengths, merged objects) */
  asl_buf at;   /* the current path in Jayway's form, for messages */
  char *thrown; /* Jayway's exception message: stops the walk */
} ev;

/* ---- defined in path.c ---- */

/* cJSON allocates with malloc: out of memory aborts, as asl_malloc does. */
cJSON *path_must(cJSON *v);
/* Frees a filter tree with its operands (chains, literals, regexes); NULL
 * is a no-op. */
void path_fexpr_free(fexpr *e);

/* Records the first error as "<why> at position N"; returns -1. */
int path_fail(parser *p, size_t at, const char *why);
/* "unexpected character 'c'" (or end of path) at position at; returns -1. */
int path_fail_at(parser *p, size_t at);
/* Whether c is a blank (space, tab, CR, LF). */
int path_is_ws(char c);
/* Whether c is a non-NUL character of set. */
int path_in_set(char c, const char *set);
/* Skips blanks from i: the first position that is not one, or p->end. */
size_t path_skip_ws(const parser *p, size_t i);
/* Index of the quote closing the one at i (backslash escapes); >= end when
 * it is not closed. */
size_t path_skip_quoted(const char *s, size_t i, size_t end);
/* Index of the `close` matching the `open` at i, skipping quoted strings and
 * /regex/ literals as Jayway does; end when there is none. */
size_t path_close_group(const char *s, size_t i, size_t end, char open,
                        char close);
/* A parser for s[b, e) inside p (no flags; same budget, error, depth). */
parser path_sub_parser(const parser *p, size_t b, size_t e);
/* Parses the tokens after a root, up to p->end, into c (zeroed by the
 * caller, freed by it too on failure); 0, or -1 with the error recorded. */
int path_parse_chain(parser *p, chain *c);

/* An evaluation of chain c in run r; the current path starts as "$".
 * path_ev_free releases what it holds (not the documents). */
void path_ev_init(ev *e, run *r, const chain *c);
void path_ev_free(ev *e);
/* Evaluates the whole chain on doc into e's hits (borrowed) or e->thrown;
 * a count_scan chain makes one number. */
void path_run_chain(ev *e, const cJSON *doc);
/* A new array with copies of e's hits, in order. */
cJSON *path_hits_array(const ev *e);

/* ---- defined in path_filter.c ---- */

/* Parses a filter expression from p->pos: kind FE_OR reads "a || b ...",
 * FE_AND "a && b ..." ("&&" binds tighter, both left to right). Returns
 * the tree (free with path_fexpr_free), or NULL with the error recorded.
 * Stops before what it cannot read; the caller checks that p->end is
 * reached. */
fexpr *pf_parse_binary(parser *p, int kind);
/* Does item (the "@") pass filter f? Operand paths starting at "$" read
 * e->r->root; evaluation frames count against e->r->depth. */
int pf_accept(ev *e, const fexpr *f, const cJSON *item);

#endif
