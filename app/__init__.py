"""invoice-sandbox: a local sandbox for four real invoice APIs over one state machine.

The test harness is imported on first use, so `import invoice_sandbox` stays cheap:
`SandboxServer`, `SandboxClient`, `SandboxError`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["SandboxClient", "SandboxError", "SandboxServer", "__version__"]

if TYPE_CHECKING:
    from .testing.client import SandboxClient, SandboxError
    from .testing.server import SandboxServer

_LAZY = {"SandboxServer": ".testing.server", "SandboxClient": ".testing.client",
         "SandboxError": ".testing.client"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
