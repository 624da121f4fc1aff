"""Key schema of the model stage governance table.

One table holds two item types under the same partition key (one model version):
- the current state item (sort key ``STATE``), overwritten only by newer registry changes;
- history items (sort key ``HIST#<change time>#<idempotency key>``), append-only;
- the chain head item (sort key ``CHAIN``): the hash and length of the history's hash chain
  (mlgov_core.chain), moved forward by every history write under a condition on its old value;
- latest-metrics items (sort key ``METRICS#qa`` or ``METRICS#production#<variant>``), overwritten
  only by newer metrics reports (their history items use the ``HIST#`` form too).

Every access pattern in DESIGN.md section 2 is a Query, never a Scan:
- one version's state and history ............ Query PK = version_pk(group, version)
- all versions of a group ...................... Query GSI ``by_group`` (state items only)
- everything in a stage and status ............. Query GSI ``by_stage_status`` (state items only)
- everything of a use case ..................... Query GSI ``by_use_case`` (state items only)
- recent changes ............................... Query GSI ``by_change_day`` (history items only)
GSI key attributes are written only on the item type the index serves, so each index is sparse.
"""

from __future__ import annotations

PARTITION_KEY = "pk"
# Partition key prefixes: one partition per model version, and the bookkeeping of external models
# (a version counter and a label claim per external group). IAM limits writers by these prefixes
# (dynamodb:LeadingKeys, modules/table_guard.py); it cannot see sort keys.
VERSION_PK_PREFIX = "MODEL#"
COUNTER_PK_PREFIX = "COUNTER#"
LABEL_PK_PREFIX = "EXTERNAL#"
# Models from outside SageMaker are recorded under the model group "<group>-external".
EXTERNAL_GROUP_SUFFIX = "-external"
SORT_KEY = "sk"
STATE_SORT_KEY = "STATE"
CHAIN_SORT_KEY = "CHAIN"
HISTORY_PREFIX = "HIST#"
METRICS_PREFIX = "METRICS#"

# Version numbers are zero-padded in sort keys so that string order equals numeric order.
VERSION_WIDTH = 6


class Index:
    """A global secondary index: name, partition key attribute, sort key attribute."""

    def __init__(self, name: str, partition_key: str, sort_key: str) -> None:
        self.name = name
        self.partition_key = partition_key
        self.sort_key = sort_key


BY_GROUP = Index("by_group", "model_group", "version_key")
BY_STAGE_STATUS = Index("by_stage_status", "stage_status", "last_modified")
BY_USE_CASE = Index("by_use_case", "use_case", "version_id")
BY_CHANGE_DAY = Index("by_change_day", "change_day", "change_key")

INDEXES: tuple[Index, ...] = (BY_GROUP, BY_STAGE_STATUS, BY_USE_CASE, BY_CHANGE_DAY)


def key_attributes() -> list[str]:
    """Every attribute that is part of the table's or an index's key; all are strings."""
    names = {PARTITION_KEY, SORT_KEY}
    for index in INDEXES:
        names |= {index.partition_key, index.sort_key}
    return sorted(names)


def version_key(version: int) -> str:
    return str(version).zfill(VERSION_WIDTH)


def version_id(group: str, version: int) -> str:
    return f"{group}#{version_key(version)}"


def version_pk(group: str, version: int) -> str:
    return f"{VERSION_PK_PREFIX}{version_id(group, version)}"


def external_group(group: str) -> str:
    return f"{group}{EXTERNAL_GROUP_SUFFIX}"


def history_sk(changed_at: str, idempotency_key: str) -> str:
    return f"{HISTORY_PREFIX}{changed_at}#{idempotency_key}"


def metrics_sk(kind: str, variant: str | None = None) -> str:
    """Sort key of the latest metrics of one kind ("qa") or one production variant."""
    return f"{METRICS_PREFIX}{kind}" if variant is None else f"{METRICS_PREFIX}{kind}#{variant}"


def stage_status_key(stage: str, status: str) -> str:
    return f"{stage}#{status}"


def change_key(changed_at: str, version_id: str) -> str:
    """Sort key of ``by_change_day``: time first, so a range on a timestamp prefix selects recent changes."""
    return f"{changed_at}#{version_id}"
