#!/usr/bin/env python3
"""gen_choice_cases.py: extracts Choice rule rows from the AWS recordings.

Reads tests/conformance/cases/*.json and writes tests/unit/choice_cases.json:
rows {"rule", "input", "context"?, "expect", "case"} where expect is true or
false (the rule matched or not on real AWS). tests/unit/test_choice.c checks
every row with asl_choice_rule_compile + asl_choice_rule_eval.

A row is only written when the recording proves the outcome of that rule:

- With a recorded history, each ChoiceStateEntered gives the Choice state's
  input and the state entered next: the branch taken.
- Without one, the Choice state must be the StartAt state, and every branch
  must end the execution with an outcome no other branch has (a Pass with a
  fixed Result or the input, a Succeed, a Fail, or States.NoChoiceMatched
  when there is no Default); the recorded outcome then names the branch.

Given the branch taken, the rules before the first rule that leads there
were false; that rule was true unless a later rule or Default also leads
there. Rules that read variables ($name) or a context path other than
$$.Execution.Input, Choice states with InputPath, and JSONata states are
skipped, since the row could not reproduce their scope.

Run from the repository root: python3 tests/unit/gen_choice_cases.py
"""
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
CASES = os.path.join(ROOT, "tests", "conformance", "cases")
OUT = os.path.join(ROOT, "tests", "unit", "choice_cases.json")

SOURCE = (
    "Expectations recorded on real AWS Step Functions. They come from the "
    "snapshot tests of the LocalStack project (github.com/localstack/"
    "localstack, tests/aws/services/stepfunctions/, commit "
    "8b9a79f05846835cf4dff63ab7eefdde9df83783, Apache License 2.0), via "
    "tests/conformance/cases/; rows extracted by "
    "tests/unit/gen_choice_cases.py. Keep this attribution wherever the "
    "data goes.")

PASS_KEYS = {"Type", "End", "Result", "Comment"}


def parse(v):
    """History payloads may be JSON text or already parsed."""
    if isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return v


def paths_in(rule):
    """Every path string a rule reads (Variable and ...Path operands)."""
    out = []
    if isinstance(rule, dict):
        for k, v in rule.items():
            if k == "Variable" or (k.endswith("Path") and isinstance(v, str)):
                out.append(v)
            elif k in ("And", "Or") and isinstance(v, list):
                for r in v:
                    out.extend(paths_in(r))
            elif k == "Not":
                out.extend(paths_in(v))
    return out


def scope_for(rule, exec_input):
    """The context a row needs, None when none, or False to skip the rule."""
    need_ctx = False
    for p in paths_in(rule):
        if not isinstance(p, str):
            return False
        if p.startswith("$$"):
            if not p.startswith("$$.Execution.Input"):
                return False
            need_ctx = True
        elif not (p == "$" or p.startswith("$.") or p.startswith("$[")):
            return False  # a variable
    if need_ctx:
        if exec_input is None:
            return False
        return {"Execution": {"Input": exec_input}}
    return None


def learned(choices, default, taken):
    """[(index, matched)] that the branch taken proves."""
    out = []
    for i, r in enumerate(choices):
        if r.get("Next") != taken:
            out.append((i, False))
            continue
        later = any(c.get("Next") == taken for c in choices[i + 1:])
        if not later and default != taken:
            out.append((i, True))
        break
    return out


def jsonpath_mode(defn, state):
    ql = state.get("QueryLanguage", defn.get("QueryLanguage", "JSONPath"))
    return ql == "JSONPath"


def all_states(graph):
    """Every state (name, def, graph) in a graph and its nested graphs."""
    for name, st in (graph.get("States") or {}).items():
        yield name, st, graph
        for key in ("Iterator", "ItemProcessor"):
            if isinstance(st.get(key), dict):
                yield from all_states(st[key])
        for b in st.get("Branches") or []:
            yield from all_states(b)


def terminal_outcome(st, inp):
    """What the execution ends with when it enters st with input inp, as
    (status, output, error, cause); None when st does more than that."""
    t = st.get("Type")
    if t == "Pass" and st.get("End") is True and set(st) <= PASS_KEYS:
        return ("SUCCEEDED", st["Result"] if "Result" in st else inp,
                None, None)
    if t == "Succeed" and set(st) <= {"Type", "Comment"}:
        return ("SUCCEEDED", inp, None, None)
    if t == "Fail" and set(st) <= {"Type", "Error", "Cause", "Comment"}:
        return ("FAILED", None, st.get("Error"), st.get("Cause"))
    return None


def same(a, b):
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def rows_from_output(case):
    """Rows for a case without history: see the module comment."""
    defn, exp = case["definition"], case["expect"]
    states = defn.get("States") or {}
    choice = states.get(defn.get("StartAt"))
    if not choice or choice.get("Type") != "Choice":
        return None
    if not jsonpath_mode(defn, choice) or "InputPath" in choice:
        return None
    inp = case["input"]
    targets = {r.get("Next") for r in choice.get("Choices", [])}
    default = choice.get("Default")
    outcomes = {}
    for name in targets | ({default} if default else set()):
        st = states.get(name)
        o = terminal_outcome(st, inp) if isinstance(st, dict) else None
        if o is None:
            return None
        outcomes[name] = o
    if not default:
        outcomes[None] = ("FAILED", None, "States.NoChoiceMatched", None)
    got = (exp["status"], exp.get("output"), exp.get("error"),
           exp.get("cause"))
    hits = [n for n, o in outcomes.items()
            if o[0] == got[0] and same(o[1], got[1]) and o[2] == got[2]
            and (o[3] is None or o[3] == got[3])]
    if len(hits) != 1:
        return None
    return [(choice, inp, hits[0], inp)]


def rows_from_history(case):
    """[(choice def, state input, state taken, execution input)]."""
    events = case.get("history_events")
    if not events:
        return None
    defn = case["definition"]
    by_prev = {}
    for e in events:
        by_prev.setdefault(e.get("previousEventId"), []).append(e)
    exec_input = None
    for e in events:
        if e.get("type") == "ExecutionStarted":
            exec_input = parse(
                e["executionStartedEventDetails"].get("input"))
    choices = {n: s for n, s, _ in all_states(defn)
               if s.get("Type") == "Choice" and jsonpath_mode(defn, s)}
    out = []
    for e in events:
        if e.get("type") != "ChoiceStateEntered":
            continue
        det = e["stateEnteredEventDetails"]
        st = choices.get(det.get("name"))
        if st is None or "InputPath" in st:
            continue
        exited = [x for x in by_prev.get(e["id"], [])
                  if x.get("type") == "ChoiceStateExited"]
        if not exited:
            continue
        nxt = [x for x in by_prev.get(exited[0]["id"], [])
               if x.get("type", "").endswith("StateEntered")]
        if len(nxt) != 1:
            continue
        taken = nxt[0]["stateEnteredEventDetails"]["name"]
        out.append((st, parse(det.get("input")), taken, exec_input))
    return out


def main():
    rows, seen = [], set()
    for path in sorted(glob.glob(os.path.join(CASES, "*.json"))):
        with open(path, encoding="utf-8") as f:
            case = json.load(f)
        if '"Choice"' not in json.dumps(case["definition"]):
            continue
        found = rows_from_history(case)
        if found is None:
            found = rows_from_output(case) or []
        for choice, inp, taken, exec_input in found:
            rules = choice.get("Choices", [])
            for i, matched in learned(rules, choice.get("Default"), taken):
                rule = rules[i]
                ctx = scope_for(rule, exec_input)
                if ctx is False or "Condition" in rule:
                    continue
                row = {"rule": rule, "input": inp}
                if ctx is not None:
                    row["context"] = ctx
                row["expect"] = matched
                key = json.dumps(row, sort_keys=True)
                if key in seen:
                    continue
                seen.add(key)
                row["case"] = case["id"]
                rows.append(row)
    doc = {"_source": SOURCE, "rows": rows}
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print("%d rows -> %s" % (len(rows), os.path.relpath(OUT, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
