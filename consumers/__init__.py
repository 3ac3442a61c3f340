"""Services that consume the alerts and events: notifier, cases, analytics."""
