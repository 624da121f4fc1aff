"""The `mlgov` command-line tool: one command per persona task, every rule from mlgov_core."""
