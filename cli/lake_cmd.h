/* lake_cmd.h: `asl lake`, the local data lake ($ASL_HOME/lake) from the
 * shell:
 *   asl lake ls [s3://BUCKET[/PREFIX]]   buckets, or a folder's listing
 *   asl lake cat s3://BUCKET/KEY         the object's bytes on stdout
 *   asl lake put FILE|- s3://BUCKET/KEY  stores a file (or stdin)
 *   asl lake rm s3://BUCKET/KEY          removes an object
 *   asl lake mb s3://BUCKET              creates a bucket
 * Returns the exit code: 0 done, 1 the lake refused (a bad name, the
 * bucket exists), 64 bad usage, 66 no such bucket, key or file, 74 an I/O
 * failure; the reason is on stderr. */
#ifndef ASL_LAKE_CMD_H
#define ASL_LAKE_CMD_H

#include "../engine/core.h"

int asl_cmd_lake(int argc, char **argv);

/* Creates in the lake each bucket the bindings' "Buckets" names that is
 * not there yet (docs/bindings.md), so that a workflow finds what its AWS
 * stack would have created. 0, or -1 with *msg (new string,
 * "/Buckets/N: reason") for a name S3 refuses or an I/O failure. */
int asl_lake_ensure_buckets(const cJSON *bindings, char **msg);

#endif
