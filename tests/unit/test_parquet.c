/* test_parquet.c: the Parquet codec (lake/parquet.c) against itself and
 * against broken files: round trips of every written type through every
 * codec, page version, dictionary setting and null pattern over several row
 * groups; the statistics the writer records; the writer's memory staying
 * bounded by a row group over 2 million rows; malformed files (bad magic,
 * truncated footer, garbled thrift, a page whose size lies, a dictionary
 * index out of range, random corruption) failing with a message that names
 * the place; values the writer refuses. */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../lake/parquet.h"

#include "t.h"

static char g_dir[] = "/tmp/asl_pq_XXXXXX";

/* ---- the test schema: one column per written type ---- */
enum { NCOL = 15 };
static asl_pq_column g_cols[NCOL] = {
    {"b", ASL_PQ_BOOLEAN, ASL_PQ_L_NONE, 0, 0, 0, 1},
    {"i32", ASL_PQ_INT32, ASL_PQ_L_NONE, 0, 0, 0, 1},
    {"i64", ASL_PQ_INT64, ASL_PQ_L_NONE, 0, 0, 0, 0},
    {"f", ASL_PQ_FLOAT, ASL_PQ_L_NONE, 0, 0, 0, 1},
    {"d", ASL_PQ_DOUBLE, ASL_PQ_L_NONE, 0, 0, 0, 1},
    {"s", ASL_PQ_BYTE_ARRAY, ASL_PQ_L_STRING, 0, 0, 0, 1},
    {"bin", ASL_PQ_BYTE_ARRAY, ASL_PQ_L_NONE, 0, 0, 0, 1},
    {"dt", ASL_PQ_INT32, ASL_PQ_L_DATE, 0, 0, 0, 1},
    {"ts", ASL_PQ_INT64, ASL_PQ_L_TIMESTAMP_US, 0, 0, 0, 1},
    {"tsm", ASL_PQ_INT64, ASL_PQ_L_TIMESTAMP_MS, 0, 0, 0, 1},
    {"dec9", ASL_PQ_INT32, ASL_PQ_L_DECIMAL, 0, 9, 2, 1},
    {"dec18", ASL_PQ_INT64, ASL_PQ_L_DECIMAL, 0, 18, 4, 1},
    {"dec25", ASL_PQ_FIXED_LEN_BYTE_ARRAY, ASL_PQ_L_DECIMAL, 11, 25, 3, 1},
    {"fx", ASL_PQ_FIXED_LEN_BYTE_ARRAY, ASL_PQ_L_NONE, 4, 0, 0, 1},
    {"allnull", ASL_PQ_INT64, ASL_PQ_L_NONE, 0, 0, 0, 1},
};

static char g_s[NCOL][64];

/* The value of row r, column c. Nulls: every 3rd row in nullable columns
 * (shifted per column), always in "allnull"; strings repeat (dictionary
 * friendly) in "s", are unique in "bin". */
static asl_pq_value gen(int64_t r, int c) {
  asl_pq_value v = {0};
  if (c == 14 || (g_cols[c].nullable && (r + c) % 3 == 0)) return v;
  switch (c) {
  case 0:
    v.kind = ASL_PQ_V_BOOL;
    v.b = (r / 2) % 2;
    break;
  case 1:
    v.kind = ASL_PQ_V_INT;
    v.i = (int64_t)((r * 7919) % 200001) - 100000;
    break;
  case 2:
    v.kind = ASL_PQ_V_INT;
    v.i = r * 1000003LL - 5000000000LL;
    break;
  case 3:
    v.kind = ASL_PQ_V_DOUBLE;
    v.d = (float)(r * 0.25f - 3.5f);
    break;
  case 4:
    v.kind = ASL_PQ_V_DOUBLE;
    v.d = r / 7.0 - 100;
    break;
  case 5:
    snprintf(g_s[c], sizeof g_s[c], "name %lld \xc3\xa9", (long long)(r % 37));
    v.kind = ASL_PQ_V_BYTES;
    v.s = g_s[c];
    v.n = strlen(g_s[c]);
    break;
  case 6:
    snprintf(g_s[c], sizeof g_s[c], "%c%lld,\"x\"", (char)(r % 3),
             (long long)r);
    v.kind = ASL_PQ_V_BYTES;
    v.s = g_s[c];
    v.n = strlen(g_s[c] + 1) + 1;
    if (r % 5 == 1) v.n = 0; /* empty strings too */
    break;
  case 7:
    v.kind = ASL_PQ_V_DATE;
    v.i = r - 1000;
    break;
  case 8:
    v.kind = ASL_PQ_V_TIMESTAMP;
    v.i = 1700000000000000LL + r * 1234567LL - 500000000;
    break;
  case 9:
    v.kind = ASL_PQ_V_TIMESTAMP;
    v.i = (1600000000000LL - r * 999) * 1000;
    break;
  case 10:
    v.kind = ASL_PQ_V_DECIMAL;
    v.scale = 2;
    v.i = (r * 12345) % 999999999 - 5000;
    break;
  case 11:
    v.kind = ASL_PQ_V_DECIMAL;
    v.scale = 4;
    v.i = r * 123456789LL - 99;
    break;
  case 12:
    v.kind = ASL_PQ_V_DECIMAL;
    v.scale = 3;
    v.i = (r % 2 ? -1 : 1) * r * 987654321LL;
    break;
  case 13:
    memcpy(g_s[c], "abcd", 4);
    g_s[c][3] = (char)('a' + r % 26);
    v.kind = ASL_PQ_V_BYTES;
    v.s = g_s[c];
    v.n = 4;
    break;
  }
  return v;
}

static int same(const asl_pq_value *a, const asl_pq_value *b) {
  if (a->kind != b->kind) return 0;
  switch (a->kind) {
  case ASL_PQ_V_NULL:
    return 1;
  case ASL_PQ_V_BOOL:
    return !a->b == !b->b;
  case ASL_PQ_V_DOUBLE:
    return a->d == b->d;
  case ASL_PQ_V_BYTES:
    return a->n == b->n && (!a->n || !memcmp(a->s, b->s, a->n));
  case ASL_PQ_V_DECIMAL:
    return a->i == b->i && a->scale == b->scale;
  default:
    return a->i == b->i;
  }
}

static char *path_of(const char *name) {
  return asl_sprintf("%s/%s", g_dir, name);
}

static int write_rows(const char *path, const asl_pq_write_opts *o,
                      int64_t rows) {
  asl_error e = {0};
  asl_pq_writer *w = asl_pq_writer_create(path, g_cols, NCOL, o, &e);
  T_OK(w != NULL, "create %s: %s", path, e.cause ? e.cause : "");
  if (!w) return -1;
  asl_pq_value row[NCOL];
  for (int64_t r = 0; r < rows; r++) {
    for (int c = 0; c < NCOL; c++)
      row[c] = gen(r, c);
    if (asl_pq_writer_append(w, row, &e) < 0) {
      T_OK(0, "append row %lld: %s", (long long)r, e.cause);
      asl_error_clear(&e);
      asl_pq_writer_abort(w);
      return -1;
    }
  }
  int rc = asl_pq_writer_close(w, &e);
  T_OK(rc == 0, "close: %s", e.cause ? e.cause : "");
  asl_error_clear(&e);
  return rc;
}

/* Reads path back and checks every value; returns the mismatches. */
static int64_t check_rows(const char *path, int64_t rows, const char *what) {
  asl_error e = {0};
  asl_pq_reader *r = asl_pq_open(path, &e);
  T_OK(r != NULL, "%s: open: %s", what, e.cause ? e.cause : "");
  if (!r) {
    asl_error_clear(&e);
    return 1;
  }
  T_OK(asl_pq_nrows(r) == rows, "%s: rows %lld", what,
       (long long)asl_pq_nrows(r));
  T_OK(asl_pq_ncolumns(r) == NCOL, "%s: columns", what);
  int64_t bad = 0, n = 0;
  const asl_pq_value *row;
  int rc;
  while ((rc = asl_pq_next(r, &row, &e)) == 1) {
    for (int c = 0; c < NCOL; c++) {
      asl_pq_value want = gen(n, c);
      if (!same(&row[c], &want)) {
        if (bad < 3)
          fprintf(stderr, "%s: row %lld column %s: kind %d/%d i %lld/%lld\n",
                  what, (long long)n, g_cols[c].name, row[c].kind, want.kind,
                  (long long)row[c].i, (long long)want.i);
        bad++;
      }
    }
    n++;
  }
  T_OK(rc == 0, "%s: read: %s", what, e.cause ? e.cause : "");
  asl_error_clear(&e);
  T_OK(n == rows, "%s: read %lld rows", what, (long long)n);
  asl_pq_close(r);
  return bad;
}

static void test_round_trips(void) {
  asl_pq_codec codecs[] = {ASL_PQ_UNCOMPRESSED, ASL_PQ_SNAPPY, ASL_PQ_GZIP,
                           ASL_PQ_ZSTD};
  for (int ci = 0; ci < 4; ci++)
    for (int v2 = 0; v2 < 2; v2++)
      for (int nd = 0; nd < 2; nd++) {
        asl_pq_write_opts o = {.codec = codecs[ci],
                               .row_group_rows = 1500,
                               .page_v2 = v2,
                               .no_dictionary = nd};
        char name[64];
        snprintf(name, sizeof name, "rt_%d_%d_%d.parquet", ci, v2, nd);
        char *p = path_of(name);
        if (write_rows(p, &o, 5000) == 0) {
          int64_t bad = check_rows(p, 5000, name);
          T_OK(bad == 0, "%s: %lld values differ", name, (long long)bad);
          asl_error e = {0};
          asl_pq_reader *r = asl_pq_open(p, &e);
          if (r) {
            T_OK(asl_pq_nrow_groups(r) == 4, "%s: %d row groups", name,
                 asl_pq_nrow_groups(r));
            T_OK(asl_pq_row_group_rows(r, 3) == 500, "%s: last row group rows",
                 name);
            const char *want[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "ZSTD"};
            T_STREQ(asl_pq_chunk_codec(r, 1, 5), want[ci]);
            asl_pq_close(r);
          }
          asl_error_clear(&e);
        }
        free(p);
      }
}

/* Statistics: recomputed from gen() for each row group and compared. */
static void test_stats(void) {
  asl_pq_write_opts o = {.codec = ASL_PQ_SNAPPY,
                         .row_group_rows = 1000,
                         .created_by = "asl unit test"};
  char *p = path_of("stats.parquet");
  write_rows(p, &o, 2500);
  asl_error e = {0};
  asl_pq_reader *r = asl_pq_open(p, &e);
  T_OK(r != NULL, "stats open");
  if (!r) return;
  T_STREQ(asl_pq_created_by(r), "asl unit test");
  int cols[] = {1, 2, 3, 4, 5, 7, 8, 10, 12, 14};
  for (int g = 0; g < 3; g++)
    for (size_t k = 0; k < sizeof cols / sizeof *cols; k++) {
      int c = cols[k];
      asl_pq_value mn, mx, wmn = {0}, wmx = {0};
      int64_t nulls, wnulls = 0;
      for (int64_t row = g * 1000; row < (g + 1) * 1000 && row < 2500; row++) {
        asl_pq_value v = gen(row, c);
        if (v.kind == ASL_PQ_V_NULL) {
          wnulls++;
          continue;
        }
        int less, more;
        if (v.kind == ASL_PQ_V_DOUBLE) {
          less = wmn.kind == ASL_PQ_V_NULL || v.d < wmn.d;
          more = wmx.kind == ASL_PQ_V_NULL || v.d > wmx.d;
        } else if (v.kind == ASL_PQ_V_BYTES) {
          less = wmn.kind == ASL_PQ_V_NULL || strcmp(v.s, wmn.s) < 0;
          more = wmx.kind == ASL_PQ_V_NULL || strcmp(v.s, wmx.s) > 0;
        } else {
          less = wmn.kind == ASL_PQ_V_NULL || v.i < wmn.i;
          more = wmx.kind == ASL_PQ_V_NULL || v.i > wmx.i;
        }
        if (v.kind == ASL_PQ_V_BYTES) v.s = asl_strndup(v.s, v.n);
        if (less) {
          if (wmn.kind == ASL_PQ_V_BYTES) free((char *)wmn.s);
          wmn = v;
          if (v.kind == ASL_PQ_V_BYTES) v.s = asl_strdup(v.s);
        }
        if (more) {
          if (wmx.kind == ASL_PQ_V_BYTES) free((char *)wmx.s);
          wmx = v;
        } else if (v.kind == ASL_PQ_V_BYTES) {
          free((char *)v.s);
        }
      }
      T_OK(asl_pq_stats(r, g, c, &mn, &mx, &nulls) == 0, "stats call");
      T_OK(nulls == wnulls, "rg %d %s: null_count %lld want %lld", g,
           g_cols[c].name, (long long)nulls, (long long)wnulls);
      if (mn.kind == ASL_PQ_V_DOUBLE && mn.d == 0) mn.d = 0; /* -0.0 */
      T_OK(same(&mn, &wmn), "rg %d %s: min differs (%lld vs %lld)", g,
           g_cols[c].name, (long long)mn.i, (long long)wmn.i);
      T_OK(same(&mx, &wmx), "rg %d %s: max differs (%lld vs %lld)", g,
           g_cols[c].name, (long long)mx.i, (long long)wmx.i);
      if (wmn.kind == ASL_PQ_V_BYTES) free((char *)wmn.s);
      if (wmx.kind == ASL_PQ_V_BYTES) free((char *)wmx.s);
    }
  T_OK(asl_pq_stats(r, 3, 0, NULL, NULL, NULL) < 0,
       "stats out of range refused");
  asl_pq_close(r);
  free(p);
}

/* 2,000,000 rows in row groups of 20,000: the writer's buffers stay those
 * of one row group (plus one page per column), far below the file's size;
 * with row groups of 500,000 rows the peak grows with them. */
static void test_bounded_memory(void) {
  asl_pq_column cols[2] = {
      {"id", ASL_PQ_INT64, ASL_PQ_L_NONE, 0, 0, 0, 0},
      {"name", ASL_PQ_BYTE_ARRAY, ASL_PQ_L_STRING, 0, 0, 0, 1}};
  char *p = path_of("big.parquet");
  size_t peaks[2];
  int64_t rgrows[2] = {20000, 500000};
  for (int k = 0; k < 2; k++) {
    asl_pq_write_opts o = {.codec = ASL_PQ_UNCOMPRESSED,
                           .row_group_rows = rgrows[k],
                           .no_dictionary = 1};
    asl_error e = {0};
    asl_pq_writer *w = asl_pq_writer_create(p, cols, 2, &o, &e);
    T_OK(w != NULL, "big create");
    if (!w) return;
    char buf[64];
    asl_pq_value row[2];
    for (int64_t r = 0; r < 2000000; r++) {
      row[0] = (asl_pq_value){.kind = ASL_PQ_V_INT, .i = r};
      snprintf(buf, sizeof buf, "user-%012lld@example.com", (long long)r);
      row[1] = (asl_pq_value){.kind = r % 10 ? ASL_PQ_V_BYTES : ASL_PQ_V_NULL,
                              .s = buf,
                              .n = strlen(buf)};
      if (asl_pq_writer_append(w, row, &e) < 0) break;
    }
    peaks[k] = asl_pq_writer_peak_bytes(w);
    T_OK(asl_pq_writer_close(w, &e) == 0, "big close: %s",
         e.cause ? e.cause : "");
    asl_error_clear(&e);
  }
  struct stat st;
  stat(p, &st);
  T_OK(st.st_size > 50 * 1000 * 1000, "big file is %lld bytes",
       (long long)st.st_size);
  T_OK(peaks[0] < 8u << 20, "peak %zu bytes for row groups of 20000 rows",
       peaks[0]);
  T_OK(peaks[0] * 2 < peaks[1], "peak grows with the row group: %zu vs %zu",
       peaks[0], peaks[1]);
  T_OK(peaks[1] < (size_t)st.st_size / 2, "peak %zu vs file %lld", peaks[1],
       (long long)st.st_size);
  /* the reader's count and a spot check */
  asl_error e = {0};
  asl_pq_reader *r = asl_pq_open(p, &e);
  T_OK(r && asl_pq_nrows(r) == 2000000 && asl_pq_nrow_groups(r) == 4,
       "big read back");
  if (r) {
    int want[2] = {1, 0};
    asl_pq_project(r, want);
    const asl_pq_value *row;
    int64_t n = 0, bad = 0;
    while (asl_pq_next(r, &row, &e) == 1) {
      if (row[0].i != n || row[1].kind != ASL_PQ_V_NULL) bad++;
      n++;
    }
    T_OK(n == 2000000 && bad == 0, "big: %lld rows, %lld bad", (long long)n,
         (long long)bad);
    asl_pq_close(r);
  }
  asl_error_clear(&e);
  unlink(p);
  free(p);
}

static unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc((size_t)len + 1);
  *n = fread(b, 1, (size_t)len, f);
  fclose(f);
  return b;
}

static void spit(const char *path, const unsigned char *b, size_t n) {
  FILE *f = fopen(path, "wb");
  fwrite(b, 1, n, f);
  fclose(f);
}

/* Opens and reads every row of path; returns the error cause (new string)
 * or NULL when the whole file read. */
static char *read_all(const char *path) {
  asl_error e = {0};
  asl_pq_reader *r = asl_pq_open(path, &e);
  if (r) {
    const asl_pq_value *row;
    while (asl_pq_next(r, &row, &e) == 1) {
    }
    asl_pq_close(r);
  }
  char *c = e.cause ? asl_strdup(e.cause) : NULL;
  if (e.name)
    T_OK(strcmp(e.name, "Parquet.Error") == 0, "error name %s", e.name);
  asl_error_clear(&e);
  return c;
}

static void expect_error(const char *path, const char *want, const char *what) {
  char *c = read_all(path);
  T_OK(c && strstr(c, want), "%s: got [%s], want [...%s...]", what,
       c ? c : "(read fine)", want);
  free(c);
}

static void test_malformed(void) {
  /* a small known file: one required INT32 column, 1 row, PLAIN, no
   * compression: the page header starts at offset 4 */
  asl_pq_column one = {"x", ASL_PQ_INT32, ASL_PQ_L_NONE, 0, 0, 0, 0};
  asl_pq_write_opts o = {.no_dictionary = 1};
  char *p = path_of("one.parquet"), *bad = path_of("bad.parquet");
  asl_error e = {0};
  asl_pq_writer *w = asl_pq_writer_create(p, &one, 1, &o, &e);
  asl_pq_value v = {.kind = ASL_PQ_V_INT, .i = 42};
  asl_pq_writer_append(w, &v, &e);
  T_OK(asl_pq_writer_close(w, &e) == 0, "one close");
  size_t n;
  unsigned char *b = slurp(p, &n), *m = malloc(n);
  T_OK(read_all(p) == NULL, "the good file reads");

  memcpy(m, b, n);
  m[0] = 'X';
  spit(bad, m, n);
  expect_error(bad, "no PAR1 magic at offset 0", "bad head magic");
  memcpy(m, b, n);
  m[n - 1] = 'X';
  spit(bad, m, n);
  expect_error(bad, "no PAR1 magic at the end", "bad tail magic");
  spit(bad, b, n - 9); /* the footer cut short, magic re-added */
  memcpy(m, b, n - 9);
  memcpy(m + n - 13, "PAR1", 4);
  spit(bad, m, n - 9);
  expect_error(bad, "does not fit the file", "truncated footer");
  spit(bad, b, 10);
  expect_error(bad, "too short", "truncated file");
  /* garbled thrift: the footer's first byte becomes an unknown type */
  uint32_t flen = (uint32_t)b[n - 8] | (uint32_t)b[n - 7] << 8;
  memcpy(m, b, n);
  m[n - 8 - flen] = 0x1e; /* field 1, type 14: not a compact type */
  spit(bad, m, n);
  expect_error(bad, "footer does not parse: unknown field type at offset",
               "bad thrift");
  memcpy(m, b, n);
  memset(m + n - 8 - flen + 2, 0xff, 12); /* varints that never end */
  spit(bad, m, n);
  expect_error(bad, "footer", "bad thrift varints");
  /* the page header: 15 00 | 15 08 | 15 08 (uncompressed = compressed = 4) */
  T_OK(b[4] == 0x15 && b[6] == 0x15 && b[7] == 0x08 && b[8] == 0x15 &&
           b[9] == 0x08,
       "page header where expected");
  memcpy(m, b, n);
  m[9] = 100; /* compressed size 50 */
  spit(bad, m, n);
  expect_error(bad,
               "column 'x' row group 0 page 1 at offset 4: page says 50 "
               "compressed bytes",
               "page size lies");
  memcpy(m, b, n);
  m[7] = 100; /* uncompressed size 50 */
  spit(bad, m, n);
  expect_error(bad,
               "page 1 at offset 4: uncompressed page whose two sizes differ",
               "uncompressed size lies");
  free(b);
  free(m);

  /* dictionary index out of range: a two-entry dictionary whose page header
   * says it has one entry */
  asl_pq_column sc = {"s", ASL_PQ_BYTE_ARRAY, ASL_PQ_L_STRING, 0, 0, 0, 0};
  asl_pq_write_opts od = {0};
  w = asl_pq_writer_create(p, &sc, 1, &od, &e);
  for (int k = 0; k < 10; k++) {
    asl_pq_value sv = {.kind = ASL_PQ_V_BYTES,
                       .s = k % 2 ? "odd" : "even",
                       .n = k % 2 ? 3 : 4};
    asl_pq_writer_append(w, &sv, &e);
  }
  T_OK(asl_pq_writer_close(w, &e) == 0, "dict close");
  T_OK(read_all(p) == NULL, "the dictionary file reads");
  b = slurp(p, &n);
  int found = 0;
  for (size_t k = 4; k + 2 < n && !found; k++)
    if (b[k] == 0x4c && b[k + 1] == 0x15 && b[k + 2] == 0x04) {
      b[k + 2] = 0x02;
      found = 1;
    }
  T_OK(found, "dictionary page header found");
  spit(bad, b, n);
  expect_error(bad, "dictionary index 1 out of range (1 entries)",
               "dictionary index");
  free(b);

  /* random corruption of a rich file: never a crash, always a clean end */
  char *rich = path_of("rt_1_1_0.parquet");
  b = slurp(rich, &n);
  m = malloc(n);
  srand(7);
  int errors = 0, runs = 300;
  for (int k = 0; k < runs; k++) {
    memcpy(m, b, n);
    int flips = 1 + rand() % 4;
    for (int f = 0; f < flips; f++)
      m[(size_t)rand() % n] = (unsigned char)rand();
    spit(bad, m, n);
    char *c = read_all(bad);
    errors += c != NULL;
    free(c);
  }
  T_OK(errors > 0, "corruptions detected: %d of %d", errors, runs);
  free(b);
  free(m);
  free(rich);
  unlink(bad);
  free(bad);
  free(p);
  asl_error_clear(&e);

  T_OK(asl_pq_open("/nonexistent/x.parquet", &e) == NULL && e.cause &&
           strstr(e.cause, "/nonexistent/x.parquet"),
       "missing file names the path");
  asl_error_clear(&e);
}

/* A chunk whose dictionary passes 1 MiB: the first pages are dictionary
 * encoded, the rest PLAIN, in one column chunk. */
static void test_dictionary_fallback(void) {
  asl_pq_column c = {"u", ASL_PQ_BYTE_ARRAY, ASL_PQ_L_STRING, 0, 0, 0, 1};
  char *p = path_of("fallback.parquet");
  asl_pq_write_opts o = {.codec = ASL_PQ_SNAPPY, .row_group_rows = 100000};
  asl_error e = {0};
  asl_pq_writer *w = asl_pq_writer_create(p, &c, 1, &o, &e);
  char buf[64];
  for (int r = 0; r < 60000; r++) {
    snprintf(buf, sizeof buf, "unique-value-%08d-padding-padding", r);
    asl_pq_value v = {.kind = r % 7 ? ASL_PQ_V_BYTES : ASL_PQ_V_NULL,
                      .s = buf,
                      .n = strlen(buf)};
    asl_pq_writer_append(w, &v, &e);
  }
  T_OK(asl_pq_writer_close(w, &e) == 0, "fallback close");
  asl_pq_reader *r = asl_pq_open(p, &e);
  T_OK(r != NULL, "fallback open");
  int bad = 0, n = 0;
  const asl_pq_value *row;
  while (r && asl_pq_next(r, &row, &e) == 1) {
    snprintf(buf, sizeof buf, "unique-value-%08d-padding-padding", n);
    if (n % 7 ? row[0].n != strlen(buf) || memcmp(row[0].s, buf, row[0].n)
              : row[0].kind != ASL_PQ_V_NULL)
      bad++;
    n++;
  }
  T_OK(n == 60000 && bad == 0, "fallback: %d rows, %d bad (%s)", n, bad,
       e.cause ? e.cause : "");
  asl_pq_close(r);
  asl_error_clear(&e);
  free(p);
}

/* Every fuzz seed (fixtures, writer output, inputs the fuzzer once failed
 * on) reads to its end or to a Parquet.Error, without leaks. */
static void test_fuzz_seeds(void) {
  const char *dir = "fuzz/seeds/fuzz_parquet";
  char *cmd = asl_sprintf("ls %s 2>/dev/null", dir);
  FILE *ls = popen(cmd, "r");
  free(cmd);
  char name[256];
  int n = 0;
  while (ls && fgets(name, sizeof name, ls)) {
    name[strcspn(name, "\n")] = 0;
    char *p = asl_sprintf("%s/%s", dir, name);
    free(read_all(p));
    free(p);
    n++;
  }
  if (ls) pclose(ls);
  T_OK(n >= 20, "%d fuzz seeds read (run from the repository root)", n);
}

static void test_writer_refuses(void) {
  asl_error e = {0};
  char *p = path_of("refuse.parquet");
  asl_pq_column c96 = {"t", ASL_PQ_INT96, ASL_PQ_L_NONE, 0, 0, 0, 1};
  T_OK(!asl_pq_writer_create(p, &c96, 1, NULL, &e) && strstr(e.cause, "INT96"),
       "INT96");
  asl_error_clear(&e);
  asl_pq_column dup[2] = {{"a", ASL_PQ_INT32, 0, 0, 0, 0, 1},
                          {"a", ASL_PQ_INT64, 0, 0, 0, 0, 1}};
  T_OK(!asl_pq_writer_create(p, dup, 2, NULL, &e) &&
           strstr(e.cause, "duplicate"),
       "dup");
  asl_error_clear(&e);
  asl_pq_column bd = {"d", ASL_PQ_INT32, ASL_PQ_L_DECIMAL, 0, 12, 2, 1};
  T_OK(!asl_pq_writer_create(p, &bd, 1, NULL, &e) &&
           strstr(e.cause, "precision 9"),
       "dec");
  asl_error_clear(&e);

  asl_pq_column cols[3] = {{"req", ASL_PQ_INT32, 0, 0, 0, 0, 0},
                           {"dec", ASL_PQ_INT32, ASL_PQ_L_DECIMAL, 0, 5, 2, 1},
                           {"fx", ASL_PQ_FIXED_LEN_BYTE_ARRAY, 0, 3, 0, 0, 1}};
  asl_pq_writer *w = asl_pq_writer_create(p, cols, 3, NULL, &e);
  T_OK(w != NULL, "create");
  asl_pq_value row[3] = {{.kind = ASL_PQ_V_NULL},
                         {.kind = ASL_PQ_V_NULL},
                         {.kind = ASL_PQ_V_NULL}};
  T_OK(asl_pq_writer_append(w, row, &e) < 0 &&
           strstr(e.cause, "row 0 column 'req': NULL"),
       "NULL in required: %s", e.cause);
  asl_error_clear(&e);
  row[0] = (asl_pq_value){.kind = ASL_PQ_V_INT, .i = 1LL << 40};
  T_OK(asl_pq_writer_append(w, row, &e) < 0 && strstr(e.cause, "INT32 range"),
       "int32 range");
  asl_error_clear(&e);
  row[0].i = 1;
  row[1] = (asl_pq_value){.kind = ASL_PQ_V_DECIMAL, .i = 123456, .scale = 2};
  T_OK(asl_pq_writer_append(w, row, &e) < 0 && strstr(e.cause, "precision"),
       "dec digits");
  asl_error_clear(&e);
  row[1] = (asl_pq_value){
      .kind = ASL_PQ_V_DECIMAL, .i = 5, .scale = 0}; /* 5 -> 5.00 */
  row[2] = (asl_pq_value){.kind = ASL_PQ_V_BYTES, .s = "ab", .n = 2};
  T_OK(asl_pq_writer_append(w, row, &e) < 0 && strstr(e.cause, "fixed length"),
       "fixed len");
  asl_error_clear(&e);
  row[2].s = "abc";
  row[2].n = 3;
  T_OK(asl_pq_writer_append(w, row, &e) == 0, "a good row after bad ones");
  T_OK(asl_pq_writer_close(w, &e) == 0, "close");
  asl_pq_reader *r = asl_pq_open(p, &e);
  const asl_pq_value *got;
  T_OK(r && asl_pq_nrows(r) == 1 && asl_pq_next(r, &got, &e) == 1 &&
           got[1].i == 500 && got[1].scale == 2 && got[2].n == 3,
       "only the good row was written, the decimal rescaled");
  asl_pq_close(r);
  asl_error_clear(&e);
  unlink(p);
  free(p);
}

static void test_text(void) {
  asl_pq_column *cols;
  size_t n;
  asl_error e = {0};
  T_OK(asl_pq_parse_schema("a:int64!, b:decimal(10,2),c:timestamp,d:fixed(3)",
                           &cols, &n, &e) == 0 &&
           n == 4,
       "parse schema");
  if (n == 4) {
    T_OK(!cols[0].nullable && cols[1].physical == ASL_PQ_INT64 &&
             cols[1].scale == 2 && cols[2].logical == ASL_PQ_L_TIMESTAMP_US &&
             cols[3].type_length == 3,
         "schema fields");
    asl_pq_columns_free(cols, n);
  }
  T_OK(asl_pq_parse_schema("a:nope", &cols, &n, &e) < 0 &&
           strstr(e.cause, "'a:nope'"),
       "bad");
  asl_error_clear(&e);
  asl_pq_column tc = {"t", ASL_PQ_INT64, ASL_PQ_L_TIMESTAMP_US, 0, 0, 0, 1};
  cJSON *j = cJSON_CreateString("2024-02-29T13:14:15.123456Z");
  asl_pq_value v;
  const char *why;
  T_OK(asl_pq_value_from_json(&tc, j, &v, &why) == 0, "ts parse");
  asl_buf b = {0};
  asl_pq_value_text(&b, &v, 1);
  char *s = asl_buf_take(&b);
  T_STREQ(s, "\"2024-02-29T13:14:15.123456Z\"");
  free(s);
  cJSON_Delete(j);
  asl_pq_column dc = {"d", ASL_PQ_INT64, ASL_PQ_L_DECIMAL, 0, 12, 3, 1};
  j = cJSON_CreateString("-0.05");
  T_OK(asl_pq_value_from_json(&dc, j, &v, &why) == 0 && v.i == -50,
       "decimal parse");
  asl_pq_value_text(&b, &v, 1);
  s = asl_buf_take(&b);
  T_STREQ(s, "-0.050");
  free(s);
  cJSON_Delete(j);
  j = cJSON_CreateString("1.2345");
  T_OK(asl_pq_value_from_json(&dc, j, &v, &why) < 0,
       "decimal with too many digits");
  cJSON_Delete(j);
  asl_pq_column dt = {"d", ASL_PQ_INT32, ASL_PQ_L_DATE, 0, 0, 0, 1};
  j = cJSON_CreateString("2023-02-29");
  T_OK(asl_pq_value_from_json(&dt, j, &v, &why) < 0, "no Feb 29 in 2023");
  cJSON_Delete(j);
  j = cJSON_CreateString("1969-12-31");
  T_OK(asl_pq_value_from_json(&dt, j, &v, &why) == 0 && v.i == -1,
       "date before the epoch");
  cJSON_Delete(j);
}

T_MAIN("parquet") {
  T_OK(mkdtemp(g_dir) != NULL, "mkdtemp");
  test_round_trips();
  test_stats();
  test_malformed();
  test_writer_refuses();
  test_dictionary_fallback();
  test_fuzz_seeds();
  test_text();
  test_bounded_memory();
  char *cmd = asl_sprintf("rm -rf %s", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
  free(cmd);
}
