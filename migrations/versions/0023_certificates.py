"""Certificates (issue 23): issued 获奖证书 / 学徒培训合格证明 with their hashed verification codes, and the prize-money
accounts (card numbers encrypted) for the finance payment file

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 03:11:32

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payee_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('bank', sa.String(length=100), nullable=False),
    sa.Column('branch', sa.String(length=100), nullable=False),
    sa.Column('number_encrypted', sa.Text(), nullable=False),
    sa.Column('number_masked', sa.String(length=40), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(person_id IS NULL) <> (organisation_id IS NULL)', name=op.f('ck_payee_accounts_one_payee')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_payee_accounts_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_payee_accounts_person_id_people'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_payee_accounts_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payee_accounts')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_payee_accounts_organisation_id')),
    sa.UniqueConstraint('person_id', name=op.f('uq_payee_accounts_person_id'))
    )
    op.create_table('issued_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('award', 'apprenticeship', name='certificatekind', native_enum=False, length=16), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('code_encrypted', sa.Text(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('award_line_id', sa.Integer(), nullable=True),
    sa.Column('enrollment_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('holder_name', sa.String(length=100), nullable=False),
    sa.Column('team_name', sa.String(length=200), nullable=False),
    sa.Column('competition_name', sa.String(length=200), nullable=False),
    sa.Column('event_name', sa.String(length=100), nullable=False),
    sa.Column('competition_level', sa.String(length=20), nullable=False),
    sa.Column('medal', sa.String(length=20), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('honour_title', sa.String(length=100), nullable=False),
    sa.Column('occupation_name', sa.String(length=100), nullable=False),
    sa.Column('skill_level', sa.String(length=20), nullable=False),
    sa.Column('enterprise_name', sa.String(length=100), nullable=False),
    sa.Column('institution_name', sa.String(length=100), nullable=False),
    sa.Column('enterprise_mentor', sa.String(length=100), nullable=False),
    sa.Column('institution_mentor', sa.String(length=100), nullable=False),
    sa.Column('period_from', sa.Date(), nullable=True),
    sa.Column('period_to', sa.Date(), nullable=True),
    sa.Column('issuer', sa.String(length=100), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('revoke_reason', sa.String(length=300), nullable=False),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(award_line_id IS NULL) <> (enrollment_id IS NULL)', name=op.f('ck_issued_certificates_one_source')),
    sa.ForeignKeyConstraint(['award_line_id'], ['award_lines.id'], name=op.f('fk_issued_certificates_award_line_id_award_lines')),
    sa.ForeignKeyConstraint(['enrollment_id'], ['enrollments.id'], name=op.f('fk_issued_certificates_enrollment_id_enrollments')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_issued_certificates_event_id_events')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_issued_certificates_issued_by_id_users')),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_issued_certificates_person_id_people')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['issued_certificates.id'], name=op.f('fk_issued_certificates_replaced_by_id_issued_certificates')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_issued_certificates_revoked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_certificates')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_issued_certificates_code_hash')),
    sa.UniqueConstraint('number', name=op.f('uq_issued_certificates_number'))
    )
    with op.batch_alter_table('issued_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issued_certificates_award_line_id'), ['award_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issued_certificates_enrollment_id'), ['enrollment_id'], unique=False)
        batch_op.create_index('ix_issued_certificates_event_id_id', ['event_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issued_certificates_person_id'), ['person_id'], unique=False)
        batch_op.create_index('uq_issued_certificates_current_enrollment', ['enrollment_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL AND enrollment_id IS NOT NULL'), postgresql_where=sa.text('revoked_at IS NULL AND enrollment_id IS NOT NULL'))
        batch_op.create_index('uq_issued_certificates_current_line', ['award_line_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL AND award_line_id IS NOT NULL'), postgresql_where=sa.text('revoked_at IS NULL AND award_line_id IS NOT NULL'))



def downgrade():
    with op.batch_alter_table('issued_certificates', schema=None) as batch_op:
        batch_op.drop_index('uq_issued_certificates_current_line', sqlite_where=sa.text('revoked_at IS NULL AND award_line_id IS NOT NULL'), postgresql_where=sa.text('revoked_at IS NULL AND award_line_id IS NOT NULL'))
        batch_op.drop_index('uq_issued_certificates_current_enrollment', sqlite_where=sa.text('revoked_at IS NULL AND enrollment_id IS NOT NULL'), postgresql_where=sa.text('revoked_at IS NULL AND enrollment_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_issued_certificates_person_id'))
        batch_op.drop_index('ix_issued_certificates_event_id_id')
        batch_op.drop_index(batch_op.f('ix_issued_certificates_enrollment_id'))
        batch_op.drop_index(batch_op.f('ix_issued_certificates_award_line_id'))

    op.drop_table('issued_certificates')
    op.drop_table('payee_accounts')
