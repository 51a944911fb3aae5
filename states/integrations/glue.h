/* glue.h: the Glue Task integration (glue.c): startJobRun[.sync] and
 * getJobRun, jobs bound to built-in conversions under "GlueJobs" in the
 * bindings file. */
#ifndef ASL_GLUE_H
#define ASL_GLUE_H

#include "../../engine/task.h"

extern const asl_task_ops asl_glue_ops;

#endif
