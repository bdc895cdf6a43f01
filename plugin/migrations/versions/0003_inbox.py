"""durable inbox of real-time events

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inbox_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("section_key", sa.String(64)),
        sa.Column("item_type", sa.String(16), nullable=False),
        sa.Column("rating_key", sa.String(64), nullable=False),
        sa.Column("parent_rating_key", sa.String(64)),
        sa.Column("dedupe_key", sa.String(96), nullable=False),
        sa.Column("title", sa.String(512)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("coalesced", sa.Integer, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("last_received_at", TZ, nullable=False),
        sa.Column("next_attempt_at", TZ, nullable=False),
        sa.Column("processed_at", TZ),
        sa.Column("last_error", sa.Text),
        sa.Column("outcome", sa.JSON),
    )
    op.create_index("ix_inbox_status_due", "inbox_events", ["status", "next_attempt_at"])
    op.create_index("ux_inbox_pending_dedupe", "inbox_events", ["dedupe_key"], unique=True,
                    sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_table("inbox_events")
