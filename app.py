"""Gradio entry point (Hugging Face Spaces style): `python app.py`.

`demo` is defined at module level; nothing heavy happens on import. At launch the page is
served at once while the index is brought up to date (built if missing, stale or made with
other settings) and loaded in the background.
"""

from assistant.app.library import Library
from assistant.app.server import serve
from assistant.app.ui import build_demo
from assistant.settings import Settings

library = Library(Settings())
demo = build_demo(library)

if __name__ == "__main__":
    serve(library, demo)
