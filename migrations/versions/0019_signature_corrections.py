"""signature corrections

A signer's proposed correction of their organization's name, title or place, from the "Manage your
signature" page: the values proposed, and whether a moderator accepted or declined it (or a newer
proposal replaced it). At most one is pending per signature, enforced by a partial unique index.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('signature_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('signature_id', sa.Integer(), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('country', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['decided_by_id'], ['organizer.id'], name=op.f('fk_signature_correction_decided_by_id_organizer')),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_signature_correction_letter_id_letter')),
    sa.ForeignKeyConstraint(['signature_id'], ['signature.id'], name=op.f('fk_signature_correction_signature_id_signature')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signature_correction'))
    )
    with op.batch_alter_table('signature_correction', schema=None) as batch_op:
        batch_op.create_index('ix_signature_correction_letter_status', ['letter_id', 'status'], unique=False)
        batch_op.create_index('uq_signature_correction_pending', ['signature_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))



def downgrade():
    with op.batch_alter_table('signature_correction', schema=None) as batch_op:
        batch_op.drop_index('uq_signature_correction_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_signature_correction_letter_status')

    op.drop_table('signature_correction')
