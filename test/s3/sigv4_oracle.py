#!/usr/bin/python3
"""Signs S3 requests with botocore's S3SigV4Auth at a fixed time and prints
them as JSON: the oracle for the C++ SigV4 signer's unit test.

Each case gives the raw (unencoded) key and query parameters; the test signs
the same inputs itself and compares the Authorization header.
Exit status 3 when botocore is not installed (the test then skips).
"""
import datetime
import json
import sys
from unittest import mock

try:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.utils import percent_encode
except ImportError:
    sys.exit(3)

DATE = datetime.datetime(2026, 3, 14, 15, 9, 26)
ACCESS = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

CASES = [
    # name, method, host, bucket, key, query, body, region, token
    ("plain-get", "GET", "examplebucket.s3.amazonaws.com", None, "test.txt", [], b"", "us-east-1", None),
    ("path-style", "GET", "127.0.0.1:9000", "bkt", "dir/sub/file.bin", [], b"", "us-east-1", None),
    ("space-plus-tilde", "GET", "s3.eu-west-1.amazonaws.com", "bkt", "a b/c+d~e/f=g&h", [], b"", "eu-west-1", None),
    ("unicode", "HEAD", "s3.amazonaws.com", "bkt", "dönüş/файл €.txt", [], b"", "us-east-1", None),
    ("list-v2", "GET", "s3.amazonaws.com", "bkt", "",
     [("list-type", "2"), ("prefix", "a b"), ("continuation-token", "x+y/z=")], b"", "us-east-1", None),
    ("list-unsorted", "GET", "s3.amazonaws.com", "bkt", "",
     [("prefix", "pre/"), ("max-keys", "7"), ("list-type", "2"), ("continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=")],
     b"", "us-east-1", None),
    ("list-delimiter", "GET", "s3.amazonaws.com", "bkt", "",
     [("list-type", "2"), ("prefix", "pre/stanza/"), ("delimiter", "/")], b"", "us-east-1", None),
    ("list-any", "GET", "s3.amazonaws.com", "bkt", "",
     [("list-type", "2"), ("prefix", "pre/stanza/backup/L1/"), ("max-keys", "1")], b"", "us-east-1", None),
    ("initiate", "POST", "s3.amazonaws.com", "bkt", "big/object", [("uploads", "")], b"", "us-east-1", None),
    ("part", "PUT", "s3.amazonaws.com", "bkt", "big/object",
     [("partNumber", "12"), ("uploadId", "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA")],
     b"part bytes \x00\x01\x02" * 100, "us-east-1", None),
    ("put-payload", "PUT", "s3.amazonaws.com", "bkt", "pre/wal/000000010000000000000001",
     [], b"Welcome to Amazon S3.", "us-east-1", None),
    ("delete-batch", "POST", "s3.amazonaws.com", "bkt", "", [("delete", "")],
     b"<Delete><Quiet>true</Quiet><Object><Key>a</Key></Object></Delete>", "us-east-1", None),
    ("session-token", "DELETE", "s3.amazonaws.com", "bkt", "k",
     [("uploadId", "abc")], b"", "us-east-1", "FQoGZXIvYXdzEJr//////////wEaDOtoken+with/slash="),
    ("vhost-region", "PUT", "my.bucket.s3.ap-southeast-2.amazonaws.com", None, "x/y z",
     [], b"data", "ap-southeast-2", None),
]


def sign(case):
    name, method, host, bucket, key, query, body, region, token = case
    path = "/" + (bucket + "/" if bucket else "") + key
    if bucket and not key:
        path = "/" + bucket
    url = "http://" + host + percent_encode(path, safe="/~")
    req = AWSRequest(method=method, url=url, data=body, params=dict(query))
    creds = Credentials(ACCESS, SECRET, token)
    with mock.patch("botocore.auth.datetime") as dt:
        dt.datetime.utcnow.return_value = DATE
        dt.datetime.now.return_value = DATE
        S3SigV4Auth(creds, "s3", region).add_auth(req)
    return {
        "name": name,
        "method": method,
        "host": host,
        "path": path,
        "query": [list(kv) for kv in query],
        "body_hex": body.hex(),
        "region": region,
        "token": token or "",
        "date": req.headers["X-Amz-Date"],
        "payload_hash": req.headers["X-Amz-Content-SHA256"],
        "authorization": req.headers["Authorization"],
    }


print(json.dumps({"access_key": ACCESS, "secret_key": SECRET,
                  "cases": [sign(c) for c in CASES]}, ensure_ascii=False, indent=1))
