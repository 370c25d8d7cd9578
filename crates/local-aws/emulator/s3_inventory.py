"""S3 inventory configurations: PutBucketInventoryConfiguration, Get, List and Delete.

What AWS documents (S3 API reference, PutBucketInventoryConfiguration & co.): a bucket holds up to 1,000
inventory configurations keyed by `Id`; Get answers the stored configuration or `NoSuchConfiguration`
(404); List answers up to 100 configurations per page with a continuation token; Delete removes one
configuration (204) and never the bucket.

What ministack 1.5.33 does: it has no `?inventory` sub-resource route, so PUT falls through to
CreateBucket (the configuration is dropped), GET to ListObjects (an empty configuration), and DELETE to
DeleteBucket — which deletes an empty bucket. S3Insights puts, lists and deletes these configurations on
every member bucket, so the route is added here, in front of ministack's own dispatcher.

The store is scoped by the bucket owner's account (ministack pins the request scope to the owner before
dispatching), and the offline CLI reads every enabled configuration through
`GET /_offline/s3/inventory-configurations` to deliver the reports S3 would write.
"""

import threading
from xml.etree.ElementTree import Element, SubElement

from defusedxml.ElementTree import fromstring
from ministack.core.responses import AccountScopedDict
from ministack.services import s3

S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
MAX_CONFIGURATIONS = 1000
PAGE_SIZE = 100
FORMATS = ("CSV", "ORC", "Parquet")
FREQUENCIES = ("Daily", "Weekly")
VERSIONS = ("All", "Current")
OPTIONAL_FIELDS = (
    "Size", "LastModifiedDate", "StorageClass", "ETag", "IsMultipartUploaded", "ReplicationStatus",
    "EncryptionStatus", "ObjectLockRetainUntilDate", "ObjectLockMode", "ObjectLockLegalHoldStatus",
    "IntelligentTieringAccessTier", "BucketKeyStatus", "ChecksumAlgorithm", "ObjectAccessControlList",
    "ObjectOwner", "LifecycleExpirationDate",
)

# (owner account, bucket) -> {id: configuration dict}
_configurations = AccountScopedDict()
# (owner account, bucket, id) of configurations whose report has been delivered: S3 serves a
# configuration once per schedule period, and putting it again starts a new one.
_served = set()


class InvalidConfiguration(Exception):
    """A configuration AWS would refuse; the message names the element."""


def _strip(tag):
    return tag.split("}", 1)[-1]


def _child(node, name):
    for c in node:
        if _strip(c.tag) == name:
            return c
    return None


def _text(node, name, default=None):
    c = _child(node, name)
    return c.text.strip() if c is not None and c.text is not None else default


def parse_configuration(body: bytes) -> dict:
    """The InventoryConfiguration XML as a dict, validated as S3 validates it."""
    try:
        root = fromstring(body)
    except Exception as exc:  # defusedxml raises several types
        raise InvalidConfiguration(f"MalformedXML: {exc}") from exc
    if _strip(root.tag) != "InventoryConfiguration":
        raise InvalidConfiguration("MalformedXML: root element must be InventoryConfiguration")
    cfg = {"Id": _text(root, "Id")}
    if not cfg["Id"]:
        raise InvalidConfiguration("Id is required")
    enabled = _text(root, "IsEnabled")
    if enabled not in ("true", "false"):
        raise InvalidConfiguration("IsEnabled must be true or false")
    cfg["IsEnabled"] = enabled == "true"
    versions = _text(root, "IncludedObjectVersions")
    if versions not in VERSIONS:
        raise InvalidConfiguration(f"IncludedObjectVersions must be one of {VERSIONS}")
    cfg["IncludedObjectVersions"] = versions
    schedule = _child(root, "Schedule")
    frequency = _text(schedule, "Frequency") if schedule is not None else None
    if frequency not in FREQUENCIES:
        raise InvalidConfiguration(f"Schedule.Frequency must be one of {FREQUENCIES}")
    cfg["Schedule"] = {"Frequency": frequency}
    destination = _child(root, "Destination")
    dest = _child(destination, "S3BucketDestination") if destination is not None else None
    if dest is None:
        raise InvalidConfiguration("Destination.S3BucketDestination is required")
    bucket_arn = _text(dest, "Bucket") or ""
    if not bucket_arn.startswith("arn:aws:s3:::") or len(bucket_arn) <= len("arn:aws:s3:::"):
        raise InvalidConfiguration("Destination.S3BucketDestination.Bucket must be a bucket ARN")
    fmt = _text(dest, "Format")
    if fmt not in FORMATS:
        raise InvalidConfiguration(f"Destination.S3BucketDestination.Format must be one of {FORMATS}")
    out = {"Bucket": bucket_arn, "Format": fmt}
    for name in ("AccountId", "Prefix"):
        value = _text(dest, name)
        if value is not None:
            out[name] = value
    encryption = _child(dest, "Encryption")
    if encryption is not None:
        if _child(encryption, "SSE-S3") is not None:
            out["Encryption"] = {"SSE-S3": {}}
        elif _child(encryption, "SSE-KMS") is not None:
            out["Encryption"] = {"SSE-KMS": {"KeyId": _text(_child(encryption, "SSE-KMS"), "KeyId", "")}}
    cfg["Destination"] = {"S3BucketDestination": out}
    filt = _child(root, "Filter")
    if filt is not None and _text(filt, "Prefix") is not None:
        cfg["Filter"] = {"Prefix": _text(filt, "Prefix")}
    fields = _child(root, "OptionalFields")
    if fields is not None:
        names = [(f.text or "").strip() for f in fields if _strip(f.tag) == "Field"]
        unknown = [n for n in names if n not in OPTIONAL_FIELDS]
        if unknown:
            raise InvalidConfiguration(f"OptionalFields has unknown field(s): {', '.join(unknown)}")
        cfg["OptionalFields"] = names
    return cfg


def configuration_element(cfg: dict, tag: str = "InventoryConfiguration") -> Element:
    """The XML S3 answers for a stored configuration, in the API reference's element order."""
    root = Element(tag)
    dest = cfg["Destination"]["S3BucketDestination"]
    d = SubElement(SubElement(root, "Destination"), "S3BucketDestination")
    if "AccountId" in dest:
        SubElement(d, "AccountId").text = dest["AccountId"]
    SubElement(d, "Bucket").text = dest["Bucket"]
    SubElement(d, "Format").text = dest["Format"]
    if "Prefix" in dest:
        SubElement(d, "Prefix").text = dest["Prefix"]
    if "Encryption" in dest:
        e = SubElement(d, "Encryption")
        if "SSE-S3" in dest["Encryption"]:
            SubElement(e, "SSE-S3")
        else:
            SubElement(SubElement(e, "SSE-KMS"), "KeyId").text = dest["Encryption"]["SSE-KMS"]["KeyId"]
    SubElement(root, "IsEnabled").text = "true" if cfg["IsEnabled"] else "false"
    if "Filter" in cfg:
        SubElement(SubElement(root, "Filter"), "Prefix").text = cfg["Filter"]["Prefix"]
    SubElement(root, "Id").text = cfg["Id"]
    SubElement(root, "IncludedObjectVersions").text = cfg["IncludedObjectVersions"]
    if cfg.get("OptionalFields"):
        fields = SubElement(root, "OptionalFields")
        for name in cfg["OptionalFields"]:
            SubElement(fields, "Field").text = name
    SubElement(SubElement(root, "Schedule"), "Frequency").text = cfg["Schedule"]["Frequency"]
    return root


def _no_such_configuration(bucket):
    return s3._error("NoSuchConfiguration", "The specified configuration does not exist.", 404, f"/{bucket}")


def _qp(query, name):
    value = query.get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value


def handle(method: str, bucket: str, query: dict, body: bytes):
    """Answer one `?inventory` request on `bucket` (the scope is already the owner's)."""
    if s3._ensure_bucket(bucket) is None:
        return s3._no_such_bucket(bucket)
    stored = _configurations.get(bucket) or {}
    config_id = _qp(query, "id")
    if method == "PUT":
        if not config_id:
            return s3._error("InvalidArgument", "Inventory configuration id is required", 400, f"/{bucket}")
        try:
            cfg = parse_configuration(body)
        except InvalidConfiguration as exc:
            code = "MalformedXML" if str(exc).startswith("MalformedXML") else "InvalidArgument"
            return s3._error(code, str(exc), 400, f"/{bucket}")
        if cfg["Id"] != config_id:
            return s3._error("InvalidArgument", "The id in the request does not match the configuration Id",
                             400, f"/{bucket}")
        if config_id not in stored and len(stored) >= MAX_CONFIGURATIONS:
            return s3._error("TooManyConfigurations",
                             f"You are attempting to create a new configuration but have already reached "
                             f"the {MAX_CONFIGURATIONS}-configuration limit.", 400, f"/{bucket}")
        stored = dict(stored)
        stored[config_id] = cfg
        _configurations[bucket] = stored
        _served.discard((s3.get_account_id(), bucket, config_id))
        return 200, {}, b""
    if method == "GET" and config_id:
        cfg = stored.get(config_id)
        if cfg is None:
            return _no_such_configuration(bucket)
        root = configuration_element(cfg)
        root.set("xmlns", S3_NS)
        return 200, {"Content-Type": "application/xml"}, s3._xml_body(root)
    if method == "GET":
        ids = sorted(stored)
        token = _qp(query, "continuation-token")
        start = int(token) if token and token.isdigit() else 0
        page = ids[start:start + PAGE_SIZE]
        root = Element("ListInventoryConfigurationsResult", xmlns=S3_NS)
        if token:
            SubElement(root, "ContinuationToken").text = token
        for cid in page:
            root.append(configuration_element(stored[cid]))
        truncated = start + PAGE_SIZE < len(ids)
        SubElement(root, "IsTruncated").text = "true" if truncated else "false"
        if truncated:
            SubElement(root, "NextContinuationToken").text = str(start + PAGE_SIZE)
        return 200, {"Content-Type": "application/xml"}, s3._xml_body(root)
    if method == "DELETE":
        if not config_id:
            return s3._error("InvalidArgument", "Inventory configuration id is required", 400, f"/{bucket}")
        if config_id not in stored:
            return _no_such_configuration(bucket)
        stored = dict(stored)
        del stored[config_id]
        _configurations[bucket] = stored
        return 204, {}, b""
    return s3._error("MethodNotAllowed", "The specified method is not allowed against this resource.", 405)


def all_configurations():
    """Every stored configuration with its source bucket's owner and whether its report has been
    delivered, for the offline report deliverer."""
    out = []
    for (account, bucket), configs in list(_configurations._data.items()):
        for cfg in configs.values():
            dest_bucket = cfg["Destination"]["S3BucketDestination"]["Bucket"][len("arn:aws:s3:::"):]
            out.append({
                "account": account,
                "bucket": bucket,
                "destinationAccount": s3._bucket_owner_account(dest_bucket),
                "served": (account, bucket, cfg["Id"]) in _served,
                "configuration": cfg,
            })
    return out


_served_lock = threading.Lock()


def mark_served(account, bucket, config_id):
    """Claim this configuration's report for one deliverer: True when it was not claimed before.

    Several `offline` processes may wait on executions at once; the claim is atomic so that exactly
    one of them delivers a pending report (S3 itself delivers one report per period)."""
    key = (account, bucket, config_id)
    with _served_lock:
        if key in _served:
            return False
        _served.add(key)
        return True


def release(account, bucket, config_id):
    """Give back a claim whose delivery failed, so that the report is pending again (and a later
    round, of this process or another, delivers it): True when it was claimed."""
    key = (account, bucket, config_id)
    with _served_lock:
        if key not in _served:
            return False
        _served.discard(key)
        return True


def install():
    original_dispatch = s3._dispatch
    original_delete_bucket = s3._delete_bucket

    def dispatch(method, bucket, key, headers, body, query_params):
        if bucket and not key and "inventory" in query_params:
            return handle(method, bucket, query_params, body)
        return original_dispatch(method, bucket, key, headers, body, query_params)

    def delete_bucket(name):
        result = original_delete_bucket(name)
        if result and result[0] == 204:
            # A deleted bucket takes its configurations with it, as on AWS.
            _configurations.pop(name, None)
        return result

    s3._dispatch = dispatch
    s3._delete_bucket = delete_bucket
