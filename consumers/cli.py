"""The consumers' commands, gathered for the `safetynet` entry point."""
from consumers.analytics.cli import analytics, sql
from consumers.cases.cli import cases
from consumers.notifier.cli import notifier

__all__ = ["analytics", "cases", "notifier", "sql"]
