"""mlgov_core.archive's layout: the object key is a function of the item alone, the bytes too (a retry is the same PUT)."""

import gzip
import json
from decimal import Decimal

from mlgov_core import archive, chain, keys

ITEM = {"pk": keys.version_pk("fraud-detection", 12), "sk": keys.history_sk("2026-12-01T23:59:59.999Z", "0123456789abcdef"),
        "change_day": "2026-12-01", "metrics": {"auc": Decimal("0.91")}, "chain_seq": 3}


def test_key_is_hive_partitioned_by_change_day_and_safe():
    key = archive.history_key(ITEM)
    assert key == ("history/dt=2026-12-01/MODEL%23fraud-detection%23000012__"
                   "HIST%232026-12-01T23%3A59%3A59.999Z%230123456789abcdef.json.gz")
    assert key.count("/") == 2  # history/dt=.../<object>: one partition level, as a hive reader expects


def test_key_falls_back_to_the_change_time_and_differs_per_item():
    without_day = {k: v for k, v in ITEM.items() if k != "change_day"} | {"last_modified": "2026-11-30T08:00:00.000Z"}
    assert archive.history_key(without_day).startswith("history/dt=2026-11-30/")
    other = {**ITEM, "sk": keys.history_sk("2026-12-01T23:59:59.999Z", "fedcba9876543210")}
    assert archive.history_key(other) != archive.history_key(ITEM)


def test_body_is_one_canonical_json_line_and_deterministic():
    data = archive.body(ITEM)
    assert data == archive.body(dict(reversed(list(ITEM.items()))))  # same item, same bytes (gzip mtime fixed)
    lines = gzip.decompress(data).decode().splitlines()
    assert len(lines) == 1 and lines[0] == chain.document(ITEM)
    assert json.loads(lines[0])["metrics"] == {"auc": 0.91}  # numbers stay numbers for the lake
