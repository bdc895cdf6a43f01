"""audiobook requests

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user", sa.String(128)),
        sa.Column("title", sa.String(512), nullable=False),
        sa.Column("author", sa.String(512)),
        sa.Column("narrator", sa.String(512)),
        sa.Column("asin", sa.String(10), index=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("error_message", sa.Text),
        sa.Column("search_attempts", sa.Integer, nullable=False),
        sa.Column("download_attempts", sa.Integer, nullable=False),
        sa.Column("import_attempts", sa.Integer, nullable=False),
        sa.Column("library_item_id", sa.Integer, sa.ForeignKey("library_items.id", ondelete="SET NULL"),
                  index=True),
        sa.Column("match_reason", sa.String(32)),
        sa.Column("match_score", sa.Float),
        sa.Column("match_details", sa.JSON),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("completed_at", TZ),
    )
    op.create_index("ix_requests_status", "requests", ["status"])
    op.create_index("ix_requests_user", "requests", ["user"])


def downgrade() -> None:
    op.drop_table("requests")
