/* registry.c: the state types the engine knows. Adding a state type is one
 * new file in states/ and one line here. */
#include "../engine/machine.h"

extern const asl_state_ops asl_pass_ops, asl_choice_ops, asl_wait_ops,
    asl_succeed_ops, asl_fail_ops, asl_task_state_ops, asl_parallel_ops,
    asl_map_ops;

const asl_state_ops *const asl_state_types[] = {
    &asl_pass_ops, &asl_choice_ops,   &asl_wait_ops, &asl_succeed_ops,
    &asl_fail_ops, &asl_task_state_ops,     &asl_parallel_ops, &asl_map_ops,
    NULL,
};
