/* test_json.c: engine/json.c: located parse errors, the payload size count
 * (checked against cJSON's own printing on random documents), equality. */
#include <stdlib.h>
#include <string.h>

#include "../../engine/json.h"
#include "t.h"

/* A random JSON value, depth-limited, with the characters that escape. */
static cJSON *random_value(unsigned *seed, int depth) {
  int kind = rand_r(seed) % (depth > 3 ? 4 : 6);
  static const char alphabet[] = "ab\"\\\n\t\x01\x1f/ \xc3\xa9z09";
  switch (kind) {
  case 0: return cJSON_CreateNumber((double)(rand_r(seed) % 200000) - 1e5);
  case 1: {
    double d = (double)rand_r(seed) / RAND_MAX * 1e6 - 5e5;
    if (rand_r(seed) % 2) d = (double)(rand_r(seed) % 10000) / 100.0;
    if (rand_r(seed) % 5 == 0) d *= 1e-9;
    return cJSON_CreateNumber(d);
  }
  case 2: {
    char s[40];
    int n = rand_r(seed) % 39;
    for (int i = 0; i < n; i++)
      s[i] = alphabet[rand_r(seed) % (sizeof alphabet - 1)];
    s[n] = 0;
    return cJSON_CreateString(s);
  }
  case 3: return rand_r(seed) % 3 ? cJSON_CreateBool(rand_r(seed) % 2)
                                 : cJSON_CreateNull();
  case 4: {
    cJSON *a = cJSON_CreateArray();
    for (int i = rand_r(seed) % 5; i > 0; i--)
      cJSON_AddItemToArray(a, random_value(seed, depth + 1));
    return a;
  }
  default: {
    cJSON *o = cJSON_CreateObject();
    for (int i = rand_r(seed) % 5; i > 0; i--) {
      char k[8] = {'k', (char)('a' + i), '"', '\n', 0};
      cJSON_AddItemToObject(o, k, random_value(seed, depth + 1));
    }
    return o;
  }
  }
}

T_MAIN("json") {
  /* parse errors carry line and column */
  static const struct {
    const char *text, *want;
  } bad[] = {
      {"", "line 1, column 1: unexpected end of input"},
      {"{\"a\": 1,\n  \"b\": }", "line 2, column 8"},
      {"[1, 2", "line 1, column"},
      {"{\"a\":1} x", "unexpected data after the JSON value"},
      {"nul", "line 1"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *msg = NULL;
    cJSON *v = asl_json_parse(bad[i].text, strlen(bad[i].text), &msg);
    T_OK(!v && msg && strstr(msg, bad[i].want), "parse [%s]: %s",
         bad[i].text, msg ? msg : "(accepted)");
    cJSON_Delete(v);
    free(msg);
  }
  char *deep = malloc(200001);
  memset(deep, '[', 100000);
  memset(deep + 100000, ']', 100000);
  deep[200000] = 0;
  char *msg = NULL;
  T_OK(!asl_json_parse(deep, 200000, &msg) && msg &&
           strstr(msg, "nesting too deep"),
       "100,000-deep nesting: %s", msg ? msg : "(accepted)");
  free(msg);
  free(deep);

  /* the size count equals cJSON's printed length, on 3,000 documents */
  unsigned seed = 12345;
  int size_ok = 1;
  for (int i = 0; i < 3000; i++) {
    cJSON *v = random_value(&seed, 0);
    char *p = cJSON_PrintUnformatted(v);
    size_t n = strlen(p);
    if (!asl_json_size_within(v, n) || (n && asl_json_size_within(v, n - 1))) {
      T_OK(0, "size of %s: not %zu", p, n);
      size_ok = 0;
    }
    T_OK(asl_json_size(v) == n, "asl_json_size");
    char *mine = asl_json_print(v);
    T_OK(strcmp(mine, p) == 0, "asl_json_print %s, cJSON %s", mine, p);
    free(mine);
    free(p);
    cJSON_Delete(v);
    if (!size_ok) break;
  }
  T_OK(size_ok, "size count matches printing");

  /* asl_json_print writes numbers as cJSON does, at every edge */
  static const double nums[] = {
      0.0, -0.0, 1, -1, 2147483647.0, 2147483648.0, -2147483648.0,
      -2147483649.0, 1e10, 123456789012345.0, 999999999999999.0, 1e15,
      1234567890123456.0, 1e16, 9007199254740993.0, 1e21, 1e300, -1e300,
      0.1, 0.2, 1.0 / 3, 3.25, -2.5e-7, 1e-300, 5e-324, 1.7976931348623157e308,
      0.1 + 0.2, 100.5, 4.35, 2.675};
  for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
    cJSON *v = cJSON_CreateNumber(nums[i]);
    char *want = cJSON_PrintUnformatted(v), *got = asl_json_print(v);
    T_OK(strcmp(got, want) == 0, "number %.17g: %s, cJSON %s", nums[i], got,
         want);
    T_OK(asl_json_size(v) == strlen(want), "size of %s", want);
    free(want);
    free(got);
    cJSON_Delete(v);
  }
  cJSON *odd = cJSON_CreateObject();
  cJSON_AddItemToObject(odd, "k\"\\\x01\x7f\xc3\xa9/",
                        cJSON_CreateString("\b\f\n\r\t\x1f\x0b"));
  cJSON_AddItemToObject(odd, "raw", cJSON_CreateRaw("[1, 2]"));
  cJSON_AddItemToObject(odd, "e", cJSON_CreateArray());
  cJSON_AddItemToObject(odd, "o", cJSON_CreateObject());
  char *want = cJSON_PrintUnformatted(odd), *got = asl_json_print(odd);
  T_STREQ(got, want);
  free(want);
  free(got);
  cJSON_Delete(odd);

  /* equality: numbers by value, objects in any order */
  cJSON *a = cJSON_Parse("{\"x\":1,\"y\":[1,2.0,{\"z\":null}]}");
  cJSON *b = cJSON_Parse("{\"y\":[1.0,2,{\"z\":null}],\"x\":1.0}");
  cJSON *c = cJSON_Parse("{\"y\":[1,2,{\"z\":false}],\"x\":1}");
  T_OK(asl_json_equal(a, b), "equal in any key order");
  T_OK(!asl_json_equal(a, c), "null is not false");
  cJSON_Delete(a);
  cJSON_Delete(b);
  cJSON_Delete(c);
}
