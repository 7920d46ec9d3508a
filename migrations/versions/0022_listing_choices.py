"""listing choices

A signer chooses how they are listed: the organization by name (the default), counted but not
named, or the organization without the signer's name and title. Every existing signature keeps
being listed by name. A document made in the background records whether the organizer asked
for the lines of signers who asked not to be named (for the recipient's copy only).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-09

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.add_column(sa.Column('listing', sa.String(length=16), nullable=False, server_default='named'))
    with op.batch_alter_table('document_job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('with_unnamed', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('document_job', schema=None) as batch_op:
        batch_op.drop_column('with_unnamed')
    with op.batch_alter_table('signature', schema=None) as batch_op:
        batch_op.drop_column('listing')
