#!/usr/bin/env python3
"""Extracts intrinsic-function rows from the AWS recordings.

Reads tests/conformance/cases/intrinsic_functions_*.json (JSONPath cases
whose single state is a Pass with one "<key>.$": "States.X(...)" parameter)
and tests/conformance/invalid/*.json (definitions AWS rejected because of an
intrinsic call), and writes tests/unit/intrinsic_cases.json, which
tests/unit/test_intrinsic.c reads at run time.

Run from the repository root:  python3 tests/unit/gen_intrinsic_cases.py
"""

import glob
import json
import os
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
CONF = os.path.join(ROOT, "tests", "conformance")
OUT = os.path.join(ROOT, "tests", "unit", "intrinsic_cases.json")

# The context object the rows run with. "$$" values in the recordings are
# placeholders (<ArnPart_0idx>, ...) that match any text, so any names do.
SM_NAME = "sm-name"
EXEC_NAME = "exec-name"
ARN = "arn:aws:states:us-east-1:111111111111"

STATE_PREFIX = "An error occurred while executing the state "


def attribution():
    """The README paragraph that says where the recordings come from."""
    with open(os.path.join(CONF, "README.md"), encoding="utf-8") as f:
        text = f.read()
    para = text.split("\n\n")[1]
    return " ".join(para.split())


def context_for(state_name, doc):
    return {
        "Execution": {
            "Id": "%s:execution:%s:%s" % (ARN, SM_NAME, EXEC_NAME),
            "Input": doc,
            "Name": EXEC_NAME,
            "RoleArn": "arn:aws:iam::111111111111:role/role",
            "StartTime": "date",
        },
        "StateMachine": {
            "Id": "%s:stateMachine:%s" % (ARN, SM_NAME),
            "Name": SM_NAME,
        },
        "State": {"EnteredTime": "date", "Name": state_name,
                  "RetryCount": 0},
    }


def single_call(state):
    """(key, call) of a Parameters block holding one intrinsic call."""
    params = state.get("Parameters")
    if not isinstance(params, dict) or len(params) != 1:
        return None
    (key, value), = params.items()
    if not key.endswith(".$") or not isinstance(value, str):
        return None
    if not value.startswith("States."):
        return None
    return key[:-2], value


def expected_value(state, key, output):
    """The call's value, read back from the execution's output."""
    rp, op = state.get("ResultPath"), state.get("OutputPath")
    if state.get("InputPath") not in (None, "$"):
        return None
    if rp in (None, "$") and op in (None, "$"):
        if isinstance(output, dict) and key in output:
            return (output[key],)
        return None
    if rp and op == rp + "." + key:
        return (output,)
    return None


def case_row(path):
    with open(path, encoding="utf-8") as f:
        case = json.load(f)
    definition = case["definition"]
    if definition.get("QueryLanguage") == "JSONata":
        return None
    states = definition.get("States", {})
    if len(states) != 1:
        return None
    (name, state), = states.items()
    if state.get("Type") != "Pass" or state.get("QueryLanguage"):
        return None
    found = single_call(state)
    if not found:
        return None
    key, call = found
    doc = case["input"]
    row = {
        "id": case["id"],
        "call": call,
        "input": doc,
        "context": context_for(name, doc),
    }
    tokens = case["meta"].get("normalisation_tokens") or []
    if tokens:
        row["tokens"] = tokens
    expect = case["expect"]
    if expect["status"] == "SUCCEEDED":
        value = expected_value(state, key, expect["output"])
        if value is None:
            return None
        row["expect"] = value[0]
    elif expect["status"] == "FAILED":
        cause = expect.get("cause") or ""
        if cause.startswith(STATE_PREFIX):
            cause = cause.split("). ", 1)[1] if "). " in cause else cause
        row["error"] = expect["error"]
        row["cause"] = cause
    else:
        return None
    return row


def invalid_rows():
    """Calls in definitions AWS rejected as not a valid intrinsic call."""
    rows = []
    for path in sorted(glob.glob(os.path.join(CONF, "invalid", "*.json"))):
        with open(path, encoding="utf-8") as f:
            case = json.load(f)
        cause = case["expect"].get("cause") or ""
        if "must be a valid JSONPath or a valid intrinsic" not in cause:
            continue
        for state in case["definition"].get("States", {}).values():
            found = single_call(state)
            if found:
                rows.append({"id": case["id"], "call": found[1],
                             "compile_error": True})
    return rows


def main():
    pattern = os.path.join(CONF, "cases", "intrinsic_functions_*.json")
    files = sorted(glob.glob(pattern))
    rows, skipped = [], 0
    for path in files:
        row = case_row(path)
        if row is None:
            skipped += 1
        else:
            rows.append(row)
    rows += invalid_rows()
    doc = {
        "_source": attribution(),
        "_generated_by": "tests/unit/gen_intrinsic_cases.py",
        "rows": rows,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False, sort_keys=False)
        f.write("\n")
    print("%d rows (%d recordings skipped) -> %s"
          % (len(rows), skipped, os.path.relpath(OUT, ROOT)),
          file=sys.stderr)


if __name__ == "__main__":
    main()
