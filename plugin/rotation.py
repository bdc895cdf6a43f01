"""``plexbooks secrets rotate``: every stored secret re-encrypted with the newest key.

Put the new key first in ``PLEXBOOKS_SECRET_KEY`` (``new,old``), run the rotation, then drop
the old key. Plain values stored before encryption existed are encrypted on the way.
"""
from __future__ import annotations

from sqlalchemy import select

from plugin import settings
from plugin.models import StoredSetting, User
from plugin.runtime import Runtime


def rotate_secrets(runtime: Runtime) -> dict[str, int]:
    """Re-encrypt in one transaction; a value no key can decrypt stops it (SecretKeyError) unchanged."""
    counts = {"settings": 0, "user_tokens": 0}
    with runtime.session() as s:
        for row in s.scalars(select(StoredSetting)):
            setting = settings.BY_NAME.get(row.key)
            if setting is not None and setting.secret and row.value:
                row.value = runtime.vault.rotate(row.value)
                counts["settings"] += 1
        for user in s.scalars(select(User)):
            for column in ("plextv_token", "server_token"):
                value = getattr(user, column)
                if value:
                    setattr(user, column, runtime.vault.rotate(value))
                    counts["user_tokens"] += 1
    return counts
