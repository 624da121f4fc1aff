"""Lake-projection Lambda: the governance table's stream into the analytics lake (mlgov_core.lake)."""
