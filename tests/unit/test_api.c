/* test_api.c: the Step Functions API (web/api.c) without HTTP: one table
 * of requests run in order against one api over a fresh store, each with
 * the HTTP status and a piece of the body it must answer (AWS's error
 * names, messages and member names). A row marked `retry` is asked again
 * for up to 5 s until it matches (executions run on worker threads). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../engine/core.h"
#include "../../web/api.h"
#include "t.h"

#define SM "arn:aws:states:us-east-1:123456789012:stateMachine:"
#define EX "arn:aws:states:us-east-1:123456789012:execution:"
#define PASS_DEF                                                               \
  "\"{\\\"StartAt\\\":\\\"P\\\",\\\"States\\\":{\\\"P\\\":{\\\"Type\\\":"      \
  "\\\"Pass\\\",\\\"Result\\\":1,\\\"End\\\":true}}}\""
#define WAIT_DEF                                                               \
  "\"{\\\"StartAt\\\":\\\"W\\\",\\\"States\\\":{\\\"W\\\":{\\\"Type\\\":"      \
  "\\\"Wait\\\",\\\"Seconds\\\":60,\\\"End\\\":true}}}\""
#define ROLE "\"arn:aws:iam::123456789012:role/r\""

static const struct row {
  const char *op; /* NULL: no X-Amz-Target */
  const char *body;
  int status;
  const char *want; /* a piece of the body */
  int retry;
} rows[] = {
    {"ListStateMachines", "{}", 200, "{\"stateMachines\":[]}", 0},
    {"ListStateMachines", "", 200, "{\"stateMachines\":[]}", 0},
    {"NoSuchOperation", "{}", 400,
     "\"com.amazon.coral.service#UnknownOperationException\"", 0},
    {NULL, "{}", 400, "#UnknownOperationException\"", 0},
    {"ListStateMachines", "[1]", 400, "#SerializationException\"", 0},
    {"ListStateMachines", "{", 400, "#SerializationException\"", 0},
    {"TestState", "{}", 400, "#UnsupportedOperation\"", 0},
    {"SendTaskSuccess", "{}", 400, "#ValidationException\"", 0},
    {"SendTaskSuccess", "{\"taskToken\":\"AQx\",\"output\":\"{}\"}", 400,
     "#TaskDoesNotExist\"", 0},
    /* CreateStateMachine and its errors */
    {"CreateStateMachine", "{\"name\":\"a\",\"roleArn\":" ROLE "}", 400,
     "\"com.amazon.coral.validate#ValidationException\",\"message\":\"1 "
     "validation error detected: Value null at 'definition' failed to "
     "satisfy constraint: Member must not be null\"",
     0},
    {"CreateStateMachine",
     "{\"name\":\"a\",\"definition\":7,\"roleArn\":" ROLE "}", 400,
     "#SerializationException\"", 0},
    {"CreateStateMachine",
     "{\"name\":\"a\",\"definition\":" PASS_DEF ",\"roleArn\":" ROLE
     ",\"type\":\"SLOW\"}",
     400, "Member must satisfy enum value set: [STANDARD, EXPRESS]", 0},
    {"CreateStateMachine",
     "{\"name\":\"a b\",\"definition\":" PASS_DEF ",\"roleArn\":" ROLE "}", 400,
     "#InvalidName\",\"message\":\"Invalid Name: 'a b'\"", 0},
    {"CreateStateMachine",
     "{\"name\":\"bad\",\"definition\":\"{\\\"StartAt\\\":\\\"S\\\"}\","
     "\"roleArn\":" ROLE "}",
     400,
     "\"com.amazonaws.swf.service.v2.model#InvalidDefinition\",\"message\":"
     "\"Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These "
     "fields are required: [States] at /'\"",
     0},
    {"CreateStateMachine",
     "{\"name\":\"logs\",\"definition\":" PASS_DEF ",\"roleArn\":" ROLE
     ",\"loggingConfiguration\":{\"level\":\"ALL\",\"destinations\":[{},{}]}}",
     400,
     "#InvalidLoggingConfiguration\",\"message\":\"Invalid Logging "
     "Configuration: Must specify exactly one Log Destination.\"",
     0},
    {"CreateStateMachine",
     "{\"name\":\"v\",\"definition\":" PASS_DEF ",\"roleArn\":" ROLE
     ",\"versionDescription\":\"one\"}",
     400, "\"Version description can only be set when publish is true\"", 0},
    {"CreateStateMachine",
     "{\"name\":\"a\",\"definition\":" PASS_DEF ",\"roleArn\":" ROLE
     ",\"tags\":[{\"key\":\"k\",\"value\":\"v\"}]}",
     200, "{\"stateMachineArn\":\"" SM "a\",\"creationDate\":", 0},
    {"CreateStateMachine",
     "{\"name\":\"a\",\"definition\":" PASS_DEF ",\"roleArn\":" ROLE "}", 200,
     "{\"stateMachineArn\":\"" SM "a\"", 0},
    {"CreateStateMachine",
     "{\"name\":\"a\",\"definition\":" WAIT_DEF ",\"roleArn\":" ROLE "}", 400,
     "#StateMachineAlreadyExists\",\"message\":\"State Machine Already "
     "Exists: '" SM "a'\"",
     0},
    {"CreateStateMachine",
     "{\"name\":\"w\",\"definition\":" WAIT_DEF ",\"roleArn\":" ROLE "}", 200,
     SM "w", 0},
    {"CreateStateMachine",
     "{\"name\":\"q\",\"definition\":" PASS_DEF ",\"roleArn\":" ROLE
     ",\"type\":\"EXPRESS\"}",
     200, SM "q", 0},
    /* reading machines */
    {"DescribeStateMachine", "{\"stateMachineArn\":\"" SM "a\"}", 200,
     "\"name\":\"a\",\"status\":\"ACTIVE\",\"definition\":", 0},
    {"DescribeStateMachine", "{\"stateMachineArn\":\"" EX "a:x\"}", 400,
     "#InvalidArn\",\"message\":\"Invalid Arn: 'Resource type not valid in "
     "this context: execution'\"",
     0},
    {"DescribeStateMachine", "{\"stateMachineArn\":\"foo\"}", 400,
     "\"Invalid Arn: 'Invalid ARN prefix: foo'\"", 0},
    {"DescribeStateMachine",
     "{\"stateMachineArn\":\"arn:aws:states:us-east-1:999999999999:"
     "stateMachine:a\"}",
     400, "#StateMachineDoesNotExist\"", 0},
    {"UpdateStateMachine", "{\"stateMachineArn\":\"" SM "a\"}", 400,
     "#MissingRequiredParameter\"", 0},
    {"ListStateMachines", "{\"maxResults\":1001}", 400,
     "Member must have value less than or equal to 1000", 0},
    {"ListStateMachines", "{\"maxResults\":2}", 200,
     "\"nextToken\":\"asl1:" SM "q\"", 0},
    {"ListStateMachines", "{\"maxResults\":2,\"nextToken\":\"asl1:" SM "q\"}",
     200, "{\"stateMachines\":[{\"stateMachineArn\":\"" SM "w\"", 0},
    {"ListStateMachines", "{\"nextToken\":\"zz\"}", 400,
     "#InvalidToken\",\"message\":\"Invalid Token: 'zz'\"", 0},
    {"ValidateStateMachineDefinition", "{\"definition\":" PASS_DEF "}", 200,
     "{\"result\":\"OK\",\"diagnostics\":[]", 0},
    /* executions */
    {"ListExecutions", "{}", 400,
     "\"Must provide a StateMachine ARN or MapRun ARN\"", 0},
    {"ListExecutions",
     "{\"stateMachineArn\":\"" SM "a\",\"statusFilter\":\"DONE\"}", 400,
     "#ValidationException\"", 0},
    {"StartExecution",
     "{\"stateMachineArn\":\"" SM "a\",\"name\":\"r1\",\"input\":"
     "\"{\\\"k\\\": 1}\"}",
     200, "{\"executionArn\":\"" EX "a:r1\",\"startDate\":", 0},
    {"DescribeExecution", "{\"executionArn\":\"" EX "a:r1\"}", 200,
     "\"status\":\"SUCCEEDED\"", 1},
    {"DescribeExecution", "{\"executionArn\":\"" EX "a:r1\"}", 200,
     "\"input\":\"{\\\"k\\\":1}\"", 0},
    {"StartExecution",
     "{\"stateMachineArn\":\"" SM "a\",\"name\":\"r1\",\"input\":\"{}\"}", 400,
     "#ExecutionAlreadyExists\",\"message\":\"Execution Already Exists: '" EX
     "a:r1'\"",
     0},
    {"StartExecution", "{\"stateMachineArn\":\"" SM "a\",\"input\":\"{x\"}",
     400,
     "#InvalidExecutionInput\",\"message\":\"Invalid State Machine "
     "Execution Input: ",
     0},
    {"StartExecution", "{\"stateMachineArn\":\"" SM "nope\"}", 400,
     "\"State Machine Does Not Exist: '" SM "nope'\"", 0},
    {"DescribeExecution", "{\"executionArn\":\"" EX "a:none\"}", 400,
     "#ExecutionDoesNotExist\",\"message\":\"Execution Does Not Exist: '" EX
     "a:none'\"",
     0},
    {"ListExecutions",
     "{\"stateMachineArn\":\"" SM "a\",\"statusFilter\":\"SUCCEEDED\"}", 200,
     "\"name\":\"r1\",\"status\":\"SUCCEEDED\"", 0},
    {"GetExecutionHistory",
     "{\"executionArn\":\"" EX "a:r1\",\"maxResults\":2}", 200,
     "\"nextToken\":\"asl1:2\"", 0},
    {"GetExecutionHistory",
     "{\"executionArn\":\"" EX "a:r1\",\"maxResults\":2,\"nextToken\":"
     "\"asl1:2\"}",
     200, "\"type\":\"PassStateExited\",\"id\":3", 0},
    {"GetExecutionHistory",
     "{\"executionArn\":\"" EX "a:r1\",\"reverseOrder\":true}", 200,
     "{\"events\":[{\"timestamp\":", 0},
    {"GetExecutionHistory",
     "{\"executionArn\":\"" EX "a:r1\",\"reverseOrder\":true,"
     "\"maxResults\":2}",
     200, "\"id\":3,\"previousEventId\":2,", 0},
    {"GetExecutionHistory",
     "{\"executionArn\":\"" EX "a:r1\",\"reverseOrder\":true,"
     "\"maxResults\":2}",
     200, "\"nextToken\":\"asl1:3\"", 0},
    {"GetExecutionHistory",
     "{\"executionArn\":\"" EX "a:r1\",\"reverseOrder\":true,"
     "\"maxResults\":2,\"nextToken\":\"asl1:3\"}",
     200, "\"previousEventId\":0,\"executionStartedEventDetails\":", 0},
    {"GetExecutionHistory",
     "{\"executionArn\":\"" EX "a:r1\",\"nextToken\":\"asl1:x\"}", 400,
     "#InvalidToken\"", 0},
    {"GetExecutionHistory",
     "{\"executionArn\":\"" EX "a:r1\",\"includeExecutionData\":false}", 200,
     "\"executionStartedEventDetails\":{\"roleArn\"", 0},
    {"GetExecutionHistory",
     "{\"executionArn\":\"" EX "a:r1\",\"reverseOrder\":\"yes\"}", 400,
     "#SerializationException\"", 0},
    {"DescribeStateMachineForExecution", "{\"executionArn\":\"" EX "a:r1\"}",
     200, "\"name\":\"a\",\"definition\":", 0},
    {"StartSyncExecution", "{\"stateMachineArn\":\"" SM "a\"}", 400,
     "#StateMachineTypeNotSupported\"", 0},
    {"StartSyncExecution", "{\"stateMachineArn\":\"" SM "q\",\"name\":\"s\"}",
     200, "\"status\":\"SUCCEEDED\"", 0},
    {"ListExecutions", "{\"stateMachineArn\":\"" SM "q\"}", 400,
     "#StateMachineTypeNotSupported\"", 0},
    /* StopExecution */
    {"StartExecution", "{\"stateMachineArn\":\"" SM "w\",\"name\":\"w1\"}", 200,
     EX "w:w1", 0},
    {"GetExecutionHistory", "{\"executionArn\":\"" EX "w:w1\"}", 200,
     "\"type\":\"WaitStateEntered\"", 1},
    {"StopExecution",
     "{\"executionArn\":\"" EX "w:w1\",\"error\":\"E\",\"cause\":\"C\"}", 200,
     "{\"stopDate\":", 0},
    {"DescribeExecution", "{\"executionArn\":\"" EX "w:w1\"}", 200,
     "\"status\":\"ABORTED\"", 0},
    {"GetExecutionHistory",
     "{\"executionArn\":\"" EX "w:w1\",\"reverseOrder\":true}", 200,
     "\"type\":\"ExecutionAborted\",\"id\":3,\"previousEventId\":2,"
     "\"executionAbortedEventDetails\":{\"error\":\"E\",\"cause\":\"C\"}",
     0},
    {"StopExecution", "{\"executionArn\":\"" EX "w:w1\"}", 200,
     "{\"stopDate\":", 0},
    /* tags */
    {"TagResource",
     "{\"resourceArn\":\"" SM "a\",\"tags\":[{\"key\":\"x\",\"value\":\"1\"}]}",
     200, "{}", 0},
    {"UntagResource", "{\"resourceArn\":\"" SM "a\",\"tagKeys\":[\"k\"]}", 200,
     "{}", 0},
    {"ListTagsForResource", "{\"resourceArn\":\"" SM "a\"}", 200,
     "{\"tags\":[{\"key\":\"x\",\"value\":\"1\"}]}", 0},
    {"ListTagsForResource", "{\"resourceArn\":\"" SM "zz\"}", 400,
     "#ResourceNotFound\",\"message\":\"Resource not found: '" SM "zz'\"", 0},
    /* delete */
    {"DeleteStateMachine", "{\"stateMachineArn\":\"" SM "a\"}", 200, "{}", 0},
    {"DescribeExecution", "{\"executionArn\":\"" EX "a:r1\"}", 400,
     "#ExecutionDoesNotExist\"", 0},
    {"DeleteStateMachine", "{\"stateMachineArn\":\"" SM "a\"}", 200, "{}", 0},
    {"ListTagsForResource", "{\"resourceArn\":\"" SM "a\"}", 400,
     "#ResourceNotFound\"", 0},
};

/* Asks row r (again while it does not match and may be retried). */
static void run_row(web_api *a, const struct row *r) {
  web_reply w = {0};
  for (int tries = 0;; tries++) {
    free(w.body);
    web_api_call(a, r->op, r->body, strlen(r->body), &w);
    int ok = w.status == r->status && strstr(w.body, r->want);
    if (ok || !r->retry || tries == 250) break;
    nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
  }
  T_OK(w.status == r->status && strstr(w.body, r->want),
       "%s %s: got %d %s, want %d and ...%s...", r->op ? r->op : "(none)",
       r->body, w.status, w.body, r->status, r->want);
  free(w.body);
}

T_MAIN("api") {
  char dir[] = "/tmp/asl-test-api-XXXXXX";
  T_OK(mkdtemp(dir) != NULL, "temporary folder");
  char *db = asl_sprintf("%s/asl.db", dir);
  web_api_opts o = {db, NULL, NULL, 4};
  web_api *a = NULL;
  asl_error e = {0};
  T_OK(web_api_new(&o, &a, &e) == 0, "web_api_new: %s", e.cause);
  if (!a) return;
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
    run_row(a, &rows[i]);
  int dropped = -1;
  T_OK(web_api_drain(a, 5, &dropped) == 0 && dropped == 0,
       "every execution ended, none queued (%d)", dropped);
  web_api_free(a);
  static const char *const files[] = {"asl.db", "asl.db-wal", "asl.db-shm"};
  for (size_t i = 0; i < 3; i++) {
    char *p = asl_sprintf("%s/%s", dir, files[i]);
    unlink(p);
    free(p);
  }
  rmdir(dir);
  free(db);
}
