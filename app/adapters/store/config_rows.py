"""One system's configuration rows within one session: validate, encrypt secrets, audit,
save atomically. Only ``SqlConfigs`` (the ``Configs`` port) uses this."""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.ixhaus.catalogue import load_catalogue_from
from app.adapters.store.base import utcnow
from app.adapters.store.models import ConfigChange, SystemConfig, SystemSecret
from app.alerts.events import config_change_notice
from app.configuration.document import (
    CatalogueCheck,
    ConfigChangeView,
    ConfigDocument,
    ConfigInput,
    ConfigView,
    SecretState,
    SecretsView,
    System,
)
from app.configuration.patch import apply_merge_patch
from app.configuration.secrets import SECRET_NAMES, SecretBox
from app.configuration.shape import Found
from app.configuration.validation import catalogue_problems, checked_input, raise_if_any
from app.domain.catalogue import IxhausCatalogue
from app.errors import DependencyUnavailable, GatewayError, NotFound

CATALOGUE_TIMEOUT_SECONDS = 5.0

# Built once: composing ``SystemConfig.system == system`` anew cost about a tenth of a refused
# save's CPU (SQLAlchemy's operator layers), every save reads both.
_ROW = select(SystemConfig).where(SystemConfig.system == bindparam("p_system"))
# Two administrators saving at once: the second waits and sees the first's result.
_ROW_LOCKED = _ROW.with_for_update()
_SECRETS = select(SystemSecret).where(SystemSecret.system == bindparam("p_system"))


class ConfigRows:
    def __init__(self, session: AsyncSession, box: SecretBox) -> None:
        self._session = session
        self._box = box

    async def document(self, system: System) -> ConfigDocument:
        row = await self._row(system)
        return _document_of(row)

    async def view(self, system: System) -> ConfigView:
        return _view(system, await self._row(system), await self._secrets(system))

    async def replace(
        self, system: System, body: ConfigInput, actor: str, found: Found = ()
    ) -> ConfigView:
        """PUT: the body is the whole document; secrets left out keep their stored value."""
        return await self.save(system, msgspec.to_builtins(body), actor, found)

    async def save(
        self, system: System, raw: dict[str, Any], actor: str, found: Found = ()
    ) -> ConfigView:
        """Save ``raw`` (the whole document as decoded JSON) after checking all of it;
        ``found``: problems of values already taken out of it (they refuse the save too)."""
        return await self._save(system, await self._row(system, lock=True), raw, actor, found)

    async def _save(
        self, system: System, row: SystemConfig, raw: dict[str, Any], actor: str, found: Found
    ) -> ConfigView:
        """``save`` with the system's row already read under its lock. Each table is read
        once: the answer is built from the rows this session holds (a read after the commit
        would hand back the same objects from the session's identity map)."""
        secrets = await self._secrets(system)
        stored = {_api_name(name) for name in SECRET_NAMES.values() if name in secrets}
        body = checked_input(system, raw, stored, found)
        fields = msgspec.structs.asdict(body)
        given = fields.pop("secrets")
        new = ConfigDocument(**fields)
        provided = {
            name: value.value
            for name, value in (msgspec.structs.asdict(given).items() if given else ())
            if value is not None
        }
        catalogue_check, catalogue = await self._catalogue(system, new, provided, secrets)
        if catalogue is not None:
            raise_if_any(catalogue_problems(new, catalogue))

        # Encrypt before touching any row: without a usable key nothing is written.
        sealed = {name: self._box.encrypt(system, name, value) for name, value in provided.items()}
        changed = _changed_fields(_document_of(row), new) + sorted(
            f"secrets.{_api_name(name)}" for name in sealed
        )
        if changed:
            was_active = row.active
            _store(row, new)
            row.version += 1
            row.updated_at = utcnow()
            for name, ciphertext in sealed.items():
                secret = secrets.get(name)
                if secret is None:
                    secrets[name] = secret = SystemSecret(system=system, name=name)
                    self._session.add(secret)
                secret.ciphertext = ciphertext
                secret.changed_at = utcnow()
            self._session.add(ConfigChange(system=system, actor=actor, fields=changed))
            if was_active or new.active:  # alerts: told once, in the change's transaction
                self._session.add(config_change_notice(system, changed))
        await self._session.commit()
        view = _view(system, row, secrets)
        view.catalogue_check = catalogue_check
        return view

    async def catalogue(self, system: System) -> IxhausCatalogue:
        """What iX-Haus knows, read with this system's stored connection and schema settings."""
        check, catalogue = await self._catalogue(system, await self.document(system), {})
        if catalogue is None:
            raise DependencyUnavailable(check.reason)
        return catalogue

    async def _catalogue(
        self,
        system: System,
        doc: ConfigDocument,
        provided: dict[str, str],
        stored: dict[str, SystemSecret] | None = None,
    ) -> tuple[CatalogueCheck, IxhausCatalogue | None]:
        """``stored``: the system's secret rows, when the caller has read them already."""
        try:
            url = provided.get("ixhaus_database_url")
            if not url:
                url = (
                    await self.secret(system, "ixhausDatabaseUrl")
                    if stored is None
                    else self._plain(system, stored.get(SECRET_NAMES["ixhausDatabaseUrl"]))
                )
        except GatewayError as exc:
            return CatalogueCheck(status="unavailable", reason=exc.detail), None
        if not url:
            return CatalogueCheck(
                status="not_configured", reason="not set: ixhausDatabaseUrl"
            ), None
        try:
            catalogue = await load_catalogue_from(
                url,
                doc.ixhaus.schema,
                doc.ixhaus.table_prefix,
                doc.ixhaus.table_names,
                seconds=CATALOGUE_TIMEOUT_SECONDS,
            )
        except Exception as exc:
            # Saved anyway: an administrator must be able to fix a wrong URL or schema.
            reason = f"cannot read the iX-Haus catalogue: {type(exc).__name__}"
            return CatalogueCheck(status="unavailable", reason=reason), None
        return CatalogueCheck(status="validated", reason="checked against iX-Haus"), catalogue

    async def patch(
        self, system: System, patch: dict[str, Any], actor: str, found: Found = ()
    ) -> ConfigView:
        """PATCH: a JSON merge patch (RFC 7396) over the current document, read under the
        row's lock: a save that commits meanwhile is patched over, not undone."""
        row = await self._row(system, lock=True)
        current = msgspec.to_builtins(_document_of(row))
        return await self._save(system, row, apply_merge_patch(current, patch), actor, found)

    async def changes(self, system: System, limit: int) -> list[ConfigChangeView]:
        rows = await self._session.scalars(
            select(ConfigChange)
            .where(ConfigChange.system == system)
            .order_by(ConfigChange.id.desc())
            .limit(limit)
        )
        return [
            ConfigChangeView(actor=r.actor, changed_at=r.changed_at, fields=list(r.fields))
            for r in rows
        ]

    async def secret(self, system: System, api_name: str) -> str | None:
        """The plaintext of one secret, for the adapters that need it (never for the API)."""
        row = await self._session.get(SystemSecret, (system, SECRET_NAMES[api_name]))
        return self._plain(system, row)

    def _plain(self, system: System, row: SystemSecret | None) -> str | None:
        return None if row is None else self._box.decrypt(system, row.name, row.ciphertext)

    async def _row(self, system: System, *, lock: bool = False) -> SystemConfig:
        params = {"p_system": system}
        row = await self._session.scalar(_ROW_LOCKED if lock else _ROW, params)
        if row is None:
            raise NotFound(f"System {system!r} has no configuration row; run the migrations.")
        return row

    async def _secrets(self, system: System) -> dict[str, SystemSecret]:
        """The system's stored secrets by storage name (ciphertext, never decrypted here)."""
        rows = await self._session.scalars(_SECRETS, {"p_system": system})
        return {row.name: row for row in rows}


def _view(system: System, row: SystemConfig, secrets: dict[str, SystemSecret]) -> ConfigView:
    states = {
        name: SecretState(
            is_set=name in secrets,
            changed_at=secrets[name].changed_at if name in secrets else None,
        )
        for name in SECRET_NAMES.values()
    }
    return ConfigView(
        **msgspec.structs.asdict(_document_of(row)),
        system=system,
        version=row.version,
        updated_at=row.updated_at if row.version > 0 else None,
        secrets=SecretsView(**states),
    )


def _document_of(row: SystemConfig) -> ConfigDocument:
    # Stored documents hold only what was saved; new fields take their defaults.
    return msgspec.convert({**row.settings, "active": row.active}, ConfigDocument)


def _store(row: SystemConfig, document: ConfigDocument) -> None:
    data = msgspec.to_builtins(document)
    row.active = bool(data.pop("active"))
    row.settings = data


def _changed_fields(old: ConfigDocument, new: ConfigDocument) -> list[str]:
    return sorted(_diff(msgspec.to_builtins(old), msgspec.to_builtins(new), ""))


def _diff(old: Any, new: Any, prefix: str) -> set[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        changed: set[str] = set()
        for key in old.keys() | new.keys():
            changed |= _diff(old.get(key), new.get(key), f"{prefix}{key}.")
        return changed
    return set() if old == new else {prefix.rstrip(".")}


def _api_name(storage_name: str) -> str:
    head, *rest = storage_name.split("_")
    return head + "".join(part.title() for part in rest)
