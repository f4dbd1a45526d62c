"""Gradio entry point (Hugging Face Spaces style): `python app.py`.

`demo` is defined at module level; nothing heavy happens on import. At launch the index is
brought up to date (built if missing, stale or made with other settings) and loaded.
"""

from assistant.library import Library
from assistant.settings import Settings
from assistant.ui import build_demo, serve

library = Library(Settings())
demo = build_demo(library)

if __name__ == "__main__":
    serve(library, demo)
