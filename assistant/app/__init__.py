"""App: the library service for admins, rendering and the Gradio UI."""
