/* parquet.c: the Parquet reader and writer of parquet.h, written from the
 * format's specification. Layout: byte buffers; the Thrift compact protocol
 * (reader with bounds checks on every byte, writer); the RLE/bit-packing
 * hybrid; compression; the footer and schema; page decoding and row
 * iteration; the streaming writer. */
#include "parquet.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#define PQ_ERR "Parquet.Error"
/* Limits that keep a lying file from making the reader allocate without
 * bound: values per page, bytes of one decompressed page, footer bytes. */
#define PQ_MAX_PAGE_VALUES (1 << 22)
#define PQ_MAX_PAGE_BYTES ((int64_t)1 << 30)
#define PQ_MAX_FOOTER ((int64_t)1 << 28)

/* ================================================================ buffers */

typedef struct {
  uint8_t *p;
  size_t n, cap;
} pq_buf;

static void buf_reserve(pq_buf *b, size_t more) {
  if (b->n + more <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->n + more)
    cap *= 2;
  b->p = asl_realloc(b->p, cap);
  b->cap = cap;
}

static void buf_put(pq_buf *b, const void *p, size_t n) {
  if (!n) return;
  buf_reserve(b, n);
  memcpy(b->p + b->n, p, n);
  b->n += n;
}

static void buf_byte(pq_buf *b, uint8_t v) { buf_put(b, &v, 1); }

static void buf_u32le(pq_buf *b, uint32_t v) {
  uint8_t x[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
  buf_put(b, x, 4);
}

static void buf_u64le(pq_buf *b, uint64_t v) {
  uint8_t x[8];
  for (int i = 0; i < 8; i++)
    x[i] = (uint8_t)(v >> (8 * i));
  buf_put(b, x, 8);
}

static void buf_varint(pq_buf *b, uint64_t v) {
  while (v >= 0x80) {
    buf_byte(b, (uint8_t)(v | 0x80));
    v >>= 7;
  }
  buf_byte(b, (uint8_t)v);
}

static void buf_free(pq_buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

static uint32_t rd_u32le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static uint64_t rd_u64le(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* ================================================== thrift compact reader */

/* Reads from [p, end); the first failure records the offset (base_off +
 * position) and makes every later read return zero, so parsers need not
 * check after each field. */
typedef struct {
  const uint8_t *p, *start, *end;
  int64_t base_off;
  const char *what; /* "footer", "page header" */
  int depth;
  int failed;
  char why[160];
  int64_t at;
} tr_t;

static void tr_fail(tr_t *t, const char *why) {
  if (t->failed) return;
  t->failed = 1;
  t->at = t->base_off + (t->p - t->start);
  snprintf(t->why, sizeof t->why, "%s", why);
  t->p = t->end;
}

static uint8_t tr_byte(tr_t *t) {
  if (t->p >= t->end) {
    tr_fail(t, "ends in the middle of a value");
    return 0;
  }
  return *t->p++;
}

static uint64_t tr_varint(tr_t *t) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b = tr_byte(t);
    if (t->failed) return 0;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  tr_fail(t, "varint longer than 10 bytes");
  return 0;
}

static int64_t tr_zz(tr_t *t) {
  uint64_t v = tr_varint(t);
  return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static int32_t tr_i32(tr_t *t) {
  int64_t v = tr_zz(t);
  if (v < INT32_MIN || v > INT32_MAX) {
    tr_fail(t, "i32 out of range");
    return 0;
  }
  return (int32_t)v;
}

static void tr_binary(tr_t *t, const uint8_t **p, size_t *n) {
  uint64_t len = tr_varint(t);
  if (len > (uint64_t)(t->end - t->p)) {
    tr_fail(t, "string longer than the bytes left");
    len = 0;
  }
  *p = t->p;
  *n = (size_t)len;
  t->p += len;
}

/* Compact type ids. */
enum {
  CT_STOP = 0,
  CT_TRUE = 1,
  CT_FALSE = 2,
  CT_BYTE = 3,
  CT_I16 = 4,
  CT_I32 = 5,
  CT_I64 = 6,
  CT_DOUBLE = 7,
  CT_BINARY = 8,
  CT_LIST = 9,
  CT_SET = 10,
  CT_MAP = 11,
  CT_STRUCT = 12
};

/* Next field header of a struct: 1 with *id and *type, 0 at STOP. */
static int tr_field(tr_t *t, int *id, int *type) {
  if (t->failed) return 0;
  uint8_t b = tr_byte(t);
  if (t->failed || b == 0) return 0;
  *type = b & 0x0f;
  int delta = b >> 4;
  if (delta)
    *id += delta;
  else
    *id = (int)tr_zz(t);
  return !t->failed;
}

static void tr_list(tr_t *t, int *etype, int64_t *n) {
  uint8_t b = tr_byte(t);
  *etype = b & 0x0f;
  int64_t size = b >> 4;
  if (size == 15) size = (int64_t)tr_varint(t);
  if (size < 0 || size > t->end - t->p) {
    tr_fail(t, "list longer than the bytes left");
    size = 0;
  }
  *n = size;
}

static void tr_skip(tr_t *t, int type);

static void tr_skip_struct(tr_t *t) {
  if (++t->depth > 32) {
    tr_fail(t, "structs nested more than 32 deep");
    return;
  }
  int id = 0, ty;
  while (tr_field(t, &id, &ty))
    tr_skip(t, ty);
  t->depth--;
}

static void tr_skip(tr_t *t, int type) {
  const uint8_t *p;
  size_t n;
  int64_t cnt;
  int et;
  switch (type) {
  case CT_TRUE:
  case CT_FALSE:
    break;
  case CT_BYTE:
    tr_byte(t);
    break;
  case CT_I16:
  case CT_I32:
  case CT_I64:
    tr_varint(t);
    break;
  case CT_DOUBLE:
    if (t->end - t->p < 8)
      tr_fail(t, "ends in the middle of a double");
    else
      t->p += 8;
    break;
  case CT_BINARY:
    tr_binary(t, &p, &n);
    break;
  case CT_LIST:
  case CT_SET:
    tr_list(t, &et, &cnt);
    if (++t->depth > 32) {
      tr_fail(t, "lists nested more than 32 deep");
      return;
    }
    for (int64_t i = 0; i < cnt && !t->failed; i++)
      tr_skip(t, et == CT_TRUE || et == CT_FALSE ? CT_BYTE : et);
    t->depth--;
    break;
  case CT_MAP: {
    cnt = (int64_t)tr_varint(t);
    if (cnt < 0 || cnt > t->end - t->p) {
      tr_fail(t, "map longer than the bytes left");
      return;
    }
    if (!cnt) break;
    uint8_t kv = tr_byte(t);
    if (++t->depth > 32) {
      tr_fail(t, "maps nested more than 32 deep");
      return;
    }
    for (int64_t i = 0; i < cnt && !t->failed; i++) {
      int k = kv >> 4, v = kv & 15;
      tr_skip(t, k == CT_TRUE || k == CT_FALSE ? CT_BYTE : k);
      tr_skip(t, v == CT_TRUE || v == CT_FALSE ? CT_BYTE : v);
    }
    t->depth--;
    break;
  }
  case CT_STRUCT:
    tr_skip_struct(t);
    break;
  default:
    tr_fail(t, "unknown field type");
  }
}

/* ================================================== thrift compact writer */

typedef struct {
  pq_buf *b;
  int last[16];
  int depth;
} tw_t;

static void tw_field(tw_t *t, int id, int type) {
  int delta = id - t->last[t->depth];
  if (delta > 0 && delta <= 15) {
    buf_byte(t->b, (uint8_t)(delta << 4 | type));
  } else {
    buf_byte(t->b, (uint8_t)type);
    buf_varint(t->b, (uint64_t)(((int64_t)id << 1) ^ ((int64_t)id >> 63)));
  }
  t->last[t->depth] = id;
}

static void tw_i64(tw_t *t, int id, int64_t v) {
  tw_field(t, id, CT_I64);
  buf_varint(t->b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void tw_i32(tw_t *t, int id, int32_t v) {
  tw_field(t, id, CT_I32);
  buf_varint(t->b, ((uint64_t)(int64_t)v << 1) ^ (uint64_t)((int64_t)v >> 63));
}

static void tw_bool(tw_t *t, int id, int v) {
  tw_field(t, id, v ? CT_TRUE : CT_FALSE);
}

static void tw_bin(tw_t *t, int id, const void *p, size_t n) {
  tw_field(t, id, CT_BINARY);
  buf_varint(t->b, n);
  buf_put(t->b, p, n);
}

static void tw_begin(tw_t *t) { t->last[++t->depth] = 0; }

static void tw_struct(tw_t *t, int id) {
  tw_field(t, id, CT_STRUCT);
  tw_begin(t);
}

static void tw_end(tw_t *t) {
  buf_byte(t->b, 0);
  t->depth--;
}

static void tw_list(tw_t *t, int id, int etype, size_t n) {
  tw_field(t, id, CT_LIST);
  if (n < 15) {
    buf_byte(t->b, (uint8_t)(n << 4 | etype));
  } else {
    buf_byte(t->b, (uint8_t)(0xf0 | etype));
    buf_varint(t->b, n);
  }
}

/* ====================================================== RLE / bit-packing */

static int bit_width(uint64_t max) {
  int w = 0;
  while (max) {
    w++;
    max >>= 1;
  }
  return w;
}

/* Decodes count values of the hybrid encoding from [p, p+n) into out. NULL
 * on success, else a static reason. */
static const char *rle_decode(const uint8_t *p, size_t n, int bw, uint32_t *out,
                              int64_t count) {
  size_t pos = 0;
  int64_t got = 0;
  if (bw < 0 || bw > 32) return "bit width over 32";
  size_t vbytes = (size_t)(bw + 7) / 8;
  while (got < count) {
    uint64_t h = 0;
    int shift = 0;
    for (;;) {
      if (pos >= n) return "levels or indices end before all values";
      uint8_t b = p[pos++];
      if (shift < 64) h |= (uint64_t)(b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
      if (shift > 63) return "run header varint too long";
    }
    if (h & 1) {
      uint64_t groups = h >> 1;
      if (groups == 0) return "empty bit-packed run";
      if (groups > ((uint64_t)1 << 40)) return "bit-packed run too long";
      int64_t nv = (int64_t)groups * 8;
      if (nv > count - got) nv = count - got;
      size_t need = ((size_t)nv * (size_t)bw + 7) / 8;
      size_t have = (size_t)groups * (size_t)bw;
      if (need > n - pos) return "bit-packed run longer than the bytes left";
      uint64_t acc = 0;
      int accb = 0;
      size_t q = pos;
      uint64_t mask = bw == 32 ? 0xffffffffu : (((uint64_t)1 << bw) - 1);
      for (int64_t i = 0; i < nv; i++) {
        while (accb < bw) {
          acc |= (uint64_t)p[q++] << accb;
          accb += 8;
        }
        out[got++] = (uint32_t)(acc & mask);
        acc >>= bw;
        accb -= bw;
      }
      pos += have < n - pos ? have : n - pos;
    } else {
      uint64_t run = h >> 1;
      if (vbytes > n - pos) return "RLE run value past the end";
      uint64_t v = 0;
      for (size_t i = 0; i < vbytes; i++)
        v |= (uint64_t)p[pos + i] << (8 * i);
      pos += vbytes;
      if (bw < 32 && v >> bw) return "RLE run value wider than the bit width";
      if (run > (uint64_t)(count - got)) run = (uint64_t)(count - got);
      for (uint64_t i = 0; i < run; i++)
        out[got++] = (uint32_t)v;
    }
  }
  return NULL;
}

/* Appends the hybrid encoding of v[0..n) with bit width bw: runs of 8 or
 * more equal values as RLE runs, the rest bit-packed in groups of 8. */
static void rle_encode(pq_buf *b, const uint32_t *v, int64_t n, int bw) {
  size_t vbytes = (size_t)(bw + 7) / 8;
  int64_t i = 0;
  while (i < n) {
    int64_t j = i + 1;
    while (j < n && v[j] == v[i])
      j++;
    if (j - i >= 8 || j == n) {
      buf_varint(b, (uint64_t)(j - i) << 1);
      for (size_t k = 0; k < vbytes; k++)
        buf_byte(b, (uint8_t)(v[i] >> (8 * k)));
      i = j;
      continue;
    }
    /* bit-pack from i until a run of 8 equal values starts at a group
     * boundary (or the end) */
    int64_t start = i, end = i;
    while (end < n) {
      int64_t k = end + 1;
      while (k < n && v[k] == v[end])
        k++;
      if (k - end >= 8 && (end - start) % 8 == 0 && end > start) break;
      end += 8;
      if (end > n) end = n;
    }
    int64_t groups = (end - start + 7) / 8;
    buf_varint(b, (uint64_t)groups << 1 | 1);
    uint64_t acc = 0;
    int accb = 0;
    for (int64_t k = 0; k < groups * 8; k++) {
      uint64_t x = start + k < n ? v[start + k] : 0;
      acc |= x << accb;
      accb += bw;
      while (accb >= 8) {
        buf_byte(b, (uint8_t)acc);
        acc >>= 8;
        accb -= 8;
      }
    }
    if (accb) buf_byte(b, (uint8_t)acc);
    i = start + groups * 8 < n ? start + groups * 8 : n;
  }
}

/* ================================================================ codecs */

static const char *codec_name(int c) {
  switch (c) {
  case 0:
    return "UNCOMPRESSED";
  case 1:
    return "SNAPPY";
  case 2:
    return "GZIP";
  case 3:
    return "LZO";
  case 4:
    return "BROTLI";
  case 5:
    return "LZ4";
  case 6:
    return "ZSTD";
  case 7:
    return "LZ4_RAW";
  default:
    return "UNKNOWN";
  }
}

/* Decompresses src into a new buffer of exactly want bytes. NULL + reason. */
static uint8_t *decompress(int codec, const uint8_t *src, size_t n, size_t want,
                           const char **why) {
  if (codec == 0) {
    if (n != want) {
      *why = "uncompressed page whose two sizes differ";
      return NULL;
    }
    uint8_t *o = asl_malloc(want ? want : 1);
    memcpy(o, src, n);
    return o;
  }
  if (want == 0 && n == 0) return asl_malloc(1);
  if (codec == 1) {
    size_t len;
    if (snappy_uncompressed_length((const char *)src, n, &len) != SNAPPY_OK ||
        len != want) {
      *why = "snappy data whose length is not the page's uncompressed size";
      return NULL;
    }
    uint8_t *o = asl_malloc(want ? want : 1);
    size_t got = want;
    if (snappy_uncompress((const char *)src, n, (char *)o, &got) != SNAPPY_OK ||
        got != want) {
      free(o);
      *why = "snappy data does not decompress";
      return NULL;
    }
    return o;
  }
  if (codec == 6) {
    /* a frame that states its size must state the page's */
    unsigned long long fs = ZSTD_getFrameContentSize(src, n);
    if (fs == ZSTD_CONTENTSIZE_ERROR ||
        (fs != ZSTD_CONTENTSIZE_UNKNOWN && fs != want)) {
      *why = "zstd data whose size is not the page's uncompressed size";
      return NULL;
    }
    uint8_t *o = asl_malloc(want ? want : 1);
    size_t got = ZSTD_decompress(o, want, src, n);
    if (ZSTD_isError(got) || got != want) {
      free(o);
      *why = "zstd data does not decompress to the page's uncompressed size";
      return NULL;
    }
    return o;
  }
  if (codec == 2) {
    /* deflate cannot expand more than 1032:1 */
    if (want / 1032 > n + 64) {
      *why = "gzip data too short for the page's uncompressed size";
      return NULL;
    }
    uint8_t *o = asl_malloc(want ? want : 1);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit2(&z, 15 + 32) != Z_OK) {
      free(o);
      *why = "zlib init failed";
      return NULL;
    }
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)n;
    z.next_out = o;
    z.avail_out = (uInt)want;
    int rc;
    for (;;) {
      rc = inflate(&z, Z_NO_FLUSH);
      /* concatenated gzip members: start the next one */
      if (rc == Z_STREAM_END && z.avail_in > 0 && z.avail_out > 0) {
        if (inflateReset(&z) != Z_OK) break;
        continue;
      }
      break;
    }
    size_t got = want - z.avail_out;
    inflateEnd(&z);
    if ((rc != Z_STREAM_END && rc != Z_OK && rc != Z_BUF_ERROR) ||
        got != want) {
      free(o);
      *why = "gzip data does not decompress to the page's uncompressed size";
      return NULL;
    }
    return o;
  }
  *why = "codec not supported (only UNCOMPRESSED, SNAPPY, GZIP, ZSTD)";
  return NULL;
}

/* Compresses src into out (appended). */
static int compress_into(int codec, const uint8_t *src, size_t n, pq_buf *out) {
  if (codec == 0) {
    buf_put(out, src, n);
    return 0;
  }
  if (codec == 1) {
    size_t cap = snappy_max_compressed_length(n);
    buf_reserve(out, cap);
    size_t got = cap;
    if (snappy_compress((const char *)src, n, (char *)out->p + out->n, &got) !=
        SNAPPY_OK)
      return -1;
    out->n += got;
    return 0;
  }
  if (codec == 6) {
    size_t cap = ZSTD_compressBound(n);
    buf_reserve(out, cap);
    size_t got = ZSTD_compress(out->p + out->n, cap, src, n, 3);
    if (ZSTD_isError(got)) return -1;
    out->n += got;
    return 0;
  }
  if (codec == 2) {
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
      return -1;
    size_t cap = deflateBound(&z, (uLong)n) + 32;
    buf_reserve(out, cap);
    z.next_in = (Bytef *)src;
    z.avail_in = (uInt)n;
    z.next_out = out->p + out->n;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    size_t got = cap - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) return -1;
    out->n += got;
    return 0;
  }
  return -1;
}

/* ================================================================ names */

const char *asl_pq_physical_name(asl_pq_physical t) {
  static const char *n[] = {
      "BOOLEAN", "INT32",  "INT64",      "INT96",
      "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
  return (unsigned)t < 8 ? n[t] : "UNKNOWN";
}

const char *asl_pq_logical_name(asl_pq_logical l) {
  switch (l) {
  case ASL_PQ_L_NONE:
    return "";
  case ASL_PQ_L_STRING:
    return "STRING";
  case ASL_PQ_L_DATE:
    return "DATE";
  case ASL_PQ_L_TIMESTAMP_MS:
    return "TIMESTAMP_MILLIS";
  case ASL_PQ_L_TIMESTAMP_US:
    return "TIMESTAMP_MICROS";
  case ASL_PQ_L_TIMESTAMP_NS:
    return "TIMESTAMP_NANOS";
  case ASL_PQ_L_DECIMAL:
    return "DECIMAL";
  case ASL_PQ_L_INT:
    return "INT";
  case ASL_PQ_L_OTHER:
    return "OTHER";
  }
  return "";
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
int64_t asl_pq_days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

void asl_pq_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t yy = (int64_t)yoe + era * 400;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = yy + (*m <= 2);
}

/* ================================================================ reader */

typedef struct {
  const uint8_t *p;
  size_t n;
  int set;
} pq_raw;

typedef struct {
  int type, codec;
  int64_t num_values, total_compressed, total_uncompressed;
  int64_t data_off, dict_off;
  int has_dict_off;
  pq_raw min, max; /* min_value/max_value, or the older min/max */
  pq_raw old_min, old_max;
  int64_t null_count;
  asl_pq_value vmin, vmax; /* decoded at open */
} pq_chunk;

typedef struct {
  int64_t num_rows;
  pq_chunk *chunks;
} pq_rg;

typedef struct {
  int type, type_length, repetition, num_children, converted, scale, precision;
  int has_type, has_rep;
  const uint8_t *name;
  size_t name_n;
  int lt; /* LogicalType union field id, 0 none */
  int lt_unit, lt_scale, lt_precision;
} pq_elem;

/* One column's read cursor within the current row group. */
typedef struct {
  uint8_t *chunk; /* the chunk's compressed bytes */
  size_t chunk_n, pos;
  int64_t chunk_off;
  int page_no;
  int64_t values_read; /* values consumed from the chunk's pages */
  /* dictionary */
  asl_pq_value *dict;
  int64_t dict_n;
  uint8_t *dict_buf;
  /* current page */
  uint8_t *page_buf;
  uint8_t *page_buf2; /* v2: decompressed values section */
  char *arena;        /* DELTA_BYTE_ARRAY strings */
  uint8_t *defs;
  asl_pq_value *vals;
  int64_t page_n, page_i, vals_i, vals_n;
} pq_cur;

struct asl_pq_reader {
  int fd, own_fd;
  int64_t file_size;
  uint8_t *footer;
  asl_pq_column *cols;
  int *max_def;
  size_t ncols;
  int64_t nrows;
  pq_rg *rgs;
  int nrg;
  char *created_by;
  int *want;
  int cur_rg;
  int64_t rg_row, rg_rows;
  pq_cur *cur;
  asl_pq_value *row;
};

size_t asl_pq_ncolumns(const asl_pq_reader *r) { return r->ncols; }
const asl_pq_column *asl_pq_column_at(const asl_pq_reader *r, size_t i) {
  return i < r->ncols ? &r->cols[i] : NULL;
}
int asl_pq_column_index(const asl_pq_reader *r, const char *name) {
  for (size_t i = 0; i < r->ncols; i++)
    if (strcmp(r->cols[i].name, name) == 0) return (int)i;
  return -1;
}
int64_t asl_pq_nrows(const asl_pq_reader *r) { return r->nrows; }
int asl_pq_nrow_groups(const asl_pq_reader *r) { return r->nrg; }
int64_t asl_pq_row_group_rows(const asl_pq_reader *r, int rg) {
  return rg >= 0 && rg < r->nrg ? r->rgs[rg].num_rows : 0;
}
const char *asl_pq_created_by(const asl_pq_reader *r) {
  return r->created_by ? r->created_by : "";
}
const char *asl_pq_chunk_codec(const asl_pq_reader *r, int rg, int col) {
  if (rg < 0 || rg >= r->nrg || col < 0 || (size_t)col >= r->ncols) return "";
  return codec_name(r->rgs[rg].chunks[col].codec);
}

static int64_t pow10i(int k) {
  int64_t v = 1;
  while (k-- > 0)
    v *= 10;
  return v;
}

/* Big-endian two's complement bytes -> int64; -1 when it does not fit. */
static int be_to_i64(const uint8_t *p, size_t n, int64_t *out) {
  if (n == 0) {
    *out = 0;
    return 0;
  }
  uint8_t sign = (p[0] & 0x80) ? 0xff : 0;
  size_t skip = 0;
  while (n - skip > 8 && p[skip] == sign)
    skip++;
  if (n - skip > 8) return -1;
  if (n - skip == 8 && ((p[skip] & 0x80) ? 0xff : 0) != sign) return -1;
  uint64_t v = sign ? ~(uint64_t)0 : 0;
  for (size_t i = skip; i < n; i++)
    v = v << 8 | p[i];
  *out = (int64_t)v;
  return 0;
}

/* Turns a raw physical value (in v: i for ints, d for doubles, s/n for
 * bytes, b for bool) into the column's kind. NULL or a reason. */
static const char *finish_value(const asl_pq_column *c, asl_pq_value *v) {
  int64_t x;
  switch (c->physical) {
  case ASL_PQ_BOOLEAN:
    v->kind = ASL_PQ_V_BOOL;
    return NULL;
  case ASL_PQ_FLOAT:
  case ASL_PQ_DOUBLE:
    v->kind = ASL_PQ_V_DOUBLE;
    return NULL;
  case ASL_PQ_INT96:
    v->kind = ASL_PQ_V_TIMESTAMP;
    return NULL; /* converted by the decoder */
  case ASL_PQ_INT32:
  case ASL_PQ_INT64:
    switch (c->logical) {
    case ASL_PQ_L_DATE:
      v->kind = ASL_PQ_V_DATE;
      return NULL;
    case ASL_PQ_L_TIMESTAMP_MS:
      if (__builtin_mul_overflow(v->i, (int64_t)1000, &x))
        return "timestamp out of range";
      v->i = x;
      v->kind = ASL_PQ_V_TIMESTAMP;
      return NULL;
    case ASL_PQ_L_TIMESTAMP_US:
      v->kind = ASL_PQ_V_TIMESTAMP;
      return NULL;
    case ASL_PQ_L_TIMESTAMP_NS:
      x = v->i / 1000;
      if (v->i % 1000 < 0) x--;
      v->i = x;
      v->kind = ASL_PQ_V_TIMESTAMP;
      return NULL;
    case ASL_PQ_L_DECIMAL:
      v->kind = ASL_PQ_V_DECIMAL;
      v->scale = c->scale;
      return NULL;
    default:
      v->kind = ASL_PQ_V_INT;
      return NULL;
    }
  case ASL_PQ_BYTE_ARRAY:
  case ASL_PQ_FIXED_LEN_BYTE_ARRAY:
    if (c->logical == ASL_PQ_L_DECIMAL) {
      if (be_to_i64((const uint8_t *)v->s, v->n, &x) < 0)
        return "decimal value does not fit 64 bits";
      v->i = x;
      v->s = NULL;
      v->n = 0;
      v->kind = ASL_PQ_V_DECIMAL;
      v->scale = c->scale;
      return NULL;
    }
    v->kind = ASL_PQ_V_BYTES;
    return NULL;
  }
  return "unknown physical type";
}

static const char *int96_to_ts(const uint8_t *p, int64_t *out) {
  int64_t nanos = (int64_t)rd_u64le(p);
  int64_t day = (int64_t)rd_u32le(p + 8) - 2440588;
  int64_t us;
  if (__builtin_mul_overflow(day, (int64_t)86400000000, &us) ||
      __builtin_add_overflow(us, nanos / 1000, &us))
    return "INT96 timestamp out of range";
  *out = us;
  return NULL;
}

/* PLAIN-decodes count values of column c from [p, p+n) into out. Byte
 * values point into p. *used = bytes consumed. NULL or a reason. */
static const char *plain_decode(const asl_pq_column *c, const uint8_t *p,
                                size_t n, int64_t count, asl_pq_value *out,
                                size_t *used) {
  size_t pos = 0;
  const char *why;
  for (int64_t k = 0; k < count; k++) {
    asl_pq_value *v = &out[k];
    memset(v, 0, sizeof *v);
    switch (c->physical) {
    case ASL_PQ_BOOLEAN:
      if ((size_t)(k / 8) >= n) return "PLAIN booleans end before all values";
      v->b = (p[k / 8] >> (k % 8)) & 1;
      pos = (size_t)(k / 8) + 1;
      break;
    case ASL_PQ_INT32:
      if (n - pos < 4) return "PLAIN values end before all values";
      v->i = (int32_t)rd_u32le(p + pos);
      pos += 4;
      break;
    case ASL_PQ_INT64:
      if (n - pos < 8) return "PLAIN values end before all values";
      v->i = (int64_t)rd_u64le(p + pos);
      pos += 8;
      break;
    case ASL_PQ_INT96:
      if (n - pos < 12) return "PLAIN values end before all values";
      if ((why = int96_to_ts(p + pos, &v->i))) return why;
      pos += 12;
      break;
    case ASL_PQ_FLOAT: {
      if (n - pos < 4) return "PLAIN values end before all values";
      uint32_t u = rd_u32le(p + pos);
      float f;
      memcpy(&f, &u, 4);
      v->d = f;
      pos += 4;
      break;
    }
    case ASL_PQ_DOUBLE: {
      if (n - pos < 8) return "PLAIN values end before all values";
      uint64_t u = rd_u64le(p + pos);
      memcpy(&v->d, &u, 8);
      pos += 8;
      break;
    }
    case ASL_PQ_BYTE_ARRAY: {
      if (n - pos < 4) return "PLAIN values end before all values";
      uint32_t len = rd_u32le(p + pos);
      pos += 4;
      if (len > n - pos) return "byte array longer than the page";
      v->s = (const char *)p + pos;
      v->n = len;
      pos += len;
      break;
    }
    case ASL_PQ_FIXED_LEN_BYTE_ARRAY:
      if ((size_t)c->type_length > n - pos)
        return "PLAIN values end before all values";
      v->s = (const char *)p + pos;
      v->n = (size_t)c->type_length;
      pos += (size_t)c->type_length;
      break;
    }
    if ((why = finish_value(c, v))) return why;
  }
  *used = pos;
  return NULL;
}

/* DELTA_BINARY_PACKED: decodes up to max values (the header's count must not
 * exceed it) into out (may be NULL to count). *cnt = values, *used = bytes. */
static const char *delta_decode(const uint8_t *p, size_t n, int64_t max,
                                int64_t *out, int64_t *cnt, size_t *used) {
  tr_t t = {.p = p, .start = p, .end = p + n};
  uint64_t block = tr_varint(&t), minis = tr_varint(&t), total = tr_varint(&t);
  int64_t first = tr_zz(&t);
  if (t.failed) return "DELTA_BINARY_PACKED header truncated";
  if (block == 0 || block % 128 || block > 1 << 20 || minis == 0 ||
      block % minis || (block / minis) % 32)
    return "DELTA_BINARY_PACKED block sizes invalid";
  if (total > (uint64_t)max)
    return "DELTA_BINARY_PACKED count larger than the page";
  uint64_t per = block / minis;
  uint64_t last = (uint64_t)first;
  int64_t got = 0;
  if (total > 0) {
    if (out) out[0] = first;
    got = 1;
  }
  while ((uint64_t)got < total) {
    uint64_t mind = (uint64_t)tr_zz(&t);
    if (t.failed) return "DELTA_BINARY_PACKED block truncated";
    if ((uint64_t)(t.end - t.p) < minis)
      return "DELTA_BINARY_PACKED bit widths truncated";
    const uint8_t *widths = t.p;
    t.p += minis;
    for (uint64_t m = 0; m < minis && (uint64_t)got < total; m++) {
      int bw = widths[m];
      if (bw > 64) return "DELTA_BINARY_PACKED bit width over 64";
      size_t bytes = (size_t)(per * (uint64_t)bw / 8);
      if (bytes > (size_t)(t.end - t.p))
        return "DELTA_BINARY_PACKED miniblock truncated";
      const uint8_t *q = t.p;
      for (uint64_t k = 0; k < per && (uint64_t)got < total; k++) {
        uint64_t d = 0;
        uint64_t bit = k * (uint64_t)bw;
        for (int b = 0; b < bw; b++, bit++)
          d |= (uint64_t)((q[bit / 8] >> (bit % 8)) & 1) << b;
        last = last + mind + d;
        if (out) out[got] = (int64_t)last;
        got++;
      }
      t.p += bytes;
    }
  }
  *cnt = got;
  *used = (size_t)(t.p - p);
  return NULL;
}

static void cur_free_page(pq_cur *cu) {
  free(cu->page_buf);
  free(cu->page_buf2);
  free(cu->arena);
  free(cu->defs);
  free(cu->vals);
  cu->page_buf = cu->page_buf2 = cu->defs = NULL;
  cu->arena = NULL;
  cu->vals = NULL;
  cu->page_n = cu->page_i = cu->vals_i = cu->vals_n = 0;
}

static void cur_free(pq_cur *cu) {
  cur_free_page(cu);
  free(cu->chunk);
  free(cu->dict);
  free(cu->dict_buf);
  memset(cu, 0, sizeof *cu);
}

typedef struct {
  int type, uncomp, comp;
  int has_dp, has_dict, has_v2;
  int dp_num, dp_enc, dp_def_enc;
  int dict_num, dict_enc;
  int v2_num, v2_nulls, v2_rows, v2_enc, v2_def_len, v2_rep_len, v2_compressed;
} pq_ph;

static void parse_page_header(tr_t *t, pq_ph *h) {
  int id = 0, ty;
  memset(h, 0, sizeof *h);
  h->type = -1;
  h->v2_compressed = 1;
  while (tr_field(t, &id, &ty)) {
    if (id == 1 && ty == CT_I32)
      h->type = tr_i32(t);
    else if (id == 2 && ty == CT_I32)
      h->uncomp = tr_i32(t);
    else if (id == 3 && ty == CT_I32)
      h->comp = tr_i32(t);
    else if ((id == 5 || id == 7 || id == 8) && ty == CT_STRUCT) {
      int sid = 0, sty;
      if (id == 5) h->has_dp = 1;
      if (id == 7) h->has_dict = 1;
      if (id == 8) h->has_v2 = 1;
      t->depth++;
      while (tr_field(t, &sid, &sty)) {
        if (sty == CT_I32 && id == 5 && sid <= 3) {
          int v = tr_i32(t);
          if (sid == 1)
            h->dp_num = v;
          else if (sid == 2)
            h->dp_enc = v;
          else
            h->dp_def_enc = v;
        } else if (sty == CT_I32 && id == 7 && sid <= 2) {
          int v = tr_i32(t);
          if (sid == 1)
            h->dict_num = v;
          else
            h->dict_enc = v;
        } else if (sty == CT_I32 && id == 8 && sid <= 6) {
          int v = tr_i32(t);
          switch (sid) {
          case 1:
            h->v2_num = v;
            break;
          case 2:
            h->v2_nulls = v;
            break;
          case 3:
            h->v2_rows = v;
            break;
          case 4:
            h->v2_enc = v;
            break;
          case 5:
            h->v2_def_len = v;
            break;
          default:
            h->v2_rep_len = v;
            break;
          }
        } else if (id == 8 && sid == 7 && (sty == CT_TRUE || sty == CT_FALSE)) {
          h->v2_compressed = sty == CT_TRUE;
        } else {
          tr_skip(t, sty);
        }
      }
      t->depth--;
    } else {
      tr_skip(t, ty);
    }
  }
}

/* Decodes count non-null values with encoding enc from [p, p+n) into out.
 * NULL or a reason (in buf). */
static const char *decode_values(asl_pq_reader *r, int c, pq_cur *cu, int enc,
                                 const uint8_t *p, size_t n, int64_t count,
                                 asl_pq_value *out, char *buf, size_t bufn) {
  const asl_pq_column *col = &r->cols[c];
  size_t used;
  const char *why;
  if (enc == 0) return plain_decode(col, p, n, count, out, &used);
  if (enc == 2 || enc == 8) {
    if (!cu->dict) return "dictionary-encoded page without a dictionary page";
    if (count == 0) return NULL;
    if (n < 1) return "dictionary indices missing their bit width";
    uint32_t *idx = asl_malloc((size_t)count * sizeof *idx);
    why = rle_decode(p + 1, n - 1, p[0], idx, count);
    for (int64_t k = 0; !why && k < count; k++) {
      if (idx[k] >= (uint64_t)cu->dict_n) {
        snprintf(buf, bufn, "dictionary index %u out of range (%lld entries)",
                 idx[k], (long long)cu->dict_n);
        why = buf;
      } else {
        out[k] = cu->dict[idx[k]];
      }
    }
    free(idx);
    return why;
  }
  if (enc == 3 && col->physical == ASL_PQ_BOOLEAN) {
    if (n < 4 || rd_u32le(p) > n - 4) return "RLE booleans: bad length prefix";
    uint32_t *bits = asl_malloc((size_t)(count ? count : 1) * sizeof *bits);
    why = rle_decode(p + 4, rd_u32le(p), 1, bits, count);
    for (int64_t k = 0; !why && k < count; k++) {
      memset(&out[k], 0, sizeof out[k]);
      out[k].b = (int)bits[k];
      out[k].kind = ASL_PQ_V_BOOL;
    }
    free(bits);
    return why;
  }
  if (enc == 5 &&
      (col->physical == ASL_PQ_INT32 || col->physical == ASL_PQ_INT64)) {
    int64_t *iv = asl_malloc((size_t)(count ? count : 1) * sizeof *iv), got;
    why = delta_decode(p, n, count, iv, &got, &used);
    if (!why && got != count)
      why = "DELTA_BINARY_PACKED holds fewer values than the page";
    for (int64_t k = 0; !why && k < count; k++) {
      memset(&out[k], 0, sizeof out[k]);
      out[k].i = col->physical == ASL_PQ_INT32 ? (int32_t)iv[k] : iv[k];
      why = finish_value(col, &out[k]);
    }
    free(iv);
    return why;
  }
  if ((enc == 6 || enc == 7) &&
      (col->physical == ASL_PQ_BYTE_ARRAY ||
       col->physical == ASL_PQ_FIXED_LEN_BYTE_ARRAY)) {
    int64_t *pre = NULL, *len = asl_malloc((size_t)(count ? count : 1) * 8),
            got;
    size_t pos = 0;
    why = NULL;
    if (enc == 7) {
      pre = asl_malloc((size_t)(count ? count : 1) * 8);
      why = delta_decode(p, n, count, pre, &got, &used);
      if (!why && got != count)
        why = "DELTA_BYTE_ARRAY prefix count differs from the page";
      pos = used;
    }
    if (!why) {
      why = delta_decode(p + pos, n - pos, count, len, &got, &used);
      if (!why && got != count)
        why = "DELTA length count differs from the page";
      pos += used;
    }
    /* total bytes of the values */
    uint64_t total = 0, suffix = 0, prev = 0;
    for (int64_t k = 0; !why && k < count; k++) {
      int64_t pr = pre ? pre[k] : 0;
      if (len[k] < 0 || pr < 0 || (uint64_t)pr > prev) {
        why = "DELTA_BYTE_ARRAY lengths invalid";
        break;
      }
      suffix += (uint64_t)len[k];
      prev = (uint64_t)pr + (uint64_t)len[k];
      total += prev;
      if (suffix > n - pos || total > ((uint64_t)1 << 28))
        why = "DELTA byte arrays longer than the page";
    }
    if (!why) {
      char *a = asl_malloc(total ? total : 1);
      size_t ap = 0;
      const char *last = NULL;
      for (int64_t k = 0; k < count && !why; k++) {
        size_t pr = pre ? (size_t)pre[k] : 0;
        memset(&out[k], 0, sizeof out[k]);
        if (pr) memcpy(a + ap, last, pr);
        memcpy(a + ap + pr, p + pos, (size_t)len[k]);
        pos += (size_t)len[k];
        out[k].s = a + ap;
        out[k].n = pr + (size_t)len[k];
        last = out[k].s;
        ap += out[k].n;
        if (col->physical == ASL_PQ_FIXED_LEN_BYTE_ARRAY &&
            out[k].n != (size_t)col->type_length)
          why = "DELTA_BYTE_ARRAY value of the wrong fixed length";
        else
          why = finish_value(col, &out[k]);
      }
      free(cu->arena);
      cu->arena = a;
    }
    free(pre);
    free(len);
    return why;
  }
  snprintf(buf, bufn, "encoding %d not supported for %s", enc,
           asl_pq_physical_name(col->physical));
  return buf;
}

/* Reads the next data page of column c (dictionary pages on the way are
 * loaded). 0, or -1 + *e naming column, row group, page and offset. */
static int load_page(asl_pq_reader *r, int c, asl_error *e) {
  pq_cur *cu = &r->cur[c];
  const asl_pq_column *col = &r->cols[c];
  pq_chunk *ch = &r->rgs[r->cur_rg].chunks[c];
  char buf[320];
  const char *why = NULL;
  int64_t at = 0;
  cur_free_page(cu);
  for (;;) {
    at = cu->chunk_off + (int64_t)cu->pos;
    cu->page_no++; /* 1-based in messages */
    if (cu->pos >= cu->chunk_n) {
      why = "column chunk ends before the row group's rows";
      goto fail;
    }
    tr_t t = {.p = cu->chunk + cu->pos,
              .start = cu->chunk + cu->pos,
              .end = cu->chunk + cu->chunk_n,
              .base_off = at};
    pq_ph h;
    parse_page_header(&t, &h);
    if (t.failed) {
      snprintf(buf, sizeof buf,
               "page header does not parse (%s at offset %lld)", t.why,
               (long long)t.at);
      why = buf;
      goto fail;
    }
    size_t hlen = (size_t)(t.p - (cu->chunk + cu->pos));
    if (h.comp < 0 || h.uncomp < 0 ||
        (size_t)h.comp > cu->chunk_n - cu->pos - hlen) {
      snprintf(buf, sizeof buf,
               "page says %d compressed bytes, the chunk has %zu left", h.comp,
               cu->chunk_n - cu->pos - hlen);
      why = buf;
      goto fail;
    }
    if (h.uncomp > PQ_MAX_PAGE_BYTES) {
      why = "page larger than 1 GiB";
      goto fail;
    }
    const uint8_t *body = cu->chunk + cu->pos + hlen;
    size_t comp = (size_t)h.comp;
    cu->pos += hlen + comp;
    if (h.type == 2) { /* dictionary page */
      /* PLAIN takes at least a bit a value: more entries than bits lie */
      if (!h.has_dict || h.dict_num < 0 || h.dict_num > PQ_MAX_PAGE_VALUES ||
          (int64_t)h.dict_num > (int64_t)h.uncomp * 8) {
        why = "dictionary page header invalid";
        goto fail;
      }
      if (cu->dict) {
        why = "second dictionary page in one column chunk";
        goto fail;
      }
      if (h.dict_enc != 0 && h.dict_enc != 2) {
        why = "dictionary page not PLAIN encoded";
        goto fail;
      }
      cu->dict_buf = decompress(ch->codec, body, comp, (size_t)h.uncomp, &why);
      if (!cu->dict_buf) goto fail;
      cu->dict =
          asl_malloc((size_t)(h.dict_num ? h.dict_num : 1) * sizeof *cu->dict);
      cu->dict_n = h.dict_num;
      size_t used;
      why = plain_decode(col, cu->dict_buf, (size_t)h.uncomp, h.dict_num,
                         cu->dict, &used);
      if (why) goto fail;
      continue;
    }
    if (h.type != 0 && h.type != 3)
      continue; /* index pages and unknown kinds */
    int v2 = h.type == 3;
    if ((!v2 && !h.has_dp) || (v2 && !h.has_v2)) {
      why = "data page without its header";
      goto fail;
    }
    int64_t num = v2 ? h.v2_num : h.dp_num;
    int enc = v2 ? h.v2_enc : h.dp_enc;
    if (num < 0 || num > PQ_MAX_PAGE_VALUES) {
      snprintf(buf, sizeof buf, "page claims %lld values", (long long)num);
      why = buf;
      goto fail;
    }
    const uint8_t *lv, *vals;
    size_t lv_n, vals_n;
    int maxd = r->max_def[c];
    int bw = bit_width((uint64_t)maxd);
    if (!v2) {
      cu->page_buf = decompress(ch->codec, body, comp, (size_t)h.uncomp, &why);
      if (!cu->page_buf) goto fail;
      const uint8_t *q = cu->page_buf;
      size_t qn = (size_t)h.uncomp;
      lv = q;
      lv_n = 0;
      if (maxd > 0) {
        if (h.dp_def_enc != 3) {
          why = "definition levels not RLE encoded";
          goto fail;
        }
        if (qn < 4 || rd_u32le(q) > qn - 4) {
          why = "definition levels longer than the page";
          goto fail;
        }
        lv = q + 4;
        lv_n = rd_u32le(q);
        q += 4 + lv_n;
        qn -= 4 + lv_n;
      }
      vals = q;
      vals_n = qn;
    } else {
      if (h.v2_def_len < 0 || h.v2_rep_len != 0 ||
          (size_t)h.v2_def_len > comp || h.v2_def_len > h.uncomp) {
        why = h.v2_rep_len ? "repetition levels in a flat column"
                           : "definition levels longer than the page";
        goto fail;
      }
      lv = body;
      lv_n = (size_t)h.v2_def_len;
      const uint8_t *vb = body + lv_n;
      size_t vcomp = comp - lv_n, vun = (size_t)h.uncomp - lv_n;
      if (h.v2_compressed && ch->codec != 0) {
        cu->page_buf2 = decompress(ch->codec, vb, vcomp, vun, &why);
        if (!cu->page_buf2) goto fail;
        vals = cu->page_buf2;
        vals_n = vun;
      } else {
        if (vcomp != vun) {
          why = "uncompressed page whose two sizes differ";
          goto fail;
        }
        vals = vb;
        vals_n = vcomp;
      }
    }
    cu->defs = asl_malloc((size_t)(num ? num : 1));
    int64_t nonnull = num;
    if (maxd > 0) {
      uint32_t *lvl = asl_malloc((size_t)(num ? num : 1) * sizeof *lvl);
      why = rle_decode(lv, lv_n, bw, lvl, num);
      nonnull = 0;
      for (int64_t k = 0; !why && k < num; k++) {
        if (lvl[k] > (uint32_t)maxd) {
          why = "definition level above the column's maximum";
          break;
        }
        cu->defs[k] = lvl[k] == (uint32_t)maxd;
        nonnull += cu->defs[k];
      }
      free(lvl);
      if (why) goto fail;
    } else {
      memset(cu->defs, 1, (size_t)(num ? num : 1));
    }
    cu->vals = asl_malloc((size_t)(nonnull ? nonnull : 1) * sizeof *cu->vals);
    why = decode_values(r, c, cu, enc, vals, vals_n, nonnull, cu->vals, buf,
                        sizeof buf);
    if (why) goto fail;
    cu->page_n = num;
    cu->vals_n = nonnull;
    if (num == 0) { /* an empty page: on to the next */
      cur_free_page(cu);
      continue;
    }
    return 0;
  }
fail:
  return asl_error_set(e, PQ_ERR,
                       "column '%s' row group %d page %d at offset %lld: %s",
                       col->name, r->cur_rg, cu->page_no, (long long)at, why);
}

static int start_row_group(asl_pq_reader *r, asl_error *e) {
  pq_rg *g = &r->rgs[r->cur_rg];
  for (size_t c = 0; c < r->ncols; c++) {
    pq_cur *cu = &r->cur[c];
    cur_free(cu);
    if (r->want && !r->want[c]) continue;
    pq_chunk *ch = &g->chunks[c];
    int64_t start = ch->data_off;
    if (ch->has_dict_off && ch->dict_off > 0 && ch->dict_off < start)
      start = ch->dict_off;
    if (start < 4 || ch->total_compressed < 0 || start > r->file_size ||
        ch->total_compressed > r->file_size - start) {
      return asl_error_set(e, PQ_ERR,
                           "column '%s' row group %d: chunk at offset %lld of "
                           "%lld bytes lies outside the file (%lld bytes)",
                           r->cols[c].name, r->cur_rg, (long long)start,
                           (long long)ch->total_compressed,
                           (long long)r->file_size);
    }
    cu->chunk_n = (size_t)ch->total_compressed;
    cu->chunk = asl_malloc(cu->chunk_n ? cu->chunk_n : 1);
    cu->chunk_off = start;
    size_t got = 0;
    while (got < cu->chunk_n) {
      ssize_t k =
          pread(r->fd, cu->chunk + got, cu->chunk_n - got, start + (off_t)got);
      if (k <= 0)
        return asl_error_set(
            e, PQ_ERR, "column '%s' row group %d: read at offset %lld: %s",
            r->cols[c].name, r->cur_rg, (long long)(start + (int64_t)got),
            k < 0 ? strerror(errno) : "end of file");
      got += (size_t)k;
    }
  }
  r->rg_row = 0;
  r->rg_rows = g->num_rows;
  return 0;
}

void asl_pq_project(asl_pq_reader *r, const int *want) {
  free(r->want);
  r->want = NULL;
  if (!want) return;
  r->want = asl_malloc((r->ncols ? r->ncols : 1) * sizeof(int));
  memcpy(r->want, want, r->ncols * sizeof(int));
}

int asl_pq_next(asl_pq_reader *r, const asl_pq_value **row, asl_error *e) {
  while (r->cur_rg < 0 || r->rg_row >= r->rg_rows) {
    if (r->cur_rg + 1 >= r->nrg) {
      if (r->cur_rg >= 0)
        for (size_t c = 0; c < r->ncols; c++)
          cur_free(&r->cur[c]);
      r->cur_rg = r->nrg;
      return 0;
    }
    r->cur_rg++;
    if (start_row_group(r, e) < 0) return -1;
  }
  for (size_t c = 0; c < r->ncols; c++) {
    asl_pq_value *v = &r->row[c];
    memset(v, 0, sizeof *v);
    if (r->want && !r->want[c]) continue;
    pq_cur *cu = &r->cur[c];
    if (cu->page_i >= cu->page_n && load_page(r, (int)c, e) < 0) return -1;
    if (cu->defs[cu->page_i++]) *v = cu->vals[cu->vals_i++];
  }
  r->rg_row++;
  *row = r->row;
  return 1;
}

/* ---------------------------------------------------------------- footer */

static void parse_stats(tr_t *t, pq_chunk *ch) {
  int id = 0, ty;
  t->depth++;
  while (tr_field(t, &id, &ty)) {
    pq_raw *dst = NULL;
    if (ty == CT_BINARY) {
      if (id == 1)
        dst = &ch->old_max;
      else if (id == 2)
        dst = &ch->old_min;
      else if (id == 5)
        dst = &ch->max;
      else if (id == 6)
        dst = &ch->min;
    }
    if (dst) {
      tr_binary(t, &dst->p, &dst->n);
      dst->set = 1;
    } else if (id == 3 && ty == CT_I64) {
      ch->null_count = tr_zz(t);
    } else {
      tr_skip(t, ty);
    }
  }
  t->depth--;
}

static void parse_col_meta(tr_t *t, pq_chunk *ch) {
  int id = 0, ty;
  t->depth++;
  while (tr_field(t, &id, &ty)) {
    if (id == 1 && ty == CT_I32)
      ch->type = tr_i32(t);
    else if (id == 4 && ty == CT_I32)
      ch->codec = tr_i32(t);
    else if (id == 5 && ty == CT_I64)
      ch->num_values = tr_zz(t);
    else if (id == 6 && ty == CT_I64)
      ch->total_uncompressed = tr_zz(t);
    else if (id == 7 && ty == CT_I64)
      ch->total_compressed = tr_zz(t);
    else if (id == 9 && ty == CT_I64)
      ch->data_off = tr_zz(t);
    else if (id == 11 && ty == CT_I64) {
      ch->dict_off = tr_zz(t);
      ch->has_dict_off = 1;
    } else if (id == 12 && ty == CT_STRUCT)
      parse_stats(t, ch);
    else
      tr_skip(t, ty);
  }
  t->depth--;
}

static void parse_row_group(tr_t *t, pq_rg *g, size_t ncols, int64_t *nchunks) {
  int id = 0, ty;
  t->depth++;
  while (tr_field(t, &id, &ty)) {
    if (id == 1 && ty == CT_LIST) {
      int et;
      int64_t n;
      tr_list(t, &et, &n);
      *nchunks = n;
      if (et != CT_STRUCT || (size_t)n != ncols) {
        tr_fail(t, "row group's column count differs from the schema's");
        return;
      }
      for (int64_t k = 0; k < n && !t->failed; k++) {
        int cid = 0, cty;
        pq_chunk *ch = &g->chunks[k];
        ch->null_count = -1;
        ch->data_off = -1;
        int has_meta = 0;
        t->depth++;
        while (tr_field(t, &cid, &cty)) {
          if (cid == 1 && cty == CT_BINARY) {
            tr_fail(t,
                    "column chunk in another file (file_path) not supported");
          } else if (cid == 3 && cty == CT_STRUCT) {
            parse_col_meta(t, ch);
            has_meta = 1;
          } else {
            tr_skip(t, cty);
          }
        }
        t->depth--;
        if (!has_meta) tr_fail(t, "column chunk without meta_data");
      }
    } else if (id == 3 && ty == CT_I64) {
      g->num_rows = tr_zz(t);
    } else {
      tr_skip(t, ty);
    }
  }
  t->depth--;
}

static void parse_logical(tr_t *t, pq_elem *el) {
  int id = 0, ty;
  t->depth++;
  while (tr_field(t, &id, &ty)) {
    if (ty != CT_STRUCT) {
      tr_skip(t, ty);
      continue;
    }
    el->lt = id;
    int sid = 0, sty;
    t->depth++;
    while (tr_field(t, &sid, &sty)) {
      if (id == 5 && sty == CT_I32 && sid == 1)
        el->lt_scale = tr_i32(t);
      else if (id == 5 && sty == CT_I32 && sid == 2)
        el->lt_precision = tr_i32(t);
      else if (id == 8 && sid == 2 && sty == CT_STRUCT) {
        int uid = 0, uty;
        t->depth++;
        while (tr_field(t, &uid, &uty)) {
          el->lt_unit = uid;
          tr_skip(t, uty);
        }
        t->depth--;
      } else if (id == 10 && sid == 1 && sty == CT_BYTE) {
        el->lt_unit = (int8_t)tr_byte(t);
      } else {
        tr_skip(t, sty);
      }
    }
    t->depth--;
  }
  t->depth--;
}

static void parse_schema_elem(tr_t *t, pq_elem *el) {
  int id = 0, ty;
  memset(el, 0, sizeof *el);
  el->converted = -1;
  t->depth++;
  while (tr_field(t, &id, &ty)) {
    if (ty == CT_I32 && id >= 1 && id <= 8 && id != 4) {
      int v = tr_i32(t);
      switch (id) {
      case 1:
        el->type = v;
        el->has_type = 1;
        break;
      case 2:
        el->type_length = v;
        break;
      case 3:
        el->repetition = v;
        el->has_rep = 1;
        break;
      case 5:
        el->num_children = v;
        break;
      case 6:
        el->converted = v;
        break;
      case 7:
        el->scale = v;
        break;
      case 8:
        el->precision = v;
        break;
      }
    } else if (id == 4 && ty == CT_BINARY) {
      tr_binary(t, &el->name, &el->name_n);
    } else if (id == 10 && ty == CT_STRUCT) {
      parse_logical(t, el);
    } else {
      tr_skip(t, ty);
    }
  }
  t->depth--;
}

/* Fills c's logical type from the element; NULL or a reason. */
static const char *column_from_elem(const pq_elem *el, asl_pq_column *c) {
  if (!el->has_type || el->type < 0 || el->type > 7)
    return "leaf without a known physical type";
  c->physical = (asl_pq_physical)el->type;
  c->type_length = el->type_length;
  if (c->physical == ASL_PQ_FIXED_LEN_BYTE_ARRAY &&
      (el->type_length <= 0 || el->type_length > (1 << 20)))
    return "FIXED_LEN_BYTE_ARRAY without a valid length";
  c->logical = ASL_PQ_L_NONE;
  if (el->lt) {
    switch (el->lt) {
    case 1:
      c->logical = ASL_PQ_L_STRING;
      break; /* STRING */
    case 4:
    case 12:
      c->logical = ASL_PQ_L_STRING;
      break; /* ENUM, JSON */
    case 5:
      c->logical = ASL_PQ_L_DECIMAL;
      c->scale = el->lt_scale;
      c->precision = el->lt_precision;
      break;
    case 6:
      c->logical = ASL_PQ_L_DATE;
      break;
    case 8:
      c->logical = el->lt_unit == 1   ? ASL_PQ_L_TIMESTAMP_MS
                   : el->lt_unit == 2 ? ASL_PQ_L_TIMESTAMP_US
                                      : ASL_PQ_L_TIMESTAMP_NS;
      break;
    case 10:
      c->logical = ASL_PQ_L_INT;
      break;
    default:
      c->logical = ASL_PQ_L_OTHER;
      break;
    }
  } else {
    switch (el->converted) {
    case -1:
      break;
    case 0:
    case 4:
    case 19:
      c->logical = ASL_PQ_L_STRING;
      break;
    case 5:
      c->logical = ASL_PQ_L_DECIMAL;
      c->scale = el->scale;
      c->precision = el->precision;
      break;
    case 6:
      c->logical = ASL_PQ_L_DATE;
      break;
    case 9:
      c->logical = ASL_PQ_L_TIMESTAMP_MS;
      break;
    case 10:
      c->logical = ASL_PQ_L_TIMESTAMP_US;
      break;
    default:
      c->logical = el->converted >= 11 && el->converted <= 18 ? ASL_PQ_L_INT
                                                              : ASL_PQ_L_OTHER;
    }
  }
  /* a logical type on the wrong physical type is read as the physical one */
  switch (c->logical) {
  case ASL_PQ_L_STRING:
    if (c->physical != ASL_PQ_BYTE_ARRAY &&
        c->physical != ASL_PQ_FIXED_LEN_BYTE_ARRAY)
      c->logical = ASL_PQ_L_OTHER;
    break;
  case ASL_PQ_L_DATE:
    if (c->physical != ASL_PQ_INT32) c->logical = ASL_PQ_L_OTHER;
    break;
  case ASL_PQ_L_TIMESTAMP_MS:
  case ASL_PQ_L_TIMESTAMP_US:
  case ASL_PQ_L_TIMESTAMP_NS:
    if (c->physical != ASL_PQ_INT64) c->logical = ASL_PQ_L_OTHER;
    break;
  case ASL_PQ_L_DECIMAL:
    if (c->physical == ASL_PQ_BOOLEAN || c->physical == ASL_PQ_FLOAT ||
        c->physical == ASL_PQ_DOUBLE || c->physical == ASL_PQ_INT96)
      return "DECIMAL on a type that cannot hold it";
    if (c->scale < 0 || c->scale > 38 ||
        (c->precision && c->scale > c->precision))
      return "DECIMAL with an invalid scale";
    break;
  default:
    break;
  }
  return NULL;
}

typedef struct {
  pq_elem *el;
  int64_t n, i;
  asl_pq_reader *r;
  size_t cap;
  const char *why;
} schema_walk;

/* Walks the element at w->i (and its children) with the given prefix and
 * definition level; adds leaves to r->cols. */
static void walk(schema_walk *w, const char *prefix, int def, int depth) {
  if (w->why) return;
  if (w->i >= w->n) {
    w->why = "schema has fewer elements than its num_children say";
    return;
  }
  if (depth > 64) {
    w->why = "schema nested too deep";
    return;
  }
  pq_elem *el = &w->el[w->i++];
  char *name = el->name_n ? asl_strndup((const char *)el->name, el->name_n)
                          : asl_strdup("");
  char *full = prefix ? asl_sprintf("%s.%s", prefix, name) : asl_strdup(name);
  free(name);
  if (el->repetition == 2) {
    w->why = "repeated fields (lists, maps) are not supported";
    free(full);
    return;
  }
  int d = def + (el->repetition == 1);
  if (el->num_children > 0) {
    for (int k = 0; k < el->num_children && !w->why; k++)
      walk(w, full, d, depth + 1);
    free(full);
    return;
  }
  if (w->r->ncols == w->cap) {
    w->cap = w->cap ? w->cap * 2 : 8;
    w->r->cols = asl_realloc(w->r->cols, w->cap * sizeof *w->r->cols);
    w->r->max_def = asl_realloc(w->r->max_def, w->cap * sizeof(int));
  }
  asl_pq_column *c = &w->r->cols[w->r->ncols];
  memset(c, 0, sizeof *c);
  c->name = full;
  w->r->max_def[w->r->ncols] = d;
  w->r->ncols++;
  c->nullable = d > 0;
  w->why = column_from_elem(el, c);
}

/* Decodes a statistics value (plain, no length prefix for byte arrays). */
static void stat_value(const asl_pq_column *c, const pq_raw *raw,
                       asl_pq_value *v) {
  memset(v, 0, sizeof *v);
  if (!raw->set) return;
  asl_pq_value x = {0};
  const uint8_t *p = raw->p;
  size_t n = raw->n;
  switch (c->physical) {
  case ASL_PQ_BOOLEAN:
    if (n < 1) return;
    x.b = p[0] & 1;
    break;
  case ASL_PQ_INT32:
    if (n < 4) return;
    x.i = (int32_t)rd_u32le(p);
    break;
  case ASL_PQ_INT64:
    if (n < 8) return;
    x.i = (int64_t)rd_u64le(p);
    break;
  case ASL_PQ_INT96:
    if (n < 12 || int96_to_ts(p, &x.i)) return;
    break;
  case ASL_PQ_FLOAT: {
    if (n < 4) return;
    uint32_t u = rd_u32le(p);
    float f;
    memcpy(&f, &u, 4);
    x.d = f;
    break;
  }
  case ASL_PQ_DOUBLE: {
    if (n < 8) return;
    uint64_t u = rd_u64le(p);
    memcpy(&x.d, &u, 8);
    break;
  }
  default:
    x.s = (const char *)p;
    x.n = n;
  }
  if (finish_value(c, &x)) return;
  if (x.kind == ASL_PQ_V_DOUBLE && isnan(x.d)) return; /* no order: no bound */
  *v = x;
}

int asl_pq_stats(const asl_pq_reader *r, int rg, int col, asl_pq_value *min,
                 asl_pq_value *max, int64_t *null_count) {
  if (rg < 0 || rg >= r->nrg || col < 0 || (size_t)col >= r->ncols) return -1;
  const pq_chunk *ch = &r->rgs[rg].chunks[col];
  if (min) *min = ch->vmin;
  if (max) *max = ch->vmax;
  if (null_count) *null_count = ch->null_count;
  return 0;
}

void asl_pq_close(asl_pq_reader *r) {
  if (!r) return;
  if (r->cur)
    for (size_t c = 0; c < r->ncols; c++)
      cur_free(&r->cur[c]);
  free(r->cur);
  for (int g = 0; g < r->nrg; g++)
    free(r->rgs[g].chunks);
  free(r->rgs);
  for (size_t c = 0; c < r->ncols; c++)
    free(r->cols[c].name);
  free(r->cols);
  free(r->max_def);
  free(r->footer);
  free(r->created_by);
  free(r->want);
  free(r->row);
  if (r->own_fd) close(r->fd);
  free(r);
}

static asl_pq_reader *open_fail(asl_pq_reader *r, asl_error *e, const char *fmt,
                                const char *a, long long b) {
  asl_error_set(e, PQ_ERR, fmt, a, b);
  asl_pq_close(r);
  return NULL;
}

static asl_pq_reader *open_reader(int fd, int own, asl_error *e) {
  asl_pq_reader *r = asl_calloc(1, sizeof *r);
  r->fd = fd;
  r->own_fd = own;
  r->cur_rg = -1;
  struct stat st;
  if (fstat(fd, &st) < 0)
    return open_fail(r, e, "fstat: %s%lld", strerror(errno), 0);
  r->file_size = st.st_size;
  uint8_t tail[8], head[4];
  if (r->file_size < 12 || pread(fd, head, 4, 0) != 4 ||
      pread(fd, tail, 8, r->file_size - 8) != 8)
    return open_fail(r, e, "not a Parquet file: %s (%lld bytes)", "too short",
                     (long long)r->file_size);
  if (memcmp(head, "PAR1", 4) != 0 || memcmp(tail + 4, "PAR1", 4) != 0)
    return open_fail(
        r, e, "not a Parquet file: %s at offset %lld",
        memcmp(head, "PAR1", 4) ? "no PAR1 magic" : "no PAR1 magic at the end",
        memcmp(head, "PAR1", 4) ? 0LL : (long long)r->file_size - 4);
  int64_t flen = rd_u32le(tail);
  if (flen <= 0 || flen > r->file_size - 12 || flen > PQ_MAX_FOOTER)
    return open_fail(r, e, "footer length %s%lld does not fit the file", "",
                     (long long)flen);
  int64_t foff = r->file_size - 8 - flen;
  r->footer = asl_malloc((size_t)flen);
  if (pread(fd, r->footer, (size_t)flen, foff) != flen)
    return open_fail(r, e, "footer read failed: %s at offset %lld",
                     strerror(errno), (long long)foff);

  tr_t t = {.p = r->footer,
            .start = r->footer,
            .end = r->footer + flen,
            .base_off = foff,
            .what = "footer"};
  pq_elem *els = NULL;
  int64_t nel = 0;
  int id = 0, ty;
  const uint8_t *rgp = NULL; /* row groups parsed after the schema */
  int64_t nrg = -1;
  int have_rows = 0;
  while (tr_field(&t, &id, &ty)) {
    if (id == 2 && ty == CT_LIST) {
      int et;
      tr_list(&t, &et, &nel);
      if (et != CT_STRUCT) tr_fail(&t, "schema is not a list of structs");
      if (nel > 100000) tr_fail(&t, "schema with more than 100000 elements");
      free(els);
      els = asl_calloc((size_t)(nel ? nel : 1), sizeof *els);
      for (int64_t k = 0; k < nel && !t.failed; k++)
        parse_schema_elem(&t, &els[k]);
    } else if (id == 3 && ty == CT_I64) {
      r->nrows = tr_zz(&t);
      have_rows = 1;
    } else if (id == 4 && ty == CT_LIST) {
      int et;
      rgp = t.p;
      tr_list(&t, &et, &nrg);
      if (et != CT_STRUCT) tr_fail(&t, "row_groups is not a list of structs");
      for (int64_t k = 0; k < nrg && !t.failed; k++)
        tr_skip(&t, CT_STRUCT);
    } else if (id == 6 && ty == CT_BINARY) {
      const uint8_t *p;
      size_t n;
      tr_binary(&t, &p, &n);
      free(r->created_by);
      r->created_by = asl_strndup((const char *)p, n);
    } else {
      tr_skip(&t, ty);
    }
  }
  if (!t.failed && (!els || nel < 1 || !rgp || !have_rows))
    tr_fail(&t, "FileMetaData misses its schema, num_rows or row_groups");
  if (!t.failed) {
    schema_walk w = {.el = els, .n = nel, .i = 1, .r = r};
    if (els[0].num_children < 0) w.why = "negative num_children";
    for (int k = 0; k < els[0].num_children && !w.why; k++)
      walk(&w, NULL, 0, 0);
    if (!w.why && w.i != nel) w.why = "schema elements left after the tree";
    if (!w.why && r->ncols == 0) w.why = "schema without columns";
    if (w.why) {
      free(els);
      return open_fail(r, e, "footer schema: %s%lld", w.why, 0);
    }
  }
  free(els);
  if (!t.failed) {
    tr_t t2 = {.p = rgp,
               .start = r->footer,
               .end = r->footer + flen,
               .base_off = foff};
    int et;
    tr_list(&t2, &et, &nrg);
    r->rgs = asl_calloc((size_t)(nrg ? nrg : 1), sizeof *r->rgs);
    for (int64_t k = 0; k < nrg && !t2.failed; k++) {
      int64_t nch = 0;
      r->rgs[k].chunks = asl_calloc(r->ncols, sizeof(pq_chunk));
      r->nrg = (int)k + 1;
      parse_row_group(&t2, &r->rgs[k], r->ncols, &nch);
    }
    if (t2.failed) t = t2;
  }
  if (t.failed) {
    char msg[256];
    snprintf(msg, sizeof msg, "footer does not parse: %s", t.why);
    return open_fail(r, e, "%s at offset %lld", msg, (long long)t.at);
  }
  int64_t total = 0;
  for (int g = 0; g < r->nrg; g++) {
    if (r->rgs[g].num_rows < 0 ||
        __builtin_add_overflow(total, r->rgs[g].num_rows, &total))
      return open_fail(r, e,
                       "footer: row group %s%lld has a negative row count", "",
                       (long long)g);
    for (size_t c = 0; c < r->ncols; c++) {
      pq_chunk *ch = &r->rgs[g].chunks[c];
      if (ch->type != (int)r->cols[c].physical) {
        char msg[200];
        snprintf(
            msg, sizeof msg,
            "column '%s' row group %d: chunk type %d differs from the schema's",
            r->cols[c].name, g, ch->type);
        return open_fail(r, e, "footer: %s%lld", msg, 0);
      }
      /* the deprecated min/max compare byte arrays as signed bytes: only
       * min_value/max_value are trusted for those */
      int old_ok = r->cols[c].physical != ASL_PQ_BYTE_ARRAY &&
                   r->cols[c].physical != ASL_PQ_FIXED_LEN_BYTE_ARRAY &&
                   r->cols[c].logical != ASL_PQ_L_INT;
      static const pq_raw none = {0};
      const pq_raw *mn = ch->min.set ? &ch->min : old_ok ? &ch->old_min : &none;
      const pq_raw *mx = ch->max.set ? &ch->max : old_ok ? &ch->old_max : &none;
      stat_value(&r->cols[c], mn, &ch->vmin);
      stat_value(&r->cols[c], mx, &ch->vmax);
    }
  }
  if (total != r->nrows)
    return open_fail(
        r, e, "footer: num_rows %s%lld is not the sum of the row groups'", "",
        (long long)r->nrows);
  r->cur = asl_calloc(r->ncols, sizeof *r->cur);
  r->row = asl_calloc(r->ncols, sizeof *r->row);
  return r;
}

asl_pq_reader *asl_pq_open_fd(int fd, asl_error *e) {
  return open_reader(fd, 0, e);
}

asl_pq_reader *asl_pq_open(const char *path, asl_error *e) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    asl_error_set(e, PQ_ERR, "%s: %s", path, strerror(errno));
    return NULL;
  }
  asl_pq_reader *r = open_reader(fd, 1, e);
  if (!r && e->cause) {
    char *c = asl_sprintf("%s: %s", path, e->cause);
    free(e->cause);
    e->cause = c;
  }
  return r;
}

/* ================================================================ writer */

typedef struct {
  int64_t i;
  double d;
  pq_buf s;
  int set;
} pq_stat;

typedef struct {
  asl_pq_column col;
  int maxdef;
  /* current page */
  pq_buf vals;   /* PLAIN values (booleans one byte each) */
  uint32_t *idx; /* dictionary indices */
  uint8_t *defs;
  size_t idx_cap, defs_cap;
  int64_t page_n, page_nonnull;
  /* dictionary of the current chunk */
  int dict_on;     /* still dictionary-encoding this chunk */
  int dict_used;   /* some data page of the chunk is dictionary-encoded */
  pq_buf dict;     /* PLAIN entries */
  size_t *ent_off; /* entry k is dict.p[ent_off[k] .. ent_off[k+1]) */
  size_t ent_cap;
  int64_t dict_n;
  uint64_t *slots; /* hash: 0 empty, else tag | entry + 1 */
  size_t nslots;
  /* encoded pages of the chunk */
  pq_buf chunk;
  int64_t chunk_uncomp;
  int used_plain, used_dict;
  /* stats */
  pq_stat mn, mx;
  int64_t nulls;
} pq_wcol;

typedef struct {
  int64_t off, dict_off, data_off, comp, uncomp, num_values, nulls;
  int has_dict, used_plain, used_dict;
  pq_buf mn, mx;
  int has_stats;
} pq_wchunk;

typedef struct {
  int64_t rows, bytes, off, comp;
  pq_wchunk *ch;
} pq_wrg;

struct asl_pq_writer {
  FILE *f;
  char *path;
  int64_t off;
  asl_pq_write_opts o;
  pq_wcol *c;
  size_t ncols;
  int64_t rows, rg_rows;
  pq_wrg *rgs;
  int nrg, rgcap;
  size_t peak;
  pq_buf scratch, scratch2, vbuf;
  char *created_by;
  int failed;
};

#define PQ_PAGE_ROWS 20000
#define PQ_PAGE_BYTES (1 << 20)
#define PQ_DICT_BYTES (1 << 20)

size_t asl_pq_writer_peak_bytes(const asl_pq_writer *w) { return w->peak; }
int64_t asl_pq_writer_rows(const asl_pq_writer *w) { return w->rows; }

static size_t wr_buffered(const asl_pq_writer *w) {
  size_t t = w->scratch.cap + w->scratch2.cap;
  for (size_t k = 0; k < w->ncols; k++) {
    const pq_wcol *c = &w->c[k];
    t += c->vals.cap + c->idx_cap * 4 + c->defs_cap + c->dict.cap +
         c->ent_cap * sizeof(size_t) + c->nslots * 8 + c->chunk.cap +
         c->mn.s.cap + c->mx.s.cap;
  }
  return t;
}

static void wr_account(asl_pq_writer *w) {
  size_t t = wr_buffered(w);
  if (t > w->peak) w->peak = t;
}

static int wr_write(asl_pq_writer *w, const void *p, size_t n, asl_error *e) {
  if (n && fwrite(p, 1, n, w->f) != n) {
    w->failed = 1;
    return asl_error_set(e, PQ_ERR, "%s: write at offset %lld: %s", w->path,
                         (long long)w->off, strerror(errno));
  }
  w->off += (int64_t)n;
  return 0;
}

static const char *valid_column(const asl_pq_column *c) {
  if (!c->name || !*c->name) return "empty column name";
  switch (c->physical) {
  case ASL_PQ_INT96:
    return "INT96 is read only";
  case ASL_PQ_FIXED_LEN_BYTE_ARRAY:
    if (c->type_length <= 0) return "FIXED_LEN_BYTE_ARRAY needs a length";
    break;
  default:
    if ((unsigned)c->physical > 7) return "unknown physical type";
  }
  switch (c->logical) {
  case ASL_PQ_L_NONE:
    return NULL;
  case ASL_PQ_L_STRING:
    return c->physical == ASL_PQ_BYTE_ARRAY ? NULL : "STRING needs BYTE_ARRAY";
  case ASL_PQ_L_DATE:
    return c->physical == ASL_PQ_INT32 ? NULL : "DATE needs INT32";
  case ASL_PQ_L_TIMESTAMP_MS:
  case ASL_PQ_L_TIMESTAMP_US:
    return c->physical == ASL_PQ_INT64 ? NULL : "TIMESTAMP needs INT64";
  case ASL_PQ_L_DECIMAL:
    if (c->precision < 1 || c->precision > 38 || c->scale < 0 ||
        c->scale > c->precision)
      return "DECIMAL precision must be 1..38 and scale 0..precision";
    if (c->physical == ASL_PQ_INT32 && c->precision > 9)
      return "DECIMAL on INT32 allows precision 9";
    if (c->physical == ASL_PQ_INT64 && c->precision > 18)
      return "DECIMAL on INT64 allows precision 18";
    if (c->physical == ASL_PQ_FIXED_LEN_BYTE_ARRAY && c->type_length > 16)
      return "DECIMAL FIXED_LEN_BYTE_ARRAY longer than 16";
    if (c->physical != ASL_PQ_INT32 && c->physical != ASL_PQ_INT64 &&
        c->physical != ASL_PQ_FIXED_LEN_BYTE_ARRAY &&
        c->physical != ASL_PQ_BYTE_ARRAY)
      return "DECIMAL needs INT32, INT64 or a byte array";
    return NULL;
  default:
    return "logical type not written by this codec";
  }
}

asl_pq_writer *asl_pq_writer_create(const char *path, const asl_pq_column *cols,
                                    size_t ncols, const asl_pq_write_opts *o,
                                    asl_error *e) {
  if (ncols == 0) {
    asl_error_set(e, PQ_ERR, "a Parquet schema needs at least one column");
    return NULL;
  }
  for (size_t k = 0; k < ncols; k++) {
    const char *why = valid_column(&cols[k]);
    for (size_t j = 0; !why && j < k; j++)
      if (strcmp(cols[j].name, cols[k].name) == 0)
        why = "duplicate column name";
    if (why) {
      asl_error_set(e, PQ_ERR, "column %zu '%s': %s", k,
                    cols[k].name ? cols[k].name : "", why);
      return NULL;
    }
  }
  asl_pq_write_opts opts = {0};
  if (o) opts = *o;
  if (opts.codec != ASL_PQ_UNCOMPRESSED && opts.codec != ASL_PQ_SNAPPY &&
      opts.codec != ASL_PQ_GZIP && opts.codec != ASL_PQ_ZSTD) {
    asl_error_set(e, PQ_ERR, "codec %d not supported", (int)opts.codec);
    return NULL;
  }
  if (opts.row_group_rows <= 0) opts.row_group_rows = 131072;
  if (opts.row_group_bytes <= 0) opts.row_group_bytes = (int64_t)64 << 20;
  FILE *f = fopen(path, "wb");
  if (!f) {
    asl_error_set(e, PQ_ERR, "%s: %s", path, strerror(errno));
    return NULL;
  }
  asl_pq_writer *w = asl_calloc(1, sizeof *w);
  w->f = f;
  w->path = asl_strdup(path);
  w->o = opts;
  w->created_by =
      asl_strdup(opts.created_by ? opts.created_by : "asl parquet writer");
  w->o.created_by = NULL;
  w->ncols = ncols;
  w->c = asl_calloc(ncols, sizeof *w->c);
  for (size_t k = 0; k < ncols; k++) {
    w->c[k].col = cols[k];
    w->c[k].col.name = asl_strdup(cols[k].name);
    w->c[k].maxdef = cols[k].nullable ? 1 : 0;
    w->c[k].dict_on = !opts.no_dictionary && cols[k].physical != ASL_PQ_BOOLEAN;
  }
  if (wr_write(w, "PAR1", 4, e) < 0) {
    asl_pq_writer_abort(w);
    return NULL;
  }
  return w;
}

/* A fast 64-bit hash of bytes: 8 at a time, multiply and fold. */
static uint64_t hash_bytes(const uint8_t *p, size_t n) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  while (n >= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    h = (h ^ w) * 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    p += 8;
    n -= 8;
  }
  uint64_t w = 0;
  memcpy(&w, p, n);
  h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 29;
  h *= 0xff51afd7ed558ccdull;
  return h ^ (h >> 32);
}

/* The dictionary index of the PLAIN value p[0..n), added when new. Slots
 * hold the entry + 1 in the low 32 bits and the hash's high 32 bits above,
 * so most mismatches are seen without touching the entry. */
static uint32_t dict_index(pq_wcol *c, const uint8_t *p, size_t n) {
  if ((size_t)(c->dict_n + 1) * 2 > c->nslots) {
    size_t ns = c->nslots ? c->nslots * 2 : 1024;
    uint64_t *sl = asl_calloc(ns, sizeof *sl);
    for (size_t k = 0; k < c->nslots; k++) {
      if (!c->slots[k]) continue;
      size_t h = (size_t)(c->slots[k] >> 32) & (ns - 1);
      while (sl[h])
        h = (h + 1) & (ns - 1);
      sl[h] = c->slots[k];
    }
    free(c->slots);
    c->slots = sl;
    c->nslots = ns;
  }
  uint64_t hv = hash_bytes(p, n), tag = hv >> 32 << 32;
  size_t h = (size_t)(hv >> 32) & (c->nslots - 1);
  while (c->slots[h]) {
    if ((c->slots[h] & 0xffffffff00000000ull) == tag) {
      uint32_t k = (uint32_t)c->slots[h] - 1;
      size_t a = c->ent_off[k], b = c->ent_off[k + 1];
      if (b - a == n && memcmp(c->dict.p + a, p, n) == 0) return k;
    }
    h = (h + 1) & (c->nslots - 1);
  }
  if ((size_t)c->dict_n + 2 > c->ent_cap) {
    c->ent_cap = c->ent_cap ? c->ent_cap * 2 : 1024;
    c->ent_off = asl_realloc(c->ent_off, c->ent_cap * sizeof *c->ent_off);
  }
  if (c->dict_n == 0) c->ent_off[0] = 0;
  buf_put(&c->dict, p, n);
  c->ent_off[c->dict_n + 1] = c->dict.n;
  c->slots[h] = tag | ((uint64_t)c->dict_n + 1);
  return (uint32_t)c->dict_n++;
}

static void page_header(pq_buf *out, int type, int64_t uncomp, int64_t comp,
                        const pq_wcol *c, int enc, int64_t nulls,
                        int64_t deflen, int v2compressed) {
  tw_t t = {.b = out};
  tw_i32(&t, 1, type);
  tw_i32(&t, 2, (int32_t)uncomp);
  tw_i32(&t, 3, (int32_t)comp);
  if (type == 0) {
    tw_struct(&t, 5);
    tw_i32(&t, 1, (int32_t)c->page_n);
    tw_i32(&t, 2, enc);
    tw_i32(&t, 3, 3);
    tw_i32(&t, 4, 3);
    tw_end(&t);
  } else if (type == 2) {
    tw_struct(&t, 7);
    tw_i32(&t, 1, (int32_t)c->dict_n);
    tw_i32(&t, 2, 0);
    tw_end(&t);
  } else {
    tw_struct(&t, 8);
    tw_i32(&t, 1, (int32_t)c->page_n);
    tw_i32(&t, 2, (int32_t)nulls);
    tw_i32(&t, 3, (int32_t)c->page_n);
    tw_i32(&t, 4, enc);
    tw_i32(&t, 5, (int32_t)deflen);
    tw_i32(&t, 6, 0);
    tw_bool(&t, 7, v2compressed);
    tw_end(&t);
  }
  buf_byte(out, 0);
}

/* Encodes the buffered page of column c into c->chunk. */
static int flush_page(asl_pq_writer *w, pq_wcol *c, asl_error *e) {
  if (c->page_n == 0) return 0;
  pq_buf *lv = &w->scratch, *body = &w->scratch2;
  lv->n = body->n = 0;
  if (c->maxdef) {
    uint32_t *d = asl_malloc((size_t)c->page_n * sizeof *d);
    for (int64_t k = 0; k < c->page_n; k++)
      d[k] = c->defs[k];
    rle_encode(lv, d, c->page_n, 1);
    free(d);
  }
  int dict = c->dict_on && c->page_nonnull > 0;
  int enc = dict ? 8 : 0;
  pq_buf vals = {0};
  if (dict) {
    int bw = bit_width((uint64_t)(c->dict_n > 1 ? c->dict_n - 1 : 1));
    buf_byte(&vals, (uint8_t)bw);
    rle_encode(&vals, c->idx, c->page_nonnull, bw);
    c->dict_used = 1;
    c->used_dict = 1;
  } else if (c->col.physical == ASL_PQ_BOOLEAN) {
    for (int64_t k = 0; k < c->page_nonnull; k += 8) {
      uint8_t x = 0;
      for (int j = 0; j < 8 && k + j < c->page_nonnull; j++)
        x |= (uint8_t)((c->vals.p[k + j] & 1) << j);
      buf_byte(&vals, x);
    }
    c->used_plain = 1;
  } else {
    buf_put(&vals, c->vals.p, c->vals.n);
    c->used_plain = 1;
  }
  int64_t nulls = c->page_n - c->page_nonnull;
  int codec = (int)w->o.codec;
  pq_buf comp = {0};
  int rc = 0;
  if (!w->o.page_v2) {
    if (c->maxdef) {
      buf_u32le(body, (uint32_t)lv->n);
      buf_put(body, lv->p, lv->n);
    }
    buf_put(body, vals.p, vals.n);
    rc = compress_into(codec, body->p, body->n, &comp);
    if (!rc) {
      size_t h0 = c->chunk.n;
      page_header(&c->chunk, 0, (int64_t)body->n, (int64_t)comp.n, c, enc,
                  nulls, 0, 0);
      c->chunk_uncomp += (int64_t)(c->chunk.n - h0 + body->n);
      buf_put(&c->chunk, comp.p, comp.n);
    }
  } else {
    rc = compress_into(codec, vals.p, vals.n, &comp);
    if (!rc) {
      size_t h0 = c->chunk.n;
      page_header(&c->chunk, 3, (int64_t)(lv->n + vals.n),
                  (int64_t)(lv->n + comp.n), c, enc, nulls, (int64_t)lv->n,
                  codec != 0);
      c->chunk_uncomp += (int64_t)(c->chunk.n - h0 + lv->n + vals.n);
      buf_put(&c->chunk, lv->p, lv->n);
      buf_put(&c->chunk, comp.p, comp.n);
    }
  }
  size_t extra = vals.cap + comp.cap;
  buf_free(&vals);
  buf_free(&comp);
  if (rc)
    return asl_error_set(e, PQ_ERR, "column '%s': compression failed",
                         c->col.name);
  size_t t = wr_buffered(w) + extra;
  if (t > w->peak) w->peak = t;
  c->page_n = c->page_nonnull = 0;
  c->vals.n = 0;
  return 0;
}

/* Signed decimal comparison for byte-array decimals: stats keep the int64
 * and are encoded as big-endian bytes at the end. */
static void be_bytes(int64_t v, size_t len, uint8_t *out) {
  for (size_t k = 0; k < len; k++)
    out[len - 1 - k] =
        k < 8 ? (uint8_t)((uint64_t)v >> (8 * k)) : (v < 0 ? 0xff : 0);
}

static size_t decimal_min_bytes(int64_t v) {
  size_t n = 1;
  while (n < 8) {
    int64_t lo = -((int64_t)1 << (8 * n - 1)),
            hi = ((int64_t)1 << (8 * n - 1)) - 1;
    if (v >= lo && v <= hi) break;
    n++;
  }
  return n;
}

static void stat_encode(const pq_wcol *c, const pq_stat *s, pq_buf *out) {
  out->n = 0;
  if (c->col.logical == ASL_PQ_L_DECIMAL &&
      (c->col.physical == ASL_PQ_BYTE_ARRAY ||
       c->col.physical == ASL_PQ_FIXED_LEN_BYTE_ARRAY)) {
    size_t L = c->col.physical == ASL_PQ_FIXED_LEN_BYTE_ARRAY
                   ? (size_t)c->col.type_length
                   : decimal_min_bytes(s->i);
    buf_reserve(out, L);
    be_bytes(s->i, L, out->p);
    out->n = L;
    return;
  }
  switch (c->col.physical) {
  case ASL_PQ_BOOLEAN:
    buf_byte(out, (uint8_t)s->i);
    break;
  case ASL_PQ_INT32:
    buf_u32le(out, (uint32_t)(int32_t)s->i);
    break;
  case ASL_PQ_INT64:
    buf_u64le(out, (uint64_t)s->i);
    break;
  case ASL_PQ_FLOAT: {
    float f = (float)s->d;
    uint32_t u;
    memcpy(&u, &f, 4);
    buf_u32le(out, u);
    break;
  }
  case ASL_PQ_DOUBLE: {
    uint64_t u;
    memcpy(&u, &s->d, 8);
    buf_u64le(out, u);
    break;
  }
  default:
    buf_put(out, s->s.p, s->s.n);
  }
}

static int flush_row_group(asl_pq_writer *w, asl_error *e) {
  if (w->rg_rows == 0) return 0;
  for (size_t k = 0; k < w->ncols; k++)
    if (flush_page(w, &w->c[k], e) < 0) return -1;
  wr_account(w);
  if (w->nrg == w->rgcap) {
    w->rgcap = w->rgcap ? w->rgcap * 2 : 8;
    w->rgs = asl_realloc(w->rgs, (size_t)w->rgcap * sizeof *w->rgs);
  }
  pq_wrg *g = &w->rgs[w->nrg++];
  memset(g, 0, sizeof *g);
  g->rows = w->rg_rows;
  g->off = w->off;
  g->ch = asl_calloc(w->ncols, sizeof *g->ch);
  for (size_t k = 0; k < w->ncols; k++) {
    pq_wcol *c = &w->c[k];
    pq_wchunk *ch = &g->ch[k];
    ch->off = w->off;
    ch->num_values = w->rg_rows;
    ch->nulls = c->nulls;
    ch->used_plain = c->used_plain;
    ch->used_dict = c->used_dict;
    int64_t start = w->off;
    if (c->dict_used) {
      pq_buf comp = {0}, hdr = {0};
      if (compress_into((int)w->o.codec, c->dict.p, c->dict.n, &comp) < 0) {
        buf_free(&comp);
        return asl_error_set(e, PQ_ERR, "column '%s': compression failed",
                             c->col.name);
      }
      page_header(&hdr, 2, (int64_t)c->dict.n, (int64_t)comp.n, c, 0, 0, 0, 0);
      ch->has_dict = 1;
      ch->dict_off = w->off;
      ch->uncomp += (int64_t)(hdr.n + c->dict.n);
      int rc = wr_write(w, hdr.p, hdr.n, e);
      if (!rc) rc = wr_write(w, comp.p, comp.n, e);
      size_t extra = comp.cap + hdr.cap;
      buf_free(&comp);
      buf_free(&hdr);
      if (wr_buffered(w) + extra > w->peak) w->peak = wr_buffered(w) + extra;
      if (rc < 0) return -1;
    }
    ch->data_off = w->off;
    if (wr_write(w, c->chunk.p, c->chunk.n, e) < 0) return -1;
    ch->uncomp += c->chunk_uncomp;
    ch->comp = w->off - start;
    g->comp += ch->comp;
    g->bytes += ch->uncomp;
    if (c->mn.set) {
      ch->has_stats = 1;
      stat_encode(c, &c->mn, &ch->mn);
      stat_encode(c, &c->mx, &ch->mx);
    }
    /* reset the chunk state; buffers keep their capacity (one row group) */
    c->chunk.n = 0;
    c->chunk_uncomp = 0;
    c->dict.n = 0;
    c->dict_n = 0;
    if (c->slots) memset(c->slots, 0, c->nslots * sizeof *c->slots);
    c->dict_on = !w->o.no_dictionary && c->col.physical != ASL_PQ_BOOLEAN;
    c->dict_used = c->used_dict = c->used_plain = 0;
    c->mn.set = c->mx.set = 0;
    c->nulls = 0;
  }
  w->rg_rows = 0;
  return 0;
}

/* Unsigned byte-wise comparison, then length. */
static int cmp_bytes(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
  size_t n = an < bn ? an : bn;
  int r = n ? memcmp(a, b, n) : 0;
  if (r) return r;
  return an < bn ? -1 : an > bn;
}

static void stat_update(pq_wcol *c, int64_t i, double d, const uint8_t *s,
                        size_t n) {
  int kind = c->col.physical;
  if (kind == ASL_PQ_FLOAT || kind == ASL_PQ_DOUBLE) {
    if (isnan(d)) return;
    if (!c->mn.set || d < c->mn.d) c->mn.d = d;
    if (!c->mx.set || d > c->mx.d) c->mx.d = d;
    /* the spec's rule for zeros: min -0.0, max +0.0 */
    if (c->mn.d == 0) c->mn.d = -0.0;
    if (c->mx.d == 0) c->mx.d = 0.0;
    c->mn.set = c->mx.set = 1;
    return;
  }
  if (s) {
    if (!c->mn.set || cmp_bytes(s, n, c->mn.s.p, c->mn.s.n) < 0) {
      c->mn.s.n = 0;
      buf_put(&c->mn.s, s, n);
    }
    if (!c->mx.set || cmp_bytes(s, n, c->mx.s.p, c->mx.s.n) > 0) {
      c->mx.s.n = 0;
      buf_put(&c->mx.s, s, n);
    }
    c->mn.set = c->mx.set = 1;
    return;
  }
  if (!c->mn.set || i < c->mn.i) c->mn.i = i;
  if (!c->mx.set || i > c->mx.i) c->mx.i = i;
  c->mn.set = c->mx.set = 1;
}

/* The integer a value stores in column c (decimals rescaled to the column's
 * scale, timestamps in the column's unit); NULL or why it does not fit. */
static const char *scaled_int(const asl_pq_column *c, const asl_pq_value *v,
                              int64_t *out) {
  int64_t i = v->kind == ASL_PQ_V_BOOL ? (v->b != 0) : v->i;
  if (c->logical == ASL_PQ_L_DECIMAL && v->kind == ASL_PQ_V_DECIMAL)
    for (int s = v->scale; s < c->scale; s++)
      if (__builtin_mul_overflow(i, (int64_t)10, &i))
        return "decimal out of range";
  if (c->logical == ASL_PQ_L_TIMESTAMP_MS && v->kind == ASL_PQ_V_TIMESTAMP)
    i = i / 1000 - (i % 1000 < 0);
  if (c->logical == ASL_PQ_L_DECIMAL && c->precision <= 18) {
    int64_t lim = pow10i(c->precision);
    if (i >= lim || i <= -lim)
      return "decimal has more digits than the column's precision";
  }
  if (c->physical == ASL_PQ_INT32 && (i < INT32_MIN || i > INT32_MAX))
    return "value out of INT32 range";
  *out = i;
  return NULL;
}

int asl_pq_writer_append(asl_pq_writer *w, const asl_pq_value *row,
                         asl_error *e) {
  if (w->failed)
    return asl_error_set(e, PQ_ERR, "%s: writer failed earlier", w->path);
  /* validate the whole row first so a bad value leaves no partial row */
  for (size_t k = 0; k < w->ncols; k++) {
    const asl_pq_column *col = &w->c[k].col;
    const asl_pq_value *v = &row[k];
    const char *why = NULL;
    if (v->kind == ASL_PQ_V_NULL) {
      if (!col->nullable) why = "NULL in a required column";
    } else {
      switch (col->physical) {
      case ASL_PQ_BOOLEAN:
        if (v->kind != ASL_PQ_V_BOOL && v->kind != ASL_PQ_V_INT)
          why = "expects a boolean";
        break;
      case ASL_PQ_INT32:
      case ASL_PQ_INT64: {
        asl_pq_kind want = col->logical == ASL_PQ_L_DATE      ? ASL_PQ_V_DATE
                           : col->logical == ASL_PQ_L_DECIMAL ? ASL_PQ_V_DECIMAL
                           : col->logical == ASL_PQ_L_NONE    ? ASL_PQ_V_INT
                                                           : ASL_PQ_V_TIMESTAMP;
        if (v->kind != want && v->kind != ASL_PQ_V_INT)
          why = "value of the wrong kind";
        break;
      }
      case ASL_PQ_FLOAT:
      case ASL_PQ_DOUBLE:
        if (v->kind != ASL_PQ_V_DOUBLE && v->kind != ASL_PQ_V_INT)
          why = "expects a number";
        break;
      case ASL_PQ_BYTE_ARRAY:
      case ASL_PQ_FIXED_LEN_BYTE_ARRAY:
        if (col->logical == ASL_PQ_L_DECIMAL) {
          if (v->kind != ASL_PQ_V_DECIMAL && v->kind != ASL_PQ_V_INT)
            why = "expects a decimal";
        } else if (v->kind != ASL_PQ_V_BYTES) {
          why = "expects bytes";
        } else if (v->n > UINT32_MAX - 1) {
          why = "byte array over 4 GiB";
        } else if (col->physical == ASL_PQ_FIXED_LEN_BYTE_ARRAY &&
                   v->n != (size_t)col->type_length) {
          why = "byte array of the wrong fixed length";
        }
        break;
      default:
        why = "unsupported type";
      }
      if (!why && col->logical == ASL_PQ_L_DECIMAL &&
          v->kind == ASL_PQ_V_DECIMAL && v->scale != col->scale) {
        if (v->scale > col->scale || v->scale < 0)
          why = "decimal scale larger than the column's";
      }
    }
    int64_t iv;
    if (!why && v->kind != ASL_PQ_V_NULL && col->physical != ASL_PQ_FLOAT &&
        col->physical != ASL_PQ_DOUBLE && v->kind != ASL_PQ_V_BYTES)
      why = scaled_int(col, v, &iv);
    if (why)
      return asl_error_set(e, PQ_ERR, "row %lld column '%s': %s",
                           (long long)w->rows, col->name, why);
  }
  for (size_t k = 0; k < w->ncols; k++) {
    pq_wcol *c = &w->c[k];
    const asl_pq_value *v = &row[k];
    if ((size_t)c->page_n + 1 > c->defs_cap) {
      c->defs_cap = c->defs_cap ? c->defs_cap * 2 : 1024;
      c->defs = asl_realloc(c->defs, c->defs_cap);
    }
    if (v->kind == ASL_PQ_V_NULL) {
      c->defs[c->page_n++] = 0;
      c->nulls++;
    } else {
      uint8_t tmp[32];
      const uint8_t *p = tmp;
      size_t n = 0;
      int64_t i = 0;
      double d = v->kind == ASL_PQ_V_INT ? (double)v->i : v->d;
      int is_bytes = 0;
      if (c->col.physical != ASL_PQ_FLOAT && c->col.physical != ASL_PQ_DOUBLE)
        scaled_int(&c->col, v, &i);
      switch (c->col.physical) {
      case ASL_PQ_BOOLEAN:
        tmp[0] = (uint8_t)(i != 0);
        i = tmp[0];
        n = 1;
        break;
      case ASL_PQ_INT32:
        for (int b = 0; b < 4; b++)
          tmp[b] = (uint8_t)((uint64_t)i >> (8 * b));
        n = 4;
        break;
      case ASL_PQ_INT64:
        for (int b = 0; b < 8; b++)
          tmp[b] = (uint8_t)((uint64_t)i >> (8 * b));
        n = 8;
        break;
      case ASL_PQ_FLOAT: {
        float f = (float)d;
        d = f;
        memcpy(tmp, &f, 4);
        n = 4;
        break;
      }
      case ASL_PQ_DOUBLE:
        memcpy(tmp, &d, 8);
        n = 8;
        break;
      case ASL_PQ_BYTE_ARRAY:
        if (c->col.logical == ASL_PQ_L_DECIMAL) {
          size_t L = decimal_min_bytes(i);
          tmp[0] = (uint8_t)L;
          tmp[1] = tmp[2] = tmp[3] = 0;
          be_bytes(i, L, tmp + 4);
          n = 4 + L;
        } else {
          /* the PLAIN form: length prefix then bytes */
          w->vbuf.n = 0;
          buf_u32le(&w->vbuf, (uint32_t)v->n);
          buf_put(&w->vbuf, v->s, v->n);
          p = w->vbuf.p;
          n = w->vbuf.n;
          is_bytes = 1;
        }
        break;
      case ASL_PQ_FIXED_LEN_BYTE_ARRAY:
        if (c->col.logical == ASL_PQ_L_DECIMAL) {
          be_bytes(i, (size_t)c->col.type_length, tmp);
          n = (size_t)c->col.type_length;
        } else {
          w->vbuf.n = 0;
          buf_put(&w->vbuf, v->s, v->n);
          p = w->vbuf.p;
          n = w->vbuf.n;
          is_bytes = 1;
        }
        break;
      default:
        break;
      }
      if (c->col.physical == ASL_PQ_FLOAT || c->col.physical == ASL_PQ_DOUBLE)
        stat_update(c, 0, d, NULL, 0);
      else if (is_bytes)
        stat_update(c, 0, 0, (const uint8_t *)(v->n ? v->s : ""), v->n);
      else
        stat_update(c, i, 0, NULL, 0);
      if (c->dict_on && c->dict.n + n > PQ_DICT_BYTES) {
        /* the dictionary stops paying: the page so far goes out dictionary
         * encoded, the rest of the chunk PLAIN */
        if (flush_page(w, c, e) < 0) return -1;
        c->dict_on = 0;
      }
      c->defs[c->page_n++] = 1;
      if (c->dict_on) {
        if ((size_t)c->page_nonnull + 1 > c->idx_cap) {
          c->idx_cap = c->idx_cap ? c->idx_cap * 2 : 1024;
          c->idx = asl_realloc(c->idx, c->idx_cap * sizeof *c->idx);
        }
        c->idx[c->page_nonnull] = dict_index(c, p, n);
      } else {
        buf_put(&c->vals, p, n);
      }
      c->page_nonnull++;
    }
    if (c->page_n >= PQ_PAGE_ROWS || c->vals.n >= PQ_PAGE_BYTES) {
      if (flush_page(w, c, e) < 0) return -1;
    }
  }
  w->rows++;
  w->rg_rows++;
  if (w->rg_rows >= w->o.row_group_rows) return flush_row_group(w, e);
  size_t bytes = 0;
  for (size_t k = 0; k < w->ncols; k++)
    bytes += w->c[k].chunk.n + w->c[k].vals.n + w->c[k].dict.n;
  if ((int64_t)bytes >= w->o.row_group_bytes) return flush_row_group(w, e);
  return 0;
}

static void write_schema_elem(tw_t *t, const asl_pq_column *c) {
  tw_begin(t);
  tw_i32(t, 1, (int32_t)c->physical);
  if (c->physical == ASL_PQ_FIXED_LEN_BYTE_ARRAY) tw_i32(t, 2, c->type_length);
  tw_i32(t, 3, c->nullable ? 1 : 0);
  tw_bin(t, 4, c->name, strlen(c->name));
  int conv = -1;
  switch (c->logical) {
  case ASL_PQ_L_STRING:
    conv = 0;
    break;
  case ASL_PQ_L_DECIMAL:
    conv = 5;
    break;
  case ASL_PQ_L_DATE:
    conv = 6;
    break;
  case ASL_PQ_L_TIMESTAMP_MS:
    conv = 9;
    break;
  case ASL_PQ_L_TIMESTAMP_US:
    conv = 10;
    break;
  default:
    break;
  }
  if (conv >= 0) tw_i32(t, 6, conv);
  if (c->logical == ASL_PQ_L_DECIMAL) {
    tw_i32(t, 7, c->scale);
    tw_i32(t, 8, c->precision);
  }
  if (conv >= 0) {
    tw_struct(t, 10); /* LogicalType union */
    switch (c->logical) {
    case ASL_PQ_L_STRING:
      tw_struct(t, 1);
      tw_end(t);
      break;
    case ASL_PQ_L_DECIMAL:
      tw_struct(t, 5);
      tw_i32(t, 1, c->scale);
      tw_i32(t, 2, c->precision);
      tw_end(t);
      break;
    case ASL_PQ_L_DATE:
      tw_struct(t, 6);
      tw_end(t);
      break;
    default: /* TIMESTAMP */
      tw_struct(t, 8);
      tw_bool(t, 1, 1);
      tw_struct(t, 2);
      tw_struct(t, c->logical == ASL_PQ_L_TIMESTAMP_MS ? 1 : 2);
      tw_end(t);
      tw_end(t);
      tw_end(t);
    }
    tw_end(t);
  }
  tw_end(t);
}

static void wr_free(asl_pq_writer *w) {
  for (size_t k = 0; k < w->ncols; k++) {
    pq_wcol *c = &w->c[k];
    free(c->col.name);
    buf_free(&c->vals);
    free(c->idx);
    free(c->defs);
    buf_free(&c->dict);
    free(c->ent_off);
    free(c->slots);
    buf_free(&c->chunk);
    buf_free(&c->mn.s);
    buf_free(&c->mx.s);
  }
  for (int g = 0; g < w->nrg; g++) {
    for (size_t k = 0; k < w->ncols; k++) {
      buf_free(&w->rgs[g].ch[k].mn);
      buf_free(&w->rgs[g].ch[k].mx);
    }
    free(w->rgs[g].ch);
  }
  free(w->rgs);
  free(w->c);
  buf_free(&w->scratch);
  buf_free(&w->scratch2);
  buf_free(&w->vbuf);
  free(w->created_by);
  free(w->path);
  free(w);
}

void asl_pq_writer_abort(asl_pq_writer *w) {
  if (!w) return;
  if (w->f) fclose(w->f);
  unlink(w->path);
  wr_free(w);
}

int asl_pq_writer_close(asl_pq_writer *w, asl_error *e) {
  if (w->failed || flush_row_group(w, e) < 0) {
    if (!e->name)
      asl_error_set(e, PQ_ERR, "%s: writer failed earlier", w->path);
    asl_pq_writer_abort(w);
    return -1;
  }
  pq_buf fb = {0};
  tw_t t = {.b = &fb};
  tw_i32(&t, 1, 1);
  tw_list(&t, 2, CT_STRUCT, w->ncols + 1);
  tw_begin(&t);
  tw_bin(&t, 4, "schema", 6);
  tw_i32(&t, 5, (int32_t)w->ncols);
  tw_end(&t);
  for (size_t k = 0; k < w->ncols; k++)
    write_schema_elem(&t, &w->c[k].col);
  tw_i64(&t, 3, w->rows);
  tw_list(&t, 4, CT_STRUCT, (size_t)w->nrg);
  for (int g = 0; g < w->nrg; g++) {
    pq_wrg *rg = &w->rgs[g];
    tw_begin(&t);
    tw_list(&t, 1, CT_STRUCT, w->ncols);
    for (size_t k = 0; k < w->ncols; k++) {
      pq_wchunk *ch = &rg->ch[k];
      const asl_pq_column *c = &w->c[k].col;
      tw_begin(&t);
      tw_i64(&t, 2, ch->off);
      tw_struct(&t, 3);
      tw_i32(&t, 1, (int32_t)c->physical);
      int encs[3], ne = 0;
      encs[ne++] = 3; /* RLE: definition levels */
      if (ch->used_plain || ch->has_dict) encs[ne++] = 0;
      if (ch->used_dict) encs[ne++] = 8;
      tw_list(&t, 2, CT_I32, (size_t)ne);
      for (int j = 0; j < ne; j++)
        buf_varint(&fb, (uint64_t)encs[j] << 1);
      tw_list(&t, 3, CT_BINARY, 1);
      buf_varint(&fb, strlen(c->name));
      buf_put(&fb, c->name, strlen(c->name));
      tw_i32(&t, 4, (int32_t)w->o.codec);
      tw_i64(&t, 5, ch->num_values);
      tw_i64(&t, 6, ch->uncomp);
      tw_i64(&t, 7, ch->comp);
      tw_i64(&t, 9, ch->data_off);
      if (ch->has_dict) tw_i64(&t, 11, ch->dict_off);
      tw_struct(&t, 12);
      tw_i64(&t, 3, ch->nulls);
      if (ch->has_stats) {
        tw_bin(&t, 5, ch->mx.p, ch->mx.n);
        tw_bin(&t, 6, ch->mn.p, ch->mn.n);
      }
      tw_end(&t);
      tw_end(&t); /* ColumnMetaData */
      tw_end(&t); /* ColumnChunk */
    }
    tw_i64(&t, 2, rg->bytes);
    tw_i64(&t, 3, rg->rows);
    tw_i64(&t, 5, rg->off);
    tw_i64(&t, 6, rg->comp);
    tw_end(&t);
  }
  tw_bin(&t, 6, w->created_by, strlen(w->created_by));
  tw_list(&t, 7, CT_STRUCT, w->ncols); /* ColumnOrder: TYPE_ORDER */
  for (size_t k = 0; k < w->ncols; k++) {
    tw_begin(&t);
    tw_struct(&t, 1);
    tw_end(&t);
    tw_end(&t);
  }
  buf_byte(&fb, 0);
  uint8_t tail[8];
  for (int b = 0; b < 4; b++)
    tail[b] = (uint8_t)(fb.n >> (8 * b));
  memcpy(tail + 4, "PAR1", 4);
  int rc = wr_write(w, fb.p, fb.n, e);
  if (!rc) rc = wr_write(w, tail, 8, e);
  buf_free(&fb);
  if (!rc && fclose(w->f) != 0) {
    w->f = NULL;
    rc = asl_error_set(e, PQ_ERR, "%s: close: %s", w->path, strerror(errno));
  } else if (rc) {
    fclose(w->f);
    w->f = NULL;
  }
  w->f = NULL;
  if (rc) {
    unlink(w->path);
    wr_free(w);
    return -1;
  }
  wr_free(w);
  return 0;
}

/* ================================================================ text */

void asl_pq_columns_free(asl_pq_column *cols, size_t ncols) {
  for (size_t k = 0; k < ncols; k++)
    free(cols[k].name);
  free(cols);
}

static const char *parse_type(const char *t, asl_pq_column *c) {
  int p = 0, s = 0, n = 0, used = 0;
  if (!strcmp(t, "bool") || !strcmp(t, "boolean"))
    c->physical = ASL_PQ_BOOLEAN;
  else if (!strcmp(t, "int32") || !strcmp(t, "int"))
    c->physical = ASL_PQ_INT32;
  else if (!strcmp(t, "int64") || !strcmp(t, "bigint"))
    c->physical = ASL_PQ_INT64;
  else if (!strcmp(t, "float"))
    c->physical = ASL_PQ_FLOAT;
  else if (!strcmp(t, "double"))
    c->physical = ASL_PQ_DOUBLE;
  else if (!strcmp(t, "string")) {
    c->physical = ASL_PQ_BYTE_ARRAY;
    c->logical = ASL_PQ_L_STRING;
  } else if (!strcmp(t, "binary"))
    c->physical = ASL_PQ_BYTE_ARRAY;
  else if (!strcmp(t, "date")) {
    c->physical = ASL_PQ_INT32;
    c->logical = ASL_PQ_L_DATE;
  } else if (!strcmp(t, "timestamp") || !strcmp(t, "timestamp_us")) {
    c->physical = ASL_PQ_INT64;
    c->logical = ASL_PQ_L_TIMESTAMP_US;
  } else if (!strcmp(t, "timestamp_ms")) {
    c->physical = ASL_PQ_INT64;
    c->logical = ASL_PQ_L_TIMESTAMP_MS;
  } else if (sscanf(t, "decimal(%d,%d)%n", &p, &s, &used) == 2 && !t[used]) {
    if (p < 1 || p > 38 || s < 0 || s > p)
      return "decimal(P,S) needs 1 <= P <= 38, 0 <= S <= P";
    c->logical = ASL_PQ_L_DECIMAL;
    c->precision = p;
    c->scale = s;
    if (p <= 9)
      c->physical = ASL_PQ_INT32;
    else if (p <= 18)
      c->physical = ASL_PQ_INT64;
    else {
      c->physical = ASL_PQ_FIXED_LEN_BYTE_ARRAY;
      /* bytes for 10^p - 1 in two's complement */
      double bits = p * 3.3219280948873623 + 1;
      c->type_length = (int)ceil(bits / 8);
      if (c->type_length > 16) c->type_length = 16;
    }
  } else if (sscanf(t, "fixed(%d)%n", &n, &used) == 1 && !t[used]) {
    if (n < 1 || n > 65536) return "fixed(N) needs 1 <= N <= 65536";
    c->physical = ASL_PQ_FIXED_LEN_BYTE_ARRAY;
    c->type_length = n;
  } else {
    return "unknown type (bool, int32, int64, float, double, string, binary, "
           "date, timestamp, timestamp_ms, decimal(P,S), fixed(N))";
  }
  return NULL;
}

int asl_pq_parse_schema(const char *spec, asl_pq_column **cols, size_t *ncols,
                        asl_error *e) {
  asl_pq_column *v = NULL;
  size_t n = 0;
  const char *p = spec;
  while (*p) {
    /* one item: up to a comma outside parentheses */
    const char *q = p;
    int depth = 0;
    while (*q && (depth || *q != ',')) {
      if (*q == '(') depth++;
      if (*q == ')') depth--;
      q++;
    }
    char *item = asl_strndup(p, (size_t)(q - p));
    char *shown = asl_strdup(item);
    char *colon = strrchr(item, ':');
    char *paren = strchr(item, '(');
    if (paren &&
        colon > paren) { /* a colon inside decimal(...)? find the first */
      colon = strchr(item, ':');
    }
    const char *why = NULL;
    v = asl_realloc(v, (n + 1) * sizeof *v);
    asl_pq_column *c = &v[n];
    memset(c, 0, sizeof *c);
    if (!colon || colon == item) {
      why = "expected name:type";
      c->name = NULL;
    } else {
      *colon = 0;
      char *t = colon + 1;
      while (*t == ' ')
        t++;
      size_t tl = strlen(t);
      while (tl && t[tl - 1] == ' ')
        t[--tl] = 0;
      c->nullable = 1;
      if (tl && t[tl - 1] == '!') {
        c->nullable = 0;
        t[--tl] = 0;
      }
      char *nm = item;
      while (*nm == ' ')
        nm++;
      c->name = asl_strdup(nm);
      why = parse_type(t, c);
    }
    n++;
    if (why) {
      asl_error_set(e, PQ_ERR, "schema item %zu '%s': %s", n, shown, why);
      free(item);
      free(shown);
      asl_pq_columns_free(v, n);
      return -1;
    }
    free(item);
    free(shown);
    p = *q ? q + 1 : q;
  }
  if (!n) {
    free(v);
    return asl_error_set(e, PQ_ERR, "empty schema");
  }
  *cols = v;
  *ncols = n;
  return 0;
}

/* Parses "[-]digits[.digits]" into an integer scaled to scale digits. */
static int parse_decimal_text(const char *s, int scale, int64_t *out) {
  int neg = 0, seen = 0, frac = -1;
  int64_t v = 0;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  for (; *s; s++) {
    if (*s == '.' && frac < 0) {
      frac = 0;
      continue;
    }
    if (*s < '0' || *s > '9') return -1;
    if (frac >= 0) {
      if (frac == scale) {
        if (*s != '0') return -1; /* more digits than the scale */
        continue;
      }
      frac++;
    }
    if (__builtin_mul_overflow(v, (int64_t)10, &v) ||
        __builtin_add_overflow(v, (int64_t)(*s - '0'), &v))
      return -1;
    seen = 1;
  }
  if (!seen) return -1;
  for (int k = frac < 0 ? 0 : frac; k < scale; k++)
    if (__builtin_mul_overflow(v, (int64_t)10, &v)) return -1;
  *out = neg ? -v : v;
  return 0;
}

/* n decimal digits at s, or -1. */
static int digits(const char *s, int n) {
  int v = 0;
  for (int k = 0; k < n; k++) {
    if (s[k] < '0' || s[k] > '9') return -1;
    v = v * 10 + (s[k] - '0');
  }
  return v;
}

static int parse_date_text(const char *s, int64_t *days) {
  int y = digits(s, 4), m, d;
  if (y < 0 || s[4] != '-' || (m = digits(s + 5, 2)) < 0 || s[7] != '-' ||
      (d = digits(s + 8, 2)) < 0)
    return -1;
  if (m < 1 || m > 12 || d < 1 || d > 31) return -1;
  *days = asl_pq_days_from_civil(y, (unsigned)m, (unsigned)d);
  int64_t yy;
  unsigned mm, dd;
  asl_pq_civil_from_days(*days, &yy, &mm, &dd);
  if (yy != y || (int)mm != m || (int)dd != d) return -1;
  return s[10] == 0 ? 0 : -1;
}

static int parse_ts_text(const char *s, int64_t *us) {
  int64_t days;
  char date[11];
  if (strlen(s) < 10) return -1;
  memcpy(date, s, 10);
  date[10] = 0;
  if (parse_date_text(date, &days) < 0) return -1;
  s += 10;
  int64_t sec = 0, frac = 0;
  if (*s == 'T' || *s == ' ') {
    int h = digits(s + 1, 2), mi = -1, se = -1;
    if (h >= 0 && s[3] == ':') mi = digits(s + 4, 2);
    if (mi >= 0 && s[6] == ':') se = digits(s + 7, 2);
    if (h < 0 || mi < 0 || se < 0 || h > 23 || mi > 59 || se > 60) return -1;
    sec = h * 3600 + mi * 60 + se;
    s += 9;
    if (*s == '.') {
      s++;
      int nd = 0;
      while (*s >= '0' && *s <= '9') {
        if (nd < 6)
          frac = frac * 10 + (*s - '0');
        else if (*s != '0')
          return -1; /* below a microsecond */
        nd++;
        s++;
      }
      if (!nd) return -1;
      for (; nd < 6; nd++)
        frac *= 10;
    }
    if (*s == 'Z')
      s++;
    else if (!strcmp(s, "+00:00"))
      s += 6;
  }
  if (*s) return -1;
  *us = (days * 86400 + sec) * 1000000 + frac;
  return 0;
}

int asl_pq_value_from_json(const asl_pq_column *c, const cJSON *j,
                           asl_pq_value *out, const char **why) {
  memset(out, 0, sizeof *out);
  if (!j || cJSON_IsNull(j)) return 0;
  int isnum = cJSON_IsNumber(j), isstr = cJSON_IsString(j);
  double d = isnum ? j->valuedouble : 0;
  switch (c->physical) {
  case ASL_PQ_BOOLEAN:
    if (!cJSON_IsBool(j)) return *why = "expects true or false", -1;
    out->kind = ASL_PQ_V_BOOL;
    out->b = cJSON_IsTrue(j);
    return 0;
  case ASL_PQ_FLOAT:
  case ASL_PQ_DOUBLE:
    out->kind = ASL_PQ_V_DOUBLE;
    if (isnum) {
      out->d = d;
      return 0;
    }
    if (isstr && !strcmp(j->valuestring, "NaN"))
      out->d = NAN;
    else if (isstr && !strcmp(j->valuestring, "Infinity"))
      out->d = INFINITY;
    else if (isstr && !strcmp(j->valuestring, "-Infinity"))
      out->d = -INFINITY;
    else
      return *why = "expects a number", -1;
    return 0;
  default:
    break;
  }
  if (c->logical == ASL_PQ_L_DECIMAL) {
    out->kind = ASL_PQ_V_DECIMAL;
    out->scale = c->scale;
    if (isstr) {
      if (parse_decimal_text(j->valuestring, c->scale, &out->i) < 0)
        return *why = "expects a decimal with at most the column's scale", -1;
      return 0;
    }
    if (!isnum) return *why = "expects a decimal (number or string)", -1;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*f", c->scale, d);
    if (!isfinite(d) || fabs(d) > 9e18 ||
        parse_decimal_text(tmp, c->scale, &out->i) < 0)
      return *why = "decimal out of range", -1;
    return 0;
  }
  if (c->logical == ASL_PQ_L_DATE) {
    out->kind = ASL_PQ_V_DATE;
    if (isstr && parse_date_text(j->valuestring, &out->i) == 0) return 0;
    if (isnum && d == floor(d) && fabs(d) < 1e9) {
      out->i = (int64_t)d;
      return 0;
    }
    return *why = "expects a date \"YYYY-MM-DD\"", -1;
  }
  if (c->logical == ASL_PQ_L_TIMESTAMP_MS ||
      c->logical == ASL_PQ_L_TIMESTAMP_US) {
    out->kind = ASL_PQ_V_TIMESTAMP;
    if (isstr && parse_ts_text(j->valuestring, &out->i) == 0) return 0;
    if (isnum && d == floor(d) && fabs(d) < 9e18) {
      out->i = (int64_t)d;
      return 0;
    }
    return *why = "expects a timestamp \"YYYY-MM-DDTHH:MM:SS[.ffffff]Z\"", -1;
  }
  if (c->physical == ASL_PQ_INT32 || c->physical == ASL_PQ_INT64) {
    out->kind = ASL_PQ_V_INT;
    if (isnum && d == floor(d) && fabs(d) <= 9007199254740992.0) {
      out->i = (int64_t)d;
      return 0;
    }
    if (isstr) {
      char *end;
      errno = 0;
      long long v = strtoll(j->valuestring, &end, 10);
      if (!errno && end != j->valuestring && !*end) {
        out->i = v;
        return 0;
      }
    }
    return *why = "expects an integer", -1;
  }
  if (!isstr) return *why = "expects a string", -1;
  out->kind = ASL_PQ_V_BYTES;
  out->s = j->valuestring;
  out->n = strlen(j->valuestring);
  return 0;
}

static void text_string(asl_buf *b, const char *s, size_t n, int json) {
  if (!json) {
    int quote = 0;
    for (size_t k = 0; k < n; k++)
      if (s[k] == ',' || s[k] == '"' || s[k] == '\n' || s[k] == '\r') quote = 1;
    if (!quote) {
      asl_buf_add(b, s, n);
      return;
    }
    asl_buf_putc(b, '"');
    for (size_t k = 0; k < n; k++) {
      if (s[k] == '"') asl_buf_putc(b, '"');
      asl_buf_putc(b, s[k]);
    }
    asl_buf_putc(b, '"');
    return;
  }
  asl_buf_putc(b, '"');
  const unsigned char *u = (const unsigned char *)s;
  for (size_t k = 0; k < n; k++) {
    unsigned char ch = u[k];
    if (ch == '"' || ch == '\\') {
      asl_buf_putc(b, '\\');
      asl_buf_putc(b, (char)ch);
    } else if (ch == '\n')
      asl_buf_puts(b, "\\n");
    else if (ch == '\t')
      asl_buf_puts(b, "\\t");
    else if (ch == '\r')
      asl_buf_puts(b, "\\r");
    else if (ch < 0x20)
      asl_buf_printf(b, "\\u%04x", ch);
    else if (ch < 0x80)
      asl_buf_putc(b, (char)ch);
    else {
      /* valid UTF-8 goes through; other bytes as U+0080..U+00FF */
      size_t len = ch >= 0xf0 && ch < 0xf5   ? 4
                   : ch >= 0xe0              ? 3
                   : ch >= 0xc2 && ch < 0xe0 ? 2
                                             : 0;
      if (ch >= 0xf5) len = 0;
      int ok = len && k + len <= n;
      for (size_t j = 1; ok && j < len; j++)
        ok = (u[k + j] & 0xc0) == 0x80;
      if (ok) {
        asl_buf_add(b, s + k, len);
        k += len - 1;
      } else {
        asl_buf_printf(b, "\\u%04x", ch);
      }
    }
  }
  asl_buf_putc(b, '"');
}

void asl_pq_value_text(asl_buf *b, const asl_pq_value *v, int json) {
  char tmp[64];
  int64_t y;
  unsigned m, d;
  switch (v->kind) {
  case ASL_PQ_V_NULL:
    if (json) asl_buf_puts(b, "null");
    return;
  case ASL_PQ_V_BOOL:
    asl_buf_puts(b, v->b ? "true" : "false");
    return;
  case ASL_PQ_V_INT:
    asl_buf_printf(b, "%lld", (long long)v->i);
    return;
  case ASL_PQ_V_DOUBLE:
    if (isnan(v->d)) {
      asl_buf_puts(b, json ? "\"NaN\"" : "NaN");
      return;
    }
    if (isinf(v->d)) {
      asl_buf_puts(b, v->d > 0 ? (json ? "\"Infinity\"" : "Infinity")
                               : (json ? "\"-Infinity\"" : "-Infinity"));
      return;
    }
    for (int prec = 15; prec <= 17; prec++) {
      snprintf(tmp, sizeof tmp, "%.*g", prec, v->d);
      if (strtod(tmp, NULL) == v->d) break;
    }
    asl_buf_puts(b, tmp);
    return;
  case ASL_PQ_V_BYTES:
    text_string(b, v->s, v->n, json);
    return;
  case ASL_PQ_V_DATE:
    asl_pq_civil_from_days(v->i, &y, &m, &d);
    asl_buf_printf(b, json ? "\"%04lld-%02u-%02u\"" : "%04lld-%02u-%02u",
                   (long long)y, m, d);
    return;
  case ASL_PQ_V_TIMESTAMP: {
    int64_t days = v->i / 86400000000LL, rem = v->i % 86400000000LL;
    if (rem < 0) {
      rem += 86400000000LL;
      days--;
    }
    asl_pq_civil_from_days(days, &y, &m, &d);
    int64_t s = rem / 1000000, us = rem % 1000000;
    if (json) asl_buf_putc(b, '"');
    asl_buf_printf(b, "%04lld-%02u-%02uT%02d:%02d:%02d", (long long)y, m, d,
                   (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
    if (us % 1000 == 0)
      asl_buf_printf(b, ".%03dZ", (int)(us / 1000));
    else
      asl_buf_printf(b, ".%06dZ", (int)us);
    if (json) asl_buf_putc(b, '"');
    return;
  }
  case ASL_PQ_V_DECIMAL: {
    uint64_t mag = v->i < 0 ? (uint64_t)0 - (uint64_t)v->i : (uint64_t)v->i;
    char digits[32];
    int nd = snprintf(digits, sizeof digits, "%llu", (unsigned long long)mag);
    int sc = v->scale < 0 ? 0 : v->scale > 38 ? 38 : v->scale;
    if (v->i < 0) asl_buf_putc(b, '-');
    if (nd <= sc) {
      asl_buf_puts(b, "0.");
      for (int k = nd; k < sc; k++)
        asl_buf_putc(b, '0');
      asl_buf_add(b, digits, (size_t)nd);
    } else {
      asl_buf_add(b, digits, (size_t)(nd - sc));
      if (sc) {
        asl_buf_putc(b, '.');
        asl_buf_add(b, digits + nd - sc, (size_t)sc);
      }
    }
    return;
  }
  }
}
