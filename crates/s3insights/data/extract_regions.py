#!/usr/bin/env python3
"""Writes regions.json (beside this script) from the partitions document the AWS SDK for Rust embeds.

The SDK's endpoint resolver carries AWS's `partitions.json` (every partition, its region pattern and
its regions) as a byte string in `aws-sdk-s3-<version>/src/endpoint_lib.rs`
(`DEFAULT_PARTITION_RESOLVER`). This script reads the version of `aws-sdk-s3` that `Cargo.lock` pins,
finds that file in cargo's registry cache (`cargo fetch` puts it there), and keeps, per partition,
its id, its `regionRegex` and its regions with their descriptions. The `*-global` pseudo-regions
(`aws-global`, `aws-cn-global`, ...) are endpoints of global services, not regions a bucket can live
in, and are left out.

Run it after updating the AWS SDK:  python3 crates/s3insights/data/extract_regions.py
"""

import ast
import datetime
import glob
import json
import os
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
WORKSPACE = HERE.parents[2]


def sdk_version() -> str:
    lock = (WORKSPACE / "Cargo.lock").read_text()
    match = re.search(r'name = "aws-sdk-s3"\nversion = "([^"]+)"', lock)
    if not match:
        sys.exit("aws-sdk-s3 is not in Cargo.lock")
    return match.group(1)


def embedded_document(version: str) -> tuple[dict, str]:
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    pattern = f"{home}/registry/src/*/aws-sdk-s3-{version}/src/endpoint_lib.rs"
    files = sorted(glob.glob(pattern))
    if not files:
        sys.exit(f"{pattern} not found: run `cargo fetch` first")
    text = pathlib.Path(files[0]).read_text()
    match = re.search(r'new_from_json\(b("(?:[^"\\]|\\.)*")\)', text)
    if not match:
        sys.exit(f"no embedded partitions document in {files[0]}")
    return json.loads(ast.literal_eval(match.group(1))), "src/endpoint_lib.rs"


def main() -> None:
    version = sdk_version()
    document, file = embedded_document(version)
    partitions = []
    for partition in document["partitions"]:
        regions = {
            name: details.get("description", "")
            for name, details in sorted(partition["regions"].items())
            if not name.endswith("-global")
        }
        partitions.append(
            {"id": partition["id"], "region_regex": partition["regionRegex"], "regions": regions}
        )
    out = {
        "source": {
            "crate": "aws-sdk-s3",
            "version": version,
            "file": file,
            "what": "the partitions document (version "
            + document.get("version", "?")
            + ") the SDK's endpoint resolver embeds (DEFAULT_PARTITION_RESOLVER), "
            + "without the *-global pseudo-regions",
            "extracted": datetime.date.today().isoformat(),
            "by": "crates/s3insights/data/extract_regions.py",
        },
        "partitions": partitions,
    }
    (HERE / "regions.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"wrote {HERE / 'regions.json'}: {sum(len(p['regions']) for p in partitions)} regions")


if __name__ == "__main__":
    main()
