"""casavi answers outside the contract, counted per system, operation, field and problem
(issue 18: the console overview and ``gateway_casavi_contract_deviations_total``). No values
are stored, only where an answer deviated and how.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.adapters.store.base

revision: str = "0011"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "casavi_contract_deviations",
        sa.Column("system", sa.String(length=16), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("problem", sa.String(length=200), nullable=False),
        sa.Column("times", sa.Integer(), nullable=False),
        sa.Column(
            "first_seen_at", app.adapters.store.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "last_seen_at", app.adapters.store.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint(
            "system",
            "operation",
            "field",
            "problem",
            name=op.f("pk_casavi_contract_deviations"),
        ),
    )


def downgrade() -> None:
    op.drop_table("casavi_contract_deviations")
