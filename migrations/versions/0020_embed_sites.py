"""embed sites

The sites an organizer allows to show a letter's sign form in a frame on their own pages, as a
list of origins ("https://partner.org"). Existing letters get an empty list: nobody may frame
them until an organizer names a site.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('embed_origins', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_column('embed_origins')
