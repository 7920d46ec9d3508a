"""document jobs

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=True),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.Column('grouped', sa.Boolean(), nullable=False),
    sa.Column('with_place', sa.Boolean(), nullable=False),
    sa.Column('spec', sa.String(length=60), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('mimetype', sa.String(length=100), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=100), nullable=False),
    sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_document_job_letter_id_letter')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['organizer.id'], name=op.f('fk_document_job_requested_by_id_organizer')),
    sa.ForeignKeyConstraint(['snapshot_id'], ['list_snapshot.id'], name=op.f('fk_document_job_snapshot_id_list_snapshot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_job'))
    )
    with op.batch_alter_table('document_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_job_letter_id'), ['letter_id'], unique=False)
        batch_op.create_index('ix_document_job_state', ['state', 'created_at'], unique=False)
        batch_op.create_index('uq_document_job_active', ['letter_id', 'spec'], unique=True, sqlite_where=sa.text("state IN ('queued', 'running')"), postgresql_where=sa.text("state IN ('queued', 'running')"))



def downgrade():
    with op.batch_alter_table('document_job', schema=None) as batch_op:
        batch_op.drop_index('uq_document_job_active', sqlite_where=sa.text("state IN ('queued', 'running')"), postgresql_where=sa.text("state IN ('queued', 'running')"))
        batch_op.drop_index('ix_document_job_state')
        batch_op.drop_index(batch_op.f('ix_document_job_letter_id'))

    op.drop_table('document_job')
