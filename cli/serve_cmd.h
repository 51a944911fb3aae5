/* serve_cmd.h: `asl serve`, the AWS Step Functions API over HTTP (web/).
 *
 * asl serve [--host 127.0.0.1] [--port 8083] [--db PATH] [--bindings FILE]
 *           [--grace SECONDS]
 * Serves until SIGINT or SIGTERM, then stops accepting, waits up to
 * --grace seconds (default 10) for running executions and exits 0.
 * Executions still running then stay RUNNING in the store, at their last
 * checkpoint: the next `asl serve` on the store resumes them (and those a
 * crashed server left), or `asl resume` does. Exit codes: 64 usage, 65 bad
 * bindings, 74 the store does not open, 75 the address cannot be listened
 * on. */
#ifndef ASL_SERVE_CMD_H
#define ASL_SERVE_CMD_H

int asl_cmd_serve(int argc, char **argv);

#endif
