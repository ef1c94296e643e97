"""The web front: the Gradio chat and the JSON API on one server (as ``cables serve``).

    python app.py [--host 127.0.0.1] [--port 7860] [--index DIR]

On first start it builds the index of the bundled sample archive.
"""

from assistant.cli.serve import serve

if __name__ == "__main__":
    serve()
