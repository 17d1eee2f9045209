"""PostgreSQL's planner settings of the portal: the connections' random_page_cost, and what
`portal.dbstats.analyze` does after a bulk load (VACUUM ANALYZE outside a transaction, so that
index-only scans need no heap fetch; ANALYZE alone inside one)."""

import pytest
from django.db import connection, transaction

from portal.dbstats import analyze
from portal.models import Region
from tests.conftest import needs_postgres


def _pages(table: str) -> tuple[int, int]:
    """(pages, pages marked all-visible) of `table`, as the planner knows them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT relpages, relallvisible FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()


@needs_postgres
@pytest.mark.django_db
def test_the_connections_cost_a_random_page_as_on_ssd():
    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert float(cursor.fetchone()[0]) == pytest.approx(1.1)


@needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_bulk_load_is_vacuumed_so_that_its_pages_are_all_visible():
    Region.objects.bulk_create([Region(code=f"99{i:04d}", name=f"测试区{i}", level="county") for i in range(2000)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE portal_region")  # statistics alone mark no page all-visible
    pages, visible = _pages("portal_region")
    assert pages > 1 and visible < pages  # the new pages are not marked yet
    assert analyze() is True
    pages, visible = _pages("portal_region")
    assert pages > 1 and visible == pages


@needs_postgres
@pytest.mark.django_db
def test_inside_a_transaction_it_analyzes_without_vacuuming():
    with transaction.atomic():
        assert analyze() is True  # VACUUM would raise: it cannot run inside a transaction block
