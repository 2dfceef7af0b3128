from tests.support.http_example import clock, make_engine, server  # noqa: F401 - fixtures
