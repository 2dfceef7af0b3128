"""Both systems exist from the start (rule C1), switched off with an empty (default) document.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_systems = sa.table(
    "system_configs",
    sa.column("system", sa.String),
    sa.column("active", sa.Boolean),
    sa.column("settings", sa.Text),
    sa.column("version", sa.Integer),
    sa.column("updated_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    # A fixed timestamp keeps the statement renderable offline (--sql) on every dialect.
    created = sa.literal_column("CURRENT_TIMESTAMP")
    for system in ("production", "test"):
        op.execute(
            _systems.insert().values(
                system=system, active=False, settings="{}", version=0, updated_at=created
            )
        )


def downgrade() -> None:
    op.execute(_systems.delete().where(_systems.c.system.in_(["production", "test"])))
