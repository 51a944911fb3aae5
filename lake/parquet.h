/* parquet.h: a small, exact Parquet codec written from the format's
 * specification (apache/parquet-format: README.md, Encodings.md,
 * Compression.md, LogicalTypes.md, parquet.thrift). No third-party Parquet
 * code; compression comes from Debian's libsnappy, libzstd and zlib.
 *
 * What it reads: flat schemas (nested groups without repetition are read as
 * leaf columns named by their dotted path, "b_struct.b_c_int"); physical types
 * BOOLEAN, INT32, INT64, INT96 (as a timestamp), FLOAT, DOUBLE, BYTE_ARRAY,
 * FIXED_LEN_BYTE_ARRAY; logical/converted types STRING/UTF8, DATE,
 * TIMESTAMP (millis, micros, nanos), DECIMAL, INT_8..INT_64; optional columns
 * (definition levels); encodings PLAIN, PLAIN_DICTIONARY/RLE_DICTIONARY,
 * DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY; data pages v1
 * and v2; codecs UNCOMPRESSED, SNAPPY, GZIP, ZSTD; any number of row groups.
 * Repeated fields (lists, maps), BYTE_STREAM_SPLIT, LZ4/BROTLI, bloom filters
 * and the page index are refused or ignored (see each function).
 *
 * What it writes: flat schemas of the same types (not INT96), PLAIN or
 * dictionary (RLE_DICTIONARY) data pages v1 or v2, one of the four codecs,
 * column statistics (min_value, max_value, null_count) per column chunk, and
 * a footer. The writer streams: it buffers one row group at a time
 * (asl_pq_writer_peak_bytes reports the high-water mark).
 *
 * Errors: every function that can fail returns -1 (or NULL) and fills the
 * asl_error with name "Parquet.Error" and a cause naming the place: the file
 * offset, the column and the page ("column 'id' row group 0 page 2 at
 * offset 4123: dictionary index 9 out of range (4 entries)"). A malformed
 * file never crashes the reader and never makes it allocate more than the
 * file could hold. */
#ifndef ASL_PARQUET_H
#define ASL_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "../engine/core.h"

/* Physical types, numbered as parquet.thrift's Type. */
typedef enum {
  ASL_PQ_BOOLEAN = 0,
  ASL_PQ_INT32 = 1,
  ASL_PQ_INT64 = 2,
  ASL_PQ_INT96 = 3,
  ASL_PQ_FLOAT = 4,
  ASL_PQ_DOUBLE = 5,
  ASL_PQ_BYTE_ARRAY = 6,
  ASL_PQ_FIXED_LEN_BYTE_ARRAY = 7
} asl_pq_physical;

/* What a column means, whichever of LogicalType or ConvertedType the file
 * used to say it. */
typedef enum {
  ASL_PQ_L_NONE = 0,     /* the physical type's plain meaning */
  ASL_PQ_L_STRING,       /* UTF-8 text in a BYTE_ARRAY */
  ASL_PQ_L_DATE,         /* INT32 days since 1970-01-01 */
  ASL_PQ_L_TIMESTAMP_MS, /* INT64 milliseconds since the epoch, UTC */
  ASL_PQ_L_TIMESTAMP_US, /* INT64 microseconds since the epoch, UTC */
  ASL_PQ_L_TIMESTAMP_NS, /* INT64 nanoseconds (read only) */
  ASL_PQ_L_DECIMAL,      /* scaled integer: precision and scale in the column */
  ASL_PQ_L_INT,          /* INT_8..INT_64, UINT_*: an integer, read only */
  ASL_PQ_L_OTHER         /* a type this codec reads as its physical type */
} asl_pq_logical;

/* Codecs, numbered as parquet.thrift's CompressionCodec. */
typedef enum {
  ASL_PQ_UNCOMPRESSED = 0,
  ASL_PQ_SNAPPY = 1,
  ASL_PQ_GZIP = 2,
  ASL_PQ_ZSTD = 6
} asl_pq_codec;

/* One leaf column. For the writer the caller fills name, physical, logical,
 * type_length (FIXED_LEN_BYTE_ARRAY only), precision and scale (DECIMAL
 * only) and nullable. */
typedef struct asl_pq_column {
  char *name; /* owned by whoever made the array */
  asl_pq_physical physical;
  asl_pq_logical logical;
  int type_length; /* FIXED_LEN_BYTE_ARRAY bytes */
  int precision, scale;
  int nullable; /* OPTIONAL (1) or REQUIRED (0) */
} asl_pq_column;

/* A typed value as the API hands it out or takes it in. */
typedef enum {
  ASL_PQ_V_NULL = 0,
  ASL_PQ_V_BOOL,   /* b */
  ASL_PQ_V_INT,    /* i: INT32, INT64, INT_8.. */
  ASL_PQ_V_DOUBLE, /* d: FLOAT (widened) and DOUBLE */
  ASL_PQ_V_BYTES,  /* s, n: BYTE_ARRAY / FIXED_LEN_BYTE_ARRAY (also STRING) */
  ASL_PQ_V_DATE,   /* i: days since 1970-01-01 */
  ASL_PQ_V_TIMESTAMP, /* i: microseconds since 1970-01-01T00:00:00Z */
  ASL_PQ_V_DECIMAL    /* i: unscaled integer, scale: digits after the point */
} asl_pq_kind;

typedef struct asl_pq_value {
  asl_pq_kind kind;
  int b;
  int64_t i;
  double d;
  const char *s; /* not NUL-terminated; borrowed (see asl_pq_next) */
  size_t n;
  int scale;
} asl_pq_value;

/* ---------------------------------------------------------------- reader */

typedef struct asl_pq_reader asl_pq_reader;

/* Opens a Parquet file and reads its footer (only the footer: pages are read
 * one row group at a time by asl_pq_next). asl_pq_open_fd borrows fd (the
 * caller closes it after asl_pq_close). NULL + *e on a file that is not
 * Parquet, a footer that does not parse, or a schema this codec cannot read
 * (repeated fields). */
asl_pq_reader *asl_pq_open(const char *path, asl_error *e);
asl_pq_reader *asl_pq_open_fd(int fd, asl_error *e);
void asl_pq_close(asl_pq_reader *r);

size_t asl_pq_ncolumns(const asl_pq_reader *r);
const asl_pq_column *asl_pq_column_at(const asl_pq_reader *r, size_t i);
/* The column's index, or -1 when no column has that name. */
int asl_pq_column_index(const asl_pq_reader *r, const char *name);
int64_t asl_pq_nrows(const asl_pq_reader *r);
int asl_pq_nrow_groups(const asl_pq_reader *r);
int64_t asl_pq_row_group_rows(const asl_pq_reader *r, int rg);
/* The footer's created_by, or "". */
const char *asl_pq_created_by(const asl_pq_reader *r);
/* The codec name of column chunk (rg, col): "SNAPPY", ... */
const char *asl_pq_chunk_codec(const asl_pq_reader *r, int rg, int col);

/* Column-chunk statistics: min and max (decoded like values; kind NULL
 * when the file has none, or only the deprecated min/max of a byte array
 * or an unsigned/sized integer, whose order is not the logical one) and the
 * null count (-1 when absent). Floating-point min/max never hold NaN. Strings
 * in min/max are borrowed from the reader. 0, or -1 when rg/col are out of
 * range. */
int asl_pq_stats(const asl_pq_reader *r, int rg, int col, asl_pq_value *min,
                 asl_pq_value *max, int64_t *null_count);

/* Reads only the columns whose want[i] is non-zero (the others come back
 * as NULL and their pages are not read). want has asl_pq_ncolumns entries;
 * NULL means all. Call before the first asl_pq_next. */
void asl_pq_project(asl_pq_reader *r, const int *want);

/* Next row: *row points at asl_pq_ncolumns values, valid (strings too)
 * until the next call or asl_pq_close. 1 a row, 0 no more rows, -1 + *e
 * a malformed page (the cause names column, row group, page and offset);
 * after -1 only asl_pq_close is meaningful. Memory: per wanted column, the
 * compressed bytes of the current column chunk and the decoded values of
 * the current page. */
int asl_pq_next(asl_pq_reader *r, const asl_pq_value **row, asl_error *e);

/* ---------------------------------------------------------------- writer */

typedef struct asl_pq_write_opts {
  asl_pq_codec codec;     /* default UNCOMPRESSED */
  int64_t row_group_rows; /* rows per row group; 0 means 131072 */
  int64_t
      row_group_bytes;    /* also flush when buffered bytes exceed; 0: 64 MiB */
  int no_dictionary;      /* 1: PLAIN only; 0: dictionary when it pays */
  int page_v2;            /* 1: DATA_PAGE_V2; 0: DATA_PAGE (v1) */
  const char *created_by; /* NULL: "asl parquet writer" */
} asl_pq_write_opts;

typedef struct asl_pq_writer asl_pq_writer;

/* Creates (truncates) path and writes the magic. cols is copied. Refuses
 * (NULL + *e) INT96, a DECIMAL precision outside 1..38 or a scale outside
 * 0..precision, a FIXED_LEN_BYTE_ARRAY without a length, duplicate or empty
 * names. */
asl_pq_writer *asl_pq_writer_create(const char *path, const asl_pq_column *cols,
                                    size_t ncols, const asl_pq_write_opts *o,
                                    asl_error *e);
/* Appends one row: row[i] for column i. The value's kind must fit the
 * column (INT for integers, DOUBLE for FLOAT/DOUBLE, BYTES for byte arrays
 * and STRING, DATE, TIMESTAMP, DECIMAL with the column's scale; INT is
 * also taken for DATE, TIMESTAMP and DECIMAL as the stored integer), NULL
 * only for nullable columns. The bytes are copied. -1 + *e names the
 * column and row. */
int asl_pq_writer_append(asl_pq_writer *w, const asl_pq_value *row,
                         asl_error *e);
/* Flushes the last row group, writes the footer, closes the file and frees
 * w (also on failure). */
int asl_pq_writer_close(asl_pq_writer *w, asl_error *e);
/* Frees w without a footer and removes the file. */
void asl_pq_writer_abort(asl_pq_writer *w);
/* High-water mark of the bytes the writer buffered (values, levels,
 * dictionary and encoded pages), to show memory is bounded by a row group. */
size_t asl_pq_writer_peak_bytes(const asl_pq_writer *w);
int64_t asl_pq_writer_rows(const asl_pq_writer *w);

/* ---------------------------------------------------------------- helpers */

/* Parses a schema spec "name:type,name:type!,..." into a new array (free
 * with asl_pq_columns_free). Types: bool, int32, int64, float, double,
 * string, binary, date, timestamp (micros), timestamp_ms, decimal(P,S)
 * (INT32 up to precision 9, INT64 up to 18, else FIXED_LEN_BYTE_ARRAY),
 * fixed(N). Columns are nullable unless the type ends in '!'. */
int asl_pq_parse_schema(const char *spec, asl_pq_column **cols, size_t *ncols,
                        asl_error *e);
void asl_pq_columns_free(asl_pq_column *cols, size_t ncols);

/* The value a JSON value stands for in column c: null -> NULL; true/false;
 * numbers for integers, floats and decimals; strings for text, binary,
 * fixed, decimals ("12.30"), dates ("YYYY-MM-DD"), timestamps
 * ("YYYY-MM-DD[T ]HH:MM:SS[.ffffff][Z]"); numbers also for dates (days) and
 * timestamps (microseconds). Strings in *out point into j. 0, or -1 with
 * *why (static text). */
int asl_pq_value_from_json(const asl_pq_column *c, const cJSON *j,
                           asl_pq_value *out, const char **why);

/* Appends the text of v: JSON (json=1: null, true, numbers, decimals as
 * numbers with their scale's digits, "YYYY-MM-DD" dates, ISO-8601 UTC
 * timestamps with milliseconds or microseconds, strings escaped, NaN and
 * infinities as strings) or CSV (json=0: the same without quotes; NULL is
 * empty, text quoted when it needs to be). */
void asl_pq_value_text(asl_buf *b, const asl_pq_value *v, int json);

const char *asl_pq_physical_name(asl_pq_physical t);
/* "STRING", "DATE", "TIMESTAMP_MILLIS", ... or "" for NONE. */
const char *asl_pq_logical_name(asl_pq_logical l);
/* Days since 1970-01-01 <-> civil date (proleptic Gregorian). */
int64_t asl_pq_days_from_civil(int64_t y, unsigned m, unsigned d);
void asl_pq_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

#endif
