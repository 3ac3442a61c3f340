"""What an envelope looks like on Kafka: its JSON bytes and the partition its key goes to.

Pure functions shared by the publishing edge and the parse workers, so a worker can hand back
ready-to-send records (partition, key, value) and the main process only batches them.
"""
from __future__ import annotations

import struct

import numpy as np
import orjson

from schemas.envelope import Envelope


def envelope_json(envelope: Envelope) -> bytes:
    """The same bytes as `model_dump_json()`, about five times faster (orjson over the field dicts)."""
    fields = envelope.__dict__
    return orjson.dumps({**fields, "payload": fields["payload"].__dict__}, option=orjson.OPT_UTC_Z)


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (the Java client's and aiokafka's default partitioner), a word at a time."""
    m, length = 0x5BD1E995, len(data)
    h = 0x9747B28C ^ length
    for k in struct.unpack_from(f"<{length // 4}I", data):
        k = (k * m) & 0xFFFFFFFF
        k = ((k ^ (k >> 24)) * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
    tail, extra = length & ~3, length & 3
    if extra:
        if extra >= 3:
            h ^= data[tail + 2] << 16
        if extra >= 2:
            h ^= data[tail + 1] << 8
        h = ((h ^ data[tail]) * m) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * m) & 0xFFFFFFFF
    return h ^ (h >> 15)


def partition_of(key: bytes, partitions: int) -> int:
    """The partition index Kafka's default partitioner picks for `key` among `partitions`."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def partitions_of(keys: list[bytes], partitions: int) -> list[int]:
    """`partition_of` for many keys at once: keys of one length (person_keys are 64 hex) go through
    numpy together, a few microseconds for a block's worth instead of ~10 per key in Python."""
    if not keys:
        return []
    length = len(keys[0])
    if length % 4 or length == 0 or any(len(k) != length for k in keys):
        return [partition_of(k, partitions) for k in keys]
    words = np.frombuffer(b"".join(keys), dtype="<u4").reshape(len(keys), length // 4)
    m = np.uint32(0x5BD1E995)
    h = np.full(len(keys), 0x9747B28C ^ length, dtype=np.uint32)
    with np.errstate(over="ignore"):
        for column in words.T:
            k = column * m
            k = (k ^ (k >> np.uint32(24))) * m
            h = (h * m) ^ k
        h = (h ^ (h >> np.uint32(13))) * m
        h = h ^ (h >> np.uint32(15))
    return ((h & np.uint32(0x7FFFFFFF)) % np.uint32(partitions)).tolist()
