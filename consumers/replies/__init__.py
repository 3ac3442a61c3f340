"""Answers to the people on the other side: 12345 status callbacks and WeChat template messages."""
