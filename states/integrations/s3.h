/* s3.h: the S3 Task integration (s3.c): AWS SDK service integration
 * resources arn:aws:states:::aws-sdk:s3:OPERATION served by the local lake
 * (lake/lake.h) at $ASL_HOME/lake. */
#ifndef ASL_S3_H
#define ASL_S3_H

#include "../../engine/task.h"

/* putObject, getObject, listObjectsV2, deleteObject, copyObject. */
extern const asl_task_ops asl_s3_ops;

#endif
