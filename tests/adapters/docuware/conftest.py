from tests.support.docuware import (  # noqa: F401 - fixtures
    dw_client,
    dw_contract,
    dw_page_size,
    dw_raw,
    dw_simulator,
    make_dw_client,
)
