/* athena.h: the Athena Task integration (athena.c): the optimized
 * integration arn:aws:states:::athena:startQueryExecution[.sync],
 * getQueryExecution, getQueryResults, stopQueryExecution, and the same
 * four operations as AWS SDK integrations (arn:aws:states:::aws-sdk:athena:
 * OPERATION), served by the local SQL engine (lake/sql.h) over the lake.
 *
 * Query executions are kept in $ASL_HOME/athena/queries.db (SQLite), so a
 * later getQueryExecution or getQueryResults finds them from any process;
 * result files go to the lake at OutputLocation + ID.csv (or ID.txt), as
 * Athena writes them to S3. */
#ifndef ASL_ATHENA_H
#define ASL_ATHENA_H

#include "../../engine/task.h"

/* The default result location when neither the request nor a workgroup
 * gives one (Athena then refuses; locally the bucket is made on demand). */
#define ASL_ATHENA_DEFAULT_OUTPUT "s3://aws-athena-query-results-asl/"

extern const asl_task_ops asl_athena_ops;

#endif
