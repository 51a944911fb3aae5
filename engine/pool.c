/* pool.c: a small-block allocator for cJSON's many short-lived nodes and
 * strings. Blocks up to POOL_MAX bytes come from per-thread free lists by
 * size class (16-byte steps), so freeing and reallocating the nodes of a
 * payload on every transition costs a list push and pop. Larger blocks go
 * to malloc. Every block has an 8-byte header naming its class.
 *
 * Only the thread that installed the pool (the scheduler's) uses the
 * lists; other threads (task workers, which come and go) allocate with
 * malloc, and a small block they free is handed back through a locked
 * list the pool thread drains.
 *
 * Memory in the lists is kept for reuse, never returned: the high-water
 * mark of small blocks stays allocated. Installed by the composition root
 * (cli/) with asl_pool_install(); sanitizer builds leave cJSON on malloc,
 * so ASan still sees every node. */
#include "pool.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "json.h"

#define POOL_STEP 16
#define POOL_CLASSES 16 /* up to 256 bytes */
#define POOL_MAX (POOL_STEP * POOL_CLASSES)
#define POOL_CHUNK 65536 /* carved into blocks of one class at a time */
#define BIG 0xFF

/* 8 bytes: cJSON's nodes and strings need pointer alignment, no more. */
typedef union header {
  struct {
    unsigned char cls;
  } h;
  void *align;
} header;

typedef struct block {
  struct block *next;
} block;

static _Thread_local block *free_list[POOL_CLASSES];
static _Thread_local int pool_thread;
static pthread_mutex_t orphan_mu = PTHREAD_MUTEX_INITIALIZER;
static block *orphans[POOL_CLASSES]; /* guarded by orphan_mu */

static void refill(int c) {
  pthread_mutex_lock(&orphan_mu);
  free_list[c] = orphans[c];
  orphans[c] = NULL;
  pthread_mutex_unlock(&orphan_mu);
  if (free_list[c]) return;
  size_t size = sizeof(header) + (size_t)(c + 1) * POOL_STEP;
  size_t n = POOL_CHUNK / size;
  char *chunk = malloc(n * size);
  if (!chunk) return;
  for (size_t i = 0; i < n; i++) {
    header *h = (header *)(chunk + i * size);
    h->h.cls = (unsigned char)c;
    block *b = (block *)(h + 1);
    b->next = free_list[c];
    free_list[c] = b;
  }
}

void *asl_pool_malloc(size_t n) {
  if (n == 0) n = 1;
  if (n > POOL_MAX || !pool_thread) {
    header *h = malloc(sizeof(header) + n);
    if (!h) return NULL;
    h->h.cls = BIG;
    return h + 1;
  }
  int c = (int)((n - 1) / POOL_STEP);
  if (!free_list[c]) refill(c);
  block *b = free_list[c];
  if (!b) return NULL;
  free_list[c] = b->next;
  return b;
}

void asl_pool_free(void *p) {
  if (!p) return;
  header *h = (header *)p - 1;
  if (h->h.cls == BIG) {
    free(h);
    return;
  }
  block *b = p;
  if (!pool_thread) {
    pthread_mutex_lock(&orphan_mu);
    b->next = orphans[h->h.cls];
    orphans[h->h.cls] = b;
    pthread_mutex_unlock(&orphan_mu);
    return;
  }
  b->next = free_list[h->h.cls];
  free_list[h->h.cls] = b;
}

void asl_pool_install(void) {
#if defined(__SANITIZE_ADDRESS__)
  return; /* ASan must see every allocation */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return;
#endif
#endif
  pool_thread = 1;
  cJSON_Hooks hooks = {asl_pool_malloc, asl_pool_free};
  cJSON_InitHooks(&hooks);
  asl_json_malloc_hooks = 1;
}
