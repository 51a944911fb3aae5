#!/usr/bin/env python3
"""serve_tasks_test.py ASL: `asl serve`'s task tokens and activities, driven
by the real AWS CLI (Debian's /usr/bin/aws when present) and boto3: a
.waitForTaskToken Task answered with send-task-success / send-task-failure
(caught), one whose function (a bound built-in) gets the token and
TaskSubmitted records its answer, heartbeats keeping a Task alive and then
its States.HeartbeatTimeout, StopExecution of a waiting Task, and an
activity from create-activity to get-activity-task, send-task-heartbeat and
send-task-success. Prints "serve-tasks: N passed, N failed".
"""
import http.client
import json
import os
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
ACT = "arn:aws:states:us-east-1:123456789012:activity:"
ROLE = "arn:aws:iam::123456789012:role/r"
passed = failed = 0

ENV = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
           AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
           AWS_DEFAULT_REGION="us-east-1", AWS_PAGER="",
           AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE="/dev/null",
           AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_MAX_ATTEMPTS="1")


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL serve-tasks:", what, file=sys.stderr)


ASK = {"StartAt": "Ask", "States": {
    "Ask": {"Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "q", "MessageBody": {
                "token.$": "$$.Task.Token", "order.$": "$.order"}},
            "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.why",
                       "Next": "Sorry"}],
            "End": True},
    "Sorry": {"Type": "Pass", "End": True}}}
BEAT = {"StartAt": "Ask", "States": {
    "Ask": {"Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "HeartbeatSeconds": 1,
            "Parameters": {"QueueUrl": "q", "MessageBody": {
                "token.$": "$$.Task.Token"}},
            "End": True}}}
INVOKE = {"StartAt": "Call", "States": {
    "Call": {"Type": "Task",
             "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
             "Parameters": {"FunctionName": "Echo", "Payload": {
                 "token.$": "$$.Task.Token"}},
             "End": True}}}
WORK = {"StartAt": "Work", "States": {
    "Work": {"Type": "Task", "Resource": ACT + "printer",
             "HeartbeatSeconds": 30, "Parameters": {"doc.$": "$.doc"},
             "End": True}}}


class Server:
    def __init__(self, db, bindings):
        self.p = subprocess.Popen(
            [ASL, "serve", "--port", "0", "--db", db, "--bindings", bindings],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        self.port = None
        for line in self.p.stderr:
            if "listening on http://127.0.0.1:" in line:
                self.port = int(line.split("127.0.0.1:")[1].split("/")[0])
                break
        threading.Thread(target=lambda: [None for _ in self.p.stderr],
                         daemon=True).start()

    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()


def aws(srv, *args):
    """The AWS CLI: (rc, parsed JSON output or None, stderr)."""
    r = subprocess.run([AWS, "stepfunctions", "--endpoint-url", srv.url(),
                        "--region", "us-east-1", "--output", "json"] +
                       list(args), capture_output=True, text=True, env=ENV,
                       timeout=90)
    try:
        out = json.loads(r.stdout) if r.stdout.strip() else None
    except json.JSONDecodeError:
        out = None
    return r.returncode, out, r.stderr


def call(srv, op, body):
    """One API call over raw HTTP (fast, for polling): (status, JSON)."""
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        c.request("POST", "/", body=json.dumps(body), headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AWSStepFunctions." + op})
        r = c.getresponse()
        return r.status, json.loads(r.read().decode() or "{}")
    finally:
        c.close()


def wait_for(fn, what, timeout=10):
    """fn() until it is truthy: its value, or None after timeout."""
    end = time.time() + timeout
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    check(False, "timed out waiting for " + what)
    return None


def history(srv, arn):
    st, out = call(srv, "GetExecutionHistory", {"executionArn": arn})
    return out.get("events", []) if st == 200 else []


def token_in(srv, arn, body="MessageBody"):
    """The token a TaskScheduled event's request carries, once there."""
    def look():
        for e in history(srv, arn):
            if e["type"] == "TaskScheduled":
                p = json.loads(e["taskScheduledEventDetails"]["parameters"])
                return p[body]["token"]
        return None
    return wait_for(look, "TaskScheduled in " + arn)


def status(srv, arn):
    st, out = call(srv, "DescribeExecution", {"executionArn": arn})
    return out if st == 200 else None


def ended(srv, arn, timeout=10):
    return wait_for(lambda: (lambda d: d if d and d["status"] != "RUNNING"
                             else None)(status(srv, arn)),
                    "the end of " + arn, timeout)


def machine(srv, name, definition):
    rc, out, err = aws(srv, "create-state-machine", "--name", name,
                       "--role-arn", ROLE, "--definition",
                       json.dumps(definition))
    check(rc == 0, "create %s: %s" % (name, err))
    return out["stateMachineArn"] if out else ""


def start(srv, sm, inp):
    rc, out, err = aws(srv, "start-execution", "--state-machine-arn", sm,
                       "--input", json.dumps(inp))
    check(rc == 0, "start: " + err)
    return out["executionArn"] if out else ""


def cli_part(srv):
    ask = machine(srv, "ask", ASK)
    # success: the Task's output is what was sent
    ex = start(srv, ask, {"order": 7})
    tok = token_in(srv, ex)
    check(tok and len(tok) == 88, "a task token in the request")
    rc, out, err = aws(srv, "send-task-success", "--task-token", tok,
                       "--task-output", '{"shipped": 7}')
    check(rc == 0 and out is None, "send-task-success: " + err)
    d = ended(srv, ex)
    check(d and d["status"] == "SUCCEEDED" and
          json.loads(d["output"]) == {"shipped": 7},
          "the Task's output is the token's: %s" % d)
    ev = history(srv, ex)
    check(ev and ev[0]["executionStartedEventDetails"]["roleArn"] == ROLE,
          "ExecutionStarted has the machine's role: %s" % ev[:1])
    types = [e["type"] for e in ev]
    check(types == ["ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                    "TaskStarted", "TaskSucceeded", "TaskStateExited",
                    "ExecutionSucceeded"], "history: %s" % types)
    rc, _, err = aws(srv, "send-task-success", "--task-token", tok,
                     "--task-output", "{}")
    check(rc != 0 and "TaskDoesNotExist" in err, "the token twice: " + err)
    # failure, caught
    ex = start(srv, ask, {"order": 8})
    tok = token_in(srv, ex)
    rc, _, err = aws(srv, "send-task-success", "--task-token", tok,
                     "--task-output", "{not json")
    check(rc != 0 and "InvalidOutput" in err, "output not JSON: " + err)
    rc, _, err = aws(srv, "send-task-failure", "--task-token", tok,
                     "--error", "Rejected", "--cause", "out of stock")
    check(rc == 0, "send-task-failure: " + err)
    d = ended(srv, ex)
    check(d and d["status"] == "SUCCEEDED" and json.loads(d["output"])[
        "why"] == {"Error": "Rejected", "Cause": "out of stock"},
        "the failure caught: %s" % d)
    # StopExecution while the Task waits: ABORTED, the token gone
    ex = start(srv, ask, {"order": 9})
    tok = token_in(srv, ex)
    rc, _, err = aws(srv, "stop-execution", "--execution-arn", ex,
                     "--error", "Cancelled", "--cause", "customer left")
    check(rc == 0, "stop-execution: " + err)
    d = ended(srv, ex)
    check(d and d["status"] == "ABORTED", "stopped: %s" % d)
    rc, _, err = aws(srv, "send-task-heartbeat", "--task-token", tok)
    check(rc != 0 and "TaskDoesNotExist" in err,
          "no heartbeat for a stopped Task: " + err)
    # heartbeats keep it alive; then States.HeartbeatTimeout
    beat = machine(srv, "beat", BEAT)
    ex = start(srv, beat, {})
    tok = token_in(srv, ex)
    alive = 0
    for _ in range(8):  # 2 s of a 1 s heartbeat, alive thanks to the beats
        time.sleep(0.25)
        st, _ = call(srv, "SendTaskHeartbeat", {"taskToken": tok})
        alive += st == 200
    d = status(srv, ex)
    check(alive == 8 and d and d["status"] == "RUNNING",
          "heartbeats keep the Task running (%d, %s)" % (alive, d))
    d = ended(srv, ex, timeout=15)
    check(d and d["status"] == "FAILED" and
          d.get("error") == "States.HeartbeatTimeout",
          "no more heartbeats: States.HeartbeatTimeout: %s" % d)
    check("TaskTimedOut" in [e["type"] for e in history(srv, ex)],
          "TaskTimedOut in the history")
    # a function that gets the token: TaskSubmitted has its answer
    inv = machine(srv, "invoke", INVOKE)
    ex = start(srv, inv, {})

    def submitted():
        for e in history(srv, ex):
            if e["type"] == "TaskSubmitted":
                return json.loads(
                    e["taskSubmittedEventDetails"]["output"])["Payload"]
        return None
    pay = wait_for(submitted, "TaskSubmitted")
    check(pay and len(pay.get("token", "")) == 88,
          "the function got the token: %s" % pay)
    if pay:
        rc, _, err = aws(srv, "send-task-success", "--task-token",
                         pay["token"], "--task-output", '"called back"')
        check(rc == 0, "the callback: " + err)
    d = ended(srv, ex)
    check(d and json.loads(d["output"]) == "called back",
          "the callback's output: %s" % d)


def activity_part(srv):
    rc, out, err = aws(srv, "create-activity", "--name", "printer")
    check(rc == 0 and out["activityArn"] == ACT + "printer",
          "create-activity: %s %s" % (out, err))
    rc, again, _ = aws(srv, "create-activity", "--name", "printer")
    check(rc == 0 and again["creationDate"] == out["creationDate"],
          "create-activity again: the same one")
    rc, d, _ = aws(srv, "describe-activity", "--activity-arn", ACT + "printer")
    check(rc == 0 and d["name"] == "printer", "describe-activity: %s" % d)
    rc, ls, _ = aws(srv, "list-activities")
    check(rc == 0 and [a["name"] for a in ls["activities"]] == ["printer"],
          "list-activities: %s" % ls)
    rc, _, err = aws(srv, "describe-activity", "--activity-arn",
                     ACT + "nope")
    check(rc != 0 and "ActivityDoesNotExist" in err, "unknown: " + err)
    rc, _, err = aws(srv, "get-activity-task", "--activity-arn",
                     "arn:aws:states:us-east-1:123456789012:stateMachine:x")
    check(rc != 0 and "InvalidArn" in err, "not an activity ARN: " + err)
    work = machine(srv, "work", WORK)
    ex = start(srv, work, {"doc": "report.pdf"})
    rc, task, err = aws(srv, "get-activity-task", "--activity-arn",
                        ACT + "printer", "--worker-name", "printer-1")
    check(rc == 0 and task and json.loads(task["input"]) ==
          {"doc": "report.pdf"}, "get-activity-task: %s %s" % (task, err))
    tok = task["taskToken"] if task else ""
    rc, _, err = aws(srv, "send-task-heartbeat", "--task-token", tok)
    check(rc == 0, "send-task-heartbeat: " + err)
    rc, _, err = aws(srv, "send-task-success", "--task-token", tok,
                     "--task-output", '{"pages": 3}')
    check(rc == 0, "send-task-success: " + err)
    d = ended(srv, ex)
    check(d and json.loads(d["output"]) == {"pages": 3},
          "the activity's output: %s" % d)
    ev = history(srv, ex)
    types = [e["type"] for e in ev]
    check(types == ["ExecutionStarted", "TaskStateEntered",
                    "ActivityScheduled", "ActivityStarted",
                    "ActivitySucceeded", "TaskStateExited",
                    "ExecutionSucceeded"], "activity history: %s" % types)
    started = [e for e in ev if e["type"] == "ActivityStarted"]
    check(started and started[0]["activityStartedEventDetails"][
        "workerName"] == "printer-1", "ActivityStarted names the worker")
    rc, _, err = aws(srv, "delete-activity", "--activity-arn",
                     ACT + "printer")
    check(rc == 0, "delete-activity: " + err)
    rc, ls, _ = aws(srv, "list-activities")
    check(rc == 0 and ls["activities"] == [], "deleted: %s" % ls)


def boto_part(srv):
    sf = boto3.client("stepfunctions", endpoint_url=srv.url(),
                      region_name="us-east-1", aws_access_key_id="x",
                      aws_secret_access_key="y",
                      config=Config(retries={"max_attempts": 1},
                                    read_timeout=90))
    sm = sf.create_state_machine(name="ask2", definition=json.dumps(ASK),
                                 roleArn=ROLE)["stateMachineArn"]
    ex = sf.start_execution(stateMachineArn=sm,
                            input='{"order": 1}')["executionArn"]
    tok = token_in(srv, ex)
    sf.send_task_heartbeat(taskToken=tok)
    sf.send_task_success(taskToken=tok, output='{"ok": 1}')
    d = ended(srv, ex)
    check(d and json.loads(d["output"]) == {"ok": 1}, "boto3: callback")
    try:
        sf.send_task_failure(taskToken=tok, error="E")
        check(False, "boto3: a used token is refused")
    except sf.exceptions.TaskDoesNotExist:
        check(True, "")
    arn = sf.create_activity(name="scanner")["activityArn"]
    sm = sf.create_state_machine(name="scan", roleArn=ROLE, definition=json.dumps(
        {"StartAt": "S", "States": {"S": {"Type": "Task", "Resource": arn,
                                          "End": True}}}))["stateMachineArn"]
    ex = sf.start_execution(stateMachineArn=sm, input='{"page": 2}')[
        "executionArn"]
    task = sf.get_activity_task(activityArn=arn, workerName="scanner-9")
    check(json.loads(task["input"]) == {"page": 2}, "boto3: activity input")
    sf.send_task_failure(taskToken=task["taskToken"], error="Jammed",
                         cause="paper")
    d = ended(srv, ex)
    check(d and d["status"] == "FAILED" and d.get("error") == "Jammed",
          "boto3: the activity failed as sent: %s" % d)
    check("ActivityFailed" in [e["type"] for e in history(srv, ex)],
          "ActivityFailed in the history")


def main():
    if not AWS:
        print("serve-tasks: the AWS CLI is missing (make deps installs it)",
              file=sys.stderr)
        print("serve-tasks: 0 passed, 1 failed")
        return 1
    with tempfile.TemporaryDirectory() as td:
        bind = os.path.join(td, "b.json")
        with open(bind, "w") as f:
            json.dump({"Functions": {"Echo": {"builtin": "echo"}}}, f)
        srv = Server(os.path.join(td, "asl.db"), bind)
        check(srv.port is not None, "the server starts")
        try:
            if srv.port:
                cli_part(srv)
                activity_part(srv)
                if boto3:
                    boto_part(srv)
                else:
                    check(False, "boto3 is missing (make deps installs it)")
        finally:
            srv.stop()
    print("serve-tasks: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
