"""Cited answers about leg and thigh cramps from a curated article library.

``from assistant import Assistant`` is the public entry point; it is imported lazily so
that the command line's ``--help`` and ``status`` never load torch or FAISS.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# Never reach a model hub: the weights are local. Set here, on the package's import, because
# huggingface_hub reads these once when it is first imported (gradio imports it early).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

__version__ = "0.1.0"
__all__ = ["Assistant", "Settings", "__version__"]

if TYPE_CHECKING:
    from .core import Assistant
    from .settings import Settings


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from .core import Assistant

        return Assistant
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(name)
