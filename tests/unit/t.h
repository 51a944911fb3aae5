/* t.h: the unit-test harness. Each tests/unit/test_*.c is its own program:
 * it includes this header, writes checks with T_OK/T_STREQ/T_JSONEQ, and ends
 * with T_MAIN(name) { ... }. The program prints "<name>: N passed, N failed"
 * and exits non-zero on any failure; `make test` adds the counts up. */
#ifndef ASL_T_H
#define ASL_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static int t_pass, t_fail;

#define T_OK(cond, ...)                                                        \
  do {                                                                         \
    if (cond) {                                                                \
      t_pass++;                                                                \
    } else {                                                                   \
      t_fail++;                                                                \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                     \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
    }                                                                          \
  } while (0)

#define T_STREQ(got, want)                                                     \
  do {                                                                         \
    const char *t_g_ = (got), *t_w_ = (want);                                  \
    T_OK(t_g_ && t_w_ ? strcmp(t_g_, t_w_) == 0 : t_g_ == t_w_,                \
         "%s: got [%s], want [%s]", #got, t_g_ ? t_g_ : "(null)",              \
         t_w_ ? t_w_ : "(null)");                                              \
  } while (0)

/* Compares a cJSON value with the JSON text want, by compact printing. */
#define T_JSONEQ(got, want)                                                    \
  do {                                                                         \
    cJSON *t_w_ = cJSON_Parse(want);                                           \
    char *t_gs_ = (got) ? cJSON_PrintUnformatted(got) : NULL;                  \
    char *t_ws_ = t_w_ ? cJSON_PrintUnformatted(t_w_) : NULL;                  \
    T_OK(t_gs_ && t_ws_ && strcmp(t_gs_, t_ws_) == 0, "%s: got %s, want %s",  \
         #got, t_gs_ ? t_gs_ : "(null)", want);                                \
    free(t_gs_);                                                               \
    free(t_ws_);                                                               \
    cJSON_Delete(t_w_);                                                        \
  } while (0)

#define T_MAIN(name)                                                           \
  static void t_body(void);                                                    \
  int main(void) {                                                             \
    t_body();                                                                  \
    printf("%s: %d passed, %d failed\n", name, t_pass, t_fail);                \
    return t_fail ? 1 : 0;                                                     \
  }                                                                            \
  static void t_body(void)

#endif
