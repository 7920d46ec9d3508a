"""letter translations

Organizers translate a letter's title, text and thank-you message into the site's other
languages. A translation belongs to the version of the text it was made from, one per letter,
language and version: a new version leaves the earlier translation readable, marked as of an
earlier version, until it is brought up to date. The version's content hash is kept too, since a
version nobody signed yet is edited in place.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-16

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('letter_translation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('letter_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('source_hash', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('thank_you_markdown', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], name=op.f('fk_letter_translation_letter_id_letter')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['organizer.id'], name=op.f('fk_letter_translation_updated_by_id_organizer')),
    sa.ForeignKeyConstraint(['version_id'], ['letter_version.id'], name=op.f('fk_letter_translation_version_id_letter_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_letter_translation')),
    sa.UniqueConstraint('letter_id', 'language', 'version_id', name=op.f('uq_letter_translation_letter_id_language_version_id'))
    )
    with op.batch_alter_table('letter_translation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_translation_letter_id'), ['letter_id'], unique=False)


def downgrade():
    with op.batch_alter_table('letter_translation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_translation_letter_id'))
    op.drop_table('letter_translation')
