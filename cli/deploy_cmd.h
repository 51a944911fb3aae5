/* deploy_cmd.h: `asl deploy` (the definition to AWS Step Functions, or to
 * any endpoint speaking its API) and `asl export cloudformation` (a
 * template with the state machine and a least-privilege role).
 *
 * Exit codes: 0 deployed (created, updated or unchanged) or exported,
 * 1 the service refused (its error code and message are printed),
 * 64 usage, 65 invalid definition, bindings or substitution, 66 no such
 * file, 69 no answer from the endpoint, 77 no credentials or region. */
#ifndef ASL_DEPLOY_CMD_H
#define ASL_DEPLOY_CMD_H

int asl_cmd_deploy(int argc, char **argv);
int asl_cmd_export(int argc, char **argv);

#endif
