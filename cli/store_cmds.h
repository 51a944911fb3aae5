/* store_cmds.h: the commands over the durable store (asl executions,
 * history, describe, resume) and the recording of `asl run` into it.
 *
 * Each asl_cmd_* takes the arguments after the command's name and returns
 * the process's exit code: 0 done, 1..3 an execution's status (resume),
 * 64 bad usage, 65 a stored definition or checkpoint that does not load,
 * 66 no such execution, 74 the store failed (locked, disk full, read-only,
 * not a database), after printing why on stderr. A write waits up to
 * $ASL_BUSY_TIMEOUT_MS (default 5000) for another process's lock. */
#ifndef ASL_STORE_CMDS_H
#define ASL_STORE_CMDS_H

#include "../engine/asl.h"

/* The store's file: given (--db PATH, ":memory:" included) when not NULL,
 * else $ASL_HOME/asl.db, else ./.asl/asl.db; the folder is created. The
 * result is given or a static buffer. */
const char *asl_store_db_path(const char *given);

/* asl executions [--status S] [--machine NAME] [--db PATH] [--json] */
int asl_cmd_executions(int argc, char **argv);
/* asl history NAME|ARN [--json] [--reverse] [--db PATH] */
int asl_cmd_history(int argc, char **argv);
/* asl describe NAME|ARN [--db PATH] */
int asl_cmd_describe(int argc, char **argv);
/* asl resume [--db PATH] [--no-wait] [--time-scale F]: finishes every
 * RUNNING execution from its last checkpoint (or from its input when none
 * was committed), printing "ARN STATUS" for each. */
int asl_cmd_resume(int argc, char **argv);

/* `asl run` recorded: opens the store at db (a path from
 * asl_store_db_path), puts the machine m with its definition text (the
 * text m was loaded from, substitutions applied), starts the execution
 * (o->name, or a new UUID; o->start_time, or now), runs it with a store
 * sink, and records its outcome. The run options go into the execution's
 * row, so that `asl resume` runs it again with the same bindings, base
 * folder, clock and payload limit. Returns 0 with r filled (as asl_run),
 * or an exit code after printing why: 64 (the name is taken:
 * ExecutionAlreadyExists), 65 (input not JSON or too large), 74 (store).
 * When the store fails in the middle, the execution stays RUNNING at its
 * last committed checkpoint and `asl resume` finishes it. */
int asl_cli_run_recorded(const char *db, const asl_machine *m,
                         const char *definition, const char *input,
                         const asl_run_opts *o, asl_result *r);

#endif
