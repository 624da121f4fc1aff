"""mlgov_core.chain: the hash chain names the first item that was edited, deleted, reordered or inserted."""

from decimal import Decimal

import pytest

from mlgov_core import chain, keys

PK = keys.version_pk("fraud-detection", 1)


def _change(n: int, **extra) -> dict:
    return {"pk": PK, "sk": keys.history_sk(f"2025-03-0{n}T10:00:00.000Z", f"{n:016x}"), "item_type": "history",
            "stage": "Dev", "status": "Pending", "metrics": {"auc": Decimal("0.91")}, "version": 1, **extra}


def _chain(count: int = 4) -> tuple[list[dict], chain.Head]:
    head, items = chain.Head(), []
    for n in range(1, count + 1):
        linked = chain.link(_change(n), head)
        items.append(linked)
        head = chain.head_after(linked)
    return items, head


def test_an_untouched_chain_verifies_in_any_read_order():
    items, head = _chain()
    assert chain.verify_chain(items, head) == []
    assert chain.verify_chain(list(reversed(items)), head) == []  # chain order is chain_seq, not read order
    assert items[0][chain.PREV] == chain.GENESIS and items[1][chain.PREV] == items[0][chain.HASH]


def test_canonical_form_is_what_dynamodb_gives_back():
    # Written with ints and short Decimals, read back as Decimals with other exponents: the same hash.
    written = {"version": 6, "metrics": {"auc": Decimal("0.910"), "n": 100}, "ok": True, "sk": "HIST#x"}
    read = {"sk": "HIST#x", "ok": True, "metrics": {"n": Decimal("1E+2"), "auc": Decimal("0.91")}, "version": Decimal("6")}
    assert chain.canonical(written) == chain.canonical(read)
    assert chain.canonical({"v": 1}) != chain.canonical({"v": "1"})  # a type change is a change
    assert chain.canonical({"v": True}) != chain.canonical({"v": 1})


def test_chain_fields_are_not_hashed_but_the_sequence_is():
    item = _change(1)
    assert chain.canonical({**item, chain.PREV: "a", chain.HASH: "b"}) == chain.canonical(item)
    assert chain.canonical({**item, chain.SEQ: 1}) != chain.canonical({**item, chain.SEQ: 2})


def test_an_edited_field_is_named():
    items, head = _chain()
    items[1] = {**items[1], "status": "Approved"}
    breaks = chain.verify_chain(items, head)
    assert [(b.sk, b.kind) for b in breaks] == [(items[1]["sk"], chain.Kind.EDITED)]


def test_an_edited_number_deep_in_a_map_is_named():
    items, head = _chain()
    items[2] = {**items[2], "metrics": {"auc": Decimal("0.99")}}
    assert [(b.sk, b.kind) for b in chain.verify_chain(items, head)] == [(items[2]["sk"], chain.Kind.EDITED)]


def test_a_deleted_middle_item_is_named_at_its_successor():
    items, head = _chain()
    del items[1]
    breaks = chain.verify_chain(items, head)
    assert [(b.sk, b.kind) for b in breaks] == [(items[1]["sk"], chain.Kind.DELETED)]
    assert "item(s) 2 missing" in breaks[0].reason


def test_a_deleted_last_item_is_caught_by_the_head():
    items, head = _chain()
    breaks = chain.verify_chain(items[:-1], head)
    assert [(b.sk, b.kind) for b in breaks] == [(None, chain.Kind.HEAD)]


def test_swapped_items_are_named():
    items, head = _chain()
    # Swap the positions of items 2 and 3 (their chain_seq), leaving each item's own fields intact.
    items[1], items[2] = {**items[1], chain.SEQ: 3}, {**items[2], chain.SEQ: 2}
    breaks = chain.verify_chain(items, head)
    assert breaks and breaks[0].sk == items[2]["sk"] and breaks[0].kind == chain.Kind.INSERTED


def test_an_inserted_item_that_copies_a_position_is_named():
    items, head = _chain()
    forged = {**_change(9), chain.SEQ: 2, chain.PREV: items[0][chain.HASH]}
    forged[chain.HASH] = chain.item_hash(forged[chain.PREV], forged)  # a well-formed hash is not enough
    breaks = chain.verify_chain(items + [forged], head)
    assert breaks and breaks[0].kind == chain.Kind.INSERTED


def test_an_unchained_history_item_is_a_break():
    items, head = _chain()
    breaks = chain.verify_chain(items + [_change(9)], head)
    assert [(b.sk, b.kind) for b in breaks] == [(_change(9)["sk"], chain.Kind.UNCHAINED)]


def test_a_forged_head_is_named():
    items, head = _chain()
    forged = chain.Head(hash=items[1][chain.HASH], length=2, sk=items[1]["sk"])  # hides items 3 and 4
    assert [b.kind for b in chain.verify_chain(items, forged)] == [chain.Kind.HEAD]
    assert [b.kind for b in chain.verify_chain(items, None)] == [chain.Kind.HEAD]  # head deleted
    assert chain.verify_chain(items, None, check_head=False) == []


def test_head_item_round_trip():
    items, head = _chain(2)
    stored = {chain.HEAD: head.hash, chain.LENGTH: Decimal(2), chain.HEAD_SK: items[-1]["sk"]}
    assert chain.Head.of(stored) == head
    assert chain.Head.of(None) == chain.Head()


def test_numbers_that_dynamodb_cannot_hold_are_refused():
    with pytest.raises(ValueError):
        chain.canonical({"x": Decimal("NaN")})
