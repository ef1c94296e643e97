"""The web edge: the JSON API, the Gradio chat, their configuration and rendering."""
