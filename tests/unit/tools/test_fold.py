"""The bench's bare faust agent (tools/fold.py) in test_context: one table write per event."""
from __future__ import annotations

from schemas.settings import Settings
from schemas.topology import app_id
from tools.fold import changelog_topic, create_fold, fold_id


def test_the_fold_has_its_own_group_whose_topics_the_pipelines_run_cleanup_removes():
    settings = Settings(topic_prefix="bench-1.")
    assert fold_id(settings) != app_id(settings)
    assert changelog_topic(settings).startswith(f"{app_id(settings)}-")  # streams.topics.delete_run's pattern


async def test_the_fold_counts_events_per_key():
    app = create_fold(Settings(store="memory://", topic_prefix="unit-fold."))
    app.finalize()
    app.flow_control.resume()
    agent = app.agents["count-events"]
    async with agent.test_context() as running:
        for key in (b"a", b"b", b"a"):
            await running.put(b"{}", key=key)
    counts = app.tables["fold-by-key"]
    assert (counts[b"a"], counts[b"b"], counts[b"c"]) == (2, 1, 0)
