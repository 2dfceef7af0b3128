"""Run engine: one pending run per system on every backend, heartbeats, honest outcomes.

- ``sync_runs.active_system``: the system while a run is queued or running, else NULL, under a
  plain unique constraint (NULLs never collide on SQLite, PostgreSQL or Oracle; Oracle has no
  partial index and SQLite ignores row locks).
- ``sync_runs.heartbeat_at``: refreshed while a run works; a silent one is taken over.
- ``sync_runs.status`` may be ``partial``; ``skipped`` is split into ``unchanged`` and
  ``excluded`` (old runs keep their skipped count as ``unchanged``).
- ``entity_links.next_attempt_at``: when a failed record is tried again (capped backoff).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.adapters.store.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unchanged", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("excluded", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("active_system", sa.String(length=16), nullable=True))
        batch_op.add_column(
            sa.Column(
                "heartbeat_at", app.adapters.store.base.UTCDateTime(timezone=True), nullable=True
            )
        )
    # Keep the newest pending run per system; older duplicates (SQLite let them in) end.
    op.execute(
        "UPDATE sync_runs SET unchanged = skipped, excluded = 0, active_system = CASE WHEN "
        "status IN ('queued', 'running') AND id = (SELECT MAX(p.id) FROM sync_runs p WHERE "
        "p.system = sync_runs.system AND p.status IN ('queued', 'running')) "
        "THEN system ELSE NULL END"
    )
    op.execute(
        "UPDATE sync_runs SET status = 'failed', last_error = 'superseded by a newer pending run'"
        " WHERE status IN ('queued', 'running') AND active_system IS NULL"
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.alter_column("unchanged", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("excluded", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("skipped")
        batch_op.create_unique_constraint(
            batch_op.f("uq_sync_runs_active_system"), ["active_system"]
        )
        batch_op.drop_constraint(batch_op.f("ck_sync_runs_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_sync_runs_status"),
            "status IN ('queued', 'running', 'succeeded', 'partial', 'failed')",
        )
    with op.batch_alter_table("entity_links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "next_attempt_at",
                app.adapters.store.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("entity_links", schema=None) as batch_op:
        batch_op.drop_column("next_attempt_at")
    op.execute("UPDATE sync_runs SET status = 'succeeded' WHERE status = 'partial'")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skipped", sa.Integer(), nullable=True))
    op.execute("UPDATE sync_runs SET skipped = unchanged + excluded")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.alter_column("skipped", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(batch_op.f("ck_sync_runs_status"), type_="check")
        batch_op.create_check_constraint(
            batch_op.f("ck_sync_runs_status"),
            "status IN ('queued', 'running', 'succeeded', 'failed')",
        )
        batch_op.drop_constraint(batch_op.f("uq_sync_runs_active_system"), type_="unique")
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("active_system")
        batch_op.drop_column("excluded")
        batch_op.drop_column("unchanged")
