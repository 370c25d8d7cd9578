#!/usr/bin/env python3
"""Writes cfn_handler_permissions.json (beside this script) from the resource type schemas cfn-lint ships.

Each CloudFormation resource type's registry schema lists the IAM permissions each of its handlers
needs (`handlers.<create|read|update|delete|list>.permissions`). cfn-lint carries the schemas of every
region (`cfnlint/data/schemas/providers/<region>.json` maps a type to `resources/<hash>.json`); we take
us-east-1's, for the types a stack role deploys in our templates (`regional-transient.yaml`, created
by the host's StagingStackRole). The local AWS checks a stack role with them (cfn_stack_role.py).

Run with the Python of the pinned linters (scripts/lint/run installs cfn-lint into .offline/lint/venv):
    .offline/lint/venv/bin/python crates/local-aws/emulator/extract_cfn_handler_permissions.py
`tests/tests/template_policy.rs` fails when the file differs from what this writes.
"""
import json
import pathlib
import sys

import cfnlint

HERE = pathlib.Path(__file__).resolve().parent
TYPES = [
    "AWS::KMS::Key",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
]


def extract():
    schemas = pathlib.Path(cfnlint.__file__).parent / "data" / "schemas"
    providers = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    types = {}
    for name in TYPES:
        schema = json.loads((schemas / "resources" / f"{providers[name]}.json").read_text())
        types[name] = {handler: sorted(spec.get("permissions", []))
                       for handler, spec in sorted(schema.get("handlers", {}).items())}
    version = getattr(cfnlint, "__version__", None)
    if version is None:
        from cfnlint.version import __version__ as version
    return {
        "source": f"cfn-lint {version}: cfnlint/data/schemas/providers/us-east-1.json -> resources/<hash>.json, "
                  "handlers.<handler>.permissions (the CloudFormation registry schemas)",
        "types": types,
    }


if __name__ == "__main__":
    text = json.dumps(extract(), indent=1, sort_keys=True) + "\n"
    if sys.argv[1:] == ["--print"]:
        sys.stdout.write(text)
    else:
        (HERE / "cfn_handler_permissions.json").write_text(text)
        print(f"wrote {HERE / 'cfn_handler_permissions.json'}")
