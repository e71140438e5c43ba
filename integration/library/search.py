"""Library queries: filters and "closest first" ordering, done in SQL (a 100,000-row library answers
in milliseconds: the filters use the key/tempo indexes, the ordering only touches matching rows).

Closeness orders by key first (the key asked for, then its relative, then its neighbours on the
circle of fifths), then by tempo distance to the target (with half/double time, the nearest of
tempo, 2x and 0.5x), then by path.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, select

from ai.music_keys import camelot, compatible_keys, normalise_key, relative, spellings
from integration.library.models import LibraryFile
from integration.library.store import LibraryStore

NO_TEMPO_DISTANCE = 1e9  # rows without a tempo sort after every row with one
FIT_TEMPO_WINDOW = 0.08
"""Fits a project or a clip: tempos within 8 % of its tempo (or of half/double it) match, closest first."""


@dataclass(frozen=True)
class LibraryQuery:
    key: str | None = None
    compatible: bool = True
    tempo: float | None = None  # the target tempo rows are ordered by
    tempo_min: float | None = None
    tempo_max: float | None = None
    half_double: bool = True
    loudness_min: float | None = None
    loudness_max: float | None = None
    duration_min: float | None = None
    duration_max: float | None = None
    meter: str | None = None
    q: str | None = None
    include_errors: bool = False
    page: int = 1
    page_size: int = 50


def fitting(query: LibraryQuery, *, key: str | None, tempo: float | None, meter: str | None) -> LibraryQuery:
    """``query`` aimed at what fits a project or a clip: its key (with compatible keys, unless the
    query says exact), tempos within FIT_TEMPO_WINDOW of its tempo and its meter, each only where
    the query does not give its own."""
    key = query.key or key
    tempo = query.tempo or tempo
    tempo_min, tempo_max = query.tempo_min, query.tempo_max
    if tempo is not None and tempo_min is None and tempo_max is None:
        tempo_min, tempo_max = tempo * (1 - FIT_TEMPO_WINDOW), tempo * (1 + FIT_TEMPO_WINDOW)
    meter = query.meter or meter
    return replace(query, key=key, tempo=tempo, tempo_min=tempo_min, tempo_max=tempo_max, meter=meter)


def _smaller(a: ColumnElement[Any], b: ColumnElement[Any]) -> ColumnElement[Any]:
    return case((a <= b, a), else_=b)  # portable min() of two (SQLite and PostgreSQL spell it differently)


def _tempo_variants(half_double: bool) -> list[tuple[float, Any]]:
    tempo = LibraryFile.tempo
    if not half_double:
        return [(1.0, tempo)]
    return [(1.0, tempo), (2.0, tempo * 2.0), (0.5, tempo / 2.0)]


def search(store: LibraryStore, query: LibraryQuery) -> dict[str, Any]:
    """One page of matching rows, closest first, with ``total`` and, on each row, why it matched:
    ``key_match`` (exact, relative, neighbour) and ``tempo_factor`` (1, 2 or 0.5)."""
    conditions: list[ColumnElement[bool]] = []
    if not query.include_errors:
        conditions.append(LibraryFile.status == "ok")

    order: list[ColumnElement[Any]] = []  # only real terms: a literal would keep SQLite off the path index
    target_key = normalise_key(query.key) if query.key else None
    if target_key is not None:
        # Every spelling: rows scanned before keys were spelt by their signature say "C# major", not "Db major".
        if query.compatible:
            keys = [name for key in compatible_keys(target_key) for name in spellings(key)]
            conditions.append(LibraryFile.key.in_(keys))
            order.append(
                case(
                    (LibraryFile.key.in_(spellings(target_key)), 0),
                    (LibraryFile.key.in_(spellings(relative(target_key))), 1),
                    else_=2,
                )
            )
        else:
            conditions.append(LibraryFile.key.in_(spellings(target_key)))

    variants = _tempo_variants(query.half_double)
    if query.tempo_min is not None or query.tempo_max is not None:
        low = query.tempo_min if query.tempo_min is not None else 0.0
        high = query.tempo_max if query.tempo_max is not None else 1e6
        # tempo * f in [low, high] as tempo in [low / f, high / f]: ranges on the column use its index.
        conditions.append(or_(*(LibraryFile.tempo.between(low / f, high / f) for f, _ in variants)))
    target_tempo = query.tempo
    if target_tempo is None and query.tempo_min is not None and query.tempo_max is not None:
        target_tempo = (query.tempo_min + query.tempo_max) / 2.0

    for column, low_value, high_value in (
        (LibraryFile.loudness_lufs, query.loudness_min, query.loudness_max),
        (LibraryFile.duration, query.duration_min, query.duration_max),
    ):
        if low_value is not None:
            conditions.append(column >= low_value)
        if high_value is not None:
            conditions.append(column <= high_value)
    if query.meter:
        conditions.append(LibraryFile.meter == query.meter.replace(" ", ""))
    if query.q:
        # SQLite's LIKE ignores ASCII case by itself (lower() on 100,000 paths costs a third of the query);
        # elsewhere ILIKE (PostgreSQL; lower() LIKE lower() where a database has no ILIKE).
        if store.engine.dialect.name == "sqlite":
            conditions.append(LibraryFile.path.contains(query.q, autoescape=True))
        else:
            conditions.append(LibraryFile.path.icontains(query.q, autoescape=True))

    if target_tempo is not None:
        distances = [func.abs(expr - target_tempo) for _, expr in variants]
        nearest: ColumnElement[Any] = distances[0]
        for other in distances[1:]:
            nearest = _smaller(nearest, other)
        order.append(func.coalesce(nearest, NO_TEMPO_DISTANCE))
    order.append(LibraryFile.path.expression)

    where = and_(*conditions) if conditions else literal(True)
    offset = (query.page - 1) * query.page_size
    with store.session() as session:
        # Two queries, each able to use an index (a window count would sort every match before LIMIT).
        total = session.scalar(select(func.count()).select_from(LibraryFile).where(where)) or 0
        rows = session.scalars(
            select(LibraryFile).where(where).order_by(*order).offset(offset).limit(query.page_size)
        ).all()
        items = [_explain(row.to_answer(), target_key, target_tempo, query.half_double) for row in rows]
    return {
        "total": total,
        "page": query.page,
        "page_size": query.page_size,
        "pages": (total + query.page_size - 1) // query.page_size,
        "key": target_key,
        "camelot": camelot(target_key) if target_key else None,
        "compatible_keys": compatible_keys(target_key) if target_key and query.compatible else None,
        "tempo": target_tempo,
        "items": items,
    }


def _explain(row: dict[str, Any], key: str | None, tempo: float | None, half_double: bool) -> dict[str, Any]:
    """The row with why it is where it is: how its key relates, which tempo factor is nearest."""
    if key is not None and row.get("key"):
        row["key_match"] = "exact" if row["key"] == key else "relative" if row["key"] == relative(key) else "neighbour"
    if tempo is not None and row.get("tempo"):
        factors = (1.0, 2.0, 0.5) if half_double else (1.0,)
        row["tempo_factor"] = min(factors, key=lambda f: abs(row["tempo"] * f - tempo))
    return row


__all__ = ["FIT_TEMPO_WINDOW", "LibraryQuery", "fitting", "search"]
