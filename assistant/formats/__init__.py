"""What an answer or a document looks like outside: JSON payloads, citations and exports."""
