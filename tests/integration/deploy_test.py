#!/usr/bin/env python3
"""deploy_test.py ASL: `asl deploy`, `asl serve` verifying SigV4 and
`asl export cloudformation`, end to end with real parts.

`asl serve --credentials` runs on a free port under a temporary ASL_HOME;
`asl deploy --endpoint-url` creates a machine, updates it, and a third
identical deploy changes nothing; a wrong secret is refused and changes
nothing; the real AWS CLI (Debian's /usr/bin/aws) and boto3 read the
definition back with the right credentials and are refused with a wrong
secret, an unknown key, no signature, or a signature 20 minutes old.
Credentials also come from a profile file, a session token is redacted from
--dry-run, a throttling endpoint is retried, and the exported template for
workflows/etl.json names what the definition uses and no "*" action.
Prints "deploy: N passed, N failed".
"""
import hashlib
import hmac
import http.client
import http.server
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
    import botocore.exceptions
except ImportError:  # the image's own Python may lack it: Debian's has it
    if (os.path.exists("/usr/bin/python3") and
            sys.executable != "/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    boto3 = None
try:
    import yaml
except ImportError:
    yaml = None

ASL = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/asl")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else shutil.which("aws")
AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
ROLE = "arn:aws:iam::123456789012:role/deployer"
ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:hello"
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL deploy:", what, file=sys.stderr)


TMP = tempfile.mkdtemp(prefix="asl-deploy-test-")
BASE_ENV = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
BASE_ENV.update(ASL_HOME=TMP, AWS_CONFIG_FILE="/dev/null",
                AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_PAGER="",
                AWS_EC2_METADATA_DISABLED="true", AWS_MAX_ATTEMPTS="1")


def env(secret=SECRET, akid=AKID, **more):
    e = dict(BASE_ENV, AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret,
             AWS_DEFAULT_REGION="us-east-1")
    e.update(more)
    return e


class Server:
    """asl serve on a free port, with args (e.g. --credentials FILE)."""

    def __init__(self, *args, environ=None):
        self.p = subprocess.Popen(
            [ASL, "serve", "--port", "0", "--db", os.path.join(TMP, "asl.db")]
            + list(args), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
            text=True, env=environ or BASE_ENV)
        self.log = []
        self.port = None
        for line in self.p.stderr:
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

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
        return "".join(self.log)


def write(name, text):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def deploy(srv_url, definition, *more, environ=None):
    r = subprocess.run([ASL, "deploy", definition, "--name", "hello",
                        "--role-arn", ROLE, "--endpoint-url", srv_url]
                       + list(more), capture_output=True, text=True,
                       env=environ or env(), timeout=120)
    return r.returncode, r.stdout, r.stderr


def aws(srv, environ, *args):
    r = subprocess.run([AWS, "stepfunctions", "--endpoint-url", srv.url(),
                        "--output", "json"] + list(args), capture_output=True,
                       text=True, env=environ, timeout=60)
    try:
        out = json.loads(r.stdout) if r.stdout.strip() else None
    except json.JSONDecodeError:
        out = None
    return r.returncode, out, r.stderr


def sign(method, host, body, target, amz_date, secret=SECRET):
    """A SigV4 Authorization the way botocore writes it (for a raw request
    with a chosen date)."""
    signed = "content-type;host;x-amz-date;x-amz-target"
    creq = "\n".join([method, "/", "",
                      "content-type:application/x-amz-json-1.0\nhost:%s\n"
                      "x-amz-date:%s\nx-amz-target:%s\n" % (host, amz_date,
                                                            target),
                      signed, hashlib.sha256(body.encode()).hexdigest()])
    scope = "%s/us-east-1/states/aws4_request" % amz_date[:8]
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for m in (amz_date[:8], "us-east-1", "states", "aws4_request"):
        k = hmac.new(k, m.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return ("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, "
            "Signature=%s" % (AKID, scope, signed, sig))


def raw(srv, target, body, amz_date=None, secret=SECRET):
    host = "127.0.0.1:%d" % srv.port
    h = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target,
         "Host": host}
    if amz_date:
        h["X-Amz-Date"] = amz_date
        h["Authorization"] = sign("POST", host, body, target, amz_date, secret)
    c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    c.request("POST", "/", body=body, headers=h)
    r = c.getresponse()
    data = r.read().decode()
    c.close()
    return r.status, json.loads(data)


def definition_of(srv):
    rc, out, _ = aws(srv, env(), "describe-state-machine",
                     "--state-machine-arn", ARN)
    return out["definition"] if rc == 0 and out else None


# ---- a server with credentials ----

def test_serve_and_deploy():
    creds = write("creds.json", json.dumps({"AccessKeyId": AKID,
                                            "SecretAccessKey": SECRET}))
    srv = Server("--credentials", creds)
    check(srv.port is not None, "serve --credentials starts")
    check(any("verifying SigV4 signatures" in l for l in srv.log),
          "serve says it verifies: %r" % srv.log)
    check(not any(SECRET in l for l in srv.log), "serve never prints the secret")
    try:
        d1 = write("hello.json", '{"StartAt":"A","States":{"A":{"Type":"Pass",'
                   '"Result":"${Greeting}","End":true}}}')
        # create
        rc, out, err = deploy(srv.url(), d1, "--sub", "Greeting=hi",
                              "--tags", "env=dev,team=data")
        check(rc == 0 and out.strip() == ARN and "created" in err,
              "first deploy creates: %d %r %r" % (rc, out, err))
        check(SECRET not in out + err, "deploy never prints the secret")
        got = definition_of(srv)
        check(got and json.loads(got)["States"]["A"]["Result"] == "hi",
              "the CLI reads the substituted definition back: %r" % got)
        rc, tags, _ = aws(srv, env(), "list-tags-for-resource",
                          "--resource-arn", ARN)
        check(rc == 0 and {"key": "team", "value": "data"} in tags["tags"],
              "tags are set: %r" % tags)
        # update
        rc, out, err = deploy(srv.url(), d1, "--sub", "Greeting=ho")
        check(rc == 0 and out.strip() == ARN and "updated" in err,
              "second deploy updates: %d %r %r" % (rc, out, err))
        got = definition_of(srv)
        check(got and json.loads(got)["States"]["A"]["Result"] == "ho",
              "the update is what the CLI reads: %r" % got)
        # unchanged
        rc, out, err = deploy(srv.url(), d1, "--sub", "Greeting=ho")
        check(rc == 0 and out.strip() == ARN and "unchanged" in err,
              "an identical deploy changes nothing: %d %r %r" % (rc, out, err))
        # a new role is a change
        rc, out, err = deploy(srv.url(), d1, "--sub", "Greeting=ho",
                              environ=env())
        check("unchanged" in err, "same again: unchanged")
        # wrong secret: refused, nothing changed
        rc, out, err = deploy(srv.url(), d1, "--sub", "Greeting=bad",
                              environ=env(secret=SECRET[:-1] + "X"))
        check(rc == 1 and "InvalidSignatureException" in err and
              "signature we calculated does not match" in err and
              "nothing was changed" in err and out == "",
              "a wrong secret is refused clearly: %d %r" % (rc, err))
        got = definition_of(srv)
        check(got and json.loads(got)["States"]["A"]["Result"] == "ho",
              "the refused deploy changed nothing: %r" % got)
        # an invalid definition is refused before anything is sent
        bad = write("bad.json", '{"StartAt":"Nope","States":{"A":'
                    '{"Type":"Pass","End":true}}}')
        rc, out, err = deploy(srv.url(), bad)
        check(rc == 65 and "MISSING_TRANSITION_TARGET" in err and
              "nothing deployed" in err, "invalid definition: %d %r" % (rc, err))
        check(json.loads(definition_of(srv))["States"]["A"]["Result"] == "ho",
              "the invalid deploy changed nothing")
        # a type change is refused
        rc, out, err = deploy(srv.url(), d1, "--sub", "Greeting=ho", "--type",
                              "EXPRESS")
        check(rc == 1 and "type cannot become EXPRESS" in err,
              "type change refused: %d %r" % (rc, err))

        # the AWS CLI: right secret reads, the others are refused
        rc, out, err = aws(srv, env(), "describe-state-machine",
                           "--state-machine-arn", ARN)
        check(rc == 0 and out["roleArn"] == ROLE, "CLI describe: %d %s" % (rc, err))
        rc, out, err = aws(srv, env(secret="wrong"), "describe-state-machine",
                           "--state-machine-arn", ARN)
        check(rc != 0 and "InvalidSignatureException" in err and
              "The request signature we calculated does not match the "
              "signature you provided. Check your AWS Secret Access Key and "
              "signing method. Consult the service documentation for "
              "details." in err, "CLI wrong secret refused: %d %r" % (rc, err))
        rc, out, err = aws(srv, env(akid="AKIDUNKNOWN"), "list-state-machines")
        check(rc != 0 and "UnrecognizedClientException" in err and
              "The security token included in the request is invalid." in err,
              "CLI unknown key refused: %d %r" % (rc, err))
        rc, out, err = aws(srv, env(), "list-state-machines",
                           "--no-sign-request")
        check(rc != 0 and "MissingAuthenticationTokenException" in err and
              "Missing Authentication Token" in err,
              "CLI unsigned refused: %d %r" % (rc, err))
        rc, out, err = aws(srv, env(AWS_SESSION_TOKEN="tok"),
                           "list-state-machines")
        check(rc != 0 and "UnrecognizedClientException" in err,
              "a session token the server does not know is refused")

        # raw: statuses and the expiry message
        body = "{}"
        now = time.time()
        st, out = raw(srv, "AWSStepFunctions.ListStateMachines", body,
                      time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)))
        check(st == 200 and "stateMachines" in out, "raw signed: %d %r" % (st, out))
        old = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now - 20 * 60))
        st, out = raw(srv, "AWSStepFunctions.ListStateMachines", body, old)
        check(st == 400 and out["__type"].endswith("#InvalidSignatureException")
              and out["message"].startswith("Signature expired: %s is now "
                                            "earlier than " % old)
              and out["message"].endswith(" - 15 min.)"),
              "20 minutes old: %d %r" % (st, out))
        st, out = raw(srv, "AWSStepFunctions.ListStateMachines", body)
        check(st == 403 and out["__type"].endswith(
            "#MissingAuthenticationTokenException"), "raw unsigned: %d" % st)
        st, out = raw(srv, "AWSStepFunctions.ListStateMachines", body,
                      time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)),
                      secret="x")
        check(st == 400 and out["__type"].endswith("#InvalidSignatureException"),
              "raw wrong secret: %d" % st)

        # boto3
        if boto3:
            def client(secret):
                return boto3.client(
                    "stepfunctions", endpoint_url=srv.url(),
                    region_name="us-east-1", aws_access_key_id=AKID,
                    aws_secret_access_key=secret,
                    config=botocore.config.Config(retries={"max_attempts": 0}))
            d = client(SECRET).describe_state_machine(stateMachineArn=ARN)
            check(json.loads(d["definition"])["States"]["A"]["Result"] == "ho",
                  "boto3 reads the definition")
            try:
                client("wrong").describe_state_machine(stateMachineArn=ARN)
                check(False, "boto3 wrong secret accepted")
            except botocore.exceptions.ClientError as e:
                check(e.response["Error"]["Code"] == "InvalidSignatureException"
                      and e.response["ResponseMetadata"]["HTTPStatusCode"] == 400,
                      "boto3 wrong secret: %r" % e.response["Error"])
        else:
            print("deploy: boto3 missing: its checks skipped", file=sys.stderr)

        # credentials from a profile (the CLI's files), not the environment
        write("aws_credentials", "[default]\naws_access_key_id = nobody\n"
              "aws_secret_access_key = nothing\n\n[ci]\n"
              "aws_access_key_id = %s\naws_secret_access_key = %s\n"
              % (AKID, SECRET))
        write("aws_config", "[profile ci]\nregion = us-east-1\n")
        penv = dict(BASE_ENV,
                    AWS_SHARED_CREDENTIALS_FILE=os.path.join(TMP, "aws_credentials"),
                    AWS_CONFIG_FILE=os.path.join(TMP, "aws_config"))
        rc, out, err = deploy(srv.url(), d1, "--sub", "Greeting=ho",
                              "--profile", "ci", environ=penv)
        check(rc == 0 and "unchanged" in err and "[ci]" in err,
              "--profile ci from the files: %d %r" % (rc, err))
        rc, out, err = deploy(srv.url(), d1, "--sub", "Greeting=ho",
                              environ=dict(penv, AWS_PROFILE="ci"))
        check(rc == 0 and "unchanged" in err, "AWS_PROFILE=ci: %r" % err)
        rc, out, err = deploy(srv.url(), d1, "--sub", "Greeting=ho",
                              "--profile", "nope", environ=penv)
        check(rc == 77 and "nope" in err, "an unknown profile: %d %r" % (rc, err))
        rc, out, err = deploy(srv.url(), d1, "--sub", "Greeting=ho",
                              environ=dict(BASE_ENV, AWS_DEFAULT_REGION="us-east-1"))
        check(rc == 77 and "Unable to locate credentials" in err,
              "no credentials: %d %r" % (rc, err))
        rc, out, err = deploy(srv.url(), d1, "--sub", "Greeting=ho",
                              environ=dict(env(), AWS_DEFAULT_REGION=""))
        check(rc == 77 and "region" in err, "no region: %d %r" % (rc, err))
        # the default profile of the file is used without --profile: refused
        rc, out, err = deploy(srv.url(), d1, "--sub", "Greeting=ho",
                              "--region", "us-east-1", environ=penv)
        check(rc == 1 and "UnrecognizedClientException" in err,
              "the default profile's key is unknown here: %d %r" % (rc, err))

        # --dry-run: the signed request, the session token redacted
        rc, out, err = deploy(srv.url(), d1, "--sub", "Greeting=dry",
                              "--dry-run",
                              environ=env(AWS_SESSION_TOKEN="sEcReTtOkEn"))
        check(rc == 0 and "X-Amz-Target: AWSStepFunctions.CreateStateMachine"
              in out and "Authorization: AWS4-HMAC-SHA256 Credential="
              "AKIDEXAMPLE/" in out and "x-amz-security-token" in out and
              "X-Amz-Security-Token: <redacted>" in out,
              "dry run prints the signed request: %r" % out)
        check(SECRET not in out + err and "sEcReTtOkEn" not in out + err,
              "dry run prints no secret and no token")
        check(json.loads(definition_of(srv))["States"]["A"]["Result"] == "ho",
              "the dry run sent nothing")
    finally:
        log = srv.stop()
    check(SECRET not in log, "the server log has no secret")


def test_serve_ini_and_open():
    ini = write("server_creds.ini", "[default]\naws_access_key_id = %s\n"
                "aws_secret_access_key = %s\n" % (AKID, SECRET))
    srv = Server("--credentials", ini)
    try:
        rc, out, err = aws(srv, env(), "list-state-machines")
        check(rc == 0, "an ini --credentials file: %d %s" % (rc, err))
        rc, out, err = aws(srv, env(secret="x"), "list-state-machines")
        check(rc != 0 and "InvalidSignatureException" in err, "ini: wrong secret")
    finally:
        srv.stop()
    # temporary credentials: the session token must come along
    tok = write("session.json", json.dumps([
        {"AccessKeyId": "ASIATEMP", "SecretAccessKey": SECRET,
         "SessionToken": "FQoGZXIvYXdzEXAMPLE"},
        {"AccessKeyId": AKID, "SecretAccessKey": SECRET}]))
    srv = Server("--credentials", tok)
    try:
        rc, out, err = aws(srv, env(akid="ASIATEMP",
                                    AWS_SESSION_TOKEN="FQoGZXIvYXdzEXAMPLE"),
                           "list-state-machines")
        check(rc == 0, "a session token that matches: %d %s" % (rc, err))
        rc, out, err = aws(srv, env(akid="ASIATEMP"), "list-state-machines")
        check(rc != 0 and "UnrecognizedClientException" in err,
              "a temporary key without its token is refused")
        rc, out, err = aws(srv, env(akid="ASIATEMP", AWS_SESSION_TOKEN="other"),
                           "list-state-machines")
        check(rc != 0 and "UnrecognizedClientException" in err,
              "a wrong session token is refused")
        rc, out, err = deploy(srv.url(), os.path.join(TMP, "hello.json"),
                              "--sub", "Greeting=ho",
                              environ=env(akid="ASIATEMP",
                                          AWS_SESSION_TOKEN="FQoGZXIvYXdzEXAMPLE"))
        check(rc == 0 and "FQoGZXIvYXdzEXAMPLE" not in out + err,
              "deploy signs with a session token: %d %r" % (rc, err))
    finally:
        srv.stop()
    srv = Server("--credentials", write("empty.json", "{}"))
    check(srv.port is None and srv.p.wait(timeout=10) == 65,
          "--credentials with no key is refused")
    srv = Server()  # no credentials anywhere: open, and says so
    try:
        check(any("accepting every request" in l for l in srv.log),
              "serve without credentials says so: %r" % srv.log)
        st, out = raw(srv, "AWSStepFunctions.ListStateMachines", "{}")
        check(st == 200, "unsigned accepted without credentials: %d" % st)
        rc, out, err = aws(srv, env(secret="anything"), "list-state-machines")
        check(rc == 0, "any signature accepted without credentials")
    finally:
        srv.stop()
    srv = Server(environ=env())  # the environment's key
    try:
        check(any("from AWS_ACCESS_KEY_ID" in l for l in srv.log),
              "serve takes the environment's key: %r" % srv.log)
        rc, out, err = aws(srv, env(secret="x"), "list-state-machines")
        check(rc != 0 and "InvalidSignatureException" in err,
              "environment key: wrong secret refused")
        rc, out, err = aws(srv, env(), "list-state-machines")
        check(rc == 0, "environment key: right secret accepted")
    finally:
        srv.stop()


# ---- a throttling endpoint ----

class Throttler(http.server.BaseHTTPRequestHandler):
    calls = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        op = self.headers["X-Amz-Target"].split(".")[1]
        Throttler.calls.append((op, self.headers["Authorization"]))
        if op == "ListStateMachines" and \
                sum(1 for c in Throttler.calls if c[0] == op) <= 2:
            self.reply(400, {"__type": "com.amazon.coral.availability#"
                             "ThrottlingException", "message": "Rate exceeded"})
        elif op == "ListStateMachines":
            self.reply(200, {"stateMachines": []})
        elif op == "CreateStateMachine":
            req = json.loads(body)
            self.reply(200, {"stateMachineArn": ARN.replace("hello", req["name"]),
                             "creationDate": 1.0})
        else:
            self.reply(400, {"__type": "x#AccessDeniedException",
                             "message": "no"})

    def reply(self, status, obj):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


def test_throttling():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Throttler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        d1 = os.path.join(TMP, "hello.json")
        url = "http://127.0.0.1:%d" % httpd.server_address[1]
        t0 = time.time()
        rc, out, err = deploy(url, d1, "--sub", "Greeting=t")
        ops = [c[0] for c in Throttler.calls]
        check(rc == 0 and out.strip() == ARN and "created" in err,
              "throttled twice, then created: %d %r" % (rc, err))
        check(ops == ["ListStateMachines"] * 3 + ["CreateStateMachine"],
              "retried ListStateMachines: %r" % ops)
        check(len({c[1] for c in Throttler.calls[:3]}) >= 1 and
              time.time() - t0 >= 0.2, "backed off between attempts")
    finally:
        httpd.shutdown()


class Race(Throttler):
    """Lists nothing, then says the machine exists (created meanwhile): the
    ARN comes from the error message."""
    calls = []
    definition = None

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        op = self.headers["X-Amz-Target"].split(".")[1]
        Race.calls.append(op)
        if op == "ListStateMachines":
            self.reply(200, {"stateMachines": []})
        elif op == "CreateStateMachine":
            self.reply(400, {"__type": "com.amazonaws.swf.service.v2.model#"
                             "StateMachineAlreadyExists", "message":
                             "State Machine Already Exists: '%s'" % ARN})
        elif op == "DescribeStateMachine" and body["stateMachineArn"] == ARN:
            self.reply(200, {"stateMachineArn": ARN, "name": "hello",
                             "definition": Race.definition, "roleArn": ROLE,
                             "type": "STANDARD", "creationDate": 1.0})
        else:
            self.reply(400, {"__type": "x#AccessDeniedException",
                             "message": "unexpected %s" % op})


def test_race():
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Race)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        d1 = os.path.join(TMP, "hello.json")
        with open(d1) as f:
            Race.definition = f.read().replace("${Greeting}", "r")
        url = "http://127.0.0.1:%d" % httpd.server_address[1]
        rc, out, err = deploy(url, d1, "--sub", "Greeting=r")
        check(rc == 0 and out.strip() == ARN and "unchanged" in err and
              Race.calls == ["ListStateMachines", "CreateStateMachine",
                             "DescribeStateMachine"],
              "AlreadyExists: the ARN from the message: %d %r %r" %
              (rc, err, Race.calls))
        Race.calls = []
        rc, out, err = deploy(url, d1, "--sub", "Greeting=other")
        check(rc == 1 and "AccessDeniedException" in err and
              "UpdateStateMachine" in err and Race.calls[-1] ==
              "UpdateStateMachine", "then an update, whose error is shown: "
              "%d %r" % (rc, err))
    finally:
        httpd.shutdown()


# ---- export ----

def test_export():
    etl = os.path.join(ROOT, "workflows", "etl.json")
    b = os.path.join(ROOT, "workflows", "etl.bindings.json")
    r = subprocess.run([ASL, "export", "cloudformation", etl, "--name", "etl",
                        "--bindings", b], capture_output=True, text=True,
                       env=BASE_ENV, timeout=60)
    check(r.returncode == 0, "export: %d %s" % (r.returncode, r.stderr))
    try:
        t = json.loads(r.stdout)
    except json.JSONDecodeError as e:
        check(False, "export is not JSON: %s" % e)
        return
    res = t["Resources"]
    check(res["StateMachine"]["Type"] == "AWS::StepFunctions::StateMachine" and
          res["StateMachineRole"]["Type"] == "AWS::IAM::Role",
          "a state machine and a role")
    props = res["StateMachine"]["Properties"]
    with open(etl) as f:
        check(props["Definition"] == json.load(f),
              "the definition as written (placeholders kept)")
    subs = props["DefinitionSubstitutions"]
    check(set(subs) == {"lambdaArn", "MySQLLambdaArn", "DatalakeBucket",
                        "AthenaResultsBucket"}, "substitutions: %r" % subs)
    check(t["Parameters"]["DatalakeBucket"]["Default"] == "asl-datalake",
          "parameters default to the bindings' values")
    stmts = res["StateMachineRole"]["Properties"]["Policies"][0][
        "PolicyDocument"]["Statement"]
    actions = [a for s in stmts for a in s["Action"]]
    resources = json.dumps([s["Resource"] for s in stmts])
    check(all("*" not in a for a in actions), "no '*' action: %r" % actions)
    check(all(s["Resource"] != "*" and "*" not in s["Resource"] for s in stmts),
          "no bare '*' resource")
    for fn in ("function:hello-world", "function:mysql-lambda"):
        check("arn:aws:lambda:us-east-1:123456789012:" + fn in resources,
              "the policy names %s" % fn)
    check("lambda:InvokeFunction" in actions, "lambda:InvokeFunction")
    for a in ("athena:StartQueryExecution", "athena:GetQueryExecution",
              "athena:GetQueryResults", "athena:StopQueryExecution",
              "glue:GetDatabase", "glue:CreateTable", "s3:GetObject",
              "s3:PutObject", "s3:GetBucketLocation"):
        check(a in actions, "the policy grants %s" % a)
    for bucket in ("asl-datalake", "asl-athena-results"):
        check("arn:aws:s3:::%s" % bucket in resources and
              "arn:aws:s3:::%s/*" % bucket in resources,
              "the policy names bucket %s" % bucket)
    check("database/mydatabase" in resources and "workgroup/primary" in
          resources, "the Glue database and Athena workgroup are named")
    check("dynamodb" not in resources and "states:StartExecution" not in
          actions, "nothing the definition does not use")
    if yaml:
        r = subprocess.run([ASL, "export", "cloudformation", etl, "--name",
                            "etl", "--bindings", b, "--format", "yaml"],
                           capture_output=True, text=True, env=BASE_ENV,
                           timeout=60)
        try:
            y = yaml.safe_load(r.stdout)
            check(y == t, "the YAML template is the JSON one")
        except yaml.YAMLError as e:
            check(False, "YAML does not parse: %s" % e)
    # other integrations: nested .sync, DynamoDB, S3 SDK, a JsonPath name
    other = write("other.json", json.dumps({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource":
              "arn:aws:states:::states:startExecution.sync:2", "Parameters": {
                  "StateMachineArn":
                  "arn:aws:states:us-east-1:123456789012:stateMachine:child"},
              "Next": "B"},
        "B": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
              "Parameters": {"TableName": "orders", "Item": {}}, "Next": "C"},
        "C": {"Type": "Task", "Resource":
              "arn:aws:states:::aws-sdk:s3:getObject", "Parameters": {
                  "Bucket": "b1", "Key.$": "$.key"}, "Next": "D"},
        "D": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"FunctionName.$": "$.fn"}, "End": True}}}))
    r = subprocess.run([ASL, "export", "cloudformation", other, "--name", "o"],
                       capture_output=True, text=True, env=BASE_ENV, timeout=60)
    t = json.loads(r.stdout)
    stmts = t["Resources"]["StateMachineRole"]["Properties"]["Policies"][0][
        "PolicyDocument"]["Statement"]
    by = {s["Sid"]: s for s in stmts}
    txt = json.dumps(stmts)
    check("states:StartExecution" in by["NestedExecutions"]["Action"] and
          "stateMachine:child" in txt and "execution:child:*" in txt,
          "nested .sync: StartExecution, Describe/Stop on its executions")
    check(set(by["SyncEventsRule"]["Action"]) == {"events:PutTargets",
                                                  "events:PutRule",
                                                  "events:DescribeRule"} and
          "StepFunctionsGetEventsForStepFunctionsExecutionRule" in txt,
          ".sync: the managed events rule")
    check(by["DynamoDBItems"]["Action"] == ["dynamodb:PutItem"] and
          "table/orders" in txt, "dynamodb:PutItem on the table")
    check(by["S3"]["Action"] == ["s3:GetObject"] and
          by["S3"]["Resource"] == ["arn:aws:s3:::b1/*"],
          "s3:GetObject on the bucket's objects (the key is dynamic)")
    notes = json.dumps(t["Metadata"]["asl"]["Notes"])
    check("FunctionName is given at run time" in notes,
          "a JsonPath FunctionName is noted: %s" % notes)
    check(all("*" not in a for s in stmts for a in s["Action"]),
          "no '*' action in the other template")


def main():
    try:
        test_serve_and_deploy()
        test_serve_ini_and_open()
        test_throttling()
        test_race()
        test_export()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print("deploy: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


main()
