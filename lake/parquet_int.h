/* parquet_int.h: what the files of the Parquet codec (lake/parquet*.c)
 * share: byte buffers, the Thrift compact protocol, the RLE/bit-packing
 * hybrid and compression (parquet_enc.c). Not for other files: they use
 * lake/parquet.h. */
#ifndef ASL_PARQUET_INT_H
#define ASL_PARQUET_INT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parquet.h"

#define PQ_ERR "Parquet.Error"
/* Limits that keep a lying file from making the reader allocate without
 * bound: values per page, bytes of one decompressed page, footer bytes. */
#define PQ_MAX_PAGE_VALUES (1 << 22)
#define PQ_MAX_PAGE_BYTES ((int64_t)1 << 30)
#define PQ_MAX_FOOTER ((int64_t)1 << 28)

/* ---- byte buffers (inline: the writer's hot path) ---- */
typedef struct {
  uint8_t *p;
  size_t n, cap;
} pq_buf;

static inline void buf_reserve(pq_buf *b, size_t more) {
  if (b->n + more <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->n + more)
    cap *= 2;
  b->p = asl_realloc(b->p, cap);
  b->cap = cap;
}

static inline void buf_put(pq_buf *b, const void *p, size_t n) {
  if (!n) return;
  buf_reserve(b, n);
  memcpy(b->p + b->n, p, n);
  b->n += n;
}

static inline void buf_byte(pq_buf *b, uint8_t v) { buf_put(b, &v, 1); }

static inline void buf_u32le(pq_buf *b, uint32_t v) {
  uint8_t x[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};
  buf_put(b, x, 4);
}

static inline void buf_u64le(pq_buf *b, uint64_t v) {
  uint8_t x[8];
  for (int i = 0; i < 8; i++)
    x[i] = (uint8_t)(v >> (8 * i));
  buf_put(b, x, 8);
}

static inline void buf_varint(pq_buf *b, uint64_t v) {
  while (v >= 0x80) {
    buf_byte(b, (uint8_t)(v | 0x80));
    v >>= 7;
  }
  buf_byte(b, (uint8_t)v);
}

static inline void buf_free(pq_buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

static inline uint32_t rd_u32le(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
         (uint32_t)p[3] << 24;
}

static inline uint64_t rd_u64le(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

/* ---- Thrift compact reader (parquet_enc.c) ---- */
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

/* Records the first failure (why, at the current offset); later reads
 * return zero. */
void pq_tr_fail(tr_t *t, const char *why);
/* One byte; a ULEB128 varint; a zigzag varint; an i32 (zigzag, range
 * checked); a length-prefixed binary (*p into the input, bounds checked). */
uint8_t pq_tr_byte(tr_t *t);
uint64_t pq_tr_varint(tr_t *t);
int64_t pq_tr_zz(tr_t *t);
int32_t pq_tr_i32(tr_t *t);
void pq_tr_binary(tr_t *t, const uint8_t **p, size_t *n);
/* Next field header of a struct: 1 with *id and *type, 0 at STOP. */
int pq_tr_field(tr_t *t, int *id, int *type);
/* A list header: element type and count (count checked against the
 * bytes left). */
void pq_tr_list(tr_t *t, int *etype, int64_t *n);
/* Skips a value of compact type type (nesting bounded). */
void pq_tr_skip(tr_t *t, int type);

/* ---- Thrift compact writer (parquet_enc.c) ---- */
typedef struct {
  pq_buf *b;
  int last[16];
  int depth;
} tw_t;

/* Field id of the current struct with its value; structs and lists nest
 * with pq_tw_struct / pq_tw_begin .. pq_tw_end (pq_tw_end writes STOP). */
void pq_tw_i64(tw_t *t, int id, int64_t v);
void pq_tw_i32(tw_t *t, int id, int32_t v);
void pq_tw_bool(tw_t *t, int id, int v);
void pq_tw_bin(tw_t *t, int id, const void *p, size_t n);
void pq_tw_begin(tw_t *t);
void pq_tw_struct(tw_t *t, int id);
void pq_tw_end(tw_t *t);
void pq_tw_list(tw_t *t, int id, int etype, size_t n);

/* ---- RLE / bit-packing, codecs (parquet_enc.c) ---- */
/* Bits needed to hold max (0 for 0). */
int pq_bit_width(uint64_t max);
/* Decodes count values of the hybrid encoding from [p, p+n) into out. NULL
 * on success, else a static reason. */
const char *pq_rle_decode(const uint8_t *p, size_t n, int bw, uint32_t *out,
                          int64_t count);
/* Appends the hybrid encoding of v[0..n) with bit width bw: runs of 8 or
 * more equal values as RLE runs, the rest bit-packed in groups of 8. */
void pq_rle_encode(pq_buf *b, const uint32_t *v, int64_t n, int bw);
/* Parquet's name of CompressionCodec c ("SNAPPY"), "UNKNOWN" if none. */
const char *pq_codec_name(int c);
/* Decompresses src into a new buffer of exactly want bytes. NULL + reason. */
uint8_t *pq_decompress(int codec, const uint8_t *src, size_t n, size_t want,
                       const char **why);
/* Compresses src into out (appended). */
int pq_compress_into(int codec, const uint8_t *src, size_t n, pq_buf *out);

/* ---- parquet_read.c ---- */
/* 10^k for k >= 0 (k <= 18 fits). */
int64_t pq_pow10i(int k);

#endif
