"""Planner statistics after bulk loads. PostgreSQL plans from table statistics; right after a bulk
insert (the demo, a benchmark's thousands of rows) they still say "empty", and the planner picks
nested loops over what it believes is one row. ANALYZE refreshes them (autovacuum would, later)."""

from __future__ import annotations

from django.db import connections


def analyze(using: str = "default") -> bool:
    """Run ANALYZE on the database `using` when it is PostgreSQL; True when it ran. Outside a
    transaction it is VACUUM ANALYZE: the vacuum also marks the new rows' pages all-visible, which
    lets an index that holds every column a query reads answer it alone (an index-only scan, such as
    the queue's counts per status), as autovacuum would later."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    return True
