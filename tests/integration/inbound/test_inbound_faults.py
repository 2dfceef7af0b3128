"""Faults with a real arq worker (``portal-gateway worker`` as a subprocess) and our own
``redis-server`` on a spare loopback port (the shared Redis is never stopped): callbacks
while Redis is down, a worker killed mid-burst, duplicated and reordered callbacks."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.asgi import create_app
from app.sandbox.casavi import ServerThread
from tests.integration.inbound.conftest import (
    CALLBACK_SECRET,
    Inbound,
    callback_url,
    gateway_settings,
    start_worker,
    stop,
)
from tests.support.parallel import free_port

pytestmark = pytest.mark.fault
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class OwnRedis:
    """A private redis-server that a test may stop and start again on the same port."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.dir = tmp_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=60)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    redis = OwnRedis(tmp_path)
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


def _gateway(migrated_pg: str, redis_url: str, queue: str) -> ServerThread:
    settings = gateway_settings(migrated_pg, REDIS_URL=redis_url, ARQ_QUEUE_NAME=queue)
    return ServerThread(create_app(settings)).start()


async def _settled_with(inbound: Inbound, count: int) -> None:
    async def settled() -> bool:
        return len(await inbound.inbox()) >= count and await inbound.settled()

    await inbound.wait_for(settled)


async def test_callbacks_while_redis_is_down_are_processed_once_it_is_back(
    inbound: Inbound, migrated_pg: str, own_redis: OwnRedis, queue_name: str, tmp_path: Path
) -> None:
    # rule T10: the inbox is the source of truth; Redis is only the doorbell.
    gateway = _gateway(migrated_pg, own_redis.url, queue_name)
    await inbound.sim.callbacks_to(callback_url(gateway.base_url), CALLBACK_SECRET)
    settings = gateway_settings(migrated_pg, REDIS_URL=own_redis.url, ARQ_QUEUE_NAME=queue_name)
    worker: subprocess.Popen[bytes] | None = None
    try:
        own_redis.stop()
        casavi_id = await inbound.open_ticket("Aufzug steht")
        tenant = await inbound.tenant()
        await inbound.sim.tenant(
            "POST",
            f"/tickets/{casavi_id}/messages",
            json={"contactId": tenant["contactId"], "content": "seit heute früh"},
        )

        async def stored() -> bool:
            return len(await inbound.inbox("received")) == 2

        await inbound.wait_for(stored)  # answered 202 and stored, though nothing was queued
        stats = await inbound.sim.stats()
        assert stats["callbacks"]["delivered"] >= 2
        assert await inbound.ticket_no(casavi_id) is None

        own_redis.start()
        worker = start_worker(settings, tmp_path / "worker.log")
        await _settled_with(inbound, 2)  # the worker's sweeper queued what the inbox held
        number = await inbound.ticket_no(casavi_id)
        assert number is not None
        assert await inbound.count("tickets", source_ref=casavi_id) == 1
        assert await inbound.count("notes", ticket_no=number) == 1
        assert {e.status for e in await inbound.inbox()} == {"done"}
    finally:
        if worker is not None:
            stop(worker)
        gateway.stop()


async def test_a_worker_killed_mid_burst_leaves_every_effect_exactly_once(
    inbound: Inbound, migrated_pg: str, own_redis: OwnRedis, queue_name: str, tmp_path: Path
) -> None:
    gateway = _gateway(migrated_pg, own_redis.url, queue_name)
    await inbound.sim.callbacks_to(callback_url(gateway.base_url), CALLBACK_SECRET)
    settings = gateway_settings(migrated_pg, REDIS_URL=own_redis.url, ARQ_QUEUE_NAME=queue_name)
    worker = start_worker(settings, tmp_path / "worker.log")
    replacement: subprocess.Popen[bytes] | None = None
    try:
        # Duplicated and reordered deliveries too (the same event id twice, pairs swapped).
        await inbound.sim.faults(duplicate_callbacks=True, reorder_callbacks=2)
        tenant = await inbound.tenant()
        tickets = [await inbound.open_ticket(f"Schaden {i}") for i in range(3)]
        messages = 0
        for ticket in tickets:
            for i in range(8):
                await inbound.sim.tenant(
                    "POST",
                    f"/tickets/{ticket}/messages",
                    json={"contactId": tenant["contactId"], "content": f"Nachricht {i}"},
                )
                messages += 1

        async def some_done() -> bool:
            return await inbound.count("notes") > 0 or len(await inbound.inbox("done")) > 3

        await inbound.wait_for(some_done)
        worker.send_signal(signal.SIGKILL)  # mid-burst: leases and jobs are left behind
        worker.wait(timeout=60)
        replacement = start_worker(settings, tmp_path / "worker2.log")
        events = len(tickets) + messages
        await _settled_with(inbound, events)
        inbox = await inbound.inbox()
        # Each callback stored once though delivered twice (the worker's poll adds its own
        # "poll:" events for the same changes: same effects, applied once).
        assert len([e for e in inbox if not e.external_id.startswith("poll:")]) == events
        assert {e.status for e in inbox} == {"done"}
        for ticket in tickets:
            assert await inbound.count("tickets", source_ref=ticket) == 1
            number = await inbound.ticket_no(ticket)
            notes = await inbound.rows("notes", ticket_no=number)
            assert sorted(n.content for n in notes) == sorted(f"Nachricht {i}" for i in range(8))
            assert len({n.source_ref for n in notes}) == 8
    finally:
        stop(worker)
        if replacement is not None:
            stop(replacement)
        gateway.stop()


async def test_duplicated_and_reordered_callbacks_end_as_if_once_and_in_order(
    inbound: Inbound, gateway: tuple[ServerThread, httpx.AsyncClient]
) -> None:
    # Reordered: a message's event may arrive before the ticket's; the ticket is created
    # from casavi's current state either way, and each effect happens once.
    await inbound.sim.faults(duplicate_callbacks=True, reorder_callbacks=3)
    tenant = await inbound.tenant()
    casavi_id = await inbound.open_ticket("Briefkasten")
    for text in ("eins", "zwei"):
        await inbound.sim.tenant(
            "POST",
            f"/tickets/{casavi_id}/messages",
            json={"contactId": tenant["contactId"], "content": text},
        )
    await _settled_with(inbound, 3)
    number = await inbound.ticket_no(casavi_id)
    assert number is not None
    notes = await inbound.rows("notes", ticket_no=number)
    # Notes carry casavi's writing time (rule N1), so iX-Haus shows them in order.
    assert [n.content for n in sorted(notes, key=lambda n: n.created_at)] == ["eins", "zwei"]
    assert await inbound.count("tickets", source_ref=casavi_id) == 1
    assert (await inbound.sim.stats())["callbacks"]["delivered"] >= 6
