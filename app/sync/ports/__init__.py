"""The ports the sync layer talks to; adapters implement them, ``tests/fakes.py`` fakes them.

Flows (an outbound run, a trigger, a scheduled tick) are functions over these Protocols. The
records that cross them are the domain's (``app.domain``) or the small Structs in
``records``; no ORM row and no wire Struct ever does. One module per side:

- ``records``   the Structs and literal types that cross the ports
- ``external``  iX-Haus (source, writer), casavi (portal, tickets), DocuWare, document contents
- ``state``     ledger, S1 states, runs, configurations, the job queue, the support archive
- ``two_way``   note links, conflicts, portal activity (N1, N2, S2)
- ``inbox``     the inbound inbox
- ``events``    the inbound events, one tagged union (decoded once, dispatched with ``match``)
"""

from app.sync.ports.deviations import ContractDeviations, DeviationCount
from app.sync.ports.external import (
    CasaviAttachmentView,
    CasaviMessageView,
    CasaviTickets,
    CasaviTicketView,
    DmsDocument,
    DocumentContents,
    DocumentPortal,
    DocuwareSource,
    IxhausSource,
    IxhausWriter,
    Portal,
    PortalWrite,
)
from app.sync.ports.inbox import (
    OWN_WRITE_EVENT,
    Inbox,
    InboxEvent,
    InboxStatus,
    NewInboxEvent,
)
from app.sync.ports.records import (
    SYSTEMS,
    InboundSettings,
    LedgerEntry,
    LinkState,
    Outcome,
    PortalRecord,
    PortalStatus,
    Presence,
    ProtocolLine,
    ProtocolOutcome,
    ProtocolPage,
    RunClaim,
    RunCounts,
    RunStatus,
    SyncRunInfo,
    System,
    SystemSecrets,
    SystemSettings,
    TicketPortalView,
)
from app.sync.ports.state import (
    Configs,
    JobQueue,
    Ledger,
    LedgerLinks,
    PayloadArchive,
    PortalStates,
    Runs,
)
from app.sync.ports.two_way import (
    ConflictRecord,
    Conflicts,
    ConflictSide,
    NewConflict,
    NoteLink,
    NoteLinks,
    NoteOrigin,
    PortalActivity,
)

__all__ = [
    "OWN_WRITE_EVENT",
    "SYSTEMS",
    "CasaviAttachmentView",
    "CasaviMessageView",
    "CasaviTicketView",
    "CasaviTickets",
    "Configs",
    "ConflictRecord",
    "ConflictSide",
    "Conflicts",
    "ContractDeviations",
    "DeviationCount",
    "DmsDocument",
    "DocumentContents",
    "DocumentPortal",
    "DocuwareSource",
    "InboundSettings",
    "Inbox",
    "InboxEvent",
    "InboxStatus",
    "IxhausSource",
    "IxhausWriter",
    "JobQueue",
    "Ledger",
    "LedgerEntry",
    "LedgerLinks",
    "LinkState",
    "NewConflict",
    "NewInboxEvent",
    "NoteLink",
    "NoteLinks",
    "NoteOrigin",
    "Outcome",
    "PayloadArchive",
    "Portal",
    "PortalActivity",
    "PortalRecord",
    "PortalStates",
    "PortalStatus",
    "PortalWrite",
    "Presence",
    "ProtocolLine",
    "ProtocolOutcome",
    "ProtocolPage",
    "RunClaim",
    "RunCounts",
    "RunStatus",
    "Runs",
    "SyncRunInfo",
    "System",
    "SystemSecrets",
    "SystemSettings",
    "TicketPortalView",
]
