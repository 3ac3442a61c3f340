"""`safetynet vault reseal`: seal every identity record again with the first vault key.

Run it after putting a new key first in `vault_key` (NEW,OLD): every record not yet sealed with NEW
(or still in the SV1 format) is opened, sealed with NEW under the same Kafka key, and published;
compaction then drops the old values. When it reports nothing left to re-seal, remove OLD.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import click

from schemas.settings import Settings, load_service_settings


def pending(latest: dict[str, bytes], keys: list[bytes]):
    """(vault key, record) for every value not sealed with keys[0] in the current format."""
    from producers.vault import MAGIC, _cipher, open_sealed

    current = _cipher(keys[0])[0]
    for vault_key, blob in latest.items():
        if not blob.startswith(current) or not blob.startswith(MAGIC):
            yield vault_key, open_sealed(blob, keys, vault_key, legacy=True)


async def reseal(settings: Settings) -> tuple[int, int]:
    """Returns (records on the topic, records re-sealed)."""
    from aiokafka import AIOKafkaProducer

    from consumers.cases.store import read_to_end
    from producers.vault import TOPIC, seal, vault_keys

    keys, topic = vault_keys(settings), settings.topic(TOPIC)
    latest: dict[str, bytes] = {}
    for record in await read_to_end(settings, topic):
        if record.value is None:
            latest.pop(record.key.decode(), None)  # erased
        else:
            latest[record.key.decode()] = record.value
    done = 0
    async with AIOKafkaProducer(**settings.kafka_options(), acks="all", enable_idempotence=True) as producer:
        for vault_key, record in pending(latest, keys):
            await producer.send(topic, key=vault_key.encode(), value=seal(record, keys[0]))
            done += 1
        await producer.flush()
    return len(latest), done


@click.group()
def vault() -> None:
    """The identity vault: key rotation."""


@vault.command("reseal")
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None)
def reseal_command(config: Path | None) -> None:
    """Seal every identity record with the first key of vault_key (after a rotation)."""
    total, done = asyncio.run(reseal(load_service_settings(config)))
    click.echo(f"{total} identity records, {done} re-sealed with the first vault key")
