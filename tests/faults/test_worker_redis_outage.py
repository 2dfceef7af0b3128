"""Issue 23 item 9: the arq worker survives a Redis outage, without a supervisor.

``portal-gateway worker`` runs as an operator runs it, against a private ``redis-server``
that the test stops for several seconds, then starts again on the same port (empty, as after
a crash without persistence). The worker must still be running, write its heartbeat (arq's
health-check key) again, and run a job queued after the outage.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from app.sync.inbound.process import INBOUND_JOB
from app.sync.queue import ArqQueue, arq_redis
from tests.faults.conftest import Workers, wait_until
from tests.support.parallel import free_port

pytestmark = pytest.mark.fault

# Ten times what ends arq's own worker (``arq app.worker.WorkerSettings``: it exits at the
# first poll that meets Redis down, 0.6 s in here), and long enough for the worker's growing
# pauses (0.5, 1, 2 and 4 s) before Redis is back; its next try then finds it at 7.5 s. (A
# 20 s outage waited for the try at 25.5 s.)
OUTAGE_SECONDS = 6


@dataclass
class RestartableRedis:
    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 60
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self.process = None


@pytest.fixture
def restartable_redis(tmp_path: Path) -> Iterator[RestartableRedis]:
    server = RestartableRedis(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_the_worker_survives_a_redis_outage(
    restartable_redis: RestartableRedis, workers: Workers
) -> None:
    # issue 23 item 9
    queue_name = f"pgw-outage:{uuid.uuid4().hex[:8]}"
    workers.env.update(REDIS_URL=restartable_redis.url, ARQ_QUEUE_NAME=queue_name)
    worker = workers.start(ARQ_POLL_DELAY="0.2", LOG_LEVEL="INFO")
    client = redis.Redis(host="127.0.0.1", port=restartable_redis.port)
    heartbeat = queue_name + ":health-check"
    try:
        await wait_until(lambda: client.exists(heartbeat), 60, "the worker's first heartbeat")

        restartable_redis.stop()
        await asyncio.sleep(OUTAGE_SECONDS)
        assert worker.poll() is None, workers.log_text()[-3000:]

        restartable_redis.start()  # empty: what Redis held is gone
        await wait_until(
            lambda: worker.poll() is None and client.exists(heartbeat),
            60,
            "the heartbeat after the outage",
        )
        queue = ArqQueue(arq_redis(restartable_redis.url, queue_name), queue_name)
        try:
            assert await queue.enqueue(INBOUND_JOB, "test", "cv-none", job_id="after-outage")
        finally:
            await queue.close()
        result_key = f"arq:result:{queue_name}:after-outage"
        await wait_until(lambda: client.exists(result_key), 60, "the job queued after the outage")
        assert worker.poll() is None
        log = workers.log_text()
        assert "Traceback" not in log
        assert "Redis is unreachable" in log
        assert "Redis answers again" in log

        # Stopped while Redis is down, it still ends cleanly.
        restartable_redis.stop()
        await wait_until(
            lambda: "Redis is unreachable" in workers.log_text().split("answers again")[-1],
            60,
            "the worker to notice the second outage",
        )
        workers.kill(worker, signal.SIGTERM)
        assert worker.returncode == 0, workers.log_text()[-3000:]
        assert "Traceback" not in workers.log_text()
    finally:
        client.close()
