/* jsonata_cmd.h: `asl jsonata EXPR [--input FILE|-] [--bindings JSON]`,
 * one JSONata expression evaluated from the shell, for users debugging
 * their expressions. Prints the result as JSON (JavaScript's number
 * format) and returns 0; prints nothing and returns 0 when the result is
 * undefined (no --input means no input at all, not null); on an error
 * prints "CODE: message" on stderr and returns 1. 64 bad usage, 65 the
 * input or bindings are not JSON, 66 no such input file. */
#ifndef ASL_JSONATA_CMD_H
#define ASL_JSONATA_CMD_H

int asl_cmd_jsonata(int argc, char **argv);

#endif
