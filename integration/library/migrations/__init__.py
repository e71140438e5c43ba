"""The library database's Alembic migrations, run by :class:`integration.library.store.LibraryStore`
whenever it opens a database (upgrade to head, on the store's own connection; there is no alembic.ini).

A schema change is a new file in ``versions/``: ``revision`` (the next number), ``down_revision`` (the
last one), ``upgrade()`` and ``downgrade()`` with ``alembic.op`` calls (on SQLite they run in batch
mode, so column changes that SQLite's ALTER TABLE cannot do still work), and the same change made to
:mod:`integration.library.models`; tests/integration/test_library_migrations.py checks that the two
agree.
"""
