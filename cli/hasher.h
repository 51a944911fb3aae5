/* hasher.h: the digest behind States.Hash, from OpenSSL's libcrypto.
 * The engine stays free of OpenSSL; the command line installs this. */
#ifndef ASL_CLI_HASHER_H
#define ASL_CLI_HASHER_H

/* Registers the libcrypto digest with asl_intrinsic_set_hasher() and
 * jsonata_set_hasher() (States.Hash and $hash). Call once
 * before running executions; safe to call again. */
void asl_cli_hasher_install(void);

#endif
