"""Amazon States Language deviations of ministack 1.5.33's Step Functions interpreter.

Each fix below names what the Step Functions developer guide documents and what 1.5.33 did; each is
proved by a case of the conformance suite in tests/asl/ (run through `offline execute`).

1. `IsPresent` on a field whose value is JSON null. AWS (Choice state, "IsPresent: matches if a field
   exists in the input"): the field exists, so `IsPresent: true` matches. 1.5.33 looked the value up and
   treated null as absent.
2. A JSONPath in `Parameters`, `ResultSelector` or `ItemSelector` (a `"key.$"` field) that selects
   nothing. AWS fails the state with `States.Runtime` ("The JSONPath ... could not be found in the
   input"). 1.5.33 silently produced null, hiding a wiring error until much later.
"""

import json

_MISSING = object()


def lookup(sfn, path, data):
    """The value `path` selects in `data`, or _MISSING when it selects nothing (null is a value)."""
    if path == "$":
        return data
    tokens = sfn._parse_jsonpath_tokens(path)
    if tokens is None:
        return _MISSING
    if any(kind == "wildcard" for kind, _ in tokens):
        return sfn._resolve_path(path, data)
    current = data
    for kind, value in tokens:
        if kind == "field":
            if not isinstance(current, dict) or value not in current:
                return _MISSING
            current = current[value]
        elif kind == "index":
            if not isinstance(current, list) or not -len(current) <= value < len(current):
                return _MISSING
            current = current[value]
        else:
            return sfn._resolve_path(path, data)
    return current


def _path_not_found(sfn, field, path, data):
    text = json.dumps(data, separators=(",", ":"))
    if len(text) > 256:
        text = text[:256] + "..."
    return sfn._ExecutionError(
        "States.Runtime",
        f"The JSONPath '{path}' specified for the field '{field}' could not be found in the input '{text}'",
    )


def install():
    from ministack.services import stepfunctions as sfn

    evaluate_rule = sfn._evaluate_rule
    resolve_params_obj = sfn._resolve_params_obj

    def evaluate_rule_fixed(rule, data, ctx=None):
        variable = rule.get("Variable")
        if "IsPresent" in rule and isinstance(variable, str):
            if variable.startswith("$$."):
                found = lookup(sfn, variable[1:], ctx or {}) is not _MISSING
            else:
                found = lookup(sfn, variable, data) is not _MISSING
            return found == rule["IsPresent"]
        return evaluate_rule(rule, data, ctx)

    def check_paths(template, data, ctx):
        """Raise States.Runtime for the first `key.$` path that selects nothing, as AWS does."""
        if isinstance(template, dict):
            for key, value in template.items():
                if key.endswith(".$") and isinstance(value, str):
                    if value.startswith("$$."):
                        if lookup(sfn, value[1:], ctx or {}) is _MISSING:
                            raise _path_not_found(sfn, key, value, ctx or {})
                    elif value.startswith("$") and lookup(sfn, value, data) is _MISSING:
                        raise _path_not_found(sfn, key, value, data)
                elif isinstance(value, (dict, list)):
                    check_paths(value, data, ctx)
        elif isinstance(template, list):
            for value in template:
                check_paths(value, data, ctx)

    def resolve_params_obj_fixed(template, data, ctx=None):
        check_paths(template, data, ctx)
        return resolve_params_obj(template, data, ctx)

    sfn._evaluate_rule = evaluate_rule_fixed
    sfn._resolve_params_obj = resolve_params_obj_fixed
