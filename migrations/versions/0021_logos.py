"""logos

Organizations' logos: a signer may upload one with a signature. The file (a re-encoded PNG)
lives outside the web root under a random name; this table holds that name and its size, one
logo per signature. Letters get a setting that shows the approved logos on the public page,
off for every existing letter.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('logo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['signature_id'], ['signature.id'], name=op.f('fk_logo_signature_id_signature')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_logo')),
    sa.UniqueConstraint('signature_id', name=op.f('uq_logo_signature_id')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_logo_stored_name'))
    )
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('show_logo_wall', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_column('show_logo_wall')
    op.drop_table('logo')
