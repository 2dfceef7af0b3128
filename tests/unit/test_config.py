from pathlib import Path

import pytest

from app.environment import DEFAULT_DATABASE_URL, SettingsError, load_settings


def test_defaults_are_the_embedded_setup() -> None:
    settings = load_settings({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.redis_url is None
    assert settings.embedded


def test_plain_schemes_get_async_drivers() -> None:
    settings = load_settings(
        {"DATABASE_URL": "postgresql://u@127.0.0.1/db", "REDIS_URL": "redis://127.0.0.1:6379/0"}
    )
    assert settings.database_url == "postgresql+asyncpg://u@127.0.0.1/db"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert not settings.embedded


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://127.0.0.1"}, "REDIS_URL"),
        ({"LOG_LEVEL": "chatty"}, "LOG_LEVEL"),
        ({"READY_TIMEOUT_SECONDS": "soon"}, "READY_TIMEOUT_SECONDS"),
        ({"READY_TIMEOUT_SECONDS": "-1"}, "READY_TIMEOUT_SECONDS"),
        ({"DATABASE_CONNECT_TIMEOUT_SECONDS": "0"}, "DATABASE_CONNECT_TIMEOUT_SECONDS"),
        ({"DATABASE_COMMAND_TIMEOUT_SECONDS": "x"}, "DATABASE_COMMAND_TIMEOUT_SECONDS"),
    ],
)
def test_invalid_values_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        load_settings(env)


def test_database_timeouts_are_read_from_the_environment() -> None:
    # issue 10 item 6
    settings = load_settings(
        {"DATABASE_CONNECT_TIMEOUT_SECONDS": "1.5", "DATABASE_COMMAND_TIMEOUT_SECONDS": "7"}
    )
    assert settings.database_connect_timeout_seconds == 1.5
    assert settings.database_command_timeout_seconds == 7
    defaults = load_settings({})
    assert defaults.database_connect_timeout_seconds == 5
    assert defaults.database_command_timeout_seconds == 30


def test_pool_wait_is_bounded_by_the_connect_timeout() -> None:
    # issue 10 item 6: SQLAlchemy's pool waits 30 s for a free connection by default.
    from app.adapters.store.database import create_engine

    engine = create_engine("postgresql+asyncpg://u@127.0.0.1/db", connect_timeout=1.5)
    assert engine.pool.timeout() == 1.5  # type: ignore[attr-defined]


async def test_sqlite_busy_timeout_follows_the_connect_timeout(tmp_path: Path) -> None:
    from sqlalchemy import text

    from app.adapters.store.database import create_engine

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'state.db'}", connect_timeout=2.5)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 2500
    finally:
        await engine.dispose()


def test_repr_hides_the_secret_key_and_passwords() -> None:
    key = "A" * 43
    settings = load_settings(
        {
            "DATABASE_URL": "postgresql://gw:hunter2@127.0.0.1/db",
            "REDIS_URL": "redis://:redispw@127.0.0.1:6379/0",
            "GATEWAY_SECRET_KEY": key,
        }
    )
    text = repr(settings)
    assert key not in text
    assert "hunter2" not in text
    assert "redispw" not in text
    assert "gw:***@127.0.0.1" in text


@pytest.mark.parametrize("value", ["short", "A" * 43 + ",nope", "!!!!"])
def test_malformed_secret_key_is_refused_without_echoing_it(value: str) -> None:
    with pytest.raises(SettingsError, match="GATEWAY_SECRET_KEY") as info:
        load_settings({"GATEWAY_SECRET_KEY": value})
    assert value not in str(info.value)
