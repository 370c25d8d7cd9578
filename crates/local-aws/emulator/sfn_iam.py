"""Step Functions calls its integrations as the state machine's role (or a task's `Credentials` role).

What AWS documents:
- "Step Functions uses the execution role of the state machine to call other services"
  (https://docs.aws.amazon.com/step-functions/latest/dg/procedure-create-iam-role.html); each
  integration's page lists the actions that role needs
  (https://docs.aws.amazon.com/step-functions/latest/dg/service-integration-iam-templates.html):
  `lambda:InvokeFunction` on the function for a Lambda task; `athena:StartQueryExecution` and, for
  `.sync`, `athena:GetQueryExecution` (and `athena:StopQueryExecution` to stop it) on the workgroup;
  `states:StartExecution` on the child state machine and, for `.sync`, `states:DescribeExecution` and
  `states:StopExecution` on its executions and `events:PutTargets`, `events:PutRule`,
  `events:DescribeRule` on the managed rule `StepFunctionsGetEventsForStepFunctionsExecutionRule`;
  a Distributed Map's `ItemReader` needs `s3:GetObject` on the object it reads
  (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html, "IAM policies").
- A task with `Credentials.RoleArn` runs as that role: the execution role must be allowed
  `sts:AssumeRole` on it, and the role's trust policy must trust the execution role; Step Functions
  passes the state machine's ARN as `sts:ExternalId`
  (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-access-cross-acct-resources.html).
- A denied call fails the task with the integration's error: a Lambda task with
  `Lambda.AWSLambdaException` (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html,
  the `Lambda.*` errors are the service exception names), other optimized integrations with
  `<Service>.<Exception>`; an ItemReader that cannot read with `States.ItemReaderFailed`. The cause is
  the service's AccessDenied message naming the principal, action and resource.

What ministack 1.5.33 does, even with AUTH=true: integrations are called in-process with no principal,
so a state machine role without any permission ran every task. `Credentials` is ignored.

The fix: each Task (and each Map's ItemReader) is authorized before it runs, with ministack's own
evaluator (`iam_evaluator.enforce`), for a session of the role it runs as (the execution's role, or
the task's `Credentials` role once `sts:AssumeRole` and the trust policy allow it). The decisions go
to the access log (`iam_access`). Integrations this project does not use (anything other than Lambda,
Athena, `states:startExecution`, the S3 ItemReader) are authorized as `<service>:<Action>` on `*`.
"""

import contextvars

import ministack.services.stepfunctions as sfn
from role_sessions import denial_message, session_key

_ExecutionError = sfn._ExecutionError
_role = contextvars.ContextVar("offline_sfn_role", default=None)
_MANAGED_RULE = "rule/StepFunctionsGetEventsForStepFunctionsExecutionRule"


def _authorize(role, action, resource_arn, error):
    """Raise the task's failure unless `role` (role ARN, session name) may do `action` on the resource."""
    from ministack.core import iam_evaluator
    from ministack.core.responses import get_region

    if role is None:
        return
    role_arn, session_name = role
    service = action.split(":", 1)[0]
    denied = iam_evaluator.enforce(session_key(role_arn, session_name, "states"), action, service, get_region(),
                                   resource_arn=resource_arn)
    if denied is None:
        return
    message = denial_message(denied, role_arn, action, resource_arn)
    code, status = error
    raise _ExecutionError(code, "%s (Service: %s, Status Code: %d, Error Code: AccessDeniedException, "
                                "Request ID: %s)" % (message, code.split(".")[0], status, sfn.new_uuid()))


def _function_arn(ref):
    from ministack.core.responses import get_account_id, get_region

    if ref.startswith("arn:"):
        return ref
    name, _, qualifier = ref.partition(":")
    arn = f"arn:aws:lambda:{get_region()}:{get_account_id()}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def _checks(resource, input_data):
    """The (action, resource ARN, error) each integration call needs."""
    from ministack.core.responses import get_account_id, get_region

    region, account = get_region(), get_account_id()
    lambda_error = ("Lambda.AWSLambdaException", 403)
    if "states:::lambda:invoke" in resource:
        return [("lambda:InvokeFunction", _function_arn(str((input_data or {}).get("FunctionName", ""))),
                 lambda_error)]
    if resource.startswith("arn:aws:lambda:"):
        return [("lambda:InvokeFunction", resource, lambda_error)]
    if resource.startswith("arn:aws:states:::athena:"):
        workgroup = f"arn:aws:athena:{region}:{account}:workgroup/{(input_data or {}).get('WorkGroup') or 'primary'}"
        action = resource[len("arn:aws:states:::athena:"):].replace(".sync", "")
        actions = [action] + (["getQueryExecution"] if resource.endswith(".sync") else [])
        return [("athena:" + a[0].upper() + a[1:], workgroup, ("Athena.AmazonAthenaException", 400))
                for a in actions]
    if resource.startswith("arn:aws:states:::states:startExecution"):
        target = str((input_data or {}).get("StateMachineArn", ""))
        error = ("StepFunctions.AWSStepFunctionsException", 400)
        checks = [("states:StartExecution", target, error)]
        if ".sync" in resource:
            name = target.rsplit(":", 1)[-1]
            executions = f"arn:aws:states:{region}:{account}:execution:{name}:*"
            rule = f"arn:aws:events:{region}:{account}:{_MANAGED_RULE}"
            checks += [("states:DescribeExecution", executions, error)]
            checks += [(a, rule, error) for a in ("events:PutTargets", "events:PutRule", "events:DescribeRule")]
        return checks
    if "aws-sdk:" in resource:
        service, _, action = resource.split("aws-sdk:", 1)[1].partition(":")
        action = action.split(".", 1)[0]
        return [(f"{service}:{action[:1].upper()}{action[1:]}", "*", (f"{service.upper()}.AccessDeniedException", 400))]
    if resource.startswith("arn:aws:states:::"):
        service, _, action = resource[len("arn:aws:states:::"):].partition(":")
        action = action.split(".", 1)[0]
        return [(f"{service}:{action[:1].upper()}{action[1:]}", "*", (f"{service.upper()}.AccessDeniedException", 400))]
    return []


def _execution_role(execution):
    started = (execution.get("events") or [{}])[0].get("executionStartedEventDetails") or {}
    role_arn = started.get("roleArn") or (sfn._state_machines.get(execution.get("stateMachineArn")) or {}).get("roleArn")
    if not role_arn:
        return None
    return role_arn, execution.get("stateMachineArn", "").rsplit(":", 1)[-1][:64] or "states"


def _task_credentials_role(state_def, raw_input, execution, ctx, role):
    """The role a task's `Credentials` names, once the execution role may assume it; else `role`."""
    credentials = state_def.get("Credentials")
    if not credentials or role is None:
        return role
    if "RoleArn.$" in credentials:
        target = sfn._resolve_path_or_ctx(credentials["RoleArn.$"], raw_input, ctx)
    else:
        target = credentials.get("RoleArn", "")
    error = ("States.TaskFailed", 403)
    _authorize(role, "sts:AssumeRole", target, error)
    _trust(target, role, execution, error)
    return target, role[1]


def _trust(target, role, execution, error):
    """The target role's trust policy must allow the execution role's session, ExternalId = machine ARN."""
    from ministack.core import iam_evaluator
    from ministack.core.responses import get_region
    from ministack.services import iam as iam_svc

    account = target.split(":")[4] if target.count(":") >= 5 else ""
    record = iam_svc._roles.get_scoped(account, None, target.rsplit("/", 1)[-1]) if account else None
    caller = f"arn:aws:sts::{role[0].split(':')[4]}:assumed-role/{role[0].rsplit('/', 1)[-1]}/{role[1]}"
    context = iam_evaluator.EvalContext(
        principal_arn=caller, principal_type="AssumedRole", principal_account=role[0].split(":")[4],
        action="sts:AssumeRole", resource_arn=target, region=get_region(),
        service_context={"sts:externalid": execution.get("stateMachineArn", "")},
        principal_keys={"aws:principalarn": role[0]},
    )
    trusted = record is not None and iam_evaluator.evaluate_trust_policy(
        record.get("AssumeRolePolicyDocument", "{}"), caller, context)
    from iam_access import record as log

    log(caller, "sts:AssumeRole (trust policy)", target, "allowed" if trusted else "implicit-deny")
    if not trusted:
        raise _ExecutionError(error[0], "User: %s is not authorized to perform: sts:AssumeRole on resource: %s "
                                        "(Service: AWSSecurityTokenService; Status Code: 403; Error Code: "
                                        "AccessDenied)" % (caller, target))


def _with_role(original, takes_role_from_task=False):
    def handler(state_def, raw_input, execution, ctx):
        role = _role.get() or _execution_role(execution)
        if takes_role_from_task:
            role = _task_credentials_role(state_def, raw_input, execution, ctx, role)
        token = _role.set(role)
        try:
            return original(state_def, raw_input, execution, ctx)
        finally:
            _role.reset(token)
    return handler


def _authorized(original):
    def invoke(resource, input_data, *rest):
        for action, arn, error in _checks(resource, input_data):
            _authorize(_role.get(), action, arn, error)
        return original(resource, input_data, *rest)
    return invoke


def _authorized_reader(original):
    def read(reader, effective, ctx):
        params = sfn._resolve_params_obj(reader.get("Parameters") or reader.get("Arguments") or {}, effective, ctx)
        resource = reader.get("Resource", "")
        if resource.endswith("s3:listObjectsV2"):
            _authorize(_role.get(), "s3:ListBucket", f"arn:aws:s3:::{params.get('Bucket')}",
                       ("States.ItemReaderFailed", 403))
        else:
            _authorize(_role.get(), "s3:GetObject", f"arn:aws:s3:::{params.get('Bucket')}/{params.get('Key')}",
                       ("States.ItemReaderFailed", 403))
        return original(reader, effective, ctx)
    return read


def install():
    from ministack.app import AUTH

    if not AUTH:
        return
    sfn._execute_task = _with_role(sfn._execute_task, takes_role_from_task=True)
    sfn._execute_map = _with_role(sfn._execute_map)
    sfn._execute_parallel = _with_role(sfn._execute_parallel)
    sfn._invoke_resource = _authorized(sfn._invoke_resource)
    sfn._invoke_with_callback = _authorized(sfn._invoke_with_callback)
    sfn._read_map_items = _authorized_reader(sfn._read_map_items)
