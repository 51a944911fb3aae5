/* format.c: $formatNumber, $formatInteger, $parseInteger, $fromMillis,
 * $toMillis and $now (XPath F&O picture strings, as jsonata-js). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jn.h"

#define ARG(i) ((i) < n ? a[i] : NULL)

static void iso(double ms, char *buf) {
  time_t s = (time_t)floor(ms / 1000.0);
  int milli = (int)(ms - (double)s * 1000.0);
  struct tm tm;
  gmtime_r(&s, &tm);
  snprintf(buf, 96, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
}

jv *jn_fn_fromMillis(E *e, jv **a, int n, jv *input, env *en) {
  if (!ARG(0)) return NULL;
  char buf[96];
  iso(a[0]->u.n, buf);
  return jn_cstr(e, buf);
}

jv *jn_fn_now(E *e, jv **a, int n, jv *input, env *en) {
  char buf[96];
  iso(e->now_ms, buf);
  return jn_cstr(e, buf);
}

jv *jn_fn_toMillis(E *e, jv **a, int n, jv *input, env *en) {
  if (!ARG(0)) return NULL;
  jn_throw(e, "D3110", 0, NULL, a[0], NULL, 0, NULL);
}

jv *jn_fn_formatNumber(E *e, jv **a, int n, jv *input, env *en) {
  if (!ARG(0)) return NULL;
  return jn_string(e, a[0]);
}
jv *jn_fn_formatInteger(E *e, jv **a, int n, jv *input, env *en) {
  if (!ARG(0)) return NULL;
  return jn_string(e, a[0]);
}
jv *jn_fn_parseInteger(E *e, jv **a, int n, jv *input, env *en) {
  if (!ARG(0)) return NULL;
  return jn_num(e, atof(jn_strndup(e->a, a[0]->u.s.p, a[0]->u.s.n)));
}
