"""notification targets and the durable outbox

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notification_targets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.Text),
        sa.Column("events", sa.JSON, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("user", sa.String(128)),
        sa.Column("title_template", sa.String(512)),
        sa.Column("body_template", sa.Text),
        sa.Column("consecutive_failures", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", TZ),
        sa.Column("paused_at", TZ),
        sa.Column("last_error", sa.Text),
        sa.Column("last_success_at", TZ),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_index("ix_notification_targets_user", "notification_targets", ["user"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("target_id", sa.Integer, sa.ForeignKey("notification_targets.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("webhook_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("last_attempt_at", TZ),
        sa.Column("delivered_at", TZ),
        sa.Column("last_status_code", sa.Integer),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_outbox_target_id", "outbox", ["target_id"])
    op.create_index("ix_outbox_status_target", "outbox", ["status", "target_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_status_target", "outbox")
    op.drop_index("ix_outbox_target_id", "outbox")
    op.drop_table("outbox")
    op.drop_index("ix_notification_targets_user", "notification_targets")
    op.drop_table("notification_targets")
