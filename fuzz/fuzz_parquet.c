/* fuzz_parquet.c: libFuzzer target for the Parquet reader (lake/parquet.c).
 * Each input is a file (in a memfd): it is opened, its schema and
 * statistics are read, every row is read and printed as JSON and CSV text.
 * Any bytes must give rows or a Parquet.Error, never a crash, a leak or an
 * unbounded allocation. Seeds: fuzz/seeds/fuzz_parquet (small files from
 * the fixtures and from the writer). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../lake/parquet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = memfd_create("fuzz_parquet", 0);
  if (fd < 0) return 0;
  if (size && write(fd, data, size) != (ssize_t)size) {
    close(fd);
    return 0;
  }
  asl_error e = {0};
  asl_pq_reader *r = asl_pq_open_fd(fd, &e);
  if (r) {
    size_t n = asl_pq_ncolumns(r);
    for (int g = 0; g < asl_pq_nrow_groups(r); g++)
      for (size_t c = 0; c < n; c++) {
        asl_pq_value mn, mx;
        int64_t nulls;
        asl_pq_stats(r, g, (int)c, &mn, &mx, &nulls);
        asl_buf b = {0};
        asl_pq_value_text(&b, &mn, 1);
        asl_pq_value_text(&b, &mx, 0);
        asl_buf_free(&b);
      }
    const asl_pq_value *row;
    asl_buf b = {0};
    int64_t rows = 0;
    while (asl_pq_next(r, &row, &e) == 1 && rows++ < 100000) {
      for (size_t c = 0; c < n; c++) {
        asl_pq_value_text(&b, &row[c], 1);
        asl_pq_value_text(&b, &row[c], 0);
      }
      b.len = 0;
    }
    asl_buf_free(&b);
    asl_pq_close(r);
  }
  asl_error_clear(&e);
  close(fd);
  return 0;
}
