"""In-transaction events: the core announces what happened, providers react (outbox rows,
webhooks) in the same transaction, so a notification exists if and only if the change does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlmodel import Session

Handler = Callable[..., None]


class Hooks:
    def __init__(self) -> None:
        self._handlers: dict[tuple[str, str], list[Handler]] = defaultdict(list)

    def on(self, event: str, provider: str, handler: Handler) -> None:
        self._handlers[(event, provider)].append(handler)

    def emit(self, event: str, provider: str, session: Session, **payload: Any) -> None:
        for handler in self._handlers.get((event, provider), ()):
            handler(session, **payload)
