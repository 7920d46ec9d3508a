"""organizer language

An organizer chooses the language of their workspace and of the emails the site sends them.
Existing accounts have none ("", the site's default language).

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-18

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('organizer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('organizer', schema=None) as batch_op:
        batch_op.drop_column('language')
