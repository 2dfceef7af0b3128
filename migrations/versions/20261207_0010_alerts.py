"""Alerts: incidents (one open per system, event and subject: ``open_key`` is unique while
open, NULL once resolved) and the outbox of their notifications (e-mail, webhook).

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.adapters.store.base
import app.adapters.store.json_text

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_incidents",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("open_key", sa.String(length=200), nullable=True),
        sa.Column("facts", app.adapters.store.json_text.JSONText(), nullable=False),
        sa.Column("opened_at", app.adapters.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "last_seen_at", app.adapters.store.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("resolved_at", app.adapters.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_incidents")),
        sa.UniqueConstraint("open_key", name=op.f("uq_alert_incidents_open_key")),
    )
    with op.batch_alter_table("alert_incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_incidents_system_opened", ["system", "opened_at"], unique=False
        )

    op.create_table(
        "alert_notifications",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", app.adapters.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", app.adapters.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", app.adapters.store.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "claimed_until", app.adapters.store.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["alert_incidents.id"],
            name=op.f("fk_alert_notifications_incident_id_alert_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_notifications")),
    )
    with op.batch_alter_table("alert_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_notifications_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(
            "ix_alert_notifications_sent", ["system", "channel", "sent_at"], unique=False
        )
        batch_op.create_index(
            "ix_alert_notifications_status", ["status", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_notifications_status")
        batch_op.drop_index("ix_alert_notifications_sent")
        batch_op.drop_index(batch_op.f("ix_alert_notifications_incident_id"))

    op.drop_table("alert_notifications")
    with op.batch_alter_table("alert_incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_incidents_system_opened")

    op.drop_table("alert_incidents")
