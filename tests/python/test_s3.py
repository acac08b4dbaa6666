"""S3 on Kiln's endpoint, path-style, as boto3 1.43 and the aws cli 1.45 use it: buckets,
objects with metadata and versions, ranges, listings with prefixes, delimiters and pages,
multipart uploads (upload_file above 8 MiB), DeleteObjects, S3's error codes, and SigV4 with
S3's 403s. Every response is checked as S3 answers (kilntest/s3.py)."""

import hashlib
import os

import botocore
import pytest
from botocore.exceptions import ClientError

from kilntest import s3 as s3test
from kilntest.builds import uniq
from kilntest.harness import start_kiln

KEY = ("AKIDS3SECURE", "s3-secure-secret")


@pytest.fixture(scope="module")
def s3(kiln):
    return s3test.client(kiln.endpoint)


@pytest.fixture
def bucket(s3):
    name = uniq("bkt").lower()
    s3.create_bucket(Bucket=name)
    return name


def error_of(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as e:
        call()
    return e.value.response["Error"]["Code"], e.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_buckets_are_created_listed_and_deleted(s3):
    name = uniq("life").lower()
    s3.create_bucket(Bucket=name)
    s3.head_bucket(Bucket=name)
    assert name in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert error_of(lambda: s3.create_bucket(Bucket=name)) == ("BucketAlreadyOwnedByYou", 409)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    assert error_of(lambda: s3.delete_bucket(Bucket=name)) == ("BucketNotEmpty", 409)
    s3.delete_object(Bucket=name, Key="k")
    s3.delete_bucket(Bucket=name)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    # HEAD errors have no body: botocore reports the status as the code.
    assert error_of(lambda: s3.head_bucket(Bucket=name)) == ("404", 404)
    assert error_of(lambda: s3.list_objects_v2(Bucket=name)) == ("NoSuchBucket", 404)
    assert error_of(lambda: s3.create_bucket(Bucket="Not_Valid")) == ("InvalidBucketName", 400)


def test_objects_keep_content_metadata_and_md5_etag(s3, bucket):
    body = os.urandom(100_000)
    put = s3.put_object(Bucket=bucket, Key="dir/file.bin", Body=body, ContentType="application/x-test",
                        Metadata={"owner": "kiln", "build": "42"})
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="dir/file.bin")
    assert got["Body"].read() == body
    assert got["ETag"] == put["ETag"]
    assert got["ContentType"] == "application/x-test"
    assert got["Metadata"] == {"owner": "kiln", "build": "42"}
    assert got["ContentLength"] == len(body)
    assert got["VersionId"] == put["VersionId"]
    head = s3.head_object(Bucket=bucket, Key="dir/file.bin")
    assert (head["ContentLength"], head["ETag"], head["Metadata"]) == (len(body), put["ETag"], got["Metadata"])

    ranged = s3.get_object(Bucket=bucket, Key="dir/file.bin", Range="bytes=10-19")
    assert ranged["Body"].read() == body[10:20]
    assert ranged["ContentRange"] == f"bytes 10-19/{len(body)}"
    assert error_of(lambda: s3.get_object(Bucket=bucket, Key="dir/file.bin", Range="bytes=999999-")) == \
        ("InvalidRange", 416)

    # Keys are any UTF-8; botocore sends them percent-encoded in the path.
    for key in ["a b+c/ü?&=#.txt", "../../etc/passwd", "x//y"]:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == key.encode()


def test_missing_keys_and_buckets_have_s3_codes(s3, bucket):
    assert error_of(lambda: s3.get_object(Bucket=bucket, Key="nope")) == ("NoSuchKey", 404)
    assert error_of(lambda: s3.head_object(Bucket=bucket, Key="nope")) == ("404", 404)
    assert error_of(lambda: s3.get_object(Bucket=uniq("none").lower(), Key="k")) == ("NoSuchBucket", 404)
    assert error_of(lambda: s3.put_object(Bucket=uniq("none").lower(), Key="k", Body=b"x")) == ("NoSuchBucket", 404)
    # Deleting a missing key succeeds, as in S3.
    s3.delete_object(Bucket=bucket, Key="never-there")


def test_every_put_is_a_version_fetchable_by_id(s3, bucket):
    first = s3.put_object(Bucket=bucket, Key="src.zip", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="src.zip", Body=b"two")["VersionId"]
    assert first != second
    assert s3.get_object(Bucket=bucket, Key="src.zip")["Body"].read() == b"two"
    assert s3.get_object(Bucket=bucket, Key="src.zip", VersionId=first)["Body"].read() == b"one"
    assert s3.head_object(Bucket=bucket, Key="src.zip", VersionId=second)["ContentLength"] == 3
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    assert error_of(lambda: s3.get_object(Bucket=bucket, Key="src.zip", VersionId="0" * 32)) == ("NoSuchVersion", 404)


def test_upload_file_goes_multipart_above_8_mib(s3, bucket, tmp_path):
    big = tmp_path / "big.bin"
    data = os.urandom(9 * 1024 * 1024 + 123)
    big.write_bytes(data)
    s3.upload_file(str(big), bucket, "big.bin")
    head = s3.head_object(Bucket=bucket, Key="big.bin")
    assert head["ContentLength"] == len(data)
    # A multipart ETag: MD5 of the parts' MD5s, dash, number of parts (8 MiB parts).
    parts = [data[:8 * 1024 * 1024], data[8 * 1024 * 1024:]]
    joined = b"".join(hashlib.md5(p).digest() for p in parts)
    assert head["ETag"] == f'"{hashlib.md5(joined).hexdigest()}-2"'
    back = tmp_path / "back.bin"
    s3.download_file(bucket, "big.bin", str(back))
    assert back.read_bytes() == data

    small = tmp_path / "small.txt"
    small.write_text("small file\n")
    s3.upload_file(str(small), bucket, "small.txt")
    small_md5 = hashlib.md5(small.read_bytes()).hexdigest()
    assert s3.get_object(Bucket=bucket, Key="small.txt")["ETag"] == f'"{small_md5}"'


def test_an_aborted_upload_leaves_nothing(s3, bucket):
    upload = s3.create_multipart_upload(Bucket=bucket, Key="aborted")["UploadId"]
    s3.upload_part(Bucket=bucket, Key="aborted", UploadId=upload, PartNumber=1, Body=b"x")
    s3.abort_multipart_upload(Bucket=bucket, Key="aborted", UploadId=upload)
    assert error_of(lambda: s3.head_object(Bucket=bucket, Key="aborted")) == ("404", 404)
    parts = {"Parts": [{"PartNumber": 1, "ETag": '"x"'}]}
    assert error_of(lambda: s3.complete_multipart_upload(
        Bucket=bucket, Key="aborted", UploadId=upload, MultipartUpload=parts)) == ("NoSuchUpload", 404)


def test_listings_page_by_prefix_and_delimiter(s3, bucket):
    keys = ["a.txt", "logs/2024/01.log", "logs/2024/02.log", "logs/2025/01.log", "logs/top.log",
            "sp ace+plus.txt", "z", "ü/x"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())

    listed = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == sorted(keys, key=lambda k: k.encode())
    assert listed["KeyCount"] == len(keys)
    assert not listed["IsTruncated"]
    assert all(o["Size"] == len(o["Key"].encode()) for o in listed["Contents"])

    tree = s3.list_objects_v2(Bucket=bucket, Prefix="logs/", Delimiter="/")
    assert [o["Key"] for o in tree["Contents"]] == ["logs/top.log"]
    assert [p["Prefix"] for p in tree["CommonPrefixes"]] == ["logs/2024/", "logs/2025/"]

    after = s3.list_objects_v2(Bucket=bucket, StartAfter="logs/top.log")
    assert [o["Key"] for o in after["Contents"]] == ["sp ace+plus.txt", "z", "ü/x"]

    pages = list(s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 3}))
    assert len(pages) == 3
    assert [o["Key"] for p in pages for o in p.get("Contents", [])] == [o["Key"] for o in listed["Contents"]]
    assert pages[0]["IsTruncated"] and not pages[-1]["IsTruncated"]

    # The original ListObjects, as `aws s3api list-objects` uses it.
    v1 = s3.list_objects(Bucket=bucket, Prefix="logs/", Delimiter="/")
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["logs/2024/", "logs/2025/"]


def test_delete_object_and_delete_objects(s3, bucket):
    for key in ["one", "two", "three"]:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    s3.delete_object(Bucket=bucket, Key="one")
    result = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "two"}, {"Key": "three"}]})
    assert sorted(d["Key"] for d in result["Deleted"]) == ["three", "two"]
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket)
    quiet = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "gone"}], "Quiet": True})
    assert "Deleted" not in quiet


def test_wrong_digests_are_refused_and_nothing_is_stored(s3, bucket):
    wrong_md5 = "AAAAAAAAAAAAAAAAAAAAAA=="
    assert error_of(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"data", ContentMD5=wrong_md5)) == \
        ("BadDigest", 400)
    assert error_of(lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"data", ChecksumCRC32="AAAAAA==")) == \
        ("BadDigest", 400)
    assert error_of(lambda: s3.head_object(Bucket=bucket, Key="k")) == ("404", 404)
    # A right SHA-256 flexible checksum is verified and accepted.
    s3.put_object(Bucket=bucket, Key="k", Body=b"data", ChecksumAlgorithm="SHA256")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"


def test_copy_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="orig", Body=b"payload", ContentType="text/x-orig", Metadata={"m": "1"})
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "orig"})
    copy = s3.get_object(Bucket=bucket, Key="copy")
    assert (copy["Body"].read(), copy["ContentType"], copy["Metadata"]) == (b"payload", "text/x-orig", {"m": "1"})


def test_aws_cli_s3_round_trip(kiln, aws, tmp_path):
    name = uniq("cli").lower()
    local = tmp_path / "hello.txt"
    local.write_text("hello from the cli\n")
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(9 * 1024 * 1024))

    assert f"make_bucket: {name}" in aws("s3", "mb", f"s3://{name}").stdout
    aws("s3", "cp", str(local), f"s3://{name}/docs/hello.txt")
    aws("s3", "cp", str(big), f"s3://{name}/big.bin", "--only-show-errors")
    listing = aws("s3", "ls", f"s3://{name}/").stdout
    assert "PRE docs/" in listing
    assert str(9 * 1024 * 1024) in listing and "big.bin" in listing
    recursive = aws("s3", "ls", f"s3://{name}", "--recursive").stdout
    assert "docs/hello.txt" in recursive
    back = tmp_path / "back"
    aws("s3", "cp", f"s3://{name}/big.bin", str(back), "--only-show-errors")
    assert back.read_bytes() == big.read_bytes()
    assert aws("s3", "cp", f"s3://{name}/docs/hello.txt", "-").stdout == "hello from the cli\n"
    aws("s3", "rm", f"s3://{name}", "--recursive")
    aws("s3", "rb", f"s3://{name}")
    assert name not in aws("s3", "ls").stdout


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    k = start_kiln(tmp_path_factory.mktemp("s3auth"), "secured",
                   env={"KILN_ACCESS_KEY_ID": KEY[0], "KILN_SECRET_ACCESS_KEY": KEY[1]})
    yield k
    k.server.stop()


def test_sigv4_with_configured_keys(secured, tmp_path):
    s3 = s3test.client(secured.endpoint, key=KEY)
    name = uniq("sec").lower()
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="a key/ü", Body=b"signed")
    assert s3.get_object(Bucket=name, Key="a key/ü")["Body"].read() == b"signed"
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(9 * 1024 * 1024))
    s3.upload_file(str(big), name, "big.bin")
    assert s3.head_object(Bucket=name, Key="big.bin")["ContentLength"] == 9 * 1024 * 1024

    wrong = s3test.client(secured.endpoint, key=(KEY[0], "not-the-secret"))
    assert error_of(lambda: wrong.get_object(Bucket=name, Key="a key/ü")) == ("SignatureDoesNotMatch", 403)
    assert error_of(lambda: wrong.put_object(Bucket=name, Key="x", Body=b"x")) == ("SignatureDoesNotMatch", 403)
    unknown = s3test.client(secured.endpoint, key=("AKIDNOBODY", KEY[1]))
    assert error_of(lambda: unknown.list_objects_v2(Bucket=name)) == ("InvalidAccessKeyId", 403)
    anonymous = s3test.client(secured.endpoint, signature_version=botocore.UNSIGNED)
    assert error_of(lambda: anonymous.get_object(Bucket=name, Key="a key/ü")) == ("AccessDenied", 403)
    assert error_of(lambda: wrong.head_object(Bucket=name, Key="x")) == ("403", 403)

    # A presigned (SigV4) URL works with plain HTTP.
    import requests
    v4 = s3test.client(secured.endpoint, key=KEY, signature_version="s3v4")
    url = v4.generate_presigned_url("get_object", Params={"Bucket": name, "Key": "a key/ü"}, ExpiresIn=60)
    assert requests.get(url, timeout=10).content == b"signed"
    assert requests.get(url.replace("Signature=", "Signature=0"), timeout=10).status_code == 403


def test_cli_with_keys(secured, tmp_path):
    aws = secured.aws(key=KEY)
    name = uniq("secli").lower()
    aws("s3", "mb", f"s3://{name}")
    f = tmp_path / "f.txt"
    f.write_text("x")
    aws("s3", "cp", str(f), f"s3://{name}/f.txt")
    assert "f.txt" in aws("s3", "ls", f"s3://{name}").stdout
    denied = secured.aws(key=(KEY[0], "wrong"))("s3", "ls", f"s3://{name}", check=False)
    assert denied.returncode != 0 and "SignatureDoesNotMatch" in denied.stderr
