/* fake_user.c: the fake-user built-in task (the datafaker seed's
 * generator): one plausible user, the same for the same seed.
 *
 * The event (the binding's "args" laid over the Task's input):
 *   seed    integer >= 0 (or "index", e.g. a Map's $$.Map.Item.Index): the
 *           user is a pure function of it (splitmix64 over the seed);
 *   as_of   "YYYY-MM-DD", default "2026-01-01": the day ages are counted
 *           on (so the user does not change with the clock);
 *   bucket  optional: when given, the user is also written as JSON to
 *           s3://BUCKET/PREFIX/json/<join_date>/<uuid>.json (the bucket is
 *           made when missing);
 *   prefix  default "hdfs/datafaker";
 *   json_path  optional "s3://..." string: where the caller stores the user
 *           (a batch object written after a Map); given, it is the user's
 *           json_path, and bucket is not allowed with it (the user would
 *           be in two places).
 * The result: {uuid, name, email, phone, nationality, address, salary
 * (10000..1000000), age (18..50), dob (the age on as_of is age), join_date
 * (2015-01-01..the day before as_of, never before the 18th birthday),
 * json_path}. Word lists are ours, small and plain. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/json.h"
#include "../../lake/lake.h"
#include "../../lake/parquet.h"
#include "lambda.h"

static const char *const FIRST[] = {
    "Anna",  "Ben",   "Clara", "David",  "Elena",  "Felix", "Grace",  "Hugo",
    "Ines",  "Jonas", "Karin", "Liam",   "Maya",   "Noah",  "Olga",   "Pablo",
    "Quinn", "Rosa",  "Samir", "Tara",   "Umar",   "Vera",  "Walter", "Xenia",
    "Yusuf", "Zoe",   "Amir",  "Bianca", "Carlos", "Dana",  "Emil",   "Fatima"};
static const char *const LAST[] = {
    "Adler",  "Berg",   "Costa",    "Dubois",   "Evans",   "Fischer", "Garcia",
    "Hansen", "Ivanov", "Jensen",   "Kowalski", "Lopez",   "Meyer",   "Novak",
    "Olsen",  "Petrov", "Quintero", "Rossi",    "Schmidt", "Tanaka",  "Urban",
    "Varga",  "Weber",  "Yilmaz",   "Zimmer",   "Moreau",  "Silva",   "Nagy"};
static const struct {
  const char *nat, *code, *cities[4];
} NATS[] = {{"German", "+49", {"Berlin", "Hamburg", "Munich", "Cologne"}},
            {"French", "+33", {"Paris", "Lyon", "Marseille", "Lille"}},
            {"Spanish", "+34", {"Madrid", "Seville", "Valencia", "Bilbao"}},
            {"Italian", "+39", {"Rome", "Milan", "Naples", "Turin"}},
            {"Polish", "+48", {"Warsaw", "Krakow", "Gdansk", "Poznan"}},
            {"Dutch", "+31", {"Amsterdam", "Utrecht", "Rotterdam", "Delft"}},
            {"Portuguese", "+351", {"Lisbon", "Porto", "Braga", "Faro"}},
            {"Swedish", "+46", {"Stockholm", "Malmo", "Uppsala", "Lund"}},
            {"Japanese", "+81", {"Tokyo", "Osaka", "Kyoto", "Sapporo"}},
            {"Brazilian", "+55", {"Recife", "Curitiba", "Salvador", "Belem"}},
            {"Canadian", "+1", {"Toronto", "Ottawa", "Calgary", "Halifax"}},
            {"Indian", "+91", {"Pune", "Chennai", "Jaipur", "Kochi"}}};
static const char *const STREETS[] = {
    "Oak Street",  "Mill Road",  "Station Road",  "Park Avenue",
    "High Street", "Lake Lane",  "Church Way",    "River Walk",
    "Garden Row",  "Hill Close", "Bridge Street", "Market Square"};
static const char *const DOMAINS[] = {"example.com", "example.org",
                                      "example.net", "mail.example"};

#define N(a) (sizeof a / sizeof *a)

static uint64_t next(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/* uniform in lo..hi (inclusive) */
static int64_t pick(uint64_t *s, int64_t lo, int64_t hi) {
  return lo + (int64_t)(next(s) % (uint64_t)(hi - lo + 1));
}

static void day_text(int64_t days, char out[16]) {
  int64_t y;
  unsigned m, d;
  asl_pq_civil_from_days(days, &y, &m, &d);
  snprintf(out, 16, "%04d-%02u-%02u", (int)y, m, d);
}

static asl_builtin_status bad(cJSON **out, const char *msg) {
  *out = cJSON_CreateObject();
  cJSON_AddStringToObject(*out, "errorType", "InvalidArgument");
  cJSON_AddStringToObject(*out, "errorMessage", msg);
  return ASL_BUILTIN_ERROR;
}

static int parse_day(const char *s, int64_t *days) {
  int y, m, d;
  char tail;
  if (!s || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 ||
      m > 12 || d < 1 || d > 31)
    return -1;
  *days = asl_pq_days_from_civil(y, (unsigned)m, (unsigned)d);
  return 0;
}

asl_builtin_status asl_builtin_fake_user(const cJSON *event, double deadline,
                                         cJSON **out) {
  (void)deadline;
  if (!cJSON_IsObject(event)) return bad(out, "the event must be an object");
  const cJSON *sv = asl_json_get(event, "seed");
  if (!sv) sv = asl_json_get(event, "index");
  if (!cJSON_IsNumber(sv) || sv->valuedouble < 0 ||
      sv->valuedouble > 9007199254740991.0 ||
      sv->valuedouble != (double)(int64_t)sv->valuedouble)
    return bad(out, "seed (or index) must be an integer >= 0");
  const cJSON *av = asl_json_get(event, "as_of");
  int64_t as_of = asl_pq_days_from_civil(2026, 1, 1);
  if (av && (!cJSON_IsString(av) || parse_day(av->valuestring, &as_of) < 0))
    return bad(out, "as_of must be a date \"YYYY-MM-DD\"");
  const cJSON *bv = asl_json_get(event, "bucket");
  if (bv && (!cJSON_IsString(bv) || !*bv->valuestring))
    return bad(out, "bucket must be a bucket name");
  const cJSON *pv = asl_json_get(event, "prefix");
  if (pv && !cJSON_IsString(pv)) return bad(out, "prefix must be a string");
  const char *prefix = pv ? pv->valuestring : "hdfs/datafaker";
  const cJSON *jv = asl_json_get(event, "json_path");
  if (jv && (!cJSON_IsString(jv) || strncmp(jv->valuestring, "s3://", 5)))
    return bad(out, "json_path must be an \"s3://BUCKET/KEY\" string");
  if (jv && bv)
    return bad(out, "json_path and bucket exclude each other: bucket writes "
                    "the user to its own object");

  uint64_t s = (uint64_t)sv->valuedouble * 0x2545F4914F6CDD1DULL + 1;
  unsigned char u[16];
  for (int i = 0; i < 16; i += 8) {
    uint64_t r = next(&s);
    memcpy(u + i, &r, 8);
  }
  u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);
  u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
  char uuid[37];
  snprintf(uuid, sizeof uuid,
           "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x"
           "%02x",
           u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
           u[11], u[12], u[13], u[14], u[15]);
  const char *first = FIRST[pick(&s, 0, N(FIRST) - 1)];
  const char *last = LAST[pick(&s, 0, N(LAST) - 1)];
  size_t ni = (size_t)pick(&s, 0, N(NATS) - 1);
  const char *city = NATS[ni].cities[pick(&s, 0, 3)];
  int age = (int)pick(&s, 18, 50);
  /* dob: age full years before as_of, then back up to 364 more days */
  int64_t y;
  unsigned m, d;
  asl_pq_civil_from_days(as_of, &y, &m, &d);
  int64_t birthday =
      asl_pq_days_from_civil(y - age, m, d > 28 && m == 2 ? 28 : d);
  int64_t next_bd =
      asl_pq_days_from_civil(y - age - 1, m, d > 28 && m == 2 ? 28 : d);
  int64_t dob = pick(&s, next_bd + 1, birthday);
  int64_t adult = asl_pq_days_from_civil(y - age + 18, m, 1);
  int64_t lo = asl_pq_days_from_civil(2015, 1, 1);
  if (adult > lo) lo = adult;
  if (lo > as_of - 1) lo = as_of - 1;
  int64_t join = pick(&s, lo, as_of - 1);
  char dobs[16], joins[16];
  day_text(dob, dobs);
  day_text(join, joins);
  char name[80], email[128], phone[40], address[160], lfirst[32], llast[32];
  snprintf(name, sizeof name, "%s %s", first, last);
  snprintf(lfirst, sizeof lfirst, "%s", first);
  snprintf(llast, sizeof llast, "%s", last);
  for (char *c = lfirst; *c; c++)
    if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
  for (char *c = llast; *c; c++)
    if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
  snprintf(email, sizeof email, "%s.%s%d@%s", lfirst, llast,
           (int)pick(&s, 1, 999), DOMAINS[pick(&s, 0, N(DOMAINS) - 1)]);
  snprintf(phone, sizeof phone, "%s %03d %07d", NATS[ni].code,
           (int)pick(&s, 100, 999), (int)pick(&s, 0, 9999999));
  snprintf(address, sizeof address, "%d %s, %s", (int)pick(&s, 1, 250),
           STREETS[pick(&s, 0, N(STREETS) - 1)], city);
  int64_t salary = pick(&s, 10000, 1000000);
  const char *bucket = bv ? bv->valuestring : "datafaker";
  char *key = asl_sprintf("%s%sjson/%s/%s.json", prefix, *prefix ? "/" : "",
                          joins, uuid);
  char *path = jv ? asl_strdup(jv->valuestring)
                 : asl_sprintf("s3://%s/%s", bucket, key);

  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "uuid", uuid);
  cJSON_AddStringToObject(o, "name", name);
  cJSON_AddStringToObject(o, "email", email);
  cJSON_AddStringToObject(o, "phone", phone);
  cJSON_AddStringToObject(o, "nationality", NATS[ni].nat);
  cJSON_AddStringToObject(o, "address", address);
  cJSON_AddNumberToObject(o, "salary", (double)salary);
  cJSON_AddNumberToObject(o, "age", age);
  cJSON_AddStringToObject(o, "dob", dobs);
  cJSON_AddStringToObject(o, "join_date", joins);
  cJSON_AddStringToObject(o, "json_path", path);
  free(path);
  if (bv) {
    char *j = cJSON_PrintUnformatted(o);
    char *root = asl_lake_root();
    asl_error e = {0};
    int rc = asl_lake_put(root, bucket, key, j, strlen(j), NULL, &e);
    if (rc < 0 && e.name && !strcmp(e.name, "NoSuchBucket")) {
      asl_error_clear(&e);
      asl_lake_make_bucket(root, bucket, &e);
      asl_error_clear(&e);
      rc = asl_lake_put(root, bucket, key, j, strlen(j), NULL, &e);
    }
    cJSON_free(j);
    free(root);
    if (rc < 0) {
      cJSON_Delete(o);
      free(key);
      *out = cJSON_CreateObject();
      cJSON_AddStringToObject(*out, "errorType", e.name ? e.name : "Error");
      cJSON_AddStringToObject(*out, "errorMessage", e.cause ? e.cause : "");
      asl_error_clear(&e);
      return ASL_BUILTIN_ERROR;
    }
  }
  free(key);
  *out = o;
  return ASL_BUILTIN_OK;
}
