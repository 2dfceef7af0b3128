from tests.support.casavi import (  # noqa: F401 - fixtures
    client,
    contract,
    make_client,
    raw,
    receiver,
    simulator,
)
