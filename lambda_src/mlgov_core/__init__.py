"""The governance core: the one place that knows stages, statuses, transitions and table keys.

Packaged into every Lambda zip and imported by the CDKTF constructs and the CLI, so it may
depend only on the standard library, boto3 and aws-lambda-powertools (all present in the
Lambda runtime through the Powertools layer).
"""
