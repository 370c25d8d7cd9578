"""Sessions of a role that a service holds while it acts as that role (not a patch: shared by patches).

Step Functions (sfn_iam.py) and CloudFormation (cfn_stack_role.py) act as a role the way ministack's
Lambda runtime does for a function's execution role (`ministack.core.lambda_runtime.execution_credentials`):
a session registered with ministack's STS, whose access key ministack's evaluator
(`iam_evaluator.enforce`) resolves to `arn:aws:sts::<account>:assumed-role/<role>/<session>` and that
role's policies.
"""

import hashlib


def session_key(role_arn, session_name, service):
    """The access key of `service`'s session `session_name` of `role_arn`, registered on first use."""
    from ministack.services import sts as sts_svc

    digest = hashlib.sha256(f"{service}:{role_arn}:{session_name}".encode()).hexdigest()
    access_key = f"ASIA{digest[:16].upper()}"
    if access_key not in sts_svc._sessions:
        account, role_name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
        sts_svc.register_session(access_key, {
            "Arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}",
            "UserId": f"{role_name}:{session_name}",
            "SecretAccessKey": hashlib.sha256(f"secret:{digest}".encode()).hexdigest(),
            "SessionToken": hashlib.sha256(f"token:{digest}".encode()).hexdigest(),
        })
    return access_key


def denial_message(denied, role_arn, action, resource_arn):
    """AWS's AccessDenied message for `enforce`'s denial of `action` on `resource_arn`."""
    from ministack.core.iam_actions import identity_denial_message

    principal = getattr(denied, "principal_arn", "") or role_arn
    return identity_denial_message(action, principal, resource_arn, getattr(denied, "decision", "") == "Deny")
