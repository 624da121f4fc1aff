"""An event source mapping from the governance table's stream to a function, the way every consumer needs it.

Shard order kept (one batch at a time per shard), ReportBatchItemFailures so a batch is retried from
its first failed record, bisection on error, bounded retries, and the batch's stream position handed
to the consumer's DLQ (alarmed) when retries are spent. A filter passes only the items the consumer
reads, so the function is not invoked (nor billed) for the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.lambda_event_source_mapping import (
    LambdaEventSourceMapping,
    LambdaEventSourceMappingDestinationConfig,
    LambdaEventSourceMappingDestinationConfigOnFailure,
    LambdaEventSourceMappingFilterCriteria,
    LambdaEventSourceMappingFilterCriteriaFilter,
)
from constructs import Construct

# Lambda's limits for stream sources; -1 means "until the record leaves the stream" (24 h on DynamoDB).
MAX_BATCH_SIZE = 10000
MAX_RETRY_ATTEMPTS = 10000
MAX_RECORD_AGE_SECONDS = 604800


@dataclass(frozen=True)
class StreamConsumerProps:
    # Each pattern is one filter (Lambda ORs them), e.g. {"dynamodb": {"Keys": {"sk": {"S": [...]}}}}.
    patterns: tuple[dict, ...]
    batch_size: int = 100
    max_retry_attempts: int = 10
    max_record_age_seconds: int = -1

    def __post_init__(self) -> None:
        if not self.patterns:
            raise ValueError("StreamConsumerProps.patterns: at least one filter (a consumer reads some items, not all)")
        if not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise ValueError(f"StreamConsumerProps.batch_size: {self.batch_size} not in 1..{MAX_BATCH_SIZE}")
        if not 0 <= self.max_retry_attempts <= MAX_RETRY_ATTEMPTS:
            raise ValueError(f"StreamConsumerProps.max_retry_attempts: {self.max_retry_attempts} not in 0..{MAX_RETRY_ATTEMPTS}")
        if self.max_record_age_seconds != -1 and not 60 <= self.max_record_age_seconds <= MAX_RECORD_AGE_SECONDS:
            raise ValueError(f"StreamConsumerProps.max_record_age_seconds: {self.max_record_age_seconds} is neither -1 "
                             f"nor in 60..{MAX_RECORD_AGE_SECONDS}")


def stream_consumer(scope: Construct, construct_id: str, props: StreamConsumerProps, *, stream_arn: str,
                    function_arn: str, dead_letter_queue_arn: str) -> LambdaEventSourceMapping:
    return LambdaEventSourceMapping(
        scope, construct_id,
        event_source_arn=stream_arn, function_name=function_arn,
        starting_position="TRIM_HORIZON", batch_size=props.batch_size,
        bisect_batch_on_function_error=True, maximum_retry_attempts=props.max_retry_attempts,
        maximum_record_age_in_seconds=props.max_record_age_seconds, function_response_types=["ReportBatchItemFailures"],
        filter_criteria=LambdaEventSourceMappingFilterCriteria(filter=[
            LambdaEventSourceMappingFilterCriteriaFilter(pattern=json.dumps(p, sort_keys=True)) for p in props.patterns]),
        destination_config=LambdaEventSourceMappingDestinationConfig(
            on_failure=LambdaEventSourceMappingDestinationConfigOnFailure(destination_arn=dead_letter_queue_arn)),
    )
