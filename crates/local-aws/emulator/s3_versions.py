"""GetObjectAcl on a noncurrent version of a deleted key.

What AWS documents (S3 API reference, GetObjectAcl): `versionId` selects the version whose ACL is
returned; any version that exists (not a delete marker) has one, whatever the key's latest version is.
What ministack 1.5.33 does: it first checks that the key has a *current* object, so once the key is
deleted (a delete marker is its latest version) every older version answers NoSuchKey. S3 Inventory
reports the ACL of every version (the ObjectAccessControlList field), noncurrent ones included, so the
report deliverer needs this. The fix answers such a request from the version store, the same way
ministack answers it for a key that still has a current object.
"""

from ministack.services import s3


def _qp(query, name):
    value = (query or {}).get(name)
    if isinstance(value, list):
        value = value[0] if value else None
    return value


def install():
    original = s3._get_object_acl

    def get_object_acl(bucket_name, key, query_params=None):
        bucket = s3._ensure_bucket(bucket_name)
        version_id = _qp(query_params, "versionId")
        if bucket is not None and version_id and key not in bucket["objects"]:
            versions = s3._object_versions.get((bucket_name, key)) or []
            match = next((v for v in versions if v.get("version_id") == version_id), None)
            if match is not None and not match.get("is_delete_marker"):
                stored = None if s3._bucket_owner_enforced(bucket) else s3._object_acl.get(
                    (bucket_name, key, version_id))
                body = stored.encode("utf-8") if stored else s3._default_object_acl_xml()
                return 200, {"Content-Type": "application/xml", "x-amz-version-id": version_id}, body
        return original(bucket_name, key, query_params)

    s3._get_object_acl = get_object_acl
