"""Re-send one record now: the operator's tool when casavi is out of step with iX-Haus."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, post
from litestar.params import FromPath, JSONBody

from app.api.deps import ServicesDep
from app.api.problems import API_PROBLEMS, problem_responses
from app.api.schemas import ReasonText, System, reason_text
from app.domain.ids import EntityKeyText
from app.sync.resend import record_key, resend


class ResendRequest(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    """The record, by its key as the protocol shows it (``unit:1001/01``, ``ticket:42``)."""

    entity_key: EntityKeyText


class ResendView(msgspec.Struct, rename="camel", kw_only=True):
    """What was done: ``sent`` (even if casavi had it), ``removed`` (the rules now exclude
    or delete it, so casavi no longer shows it) or ``excluded`` (not in casavi; the reason)."""

    entity_type: str
    entity_key: Annotated[str, msgspec.Meta(min_length=3, max_length=200)]
    outcome: Literal["sent", "removed", "excluded"]
    reason_code: str | None
    reason_text: ReasonText | None
    casavi_id: str | None


class RecordController(Controller):
    path = "/systems/{system:str}/records"
    tags = ["sync runs"]

    @post(
        "/resend",
        status_code=200,
        summary="Send one record to casavi now, even if unchanged (decided as in a run)",
        responses=problem_responses(*API_PROBLEMS, 404, 409, 422, 502, 503),
    )
    async def resend(
        self, services: ServicesDep, system: FromPath[System], data: JSONBody[ResendRequest]
    ) -> ResendView:
        key = record_key(data.entity_key)
        async with services.contexts.use(system) as ctx:
            result = await resend(ctx, key, now=services.clock())
        reason = result.reason
        return ResendView(
            entity_type=key.kind.value,
            entity_key=key.ledger_key,
            outcome=result.outcome,
            reason_code=reason.value if reason else None,
            reason_text=reason_text(reason.value if reason else None),
            casavi_id=result.casavi_id,
        )
