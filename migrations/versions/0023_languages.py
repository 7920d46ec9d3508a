"""languages

A letter's page speaks its own language to visitors who chose none, and a signature records the
language it was signed in, so every email to that signer speaks it. Existing letters and
signatures are in English.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-14

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=False, server_default='en'))
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=False, server_default='en'))


def downgrade():
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_column('language')
