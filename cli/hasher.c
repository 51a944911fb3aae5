/* hasher.c: States.Hash's digests through OpenSSL EVP. */
#include "hasher.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "../engine/intrinsic.h"

/* AWS's algorithm names and the libcrypto digest each one means. */
static const EVP_MD *digest_for(const char *algorithm) {
  if (strcmp(algorithm, "MD5") == 0) return EVP_md5();
  if (strcmp(algorithm, "SHA-1") == 0) return EVP_sha1();
  if (strcmp(algorithm, "SHA-256") == 0) return EVP_sha256();
  if (strcmp(algorithm, "SHA-384") == 0) return EVP_sha384();
  if (strcmp(algorithm, "SHA-512") == 0) return EVP_sha512();
  return NULL;
}

/* The asl_hasher contract: lowercase hex into hex (>= 129 bytes), 0; or -1
 * for an unknown algorithm (or a libcrypto failure). */
static int evp_hash(const char *algorithm, const void *data, size_t len,
                    char *hex) {
  const EVP_MD *md = digest_for(algorithm);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!md || EVP_Digest(data, len, out, &n, md, NULL) != 1 || n > 64)
    return -1;
  for (unsigned int i = 0; i < n; i++) {
    hex[2 * i] = "0123456789abcdef"[out[i] >> 4];
    hex[2 * i + 1] = "0123456789abcdef"[out[i] & 15];
  }
  hex[2 * n] = 0;
  return 0;
}

void asl_cli_hasher_install(void) { asl_intrinsic_set_hasher(evp_hash); }
