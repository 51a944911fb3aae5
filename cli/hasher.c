/* hasher.c: States.Hash's digests through OpenSSL EVP. */
#include "hasher.h"
#include "../engine/jsonata/jsonata.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "../engine/intrinsic.h"

/* AWS's algorithm names and the libcrypto digest each one means. The
 * digests are fetched once, on first use: EVP_Digest with EVP_sha256() and
 * the like fetches the implementation from the provider on every call,
 * which costs more than hashing a short string. */
static const struct {
  const char *aws, *ossl;
} NAMES[] = {{"MD5", "MD5"},
             {"SHA-1", "SHA1"},
             {"SHA-256", "SHA2-256"},
             {"SHA-384", "SHA2-384"},
             {"SHA-512", "SHA2-512"}};
static EVP_MD *g_md[sizeof NAMES / sizeof *NAMES];
static pthread_once_t g_fetched = PTHREAD_ONCE_INIT;
/* One digest context a thread, reused: EVP_Digest allocates and frees a
 * context (and the provider's state) on every call. */
static pthread_key_t g_ctx_key;

static void ctx_free(void *ctx) { EVP_MD_CTX_free(ctx); }

static void fetch_all(void) {
  for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++)
    g_md[i] = EVP_MD_fetch(NULL, NAMES[i].ossl, NULL);
  pthread_key_create(&g_ctx_key, ctx_free);
}

static EVP_MD_CTX *thread_ctx(void) {
  EVP_MD_CTX *ctx = pthread_getspecific(g_ctx_key);
  if (!ctx && (ctx = EVP_MD_CTX_new()) != NULL &&
      pthread_setspecific(g_ctx_key, ctx) != 0) {
    EVP_MD_CTX_free(ctx);
    ctx = NULL;
  }
  return ctx;
}

static const EVP_MD *digest_for(const char *algorithm) {
  pthread_once(&g_fetched, fetch_all);
  for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++)
    if (strcmp(algorithm, NAMES[i].aws) == 0) return g_md[i];
  return NULL;
}

/* The asl_hasher contract: lowercase hex into hex (>= 129 bytes), 0; or -1
 * for an unknown algorithm (or a libcrypto failure). */
static int evp_hash(const char *algorithm, const void *data, size_t len,
                    char *hex) {
  const EVP_MD *md = digest_for(algorithm);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_MD_CTX *ctx = md ? thread_ctx() : NULL;
  if (!ctx || EVP_DigestInit_ex(ctx, md, NULL) != 1 ||
      EVP_DigestUpdate(ctx, data, len) != 1 ||
      EVP_DigestFinal_ex(ctx, out, &n) != 1 || n > 64)
    return -1;
  for (unsigned int i = 0; i < n; i++) {
    hex[2 * i] = "0123456789abcdef"[out[i] >> 4];
    hex[2 * i + 1] = "0123456789abcdef"[out[i] & 15];
  }
  hex[2 * n] = 0;
  return 0;
}

void asl_cli_hasher_install(void) {
  asl_intrinsic_set_hasher(evp_hash);
  jsonata_set_hasher(evp_hash); /* $hash in JSONata */
}
