"""The stored configuration document drives the transfer rules (rules C3–C15)."""

from __future__ import annotations

import msgspec

from app.configuration.document import ConfigDocument
from app.configuration.rules import to_sync_config


def test_document_maps_onto_the_rules_configuration() -> None:
    doc = msgspec.convert(
        {
            "objects": {
                "range": [{"from": "1000", "to": "1999"}, {"from": "3000", "to": "3000"}],
                "fullHistoryRange": [{"from": "2000", "to": "2099"}],
            },
            "personTypes": ["MIETER"],
            "documentTypes": {"withTimeFilter": ["NK"], "withoutTimeFilter": ["MV"]},
            "userTeams": ["NORD"],
            "licences": {"komfortpaket": True, "owners": True},
            "docuware": {"filters": ["DWDOCTYPE = 'Brief'"]},
            "portalAccountLeadDays": 21,
            "deleteAfterMoveOutDays": 60,
            "ticketUserNumber": "042",
            "support": {"noDocuwareSync": True, "keepTransferPayloads": True},
        },
        ConfigDocument,
    )
    config = to_sync_config(doc)
    # rule C3 and rule C4: enabled objects are both ranges; C4 adds the full history
    assert config.object_enabled("1500")
    assert config.object_enabled("3000")
    assert not config.object_enabled("2999")
    assert config.full_history("2050")
    assert not config.full_history("1500")
    assert config.person_types == ("MIETER",)  # rule C5
    assert config.document_types_time_filtered == ("NK",)  # rule C6
    assert config.document_types_unfiltered == ("MV",)  # rule C7
    assert config.teams_filtered()  # rule C8
    assert config.docuware_filters == ("DWDOCTYPE = 'Brief'",)  # rule C9
    assert config.portal_lead_days == 21  # rule C10
    assert config.ticket_user_no == "042"  # rule C11
    assert config.no_docuware_sync  # rule C13
    assert config.keep_payloads  # rule C13
    assert config.deletion_days == 60  # rule C15


def test_defaults_agree_on_both_sides() -> None:
    config = to_sync_config(ConfigDocument())
    assert config.portal_lead_days == 14
    assert config.deletion_days == 90
    assert not config.object_enabled("1")
