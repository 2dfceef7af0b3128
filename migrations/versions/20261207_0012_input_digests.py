"""Input digests in the ledger: what decided a record's recorded outcome, as a digest.

``entity_links.input_digest`` holds a 32-hex digest of everything the record's rule read
when its outcome (sent, excluded, deleted) was recorded: the rules' code, the system's
settings, the source rows, and the date facts and identity-map facts the rule depends on
(``app.sync.outbound.digests``). A run skips the rules of a row whose digest is as
recorded. Rows written before this revision have NULL: their first run decides them as
before and records the digest (no protocol line).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("entity_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("input_digest", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("entity_links", schema=None) as batch_op:
        batch_op.drop_column("input_digest")
