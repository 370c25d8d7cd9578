"""A missing object is 404 only to a caller who may list the bucket (IAM enforced).

What AWS documents (S3 API Reference, GetObject and HeadObject, "Permissions"): "If the object you
request doesn't exist, the error that Amazon S3 returns depends on whether you also have the
s3:ListBucket permission. If you have the s3:ListBucket permission on the bucket, Amazon S3 returns an
HTTP status code 404 Not Found error. If you don't have the s3:ListBucket permission, Amazon S3 returns
an HTTP status code 403 Access Denied error."

What ministack 1.5.33 does: 404 `NoSuchKey` to every caller allowed `s3:GetObject`. Code that treats a
missing key as an answer (our inventory processor marks a report with a missing file invalid) then
passed offline with a role lacking `s3:ListBucket`, and in AWS would see 403 and retry the message
into its dead-letter queue.

The fix: a GET or HEAD of a key that answers 404 `NoSuchKey` (HEAD: 404 in a bucket that exists) is
authorized once more as `s3:ListBucket` on the bucket for the same caller; refused, the answer is
S3's 403 `AccessDenied`.
"""

from xml.sax.saxutils import escape

from ministack.services import s3


def _caller_may_list(headers, query_params, bucket):
    from ministack.core import iam_evaluator
    from ministack.core.responses import get_region
    from ministack.core.router import extract_access_key_id

    access_key = extract_access_key_id(headers, query_params)
    denied = iam_evaluator.enforce(access_key, "s3:ListBucket", "s3", get_region(),
                                   resource_arn=f"arn:aws:s3:::{bucket}")
    return denied is None


def _missing_key(method, status, body, bucket):
    if status != 404:
        return False
    if method == "GET":
        return b"<Code>NoSuchKey</Code>" in (body if isinstance(body, bytes) else b"")
    return s3._buckets.get(bucket) is not None  # HEAD: no body; the bucket exists, so the key does not


def install():
    original = s3._dispatch

    def dispatch(method, bucket, key, headers, body, query_params):
        result = original(method, bucket, key, headers, body, query_params)
        from ministack.app import AUTH

        if not (AUTH and key and method in ("GET", "HEAD")):
            return result
        status, response_headers, response_body = result[0], result[1], result[2]
        if not _missing_key(method, status, response_body, bucket):
            return result
        if _caller_may_list(headers, query_params, bucket):
            return result
        request_id = (response_headers or {}).get("x-amz-request-id", "")
        denied = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
            f"<Message>Access Denied</Message><RequestId>{escape(request_id)}</RequestId></Error>"
        ).encode()
        return (403, {"Content-Type": "application/xml"}, b"" if method == "HEAD" else denied) + tuple(result[3:])

    s3._dispatch = dispatch
