"""Inbound (casavi -> iX-Haus): the inbox's ticket and retry columns, per-ticket leases and
the poll cursor per system.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.adapters.store.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_cursors",
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column(
            "modified_after", app.adapters.store.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("polled_at", app.adapters.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("system", name=op.f("pk_inbound_cursors")),
    )
    op.create_table(
        "inbound_leases",
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("ticket_ref", sa.String(length=128), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=True),
        sa.Column("expires_at", app.adapters.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("system", "ticket_ref", name=op.f("pk_inbound_leases")),
    )
    with op.batch_alter_table("inbox_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ticket_ref", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column(
                "next_attempt_at",
                app.adapters.store.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.create_index(
            "ix_inbox_events_ticket", ["system", "ticket_ref", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox_events", schema=None) as batch_op:
        batch_op.drop_index("ix_inbox_events_ticket")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("ticket_ref")
    op.drop_table("inbound_leases")
    op.drop_table("inbound_cursors")
