"""Pydantic models shared by every hop: feed rows, envelopes, alerts, cases, settings."""
