"""near misses an admin rejected: that request/item pair is never proposed again

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rejected_candidates",
        sa.Column("request_id", sa.Integer, sa.ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("library_item_id", sa.Integer, sa.ForeignKey("library_items.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("rejected_by", sa.String(255)),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rejected_candidates")
