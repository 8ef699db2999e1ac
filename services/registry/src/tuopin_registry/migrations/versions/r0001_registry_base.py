"""Registry schema base: the kernel tables; the registry's own read models follow.

Revision ID: r0001
Create Date: 2026-11-29
"""

revision = "r0001"
down_revision = None
branch_labels = ("registry",)
depends_on = "k0001"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
