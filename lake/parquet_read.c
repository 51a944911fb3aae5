/* parquet_read.c: the Parquet reader of parquet.h: the footer and schema,
 * page decoding (PLAIN, dictionaries, RLE, DELTA_*), row iteration with
 * projection, column chunk statistics. */

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
  return pq_codec_name(r->rgs[rg].chunks[col].codec);
}

int64_t pq_pow10i(int k) {
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
  uint64_t block = pq_tr_varint(&t), minis = pq_tr_varint(&t),
           total = pq_tr_varint(&t);
  int64_t first = pq_tr_zz(&t);
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
    uint64_t mind = (uint64_t)pq_tr_zz(&t);
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
  while (pq_tr_field(t, &id, &ty)) {
    if (id == 1 && ty == CT_I32)
      h->type = pq_tr_i32(t);
    else if (id == 2 && ty == CT_I32)
      h->uncomp = pq_tr_i32(t);
    else if (id == 3 && ty == CT_I32)
      h->comp = pq_tr_i32(t);
    else if ((id == 5 || id == 7 || id == 8) && ty == CT_STRUCT) {
      int sid = 0, sty;
      if (id == 5) h->has_dp = 1;
      if (id == 7) h->has_dict = 1;
      if (id == 8) h->has_v2 = 1;
      t->depth++;
      while (pq_tr_field(t, &sid, &sty)) {
        if (sty == CT_I32 && id == 5 && sid <= 3) {
          int v = pq_tr_i32(t);
          if (sid == 1)
            h->dp_num = v;
          else if (sid == 2)
            h->dp_enc = v;
          else
            h->dp_def_enc = v;
        } else if (sty == CT_I32 && id == 7 && sid <= 2) {
          int v = pq_tr_i32(t);
          if (sid == 1)
            h->dict_num = v;
          else
            h->dict_enc = v;
        } else if (sty == CT_I32 && id == 8 && sid <= 6) {
          int v = pq_tr_i32(t);
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
          pq_tr_skip(t, sty);
        }
      }
      t->depth--;
    } else {
      pq_tr_skip(t, ty);
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
    why = pq_rle_decode(p + 1, n - 1, p[0], idx, count);
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
    why = pq_rle_decode(p + 4, rd_u32le(p), 1, bits, count);
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
      cu->dict_buf =
          pq_decompress(ch->codec, body, comp, (size_t)h.uncomp, &why);
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
    int bw = pq_bit_width((uint64_t)maxd);
    if (!v2) {
      cu->page_buf =
          pq_decompress(ch->codec, body, comp, (size_t)h.uncomp, &why);
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
        cu->page_buf2 = pq_decompress(ch->codec, vb, vcomp, vun, &why);
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
      why = pq_rle_decode(lv, lv_n, bw, lvl, num);
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
  while (pq_tr_field(t, &id, &ty)) {
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
      pq_tr_binary(t, &dst->p, &dst->n);
      dst->set = 1;
    } else if (id == 3 && ty == CT_I64) {
      ch->null_count = pq_tr_zz(t);
    } else {
      pq_tr_skip(t, ty);
    }
  }
  t->depth--;
}

static void parse_col_meta(tr_t *t, pq_chunk *ch) {
  int id = 0, ty;
  t->depth++;
  while (pq_tr_field(t, &id, &ty)) {
    if (id == 1 && ty == CT_I32)
      ch->type = pq_tr_i32(t);
    else if (id == 4 && ty == CT_I32)
      ch->codec = pq_tr_i32(t);
    else if (id == 5 && ty == CT_I64)
      ch->num_values = pq_tr_zz(t);
    else if (id == 6 && ty == CT_I64)
      ch->total_uncompressed = pq_tr_zz(t);
    else if (id == 7 && ty == CT_I64)
      ch->total_compressed = pq_tr_zz(t);
    else if (id == 9 && ty == CT_I64)
      ch->data_off = pq_tr_zz(t);
    else if (id == 11 && ty == CT_I64) {
      ch->dict_off = pq_tr_zz(t);
      ch->has_dict_off = 1;
    } else if (id == 12 && ty == CT_STRUCT)
      parse_stats(t, ch);
    else
      pq_tr_skip(t, ty);
  }
  t->depth--;
}

static void parse_row_group(tr_t *t, pq_rg *g, size_t ncols, int64_t *nchunks) {
  int id = 0, ty;
  t->depth++;
  while (pq_tr_field(t, &id, &ty)) {
    if (id == 1 && ty == CT_LIST) {
      int et;
      int64_t n;
      pq_tr_list(t, &et, &n);
      *nchunks = n;
      if (et != CT_STRUCT || (size_t)n != ncols) {
        pq_tr_fail(t, "row group's column count differs from the schema's");
        return;
      }
      for (int64_t k = 0; k < n && !t->failed; k++) {
        int cid = 0, cty;
        pq_chunk *ch = &g->chunks[k];
        ch->null_count = -1;
        ch->data_off = -1;
        int has_meta = 0;
        t->depth++;
        while (pq_tr_field(t, &cid, &cty)) {
          if (cid == 1 && cty == CT_BINARY) {
            pq_tr_fail(
                t, "column chunk in another file (file_path) not supported");
          } else if (cid == 3 && cty == CT_STRUCT) {
            parse_col_meta(t, ch);
            has_meta = 1;
          } else {
            pq_tr_skip(t, cty);
          }
        }
        t->depth--;
        if (!has_meta) pq_tr_fail(t, "column chunk without meta_data");
      }
    } else if (id == 3 && ty == CT_I64) {
      g->num_rows = pq_tr_zz(t);
    } else {
      pq_tr_skip(t, ty);
    }
  }
  t->depth--;
}

static void parse_logical(tr_t *t, pq_elem *el) {
  int id = 0, ty;
  t->depth++;
  while (pq_tr_field(t, &id, &ty)) {
    if (ty != CT_STRUCT) {
      pq_tr_skip(t, ty);
      continue;
    }
    el->lt = id;
    int sid = 0, sty;
    t->depth++;
    while (pq_tr_field(t, &sid, &sty)) {
      if (id == 5 && sty == CT_I32 && sid == 1)
        el->lt_scale = pq_tr_i32(t);
      else if (id == 5 && sty == CT_I32 && sid == 2)
        el->lt_precision = pq_tr_i32(t);
      else if (id == 8 && sid == 2 && sty == CT_STRUCT) {
        int uid = 0, uty;
        t->depth++;
        while (pq_tr_field(t, &uid, &uty)) {
          el->lt_unit = uid;
          pq_tr_skip(t, uty);
        }
        t->depth--;
      } else if (id == 10 && sid == 1 && sty == CT_BYTE) {
        el->lt_unit = (int8_t)pq_tr_byte(t);
      } else {
        pq_tr_skip(t, sty);
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
  while (pq_tr_field(t, &id, &ty)) {
    if (ty == CT_I32 && id >= 1 && id <= 8 && id != 4) {
      int v = pq_tr_i32(t);
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
      pq_tr_binary(t, &el->name, &el->name_n);
    } else if (id == 10 && ty == CT_STRUCT) {
      parse_logical(t, el);
    } else {
      pq_tr_skip(t, ty);
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
  while (pq_tr_field(&t, &id, &ty)) {
    if (id == 2 && ty == CT_LIST) {
      int et;
      pq_tr_list(&t, &et, &nel);
      if (et != CT_STRUCT) pq_tr_fail(&t, "schema is not a list of structs");
      if (nel > 100000) pq_tr_fail(&t, "schema with more than 100000 elements");
      free(els);
      els = asl_calloc((size_t)(nel ? nel : 1), sizeof *els);
      for (int64_t k = 0; k < nel && !t.failed; k++)
        parse_schema_elem(&t, &els[k]);
    } else if (id == 3 && ty == CT_I64) {
      r->nrows = pq_tr_zz(&t);
      have_rows = 1;
    } else if (id == 4 && ty == CT_LIST) {
      int et;
      rgp = t.p;
      pq_tr_list(&t, &et, &nrg);
      if (et != CT_STRUCT)
        pq_tr_fail(&t, "row_groups is not a list of structs");
      for (int64_t k = 0; k < nrg && !t.failed; k++)
        pq_tr_skip(&t, CT_STRUCT);
    } else if (id == 6 && ty == CT_BINARY) {
      const uint8_t *p;
      size_t n;
      pq_tr_binary(&t, &p, &n);
      free(r->created_by);
      r->created_by = asl_strndup((const char *)p, n);
    } else {
      pq_tr_skip(&t, ty);
    }
  }
  if (!t.failed && (!els || nel < 1 || !rgp || !have_rows))
    pq_tr_fail(&t, "FileMetaData misses its schema, num_rows or row_groups");
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
    pq_tr_list(&t2, &et, &nrg);
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
