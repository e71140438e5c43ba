"""The audio library: a database of analysed files under configured roots (scans and searches).

Modules: models (the table), store (the database, its path rules and migrations), scan (files analysed
on a runner, sequential or Dask), search (queries), service (what the engine holds). Nothing is imported
here: importing the package must not load SQLAlchemy, Alembic or Dask (see service.Library).
"""
