/* lambda.c: AWS Lambda for Task states, run locally.
 *
 * Two resources, as AWS has them:
 *  - arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER], the bare
 *    function ARN: req->params (the Task's effective input) is the event and
 *    the Task's result is the function's answer itself; the engine writes
 *    LambdaFunction* history events for it.
 *  - arn:aws:states:::lambda:invoke, the optimised integration: Parameters
 *    FunctionName (a name, a partial or a full ARN, with an optional
 *    :QUALIFIER), Payload, Qualifier, InvocationType, LogType; the result is
 *    Lambda's Invoke response as Step Functions shows it (the envelope).
 *
 * The function NAME is looked up in the bindings' "Functions" (first as
 * "NAME:QUALIFIER", then as "NAME"): a local command that reads the event on
 * stdin and prints its answer on stdout, or a built-in C task
 * (builtins.c). The format is docs/bindings.md.
 *
 * What AWS does, and where it was seen. Recordings of real executions in
 * LocalStack's tests/aws/services/stepfunctions/v2 (snapshots marked
 * validated against AWS):
 *  - the lambda:invoke envelope, its header names and order, LogResult for
 *    LogType Tail: services/test_lambda_task_service.snapshot.json;
 *  - Payload absent or null: the function gets {} (same recording: an
 *    identity function answers 2 bytes); a string Payload holding JSON is
 *    sent as that JSON (test_invoke_json_values), any other string as a
 *    JSON string (LocalStack's lambda_eval_utils.to_payload_type);
 *  - a function's error: the Task's error is its errorType, the cause its
 *    payload, printed compactly for lambda:invoke
 *    (error_handling/test_task_service_lambda.snapshot.json) and as the
 *    function wrote it for a bare ARN (error_handling/test_task_lambda);
 *  - no such function: Lambda.ResourceNotFoundException, "Function not
 *    found: ARN (Service: AWSLambda; Status Code: 404; Error Code:
 *    ResourceNotFoundException; Request ID: ID; Proxy: null)" (same file);
 *  - the Task's own timeout: States.Timeout without a cause (same file,
 *    test_invoke_timeout).
 * AWS's documentation (step-functions/latest/dg/bp-lambda-serviceexception)
 * names Lambda.Unknown for a failure without an error type; its cause, "The
 * cause could not be determined because Lambda did not return an error type.
 * Returned payload: ...", and the payloads Lambda writes itself are quoted
 * from real invocations in public code: Runtime.ExitError "RequestId: ID
 * Error: Runtime exited with error: exit status 1" (or "signal: killed"),
 * Sandbox.Timedout "RequestId: ID Error: Task timed out after 3.00 seconds",
 * Function.ResponseSizeTooLarge "Response payload size exceeded maximum
 * allowed payload size (6291556 bytes).", RequestTooLargeException "N byte
 * payload is too large for the RequestResponse invocation type (limit
 * 6291456 bytes)". Runtime.InvalidEntrypoint is what Lambda answers when a
 * runtime cannot start ("fork/exec PATH: no such file or directory"). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../engine/json.h"
#include "lambda.h"

extern char **environ;

/* Lambda's synchronous invocation limits: request and response bytes. */
#define MAX_REQUEST 6291456
#define MAX_RESPONSE 6291556
/* LogType Tail returns the last 4 KB of the log. */
#define LOG_TAIL 4096
/* Where a bare function name lives when the context does not say. */
#define HOME_PARTITION "aws"
#define HOME_REGION "us-east-1"
#define HOME_ACCOUNT "123456789012"

/* ------------------------------------------------------------------ */
/* small helpers                                                        */
/* ------------------------------------------------------------------ */

static double now_epoch(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Request ids need to be unique, not secret: a per-thread xorshift seeded
 * once from getrandom (a system call per id cost more than the call). */
static void random_bytes(unsigned char *b, size_t n) {
  static _Thread_local uint64_t st;
  if (!st) {
    if (getrandom(&st, sizeof st, 0) != (ssize_t)sizeof st)
      st = (uint64_t)now_epoch() ^ (uint64_t)(uintptr_t)&st;
    st |= 1;
  }
  for (size_t i = 0; i < n; i++) {
    st ^= st << 13;
    st ^= st >> 7;
    st ^= st << 17;
    b[i] = (unsigned char)(st >> 24);
  }
}

/* A random version-4 UUID, as Lambda's request ids are. */
static void uuid4(char out[37]) {
  unsigned char b[16];
  random_bytes(b, sizeof b);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
  char *p = out;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    *p++ = "0123456789abcdef"[b[i] >> 4];
    *p++ = "0123456789abcdef"[b[i] & 15];
  }
  *p = 0;
}

static void random_hex(char *out, size_t digits) {
  unsigned char b[32];
  random_bytes(b, (digits + 1) / 2);
  for (size_t i = 0; i < digits; i++)
    out[i] = "0123456789abcdef"[(b[i / 2] >> (i % 2 ? 0 : 4)) & 15];
  out[digits] = 0;
}

/* RFC 7231 date of now: "Thu, 06 Nov 2025 12:31:47 GMT". */
static void http_date(char out[32]) {
  static const char *const days[] = {"Sun", "Mon", "Tue", "Wed",
                                     "Thu", "Fri", "Sat"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                       "May", "Jun", "Jul", "Aug",
                                       "Sep", "Oct", "Nov", "Dec"};
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
           tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
           tm.tm_min, tm.tm_sec);
}

static char *base64(const char *s, size_t n) {
  static const char tab[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  asl_buf b = {0};
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)(unsigned char)s[i] << 16;
    if (i + 1 < n) v |= (unsigned)(unsigned char)s[i + 1] << 8;
    if (i + 2 < n) v |= (unsigned)(unsigned char)s[i + 2];
    char q[4] = {tab[v >> 18 & 63], tab[v >> 12 & 63],
                 i + 1 < n ? tab[v >> 6 & 63] : '=',
                 i + 2 < n ? tab[v & 63] : '='};
    asl_buf_add(&b, q, 4);
  }
  return asl_buf_take(&b);
}

/* Go's spelling of system messages, as Lambda's own messages use them:
 * "no such file or directory", "killed". New string. */
static char *lower_first(const char *s) {
  char *p = asl_strdup(s ? s : "unknown");
  p[0] = (char)tolower((unsigned char)p[0]);
  return p;
}

/* ------------------------------------------------------------------ */
/* function references and resource ARNs                                */
/* ------------------------------------------------------------------ */

/* A function as Lambda names it; every string owned, qualifier NULL when
 * none was given. */
typedef struct target {
  char *partition, *region, *account, *name, *qualifier;
} target;

static void target_free(target *t) {
  free(t->partition);
  free(t->region);
  free(t->account);
  free(t->name);
  free(t->qualifier);
  memset(t, 0, sizeof *t);
}

/* Splits s in place at each ':' into f[]; returns the field count, or
 * max + 1 when there are more than max. */
static int split_colons(char *s, char **f, int max) {
  int n = 0;
  for (;;) {
    if (n == max) return max + 1;
    f[n++] = s;
    char *c = strchr(s, ':');
    if (!c) return n;
    *c = 0;
    s = c + 1;
  }
}

static int chars_in(const char *s, const char *extra, size_t max) {
  size_t n = strlen(s);
  if (n == 0 || n > max) return 0;
  for (; *s; s++)
    if (!isalnum((unsigned char)*s) && !strchr(extra, *s)) return 0;
  return 1;
}

/* Lambda's Invoke FunctionName and Qualifier patterns. */
static int name_ok(const char *s) { return chars_in(s, "-_.", 140); }
static int qualifier_ok(const char *s) {
  return strcmp(s, "$LATEST") == 0 || chars_in(s, "-_", 128);
}

static void target_set(target *t, const char *p, const char *r, const char *a,
                       const char *n, const char *q) {
  t->partition = asl_strdup(p);
  t->region = asl_strdup(r);
  t->account = asl_strdup(a);
  t->name = asl_strdup(n);
  t->qualifier = q ? asl_strdup(q) : NULL;
}

/* Reads a function reference: arn:P:lambda:R:A:function:N[:Q],
 * A:function:N[:Q] or N[:Q]; what it leaves out comes from home. 0, or -1
 * when ref has none of these shapes. */
static int target_parse(const char *ref, const target *home, target *t) {
  char *copy = asl_strdup(ref), *f[9];
  int n = split_colons(copy, f, 8);
  const char *p = home->partition, *r = home->region, *a = home->account;
  const char *name = NULL, *q = NULL;
  if ((n == 7 || n == 8) && !strcmp(f[0], "arn") && !strncmp(f[1], "aws", 3) &&
      !strcmp(f[2], "lambda") && !strcmp(f[5], "function")) {
    p = f[1], r = f[3], a = f[4], name = f[6], q = n == 8 ? f[7] : NULL;
  } else if ((n == 3 || n == 4) && !strcmp(f[1], "function")) {
    a = f[0], name = f[2], q = n == 4 ? f[3] : NULL;
  } else if (n == 1 || n == 2) {
    name = f[0], q = n == 2 ? f[1] : NULL;
  }
  int ok = name && name_ok(name) && (!q || qualifier_ok(q)) && *r && *a;
  if (ok) target_set(t, p, r, a, name, q);
  free(copy);
  return ok ? 0 : -1;
}

/* The execution's partition, region and account, from the context's
 * Execution.Id (arn:P:states:R:A:execution:...), else the defaults. */
static void target_home(const cJSON *context, target *home) {
  const cJSON *id = asl_json_get(asl_json_get(context, "Execution"), "Id");
  char *copy = asl_strdup(cJSON_IsString(id) ? id->valuestring : "");
  char *f[6];
  int n = split_colons(copy, f, 5);
  int ok = n >= 5 && !strcmp(f[0], "arn") && *f[1] && *f[3] && *f[4];
  target_set(home, ok ? f[1] : HOME_PARTITION, ok ? f[3] : HOME_REGION,
             ok ? f[4] : HOME_ACCOUNT, "", NULL);
  free(copy);
}

static char *target_arn(const target *t) {
  return asl_sprintf("arn:%s:lambda:%s:%s:function:%s%s%s", t->partition,
                     t->region, t->account, t->name, t->qualifier ? ":" : "",
                     t->qualifier ? t->qualifier : "");
}

/* A numbered version runs as itself; $LATEST and aliases (which only AWS
 * could resolve) report $LATEST. */
static const char *target_version(const target *t) {
  const char *q = t->qualifier;
  if (!q || strspn(q, "0123456789") != strlen(q)) return "$LATEST";
  return q;
}

/* After "arn:PARTITION:service:", or NULL when r is not such an ARN. */
static const char *arn_after(const char *r, const char *service) {
  if (strncmp(r, "arn:aws", 7) != 0) return NULL;
  r += 7;
  r += strspn(r, "abcdefghijklmnopqrstuvwxyz-");
  if (*r != ':') return NULL;
  size_t n = strlen(service);
  if (strncmp(r + 1, service, n) != 0 || r[1 + n] != ':') return NULL;
  return r + 2 + n;
}

static int is_invoke(const char *r) {
  const char *rest = arn_after(r, "states");
  return rest && strcmp(rest, "::lambda:invoke") == 0;
}

static int is_function_arn(const char *r) {
  target home = {0}, t = {0};
  if (!arn_after(r, "lambda")) return 0;
  target_set(&home, HOME_PARTITION, HOME_REGION, HOME_ACCOUNT, "", NULL);
  int ok = target_parse(r, &home, &t) == 0;
  target_free(&home);
  target_free(&t);
  return ok;
}

static int lambda_match(const char *resource, const char **rtype,
                        const char **rname, int *lambda_events) {
  if (is_invoke(resource)) {
    *rtype = "lambda", *rname = "invoke", *lambda_events = 0;
    return 1;
  }
  if (is_function_arn(resource)) {
    *rtype = "lambda", *rname = resource, *lambda_events = 1;
    return 1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* running a command: stdin, stdout and stderr pumped together           */
/* ------------------------------------------------------------------ */

typedef struct proc_spec {
  char *const *argv, *const *envp;
  const char *cwd;   /* NULL: ours */
  const char *label; /* each stderr line is forwarded as "[label] line" */
  const char *in;    /* written to stdin, which is then closed */
  size_t in_len;
  double end; /* epoch seconds when the process group is killed; 0: never */
} proc_spec;

typedef struct proc_out {
  asl_buf out;      /* stdout, kept up to MAX_RESPONSE (+ one read) bytes */
  size_t out_total; /* stdout bytes in all */
  asl_buf log;      /* stderr's last bytes */
  asl_buf line;     /* stderr's unfinished line */
  int spawn_errno;  /* not 0: the command did not start */
  int timed_out;    /* killed at spec.end */
  int status;       /* waitpid's status */
} proc_out;

/* The parent's ends: stdin (written), stdout, stderr; -1 once closed. */
typedef struct pump {
  int fd[3];
  size_t in_off;
} pump;

static void fd_close(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void write_all(int fd, const char *s, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w, n -= (size_t)w;
  }
}

static void emit_line(const char *label, const char *s, size_t n) {
  char *msg = asl_sprintf("[%s] %.*s\n", label, (int)n, s);
  write_all(2, msg, strlen(msg));
  free(msg);
}

/* Forwards each finished stderr line (the rest too when final, or when a
 * line passes 64 KB) in one write, so lines of functions running at once
 * do not mix. */
static void err_forward(proc_out *o, const char *label, int final) {
  asl_buf *l = &o->line;
  size_t start = 0;
  while (start < l->len) {
    const char *nl = memchr(l->s + start, '\n', l->len - start);
    size_t end = nl ? (size_t)(nl - l->s) : l->len;
    if (!nl && !final && end - start <= 65536) break;
    emit_line(label, l->s + start, end - start);
    start = nl ? end + 1 : end;
  }
  if (start == 0) return;
  memmove(l->s, l->s + start, l->len - start);
  l->len -= start;
  l->s[l->len] = 0;
}

static void take_stderr(proc_out *o, const char *label, const char *d,
                        size_t n) {
  asl_buf_add(&o->log, d, n);
  if (o->log.len > 2 * LOG_TAIL) {
    memmove(o->log.s, o->log.s + o->log.len - LOG_TAIL, LOG_TAIL);
    o->log.len = LOG_TAIL;
    o->log.s[LOG_TAIL] = 0;
  }
  asl_buf_add(&o->line, d, n);
  err_forward(o, label, 0);
}

static void take_stdout(proc_out *o, const char *d, size_t n) {
  o->out_total += n;
  if (o->out.len <= MAX_RESPONSE) asl_buf_add(&o->out, d, n);
}

/* Writes what the stdin pipe takes now; closes it when all is written or
 * the function stopped reading (EPIPE: its business, as on Lambda). */
static void pump_stdin(pump *p, const proc_spec *s) {
  while (p->fd[0] >= 0 && p->in_off < s->in_len) {
    ssize_t n = write(p->fd[0], s->in + p->in_off, s->in_len - p->in_off);
    if (n > 0)
      p->in_off += (size_t)n;
    else if (n < 0 && errno == EINTR)
      continue;
    else if (n < 0 && errno == EAGAIN)
      return;
    else
      break;
  }
  fd_close(&p->fd[0]);
}

/* Reads up to max_reads chunks that fd `which` (1 or 2) has now; closes it
 * at end of file. The bound keeps a chatty function from starving stdin
 * and the deadline. */
static void pump_read(pump *p, int which, const proc_spec *s, proc_out *o,
                      int max_reads) {
  char chunk[16384];
  for (int k = 0; p->fd[which] >= 0 && k < max_reads; k++) {
    ssize_t n = read(p->fd[which], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    if (n <= 0) {
      fd_close(&p->fd[which]);
    } else if (which == 1) {
      take_stdout(o, chunk, (size_t)n);
    } else {
      take_stderr(o, s->label, chunk, (size_t)n);
    }
  }
}

/* Milliseconds until end, at least 1 while it has not passed; 0 when it
 * has; -1 for no end. */
static int ms_until(double end) {
  if (end <= 0) return -1;
  double ms = (end - now_epoch()) * 1000.0;
  if (ms <= 0) return 0;
  return ms >= (double)INT_MAX - 1 ? INT_MAX : (int)ms + 1;
}

/* Has the child exited? It stays unreaped (WNOWAIT) so that its process
 * group can still be signalled. */
static int child_exited(pid_t pid) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
    return errno != EINTR;
  return si.si_pid == pid;
}

/* Moves data both ways until stdout and stderr close or the child exits.
 * Returns 1 when spec.end passed first. Wakes at least every 100 ms to
 * notice an exited child whose leftovers still hold the pipes. */
static int pump_run(pump *p, pid_t pid, const proc_spec *s, proc_out *o) {
  while (p->fd[1] >= 0 || p->fd[2] >= 0) {
    int ms = ms_until(s->end);
    if (ms == 0) return 1;
    if (ms < 0 || ms > 100) ms = 100;
    struct pollfd f[3];
    int idx[3];
    nfds_t n = 0;
    for (int i = 0; i < 3; i++) {
      if (p->fd[i] < 0) continue;
      f[n] = (struct pollfd){p->fd[i], (short)(i ? POLLIN : POLLOUT), 0};
      idx[n++] = i;
    }
    if (poll(f, n, ms) < 0 && errno != EINTR) return 0;
    for (nfds_t k = 0; k < n; k++) {
      if (!f[k].revents) continue;
      if (idx[k] == 0)
        pump_stdin(p, s);
      else
        pump_read(p, idx[k], s, o, 16);
    }
    if (child_exited(pid)) return 0;
  }
  return 0;
}

/* Waits for the child to exit until end; 1 when end came first. */
static int wait_exit(pid_t pid, double end) {
  long ns = 1000000;
  while (!child_exited(pid)) {
    if (end > 0 && now_epoch() >= end) return 1;
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
    if (ns < 50000000) ns *= 2;
  }
  return 0;
}

static void spawn_setup(const proc_spec *s, const int in[2], const int out[2],
                        const int err[2], posix_spawn_file_actions_t *fa,
                        posix_spawnattr_t *at) {
  posix_spawn_file_actions_init(fa);
  posix_spawn_file_actions_adddup2(fa, in[0], 0);
  posix_spawn_file_actions_adddup2(fa, out[1], 1);
  posix_spawn_file_actions_adddup2(fa, err[1], 2);
  if (s->cwd) posix_spawn_file_actions_addchdir_np(fa, s->cwd);
  /* Its own process group, to be killed whole; the signal mask and
   * SIGPIPE's disposition are this thread's business, not the child's. */
  sigset_t none, dflt;
  sigemptyset(&none);
  sigemptyset(&dflt);
  sigaddset(&dflt, SIGPIPE);
  posix_spawnattr_init(at);
  posix_spawnattr_setsigmask(at, &none);
  posix_spawnattr_setsigdefault(at, &dflt);
  posix_spawnattr_setpgroup(at, 0);
  posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                   POSIX_SPAWN_SETSIGDEF);
}

static void close_pair(int fd[2]) {
  fd_close(&fd[0]);
  fd_close(&fd[1]);
}

/* Starts the command with three pipes (close-on-exec in this process, so
 * commands started by other threads do not inherit them). 0, or an errno
 * value. */
static int proc_spawn(const proc_spec *s, pump *p, pid_t *pid) {
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
    int e = errno;
    close_pair(in), close_pair(out), close_pair(err);
    return e;
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  spawn_setup(s, in, out, err, &fa, &at);
  int rc = posix_spawnp(pid, s->argv[0], &fa, &at, s->argv, s->envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  fd_close(&in[0]), fd_close(&out[1]), fd_close(&err[1]);
  if (rc) {
    close_pair(in), close_pair(out), close_pair(err);
    return rc;
  }
  p->fd[0] = in[1], p->fd[1] = out[0], p->fd[2] = err[0];
  for (int i = 0; i < 3; i++)
    fcntl(p->fd[i], F_SETFL, fcntl(p->fd[i], F_GETFL) | O_NONBLOCK);
  return 0;
}

/* Runs the command to its end or spec.end, whichever is first. When the
 * child exits, what is left of its process group is killed, as Lambda
 * freezes a finished sandbox. SIGPIPE is blocked on this thread while
 * writing to a child that may have stopped reading. */
static void proc_run(const proc_spec *s, proc_out *o) {
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
  pump p = {{-1, -1, -1}, 0};
  pid_t pid = 0;
  o->spawn_errno = proc_spawn(s, &p, &pid);
  if (!o->spawn_errno) {
    pump_stdin(&p, s);
    o->timed_out = pump_run(&p, pid, s, o);
    if (!o->timed_out) o->timed_out = wait_exit(pid, s->end);
    kill(-pid, SIGKILL);
    if (!o->timed_out) {
      pump_read(&p, 1, s, o, INT_MAX);
      pump_read(&p, 2, s, o, INT_MAX);
    }
    for (int i = 0; i < 3; i++)
      fd_close(&p.fd[i]);
    while (waitpid(pid, &o->status, 0) < 0 && errno == EINTR) {
    }
    err_forward(o, s->label, 1);
  }
  sigset_t pending;
  struct timespec zero = {0, 0};
  if (!sigismember(&old, SIGPIPE) && sigpending(&pending) == 0 &&
      sigismember(&pending, SIGPIPE))
    sigtimedwait(&pipe_set, NULL, &zero);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void proc_out_free(proc_out *o) {
  asl_buf_free(&o->out);
  asl_buf_free(&o->log);
  asl_buf_free(&o->line);
}

/* "exit status 3", "signal: killed": Go's words, which Lambda's runtime
 * messages carry. New string. */
static char *exit_text(int status) {
  if (WIFSIGNALED(status)) {
    char *name = lower_first(strsignal(WTERMSIG(status)));
    char *s = asl_sprintf("signal: %s", name);
    free(name);
    return s;
  }
  return asl_sprintf("exit status %d",
                     WIFEXITED(status) ? WEXITSTATUS(status) : status);
}

/* ------------------------------------------------------------------ */
/* one invocation                                                       */
/* ------------------------------------------------------------------ */

typedef struct call {
  const asl_task_req *req;
  int invoke;           /* lambda:invoke (the envelope), else a bare ARN */
  target t;             /* the function */
  char *arn;            /* its full ARN, for messages */
  char *event;          /* the request body */
  const char *key;      /* its name in the bindings' Functions */
  const cJSON *binding; /* its entry there */
  char id[37];          /* the request id */
  int status_code;      /* 200; 202 for Event, 204 for DryRun */
  int tail;             /* LogType Tail */
  double started;
  /* the answer */
  cJSON *payload; /* parsed, or NULL */
  char *raw;      /* as the function wrote it, trailing whitespace cut */
  int fn_error;   /* the function failed (Lambda's FunctionError) */
  int timed_out;  /* the Task's deadline passed: States.Timeout */
  char *log;      /* stderr's tail */
} call;

static void call_free(call *c) {
  target_free(&c->t);
  free(c->arn);
  free(c->event);
  cJSON_Delete(c->payload);
  free(c->raw);
  free(c->log);
}

/* Fails with "Lambda.<exception>" and the cause as the AWS SDK for Java
 * words a service error. Returns -1. */
static int service_error(const call *c, asl_error *err, const char *name,
                         int status, const char *code, const char *fmt, ...)
    ASL_PRINTF(6, 7);
static int service_error(const call *c, asl_error *err, const char *name,
                         int status, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = asl_vsprintf(fmt, ap);
  va_end(ap);
  asl_error_set(err, name,
                "%s (Service: AWSLambda; Status Code: %d; Error Code: %s; "
                "Request ID: %s; Proxy: null)",
                msg, status, code, c->id);
  free(msg);
  return -1;
}

/* Lambda answers request validation failures with ValidationException,
 * which the SDK has no class for: AWSLambdaException. */
static int validation_error(const call *c, asl_error *err, const char *value,
                            const char *field, const char *constraint) {
  return service_error(c, err, "Lambda.AWSLambdaException", 400,
                       "ValidationException",
                       "1 validation error detected: Value '%s' at '%s' "
                       "failed to satisfy constraint: %s",
                       value, field, constraint);
}

static const char *const NAME_PATTERN =
    "Member must satisfy regular expression pattern: "
    "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
    "(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)"
    "(:(\\$LATEST|[a-zA-Z0-9-_]+))?";

/* The request body: {} for no Payload or null; a string holding JSON as
 * that JSON; anything else as its JSON text. */
static char *event_text(const cJSON *payload) {
  if (!payload || cJSON_IsNull(payload)) return asl_strdup("{}");
  if (cJSON_IsString(payload)) {
    const char *s = payload->valuestring;
    cJSON *v = asl_json_parse(s, strlen(s), NULL);
    if (v) {
      cJSON_Delete(v);
      return asl_strdup(s);
    }
  }
  return asl_json_print(payload);
}

/* An enum parameter: sets *index to the value's place in allowed (0 when
 * absent). */
static int enum_param(const call *c, asl_error *err, const char *param,
                      const char *field, const char *const *allowed,
                      const char *set, int *index) {
  const cJSON *v = asl_json_get(c->req->params, param);
  *index = 0;
  if (!v) return 0;
  const char *s = cJSON_IsString(v) ? v->valuestring : "";
  for (int i = 0; allowed[i]; i++)
    if (strcmp(allowed[i], s) == 0) return *index = i, 0;
  char *text = cJSON_IsString(v) ? asl_strdup(s) : asl_json_print(v);
  char *constraint = asl_sprintf("Member must satisfy enum value set: %s", set);
  validation_error(c, err, text, field, constraint);
  free(text);
  free(constraint);
  return -1;
}

static int invoke_options(call *c, asl_error *err) {
  static const char *const types[] = {"RequestResponse", "Event", "DryRun",
                                      NULL};
  static const int codes[] = {200, 202, 204};
  static const char *const logs[] = {"None", "Tail", NULL};
  int type, log;
  if (enum_param(c, err, "InvocationType", "invocationType", types,
                 "[Event, RequestResponse, DryRun]", &type) ||
      enum_param(c, err, "LogType", "logType", logs, "[None, Tail]", &log))
    return -1;
  c->status_code = codes[type];
  c->tail = log == 1;
  return 0;
}

/* The Qualifier parameter: it must agree with one in FunctionName. */
static int invoke_qualifier(call *c, asl_error *err) {
  const cJSON *q = asl_json_get(c->req->params, "Qualifier");
  if (!q || cJSON_IsNull(q)) return 0;
  const char *s = cJSON_IsString(q) ? q->valuestring : "";
  if (!qualifier_ok(s))
    return validation_error(c, err, s, "qualifier",
                            "Member must satisfy regular expression "
                            "pattern: (|[a-zA-Z0-9$_-]+)");
  if (c->t.qualifier && strcmp(c->t.qualifier, s) != 0)
    return service_error(c, err, "Lambda.InvalidParameterValueException", 400,
                         "InvalidParameterValueException",
                         "The derived qualifier from the function name "
                         "does not match the specified qualifier.");
  if (!c->t.qualifier) c->t.qualifier = asl_strdup(s);
  return 0;
}

/* lambda:invoke: the function and the event from Parameters. */
static int prepare_invoke(call *c, const target *home, asl_error *err) {
  const cJSON *params = c->req->params;
  const cJSON *fn = asl_json_get(params, "FunctionName");
  if (!cJSON_IsString(fn) && !cJSON_IsNumber(fn))
    return asl_error_set(err, "States.Runtime",
                         "An error occurred while executing the state '%s'. "
                         "The lambda:invoke parameter 'FunctionName' must be "
                         "a string, not %s.",
                         c->req->state ? c->req->state : "",
                         fn ? asl_json_type_name(fn) : "missing");
  char *ref =
      cJSON_IsString(fn) ? asl_strdup(fn->valuestring) : asl_json_print(fn);
  int rc = target_parse(ref, home, &c->t);
  if (rc) validation_error(c, err, ref, "functionName", NAME_PATTERN);
  free(ref);
  if (rc || invoke_qualifier(c, err) || invoke_options(c, err)) return -1;
  c->event = event_text(asl_json_get(params, "Payload"));
  return 0;
}

/* The binding: "NAME:QUALIFIER" first, then "NAME". */
static void find_binding(call *c) {
  const cJSON *fns = asl_json_get(c->req->bindings, "Functions");
  const cJSON *b = NULL;
  if (c->t.qualifier) {
    char *key = asl_sprintf("%s:%s", c->t.name, c->t.qualifier);
    b = asl_json_get(fns, key);
    free(key);
  }
  if (!b) b = asl_json_get(fns, c->t.name);
  c->binding = b;
  c->key = b ? b->string : NULL;
}

/* The event's JSON text (what a command reads on stdin). */
static const char *event_of(call *c) {
  if (!c->event) c->event = event_text(c->req->params);
  return c->event;
}

static int call_prepare(call *c, asl_error *err) {
  target home = {0};
  target_home(c->req->context, &home);
  uuid4(c->id);
  c->started = now_epoch();
  c->status_code = 200;
  int rc = 0;
  if (c->invoke) {
    rc = prepare_invoke(c, &home, err);
  } else {
    rc = target_parse(c->req->resource, &home, &c->t);
    if (rc)
      asl_error_set(err, "States.Runtime", "Invalid Lambda ARN: %s",
                    c->req->resource);
    /* the event text is made only for a command (event_of): a built-in
     * gets the parameters as they are */
  }
  target_free(&home);
  if (rc) return -1;
  c->arn = target_arn(&c->t);
  size_t n = 0;
  if (c->event) n = strlen(c->event);
  else if (!asl_json_size_within(c->req->params, MAX_REQUEST))
    n = asl_json_size(c->req->params);
  if (n > MAX_REQUEST)
    return service_error(c, err, "Lambda.RequestTooLargeException", 413,
                         "RequestTooLargeException",
                         "%zu byte payload is too large for the "
                         "RequestResponse invocation type (limit %d bytes)",
                         n, MAX_REQUEST);
  find_binding(c);
  if (!c->binding)
    return service_error(c, err, "Lambda.ResourceNotFoundException", 404,
                         "ResourceNotFoundException", "Function not found: %s",
                         c->arn);
  return 0;
}

/* ---- answers ---- */

/* An error payload Lambda writes itself (errorType first, as Lambda's
 * runtime errors have it; errorMessage first for a response too large). */
static void lambda_fault(call *c, const char *type, int type_first,
                         const char *message) {
  cJSON *e = cJSON_CreateObject();
  if (type_first) cJSON_AddStringToObject(e, "errorType", type);
  cJSON_AddStringToObject(e, "errorMessage", message);
  if (!type_first) cJSON_AddStringToObject(e, "errorType", type);
  cJSON_Delete(c->payload);
  free(c->raw);
  c->payload = e;
  c->raw = asl_json_print(e);
  c->fn_error = 1;
}

/* A runtime failure: "RequestId: ID Error: <what>". */
static void runtime_fault(call *c, const char *type, const char *what) {
  char *m = asl_sprintf("RequestId: %s Error: %s", c->id, what);
  lambda_fault(c, type, 1, m);
  free(m);
}

/* The earlier deadline passed: the function's own timeout (Lambda's
 * Sandbox.Timedout) or the Task's (States.Timeout). */
static void on_deadline(call *c, int fn_first) {
  const cJSON *t = asl_json_get(c->binding, "timeout");
  if (!fn_first) {
    c->timed_out = 1;
    return;
  }
  char *what = asl_sprintf("Task timed out after %.2f seconds",
                           cJSON_IsNumber(t) ? t->valuedouble : 0.0);
  runtime_fault(c, "Sandbox.Timedout", what);
  free(what);
}

static int is_error_answer(const cJSON *v) {
  return cJSON_IsString(asl_json_get(v, "errorType"));
}

static size_t trimmed_len(const char *s, size_t n) {
  while (n > 0 && isspace((unsigned char)s[n - 1]))
    n--;
  return n;
}

/* What a finished command answered. An object with a string errorType is
 * the function's error whatever the exit status; a non-zero exit is
 * otherwise Runtime.ExitError, unless it printed an object with an
 * errorMessage (then a failure without an error type: Lambda.Unknown);
 * stdout that is not JSON fails with Lambda.Unknown; no output is null. */
static int take_answer(call *c, proc_out *o, asl_error *err) {
  int clean = WIFEXITED(o->status) && WEXITSTATUS(o->status) == 0;
  size_t n = trimmed_len(o->out.s ? o->out.s : "", o->out.len);
  char *why = NULL;
  c->raw = asl_strndup(o->out.s ? o->out.s : "", n);
  c->payload =
      n ? asl_json_parse(c->raw, n, &why) : (clean ? cJSON_CreateNull() : NULL);
  if (is_error_answer(c->payload)) {
    c->fn_error = 1;
  } else if (!clean) {
    if (cJSON_IsObject(c->payload) &&
        asl_json_get(c->payload, "errorMessage")) {
      c->fn_error = 1;
    } else {
      char *e = exit_text(o->status);
      char *what = asl_sprintf("Runtime exited with error: %s", e);
      runtime_fault(c, "Runtime.ExitError", what);
      free(e), free(what);
    }
  } else if (!c->payload) {
    asl_error_set(err, "Lambda.Unknown",
                  "The function's response is not valid JSON (%s). "
                  "Returned payload: %.1024s",
                  why ? why : "invalid JSON", c->raw);
  }
  free(why);
  return err->name ? -1 : 0;
}

static int take_outcome(call *c, proc_out *o, const char *argv0, int fn_first,
                        asl_error *err) {
  c->log = asl_strdup(o->log.s ? o->log.s : "");
  if (o->spawn_errno) {
    char *e = lower_first(strerror(o->spawn_errno));
    char *what = asl_sprintf("fork/exec %s: %s", argv0, e);
    runtime_fault(c, "Runtime.InvalidEntrypoint", what);
    free(e), free(what);
    return 0;
  }
  if (o->timed_out) {
    on_deadline(c, fn_first);
    return 0;
  }
  if (o->out_total > MAX_RESPONSE) {
    lambda_fault(c, "Function.ResponseSizeTooLarge", 0,
                 "Response payload size exceeded maximum allowed payload "
                 "size (6291556 bytes).");
    return 0;
  }
  return take_answer(c, o, err);
}

/* ---- the command line a binding describes ---- */

typedef struct cmdline {
  char **argv, **envp;
  char *cwd;
} cmdline;

static void strv_free(char **v) {
  for (size_t i = 0; v && v[i]; i++)
    free(v[i]);
  free(v);
}

static void cmdline_free(cmdline *l) {
  strv_free(l->argv);
  strv_free(l->envp);
  free(l->cwd);
}

/* path made absolute against base (when there is one). New string. */
static char *resolve(const char *base, const char *path) {
  if (path[0] == '/' || !base) return asl_strdup(path);
  return asl_sprintf("%s/%s", base, path);
}

static int build_argv(const call *c, const char *base, cmdline *l,
                      asl_error *err) {
  const cJSON *cmd = asl_json_get(c->binding, "command");
  size_t n = cJSON_IsArray(cmd) ? (size_t)cJSON_GetArraySize(cmd) : 0;
  if (cJSON_IsString(cmd) && *cmd->valuestring) {
    l->argv = asl_calloc(4, sizeof *l->argv);
    l->argv[0] = asl_strdup("/bin/sh");
    l->argv[1] = asl_strdup("-c");
    l->argv[2] = asl_strdup(cmd->valuestring);
    return 0;
  }
  l->argv = asl_calloc(n + 1, sizeof *l->argv);
  size_t i = 0;
  for (const cJSON *a = cmd ? cmd->child : NULL; a && n; a = a->next) {
    if (!cJSON_IsString(a) || !*a->valuestring)
      n = 0;
    else
      l->argv[i++] = asl_strdup(a->valuestring);
  }
  if (n == 0)
    return asl_error_set(err, "States.Runtime",
                         "bindings: /Functions/%s/command must be a "
                         "non-empty array of strings or a string",
                         c->key);
  if (strchr(l->argv[0], '/')) {
    char *abs = resolve(base, l->argv[0]);
    free(l->argv[0]);
    l->argv[0] = abs;
  }
  return 0;
}

/* Our environment, then Lambda's variables, then the binding's "env";
 * a later name replaces an earlier one. */
static void build_envp(const call *c, cmdline *l) {
  cJSON *vars = cJSON_CreateObject();
  cJSON_AddStringToObject(vars, "AWS_LAMBDA_FUNCTION_NAME", c->t.name);
  cJSON_AddStringToObject(vars, "AWS_LAMBDA_FUNCTION_VERSION",
                          target_version(&c->t));
  cJSON_AddStringToObject(vars, "AWS_REGION", c->t.region);
  cJSON_AddStringToObject(vars, "AWS_DEFAULT_REGION", c->t.region);
  const cJSON *env = asl_json_get(c->binding, "env");
  for (const cJSON *e = cJSON_IsObject(env) ? env->child : NULL; e;
       e = e->next) {
    if (!cJSON_IsString(e)) continue;
    cJSON_DeleteItemFromObjectCaseSensitive(vars, e->string);
    cJSON_AddStringToObject(vars, e->string, e->valuestring);
  }
  size_t n = 0, k = 0;
  while (environ && environ[n])
    n++;
  l->envp =
      asl_calloc(n + (size_t)cJSON_GetArraySize(vars) + 1, sizeof *l->envp);
  for (size_t i = 0; i < n; i++) {
    size_t len = strcspn(environ[i], "=");
    char *name = asl_strndup(environ[i], len);
    if (!cJSON_GetObjectItemCaseSensitive(vars, name))
      l->envp[k++] = asl_strdup(environ[i]);
    free(name);
  }
  for (const cJSON *v = vars->child; v; v = v->next)
    l->envp[k++] = asl_sprintf("%s=%s", v->string, v->valuestring);
  cJSON_Delete(vars);
}

/* The definition's folder, absolute (a child's relative paths must not
 * depend on where we run). NULL when there is none. */
static char *abs_base(const char *base_dir) {
  if (!base_dir || !*base_dir) return NULL;
  char *real = realpath(base_dir, NULL);
  if (real) {
    char *s = asl_strdup(real);
    free(real);
    return s;
  }
  return asl_strdup(base_dir);
}

static int build_cmdline(const call *c, cmdline *l, asl_error *err) {
  char *base = abs_base(c->req->base_dir);
  int rc = build_argv(c, base, l, err);
  if (rc == 0) {
    const cJSON *cwd = asl_json_get(c->binding, "cwd");
    if (cJSON_IsString(cwd) && *cwd->valuestring)
      l->cwd = resolve(base ? base : ".", cwd->valuestring);
    else if (base)
      l->cwd = asl_strdup(base);
    build_envp(c, l);
  }
  free(base);
  return rc;
}

/* ---- running the binding ---- */

static int invoke_command(call *c, double end, int fn_first, asl_error *err) {
  cmdline l = {0};
  if (build_cmdline(c, &l, err)) {
    cmdline_free(&l);
    return -1;
  }
  const char *ev = event_of(c);
  proc_spec s = {l.argv, l.envp, l.cwd, c->key, ev, strlen(ev), end};
  proc_out o = {0};
  proc_run(&s, &o);
  int rc = take_outcome(c, &o, l.argv[0], fn_first, err);
  proc_out_free(&o);
  cmdline_free(&l);
  return rc;
}

static int invoke_builtin(call *c, const char *name, double end, int fn_first,
                          asl_error *err) {
  asl_builtin_fn fn = asl_builtin_find(name);
  if (!fn) {
    char *names = asl_builtin_names();
    asl_error_set(err, "States.Runtime",
                  "bindings: /Functions/%s/builtin: no built-in task named "
                  "'%s' (built-ins: %s)",
                  c->key, name, names);
    free(names);
    return -1;
  }
  cJSON *event = c->event ? asl_json_parse(c->event, strlen(c->event), NULL)
                 : !c->req->params || cJSON_IsNull(c->req->params)
                     ? cJSON_CreateObject() /* as event_text sends {} */
                     : asl_json_dup(c->req->params);
  /* The binding's "args" are laid over the event: a built-in configured
   * once in the bindings file, whatever the Task sends. */
  const cJSON *args = asl_json_get(c->binding, "args");
  if (args) {
    if (!cJSON_IsObject(event)) {
      cJSON_Delete(event);
      event = cJSON_CreateObject();
    }
    for (const cJSON *a = args->child; a; a = a->next) {
      cJSON_DeleteItemFromObjectCaseSensitive(event, a->string);
      cJSON_AddItemToObject(event, a->string, asl_json_dup(a));
    }
  }
  cJSON *res = NULL;
  asl_builtin_status st = fn(event, end, &res);
  cJSON_Delete(event);
  if (st == ASL_BUILTIN_TIMEOUT) {
    cJSON_Delete(res);
    on_deadline(c, fn_first);
    return 0;
  }
  c->fn_error = st == ASL_BUILTIN_ERROR;
  c->payload = res ? res : cJSON_CreateNull();
  c->raw = asl_json_print(c->payload);
  return 0;
}

/* Runs the binding until the earlier of the Task's deadline and the
 * binding's own "timeout". DryRun runs nothing. */
static int call_invoke(call *c, asl_error *err) {
  if (c->status_code == 204) return 0;
  const cJSON *to = asl_json_get(c->binding, "timeout");
  double end = c->req->deadline, fn_end = 0;
  if (cJSON_IsNumber(to) && to->valuedouble > 0)
    fn_end = c->started + to->valuedouble;
  int fn_first = fn_end > 0 && (end <= 0 || fn_end < end);
  if (fn_first) end = fn_end;
  if (end > 0 && now_epoch() >= end) {
    on_deadline(c, fn_first);
    return 0;
  }
  const cJSON *b = asl_json_get(c->binding, "builtin");
  if (cJSON_IsString(b))
    return invoke_builtin(c, b->valuestring, end, fn_first, err);
  return invoke_command(c, end, fn_first, err);
}

/* ---- the Task's result ---- */

/* The function failed: its errorType, or Lambda.Unknown without one. */
static int function_error(const call *c, asl_error *err) {
  const cJSON *type = asl_json_get(c->payload, "errorType");
  char *text = c->invoke && c->payload ? asl_json_print(c->payload)
                                       : asl_strdup(c->raw ? c->raw : "");
  if (cJSON_IsString(type) && *type->valuestring)
    asl_error_set(err, type->valuestring, "%s", text);
  else
    asl_error_set(err, "Lambda.Unknown",
                  "The cause could not be determined because Lambda did "
                  "not return an error type. Returned payload: %s",
                  text);
  free(text);
  return -1;
}

enum {
  H_LOG,
  H_VERSION,
  H_REMAPPED,
  H_CONNECTION,
  H_REQUEST_ID,
  H_LENGTH,
  H_DATE,
  H_TRACE,
  H_TYPE,
  H_COUNT
};

static const char *const header_names[H_COUNT] = {
    "X-Amz-Log-Result",
    "X-Amz-Executed-Version",
    "x-amzn-Remapped-Content-Length",
    "Connection",
    "x-amzn-RequestId",
    "Content-Length",
    "Date",
    "X-Amzn-Trace-Id",
    "Content-Type"};

/* AWS's orders: AllHttpHeaders as the response had them, HttpHeaders
 * sorted without regard to case. */
static const int all_order[H_COUNT] = {H_LOG,        H_VERSION,    H_REMAPPED,
                                       H_CONNECTION, H_REQUEST_ID, H_LENGTH,
                                       H_DATE,       H_TRACE,      H_TYPE};
static const int http_order[H_COUNT] = {H_CONNECTION, H_LENGTH,     H_TYPE,
                                        H_DATE,       H_VERSION,    H_LOG,
                                        H_REMAPPED,   H_REQUEST_ID, H_TRACE};

/* LogResult: the last 4 KB of the log Lambda would write, base64. */
static char *log_result(const call *c) {
  char *log = asl_sprintf("START RequestId: %s Version: %s\n%s"
                          "END RequestId: %s\nREPORT RequestId: %s\t"
                          "Duration: %.2f ms\t\n",
                          c->id, target_version(&c->t), c->log ? c->log : "",
                          c->id, c->id, (now_epoch() - c->started) * 1000.0);
  size_t n = strlen(log), from = n > LOG_TAIL ? n - LOG_TAIL : 0;
  char *b = base64(log + from, n - from);
  free(log);
  return b;
}

static cJSON *sdk_metadata(char *values[H_COUNT], int status) {
  cJSON *all = cJSON_CreateObject(), *http = cJSON_CreateObject();
  for (int i = 0; i < H_COUNT; i++) {
    int a = all_order[i], h = http_order[i];
    if (values[a]) {
      cJSON *list = cJSON_AddArrayToObject(all, header_names[a]);
      cJSON_AddItemToArray(list, cJSON_CreateString(values[a]));
    }
    if (values[h]) cJSON_AddStringToObject(http, header_names[h], values[h]);
  }
  cJSON *m = cJSON_CreateObject();
  cJSON_AddItemToObject(m, "AllHttpHeaders", all);
  cJSON_AddItemToObject(m, "HttpHeaders", http);
  cJSON_AddNumberToObject(m, "HttpStatusCode", status);
  return m;
}

static void header_values(const call *c, char *v[H_COUNT]) {
  char date[32], root[25], epoch[9], parent[17];
  http_date(date);
  random_hex(root, 24);
  random_hex(parent, 16);
  snprintf(epoch, sizeof epoch, "%08lx", (unsigned long)time(NULL));
  int ok = c->status_code == 200;
  v[H_LOG] = c->tail ? log_result(c) : NULL;
  v[H_VERSION] = ok ? asl_strdup(target_version(&c->t)) : NULL;
  v[H_REMAPPED] = asl_strdup("0");
  v[H_CONNECTION] = asl_strdup("keep-alive");
  v[H_REQUEST_ID] = asl_strdup(c->id);
  v[H_LENGTH] = asl_sprintf("%zu", ok && c->raw ? strlen(c->raw) : 0);
  v[H_DATE] = asl_strdup(date);
  v[H_TRACE] =
      asl_sprintf("Root=1-%s-%s;Parent=%s;Sampled=0", epoch, root, parent);
  v[H_TYPE] = asl_strdup("application/json");
}

/* lambda:invoke's result: Lambda's Invoke response as Step Functions
 * serialises it. Takes c->payload. */
static cJSON *envelope(call *c) {
  char *v[H_COUNT];
  header_values(c, v);
  cJSON *e = cJSON_CreateObject();
  if (v[H_VERSION]) cJSON_AddStringToObject(e, "ExecutedVersion", v[H_VERSION]);
  if (v[H_LOG]) cJSON_AddStringToObject(e, "LogResult", v[H_LOG]);
  cJSON *payload =
      c->status_code == 200 && c->payload ? c->payload : cJSON_CreateString("");
  if (payload == c->payload) c->payload = NULL;
  cJSON_AddItemToObject(e, "Payload", payload);
  cJSON_AddItemToObject(e, "SdkHttpMetadata", sdk_metadata(v, c->status_code));
  cJSON *r = cJSON_AddObjectToObject(e, "SdkResponseMetadata");
  cJSON_AddStringToObject(r, "RequestId", c->id);
  cJSON_AddNumberToObject(e, "StatusCode", c->status_code);
  for (int i = 0; i < H_COUNT; i++)
    free(v[i]);
  return e;
}

static int call_finish(call *c, cJSON **out, asl_error *err) {
  if (c->timed_out) return asl_error_set(err, "States.Timeout", NULL);
  if (c->fn_error && c->status_code == 200) return function_error(c, err);
  if (c->invoke) {
    *out = envelope(c);
  } else {
    *out = c->payload ? c->payload : cJSON_CreateNull();
    c->payload = NULL;
  }
  return 0;
}

static int lambda_run(const asl_task_req *req, cJSON **out, asl_error *err) {
  call c;
  memset(&c, 0, sizeof c);
  c.req = req;
  c.invoke = is_invoke(req->resource);
  *out = NULL;
  int rc = call_prepare(&c, err);
  if (rc == 0) rc = call_invoke(&c, err);
  if (rc == 0) rc = call_finish(&c, out, err);
  call_free(&c);
  return rc;
}

/* A built-in that does not sleep is pure and quick: it runs on the
 * scheduler thread (a thread per call would cost more than the call). */
static int lambda_immediate(const asl_task_req *req) {
  call c;
  memset(&c, 0, sizeof c);
  c.req = req;
  c.invoke = is_invoke(req->resource);
  asl_error err = {0};
  int imm = 0;
  if (call_prepare(&c, &err) == 0) {
    const cJSON *b = asl_json_get(c.binding, "builtin");
    imm = cJSON_IsString(b) && strcmp(b->valuestring, "sleep") != 0;
  } else {
    imm = 1; /* the error is known without running anything */
  }
  asl_error_clear(&err);
  call_free(&c);
  return imm;
}

/* ------------------------------------------------------------------ */

int asl_lambda_check_bindings(const cJSON *bindings, char **msg) {
  const cJSON *fns = asl_json_get(bindings, "Functions");
  *msg = NULL;
  for (const cJSON *f = cJSON_IsObject(fns) ? fns->child : NULL; f;
       f = f->next) {
    const cJSON *b = asl_json_get(f, "builtin");
    char *why = NULL;
    if (cJSON_IsString(b) && asl_builtin_find(b->valuestring) &&
        asl_builtin_check(b->valuestring, asl_json_get(f, "args"), &why) < 0) {
      *msg = asl_sprintf("/Functions/%s/args%s%s", f->string,
                         why && why[0] == '/' ? "" : ": ", why ? why : "");
      free(why);
      return -1;
    }
    if (!cJSON_IsString(b) || asl_builtin_find(b->valuestring)) continue;
    char *names = asl_builtin_names();
    *msg = asl_sprintf("/Functions/%s/builtin: no built-in task named '%s' "
                       "(built-ins: %s)",
                       f->string, b->valuestring, names);
    free(names);
    return -1;
  }
  return 0;
}

const asl_task_ops asl_lambda_ops = {"lambda", lambda_match, lambda_run, 0,
                                     lambda_immediate};
