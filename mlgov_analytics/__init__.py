"""Governance analytics: the dashboard's views (one SQL source for Athena, QuickSight and DuckDB)."""
