"""faust's aiokafka transport with a short fetch wait: the one Kafka knob faust does not expose.

faust 0.15.3 builds its worker consumer with `fetch_max_wait_ms=1500`, and aiokafka keeps one
fetch in flight per broker that leaves out partitions whose records are still buffered. When
that fetch asks only idle partitions (other feeds, `household-members`, changelogs), the broker
holds it 1.5 s, and the busy partitions wait behind it: ~1.5 s per event at 1,000 events/s
while the worker was half idle. A short wait makes the broker answer idle fetches quickly.
"""
from __future__ import annotations

import aiokafka
import faust
from faust.transport.drivers import aiokafka as driver

import os
FETCH_MAX_WAIT_MS = int(os.environ.get("XFW", 20))  # idle cost: one empty fetch round trip per 20 ms


class ConsumerThread(driver.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: driver.Transport) -> aiokafka.AIOKafkaConsumer:
        consumer = super()._create_worker_consumer(transport)
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS  # read by start(), which builds the Fetcher
        return consumer


class Consumer(driver.Consumer):
    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(driver.Transport):
    Consumer = Consumer


class App(faust.App):
    """A faust App whose consumer uses `Transport` above (`kafka://` URLs only)."""

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)
