"""Key rotation: re-encrypt every stored personal value under the newest PERSONAL_DATA_KEYS key.

Every column whose name ends in ``_encrypted`` holds a Fernet token (ID numbers, phones, and whatever column an
area adds under that name); each is found from the models, so a new one is rotated without a change here. Rows are
read in primary-key order, a batch at a time, and each batch is committed with one audit row, so the run can be
stopped at any point and started again: a value already under the newest key is left alone. An update only lands
if the value is still the one that was read, so a record edited meanwhile keeps its edit (it was encrypted
under the newest key anyway). The encrypted preview files of pending imports (instance/imports/) are rotated too.

The hash key (PERSONAL_DATA_HASH_KEY) is not rotated: the stored hashes are how people are found and kept unique.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from cryptography.fernet import InvalidToken
from flask import current_app

from app.core.crypto import cipher
from app.core.models import AuditEntry
from app.extensions import Base, db

SUFFIX = "_encrypted"


@dataclass
class RotationReport:
    #: (table, column) -> [values re-encrypted, values already under the newest key]
    columns: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    files_rotated: int = 0
    batches: int = 0
    #: True when the run stopped at max_batches before it had seen every value.
    unfinished: bool = False

    @property
    def rotated(self) -> int:
        return sum(done for done, _current in self.columns.values()) + self.files_rotated


def encrypted_columns() -> list[tuple[sa.Table, sa.Column, sa.Column]]:
    """(table, primary-key column, encrypted column) for every mapped column named ``*_encrypted``."""
    found: dict[tuple[str, str], tuple[sa.Table, sa.Column, sa.Column]] = {}
    for mapper in Base.registry.mappers:  # db.Model's registry
        table = mapper.local_table
        if not isinstance(table, sa.Table):
            continue
        for column in table.columns:
            if column.name.endswith(SUFFIX):
                keys = list(table.primary_key.columns)
                if len(keys) != 1:
                    raise RuntimeError(f"{table.name}.{column.name}: rotation needs a one-column primary key")
                found[(table.name, column.name)] = (table, keys[0], column)
    return [found[k] for k in sorted(found)]


def rotate_all(batch_size: int = 500, max_batches: int | None = None,
               progress: Callable[[str], None] = lambda _line: None) -> RotationReport:
    report = RotationReport()
    fingerprint = cipher().newest_key_fingerprint
    for table, key, column in encrypted_columns():
        counts = report.columns.setdefault((table.name, column.name), [0, 0])
        for first, last, rotated, current in _batches(table, key, column, batch_size):
            counts[0] += rotated
            counts[1] += current
            if rotated:
                db.session.add(AuditEntry(actor_id=None, action="rotate_key", entity_type=table.name,
                                          entity_id=f"{first}-{last}"[:40],
                                          summary=f"{column.name}: {rotated} re-encrypted under key {fingerprint}",
                                          after={"column": column.name, "rotated": rotated, "key": fingerprint}))
            db.session.commit()
            report.batches += 1
            progress(f"{table.name}.{column.name} ids {first}–{last}: {rotated} re-encrypted, {current} current")
            if max_batches is not None and report.batches >= max_batches:
                report.unfinished = True
                return report
    report.files_rotated = _rotate_import_previews()
    if report.files_rotated:
        progress(f"{report.files_rotated} pending import previews re-encrypted")
    return report


def _batches(table: sa.Table, key: sa.Column, column: sa.Column, size: int
             ) -> Iterator[tuple[object, object, int, int]]:
    """Rotate one column a batch at a time; yield (first id, last id, re-encrypted, already current)."""
    box = cipher()
    # Columns refreshed on every update (updated_at) keep their value: a rotation changes no one's data.
    untouched = {c.name: c for c in table.columns if c.onupdate is not None}
    after = None
    while True:
        stmt = sa.select(key, column).where(column.is_not(None)).order_by(key).limit(size)
        if after is not None:
            stmt = stmt.where(key > after)
        rows = db.session.execute(stmt).all()
        if not rows:
            return
        rotated = current = 0
        for row_id, token in rows:
            if box.is_current(token):
                current += 1
                continue
            result = db.session.execute(
                sa.update(table).where(key == row_id, column == token).values({column.name: box.rotate(token),
                                                                             **untouched}))
            rotated += cast("sa.CursorResult[Any]", result).rowcount  # an UPDATE's result
        after = rows[-1][0]
        yield rows[0][0], after, rotated, current


def _rotate_import_previews() -> int:
    folder = Path(current_app.instance_path) / "imports"
    if not folder.is_dir():
        return 0
    box, done = cipher(), 0
    for path in sorted(folder.glob("*.enc")):
        try:
            token = path.read_bytes()
            if box.is_current(token):
                continue
            fresh = box.rotate_bytes(token)
        except (OSError, InvalidToken):
            continue  # swept meanwhile, or unreadable with any key: the import will ask for the file again
        partial = path.with_name(path.name + ".rotating")
        partial.write_bytes(fresh)
        partial.chmod(0o600)
        partial.replace(path)
        done += 1
    return done
