/* client.h: calls to AWS Step Functions (or anything speaking its JSON 1.0
 * protocol, such as `asl serve`) over libcurl, signed with SigV4.
 *
 * A call is POST / with Content-Type application/x-amz-json-1.0,
 * X-Amz-Target AWSStepFunctions.<Op>, X-Amz-Date, Host exactly as signed,
 * X-Amz-Security-Token for session credentials; SignedHeaders
 * content-type;host;x-amz-date;x-amz-target[;x-amz-security-token], the
 * way the AWS CLI signs (tests/fixtures/aws-wire/). A ThrottlingException
 * (or an HTTP 5xx, or no connection) is retried with exponential back-off
 * and jitter, signed anew each time; other errors come back as they are.
 *
 * With dry_run set nothing is sent: each request is printed, signed, to
 * dry_out with the session token redacted (the secret key is never in a
 * request), and the call fails with "Deploy.DryRun". */
#ifndef ASL_CLIENT_H
#define ASL_CLIENT_H

#include <stdio.h>

#include "../engine/core.h"
#include "creds.h"

typedef struct asl_sfn_client {
  const char *endpoint;       /* "https://states.R.amazonaws.com" or given */
  const asl_aws_creds *creds; /* borrowed; region must be set */
  int dry_run;
  FILE *dry_out;
  int max_attempts;    /* 0: 6 */
  double base_delay_s; /* 0: 0.2 s, doubled per retry */
  int attempts_made;   /* out: attempts of the last call */
} asl_sfn_client;

/* The default endpoint of Step Functions in region. New string. */
char *asl_sfn_endpoint(const char *region);

/* Calls op with request req. 0 with *out (the response object), or -1 with
 * e: name the AWS error code ("StateMachineDoesNotExist", the text after
 * '#' of the __type) and cause its message; "Deploy.Connection" when no
 * answer came, "Deploy.Response" for an answer that is not AWS's shape,
 * "Deploy.DryRun" under dry_run. */
int asl_sfn_call(asl_sfn_client *c, const char *op, const cJSON *req,
                 cJSON **out, asl_error *e);

#endif
