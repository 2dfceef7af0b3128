"""Conflicts: the base each ticket field is measured against, and a manually chosen value.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.adapters.store.base
import app.adapters.store.json_text

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_field_bases",
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("ticket_number", sa.String(length=64), nullable=False),
        sa.Column("fields", app.adapters.store.json_text.JSONText(), nullable=False),
        sa.Column("updated_at", app.adapters.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system", "ticket_number", name=op.f("pk_ticket_field_bases")),
    )
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved_value", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("conflicts", schema=None) as batch_op:
        batch_op.drop_column("resolved_value")
    op.drop_table("ticket_field_bases")
