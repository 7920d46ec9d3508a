"""translated categories

A letter's translation names its signatory categories in its language too, in the order the
letter listed them when translated. Existing translations translate none ([]): readers see the
original names.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-19

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter_translation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('categories', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('letter_translation', schema=None) as batch_op:
        batch_op.drop_column('categories')
