/* test_intrinsic.c: the intrinsic functions against AWS's recordings
 * (tests/unit/intrinsic_cases.json, made by gen_intrinsic_cases.py from
 * tests/conformance; run from the repository root) and against hand-written
 * rows for the error paths. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cli/hasher.h"
#include "../../engine/intrinsic.h"
#include "../../engine/json.h"
#include "t.h"

#define CASES_FILE "tests/unit/intrinsic_cases.json"

/* ---- scope: input, context, variables, a repeatable generator ---- */

static uint64_t test_rand(void *ud) {
  uint64_t *x = ud;
  *x ^= *x << 13;
  *x ^= *x >> 7;
  *x ^= *x << 17;
  return *x;
}

static const cJSON *test_var(void *ud, const char *name) {
  return asl_json_get(ud, name);
}

static uint64_t g_rand_state = 0x9E3779B97F4A7C15ULL;

static asl_scope make_scope(const cJSON *input, const cJSON *context,
                            const cJSON *vars) {
  asl_scope s = {0};
  s.input = input;
  s.context = context;
  s.var = test_var;
  s.var_ud = (void *)vars;
  s.rand64 = test_rand;
  s.rand_ud = &g_rand_state;
  return s;
}

/* Compiles and runs call; returns the value or NULL with *err set. A
 * compile failure sets err->name to "compile". */
static cJSON *run(const char *call, const cJSON *input, const cJSON *context,
                  const cJSON *vars, asl_error *err) {
  char *msg = NULL;
  asl_intrinsic *f = asl_intrinsic_compile(call, &msg);
  if (!f) {
    asl_error_set(err, "compile", "%s", msg ? msg : "(no message)");
    free(msg);
    return NULL;
  }
  asl_scope s = make_scope(input, context, vars);
  cJSON *out = NULL;
  if (asl_intrinsic_eval(f, &s, &out, err) != 0) {
    cJSON_Delete(out);
    out = NULL;
  }
  asl_intrinsic_free(f);
  return out;
}

/* ---- matching with the recordings' placeholders ---- */

static int is_uuid_v4(const char *s) {
  static const char shape[] = "xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx";
  if (strlen(s) != sizeof shape - 1) return 0;
  for (size_t i = 0; shape[i]; i++) {
    char c = s[i];
    int hex = isdigit((unsigned char)c) || (c >= 'a' && c <= 'f');
    if (shape[i] == '-' && c != '-') return 0;
    if (shape[i] == 'x' && !hex) return 0;
    if (shape[i] == '4' && c != '4') return 0;
    if (shape[i] == 'V' && !strchr("89ab", c)) return 0;
  }
  return 1;
}

/* Length of a wildcard at w: a "<Placeholder>" or one of the tokens. */
static size_t wildcard_at(const char *w, const cJSON *tokens) {
  if (*w == '<') {
    size_t n = 1;
    while (isalnum((unsigned char)w[n]) || w[n] == '_' || w[n] == ':') n++;
    if (w[n] == '>' && n > 1) return n + 1;
  }
  for (const cJSON *t = tokens ? tokens->child : NULL; t; t = t->next) {
    size_t n = cJSON_IsString(t) ? strlen(t->valuestring) : 0;
    if (n && strncmp(w, t->valuestring, n) == 0) return n;
  }
  return 0;
}

static int glob_match(const char *g, const char *w, const cJSON *tokens) {
  if (!*w) return !*g;
  size_t n = wildcard_at(w, tokens);
  if (n) {
    for (const char *p = g;; p++) {
      if (glob_match(p, w + n, tokens)) return 1;
      if (!*p) return 0;
    }
  }
  return *g == *w && glob_match(g + 1, w + 1, tokens);
}

static int match(const cJSON *got, const cJSON *want, const cJSON *tokens) {
  if (cJSON_IsString(want)) {
    const char *w = want->valuestring;
    for (const cJSON *t = tokens ? tokens->child : NULL; t; t = t->next)
      if (cJSON_IsString(t) && strcmp(w, t->valuestring) == 0) return 1;
    if (strncmp(w, "<uuid:", 6) == 0)
      return cJSON_IsString(got) && is_uuid_v4(got->valuestring);
    return cJSON_IsString(got) && glob_match(got->valuestring, w, tokens);
  }
  if (cJSON_IsArray(want)) {
    if (!cJSON_IsArray(got)) return 0;
    const cJSON *a = got->child, *b = want->child;
    for (; a && b; a = a->next, b = b->next)
      if (!match(a, b, tokens)) return 0;
    return !a && !b;
  }
  if (cJSON_IsObject(want)) {
    if (!cJSON_IsObject(got) ||
        cJSON_GetArraySize(got) != cJSON_GetArraySize(want))
      return 0;
    for (const cJSON *b = want->child; b; b = b->next) {
      const cJSON *a = asl_json_get(got, b->string);
      if (!a || !match(a, b, tokens)) return 0;
    }
    return 1;
  }
  return asl_json_equal(got, want);
}

/* ---- the recorded rows ---- */

static char *read_file(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return NULL;
  asl_buf b = {0};
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0) asl_buf_add(&b, chunk, n);
  fclose(fp);
  *len = b.len;
  return asl_buf_take(&b);
}

static void check_row(const cJSON *row) {
  const char *id = cJSON_GetStringValue(asl_json_get(row, "id"));
  const char *call = cJSON_GetStringValue(asl_json_get(row, "call"));
  const cJSON *tokens = asl_json_get(row, "tokens");
  asl_error err = {0};
  cJSON *got = run(call, asl_json_get(row, "input"),
                   asl_json_get(row, "context"), NULL, &err);
  if (cJSON_IsTrue(asl_json_get(row, "compile_error"))) {
    T_OK(!got && err.name && strcmp(err.name, "compile") == 0,
         "%s: %s should not compile", id, call);
  } else if (asl_json_get(row, "error")) {
    const char *name = cJSON_GetStringValue(asl_json_get(row, "error"));
    const char *cause = cJSON_GetStringValue(asl_json_get(row, "cause"));
    T_OK(!got && err.name && strcmp(err.name, name) == 0 && err.cause &&
             strcmp(err.cause, cause) == 0,
         "%s: %s: got %s: %s, want %s: %s", id, call,
         err.name ? err.name : "-", err.cause ? err.cause : "-", name, cause);
  } else {
    char *g = got ? asl_json_print(got) : NULL;
    char *w = asl_json_print(asl_json_get(row, "expect"));
    T_OK(got && match(got, asl_json_get(row, "expect"), tokens),
         "%s: %s: got %s (%s), want %s", id, call, g ? g : "error",
         err.cause ? err.cause : "", w);
    free(g);
    free(w);
  }
  cJSON_Delete(got);
  asl_error_clear(&err);
}

static void recorded_rows(void) {
  size_t len = 0;
  char *text = read_file(CASES_FILE, &len);
  T_OK(text != NULL, "cannot read %s (run from the repository root)",
       CASES_FILE);
  if (!text) return;
  char *msg = NULL;
  cJSON *doc = asl_json_parse(text, len, &msg);
  T_OK(doc != NULL, "%s: %s", CASES_FILE, msg ? msg : "");
  const cJSON *rows = asl_json_get(doc, "rows");
  T_OK(cJSON_GetArraySize(rows) >= 80, "only %d recorded rows",
       cJSON_GetArraySize(rows));
  T_OK(cJSON_IsString(asl_json_get(doc, "_source")), "no _source");
  for (const cJSON *r = rows ? rows->child : NULL; r; r = r->next)
    check_row(r);
  cJSON_Delete(doc);
  free(msg);
  free(text);
}

/* ---- hand-written rows ----
 * want: the expected JSON value, or NULL for a failure whose cause is
 * "The function '<call>' had the following error: <cause>". */

typedef struct hand_row {
  const char *call;
  const char *input; /* NULL: {} */
  const char *want;
  const char *cause;
} hand_row;

#define INVALID(fn) "Invalid arguments in States." fn

static const hand_row HAND[] = {
    /* States.Format: Java toString of the values */
    {"States.Format('{}|{}|{}|{}', 1.5, 1e20, 0.0001, 123456789.5)", NULL,
     "\"1.5|1.0E20|1.0E-4|1.234567895E8\"", NULL},
    {"States.Format('{} {} {}', -0.5, 7, 0.001)", NULL, "\"-0.5 7 0.001\"",
     NULL},
    {"States.Format('{}|{}|{}', true, null, $.a)", "{\"a\":[1,\"x\",false]}",
     "\"true|null|[1, x, false]\"", NULL},
    {"States.Format('{}', $.o)",
     "{\"o\":{\"a\":1,\"b\":{\"c\":[]},\"d\":\"e\"}}",
     "\"{a=1, b={c=[]}, d=e}\"", NULL},
    {"States.Format('\\{\\} {} it\\'s a\\\\b', 'x')", NULL,
     "\"{} x it's a\\\\b\"", NULL},
    {"States.Format('no placeholders')", NULL, "\"no placeholders\"", NULL},
    {"States.Format($.t, $.n)", "{\"t\":\"Hello {}\",\"n\":1}",
     "\"Hello 1\"", NULL},
    {"States.Format('{} {}', 'x')", NULL, NULL, INVALID("Format")},
    {"States.Format('{}', 'a', 'b')", NULL, NULL, INVALID("Format")},
    {"States.Format('Hello {', 'x')", NULL, NULL, INVALID("Format")},
    {"States.Format('Hello {{}}', 'x')", NULL, NULL, INVALID("Format")},
    {"States.Format('}')", NULL, NULL, INVALID("Format")},
    {"States.Format($.t, 1)", "{\"t\":123}", NULL, INVALID("Format")},
    {"States.Format()", NULL, NULL, INVALID("Format")},
    /* States.StringToJson and States.JsonToString */
    {"States.StringToJson('')", NULL, "null", NULL},
    {"States.StringToJson($.s)", "{\"s\":\" {\\\"a\\\":1} \"}", "{\"a\":1}",
     NULL},
    {"States.StringToJson('\"x\"')", NULL, "\"x\"", NULL},
    {"States.StringToJson('{bad json}')", NULL, NULL, INVALID("StringToJson")},
    {"States.StringToJson('undefined')", NULL, NULL, INVALID("StringToJson")},
    {"States.StringToJson($.n)", "{\"n\":123}", NULL, INVALID("StringToJson")},
    {"States.StringToJson()", NULL, NULL, INVALID("StringToJson")},
    {"States.StringToJson('1', '2')", NULL, NULL, INVALID("StringToJson")},
    {"States.JsonToString($.v)", "{\"v\":{\"a\":[1,2.5,\"x\\n\\u0001\"]}}",
     "\"{\\\"a\\\":[1,2.5,\\\"x\\\\n\\\\u0001\\\"]}\"", NULL},
    {"States.JsonToString($.v)", "{\"v\":1e20}", "\"1.0E20\"", NULL},
    {"States.JsonToString($)", "{\"other\":1}", "\"{\\\"other\\\":1}\"",
     NULL},
    /* States.Array */
    {"States.Array(1, 'a', true, null, $.o, States.Array())",
     "{\"o\":{\"k\":1}}", "[1,\"a\",true,null,{\"k\":1},[]]", NULL},
    /* States.ArrayPartition: the size is truncated */
    {"States.ArrayPartition($.a, 2.6)", "{\"a\":[1,2,3,4,5]}",
     "[[1,2],[3,4],[5]]", NULL},
    {"States.ArrayPartition($.a, 2147483647)", "{\"a\":[1,2,3]}", "[[1,2,3]]",
     NULL},
    {"States.ArrayPartition($.a, 0.6)", "{\"a\":[1]}", NULL,
     INVALID("ArrayPartition")},
    {"States.ArrayPartition($.a, -1)", "{\"a\":[1]}", NULL,
     INVALID("ArrayPartition")},
    {"States.ArrayPartition('x', 2)", NULL, NULL, INVALID("ArrayPartition")},
    {"States.ArrayPartition($.a, '2')", "{\"a\":[1]}", NULL,
     INVALID("ArrayPartition")},
    {"States.ArrayPartition($.a)", "{\"a\":[1]}", NULL,
     INVALID("ArrayPartition")},
    /* States.ArrayContains: Java toString equality */
    {"States.ArrayContains($.a, $.t)", "{\"a\":[{\"a\":1,\"b\":2}],"
     "\"t\":{\"b\":2,\"a\":1}}", "false", NULL},
    {"States.ArrayContains($.a, $.t)", "{\"a\":[{\"a\":1}],\"t\":{\"a\":1}}",
     "true", NULL},
    {"States.ArrayContains($.a, true)", "{\"a\":[\"true\"]}", "true", NULL},
    {"States.ArrayContains($.a, false)", "{\"a\":[0,1,-1]}", "false", NULL},
    {"States.ArrayContains('x', 'x')", NULL, NULL, INVALID("ArrayContains")},
    {"States.ArrayContains($.a, 2, 3)", "{\"a\":[2]}", NULL,
     INVALID("ArrayContains")},
    /* States.ArrayRange: truncated bounds, inclusive, at most 1000 */
    {"States.ArrayRange(1, 9, 2)", NULL, "[1,3,5,7,9]", NULL},
    {"States.ArrayRange(5, 1, -2)", NULL, "[5,3,1]", NULL},
    {"States.ArrayRange(5, 1, 1)", NULL, "[]", NULL},
    {"States.ArrayRange(3, 3, -1)", NULL, "[3]", NULL},
    {"States.ArrayRange(1.6, 1.4, 1)", NULL, "[1]", NULL},
    {"States.ArrayRange(5.4, -0.6, -2.4)", NULL, "[5,3,1]", NULL},
    {"States.ArrayLength(States.ArrayRange(1, 1000, 1))", NULL, "1000", NULL},
    {"States.ArrayLength(States.ArrayRange(1000, 1, -1))", NULL, "1000",
     NULL},
    {"States.ArrayRange(1, 1001, 1)", NULL, NULL, INVALID("ArrayRange")},
    {"States.ArrayRange(1001, 1, -1)", NULL, NULL, INVALID("ArrayRange")},
    {"States.ArrayRange(-2147483648, 2147483647, 1)", NULL, NULL,
     INVALID("ArrayRange")},
    {"States.ArrayRange(1, 10, 0)", NULL, NULL, INVALID("ArrayRange")},
    {"States.ArrayRange(1, 10, 0.49)", NULL, NULL, INVALID("ArrayRange")},
    {"States.ArrayRange('a', 5, 1)", NULL, NULL, INVALID("ArrayRange")},
    {"States.ArrayRange(1, 5)", NULL, NULL, INVALID("ArrayRange")},
    /* States.ArrayGetItem */
    {"States.ArrayGetItem($.a, 1.2)", "{\"a\":[10,20,30]}", "20", NULL},
    {"States.ArrayGetItem($.a, 999)", "{\"a\":[]}", "null", NULL},
    {"States.ArrayGetItem($.a, 3)", "{\"a\":[10,20,30]}", NULL,
     INVALID("ArrayGetItem")},
    {"States.ArrayGetItem($.a, -1)", "{\"a\":[10,20,30]}", NULL,
     INVALID("ArrayGetItem")},
    {"States.ArrayGetItem('x', 0)", NULL, NULL, INVALID("ArrayGetItem")},
    {"States.ArrayGetItem($.a, '1')", "{\"a\":[1,2]}", NULL,
     INVALID("ArrayGetItem")},
    /* States.ArrayLength and States.ArrayUnique */
    {"States.ArrayLength('x')", NULL, NULL, INVALID("ArrayLength")},
    {"States.ArrayLength($.o)", "{\"o\":{\"k\":1}}", NULL,
     INVALID("ArrayLength")},
    {"States.ArrayUnique($.a)",
     "{\"a\":[1,1,1.0,\"1\",{\"a\":1,\"b\":2},{\"b\":2,\"a\":1},[1],[1],"
     "null,null,true,true]}",
     "[1,\"1\",{\"a\":1,\"b\":2},[1],null,true]", NULL},
    {"States.ArrayUnique('x')", NULL, NULL, INVALID("ArrayUnique")},
    /* States.Base64Encode and States.Base64Decode */
    {"States.Base64Encode('hello')", NULL, "\"aGVsbG8=\"", NULL},
    {"States.Base64Encode('')", NULL, "\"\"", NULL},
    {"States.Base64Encode($.s)", "{\"s\":\"\\u2713\"}", "\"4pyT\"", NULL},
    {"States.Base64Encode($.s)", "{\"s\":\"\\ud83d\\ude80\"}", "\"8J+agA==\"",
     NULL},
    {"States.Base64Encode($.s)", "{\"s\":\"line1\\nline2\"}",
     "\"bGluZTEKbGluZTI=\"", NULL},
    {"States.Base64Encode(123)", NULL, NULL, INVALID("Base64Encode")},
    {"States.Base64Encode('a', 'b')", NULL, NULL, INVALID("Base64Encode")},
    {"States.Base64Decode('aGVsbG8=')", NULL, "\"hello\"", NULL},
    {"States.Base64Decode('4pyT')", NULL, "\"\\u2713\"", NULL},
    {"States.Base64Decode(' YWJjZA== ')", NULL, "\"abcd\"", NULL},
    {"States.Base64Decode('ab==cd')", NULL, "\"i\"", NULL},
    {"States.Base64Decode('abc')", NULL, "\"i\\ufffd\"", NULL},
    {"States.Base64Decode('IA==')", NULL, "\" \"", NULL},
    {"States.Base64Decode(States.Base64Encode($.s))", "{\"s\":\"round\"}",
     "\"round\"", NULL},
    {"States.Base64Decode($.o)", "{\"o\":{}}", NULL, INVALID("Base64Decode")},
    {"States.Base64Decode()", NULL, NULL, INVALID("Base64Decode")},
    /* States.Hash */
    {"States.Hash('hello', 'MD5')", NULL,
     "\"5d41402abc4b2a76b9719d911017c592\"", NULL},
    {"States.Hash('hello', 'SHA-1')", NULL,
     "\"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d\"", NULL},
    {"States.Hash('', 'SHA-256')", NULL,
     "\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\"",
     NULL},
    {"States.Hash($.s, 'SHA-256')", "{\"s\":\"\\u2713\"}",
     "\"1dabba21cdad44541f6b15796f8d22978fc7ea10c46aeceeeeb66c23b3ac7604\"",
     NULL},
    {"States.Hash(123, 'SHA-256')", NULL,
     "\"a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3\"",
     NULL},
    {"States.Hash('data', 'sha-256')", NULL, NULL, INVALID("Hash")},
    {"States.Hash('data', 'SHA256')", NULL, NULL, INVALID("Hash")},
    {"States.Hash('data', 'MD-5')", NULL, NULL, INVALID("Hash")},
    {"States.Hash('hello', 123)", NULL, NULL, INVALID("Hash")},
    {"States.Hash('hello')", NULL, NULL, INVALID("Hash")},
    {"States.Hash(null, 'MD5')", NULL, NULL, INVALID("Hash")},
    /* States.JsonMerge: shallow only */
    {"States.JsonMerge($.a, $.b, false)",
     "{\"a\":{\"x\":1,\"y\":2},\"b\":{\"y\":3,\"z\":4}}",
     "{\"x\":1,\"y\":3,\"z\":4}", NULL},
    {"States.JsonMerge($.a, $.b, 'false')", "{\"a\":{\"x\":1},\"b\":{}}",
     "{\"x\":1}", NULL},
    {"States.JsonMerge($.a, $.b, true)", "{\"a\":{},\"b\":{}}", NULL,
     INVALID("JsonMerge")},
    {"States.JsonMerge($.a, $.b, false)", "{\"a\":[],\"b\":{}}", NULL,
     INVALID("JsonMerge")},
    {"States.JsonMerge($.a, $.b, false)", "{\"a\":{},\"b\":null}", NULL,
     INVALID("JsonMerge")},
    {"States.JsonMerge($.a, $.b)", "{\"a\":{},\"b\":{}}", NULL,
     INVALID("JsonMerge")},
    /* States.MathRandom: [start, end); seeded as java.util.Random */
    {"States.MathRandom(0, 10, 42)", NULL, "0", NULL},
    {"States.MathRandom(0, 100, 42)", NULL, "30", NULL},
    {"States.MathRandom(1, 100, 42)", NULL, "63", NULL},
    {"States.MathRandom(1, 1)", NULL, NULL, INVALID("MathRandom")},
    {"States.MathRandom(10, 5)", NULL, NULL, INVALID("MathRandom")},
    {"States.MathRandom(1.4, 1.6)", NULL, NULL, INVALID("MathRandom")},
    {"States.MathRandom('a', 10)", NULL, NULL, INVALID("MathRandom")},
    {"States.MathRandom(1, 10, null)", NULL, NULL, INVALID("MathRandom")},
    {"States.MathRandom(1)", NULL, NULL, INVALID("MathRandom")},
    {"States.MathRandom(1, 10, 5, 99)", NULL, NULL, INVALID("MathRandom")},
    /* States.MathAdd: Math.round, 32-bit */
    {"States.MathAdd(1.6, 2.7)", NULL, "5", NULL},
    {"States.MathAdd(0.1, 0.2)", NULL, "0", NULL},
    {"States.MathAdd(2147483646, 1)", NULL, "2147483647", NULL},
    {"States.MathAdd(-2147483647, -1)", NULL, "-2147483648", NULL},
    {"States.MathAdd(States.MathAdd($.x, 1), 2)", "{\"x\":5}", "8", NULL},
    {"States.MathAdd(2147483647, 1)", NULL, NULL, INVALID("MathAdd")},
    {"States.MathAdd(3000000000, 1)", NULL, NULL, INVALID("MathAdd")},
    {"States.MathAdd('a', 1)", NULL, NULL, INVALID("MathAdd")},
    {"States.MathAdd(true, 1)", NULL, NULL, INVALID("MathAdd")},
    {"States.MathAdd(1)", NULL, NULL, INVALID("MathAdd")},
    {"States.MathAdd(1, 2, 999)", NULL, NULL, INVALID("MathAdd")},
    /* States.StringSplit: StringTokenizer */
    {"States.StringSplit('a,,b,', ',')", NULL, "[\"a\",\"b\"]", NULL},
    {"States.StringSplit(',', ',')", NULL, "[]", NULL},
    {"States.StringSplit('', ',')", NULL, "[]", NULL},
    {"States.StringSplit('abc', '')", NULL, "[\"abc\"]", NULL},
    {"States.StringSplit('1a2b3ab4', 'ab')", NULL, "[\"1\",\"2\",\"3\",\"4\"]",
     NULL},
    {"States.StringSplit($.s, $.d)",
     "{\"s\":\"a\\ud83d\\ude00b\\ud83d\\ude00c\",\"d\":\"\\ud83d\\ude00\"}",
     "[\"a\",\"b\",\"c\"]", NULL},
    {"States.StringSplit($.s, $.d)",
     "{\"s\":\"\\ud83d\\ude01\",\"d\":\"\\ud83d\\ude00\"}",
     "[\"\\ud83d\\ude01\"]", NULL},
    {"States.StringSplit($.n, ',')", "{\"n\":123}", NULL,
     INVALID("StringSplit")},
    {"States.StringSplit('a,b', $.d)", "{\"d\":[\",\"]}", NULL,
     INVALID("StringSplit")},
    /* States.UUID */
    {"States.UUID(1)", NULL, NULL, INVALID("UUID")},
    /* Paths that select nothing */
    {"States.Format('{}', $.nope)", "{\"other\":1}", NULL,
     "The JsonPath argument for the field '$.nope' could not be found in "
     "the input '{\"other\":1}'"},
    {"States.Format('{}', States.Format('{}', $.nope))", "{\"other\":1}",
     NULL,
     "The JsonPath argument for the field '$.nope' could not be found in "
     "the input '{\"other\":1}'"},
    {"States.ArrayLength($$.Nope.Deep)", "{\"other\":1}", NULL,
     "The JsonPath argument for the field '$.Nope.Deep' could not be found "
     "in the input '{\"other\":1}'"},
    {"States.Array(1, $undefinedVar)", "{}", NULL,
     "The JsonPath argument for the field '$undefinedVar' could not be "
     "found in the input '{}'"},
    {"States.Format('{}', $.nul)", "{\"nul\":null}", "\"null\"", NULL},
    {"States.Format('{}',$.nope )", "{}", NULL,
     "The JsonPath argument for the field '$.nope' could not be found in "
     "the input '{}'"},
    {"States.Array( $.a , $ )", "{\"a\":1}", "[1,{\"a\":1}]", NULL},
    {"States.ArrayLength($.items[*].nope)", "{\"items\":[1,2]}", "0", NULL},
    {"States.Array($.a['x,y'], $.b[?(@ > 1)])",
     "{\"a\":{\"x,y\":2},\"b\":[1,2,3]}", "[2,[2,3]]", NULL},
    /* Variables and the context object */
    {"States.ArrayLength($list.items)", NULL, "3", NULL},
    {"States.Format('{}-{}', $name, $$.Execution.Name)", NULL, "\"v-exec\"",
     NULL},
    /* Nesting: ten calls deep run */
    {"States.Array(States.Array(States.Array(States.Array(States.Array("
     "States.Array(States.Array(States.Array(States.Array(States.Array("
     "))))))))))",
     NULL, "[[[[[[[[[[]]]]]]]]]]", NULL},
};

static void hand_rows(void) {
  cJSON *vars = cJSON_Parse("{\"list\":{\"items\":[1,2,3]},\"name\":\"v\"}");
  cJSON *ctx = cJSON_Parse("{\"Execution\":{\"Name\":\"exec\"}}");
  for (size_t i = 0; i < sizeof HAND / sizeof *HAND; i++) {
    const hand_row *h = &HAND[i];
    cJSON *in = cJSON_Parse(h->input ? h->input : "{}");
    T_OK(in != NULL, "bad test input %s", h->input);
    asl_error err = {0};
    cJSON *got = run(h->call, in, ctx, vars, &err);
    if (h->want) {
      cJSON *want = cJSON_Parse(h->want);
      char *g = got ? asl_json_print(got) : NULL;
      T_OK(got && want && asl_json_equal(got, want),
           "%s: got %s (%s), want %s", h->call, g ? g : "error",
           err.cause ? err.cause : "", h->want);
      free(g);
      cJSON_Delete(want);
    } else {
      char *cause = asl_sprintf("The function '%s' had the following "
                                "error: %s",
                                h->call, h->cause);
      T_OK(!got && err.name && strcmp(err.name, "States.Runtime") == 0 &&
               err.cause && strcmp(err.cause, cause) == 0,
           "%s: got %s: %s, want %s", h->call, err.name ? err.name : "value",
           err.cause ? err.cause : "", cause);
      free(cause);
    }
    cJSON_Delete(got);
    cJSON_Delete(in);
    asl_error_clear(&err);
  }
  cJSON_Delete(vars);
  cJSON_Delete(ctx);
}

/* ---- load-time errors ---- */

static const char *const BAD[] = {
    "States.Foo()",
    "States.format('x')",
    "States.Format('x'",
    "States.Format('x'))",
    "States.Format('x') extra",
    "States.Format('unterminated)",
    "States.Format('He said, \\\"Hello\\\"')",
    "States.Format('a\\nb')",
    "States.Format('a\\')",
    "States.Array(1.)",
    "States.Array(1x)",
    "States.Array(-)",
    "States.Array(.5)",
    "States.Array(1,)",
    "States.Array(,1)",
    "States.Array(1 2)",
    "States.Array(foo)",
    "States.Array(True)",
    "States.Array(\"x\")",
    "States.Array($.a[)",
    "States.Array(States.Foo())",
    "States.Array",
    "States.Array (1)",
    " States.Array()",
    "$.a",
    "",
    "States.Array(States.Array(States.Array(States.Array(States.Array("
    "States.Array(States.Array(States.Array(States.Array(States.Array("
    "States.Array())))))))))))",
};

static void compile_errors(void) {
  for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
    char *msg = NULL;
    asl_intrinsic *f = asl_intrinsic_compile(BAD[i], &msg);
    T_OK(!f && msg && *msg, "[%s] should not compile", BAD[i]);
    asl_intrinsic_free(f);
    free(msg);
  }
  char *msg = NULL;
  asl_intrinsic *f = asl_intrinsic_compile("States.Foo($.a)", &msg);
  T_OK(!f && msg && strstr(msg, "unknown intrinsic function 'States.Foo'"),
       "unknown function message: %s", msg ? msg : "(none)");
  free(msg);
  f = asl_intrinsic_compile("States.Format('x'", &msg);
  T_OK(!f && msg && strstr(msg, "unbalanced parentheses"),
       "unbalanced message: %s", msg ? msg : "(none)");
  free(msg);
  f = asl_intrinsic_compile(BAD[sizeof BAD / sizeof *BAD - 1], &msg);
  T_OK(!f && msg && strstr(msg, "nested more than 10 deep"),
       "nesting message: %s", msg ? msg : "(none)");
  free(msg);
  f = asl_intrinsic_compile(" States.Array( 1 , 'a' ) ", &msg);
  T_OK(!f, "leading blank accepted");
  free(msg);
  msg = NULL;
  f = asl_intrinsic_compile("States.Array( 1 , 'a' ) ", &msg);
  T_OK(f && !msg, "blanks between tokens: %s", msg ? msg : "");
  T_STREQ(f ? asl_intrinsic_text(f) : NULL, "States.Array( 1 , 'a' ) ");
  asl_intrinsic_free(f);
  free(msg);
}

static void is_call(void) {
  T_OK(asl_intrinsic_is_call("States.Format('x')"), "Format");
  T_OK(asl_intrinsic_is_call("States.Foo("), "any name");
  T_OK(!asl_intrinsic_is_call("$.a"), "path");
  T_OK(!asl_intrinsic_is_call("States.Format"), "no paren");
  T_OK(!asl_intrinsic_is_call("States.(x)"), "no name");
  T_OK(!asl_intrinsic_is_call(NULL), "NULL");
}

/* ---- behaviour that needs more than one row ---- */

static void uuids_and_random(void) {
  asl_error err = {0};
  cJSON *a = run("States.UUID()", NULL, NULL, NULL, &err);
  cJSON *b = run("States.UUID()", NULL, NULL, NULL, &err);
  T_OK(a && cJSON_IsString(a) && is_uuid_v4(a->valuestring), "uuid shape");
  T_OK(a && b && strcmp(a->valuestring, b->valuestring) != 0, "uuid repeat");
  cJSON_Delete(a);
  cJSON_Delete(b);
  int in_range = 1, seen_low = 0, seen_high = 0;
  for (int i = 0; i < 500; i++) {
    cJSON *r = run("States.MathRandom(1.6, 5.4)", NULL, NULL, NULL, &err);
    double d = r ? r->valuedouble : -1;
    in_range &= r && d >= 1 && d < 5 && d == (long)d;
    seen_low |= d == 1;
    seen_high |= d == 4;
    cJSON_Delete(r);
  }
  T_OK(in_range && seen_low && seen_high, "MathRandom spread over [1, 5)");
  asl_error_clear(&err);
}

static void limits(void) {
  char *big = asl_malloc(10002 + 16);
  for (int n = 10000; n <= 10001; n++) {
    memset(big, 'a', (size_t)n);
    big[n] = 0;
    cJSON *in = cJSON_CreateObject();
    cJSON_AddStringToObject(in, "s", big);
    const char *calls[] = {"States.Base64Encode($.s)",
                           "States.Base64Decode($.s)",
                           "States.Hash($.s, 'SHA-256')"};
    for (size_t i = 0; i < 3; i++) {
      asl_error err = {0};
      cJSON *r = run(calls[i], in, NULL, NULL, &err);
      T_OK((r != NULL) == (n == 10000), "%s with %d characters", calls[i], n);
      cJSON_Delete(r);
      asl_error_clear(&err);
    }
    cJSON_Delete(in);
  }
  free(big);
}

static void no_hasher(void) {
  asl_intrinsic_set_hasher(NULL);
  asl_error err = {0};
  cJSON *r = run("States.Hash('x', 'MD5')", NULL, NULL, NULL, &err);
  T_OK(!r && err.cause && strstr(err.cause, "no digest"), "no hasher: %s",
       err.cause ? err.cause : "");
  asl_error_clear(&err);
  asl_cli_hasher_install();
}

T_MAIN("intrinsic") {
  asl_cli_hasher_install();
  recorded_rows();
  hand_rows();
  compile_errors();
  is_call();
  uuids_and_random();
  limits();
  no_hasher();
}
