"""Metrics-ingest Lambda: QA and production metrics events from test and prod into the governance table."""
