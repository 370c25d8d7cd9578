"""Amazon States Language conformance of ministack 1.5.33's Step Functions interpreter (JSONPath).

The conformance suite in tests/asl/ (174 cases, each citing the Step Functions developer guide page or
the States Language specification it comes from) fails 34 cases on the unpatched interpreter; with
these replacements every case passes. Each replacement names what AWS documents and what 1.5.33 did;
the table with line numbers is tests/asl/PROPOSED_PATCHES.md.

P1  JSONPath: slices, unions and negative indexes; a path that selects nothing is told apart from
    a field holding null (1.5.33 returned None for both).
P2  A path that selects nothing in InputPath, OutputPath, Parameters, ResultSelector or ItemSelector
    fails the state with States.Runtime (1.5.33 silently produced null).
P3  Choice: every documented operator (String*Path, Timestamp*Path were missing), strict RFC 3339
    timestamps, escaped `\*` in StringMatches, IsPresent true for a null value, a comparison on a
    missing Variable fails with States.Runtime, a type mismatch compares false.
P4  Intrinsics: arguments rounded as documented, MathRandom's end exclusive, States.Format writes
    true/false/null, ArrayRange at most 1000 items, evaluation failures are States.IntrinsicFailure.
P5  States.Runtime is never retried or caught, not even by States.ALL ("A retry or catch on
    States.ALL won't catch States.Runtime errors").
P6  Retry honours MaxDelaySeconds and JitterStrategy FULL.
P7  $$.Map.Item.Source is STATE_DATA for items taken from the state input.
P8  The execution history records the states inside Map iterations and Parallel branches
    (`TaskStateEntered`, `TaskStateExited`, ...), as AWS's does; 1.5.33 recorded only the top-level
    states, so state transitions (the bill) and history size (25,000-event limit) were undercounted.
    Still missing against AWS: the MapIterationStarted/Succeeded and ParallelStateStarted bookkeeping
    events, about two per iteration or branch — budget for them when sizing an execution.
Known effect: ministack reports its own unimplemented integrations as States.Runtime, which P5 makes
uncatchable too — as an unknown integration would be in AWS, where the definition would not deploy.
"""

import json
import math
import random
import re
import threading
from datetime import datetime

import ministack.services.stepfunctions as sfn

_ExecutionError = sfn._ExecutionError
_MISSING = object()  # "path selected nothing", distinct from a JSON null


# ---------------------------------------------------------------------------
# P1  JSONPath lookup: slices / unions / negative indexes, and "missing" != null
#     (replaces _resolve_path, _resolve_ctx_path; used by everything below)
# ---------------------------------------------------------------------------
def _jp_tokens(path):
    """Tokens of the JSONPath subset ASL uses, or None if the path is not parseable."""
    toks, pos, n = [], 1, len(path)
    while pos < n:
        ch = path[pos]
        if ch == ".":
            pos += 1
            if pos >= n:
                return None
            if path[pos] == "*":
                toks.append(("wild", None))
                pos += 1
            elif path[pos] == "[":
                continue
            else:
                start = pos
                while pos < n and path[pos] not in ".[":
                    pos += 1
                if start == pos:
                    return None
                toks.append(("field", path[start:pos]))
            continue
        if ch != "[":
            return None
        # bracket: find the matching "]" outside quotes
        pos += 1
        start, quote = pos, None
        while pos < n:
            c = path[pos]
            if quote:
                if c == "\\":
                    pos += 1
                elif c == quote:
                    quote = None
            elif c in "'\"":
                quote = c
            elif c == "]":
                break
            pos += 1
        if pos >= n:
            return None
        inner = path[start:pos].strip()
        pos += 1
        try:
            if inner == "*":
                toks.append(("wild", None))
            elif inner[:1] in "'\"":
                names = [json.loads('"%s"' % p.strip()[1:-1].replace('"', '\\"')) for p in inner.split(",")]
                toks.append(("field", names[0]) if len(names) == 1 else ("fields", names))
            elif ":" in inner:
                parts = [p.strip() for p in inner.split(":")]
                if len(parts) > 3:
                    return None
                toks.append(("slice", tuple(int(p) if p else None for p in parts)))
            elif "," in inner:
                toks.append(("union", [int(p) for p in inner.split(",")]))
            else:
                toks.append(("index", int(inner)))
        except ValueError:
            return None
    return toks


def _jp_lookup(path, data):
    """Value selected by `path` in `data`; _MISSING if a definite path selects nothing;
    a list for indefinite paths (wildcard, slice, union); None if the path is unparseable."""
    if path in ("$", ""):
        return data
    toks = _jp_tokens(path)
    if toks is None:
        return None  # keep ministack's old answer for syntax it never understood
    values, projected = [data], False
    for kind, arg in toks:
        out = []
        for cur in values:
            if kind == "field":
                if isinstance(cur, dict) and arg in cur:
                    out.append(cur[arg])
            elif kind == "fields":
                if isinstance(cur, dict):
                    out.extend(cur[a] for a in arg if a in cur)
            elif kind == "index":
                if isinstance(cur, list) and -len(cur) <= arg < len(cur):
                    out.append(cur[arg])
            elif kind == "union":
                if isinstance(cur, list):
                    out.extend(cur[i] for i in arg if -len(cur) <= i < len(cur))
            elif kind == "slice":
                if isinstance(cur, list):
                    out.extend(cur[slice(*arg)])
            elif kind == "wild":
                if isinstance(cur, list):
                    out.extend(cur)
                elif isinstance(cur, dict):
                    out.extend(cur.values())
        if kind in ("fields", "union", "slice", "wild"):
            projected = True
        values = out
    if projected:
        return values
    return values[0] if values else _MISSING


def _ctx_view(ctx):
    """The context object as the workflow sees it ($$), with Map.Item.Source for inline items."""
    ctx = ctx or {}
    view = {k: ctx[k] for k in ("Execution", "State", "StateMachine", "Task", "Map") if k in ctx}
    item = (view.get("Map") or {}).get("Item")
    if isinstance(item, dict) and "Source" not in item and not ctx.get("_asl_item_reader"):
        view["Map"] = dict(view["Map"], Item=dict(item, Source="STATE_DATA"))
    return view


def _lookup_or_ctx(path, data, ctx):
    if path.startswith("$$"):
        return _jp_lookup(path[1:], _ctx_view(ctx))
    return _jp_lookup(path, data)


def _require(path, data, ctx, cause):
    value = _lookup_or_ctx(path, data, ctx)
    if value is _MISSING:
        raise _ExecutionError("States.Runtime", cause)
    return value


def _resolve_path(path, data):
    if path == "$" or not path or not path.startswith("$"):
        return data
    value = _jp_lookup(path, data)
    return None if value is _MISSING else value


def _resolve_ctx_path(path, ctx):
    if not path.startswith("$$"):
        return None
    value = _jp_lookup(path[1:], _ctx_view(ctx))
    return None if value is _MISSING else value


# ---------------------------------------------------------------------------
# P2  InputPath / OutputPath / Parameters / ResultSelector / ItemSelector:
#     a path that selects nothing fails the execution with States.Runtime
# ---------------------------------------------------------------------------
def _apply_input_path(state_def, data, ctx=None):
    ip = state_def.get("InputPath", "$")
    if ip is None:
        return {}
    return _require(ip, data, ctx, "Invalid path '%s' : No results for path: %s" % (ip, ip))


def _apply_output_path(state_def, data, ctx=None):
    op = state_def.get("OutputPath", "$")
    if op is None:
        return {}
    return _require(op, data, ctx, "Invalid path '%s' : No results for path: %s" % (op, op))


def _resolve_params_obj(template, data, ctx=None):
    if not isinstance(template, dict):
        return template
    result = {}
    for key, value in template.items():
        if key.endswith(".$") and isinstance(value, str):
            real_key = key[:-2]
            if value.startswith("States."):
                result[real_key] = sfn._evaluate_intrinsic(value, data, ctx)
            elif value.startswith("$"):
                result[real_key] = _require(
                    value, data, ctx,
                    "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'"
                    % (value, key, json.dumps(data)))
            else:
                result[real_key] = _resolve_path(value, data)
        elif key.endswith(".$"):
            result[key[:-2]] = value
        elif isinstance(value, dict):
            result[key] = _resolve_params_obj(value, data, ctx)
        elif isinstance(value, list):
            result[key] = [_resolve_params_obj(v, data, ctx) if isinstance(v, dict) else v for v in value]
        else:
            result[key] = value
    return result


# ---------------------------------------------------------------------------
# P3  Choice rules: every documented operator (incl. String*Path / Timestamp*Path),
#     strict RFC3339 timestamps, StringMatches escapes, IsPresent on null,
#     missing Variable -> States.Runtime, type mismatch -> false
# ---------------------------------------------------------------------------
_TS_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _parse_ts(v):
    if not isinstance(v, str):
        return None
    m = _TS_RE.match(v)
    if not m:
        return None
    frac = (m.group(2) or "")[:7]  # datetime takes at most 6 fractional digits
    try:
        return datetime.fromisoformat(m.group(1) + frac + m.group(3).replace("Z", "+00:00"))
    except ValueError:
        return None


def _is_timestamp(v):
    return _parse_ts(v) is not None


def _java_str_key(s):
    # Java String.compareTo compares UTF-16 code units
    return s.encode("utf-16-be", "surrogatepass")


def _string_matches(pattern, value):
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern):
                raise _ExecutionError("States.Runtime", "Open escape in StringMatches pattern: %s" % pattern)
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif c == "*":
            out.append(".*")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    return re.fullmatch("".join(out), value, re.DOTALL) is not None


_CMP = {"Equals": lambda a, b: a == b, "LessThan": lambda a, b: a < b, "GreaterThan": lambda a, b: a > b,
        "LessThanEquals": lambda a, b: a <= b, "GreaterThanEquals": lambda a, b: a >= b}
_FAMILIES = {
    "String": (lambda v: isinstance(v, str), _java_str_key),
    "Numeric": (sfn._is_num, lambda v: v),
    "Boolean": (lambda v: isinstance(v, bool), lambda v: v),
    "Timestamp": (_is_timestamp, _parse_ts),
}


def _evaluate_rule(rule, data, ctx=None):
    if "And" in rule:
        return all(_evaluate_rule(r, data, ctx) for r in rule["And"])
    if "Or" in rule:
        return any(_evaluate_rule(r, data, ctx) for r in rule["Or"])
    if "Not" in rule:
        return not _evaluate_rule(rule["Not"], data, ctx)
    variable = rule.get("Variable")
    if not variable:
        return False
    value = _lookup_or_ctx(variable, data, ctx)
    if "IsPresent" in rule:
        return (value is not _MISSING) == rule["IsPresent"]
    if value is _MISSING:
        raise _ExecutionError(
            "States.Runtime",
            "Invalid path '%s': The choice state's condition path references an invalid value." % variable)
    if "IsNull" in rule:
        return (value is None) == rule["IsNull"]
    if "IsNumeric" in rule:
        return sfn._is_num(value) == rule["IsNumeric"]
    if "IsString" in rule:
        return isinstance(value, str) == rule["IsString"]
    if "IsBoolean" in rule:
        return isinstance(value, bool) == rule["IsBoolean"]
    if "IsTimestamp" in rule:
        return _is_timestamp(value) == rule["IsTimestamp"]
    if "StringMatches" in rule:
        return isinstance(value, str) and _string_matches(rule["StringMatches"], value)
    for family, (is_type, key) in _FAMILIES.items():
        for cmp_name, cmp in _CMP.items():
            if family == "Boolean" and cmp_name != "Equals":
                continue
            for op in (family + cmp_name, family + cmp_name + "Path"):
                if op not in rule:
                    continue
                rhs = rule[op]
                if op.endswith("Path"):
                    rhs = _require(rhs, data, ctx,
                                   "Invalid path '%s': The choice state's condition path references an "
                                   "invalid value." % rhs)
                if not (is_type(value) and is_type(rhs)):
                    return False
                return cmp(key(value), key(rhs))
    return False


# ---------------------------------------------------------------------------
# P4  Intrinsics: documented argument rounding / validation, MathRandom end-exclusive,
#     States.Format natural string values, failures -> States.IntrinsicFailure
# ---------------------------------------------------------------------------
def _int_arg(v, what):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError("%s must be a number" % what)
    return int(math.floor(v + 0.5)) if isinstance(v, float) else v  # "round it off to the nearest integer"


def _natural(v):
    if isinstance(v, str):
        return v
    if isinstance(v, (dict, list)):
        raise ValueError("States.Format arguments must not be JSON objects or arrays")
    return json.dumps(v)  # true / false / null / numbers


def _i_format(args):
    template, values = args[0], args[1:]
    if not isinstance(template, str):
        raise ValueError("The first argument of States.Format must be a string")
    out, i, used = [], 0, 0
    while i < len(template):
        c = template[i]
        if c == "\\" and i + 1 < len(template):
            out.append(template[i + 1])
            i += 2
        elif template.startswith("{}", i):
            if used >= len(values):
                raise ValueError("States.Format has more {} than arguments")
            out.append(_natural(values[used]))
            used += 1
            i += 2
        else:
            out.append(c)
            i += 1
    if used != len(values):
        raise ValueError("States.Format has more arguments than {}")
    return "".join(out)


def _i_partition(args):
    arr, size = args[0], _int_arg(args[1], "chunk size")
    if not isinstance(arr, list) or size <= 0:
        raise ValueError("States.ArrayPartition needs an array and a positive chunk size")
    return [arr[i:i + size] for i in range(0, len(arr), size)]


def _i_range(args):
    start, end, step = (_int_arg(a, "argument") for a in args[:3])
    if step == 0:
        raise ValueError("States.ArrayRange step must not be 0")
    items = list(range(start, end + (1 if step > 0 else -1), step))
    if len(items) > 1000:
        raise ValueError("States.ArrayRange can't create more than 1000 items")
    return items


def _i_get_item(args):
    arr, idx = args[0], args[1]
    if not isinstance(arr, list) or isinstance(idx, bool) or not isinstance(idx, (int, float)) \
            or int(idx) != idx or not 0 <= int(idx) < len(arr):
        raise ValueError("States.ArrayGetItem index out of bounds")
    return arr[int(idx)]


def _i_random(args):
    start, end = _int_arg(args[0], "start"), _int_arg(args[1], "end")
    if end <= start:
        raise ValueError("States.MathRandom end must be greater than start")
    rng = random.Random(args[2]) if len(args) > 2 else random
    return rng.randrange(start, end)  # start inclusive, end exclusive


def _i_add(args):
    a, b = _int_arg(args[0], "argument"), _int_arg(args[1], "argument")
    if not all(-2147483648 <= x <= 2147483647 for x in (a, b)):
        raise ValueError("States.MathAdd arguments must be 32-bit integers")
    return a + b


_INTRINSIC_OVERRIDES = {
    "States.Format": _i_format, "States.ArrayPartition": _i_partition, "States.ArrayRange": _i_range,
    "States.ArrayGetItem": _i_get_item, "States.MathRandom": _i_random, "States.MathAdd": _i_add,
}
_orig_exec_intrinsic = sfn._exec_intrinsic
_orig_evaluate_intrinsic = sfn._evaluate_intrinsic


def _exec_intrinsic(node, data, ctx):
    _, name, raw_args = node
    if name in _INTRINSIC_OVERRIDES:
        return _INTRINSIC_OVERRIDES[name]([sfn._eval_intrinsic_arg(a, data, ctx) for a in raw_args])
    return _orig_exec_intrinsic(node, data, ctx)


def _evaluate_intrinsic(expression, data, ctx):
    try:
        return _orig_evaluate_intrinsic(expression, data, ctx)
    except _ExecutionError:
        raise
    except Exception as exc:
        raise _ExecutionError("States.IntrinsicFailure", "%s: %s" % (expression, exc))


# ---------------------------------------------------------------------------
# P5  States.Runtime is never retried or caught (not even by States.ALL / States.TaskFailed);
#     States.DataLimitExceeded is not matched by States.ALL
# ---------------------------------------------------------------------------
_orig_error_matches = sfn._error_matches


def _error_matches(error_equals, error):
    if error == "States.Runtime":
        return False
    if error == "States.DataLimitExceeded":
        return error in error_equals
    return _orig_error_matches(error_equals, error)


# ---------------------------------------------------------------------------
# P6  Retry: honour MaxDelaySeconds and JitterStrategy FULL. The callers compute
#     IntervalSeconds * BackoffRate ** count, so hand them a retrier whose interval is the
#     final delay and whose BackoffRate is 1.
# ---------------------------------------------------------------------------
_orig_find_matching_retrier = sfn._find_matching_retrier


def _find_matching_retrier(retriers, error, retry_counts):
    retrier, idx = _orig_find_matching_retrier(retriers, error, retry_counts)
    if retrier is None:
        return retrier, idx
    count = retry_counts.get(idx, 0)
    delay = retrier.get("IntervalSeconds", 1) * (retrier.get("BackoffRate", 2.0) ** count)
    if "MaxDelaySeconds" in retrier:
        delay = min(delay, retrier["MaxDelaySeconds"])
    if retrier.get("JitterStrategy") == "FULL":
        delay = random.uniform(0, delay)
    return dict(retrier, IntervalSeconds=delay, BackoffRate=1.0), idx


# ---------------------------------------------------------------------------
# P7  $$.Map.Item.Source: STATE_DATA for items taken from the state input (see _ctx_view);
#     left unset for ItemReader (S3) sources.
# ---------------------------------------------------------------------------
_orig_run_distributed_map = sfn._run_distributed_map


def _run_distributed_map(state_def, raw_input, effective, iterator, execution, ctx):
    if state_def.get("ItemReader"):
        ctx = dict(ctx, _asl_item_reader=True)
    return _orig_run_distributed_map(state_def, raw_input, effective, iterator, execution, ctx)


# ---------------------------------------------------------------------------
# P8  History of the states inside Map iterations and Parallel branches.
# ---------------------------------------------------------------------------
_events_lock = threading.Lock()
_orig_add_event = sfn._add_event
_HANDLERS = ("Pass", "Task", "Choice", "Wait", "Parallel", "Map")


def _add_event(execution, event_type, details=None):
    """Iterations run on threads; event ids must stay unique and in order."""
    with _events_lock:
        return _orig_add_event(execution, event_type, details)


def _run_sub_machine(states, start_at, input_data, execution, ctx):
    current_name = start_at
    current_input = sfn.copy.deepcopy(input_data)
    while current_name:
        state_def = states.get(current_name)
        if not state_def:
            raise _ExecutionError("States.Runtime", f"State '{current_name}' not found")
        state_type = state_def.get("Type")
        ctx["State"] = {"Name": current_name, "EnteredTime": sfn.now_iso(), "RetryCount": 0}
        sfn._add_event(execution, f"{state_type}StateEntered", {
            "stateEnteredEventDetails": {"name": current_name, "input": json.dumps(current_input)},
        })
        if state_type == "Succeed":
            output = sfn._apply_output_path(
                state_def, sfn._apply_input_path(state_def, current_input, ctx), ctx)
            sfn._add_event(execution, "SucceedStateExited", {
                "stateExitedEventDetails": {"name": current_name, "output": json.dumps(output)},
            })
            return output
        if state_type == "Fail":
            raise _ExecutionError(*sfn._fail_state_error(state_def, current_input, ctx))
        if state_type not in _HANDLERS:
            raise _ExecutionError("States.Runtime", f"Unknown state type: {state_type}")
        handler = getattr(sfn, f"_execute_{state_type.lower()}")
        if state_type in ("Task", "Parallel", "Map"):
            current_input, next_name = handler(state_def, current_input, execution, ctx)
        else:
            current_input, next_name = handler(state_def, current_input, ctx)
        sfn._add_event(execution, f"{state_type}StateExited", {
            "stateExitedEventDetails": {"name": current_name, "output": json.dumps(current_input)},
        })
        current_name = next_name
    return current_input


def install():
    """Replace the interpreter's functions; its callers look them up at call time."""
    for name, fn in {
        "_resolve_path": _resolve_path,
        "_resolve_ctx_path": _resolve_ctx_path,
        "_apply_input_path": _apply_input_path,
        "_apply_output_path": _apply_output_path,
        "_resolve_params_obj": _resolve_params_obj,
        "_evaluate_rule": _evaluate_rule,
        "_exec_intrinsic": _exec_intrinsic,
        "_evaluate_intrinsic": _evaluate_intrinsic,
        "_error_matches": _error_matches,
        "_find_matching_retrier": _find_matching_retrier,
        "_run_distributed_map": _run_distributed_map,
        "_add_event": _add_event,
        "_run_sub_machine": _run_sub_machine,
    }.items():
        setattr(sfn, name, fn)
