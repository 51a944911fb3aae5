#!/usr/bin/env python3
"""ui_test.py ASL: the web UI of `asl serve`, driven by headless Chromium
over the DevTools protocol (a small stdlib websocket client below).

Starts `asl serve` on a free port with a temporary store, creates machines
through the API (a Choice, a Parallel, a Map, a Catch and a Fail; a Wait for
a live execution; a Pass for paging), runs executions to their end (one
succeeding, one caught then failing), then checks in the browser: every
state is in the graph with the right status class and colour, clicking a
state (a real mouse event) shows its input, output, error and cause, the
event table, the definition view without statuses, the status filter and
paging of executions, a running execution updating live; and over plain
HTTP: 404s, error pages for bad ARNs, HTML escaping. Writes a screenshot of
the execution page to build/ui-execution.png. Prints "ui: N passed, N
failed"; skips (0 passed, 0 failed, with a message) only when Chromium is
not installed.
"""
import base64
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

ASL = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build-san/asl")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SHOT = os.path.join(ROOT, "build", "ui-execution.png")
ROLE = "arn:aws:iam::123456789012:role/r"
ACCOUNT = "arn:aws:states:us-east-1:123456789012"
passed = failed = 0

# A state name that would be markup if it were not escaped, with a control
# character XML forbids (the SVG must still parse).
ODD = "Tag <i>&\"q\"</i>\u0001"
MAIN = {"StartAt": "Check", "States": {
    "Check": {"Type": "Choice", "Choices": [
        {"Variable": "$.mode", "StringEquals": "boom", "Next": "Risky"}],
        "Default": "Fan"},
    "Fan": {"Type": "Parallel", "ResultPath": "$.fan", "Next": ODD,
            "Branches": [
                {"StartAt": "B1", "States": {
                    "B1": {"Type": "Pass", "Result": 1, "End": True}}},
                {"StartAt": "Each", "States": {
                    "Each": {"Type": "Map", "ItemsPath": "$.items",
                             "ItemProcessor": {"StartAt": "Item", "States": {
                                 "Item": {"Type": "Pass", "End": True}}},
                             "End": True}}}]},
    ODD: {"Type": "Pass", "Next": "Done"},
    "Risky": {"Type": "Parallel", "Next": "Done",
              "Branches": [{"StartAt": "Bad", "States": {
                  "Bad": {"Type": "Fail", "Error": "Boom",
                          "Cause": "bad thing"}}}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err",
                         "Next": "Recover"}]},
    "Recover": {"Type": "Pass", "Parameters": {"recovered.$": "$.err.Error"},
                "Next": "Stop"},
    "Stop": {"Type": "Fail", "Error": "Caught", "Cause": "went through catch"},
    "Done": {"Type": "Succeed"}}}
ALL_STATES = {"Check", "Fan", "B1", "Each", "Item", ODD, "Risky", "Bad",
              "Recover", "Stop", "Done"}
WAITS = {"StartAt": "Nap", "States": {
    "Nap": {"Type": "Wait", "Seconds": 3, "Next": "After"},
    "After": {"Type": "Pass", "Result": "awake", "End": True}}}
QUICK = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
# Choice rules of every shape, for their edge labels (never run).
LABELS = {"StartAt": "C", "States": {
    "C": {"Type": "Choice", "Default": "Z", "Choices": [
        {"Variable": "$.n", "NumericLessThanEqualsPath": "$.max", "Next": "A"},
        {"Variable": "$.n", "NumericGreaterThan": 7, "Next": "A"},
        {"And": [{"Variable": "$.s", "IsPresent": True},
                 {"Not": {"Variable": "$.s", "StringMatches": "x*"}}],
         "Next": "A"},
        {"Variable": "$.b", "BooleanEquals": False, "Next": "A"}]},
    "A": {"Type": "Pass", "End": True},
    "Z": {"Type": "Pass", "End": True}}}
# A Lambda Task (a local command that fails) retried, then caught.
TASKS = {"StartAt": "T", "States": {
    "T": {"Type": "Task",
          "Resource": "arn:aws:lambda:us-east-1:123456789012:function:Flaky",
          "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1,
                     "IntervalSeconds": 1}],
          "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}],
          "End": True},
    "H": {"Type": "Pass", "End": True}}}
BINDINGS = {"Functions": {"Flaky": {"command": [
    "sh", "-c", "cat >/dev/null; echo oops >&2; exit 3"]}}}
LABEL_TEXTS = ["$.n &lt;= $.max", "$.n &gt; 7",
               "$.s is present &amp;&amp; !($.s matches &quot;x*&quot;)",
               "$.b == false", "Default"]

# colours of app.css, as getComputedStyle gives them
FILL = {"succeeded": "rgb(215, 240, 220)", "failed": "rgb(249, 214, 213)",
        "caught": "rgb(255, 229, 194)", "running": "rgb(214, 230, 251)",
        "notreached": "rgb(255, 255, 255)"}


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL ui:", what, file=sys.stderr)


# ---- the server and its API ----

class Server:
    def __init__(self, db, bindings):
        env = dict(os.environ)
        supp = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "ui_lsan.supp")
        # Graphviz keeps allocations of its plugins for the process's life
        env["LSAN_OPTIONS"] = "suppressions=" + supp
        self.p = subprocess.Popen(
            [ASL, "serve", "--port", "0", "--db", db, "--bindings",
             bindings], env=env,
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
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

    def url(self, path="/"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        try:
            return self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            return None


def api(srv, op, body):
    req = urllib.request.Request(
        srv.url(), data=json.dumps(body).encode(), method="POST",
        headers={"X-Amz-Target": "AWSStepFunctions." + op,
                 "Content-Type": "application/x-amz-json-1.0"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


def get(srv, path):
    """(status, content type, body text) of GET path."""
    try:
        with urllib.request.urlopen(srv.url(path), timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def run_to_end(srv, machine, name, inp, timeout=30):
    arn = api(srv, "StartExecution", {"stateMachineArn": machine,
                                      "name": name,
                                      "input": json.dumps(inp)})["executionArn"]
    end = time.time() + timeout
    while time.time() < end:
        d = api(srv, "DescribeExecution", {"executionArn": arn})
        if d["status"] != "RUNNING":
            return arn, d
        time.sleep(0.1)
    return arn, d


# ---- a minimal websocket client (RFC 6455) for the DevTools protocol ----

class WebSocket:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.s = socket.create_connection((u.hostname, u.port), timeout=60)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n" %
                        (u.path, u.hostname, u.port, key)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.s.recv(1)
            if not chunk:
                raise OSError("websocket handshake: connection closed")
            head += chunk
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise OSError("websocket handshake refused: %r" % head[:200])

    def send(self, text):
        data = text.encode()
        n = len(data)
        if n < 126:
            hdr = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            hdr = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.s.sendall(hdr + mask + body)

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                raise OSError("websocket closed")
            buf += chunk
        return buf

    def recv(self):
        parts = []
        while True:
            b0, b1 = self._exact(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._exact(8))[0]
            mask = self._exact(4) if b1 & 0x80 else None
            data = self._exact(n)
            if mask:
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
            op = b0 & 0x0F
            if op == 0x9:  # ping: answer, keep reading
                continue
            if op == 0x8:
                raise OSError("websocket closed by the browser")
            parts.append(data)
            if b0 & 0x80:
                return b"".join(parts).decode()


class Browser:
    """Headless Chromium with one page, driven over DevTools."""

    def __init__(self, exe):
        self.dir = tempfile.mkdtemp(prefix="asl-ui-chrome-")
        self.p = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check",
             "--hide-scrollbars", "--remote-debugging-port=0",
             "--remote-allow-origins=*", "--user-data-dir=" + self.dir,
             "--window-size=1400,1100", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        ws = None
        end = time.time() + 60
        for line in self.p.stderr:
            if "DevTools listening on " in line:
                ws = line.split("DevTools listening on ")[1].strip()
                break
            if time.time() > end:
                break
        if not ws:
            raise OSError("chromium did not start its DevTools server")
        threading.Thread(target=lambda: [_ for _ in self.p.stderr],
                         daemon=True).start()
        port = urllib.parse.urlparse(ws).port
        with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port,
                                    timeout=30) as r:
            pages = [t for t in json.load(r) if t["type"] == "page"]
        self.ws = WebSocket(pages[0]["webSocketDebuggerUrl"])
        self.seq = 0
        self.cmd("Emulation.setDeviceMetricsOverride",
                 {"width": 1400, "height": 1100, "deviceScaleFactor": 1,
                  "mobile": False})

    def cmd(self, method, params=None):
        self.seq += 1
        me = self.seq
        self.ws.send(json.dumps({"id": me, "method": method,
                                 "params": params or {}}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == me:
                if "error" in m:
                    raise OSError("%s: %s" % (method, m["error"]))
                return m.get("result", {})

    def eval(self, expr):
        r = self.cmd("Runtime.evaluate", {"expression": expr,
                                          "returnByValue": True,
                                          "awaitPromise": True})
        if "exceptionDetails" in r:
            raise OSError("JS error in %s: %s" % (expr[:80],
                                                 r["exceptionDetails"]))
        return r["result"].get("value")

    def goto(self, url, ready="document.body && document.body.dataset.loaded",
             timeout=20):
        self.cmd("Page.navigate", {"url": url})
        return self.wait(ready, timeout)

    def wait(self, expr, timeout=20):
        end = time.time() + timeout
        while time.time() < end:
            try:
                v = self.eval(expr)
            except OSError:
                v = None  # the page is being replaced
            if v:
                return v
            time.sleep(0.1)
        return None

    def click(self, selector):
        """A real mouse click at the middle of the element."""
        box = self.eval("(() => { const e = document.querySelector(%s);"
                        " if (!e) return null; e.scrollIntoView({block:"
                        "'center'}); const r = e.getBoundingClientRect();"
                        " return [r.x + r.width / 2, r.y + r.height / 2]; })()"
                        % json.dumps(selector))
        if not box:
            return False
        for t in ("mousePressed", "mouseReleased"):
            self.cmd("Input.dispatchMouseEvent",
                     {"type": t, "x": box[0], "y": box[1],
                      "button": "left", "clickCount": 1})
        return True

    def screenshot(self, path):
        dims = self.eval("[document.documentElement.scrollWidth,"
                         " document.documentElement.scrollHeight]")
        self.cmd("Emulation.setDeviceMetricsOverride",
                 {"width": 1400, "height": min(max(dims[1], 800), 4000),
                  "deviceScaleFactor": 1, "mobile": False})
        self.eval("window.scrollTo(0, 0)")
        data = self.cmd("Page.captureScreenshot", {"format": "png"})["data"]
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.cmd("Browser.close")
        except OSError:
            pass
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def sel_id(name):
    return "#st-" + name.encode().hex()


def statuses(b):
    """{state name: data-status} of the graph's state nodes."""
    return b.eval("Object.fromEntries(Array.from(document.querySelectorAll("
                  "'#graph g.node.state')).map(n => [n.dataset.name,"
                  " n.dataset.status || null]))")


def fills(b):
    return b.eval("Object.fromEntries(Array.from(document.querySelectorAll("
                  "'#graph g.node.state')).map(n => [n.dataset.name,"
                  " getComputedStyle(n.querySelector('path, polygon')).fill]))")


def panel(b):
    return b.eval("Object.fromEntries(['name', 'input', 'output', 'error',"
                  " 'cause'].map(k => [k, (document.getElementById('panel-' +"
                  " k) || {}).textContent]))")


def parsed(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return "<not JSON: %r>" % (text,)


# ---- the checks ----

def http_checks(srv, machine, boom):
    st, ct, body = get(srv, "/")
    check(st == 200 and ct.startswith("text/html") and "asl serve" in body
          and "/ui/app.js" in body, "GET / is the UI's page")
    st, ct, js = get(srv, "/ui/app.js")
    check(st == 200 and "javascript" in ct and "executionPage" in js,
          "app.js is served from the binary")
    st, ct, _ = get(srv, "/ui/app.css")
    check(st == 200 and ct.startswith("text/css"), "app.css is served")
    for path in ("/nope", "/ui/nope.js", "/ui/../api.c", "/machine/x",
                 "/ui/index.html"):
        st, ct, body = get(srv, path)
        check(st == 404 and "Not found" in body, "GET %s is 404 (%d)" %
              (path, st))
    st, _, body = get(srv, "/execution?arn=" +
                      urllib.parse.quote(ACCOUNT + ":execution:ui:nothing"))
    check(st == 404 and "ExecutionDoesNotExist" in body and
          "Execution Does Not Exist" in body,
          "an unknown execution is a 404 page saying so (%d)" % st)
    bad = "<script>alert(1)</script>"
    st, _, body = get(srv, "/machine?arn=" + urllib.parse.quote(bad))
    check(st == 400 and "InvalidArn" in body and bad not in body and
          "&lt;script&gt;alert(1)&lt;/script&gt;" in body,
          "a bad machine ARN is a 400 page with the ARN escaped (%d)" % st)
    st, _, body = get(srv, "/execution?arn=" + urllib.parse.quote(machine))
    check(st == 400 and "InvalidArn" in body,
          "a machine ARN on the execution page is a clear 400 (%d)" % st)
    st, _, body = get(srv, "/execution")
    check(st == 400 and "Missing ARN" in body, "a page without arn is a 400")
    st, ct, svg = get(srv, "/ui/graph.svg?arn=" + urllib.parse.quote(machine))
    check(st == 200 and ct.startswith("image/svg+xml") and "<svg" in svg,
          "the graph is SVG")
    check(ODD not in svg and "Tag &lt;i&gt;&amp;" in svg,
          "state names are escaped in the SVG")
    check(svg.count('class="cluster"') == 7,
          "Parallel branches and the Map's processor are nested boxes (%d)"
          % svg.count('class="cluster"'))
    check("$.mode == &quot;boom&quot;" in svg and "Default" in svg and
          "Catch States.ALL" in svg,
          "Choice rule, Default and Catch labels are on the edges")
    st, ct, svg = get(srv, "/ui/graph.svg?arn=" + urllib.parse.quote(
        machine.replace(":ui", ":labels")))
    for t in LABEL_TEXTS:
        check(t in svg, "Choice label %r is on the labels graph" % t)
    st, ct, body = get(srv, "/ui/graph.svg?arn=nonsense")
    check(st == 400 and "InvalidArn" in body, "graph of a bad ARN is a 400")
    st, ct, body = get(srv, "/ui/execution.json?arn=" + urllib.parse.quote(boom))
    d = json.loads(body) if st == 200 else {}
    check(st == 200 and d.get("states", {}).get("Risky", {}).get("status") ==
          "caught", "execution.json: Risky caught")


def execution_page(b, srv, arn, expect, title):
    """Opens arn's page, checks every state's status and colour."""
    ok = b.goto(srv.url("/execution?arn=" + urllib.parse.quote(arn)))
    check(ok and ok != "error", "%s: the execution page loads (%r)" %
          (title, ok))
    got = statuses(b) or {}
    check(set(got) == ALL_STATES, "%s: the graph shows every state, got %s" %
          (title, sorted(got)))
    for name, want in expect.items():
        check(got.get(name) == want, "%s: %s is %s, got %s" %
              (title, name, want, got.get(name)))
    colours = fills(b) or {}
    bad = {n: c for n, c in colours.items()
           if c != FILL.get(got.get(n), "?")}
    check(colours and not bad, "%s: each state has its status colour, "
          "wrong: %s" % (title, bad))
    return got


def browser_checks(b, srv, machine, ok_arn, boom_arn, wait_machine, quick):
    # the execution that went through the Catch and then failed
    boom_expect = {"Check": "succeeded", "Risky": "caught", "Bad": "failed",
                   "Recover": "succeeded", "Stop": "failed",
                   "Fan": "notreached", "B1": "notreached",
                   "Each": "notreached", "Item": "notreached",
                   ODD: "notreached", "Done": "notreached"}
    execution_page(b, srv, boom_arn, boom_expect, "boom")
    check(b.eval("document.getElementById('exec-status').textContent") ==
          "FAILED", "boom: the header says FAILED")
    hist = api(srv, "GetExecutionHistory", {"executionArn": boom_arn,
                                            "maxResults": 1000})["events"]
    rows = b.eval("document.querySelectorAll('#events tbody tr').length")
    check(rows == len(hist), "boom: the event table has every event (%s of %d)"
          % (rows, len(hist)))
    entered = {e["stateEnteredEventDetails"]["name"]:
               e["stateEnteredEventDetails"]["input"] for e in hist
               if "stateEnteredEventDetails" in e}
    exited = {e["stateExitedEventDetails"]["name"]:
              e["stateExitedEventDetails"]["output"] for e in hist
              if "stateExitedEventDetails" in e}
    check(b.click(sel_id("Recover")), "boom: Recover can be clicked")
    b.wait("(document.getElementById('panel-name') || {}).textContent"
           " === 'Recover'", 5)
    p = panel(b) or {}
    check(p.get("name") == "Recover", "boom: clicking Recover selects it (%r)"
          % p.get("name"))
    check(parsed(p.get("input")) == json.loads(entered["Recover"]),
          "boom: the panel shows Recover's input: %r" % p.get("input"))
    check(parsed(p.get("output")) == json.loads(exited["Recover"]) and
          parsed(p.get("output")).get("recovered") == "Boom",
          "boom: the panel shows Recover's output: %r" % p.get("output"))
    check(b.eval("document.querySelector(%s).classList.contains('selected')"
                 % json.dumps(sel_id("Recover"))),
          "boom: the selected state is marked in the graph")
    b.click(sel_id("Bad"))
    b.wait("(document.getElementById('panel-name') || {}).textContent"
           " === 'Bad'", 5)
    p = panel(b) or {}
    check(p.get("name") == "Bad" and p.get("error") == "Boom" and
          p.get("cause") == "bad thing",
          "boom: the failed state shows its error and cause: %r" % p)
    b.click(sel_id("Risky"))
    b.wait("(document.getElementById('panel-name') || {}).textContent"
           " === 'Risky'", 5)
    p = panel(b) or {}
    check(parsed(p.get("output")) ==
          json.loads(exited["Risky"]) and "err" in parsed(p.get("output")),
          "boom: the caught Parallel's output holds the caught error")
    # a row of the event table selects its state too
    b.eval("Array.from(document.querySelectorAll('#events tbody tr'))"
           ".find(r => r.dataset.state === 'Check').click()")
    p = panel(b) or {}
    check(p.get("name") == "Check", "boom: an event row selects its state")
    b.click(sel_id("Recover"))
    b.wait("(document.getElementById('panel-name') || {}).textContent"
           " === 'Recover'", 5)
    b.screenshot(SHOT)
    size = os.path.getsize(SHOT) if os.path.exists(SHOT) else 0
    with open(SHOT, "rb") as f:
        magic = f.read(8)
    check(magic == b"\x89PNG\r\n\x1a\n" and size > 20000,
          "the screenshot is written (%d bytes)" % size)

    # the execution that succeeded: the Map's item ran 3 times
    ok_expect = {"Check": "succeeded", "Fan": "succeeded", "B1": "succeeded",
                 "Each": "succeeded", "Item": "succeeded", ODD: "succeeded",
                 "Done": "succeeded", "Risky": "notreached",
                 "Bad": "notreached", "Recover": "notreached",
                 "Stop": "notreached"}
    execution_page(b, srv, ok_arn, ok_expect, "ok")
    b.click(sel_id("Item"))
    b.wait("document.getElementById('panel-run')", 5)
    n = b.eval("document.querySelectorAll('#panel-run option').length")
    check(n == 3, "ok: the Map's item shows its 3 runs (%s)" % n)
    check(parsed((panel(b) or {}).get("input")) == 3,
          "ok: the last run of the item is shown first")
    b.eval("const s = document.getElementById('panel-run'); s.value = '0';"
           " s.dispatchEvent(new Event('change'))")
    check(parsed((panel(b) or {}).get("input")) == 1,
          "ok: choosing run 1 shows its input")
    b.click(sel_id(ODD))
    b.wait("(document.getElementById('panel-name') || {}).textContent"
           " === %s" % json.dumps(ODD), 5)
    check(b.eval("document.getElementById('panel-name').textContent") == ODD
          and b.eval("document.querySelectorAll('#panel-name i, #graph i,"
                     " #events i').length") == 0,
          "ok: a state name with markup is shown as text")
    b.click(sel_id("Stop"))
    b.wait("(document.getElementById('panel-name') || {}).textContent"
           " === 'Stop'", 5)
    check("not reached" in b.eval("document.getElementById('panel')"
                                  ".textContent"),
          "ok: a state never reached says so")

    # the definition view: the same graph, no statuses
    b.goto(srv.url("/machine?arn=" + urllib.parse.quote(machine)),
           "document.querySelectorAll('#graph g.node.state').length &&"
           " document.querySelectorAll('#executions tbody tr a').length")
    names = b.eval("Array.from(document.querySelectorAll('#graph g.node"
                   ".state')).map(n => n.id)") or []
    check(sorted(names) == sorted(sel_id(n)[1:] for n in ALL_STATES),
          "definition view: every state is in the graph")
    check(b.eval("document.querySelectorAll('#graph [data-status]').length")
          == 0, "definition view: no state has a status")
    rows = b.eval("Array.from(document.querySelectorAll('#executions tbody"
                  " tr a')).map(a => a.textContent).sort()")
    check(rows == ["boom", "ok"], "definition view lists its executions: %r"
          % rows)
    b.eval("const s = document.getElementById('status-filter');"
           " s.value = 'FAILED'; s.dispatchEvent(new Event('change'))")
    got = b.wait("(() => { const r = Array.from(document.querySelectorAll("
                 "'#executions tbody tr a')).map(a => a.textContent);"
                 " return r.length === 1 && r; })()", 5)
    check(got == ["boom"], "the status filter keeps FAILED ones: %r" % got)

    # paging: 23 executions, 20 a page
    b.goto(srv.url("/machine?arn=" + urllib.parse.quote(quick)),
           "document.querySelectorAll('#executions tbody tr a').length")
    first = b.eval("document.querySelectorAll('#executions tbody tr a')"
                   ".length")
    check(first == 20, "page 1 has 20 executions (%s)" % first)
    check(b.eval("document.getElementById('prev-page').disabled") is True,
          "page 1 has no previous page")
    b.click("#next-page")
    second = b.wait("(() => { const n = document.querySelectorAll("
                    "'#executions tbody tr a').length; return n < 20 && n;"
                    " })()", 5)
    check(second == 3, "page 2 has the 3 others (%s)" % second)
    check(b.eval("document.getElementById('next-page').disabled") is True,
          "the last page has no next page")
    b.click("#prev-page")
    back = b.wait("(() => { const n = document.querySelectorAll("
                  "'#executions tbody tr a').length; return n === 20 && n;"
                  " })()", 5)
    check(back == 20, "back to page 1 (%s)" % back)

    # the list of machines links to each
    b.goto(srv.url("/"), "document.querySelectorAll('#machines a').length")
    got = b.eval("Array.from(document.querySelectorAll('#machines a'))"
                 ".map(a => a.textContent).sort()")
    check(got == ["labels", "naps", "quick", "tasks", "ui"],
          "the machines page lists them: %r"
          % got)

    # a running execution updates live, without reloading
    arn = api(srv, "StartExecution", {"stateMachineArn": wait_machine,
                                      "name": "live"})["executionArn"]
    b.goto(srv.url("/execution?arn=" + urllib.parse.quote(arn)))
    b.eval("window.notReloaded = true")
    got = statuses(b) or {}
    check(got.get("Nap") == "running" and got.get("After") == "notreached",
          "live: the Wait is running, the next state not reached: %r" % got)
    check(b.eval("getComputedStyle(document.querySelector(%s).querySelector("
                 "'path, polygon')).fill" % json.dumps(sel_id("Nap"))) ==
          FILL["running"], "live: the running state has its colour")
    done = b.wait("document.body.dataset.loaded === 'SUCCEEDED'", 15)
    got = statuses(b) or {}
    check(done and b.eval("window.notReloaded === true") and
          got == {"Nap": "succeeded", "After": "succeeded"},
          "live: the page turns SUCCEEDED by itself: %r" % got)
    check(b.eval("document.getElementById('exec-status').textContent") ==
          "SUCCEEDED", "live: the header follows")


def main():
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        print("ui: skipped: chromium is not installed (scripts/deps.sh "
              "installs it)", file=sys.stderr)
        print("ui: 0 passed, 0 failed")
        return 0
    tmp = tempfile.mkdtemp(prefix="asl-ui-")
    with open(os.path.join(tmp, "bindings.json"), "w") as f:
        json.dump(BINDINGS, f)
    srv = Server(os.path.join(tmp, "asl.db"),
                 os.path.join(tmp, "bindings.json"))
    b = None
    try:
        check(srv.port is not None, "asl serve starts")
        if srv.port is None:
            print("".join(srv.log), file=sys.stderr)
            return 1
        mk = lambda name, d: api(srv, "CreateStateMachine", {
            "name": name, "definition": json.dumps(d),
            "roleArn": ROLE})["stateMachineArn"]
        machine = mk("ui", MAIN)
        wait_machine = mk("naps", WAITS)
        quick = mk("quick", QUICK)
        mk("labels", LABELS)
        task_arn, d = run_to_end(srv, mk("tasks", TASKS), "t", {})
        check(d["status"] == "SUCCEEDED", "the caught Task's execution "
              "succeeds (%s)" % d["status"])
        st, _, body = get(srv, "/ui/execution.json?arn=" +
                          urllib.parse.quote(task_arn))
        states = json.loads(body).get("states", {}) if st == 200 else {}
        t = states.get("T", {})
        check(t.get("status") == "caught" and t.get("count") == 1 and
              t["runs"][0].get("error") == "Runtime.ExitError" and
              "exit status 3" in t["runs"][0].get("cause", ""),
              "a Task retried then caught is caught, with its error: %r" % t)
        check(states.get("H", {}).get("status") == "succeeded",
              "the Catch's handler succeeded")
        ok_arn, d = run_to_end(srv, machine, "ok",
                               {"mode": "fine", "items": [1, 2, 3]})
        check(d["status"] == "SUCCEEDED", "the ok execution succeeds")
        boom_arn, d = run_to_end(srv, machine, "boom",
                                 {"mode": "boom", "items": []})
        check(d["status"] == "FAILED" and d.get("error") == "Caught",
              "the boom execution is caught then fails")
        for i in range(23):
            run_to_end(srv, quick, "q%02d" % i, {})
        http_checks(srv, machine, boom_arn)
        b = Browser(exe)
        browser_checks(b, srv, machine, ok_arn, boom_arn, wait_machine, quick)
    except Exception as e:  # a broken step is a failure, not a crash
        check(False, "the test ran to its end: %r" % e)
    finally:
        if b:
            b.close()
        rc = srv.stop()
        check(rc == 0, "asl serve stops cleanly (rc %s)" % rc)
        if rc != 0:
            print("".join(srv.log)[-3000:], file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
    print("ui: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
