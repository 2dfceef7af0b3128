"""Field digests in the ledger: which fields of a record were sent, as short digests.

``entity_links.field_digests`` holds, for a record in state ``sent``, a JSON object of
field name -> 8-hex CRC-32 of the field's canonical JSON. It carries no personal data (only
digests) and lets a dry run name the fields an update would change. Rows sent before this
revision have NULL: a dry run then says the changed fields are unknown.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 18:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("entity_links", schema=None) as batch_op:
        batch_op.add_column(sa.Column("field_digests", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("entity_links", schema=None) as batch_op:
        batch_op.drop_column("field_digests")
