"""forwarded hops

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('forwarded_hops',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('hops', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('requests', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'hops', name=op.f('pk_forwarded_hops'))
    )


def downgrade():
    op.drop_table('forwarded_hops')
