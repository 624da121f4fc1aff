"""moto 5.2.5 hands a DynamoDB stream to its Lambda mappings inside the write: StreamShard.add invokes
every mapping's function synchronously with all records since the last success (then drops them from
the stream), ignoring BatchSize, FilterCriteria, Enabled, ReportBatchItemFailures, bisection, retries
and the OnFailure destination. Keep every record in the shard and let `stream_poller` deliver them
asynchronously, per mapping and in order, on lambda_runner's background worker (drain() waits for it)."""

from __future__ import annotations

from typing import Any

from ._common import wrap


def apply() -> None:
    from moto.awslambda.models import LambdaBackend
    from moto.dynamodb.models.table import StreamRecord, StreamShard

    from .. import stream_poller

    @wrap(StreamShard, "add")
    def add(orig: Any, self: Any, old: Any, new: Any) -> None:
        # moto's add, without its synchronous delivery and without dropping delivered records
        event_name = "INSERT" if old is None else "REMOVE" if new is None else "MODIFY"
        seq = len(self.items) + self.starting_sequence_number
        view = self.table.stream_specification["StreamViewType"]
        self.items.append(StreamRecord(self.table, view, event_name, old, new, seq))
        for esm in list(self.table.lambda_event_source_mappings.values()):
            stream_poller.schedule(esm)

    @wrap(LambdaBackend, "create_event_source_mapping")
    def create_event_source_mapping(orig: Any, self: Any, spec: dict[str, Any]) -> Any:
        esm = orig(self, spec)
        if esm.event_source_arn.split(":")[2] == "dynamodb":
            stream_poller.start_position(esm)
            stream_poller.schedule(esm)  # TRIM_HORIZON: records written before the mapping existed
        return esm

    @wrap(LambdaBackend, "update_event_source_mapping")
    def update_event_source_mapping(orig: Any, self: Any, uuid: str, spec: dict[str, Any]) -> Any:
        esm = orig(self, uuid, spec)
        if esm is not None and esm.event_source_arn.split(":")[2] == "dynamodb":
            stream_poller.schedule(esm)  # re-enabled or re-configured: carry on from its position
        return esm
