"""S3 listings of keys XML 1.0 cannot carry: `encoding-type=url`, and the XML S3 writes without it.

What AWS documents (S3 API reference, ListObjectsV2 and ListObjectVersions, `encoding-type` and the
`EncodingType` response element; user guide "Object key naming guidelines"): an object key may hold
any UTF-8 character, but "the XML 1.0 parser can't parse certain characters, such as characters with
an ASCII value from 0 to 10"; a client that asks `encoding-type=url` gets the keys URL-encoded, with an
`<EncodingType>url</EncodingType>` element, in these response elements:
- ListObjectsV2: `Delimiter`, `Prefix`, `Key`, `StartAfter` (and `CommonPrefixes/Prefix`);
- ListObjectVersions: `KeyMarker`, `NextKeyMarker`, `Prefix`, `Key`, `Delimiter` (and
  `CommonPrefixes/Prefix`).
The only valid value is `url`; any other is refused with 400 `InvalidArgument` "Invalid Encoding
Method specified in Request". S3's encoding is the HTML-form one (measured against S3: `a b.txt` →
`a+b.txt`, `a+b.txt` → `a%2Bb.txt`, `100%.csv` → `100%25.csv`, UTF-8 bytes percent-encoded, `/`
kept), which is why botocore decodes these fields with `unquote_plus`. Without `encoding-type`, S3
writes a character XML 1.0 cannot carry as a character reference (`&#x1;`, `&#x1b;`, as reported
against S3 by SDK and tool users), which conforming XML parsers (botocore's, libxml2's) refuse.

What ministack 1.5.33 does: ListObjectVersions ignores `encoding-type` (raw keys, no `EncodingType`);
ListObjectsV2 and ListObjects honour it but encode a space as `%20` (so a client that forgot the `+`
rule works offline and breaks on AWS); any `encoding-type` value is accepted; and without encoding a
control character is written raw into the XML (not a character reference), which even the Rust SDK's
parser refuses ("a non-XML character"): a bucket holding such a key could not be listed.

The fix: ListObjectVersions encodes the documented elements and answers `EncodingType`; every listing
encodes as S3 does (`+` for a space, `/` kept); an `encoding-type` other than `url` is refused; and
every S3 XML response writes characters outside XML 1.0's `Char` production as `&#x..;` references,
as S3 does. Also: 1.5.33 paged ListObjectVersions of an unversioned bucket forever (a `key-marker`
with `version-id-marker=null`, its own NextVersionIdMarker, listed that key again); the null version
being an unversioned key's only version, the listing now resumes after the key.
"""

import contextvars
import re
from urllib.parse import quote_plus
from xml.etree.ElementTree import SubElement

from ministack.services import s3

# Element names (without namespace) that hold a key-like value in a ListVersionsResult.
_VERSION_FIELDS = ("Prefix", "Delimiter", "KeyMarker", "NextKeyMarker")
_encode_versions = contextvars.ContextVar("offline_encode_versions", default=False)
# Characters XML 1.0 cannot carry (outside its Char production, §2.2); Python strings never hold
# surrogates that came from UTF-8, so they are left out.
_NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def url_encode(value: str) -> str:
    """A key as S3 encodes it under `encoding-type=url`."""
    return quote_plus(value, safe="/")


def _strip(tag):
    return tag.split("}", 1)[-1]


def encode_version_listing(root):
    """URL-encode, in place, the elements of a ListVersionsResult that S3 encodes."""
    for child in list(root):
        name = _strip(child.tag)
        if name in _VERSION_FIELDS and child.text:
            child.text = url_encode(child.text)
        elif name in ("Version", "DeleteMarker", "CommonPrefixes"):
            for field in child:
                if _strip(field.tag) in ("Key", "Prefix") and field.text:
                    field.text = url_encode(field.text)
    SubElement(root, "EncodingType").text = "url"


def _char_reference(match):
    return "&#x%x;" % ord(match.group(0))


def _invalid_encoding(query_params):
    value = s3._qp(query_params or {}, "encoding-type", "")
    if value and value != "url":
        return s3._error("InvalidArgument", "Invalid Encoding Method specified in Request", 400)
    return None


def install():
    original_xml_body = s3._xml_body
    original_versions = s3._list_object_versions
    original_v1 = s3._list_objects_v1
    original_v2 = s3._list_objects_v2

    def xml_body(root):
        if _encode_versions.get() and _strip(root.tag) == "ListVersionsResult":
            encode_version_listing(root)
        body = original_xml_body(root).decode("utf-8")
        return _NOT_XML_CHAR.sub(_char_reference, body).encode("utf-8")

    def list_object_versions(bucket_name, query_params):
        refused = _invalid_encoding(query_params)
        if refused is not None:
            return refused
        query_params = dict(query_params or {})
        key_marker = s3._qp(query_params, "key-marker", "")
        if s3._qp(query_params, "version-id-marker", "") == "null" and key_marker \
                and not s3._object_versions.get((bucket_name, key_marker)):
            # The marker names the only (null) version of an unversioned key: resume after the key.
            query_params.pop("version-id-marker", None)
        token = _encode_versions.set(s3._qp(query_params, "encoding-type", "") == "url")
        try:
            return original_versions(bucket_name, query_params)
        finally:
            _encode_versions.reset(token)

    def refusing(original):
        def listing(bucket_name, query_params):
            refused = _invalid_encoding(query_params)
            return refused if refused is not None else original(bucket_name, query_params)
        return listing

    s3._xml_body = xml_body
    s3._url_encode = url_encode
    s3._list_object_versions = list_object_versions
    s3._list_objects_v1 = refusing(original_v1)
    s3._list_objects_v2 = refusing(original_v2)
