/* limits.h: every limit that mirrors AWS Step Functions, in one place.
 * Tests may shrink these at compile time to make rare paths common. */
#ifndef ASL_LIMITS_H
#define ASL_LIMITS_H

/* Payload size (input, output, result) in bytes: States.DataLimitExceeded. */
#ifndef ASL_MAX_PAYLOAD
#define ASL_MAX_PAYLOAD (256 * 1024)
#endif

/* History events of a STANDARD execution. */
#define ASL_MAX_HISTORY_EVENTS 25000

/* State, execution and state machine names. */
#define ASL_MAX_NAME 80

/* Intrinsic functions nested inside one another. */
#define ASL_MAX_INTRINSIC_NESTING 10

/* Inline Map concurrency that AWS really runs at once. */
#define ASL_MAX_INLINE_MAP_CONCURRENCY 40

/* Scheduler steps between two ticks (a store's transaction and checkpoint)
 * when the execution never waits. */
#define ASL_TICK_STEPS 256

/* Nesting of JSON documents we accept (cJSON's own limit). */
#define ASL_JSON_MAX_DEPTH 1000

/* Definition document size (AWS: 1 MiB). */
#define ASL_MAX_DEFINITION (1024 * 1024)

/* States.ArrayRange result size. */
#define ASL_MAX_ARRAY_RANGE 1000

/* How often (seconds) a waiting execution looks for a stop request. */
#define ASL_STOP_POLL_S 0.05

/* Length of an error name or cause AWS keeps (cause: 32768 chars). */
#define ASL_MAX_CAUSE 32768

#endif
