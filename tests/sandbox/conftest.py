from tests.support.casavi import (  # noqa: F401 - fixtures
    client,
    contract,
    make_client,
    raw,
    receiver,
    simulator,
)
from tests.support.docuware import (  # noqa: F401 - fixtures
    dw_contract,
    dw_page_size,
    dw_raw,
    dw_simulator,
)
