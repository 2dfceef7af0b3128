"""``GET /api/v1/systems/{system}/alerts``: open and recent incidents with their
notifications (scope ``admin``)."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from app.alerts.overview import AlertsView, alerts_view
from app.api.deps import ServicesDep
from app.api.problems import API_PROBLEMS, problem_responses
from app.api.schemas import System
from app.errors import NotFound


class AlertController(Controller):
    path = "/systems/{system:str}/alerts"
    tags = ["alerts"]
    opt = {"scope": "admin"}

    @get(
        "/",
        summary="Alert incidents of a system and how their notifications fared",
        responses=problem_responses(*API_PROBLEMS, 404),
    )
    async def alerts(
        self,
        services: ServicesDep,
        system: FromPath[System],
        lang: Annotated[
            Literal["de", "en"], QueryParameter(description="language of titles and texts")
        ] = "en",
    ) -> AlertsView:
        if services.alerts is None:
            raise NotFound("Alerts are not set up in this process.")
        return await alerts_view(services.alerts, system, lang)
