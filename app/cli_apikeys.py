"""``portal-gateway apikey create|list|revoke``."""

from __future__ import annotations

import argparse

from app.adapters.store.api_keys import ApiKeyRepository
from app.adapters.store.database import create_engine, create_session_factory
from app.environment import Settings


async def run_apikey_command(args: argparse.Namespace, settings: Settings) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            repo = ApiKeyRepository(session)
            if args.apikey_command == "create":
                row, key = await repo.create(args.name, args.scope)
                await session.commit()
                print(f"created API key {row.name!r} (scope {row.scope}, prefix {row.prefix})")
                print("store it now; it is shown only this once:")
                print(key)
            elif args.apikey_command == "list":
                for row in await repo.list():
                    state = (
                        f"revoked {row.revoked_at:%Y-%m-%d %H:%M}Z" if row.revoked_at else "active"
                    )
                    print(f"{row.name}\t{row.scope}\t{row.prefix}\t{state}")
            else:
                row = await repo.revoke(args.name)
                await session.commit()
                print(f"revoked API key {row.name!r}")
    finally:
        await engine.dispose()
    return 0
