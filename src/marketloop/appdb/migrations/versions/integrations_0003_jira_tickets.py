"""integrations: the Jira ticket mapping (fingerprint -> issue key)

Revision ID: integrations_0003
Revises: integrations_0002
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "integrations_0003"
down_revision = "integrations_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "jira_tickets",
        sa.Column("project", sa.String(32), primary_key=True),
        sa.Column("fingerprint", sa.String(32), primary_key=True),
        sa.Column("issue_key", sa.String(64), nullable=False),
        sa.Column("check", sa.String(100), nullable=False),
        sa.Column("site", sa.String(500), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attachment_id", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("jira_tickets")
