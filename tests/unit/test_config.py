import pytest

from app.config import DEFAULT_DATABASE_URL, SettingsError, load_settings


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
    ],
)
def test_invalid_values_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(SettingsError, match=names):
        load_settings(env)


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
