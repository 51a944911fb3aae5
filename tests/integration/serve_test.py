#!/usr/bin/env python3
"""serve_test.py ASL: `asl serve` driven by real clients: the AWS CLI
(Debian's /usr/bin/aws when present), boto3, and raw HTTP for what the
clients never send (unknown operations, bad JSON, oversized bodies, odd Host
headers). Then a bounded load test (concurrent boto3 clients starting
executions), a clean stop on SIGINT that leaves an unfinished execution
RUNNING in the store, and `asl resume` finishing it. Prints
"serve: N passed, N failed".
"""
import concurrent.futures
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

try:
    import boto3
    from botocore.config import Config
except ImportError:  # the image's own Python may lack it: Debian's has it
    if (os.path.exists("/usr/bin/python3") and
            sys.executable != "/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    boto3 = None

ASL = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/asl")
AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")
ACCOUNT = "arn:aws:states:us-east-1:123456789012"
ROLE = "arn:aws:iam::123456789012:role/r"
LOAD_CLIENTS, LOAD_EXECUTIONS = 20, 500
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL serve:", what, file=sys.stderr)


ENV = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
           AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
           AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="",
           AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/dev/null",
           AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_MAX_ATTEMPTS="1")

HELLO = {"StartAt": "Hello", "States": {
    "Hello": {"Type": "Pass", "Result": {"b": 2}, "ResultPath": "$.r",
              "Next": "Done"},
    "Done": {"Type": "Succeed"}}}
SLOW = {"StartAt": "W", "States": {
    "W": {"Type": "Wait", "Seconds": 2, "Next": "P"},
    "P": {"Type": "Pass", "End": True}}}
LONG = {"StartAt": "W", "States": {
    "W": {"Type": "Wait", "Seconds": 3600, "Next": "P"},
    "P": {"Type": "Pass", "Result": "woke", "End": True}}}
NAP = {"StartAt": "W", "States": {
    "W": {"Type": "Wait", "Seconds": 3, "Next": "P"},
    "P": {"Type": "Pass", "Result": "rested", "End": True}}}
FAILS = {"StartAt": "F", "States": {
    "F": {"Type": "Fail", "Error": "Oops", "Cause": "on purpose"}}}
LOAD = {"StartAt": "A", "States": {
    "A": {"Type": "Pass", "Parameters": {"n.$": "$.n", "sq.$":
          "States.MathAdd($.n, $.n)"}, "Next": "C"},
    "C": {"Type": "Choice", "Choices": [
        {"Variable": "$.sq", "NumericGreaterThanEquals": 0, "Next": "Ok"}],
        "Default": "Ok"},
    "Ok": {"Type": "Succeed"}}}


# ---- the server ----

class Server:
    def __init__(self, db, grace="10"):
        self.p = subprocess.Popen(
            [ASL, "serve", "--port", "0", "--db", db, "--grace", grace],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.log = []
        self.port = None
        for line in self.p.stderr:  # up to the line that gives the port
            self.log.append(line)
            if "listening on http://127.0.0.1:" in line:
                self.port = int(line.split("127.0.0.1:")[1].split("/")[0])
                break
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for line in self.p.stderr:
            self.log.append(line)

    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def stop(self, timeout=30):
        self.p.send_signal(signal.SIGINT)
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = None
        time.sleep(0.1)
        return rc, "".join(self.log)


# ---- clients ----

def aws(srv, *args):
    """The AWS CLI: (rc, parsed JSON output or None, stderr)."""
    r = subprocess.run([AWS, "stepfunctions", "--endpoint-url", srv.url(),
                        "--region", "us-east-1", "--output", "json"] +
                       list(args), capture_output=True, text=True, env=ENV,
                       timeout=60)
    try:
        out = json.loads(r.stdout) if r.stdout.strip() else None
    except json.JSONDecodeError:
        out = None
    return r.returncode, out, r.stderr


def raw(srv, target, body, host=None, method="POST", headers=None):
    """One HTTP request with no SDK: (status, parsed JSON or text)."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    h = {"Content-Type": "application/x-amz-json-1.0"}
    if target:
        h["X-Amz-Target"] = target
    if host:
        h["Host"] = host
    h.update(headers or {})
    try:
        c.request(method, "/", body=body, headers=h)
        r = c.getresponse()
        data = r.read().decode()
        status = r.status
    except (ConnectionError, http.client.HTTPException) as e:
        return None, str(e)
    finally:
        c.close()
    try:
        return status, json.loads(data)
    except json.JSONDecodeError:
        return status, data


def sfn(srv):
    return boto3.client(
        "stepfunctions", endpoint_url=srv.url(), region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
        config=Config(inject_host_prefix=False,
                      retries={"max_attempts": 2, "mode": "standard"}))


def error_code(fn, *a, **kw):
    """The AWS error code fn raises, or None when it succeeds."""
    try:
        fn(*a, **kw)
    except Exception as e:  # botocore.exceptions.ClientError
        return getattr(e, "response", {}).get("Error", {}).get("Code", repr(e))
    return None


def wait_done(get, timeout=30):
    """Polls get() (a DescribeExecution dict) until it is not RUNNING."""
    end = time.monotonic() + timeout
    d = get()
    while d and d.get("status") == "RUNNING" and time.monotonic() < end:
        time.sleep(0.1)
        d = get()
    return d


# ---- the AWS CLI ----

def cli_part(srv):
    sm = ACCOUNT + ":stateMachine:hello"
    rc, out, err = aws(srv, "create-state-machine", "--name", "hello",
                       "--definition", json.dumps(HELLO), "--role-arn", ROLE,
                       "--tags", "key=env,value=dev")
    check(rc == 0 and out and out.get("stateMachineArn") == sm,
          "cli: create-state-machine answers the ARN (%s %s)" % (rc, err))
    check(out and "creationDate" in out, "cli: create has creationDate")

    rc, out, err = aws(srv, "describe-state-machine", "--state-machine-arn", sm)
    check(rc == 0 and out and out["name"] == "hello" and
          json.loads(out["definition"]) == HELLO and out["status"] == "ACTIVE"
          and out["type"] == "STANDARD" and out["roleArn"] == ROLE,
          "cli: describe-state-machine (%s)" % err)

    rc, out, err = aws(srv, "list-state-machines")
    check(rc == 0 and out and
          [m["name"] for m in out["stateMachines"]].count("hello") == 1,
          "cli: list-state-machines lists hello once (%s)" % err)

    rc, out, err = aws(srv, "start-execution", "--state-machine-arn", sm,
                       "--name", "run1", "--input", '{"a":1}')
    ex = ACCOUNT + ":execution:hello:run1"
    check(rc == 0 and out and out.get("executionArn") == ex and
          "startDate" in out, "cli: start-execution (%s)" % err)

    d = wait_done(lambda: aws(srv, "describe-execution", "--execution-arn",
                              ex)[1])
    check(d and d["status"] == "SUCCEEDED" and
          json.loads(d["output"]) == {"a": 1, "r": {"b": 2}} and
          json.loads(d["input"]) == {"a": 1} and d["name"] == "run1" and
          d["stateMachineArn"] == sm and "stopDate" in d,
          "cli: describe-execution shows the outcome (%s)" % d)

    rc, out, err = aws(srv, "list-executions", "--state-machine-arn", sm,
                       "--status-filter", "SUCCEEDED")
    check(rc == 0 and out and
          [x["name"] for x in out["executions"]] == ["run1"],
          "cli: list-executions --status-filter SUCCEEDED (%s)" % err)
    rc, out, err = aws(srv, "list-executions", "--state-machine-arn", sm,
                       "--status-filter", "FAILED")
    check(rc == 0 and out == {"executions": []},
          "cli: list-executions FAILED is empty (%s %s)" % (out, err))

    rc, out, err = aws(srv, "get-execution-history", "--execution-arn", ex)
    types = [e["type"] for e in out["events"]] if out else []
    check(types == ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                    "SucceedStateEntered", "SucceedStateExited",
                    "ExecutionSucceeded"],
          "cli: get-execution-history event types (%s %s)" % (types, err))
    check(out and [e["id"] for e in out["events"]] == list(range(1, 7)),
          "cli: history ids 1..6")

    rc, out, err = aws(srv, "describe-execution", "--execution-arn",
                       ACCOUNT + ":execution:hello:missing")
    check(rc != 0 and "(ExecutionDoesNotExist)" in err and
          "Execution Does Not Exist" in err,
          "cli: unknown execution -> ExecutionDoesNotExist (%s)" % err)
    rc, out, err = aws(srv, "describe-state-machine", "--state-machine-arn",
                       ACCOUNT + ":stateMachine:nope")
    check(rc != 0 and "(StateMachineDoesNotExist)" in err,
          "cli: unknown machine -> StateMachineDoesNotExist (%s)" % err)
    rc, out, err = aws(srv, "create-state-machine", "--name", "bad",
                       "--definition", '{"StartAt":"X","States":{"Y":'
                       '{"Type":"Pass","End":true}}}', "--role-arn", ROLE)
    check(rc != 0 and "(InvalidDefinition)" in err and
          "Invalid State Machine Definition" in err and
          "MISSING_TRANSITION_TARGET" in err,
          "cli: invalid definition -> InvalidDefinition (%s)" % err)
    rc, out, err = aws(srv, "start-execution", "--state-machine-arn", sm,
                       "--name", "run1", "--input", '{"a":2}')
    check(rc != 0 and "(ExecutionAlreadyExists)" in err,
          "cli: duplicate name, other input -> ExecutionAlreadyExists (%s)"
          % err)

    # StopExecution: a 30 s Wait ends ABORTED at once, with the reason.
    rc, out, err = aws(srv, "create-state-machine", "--name", "waits",
                       "--definition", json.dumps(LONG), "--role-arn", ROLE)
    rc, out, err = aws(srv, "start-execution", "--state-machine-arn",
                       ACCOUNT + ":stateMachine:waits", "--name", "w1")
    wx = out["executionArn"] if out else ""
    t0 = time.monotonic()
    rc, out, err = aws(srv, "stop-execution", "--execution-arn", wx,
                       "--error", "Halt", "--cause", "asked to")
    check(rc == 0 and out and "stopDate" in out and
          time.monotonic() - t0 < 10, "cli: stop-execution (%s)" % err)
    rc, d, err = aws(srv, "describe-execution", "--execution-arn", wx)
    check(d and d["status"] == "ABORTED" and d.get("error") == "Halt" and
          d.get("cause") == "asked to", "cli: stopped -> ABORTED (%s)" % d)
    rc, out, err = aws(srv, "get-execution-history", "--execution-arn", wx)
    ev = out["events"] if out else [{}]
    check([e["type"] for e in ev] == ["ExecutionStarted", "WaitStateEntered",
                                      "ExecutionAborted"] and
          ev[-1].get("executionAbortedEventDetails") ==
          {"error": "Halt", "cause": "asked to"} and
          ev[-1]["previousEventId"] == 2,
          "cli: the history ends with ExecutionAborted (%s)" % ev)


# ---- boto3 ----

def boto_part(srv):
    c = sfn(srv)
    sm = c.create_state_machine(name="b3", definition=json.dumps(HELLO),
                                roleArn=ROLE)["stateMachineArn"]
    check(sm == ACCOUNT + ":stateMachine:b3", "boto3: create answers the ARN")
    again = c.create_state_machine(name="b3", definition=json.dumps(HELLO),
                                   roleArn=ROLE)
    check(again["stateMachineArn"] == sm,
          "boto3: the same create again is idempotent")
    check(error_code(c.create_state_machine, name="b3",
                     definition=json.dumps(SLOW), roleArn=ROLE)
          == "StateMachineAlreadyExists",
          "boto3: same name, other definition -> StateMachineAlreadyExists")
    check(error_code(c.create_state_machine, name="bad name",
                     definition=json.dumps(HELLO), roleArn=ROLE)
          == "InvalidName", "boto3: a name with a space -> InvalidName")
    check(error_code(c.describe_state_machine, stateMachineArn="nope")
          == "InvalidArn", "boto3: not an ARN -> InvalidArn")
    # The two API errors of tests/conformance/invalid, AWS's words.
    st, out = raw(srv, "AWSStepFunctions.CreateStateMachine", json.dumps({
        "name": "logs", "definition": json.dumps(HELLO), "roleArn": ROLE,
        "loggingConfiguration": {"level": "ALL", "destinations": [
            {"cloudWatchLogsLogGroup": {"logGroupArn": "a"}},
            {"cloudWatchLogsLogGroup": {"logGroupArn": "b"}}]}}))
    check(st == 400 and out["__type"].endswith("#InvalidLoggingConfiguration")
          and out["message"] == "Invalid Logging Configuration: Must specify "
          "exactly one Log Destination.", "two log destinations (%s)" % out)
    st, out = raw(srv, "AWSStepFunctions.CreateStateMachine", json.dumps({
        "name": "ver", "definition": json.dumps(HELLO), "roleArn": ROLE,
        "versionDescription": "v1"}))
    check(st == 400 and out["__type"].endswith("#ValidationException") and
          out["message"] == "Version description can only be set when "
          "publish is true", "versionDescription without publish (%s)" % out)

    # A run in the background: StartExecution answers while it waits.
    slow = c.create_state_machine(name="slow", definition=json.dumps(SLOW),
                                  roleArn=ROLE)["stateMachineArn"]
    t0 = time.monotonic()
    ex = c.start_execution(stateMachineArn=slow, name="s1")["executionArn"]
    took = time.monotonic() - t0
    d = c.describe_execution(executionArn=ex)
    check(took < 1.5 and d["status"] == "RUNNING",
          "boto3: StartExecution answers at once, RUNNING (%.2fs, %s)"
          % (took, d["status"]))
    again = c.start_execution(stateMachineArn=slow, name="s1")
    check(again["executionArn"] == ex,
          "boto3: same name and input while running is the same execution")
    d = wait_done(lambda: c.describe_execution(executionArn=ex))
    check(d["status"] == "SUCCEEDED" and
          (d["stopDate"] - d["startDate"]).total_seconds() >= 1.9,
          "boto3: the Wait of 2 s ran on the real clock (%s)" % d)

    # Executions and their history, with pagination.
    arns = [c.start_execution(stateMachineArn=sm, name="e%d" % i,
                              input=json.dumps({"i": i}))["executionArn"]
            for i in range(5)]
    for a in arns:
        wait_done(lambda: c.describe_execution(executionArn=a))
    page = c.list_executions(stateMachineArn=sm, maxResults=2)
    names = [x["name"] for x in page["executions"]]
    while "nextToken" in page:
        page = c.list_executions(stateMachineArn=sm, maxResults=2,
                                 nextToken=page["nextToken"])
        names += [x["name"] for x in page["executions"]]
    check(sorted(names) == ["e%d" % i for i in range(5)],
          "boto3: ListExecutions pages of 2 give all 5 (%s)" % names)
    full = c.get_execution_history(executionArn=arns[0])["events"]
    paged, tok = [], None
    while True:
        kw = {"nextToken": tok} if tok else {}
        p = c.get_execution_history(executionArn=arns[0], maxResults=4, **kw)
        paged += p["events"]
        tok = p.get("nextToken")
        if not tok:
            break
    check(len(full) == 6 and
          [e["id"] for e in paged] == [e["id"] for e in full],
          "boto3: history pages of 4 equal the whole history")
    rev = c.get_execution_history(executionArn=arns[0], reverseOrder=True)
    check([e["id"] for e in rev["events"]] == [6, 5, 4, 3, 2, 1],
          "boto3: reverseOrder")
    bare = c.get_execution_history(executionArn=arns[0],
                                   includeExecutionData=False)["events"]
    check("input" not in bare[0]["executionStartedEventDetails"] and
          "input" in full[0]["executionStartedEventDetails"],
          "boto3: includeExecutionData=False drops the payloads")
    check(error_code(c.get_execution_history, executionArn=arns[0],
                     nextToken="bogus") == "InvalidToken",
          "boto3: a bad nextToken -> InvalidToken")
    check(error_code(c.list_executions, stateMachineArn=sm,
                     statusFilter="NOPE") is not None,
          "boto3: a bad statusFilter is refused")

    # A failing execution.
    fsm = c.create_state_machine(name="fails", definition=json.dumps(FAILS),
                                 roleArn=ROLE)["stateMachineArn"]
    fx = c.start_execution(stateMachineArn=fsm)["executionArn"]
    d = wait_done(lambda: c.describe_execution(executionArn=fx))
    check(d["status"] == "FAILED" and d.get("error") == "Oops" and
          d.get("cause") == "on purpose" and len(d["name"]) == 36,
          "boto3: a Fail state -> FAILED with error and cause, UUID name")
    lf = c.list_executions(stateMachineArn=fsm, statusFilter="FAILED")
    check([x["executionArn"] for x in lf["executions"]] == [fx],
          "boto3: ListExecutions FAILED lists it")

    # The definition an execution ran with survives an update.
    c.update_state_machine(stateMachineArn=sm, definition=json.dumps(FAILS))
    check(json.loads(c.describe_state_machine(stateMachineArn=sm)
                     ["definition"]) == FAILS,
          "boto3: UpdateStateMachine changes the definition")
    dm = c.describe_state_machine_for_execution(executionArn=arns[0])
    check(json.loads(dm["definition"]) == HELLO and dm["name"] == "b3",
          "boto3: DescribeStateMachineForExecution has the old definition")
    check(error_code(c.update_state_machine, stateMachineArn=sm,
                     definition='{"StartAt":1}') == "InvalidDefinition",
          "boto3: UpdateStateMachine validates")

    # EXPRESS: StartSyncExecution.
    ex_sm = c.create_state_machine(name="quick", definition=json.dumps(HELLO),
                                   roleArn=ROLE, type="EXPRESS")
    r = c.start_sync_execution(stateMachineArn=ex_sm["stateMachineArn"],
                               input='{"q":true}')
    check(r["status"] == "SUCCEEDED" and
          json.loads(r["output"]) == {"q": True, "r": {"b": 2}} and
          ":express:quick:" in r["executionArn"] and
          "billingDetails" in r, "boto3: StartSyncExecution (%s)" % r)
    d = c.describe_execution(executionArn=r["executionArn"])
    check(d["status"] == "SUCCEEDED" and d["output"] == r["output"],
          "boto3: the sync execution is recorded under the ARN answered")
    ax = c.start_execution(stateMachineArn=ex_sm["stateMachineArn"],
                           input='{"z":1}')["executionArn"]
    d = wait_done(lambda: c.describe_execution(executionArn=ax))
    check(":express:quick:" in ax and d["status"] == "SUCCEEDED",
          "boto3: StartExecution of an EXPRESS machine, described by its ARN")
    check(error_code(c.start_sync_execution, stateMachineArn=sm)
          == "StateMachineTypeNotSupported",
          "boto3: StartSyncExecution of a STANDARD machine is refused")
    check(error_code(c.start_execution, stateMachineArn=slow,
                     input="{not json") == "InvalidExecutionInput",
          "boto3: input that is not JSON -> InvalidExecutionInput")

    # Tags.
    c.tag_resource(resourceArn=sm, tags=[{"key": "a", "value": "1"},
                                         {"key": "b", "value": "2"}])
    c.untag_resource(resourceArn=sm, tagKeys=["a"])
    tags = c.list_tags_for_resource(resourceArn=sm)["tags"]
    check(tags == [{"key": "b", "value": "2"}], "boto3: tags (%s)" % tags)
    check(error_code(c.list_tags_for_resource,
                     resourceArn=ACCOUNT + ":stateMachine:none")
          == "ResourceNotFound",
          "boto3: tags of no machine -> ResourceNotFound")

    # ValidateStateMachineDefinition (older botocore has no such method).
    body = json.dumps({"definition": json.dumps(HELLO)})
    st, out = raw(srv, "AWSStepFunctions.ValidateStateMachineDefinition", body)
    check(st == 200 and out.get("result") == "OK",
          "ValidateStateMachineDefinition OK (%s %s)" % (st, out))
    body = json.dumps({"definition": '{"StartAt":"X","States":{}}'})
    st, out = raw(srv, "AWSStepFunctions.ValidateStateMachineDefinition", body)
    check(st == 200 and out.get("result") == "FAIL" and
          out["diagnostics"][0]["code"] == "SCHEMA_VALIDATION_FAILED",
          "ValidateStateMachineDefinition FAIL (%s)" % out)

    # Delete: gone, its executions too, and deleting again is no error.
    c.delete_state_machine(stateMachineArn=fsm)
    check(error_code(c.describe_state_machine, stateMachineArn=fsm)
          == "StateMachineDoesNotExist", "boto3: deleted machine is gone")
    check(error_code(c.describe_execution, executionArn=fx)
          == "ExecutionDoesNotExist", "boto3: its executions are gone")
    check(error_code(c.delete_state_machine, stateMachineArn=fsm) is None,
          "boto3: deleting again is no error (as AWS)")
    # Deleted under a running execution: its worker's writes fail, quietly
    # for the others (the sanitizer check at stop covers the failure path).
    dsm = c.create_state_machine(name="doomed", definition=json.dumps(SLOW),
                                 roleArn=ROLE)["stateMachineArn"]
    dx = c.start_execution(stateMachineArn=dsm, name="d1")["executionArn"]
    c.delete_state_machine(stateMachineArn=dsm)
    check(error_code(c.describe_execution, executionArn=dx)
          == "ExecutionDoesNotExist", "boto3: deleted with a running one")


# ---- raw HTTP: what clients never send ----

def raw_part(srv):
    st, out = raw(srv, None, "", method="GET")
    check(st == 200 and "asl serve" in out, "GET / is a page")
    st, out = raw(srv, "AWSStepFunctions.NoSuchThing", "{}")
    check(st == 400 and out["__type"].endswith("#UnknownOperationException"),
          "unknown operation -> UnknownOperationException (%s)" % out)
    st, out = raw(srv, None, "{}")
    check(st == 400 and out["__type"].endswith("#UnknownOperationException"),
          "no X-Amz-Target -> UnknownOperationException")
    st, out = raw(srv, "AWSStepFunctions.ListStateMachines", "{nope")
    check(st == 400 and out["__type"].endswith("#SerializationException"),
          "bad JSON -> SerializationException (%s)" % out)
    st, out = raw(srv, "AWSStepFunctions.DescribeExecution", "{}")
    check(st == 400 and out["__type"].endswith("#ValidationException") and
          "executionArn" in out["message"],
          "missing member -> ValidationException (%s)" % out)
    st, out = raw(srv, "AWSStepFunctions.TestState",
                  '{"definition":"{}"}')
    check(st == 400 and "not supported" in out["message"],
          "TestState says it is not built (%s)" % out)
    st, out = raw(srv, "AWSStepFunctions.StopExecution", json.dumps(
        {"executionArn": ACCOUNT + ":execution:hello:never"}))
    check(st == 400 and out["__type"].endswith("#ExecutionDoesNotExist"),
          "StopExecution of no execution -> ExecutionDoesNotExist (%s)" % out)
    st, out = raw(srv, "AWSStepFunctions.StopExecution", json.dumps(
        {"executionArn": ACCOUNT + ":execution:hello:run1"}))
    check(st == 200 and "stopDate" in out,
          "StopExecution of an ended execution: its stopDate (%s)" % out)
    st, out = raw(srv, "AWSStepFunctions.ListStateMachines", "x" * 2000000)
    check(st in (400, 413) and "__type" in out and
          "larger" in out.get("message", ""),
          "a 2 MB body is refused with an AWS-shaped error (%s)" % st)
    st, out = raw(srv, "AWSStepFunctions.ListStateMachines", "{}",
                  host="sync-localhost:1234")
    check(st == 200 and "stateMachines" in out,
          "any Host header, no Authorization: answered")
    st, out = raw(srv, "AWSStepFunctions.ListStateMachines", "{}", headers={
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20261122/"
        "us-east-1/states/aws4_request, SignedHeaders=host, Signature=00"})
    check(st == 200, "a SigV4 header that does not verify: still answered")


# ---- load ----

def load_part(srv):
    c = sfn(srv)
    sm = c.create_state_machine(name="load", definition=json.dumps(LOAD),
                                roleArn=ROLE)["stateMachineArn"]
    per = LOAD_EXECUTIONS // LOAD_CLIENTS

    def client(k):
        cl = sfn(srv)
        got = []
        for i in range(per):
            n = k * per + i
            got.append(cl.start_execution(
                stateMachineArn=sm, name="L%03d" % n,
                input=json.dumps({"n": n}))["executionArn"])
        return got

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(LOAD_CLIENTS) as pool:
        started = [a for f in [pool.submit(client, k)
                               for k in range(LOAD_CLIENTS)]
                   for a in f.result()]
    t_start = time.monotonic() - t0
    check(len(set(started)) == LOAD_EXECUTIONS,
          "load: %d distinct executions started" % LOAD_EXECUTIONS)
    end = time.monotonic() + 60
    done = []
    while time.monotonic() < end:
        done = [x for p in c.get_paginator("list_executions").paginate(
            stateMachineArn=sm, statusFilter="SUCCEEDED",
            PaginationConfig={"PageSize": 1000}) for x in p["executions"]]
        if len(done) >= LOAD_EXECUTIONS:
            break
        time.sleep(0.2)
    took = time.monotonic() - t0
    check(sorted(x["executionArn"] for x in done) == sorted(started),
          "load: ListExecutions shows all %d SUCCEEDED (%d)"
          % (LOAD_EXECUTIONS, len(done)))
    every = [x for p in c.get_paginator("list_executions").paginate(
        stateMachineArn=sm) for x in p["executions"]]
    check(len(every) == LOAD_EXECUTIONS,
          "load: nothing else recorded (%d)" % len(every))
    # for information only: speed is `make bench`'s business, not a test's
    print("serve: load: %d executions in %.1f s (starts %.1f s)"
          % (LOAD_EXECUTIONS, took, t_start), file=sys.stderr)
    d = c.describe_execution(executionArn=started[-1])
    n = int(d["name"][1:])
    check(json.loads(d["output"]) == {"n": n, "sq": 2 * n},
          "load: an execution's output is its own")


def main():
    tmp = tempfile.mkdtemp()
    db = os.path.join(tmp, "asl.db")
    srv = Server(db, grace="1")
    check(srv.port is not None, "serve prints the port it listens on (%s)"
          % "".join(srv.log))
    if srv.port is None:
        srv.stop()
        return
    if AWS:
        cli_part(srv)
    else:
        check(False, "the AWS CLI is installed")
    raw_part(srv)
    if boto3:
        boto_part(srv)
        load_part(srv)
        c = sfn(srv)
        lsm = c.create_state_machine(name="long", definition=json.dumps(LONG),
                                     roleArn=ROLE)["stateMachineArn"]
        lx = c.start_execution(stateMachineArn=lsm, name="sleeper")
        nsm = c.create_state_machine(name="nap", definition=json.dumps(NAP),
                                     roleArn=ROLE)["stateMachineArn"]
        nx = c.start_execution(stateMachineArn=nsm, name="napper")
        # in its Wait, with a checkpoint, before the server stops
        wait_done(lambda: {"status": "RUNNING"} if len(
            c.get_execution_history(executionArn=nx["executionArn"])
            ["events"]) < 2 else {}, 10)
    else:
        check(False, "boto3 is installed")
    t0 = time.monotonic()
    rc, log = srv.stop()
    check(rc == 0 and time.monotonic() - t0 < 15,
          "SIGINT stops the server, exit 0, within its grace (%s)" % rc)
    check("Sanitizer" not in log and "runtime error" not in log and
          "LeakSanitizer" not in log, "no sanitizer report:\n" + log[-3000:])
    # the two Waits, and maybe the deleted machine's 2 s Wait
    left = re.search(r"(\d+) executions still running", log)
    check(not boto3 or (left and int(left.group(1)) >= 2),
          "the unfinished executions are reported as left RUNNING:\n" + log)
    # The store has what the API did: the CLI reads it, resume finishes it.
    r = subprocess.run([ASL, "describe", ACCOUNT + ":execution:hello:run1",
                        "--db", db], capture_output=True, text=True)
    check(r.returncode == 0 and json.loads(r.stdout)["status"] == "SUCCEEDED",
          "asl describe reads an execution the API ran")
    if boto3:
        # The next server resumes what the last one left: the nap ends.
        srv3 = Server(db, grace="1")
        check(srv3.port and
              any("resuming 2 executions" in x for x in srv3.log),
              "the next server resumes the 2 executions left (%s)"
              % "".join(srv3.log))
        c = sfn(srv3)
        d = wait_done(lambda: c.describe_execution(
            executionArn=nx["executionArn"]), 20)
        h = c.get_execution_history(executionArn=nx["executionArn"])["events"]
        check(d["status"] == "SUCCEEDED" and d["output"] == '"rested"' and
              [e["id"] for e in h] == list(range(1, len(h) + 1)) and
              [e["type"] for e in h].count("ExecutionStarted") == 1 and
              [e["type"] for e in h].count("WaitStateEntered") == 1,
              "the resumed execution ends once, ids contiguous (%s)"
              % [e["type"] for e in h])
        rc, log = srv3.stop()
        check(rc == 0 and "1 execution still running" in log and
              "Sanitizer" not in log and "runtime error" not in log,
              "the second server stops, the long Wait left again:\n" + log)
        r = subprocess.run([ASL, "resume", "--db", db, "--no-wait"],
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0 and
              (lx["executionArn"] + " SUCCEEDED") in r.stdout,
              "asl resume finishes the execution serve left RUNNING (%s %s)"
              % (r.stdout, r.stderr[-500:]))
    # Bad usage and a port in use.
    r = subprocess.run([ASL, "serve", "--port", "x"], capture_output=True)
    check(r.returncode == 64, "asl serve --port x: usage (64)")
    srv2 = Server(os.path.join(tmp, "b.db"))
    r = subprocess.run([ASL, "serve", "--port", str(srv2.port), "--db",
                        os.path.join(tmp, "c.db")], capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 75 and "cannot listen" in r.stderr,
          "a port in use: exit 75 with a message (%s)" % r.stderr)
    rc, log = srv2.stop()
    check(rc == 0 and "AddressSanitizer" not in log,
          "an idle server stops cleanly")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        print("serve: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
