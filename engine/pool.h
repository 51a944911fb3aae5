/* pool.h: a small-block allocator for cJSON (see pool.c). Thread-safe:
 * each thread has its own free lists. */
#ifndef ASL_POOL_H
#define ASL_POOL_H

#include <stddef.h>

#include <cjson/cJSON.h>

void *asl_pool_malloc(size_t n);
void asl_pool_free(void *p);
/* Makes cJSON allocate through the pool (not under AddressSanitizer).
 * Call once, before any cJSON value exists. */
void asl_pool_install(void);

#endif
