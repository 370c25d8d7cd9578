#!/usr/bin/env python3
"""Run the Amazon States Language conformance cases in this directory.

Each ``*.json`` file next to this script is one case:

    {"name": ..., "source": <AWS doc URL>, "note": ...,
     "definition": <state machine>, "input": <execution input>,
     "expect": {"status": "SUCCEEDED", "output": ...}
            or {"status": "FAILED", "error": "...", "cause_contains": "..."}}

``expect`` may also carry ``min_duration_seconds`` / ``max_duration_seconds``
(bounds on stopDate - startDate), used by the Wait and Retry timing cases.

For every case the runner creates a state machine, starts one execution,
polls DescribeExecution until it leaves RUNNING (30 s timeout), compares the
result and deletes the state machine. Prints one PASS/FAIL line per case and a
summary; exits 1 if any case failed.

Usage:
    python run_cases.py [--endpoint http://127.0.0.1:4610] [--workers 8]
                        [-k SUBSTRING] [--verbose]

Only the standard library and boto3 are needed.
"""
import argparse
import glob
import json
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))
ROLE_ARN = "arn:aws:iam::000000000000:role/asl-conformance"
TIMEOUT_SECONDS = 30.0


def strict_equal(a, b):
    """JSON equality that does not confuse true/1 or false/0 (Python's == does)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def compact(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def load_cases(pattern):
    cases = []
    for path in sorted(glob.glob(os.path.join(HERE, "*.json"))):
        with open(path) as fh:
            case = json.load(fh)
        case["_file"] = os.path.basename(path)
        if pattern and pattern not in case["_file"]:
            continue
        cases.append(case)
    return cases


def make_client(endpoint):
    return boto3.client(
        "stepfunctions",
        endpoint_url=endpoint,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "000000000000"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "x"),
        config=Config(retries={"max_attempts": 3}, read_timeout=60),
    )


def run_case(client, case):
    """Returns (passed, problems, actual) for one case."""
    expect = case["expect"]
    stem = case["_file"][:-5]
    name = ("asl-" + stem)[:70] + "-" + uuid.uuid4().hex[:8]
    actual = {}
    sm_arn = None
    try:
        try:
            sm_arn = client.create_state_machine(
                name=name, definition=json.dumps(case["definition"]), roleArn=ROLE_ARN,
            )["stateMachineArn"]
        except Exception as exc:  # definition rejected
            return False, ["create_state_machine failed: %s" % exc], actual

        exec_arn = client.start_execution(
            stateMachineArn=sm_arn, input=json.dumps(case.get("input", {})),
        )["executionArn"]

        deadline = time.time() + TIMEOUT_SECONDS
        while True:
            desc = client.describe_execution(executionArn=exec_arn)
            if desc["status"] != "RUNNING":
                break
            if time.time() > deadline:
                try:
                    client.stop_execution(executionArn=exec_arn, error="Conformance.Timeout")
                except Exception:
                    pass
                return False, ["still RUNNING after %.0f s" % TIMEOUT_SECONDS], {"status": "RUNNING"}
            time.sleep(0.1)

        actual["status"] = desc["status"]
        if "output" in desc and desc["status"] == "SUCCEEDED":
            actual["output"] = json.loads(desc["output"])
        if desc.get("error") is not None:
            actual["error"] = desc.get("error")
        if desc.get("cause") is not None:
            actual["cause"] = desc.get("cause")
        if desc.get("startDate") and desc.get("stopDate"):
            actual["duration"] = round((desc["stopDate"] - desc["startDate"]).total_seconds(), 3)

        problems = []
        if actual["status"] != expect["status"]:
            problems.append("status: expected %s, got %s" % (expect["status"], actual["status"]))
        if "output" in expect:
            if "output" not in actual:
                problems.append("output: expected %s, got none" % compact(expect["output"]))
            elif not strict_equal(actual["output"], expect["output"]):
                problems.append("output: expected %s, got %s"
                                % (compact(expect["output"]), compact(actual["output"])))
        if "error" in expect and actual.get("error") != expect["error"]:
            problems.append("error: expected %r, got %r" % (expect["error"], actual.get("error")))
        if "cause_contains" in expect and expect["cause_contains"] not in (actual.get("cause") or ""):
            problems.append("cause: expected to contain %r, got %r"
                            % (expect["cause_contains"], actual.get("cause")))
        duration = actual.get("duration")
        if "min_duration_seconds" in expect and (duration is None or duration < expect["min_duration_seconds"]):
            problems.append("duration: expected >= %.2f s, got %s" % (expect["min_duration_seconds"], duration))
        if "max_duration_seconds" in expect and (duration is None or duration > expect["max_duration_seconds"]):
            problems.append("duration: expected <= %.2f s, got %s" % (expect["max_duration_seconds"], duration))
        return not problems, problems, actual
    except Exception as exc:
        return False, ["runner error: %r" % exc], actual
    finally:
        if sm_arn:
            try:
                client.delete_state_machine(stateMachineArn=sm_arn)
            except Exception:
                pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default=os.environ.get("ASL_ENDPOINT", "http://127.0.0.1:4610"))
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("-k", dest="pattern", default=None, help="only run cases whose file name contains this")
    parser.add_argument("--verbose", action="store_true", help="also print actual results of passing cases")
    args = parser.parse_args()

    cases = load_cases(args.pattern)
    if not cases:
        print("no cases found")
        return 2
    client = make_client(args.endpoint)

    with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
        results = list(pool.map(lambda c: (c, run_case(client, c)), cases))

    failed = []
    for case, (passed, problems, actual) in results:
        if passed:
            print("PASS %s" % case["_file"])
            if args.verbose:
                print("     actual: %s" % compact(actual))
        else:
            failed.append(case["_file"])
            print("FAIL %s" % case["_file"])
            for p in problems:
                print("     - %s" % p)
            if actual.get("status") == "FAILED":
                print("     - actual error/cause: %r / %r" % (actual.get("error"), actual.get("cause")))
            print("     source: %s" % case["source"])
    print()
    print("%d cases: %d passed, %d failed" % (len(results), len(results) - len(failed), len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
