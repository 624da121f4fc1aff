"""Hash chain over a version's history items: tamper evidence for the append-only audit trail.

Each history item of a partition carries ``chain_seq`` (1, 2, ... in write order), ``chain_prev``
(the previous item's hash, GENESIS for the first) and ``chain_hash = sha256(chain_prev + canonical(item))``,
where the canonical form covers every attribute except ``chain_prev`` and ``chain_hash`` themselves
(``chain_seq``, ``pk`` and ``sk`` included, so renumbering or moving an item breaks its hash). The
partition's ``CHAIN`` item (keys.CHAIN_SORT_KEY) holds the head: the last hash and the length, so a
deleted tail is noticed too. Writers link to the head under a condition on it (store.write_change).

Chain order is write order, not sort-key order: a late older event sorts before newer changes but is
appended after them. A chain shows what was removed, edited or inserted by anyone who did not also
rewrite every later item and the head; the Object Lock archive (history_archive) is the anchor that
a full rewrite cannot reach.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

GENESIS = "0" * 64  # chain_prev of a partition's first history item
SEQ, PREV, HASH = "chain_seq", "chain_prev", "chain_hash"
HEAD, LENGTH, HEAD_SK = "chain_head", "chain_length", "chain_head_sk"
LINK_FIELDS = frozenset({PREV, HASH})  # not part of the hashed content: they are the chain itself


class Kind:
    """Why a chain does not verify (Break.kind)."""

    EDITED = "edited"  # the item's content no longer gives its hash
    DELETED = "deleted"  # an item is missing before this one, or after the last one
    INSERTED = "inserted"  # a chain position is taken twice, or an item links to the wrong predecessor
    UNCHAINED = "unchained"  # a history item without chain fields
    HEAD = "head"  # the head item is missing or does not name the last item


@dataclass(frozen=True)
class Break:
    sk: str | None  # the first item that does not verify (None: the partition's head)
    kind: str
    reason: str

    def __str__(self) -> str:
        return f"{self.sk or 'head'}: {self.kind}: {self.reason}"


@dataclass(frozen=True)
class Head:
    hash: str = GENESIS
    length: int = 0
    sk: str | None = None

    @classmethod
    def of(cls, item: Mapping[str, Any] | None) -> Head:
        """The head recorded in a CHAIN item (None: an empty chain)."""
        if not item:
            return cls()
        return cls(hash=str(item[HEAD]), length=int(item[LENGTH]), sk=item.get(HEAD_SK))


def canonical(item: Mapping[str, Any]) -> str:
    """Stable text of an item's content: sorted keys, numbers exact, chain link fields left out.

    Numbers are written as normalized decimals, so 6, Decimal("6") and Decimal("6.0") (what DynamoDB
    gives back for what was written) hash alike; a float is read through its shortest repr. Read items
    with Decimals kept (queries' ``exact``): turning a 38-digit Decimal into a float changes it.
    """
    return _encode({k: v for k, v in item.items() if k not in LINK_FIELDS})


def document(item: Mapping[str, Any]) -> str:
    """The whole item, chain fields included, as one canonical JSON object (an archive line)."""
    return _encode(item)


def item_hash(prev: str, item: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev + canonical(item)).encode()).hexdigest()


def link(item: Mapping[str, Any], head: Head) -> dict[str, Any]:
    """``item`` as the next link after ``head``: with chain_seq, chain_prev and chain_hash."""
    linked = {**{k: v for k, v in item.items() if k not in LINK_FIELDS}, SEQ: head.length + 1, PREV: head.hash}
    linked[HASH] = item_hash(head.hash, linked)
    return linked


def head_after(linked: Mapping[str, Any]) -> Head:
    return Head(hash=linked[HASH], length=int(linked[SEQ]), sk=linked.get("sk"))


def verify_chain(items: Iterable[Mapping[str, Any]], head: Mapping[str, Any] | Head | None = None, *,
                 check_head: bool = True) -> list[Break]:
    """Every break in one partition's history items (any order), first break first; [] if it verifies.

    Each item is compared with the stored values of its predecessor, so one deleted or edited item
    gives one break, not a cascade. ``head`` is the partition's CHAIN item; with ``check_head`` its
    absence, or a head that does not name the last item, is a break too.
    """
    items = list(items)
    breaks: list[Break] = []
    chained = [i for i in items if SEQ in i and PREV in i and HASH in i]
    for item in items:
        if not (SEQ in item and PREV in item and HASH in item):
            breaks.append(Break(item.get("sk"), Kind.UNCHAINED, "history item without chain fields (written around the chain)"))
    try:
        chained.sort(key=lambda i: (int(i[SEQ]), str(i.get("sk"))))
    except (TypeError, ValueError):
        return breaks + [Break(None, Kind.EDITED, "a chain_seq is not a number")]
    expected_seq, prev_hash, prev_sk = 1, GENESIS, None
    for item in chained:
        sk, seq = item.get("sk"), int(item[SEQ])
        if seq < expected_seq:
            breaks.append(Break(sk, Kind.INSERTED, f"chain_seq {seq} is taken twice (after {prev_sk})"))
        elif seq > expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}..{seq - 1}"
            breaks.append(Break(sk, Kind.DELETED, f"chain_seq {seq} follows {expected_seq - 1}: item(s) {missing} missing"))
        elif item[PREV] != prev_hash:
            breaks.append(Break(sk, Kind.INSERTED,
                                f"chain_prev does not match the hash of {prev_sk or 'genesis'}: reordered or inserted"))
        elif item_hash(str(item[PREV]), item) != item[HASH]:
            breaks.append(Break(sk, Kind.EDITED, "content does not match its chain_hash: edited after it was written"))
        expected_seq, prev_hash, prev_sk = max(expected_seq, seq + 1), str(item[HASH]), sk
    if check_head:
        recorded = head if isinstance(head, Head) or head is None else Head.of(head)
        if recorded is None:
            if chained:
                breaks.append(Break(None, Kind.HEAD, "no chain head item: the head was deleted"))
        elif recorded.hash != prev_hash or recorded.length != expected_seq - 1:
            breaks.append(Break(None, Kind.HEAD,
                                f"head names item {recorded.length} ({recorded.sk or '-'}) but the chain ends at "
                                f"{expected_seq - 1} ({prev_sk or '-'}): items deleted at the end, or a forged head"))
    return breaks


def verification(items: Iterable[Mapping[str, Any]], head: Mapping[str, Any] | None) -> dict[str, Any]:
    """verify_chain as plain data for the CLI and the report: ok, counts, head, and every break."""
    items = list(items)
    breaks = verify_chain(items, head)
    recorded = Head.of(head) if head else None
    return {
        "ok": not breaks,
        "items": len(items),
        "head": recorded.hash if recorded else None,
        "length": recorded.length if recorded else 0,
        "breaks": [{"sk": b.sk, "kind": b.kind, "reason": b.reason} for b in breaks],
        "first_break": str(breaks[0]) if breaks else None,
    }


def _encode(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: True is an int
        return "true" if value else "false"
    if isinstance(value, (int, Decimal, float)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not number.is_finite():
            raise ValueError(f"cannot hash a non-finite number: {value!r}")
        text = format(number.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_encode(v)}"
                              for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))) + "}"
    if isinstance(value, (set, frozenset)):
        return "[" + ",".join(sorted(_encode(v) for v in value)) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_encode(v) for v in value) + "]"
    raise TypeError(f"cannot hash a {type(value).__name__} in a history item")
