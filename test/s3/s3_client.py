#!/usr/bin/env python3
"""A small S3 client for the tests and start_radosgw.sh, signed by botocore
(SigV4), as any S3 client:

  s3_client.py make-buckets BUCKET...   create them, waiting for the gateway
  s3_client.py list BUCKET [PREFIX]     "size key" per object
  s3_client.py uploads BUCKET           "key upload-id" per unfinished multipart upload
  s3_client.py heads BUCKET PREFIX N    "key hex" per object: its first N bytes
  s3_client.py flip BUCKET KEY LEN      complement LEN bytes in the object's middle

Reads S3_URL, S3_CA (empty: no TLS verification needed, plain HTTP),
S3_ACCESS_KEY and S3_SECRET_KEY."""
import os
import sys
import time

import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

url = os.environ["S3_URL"]
ca = os.environ.get("S3_CA") or None
client = botocore.session.get_session().create_client(
    "s3",
    region_name="us-east-1",
    endpoint_url=url,
    aws_access_key_id=os.environ["S3_ACCESS_KEY"],
    aws_secret_access_key=os.environ["S3_SECRET_KEY"],
    verify=ca if ca else False,
    config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
)


def make_buckets(buckets):
    for bucket in buckets:
        deadline = time.monotonic() + 60
        while True:
            try:
                client.create_bucket(Bucket=bucket)
                break
            except ClientError as e:
                code = e.response.get("Error", {}).get("Code")
                if code in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    break
                # a just-created user may not be visible to the gateway yet
                if code not in ("InvalidAccessKeyId", "ServiceUnavailable", "503"):
                    sys.exit(f"s3_client.py: creating bucket {bucket} failed: {e}")
                if time.monotonic() > deadline:
                    sys.exit(f"s3_client.py: creating bucket {bucket} failed: {e}")
            except EndpointConnectionError as e:
                if time.monotonic() > deadline:
                    sys.exit(f"s3_client.py: the gateway at {url} does not answer: {e}")
            time.sleep(0.2)


def list_objects(bucket, prefix=""):
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            print(o["Size"], o["Key"])


def list_uploads(bucket):
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for u in page.get("Uploads", []):
            print(u["Key"], u["UploadId"])


def heads(bucket, prefix, n):
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=o["Key"], Range=f"bytes=0-{int(n) - 1}")
            print(o["Key"], body["Body"].read().hex())


def flip(bucket, key, length):
    data = bytearray(client.get_object(Bucket=bucket, Key=key)["Body"].read())
    start = len(data) // 2
    for i in range(start, min(start + int(length), len(data))):
        data[i] ^= 0xFF
    client.put_object(Bucket=bucket, Key=key, Body=bytes(data))


commands = {
    "heads": lambda args: heads(*args),
    "flip": lambda args: flip(*args),
    "make-buckets": lambda args: make_buckets(args),
    "list": lambda args: list_objects(*args),
    "uploads": lambda args: list_uploads(*args),
}
if len(sys.argv) < 3 or sys.argv[1] not in commands:
    sys.exit(__doc__)
commands[sys.argv[1]](sys.argv[2:])
