"""Gradio entry point (Hugging Face Spaces style): `python app.py`.

`demo` is defined at module level; nothing heavy happens on import. The model and the
index load when the app launches (a missing index is built first).
"""

from assistant.library import Library
from assistant.settings import Settings
from assistant.ui import build_demo, serve

library = Library(Settings())
demo = build_demo(library)

if __name__ == "__main__":
    serve(library, demo)
