"""The history archive: every history item, once, in an S3 Object Lock bucket an analytics lake can read.

Layout (one object per history item, gzipped JSON Lines with one line):
    history/dt=<change day>/<pk>__<sk>.json.gz
``dt`` is the item's own change day (change_day, the by_change_day partition), and pk/sk are
percent-encoded, so the key is a function of the item alone: a retried stream batch computes the
same key. The line is chain.document(item): the item's canonical JSON with its chain fields, so the
archive can re-verify a chain without the table. Athena or DuckDB read ``history/`` as one table
partitioned by ``dt`` (hive style).

Why If-None-Match: "*" and not an overwrite: under Object Lock COMPLIANCE every PUT to an existing
key adds a locked version that nobody can remove, so an overwriting retry would pile up copies, and
a later PUT would become the current version readers see. With If-None-Match the first write wins
for the whole retention; a retry gets 412 and is a no-op. On 412 the stored object's SHA-256 is
compared with ours: the same bytes are a retry, different bytes mean the key was written with other
content (a history item deleted and re-inserted in the table), which is recorded as a change.

Changes to a history item (MODIFY or REMOVE on the stream, which the writers never do) are kept as
evidence under ``history_changes/dt=<day of the stream record>/<pk>__<sk>__<sequence number>.json.gz``
with the old and new images, and reported to the caller (the Lambda logs and counts them).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from mlgov_core import aws, chain, keys, timeparse

HISTORY_PREFIX = "history"
CHANGES_PREFIX = "history_changes"
BUCKET_ENV = "ARCHIVE_BUCKET"
# The custom metric the function emits for each change to a history item; the stack alarms on it.
METRIC_NAMESPACE = "mlgov/governance"
CHANGED_METRIC = "HistoryItemChanged"
_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class Archived:
    key: str
    outcome: str  # "written", "already archived", "conflict" (other bytes at the key), "change recorded", "skipped"


def _safe(value: str) -> str:
    # Only unreserved characters stay: '#' and ':' from the sort keys become %23 and %3A.
    return quote(value, safe="")


def item_key(prefix: str, item: Mapping[str, Any]) -> str:
    """``<prefix>/dt=<change day>/<pk>__<sk>.json.gz``: the archive's key, shared by the lake's history and metrics."""
    day = item.get("change_day") or timeparse.day_of(str(item["last_modified"]))
    return f"{prefix}/dt={day}/{_safe(str(item['pk']))}__{_safe(str(item['sk']))}.json.gz"


def history_key(item: Mapping[str, Any]) -> str:
    return item_key(HISTORY_PREFIX, item)


def change_key(item_keys: Mapping[str, Any], sequence_number: str, at: datetime) -> str:
    day = at.astimezone(timezone.utc).strftime("%Y-%m-%d")
    return (f"{CHANGES_PREFIX}/dt={day}/{_safe(str(item_keys['pk']))}__{_safe(str(item_keys['sk']))}"
            f"__{_safe(sequence_number)}.json.gz")


def body(document: Mapping[str, Any]) -> bytes:
    """One JSON line, gzipped with a fixed mtime: the same item always gives the same bytes."""
    return gzip.compress((chain.document(document) + "\n").encode(), mtime=0)


def put_once(bucket: str, key: str, data: bytes, client: Any = None) -> str:
    """PUT unless the key exists: "written", "already archived" (same bytes) or "conflict"."""
    s3 = client or aws.client("s3")
    checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
    try:
        # S3 requires a checksum on writes into an Object Lock bucket; SHA-256 is also what a retry compares.
        s3.put_object(Bucket=bucket, Key=key, Body=data, IfNoneMatch="*", ChecksumAlgorithm="SHA256",
                      ContentType="application/gzip")
        return "written"
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "PreconditionFailed":
            raise  # including 409 ConditionalRequestConflict (a concurrent PUT): the batch is retried
    stored = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED").get("ChecksumSHA256")
    return "already archived" if stored == checksum else "conflict"


def archive_stream_record(record: Mapping[str, Any], bucket: str, client: Any = None) -> Archived:
    """One DynamoDB stream record (NEW_AND_OLD_IMAGES) of the governance table."""
    change = record.get("dynamodb") or {}
    item_keys = plain_image(change.get("Keys"))
    if not str(item_keys.get("sk", "")).startswith(keys.HISTORY_PREFIX):
        return Archived("", "skipped")  # the event source mapping filters these out; kept safe without it
    event = record.get("eventName")
    if event == "INSERT":
        item = plain_image(change["NewImage"])
        key = history_key(item)
        outcome = put_once(bucket, key, body(item), client)
        if outcome != "conflict":
            return Archived(key, outcome)
    # MODIFY, REMOVE, or an INSERT whose key was archived with other content: keep the evidence.
    at = datetime.fromtimestamp(float(change.get("ApproximateCreationDateTime", 0)), tz=timezone.utc)
    evidence = {"event": event, "keys": item_keys, "sequence_number": change.get("SequenceNumber", ""),
                "approximate_creation": at.isoformat(), "old": plain_image(change.get("OldImage")),
                "new": plain_image(change.get("NewImage"))}
    key = change_key(item_keys, str(change.get("SequenceNumber", "")), at)
    put_once(bucket, key, body(evidence), client)
    return Archived(key, "change recorded")


def plain_image(image: Mapping[str, Any] | None) -> dict[str, Any]:
    """A stream image (DynamoDB JSON) with Decimals kept, as the chain hashes them."""
    return {name: _deserializer.deserialize(value) for name, value in (image or {}).items()}
