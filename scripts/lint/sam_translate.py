"""Run the SAM translator (aws-sam-translator, pinned in scripts/lint/requirements.txt) on a template.

Usage: sam_translate.py TEMPLATE OUT.json

As `sam package` does first, local CodeUri/DefinitionUri paths become S3 URIs (the translator only
accepts S3 locations); no AWS call is made: managed policies are resolved by a stub loader that knows
the ones the template may attach by name. Writes the translated CloudFormation to OUT.json, which
scripts/lint then gives to cfn-lint.
"""

import json
import os
import sys

from cfnlint.decode import decode
from samtranslator.translator.transform import transform
from samtranslator.public.exceptions import InvalidDocumentException

# Where a packaged artefact would live; any syntactically valid S3 URI does.
ARTEFACT_BUCKET = "s3://sam-artefacts-000000000000/"
LOCAL_URI_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::Api": "DefinitionUri",
}


class ManagedPolicyLoader:
    """Stands in for IAM ListPolicies: the AWS managed policies a template may name."""

    def load(self):
        names = ["AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess", "AWSLambdaSQSQueueExecutionRole",
                 "AWSLambdaDynamoDBExecutionRole", "AWSLambdaKinesisExecutionRole"]
        return {name: f"arn:aws:iam::aws:policy/service-role/{name}" for name in names}


def packaged(template):
    for name, resource in template.get("Resources", {}).items():
        prop = LOCAL_URI_PROPERTIES.get(resource.get("Type"))
        props = resource.get("Properties") or {}
        uri = props.get(prop) if prop else None
        if isinstance(uri, str) and not uri.startswith("s3://"):
            props[prop] = ARTEFACT_BUCKET + (name if uri in (".", "./") else uri)
    return template


def plain(value):
    """cfn-lint's decoded nodes as plain dicts/lists/strings."""
    return json.loads(json.dumps(value))


def main(path, out):
    template, matches = decode(path)
    if matches:
        for m in matches:
            print(f"{path}: {m}", file=sys.stderr)
        return 1
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    try:
        translated = transform(packaged(plain(template)), {}, ManagedPolicyLoader())
    except InvalidDocumentException as exc:
        for cause in exc.causes:
            print(f"{path}: {cause.message}", file=sys.stderr)
        return 1
    with open(out, "w") as f:
        json.dump(translated, f, indent=1)
    kinds = {}
    for resource in translated["Resources"].values():
        kinds[resource["Type"]] = kinds.get(resource["Type"], 0) + 1
    print(f"{path}: SAM transform OK, {len(translated['Resources'])} resources "
          f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))})")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
