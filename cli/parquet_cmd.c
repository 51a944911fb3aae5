/* parquet_cmd.c: `asl parquet` (see parquet_cmd.h), thin wrappers around
 * lake/parquet.h. */
#include "parquet_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "../lake/parquet.h"

#define EX_OK 0
#define EX_USAGE 64
#define EX_DATAERR 65
#define EX_NOINPUT 66
#define EX_IOERR 74

static const char usage_text[] =
    "usage: asl parquet schema FILE [--json]\n"
    "       asl parquet cat FILE [--format jsonl|csv] [--columns a,b,...]\n"
    "       asl parquet write --schema 'name:type,...' [--codec "
    "snappy|zstd|gzip|none]\n"
    "           [--row-group ROWS] [--page-v2] [--no-dict] IN.jsonl|- "
    "OUT.parquet\n"
    "  types: bool int32 int64 float double string binary date timestamp\n"
    "         timestamp_ms decimal(P,S) fixed(N); a trailing ! means NOT "
    "NULL\n";

static int usage(const char *why) {
  if (why) fprintf(stderr, "asl parquet: %s\n", why);
  fputs(usage_text, stderr);
  return EX_USAGE;
}

/* Prints e and returns the exit code for a file that fails to open/read. */
static int fail(const char *path, asl_error *e) {
  fprintf(stderr, "asl parquet: %s\n", e->cause ? e->cause : "failed");
  struct stat st;
  int rc = path && stat(path, &st) < 0 ? EX_NOINPUT : EX_DATAERR;
  asl_error_clear(e);
  return rc;
}

static int cmd_schema(int argc, char **argv) {
  const char *path = NULL;
  int json = 0;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--json"))
      json = 1;
    else if (!path)
      path = argv[i];
    else
      return usage("schema takes one FILE");
  }
  if (!path) return usage("schema needs a FILE");
  asl_error e = {0};
  asl_pq_reader *r = asl_pq_open(path, &e);
  if (!r) return fail(path, &e);
  size_t n = asl_pq_ncolumns(r);
  if (json) {
    cJSON *o = cJSON_CreateObject(), *cols = cJSON_CreateArray(),
          *codecs = cJSON_CreateArray();
    cJSON_AddNumberToObject(o, "rows", (double)asl_pq_nrows(r));
    cJSON_AddNumberToObject(o, "rgs", asl_pq_nrow_groups(r));
    cJSON_AddStringToObject(o, "created_by", asl_pq_created_by(r));
    for (int g = 0; g < asl_pq_nrow_groups(r); g++)
      for (size_t c = 0; c < n; c++) {
        const char *cn = asl_pq_chunk_codec(r, g, (int)c);
        int seen = 0;
        cJSON *it;
        cJSON_ArrayForEach(it, codecs) seen |= !strcmp(it->valuestring, cn);
        if (!seen) cJSON_AddItemToArray(codecs, cJSON_CreateString(cn));
      }
    cJSON_AddItemToObject(o, "codecs", codecs);
    for (size_t c = 0; c < n; c++) {
      const asl_pq_column *col = asl_pq_column_at(r, c);
      cJSON *x = cJSON_CreateObject();
      cJSON_AddStringToObject(x, "name", col->name);
      cJSON_AddStringToObject(x, "physical",
                              asl_pq_physical_name(col->physical));
      cJSON_AddStringToObject(x, "logical", asl_pq_logical_name(col->logical));
      if (col->logical == ASL_PQ_L_DECIMAL) {
        cJSON_AddNumberToObject(x, "precision", col->precision);
        cJSON_AddNumberToObject(x, "scale", col->scale);
      }
      if (col->physical == ASL_PQ_FIXED_LEN_BYTE_ARRAY)
        cJSON_AddNumberToObject(x, "length", col->type_length);
      cJSON_AddBoolToObject(x, "nullable", col->nullable);
      cJSON_AddItemToArray(cols, x);
    }
    cJSON_AddItemToObject(o, "columns", cols);
    char *s = cJSON_PrintUnformatted(o);
    puts(s);
    cJSON_free(s);
    cJSON_Delete(o);
  } else {
    printf("%s: %lld rows, %d row groups, created by %s\n", path,
           (long long)asl_pq_nrows(r), asl_pq_nrow_groups(r),
           asl_pq_created_by(r));
    for (size_t c = 0; c < n; c++) {
      const asl_pq_column *col = asl_pq_column_at(r, c);
      printf("  %s %s", col->name, asl_pq_physical_name(col->physical));
      if (col->physical == ASL_PQ_FIXED_LEN_BYTE_ARRAY)
        printf("(%d)", col->type_length);
      if (col->logical == ASL_PQ_L_DECIMAL)
        printf(" DECIMAL(%d,%d)", col->precision, col->scale);
      else if (col->logical != ASL_PQ_L_NONE)
        printf(" %s", asl_pq_logical_name(col->logical));
      printf(" %s\n", col->nullable ? "optional" : "required");
    }
  }
  asl_pq_close(r);
  return EX_OK;
}

static int cmd_cat(int argc, char **argv) {
  const char *path = NULL, *format = "jsonl", *columns = NULL;
  for (int i = 0; i < argc; i++) {
    if (!strcmp(argv[i], "--format") && i + 1 < argc)
      format = argv[++i];
    else if (!strcmp(argv[i], "--columns") && i + 1 < argc)
      columns = argv[++i];
    else if (argv[i][0] == '-' && argv[i][1])
      return usage("unknown option");
    else if (!path)
      path = argv[i];
    else
      return usage("cat takes one FILE");
  }
  if (!path) return usage("cat needs a FILE");
  int json = !strcmp(format, "jsonl") || !strcmp(format, "json");
  if (!json && strcmp(format, "csv")) return usage("--format is jsonl or csv");
  asl_error e = {0};
  asl_pq_reader *r = asl_pq_open(path, &e);
  if (!r) return fail(path, &e);
  size_t n = asl_pq_ncolumns(r);
  int *want = calloc(n ? n : 1, sizeof *want);
  size_t *order = calloc(n ? n : 1, sizeof *order), norder = 0;
  if (columns) {
    char *list = asl_strdup(columns), *save = NULL;
    for (char *t = strtok_r(list, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
      int k = asl_pq_column_index(r, t);
      if (k < 0 || want[k]) {
        fprintf(stderr, "asl parquet: %s: %s column '%s'\n", path,
                k < 0 ? "no" : "repeated", t);
        free(list);
        free(want);
        free(order);
        asl_pq_close(r);
        return EX_USAGE;
      }
      want[k] = 1;
      order[norder++] = (size_t)k;
    }
    free(list);
  } else {
    for (size_t k = 0; k < n; k++) {
      want[k] = 1;
      order[norder++] = k;
    }
  }
  asl_pq_project(r, want);
  asl_buf b = {0};
  if (!json) {
    for (size_t k = 0; k < norder; k++) {
      asl_pq_value nm = {.kind = ASL_PQ_V_BYTES};
      nm.s = asl_pq_column_at(r, order[k])->name;
      nm.n = strlen(nm.s);
      if (k) asl_buf_putc(&b, ',');
      asl_pq_value_text(&b, &nm, 0);
    }
    asl_buf_putc(&b, '\n');
  }
  const asl_pq_value *row;
  int rc;
  while ((rc = asl_pq_next(r, &row, &e)) == 1) {
    if (json) asl_buf_putc(&b, '{');
    for (size_t k = 0; k < norder; k++) {
      if (k) asl_buf_putc(&b, ',');
      if (json) {
        asl_pq_value nm = {.kind = ASL_PQ_V_BYTES};
        nm.s = asl_pq_column_at(r, order[k])->name;
        nm.n = strlen(nm.s);
        asl_pq_value_text(&b, &nm, 1);
        asl_buf_putc(&b, ':');
      }
      asl_pq_value_text(&b, &row[order[k]], json);
    }
    if (json) asl_buf_putc(&b, '}');
    asl_buf_putc(&b, '\n');
    if (b.len > 1 << 16) {
      fwrite(b.s, 1, b.len, stdout);
      b.len = 0;
    }
  }
  if (b.len) fwrite(b.s, 1, b.len, stdout);
  asl_buf_free(&b);
  free(want);
  free(order);
  asl_pq_close(r);
  if (fflush(stdout) != 0) {
    fprintf(stderr, "asl parquet: stdout: %s\n", strerror(errno));
    return EX_IOERR;
  }
  if (rc < 0) return fail(NULL, &e);
  return EX_OK;
}

static int cmd_write(int argc, char **argv) {
  const char *spec = NULL, *in = NULL, *out = NULL;
  asl_pq_write_opts o = {0};
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--schema") && i + 1 < argc)
      spec = argv[++i];
    else if (!strcmp(a, "--codec") && i + 1 < argc) {
      const char *c = argv[++i];
      if (!strcmp(c, "snappy"))
        o.codec = ASL_PQ_SNAPPY;
      else if (!strcmp(c, "zstd"))
        o.codec = ASL_PQ_ZSTD;
      else if (!strcmp(c, "gzip"))
        o.codec = ASL_PQ_GZIP;
      else if (!strcmp(c, "none") || !strcmp(c, "uncompressed"))
        o.codec = ASL_PQ_UNCOMPRESSED;
      else
        return usage("--codec is snappy, zstd, gzip or none");
    } else if (!strcmp(a, "--row-group") && i + 1 < argc) {
      char *end;
      long long v = strtoll(argv[++i], &end, 10);
      if (*end || v <= 0)
        return usage("--row-group takes a positive row count");
      o.row_group_rows = v;
    } else if (!strcmp(a, "--page-v2"))
      o.page_v2 = 1;
    else if (!strcmp(a, "--no-dict"))
      o.no_dictionary = 1;
    else if (a[0] == '-' && a[1])
      return usage("unknown option");
    else if (!in)
      in = a;
    else if (!out)
      out = a;
    else
      return usage("write takes IN and OUT");
  }
  if (!spec || !in || !out) return usage("write needs --schema, IN and OUT");
  asl_error e = {0};
  asl_pq_column *cols;
  size_t n;
  if (asl_pq_parse_schema(spec, &cols, &n, &e) < 0) {
    fprintf(stderr, "asl parquet: --schema: %s\n", e.cause);
    asl_error_clear(&e);
    return EX_USAGE;
  }
  FILE *f = strcmp(in, "-") ? fopen(in, "r") : stdin;
  if (!f) {
    fprintf(stderr, "asl parquet: %s: %s\n", in, strerror(errno));
    asl_pq_columns_free(cols, n);
    return EX_NOINPUT;
  }
  int rc = EX_OK;
  asl_pq_writer *w = asl_pq_writer_create(out, cols, n, &o, &e);
  if (!w) {
    fprintf(stderr, "asl parquet: %s\n", e.cause);
    rc = EX_IOERR;
    goto done;
  }
  asl_pq_value *row = calloc(n, sizeof *row);
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  long long lineno = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    lineno++;
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
      line[--len] = 0;
    const char *p = line;
    while (*p == ' ' || *p == '\t')
      p++;
    if (!*p) continue;
    cJSON *j = cJSON_ParseWithLength(line, (size_t)len);
    if (!cJSON_IsObject(j)) {
      fprintf(stderr, "asl parquet: %s line %lld: not a JSON object\n", in,
              lineno);
      cJSON_Delete(j);
      rc = EX_DATAERR;
      break;
    }
    for (size_t k = 0; k < n && rc == EX_OK; k++) {
      const char *why = NULL;
      if (asl_pq_value_from_json(
              &cols[k], cJSON_GetObjectItemCaseSensitive(j, cols[k].name),
              &row[k], &why) < 0) {
        fprintf(stderr, "asl parquet: %s line %lld column '%s': %s\n", in,
                lineno, cols[k].name, why);
        rc = EX_DATAERR;
      }
    }
    if (rc == EX_OK && asl_pq_writer_append(w, row, &e) < 0) {
      fprintf(stderr, "asl parquet: %s line %lld: %s\n", in, lineno, e.cause);
      asl_error_clear(&e);
      rc = EX_DATAERR;
    }
    cJSON_Delete(j);
    if (rc != EX_OK) break;
  }
  free(line);
  free(row);
  if (rc == EX_OK && ferror(f)) {
    fprintf(stderr, "asl parquet: %s: %s\n", in, strerror(errno));
    rc = EX_IOERR;
  }
  if (rc != EX_OK) {
    asl_pq_writer_abort(w);
  } else if (asl_pq_writer_close(w, &e) < 0) {
    fprintf(stderr, "asl parquet: %s\n", e.cause);
    asl_error_clear(&e);
    rc = EX_IOERR;
  }
done:
  if (f != stdin) fclose(f);
  asl_pq_columns_free(cols, n);
  return rc;
}

int asl_cmd_parquet(int argc, char **argv) {
  if (argc < 1) return usage(NULL);
  if (!strcmp(argv[0], "schema")) return cmd_schema(argc - 1, argv + 1);
  if (!strcmp(argv[0], "cat")) return cmd_cat(argc - 1, argv + 1);
  if (!strcmp(argv[0], "write")) return cmd_write(argc - 1, argv + 1);
  if (!strcmp(argv[0], "help") || !strcmp(argv[0], "--help")) {
    fputs(usage_text, stdout);
    return EX_OK;
  }
  return usage("unknown parquet command");
}
