"""Runs count the records they left waiting.

``sync_runs.waiting``: records a run did not try - a failed record whose retry is not due
yet, or one that names a record whose state in casavi is unsettled (its creation failed or
is under way). They write no protocol line; the other counts equal the protocol's lines by
outcome.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_column("waiting")
