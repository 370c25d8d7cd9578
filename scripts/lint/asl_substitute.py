"""Write each state machine of a SAM template with its DefinitionSubstitutions filled in.

Usage: asl_substitute.py TEMPLATE OUT_DIR   (prints the written paths, one a line)

The definitions hold `${Name}` placeholders (some unquoted numbers) that CloudFormation replaces at
deploy time, so they are neither JSON nor ASL as stored. Each placeholder gets a plausible value derived
from the template (a function's ARN, a state machine's ARN, a bucket name, a parameter's default),
so the ASL validator also checks the ARN formats. A placeholder without a substitution is an error.
"""

import json
import os
import re
import sys

from cfnlint.decode import decode

REGION, ACCOUNT = "us-east-1", "123456789012"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")


def value(expr, template):
    resources, parameters = template.get("Resources", {}), template.get("Parameters", {})

    def ref(name):
        pseudo = {"AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::Partition": "aws"}
        if name in pseudo:
            return pseudo[name]
        if name in parameters:
            return str(parameters[name].get("Default", "example"))
        kind = resources.get(name, {}).get("Type", "")
        if kind.endswith("::StateMachine"):
            return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
        if kind.endswith("::Function"):
            return name
        if kind == "AWS::S3::Bucket":
            return f"{name.lower()}-{ACCOUNT}"
        raise ValueError(f"no example value for Ref {name} ({kind or 'unknown'})")

    if isinstance(expr, (str, int, float)):
        return str(expr)
    if "Ref" in expr:
        return ref(expr["Ref"])
    if "Fn::GetAtt" in expr:
        name, attribute = expr["Fn::GetAtt"]
        kind = resources.get(name, {}).get("Type", "")
        if attribute == "Arn" and kind.endswith("::Function"):
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        if attribute == "Arn" and kind == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/{name}"
        raise ValueError(f"no example value for GetAtt {name}.{attribute} ({kind or 'unknown'})")
    if "Fn::Sub" in expr and isinstance(expr["Fn::Sub"], str):
        return PLACEHOLDER.sub(lambda m: ref(m.group(1)), expr["Fn::Sub"])
    raise ValueError(f"no example value for {json.dumps(expr)}")


def main(path, out_dir):
    template, matches = decode(path)
    if matches:
        for m in matches:
            print(f"{path}: {m}", file=sys.stderr)
        return 1
    template = json.loads(json.dumps(template))
    os.makedirs(out_dir, exist_ok=True)
    status = 0
    for name, resource in template["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::StateMachine":
            continue
        props = resource["Properties"]
        uri = props.get("DefinitionUri")
        if not isinstance(uri, str):
            continue
        source = os.path.join(os.path.dirname(path), uri)
        substitutions = {k: value(v, template) for k, v in (props.get("DefinitionSubstitutions") or {}).items()}
        text = open(source).read()
        missing = sorted(set(PLACEHOLDER.findall(text)) - set(substitutions))
        if missing:
            print(f"{source}: placeholders without a DefinitionSubstitution in {path} ({name}): "
                  + ", ".join(missing), file=sys.stderr)
            status = 1
            continue
        text = PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            print(f"{source}: not JSON after substitution: {exc}", file=sys.stderr)
            status = 1
            continue
        target = os.path.join(out_dir, os.path.basename(uri))
        with open(target, "w") as f:
            f.write(text)
        print(f"{source}\t{target}")
    return status


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
