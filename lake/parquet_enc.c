/* parquet_enc.c: the encodings under the Parquet reader and writer
 * (parquet_int.h): the Thrift compact protocol, reader (bounds checked on
 * every byte) and writer; the RLE/bit-packing hybrid; compression codecs. */

#include "parquet_int.h"

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

/* ================================================================ buffers */

/* ================================================== thrift compact reader */

void pq_tr_fail(tr_t *t, const char *why) {
  if (t->failed) return;
  t->failed = 1;
  t->at = t->base_off + (t->p - t->start);
  snprintf(t->why, sizeof t->why, "%s", why);
  t->p = t->end;
}

uint8_t pq_tr_byte(tr_t *t) {
  if (t->p >= t->end) {
    pq_tr_fail(t, "ends in the middle of a value");
    return 0;
  }
  return *t->p++;
}

uint64_t pq_tr_varint(tr_t *t) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b = pq_tr_byte(t);
    if (t->failed) return 0;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  pq_tr_fail(t, "varint longer than 10 bytes");
  return 0;
}

int64_t pq_tr_zz(tr_t *t) {
  uint64_t v = pq_tr_varint(t);
  return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int32_t pq_tr_i32(tr_t *t) {
  int64_t v = pq_tr_zz(t);
  if (v < INT32_MIN || v > INT32_MAX) {
    pq_tr_fail(t, "i32 out of range");
    return 0;
  }
  return (int32_t)v;
}

void pq_tr_binary(tr_t *t, const uint8_t **p, size_t *n) {
  uint64_t len = pq_tr_varint(t);
  if (len > (uint64_t)(t->end - t->p)) {
    pq_tr_fail(t, "string longer than the bytes left");
    len = 0;
  }
  *p = t->p;
  *n = (size_t)len;
  t->p += len;
}

int pq_tr_field(tr_t *t, int *id, int *type) {
  if (t->failed) return 0;
  uint8_t b = pq_tr_byte(t);
  if (t->failed || b == 0) return 0;
  *type = b & 0x0f;
  int delta = b >> 4;
  if (delta)
    *id += delta;
  else
    *id = (int)pq_tr_zz(t);
  return !t->failed;
}

void pq_tr_list(tr_t *t, int *etype, int64_t *n) {
  uint8_t b = pq_tr_byte(t);
  *etype = b & 0x0f;
  int64_t size = b >> 4;
  if (size == 15) size = (int64_t)pq_tr_varint(t);
  if (size < 0 || size > t->end - t->p) {
    pq_tr_fail(t, "list longer than the bytes left");
    size = 0;
  }
  *n = size;
}

static void tr_skip_struct(tr_t *t) {
  if (++t->depth > 32) {
    pq_tr_fail(t, "structs nested more than 32 deep");
    return;
  }
  int id = 0, ty;
  while (pq_tr_field(t, &id, &ty))
    pq_tr_skip(t, ty);
  t->depth--;
}

void pq_tr_skip(tr_t *t, int type) {
  const uint8_t *p;
  size_t n;
  int64_t cnt;
  int et;
  switch (type) {
  case CT_TRUE:
  case CT_FALSE:
    break;
  case CT_BYTE:
    pq_tr_byte(t);
    break;
  case CT_I16:
  case CT_I32:
  case CT_I64:
    pq_tr_varint(t);
    break;
  case CT_DOUBLE:
    if (t->end - t->p < 8)
      pq_tr_fail(t, "ends in the middle of a double");
    else
      t->p += 8;
    break;
  case CT_BINARY:
    pq_tr_binary(t, &p, &n);
    break;
  case CT_LIST:
  case CT_SET:
    pq_tr_list(t, &et, &cnt);
    if (++t->depth > 32) {
      pq_tr_fail(t, "lists nested more than 32 deep");
      return;
    }
    for (int64_t i = 0; i < cnt && !t->failed; i++)
      pq_tr_skip(t, et == CT_TRUE || et == CT_FALSE ? CT_BYTE : et);
    t->depth--;
    break;
  case CT_MAP: {
    cnt = (int64_t)pq_tr_varint(t);
    if (cnt < 0 || cnt > t->end - t->p) {
      pq_tr_fail(t, "map longer than the bytes left");
      return;
    }
    if (!cnt) break;
    uint8_t kv = pq_tr_byte(t);
    if (++t->depth > 32) {
      pq_tr_fail(t, "maps nested more than 32 deep");
      return;
    }
    for (int64_t i = 0; i < cnt && !t->failed; i++) {
      int k = kv >> 4, v = kv & 15;
      pq_tr_skip(t, k == CT_TRUE || k == CT_FALSE ? CT_BYTE : k);
      pq_tr_skip(t, v == CT_TRUE || v == CT_FALSE ? CT_BYTE : v);
    }
    t->depth--;
    break;
  }
  case CT_STRUCT:
    tr_skip_struct(t);
    break;
  default:
    pq_tr_fail(t, "unknown field type");
  }
}

/* ================================================== thrift compact writer */

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

void pq_tw_i64(tw_t *t, int id, int64_t v) {
  tw_field(t, id, CT_I64);
  buf_varint(t->b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void pq_tw_i32(tw_t *t, int id, int32_t v) {
  tw_field(t, id, CT_I32);
  buf_varint(t->b, ((uint64_t)(int64_t)v << 1) ^ (uint64_t)((int64_t)v >> 63));
}

void pq_tw_bool(tw_t *t, int id, int v) {
  tw_field(t, id, v ? CT_TRUE : CT_FALSE);
}

void pq_tw_bin(tw_t *t, int id, const void *p, size_t n) {
  tw_field(t, id, CT_BINARY);
  buf_varint(t->b, n);
  buf_put(t->b, p, n);
}

void pq_tw_begin(tw_t *t) { t->last[++t->depth] = 0; }

void pq_tw_struct(tw_t *t, int id) {
  tw_field(t, id, CT_STRUCT);
  pq_tw_begin(t);
}

void pq_tw_end(tw_t *t) {
  buf_byte(t->b, 0);
  t->depth--;
}

void pq_tw_list(tw_t *t, int id, int etype, size_t n) {
  tw_field(t, id, CT_LIST);
  if (n < 15) {
    buf_byte(t->b, (uint8_t)(n << 4 | etype));
  } else {
    buf_byte(t->b, (uint8_t)(0xf0 | etype));
    buf_varint(t->b, n);
  }
}

/* ====================================================== RLE / bit-packing */

int pq_bit_width(uint64_t max) {
  int w = 0;
  while (max) {
    w++;
    max >>= 1;
  }
  return w;
}

const char *pq_rle_decode(const uint8_t *p, size_t n, int bw, uint32_t *out,
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

void pq_rle_encode(pq_buf *b, const uint32_t *v, int64_t n, int bw) {
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

const char *pq_codec_name(int c) {
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

uint8_t *pq_decompress(int codec, const uint8_t *src, size_t n, size_t want,
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

int pq_compress_into(int codec, const uint8_t *src, size_t n, pq_buf *out) {
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
