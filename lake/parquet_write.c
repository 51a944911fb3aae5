/* parquet_write.c: the streaming Parquet writer of parquet.h: rows are
 * buffered per column into pages (dictionary or PLAIN), pages into row
 * groups written as they fill, the footer at close. */

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
  pq_tw_i32(&t, 1, type);
  pq_tw_i32(&t, 2, (int32_t)uncomp);
  pq_tw_i32(&t, 3, (int32_t)comp);
  if (type == 0) {
    pq_tw_struct(&t, 5);
    pq_tw_i32(&t, 1, (int32_t)c->page_n);
    pq_tw_i32(&t, 2, enc);
    pq_tw_i32(&t, 3, 3);
    pq_tw_i32(&t, 4, 3);
    pq_tw_end(&t);
  } else if (type == 2) {
    pq_tw_struct(&t, 7);
    pq_tw_i32(&t, 1, (int32_t)c->dict_n);
    pq_tw_i32(&t, 2, 0);
    pq_tw_end(&t);
  } else {
    pq_tw_struct(&t, 8);
    pq_tw_i32(&t, 1, (int32_t)c->page_n);
    pq_tw_i32(&t, 2, (int32_t)nulls);
    pq_tw_i32(&t, 3, (int32_t)c->page_n);
    pq_tw_i32(&t, 4, enc);
    pq_tw_i32(&t, 5, (int32_t)deflen);
    pq_tw_i32(&t, 6, 0);
    pq_tw_bool(&t, 7, v2compressed);
    pq_tw_end(&t);
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
    pq_rle_encode(lv, d, c->page_n, 1);
    free(d);
  }
  int dict = c->dict_on && c->page_nonnull > 0;
  int enc = dict ? 8 : 0;
  pq_buf vals = {0};
  if (dict) {
    int bw = pq_bit_width((uint64_t)(c->dict_n > 1 ? c->dict_n - 1 : 1));
    buf_byte(&vals, (uint8_t)bw);
    pq_rle_encode(&vals, c->idx, c->page_nonnull, bw);
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
    rc = pq_compress_into(codec, body->p, body->n, &comp);
    if (!rc) {
      size_t h0 = c->chunk.n;
      page_header(&c->chunk, 0, (int64_t)body->n, (int64_t)comp.n, c, enc,
                  nulls, 0, 0);
      c->chunk_uncomp += (int64_t)(c->chunk.n - h0 + body->n);
      buf_put(&c->chunk, comp.p, comp.n);
    }
  } else {
    rc = pq_compress_into(codec, vals.p, vals.n, &comp);
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
      if (pq_compress_into((int)w->o.codec, c->dict.p, c->dict.n, &comp) < 0) {
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
    int64_t lim = pq_pow10i(c->precision);
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
  pq_tw_begin(t);
  pq_tw_i32(t, 1, (int32_t)c->physical);
  if (c->physical == ASL_PQ_FIXED_LEN_BYTE_ARRAY)
    pq_tw_i32(t, 2, c->type_length);
  pq_tw_i32(t, 3, c->nullable ? 1 : 0);
  pq_tw_bin(t, 4, c->name, strlen(c->name));
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
  if (conv >= 0) pq_tw_i32(t, 6, conv);
  if (c->logical == ASL_PQ_L_DECIMAL) {
    pq_tw_i32(t, 7, c->scale);
    pq_tw_i32(t, 8, c->precision);
  }
  if (conv >= 0) {
    pq_tw_struct(t, 10); /* LogicalType union */
    switch (c->logical) {
    case ASL_PQ_L_STRING:
      pq_tw_struct(t, 1);
      pq_tw_end(t);
      break;
    case ASL_PQ_L_DECIMAL:
      pq_tw_struct(t, 5);
      pq_tw_i32(t, 1, c->scale);
      pq_tw_i32(t, 2, c->precision);
      pq_tw_end(t);
      break;
    case ASL_PQ_L_DATE:
      pq_tw_struct(t, 6);
      pq_tw_end(t);
      break;
    default: /* TIMESTAMP */
      pq_tw_struct(t, 8);
      pq_tw_bool(t, 1, 1);
      pq_tw_struct(t, 2);
      pq_tw_struct(t, c->logical == ASL_PQ_L_TIMESTAMP_MS ? 1 : 2);
      pq_tw_end(t);
      pq_tw_end(t);
      pq_tw_end(t);
    }
    pq_tw_end(t);
  }
  pq_tw_end(t);
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
  pq_tw_i32(&t, 1, 1);
  pq_tw_list(&t, 2, CT_STRUCT, w->ncols + 1);
  pq_tw_begin(&t);
  pq_tw_bin(&t, 4, "schema", 6);
  pq_tw_i32(&t, 5, (int32_t)w->ncols);
  pq_tw_end(&t);
  for (size_t k = 0; k < w->ncols; k++)
    write_schema_elem(&t, &w->c[k].col);
  pq_tw_i64(&t, 3, w->rows);
  pq_tw_list(&t, 4, CT_STRUCT, (size_t)w->nrg);
  for (int g = 0; g < w->nrg; g++) {
    pq_wrg *rg = &w->rgs[g];
    pq_tw_begin(&t);
    pq_tw_list(&t, 1, CT_STRUCT, w->ncols);
    for (size_t k = 0; k < w->ncols; k++) {
      pq_wchunk *ch = &rg->ch[k];
      const asl_pq_column *c = &w->c[k].col;
      pq_tw_begin(&t);
      pq_tw_i64(&t, 2, ch->off);
      pq_tw_struct(&t, 3);
      pq_tw_i32(&t, 1, (int32_t)c->physical);
      int encs[3], ne = 0;
      encs[ne++] = 3; /* RLE: definition levels */
      if (ch->used_plain || ch->has_dict) encs[ne++] = 0;
      if (ch->used_dict) encs[ne++] = 8;
      pq_tw_list(&t, 2, CT_I32, (size_t)ne);
      for (int j = 0; j < ne; j++)
        buf_varint(&fb, (uint64_t)encs[j] << 1);
      pq_tw_list(&t, 3, CT_BINARY, 1);
      buf_varint(&fb, strlen(c->name));
      buf_put(&fb, c->name, strlen(c->name));
      pq_tw_i32(&t, 4, (int32_t)w->o.codec);
      pq_tw_i64(&t, 5, ch->num_values);
      pq_tw_i64(&t, 6, ch->uncomp);
      pq_tw_i64(&t, 7, ch->comp);
      pq_tw_i64(&t, 9, ch->data_off);
      if (ch->has_dict) pq_tw_i64(&t, 11, ch->dict_off);
      pq_tw_struct(&t, 12);
      pq_tw_i64(&t, 3, ch->nulls);
      if (ch->has_stats) {
        pq_tw_bin(&t, 5, ch->mx.p, ch->mx.n);
        pq_tw_bin(&t, 6, ch->mn.p, ch->mn.n);
      }
      pq_tw_end(&t);
      pq_tw_end(&t); /* ColumnMetaData */
      pq_tw_end(&t); /* ColumnChunk */
    }
    pq_tw_i64(&t, 2, rg->bytes);
    pq_tw_i64(&t, 3, rg->rows);
    pq_tw_i64(&t, 5, rg->off);
    pq_tw_i64(&t, 6, rg->comp);
    pq_tw_end(&t);
  }
  pq_tw_bin(&t, 6, w->created_by, strlen(w->created_by));
  pq_tw_list(&t, 7, CT_STRUCT, w->ncols); /* ColumnOrder: TYPE_ORDER */
  for (size_t k = 0; k < w->ncols; k++) {
    pq_tw_begin(&t);
    pq_tw_struct(&t, 1);
    pq_tw_end(&t);
    pq_tw_end(&t);
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
