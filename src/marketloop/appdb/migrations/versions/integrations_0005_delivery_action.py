"""integrations: what a notification delivery did (send, remind, resolve) and what the service
gave back for it (a Slack message ts, a PagerDuty dedup key, an email Message-ID)

Revision ID: integrations_0005
Revises: integrations_0004
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "integrations_0005"
down_revision = "integrations_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification_deliveries") as batch:
        batch.add_column(sa.Column("action", sa.String(20), nullable=False, server_default="send"))
        batch.add_column(sa.Column("detail", sa.String(300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_deliveries") as batch:
        batch.drop_column("detail")
        batch.drop_column("action")
