"""A stage's writes under way (``SendEngine.stage``): up to ``width`` at a time, the reading
at most two waves ahead of casavi, creates launched in waves once their write-ahead mark is
in the ledger. A write frees its slot as soon as casavi answered: what follows it (``after``:
a ticket's conflict base, the support archive; at most ``width`` at a time) runs outside the
slot, so casavi is kept busy meanwhile; then the ``LedgerWriter`` takes its outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from app.sync.outbound.outcomes import LedgerWriter, Send
from app.sync.ports import Outcome


class Sends:
    def __init__(
        self,
        write: Callable[[Send], Awaitable[Outcome]],
        writer: LedgerWriter,
        *,
        width: int,
        wave: int,
        after: Callable[[Send, Outcome], Awaitable[None]] | None = None,
    ) -> None:
        self._write, self._writer, self._wave, self._after = write, writer, wave, after
        width = max(width, 1)
        self._slots = asyncio.Semaphore(width)
        self._after_slots = asyncio.Semaphore(width)
        # Sends admitted (started or waiting for a slot).
        self._room = asyncio.Semaphore(2 * max(wave, width))
        self._pending: set[asyncio.Task[None]] = set()
        self._creates: list[Send] = []

    async def admit(self, item: Send) -> None:
        """Updates and removals go out at once; creates wait for their wave."""
        if item.presence != "new":
            await self._launch([item])
            return
        self._creates.append(item)
        if len(self._creates) >= self._wave:
            wave, self._creates = self._creates, []
            await self._launch(wave)

    async def finish(self) -> None:
        """The last wave out, then every write answered."""
        wave, self._creates = self._creates, []
        await self._launch(wave)
        while self._pending:
            await asyncio.gather(*self._pending)

    async def cancel(self) -> None:
        for task in self._pending:
            task.cancel()
        await asyncio.gather(*self._pending, return_exceptions=True)

    async def _launch(self, items: list[Send]) -> None:
        """Start each write as a task; the creates among them are marked pending in the
        ledger first, in one write, before any of them goes out."""
        creates = [item for item in items if item.presence == "new"]
        if creates:
            await self._writer.write_ahead(creates)
        for item in items:
            await self._room.acquire()
            task = asyncio.create_task(self._send(item))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _send(self, item: Send) -> None:
        try:
            async with self._slots:
                outcome = await self._write(item)
            # The slot is free before the bookkeeping and the ledger write.
            if self._after is not None:
                async with self._after_slots:
                    await self._after(item, outcome)
            self._writer.add(outcome, item.decision)
        finally:
            self._room.release()
