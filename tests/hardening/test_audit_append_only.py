"""Audit entries cannot be changed or deleted: not one by one, not in bulk, not by raw SQL (PostgreSQL)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from portal.models import AuditEntry
from tests.conftest import needs_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(world):
    return [AuditEntry.objects.create(action="test.record", object_type="portal.user", object_id=str(world.operator.pk),
                                      comment=f"entry {i}") for i in range(3)]


def _unchanged(entries):
    rows = list(AuditEntry.objects.filter(pk__in=[e.pk for e in entries]).order_by("pk").values_list("comment", flat=True))
    assert rows == [f"entry {i}" for i in range(3)]


def test_single_rows_refuse(entries):
    entries[0].comment = "changed"
    with pytest.raises(ValidationError):
        entries[0].save()
    with pytest.raises(ValidationError):
        entries[1].delete()
    _unchanged(entries)


@pytest.mark.parametrize("how", ["update", "delete", "manager update", "bulk_update", "update_or_create"])
def test_the_orm_bulk_paths_refuse(entries, how):
    with pytest.raises(ValidationError):
        if how == "update":
            AuditEntry.objects.filter(action="test.record").update(comment="changed")
        elif how == "delete":
            AuditEntry.objects.filter(action="test.record").delete()
        elif how == "manager update":
            AuditEntry.objects.update(comment="changed")
        elif how == "bulk_update":
            for e in entries:
                e.comment = "changed"
            AuditEntry.objects.bulk_update(entries, ["comment"])
        else:
            AuditEntry.objects.update_or_create(pk=entries[0].pk, defaults={"comment": "changed"})
    _unchanged(entries)


@pytest.mark.postgres
@needs_postgres
@pytest.mark.parametrize("sql", [
    "UPDATE portal_auditentry SET comment = 'changed' WHERE action = 'test.record'",
    "DELETE FROM portal_auditentry WHERE action = 'test.record'",
    "UPDATE portal_auditentry SET actor_id = NULL",
])
def test_raw_sql_is_refused_by_the_database(entries, sql):
    assert connection.vendor == "postgresql"
    with pytest.raises(DatabaseError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert "append-only" in str(refused.value)
    _unchanged(entries)


@pytest.mark.postgres
@needs_postgres
def test_inserting_still_works_on_postgres(entries):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO portal_auditentry (at, actor_role, actor_organization, action, object_type, "
                       "object_id, object_repr, from_state, to_state, comment, data) VALUES (now(), '', '', "
                       "'test.raw', 'portal.user', '1', '', '', '', '', '{}')")
    assert AuditEntry.objects.filter(action="test.raw").count() == 1


def test_an_account_named_by_the_audit_trail_cannot_be_deleted_in_the_admin(client, world):
    AuditEntry.objects.create(action="test.record", object_type="portal.user", object_id="1", actor=world.county_reviewer)
    client.force_login(world.operator)
    assert client.get(f"/admin/portal/user/{world.county_reviewer.pk}/delete/").status_code == 403
    assert client.get(f"/admin/portal/user/{world.expert.pk}/delete/").status_code == 200
