"""Ingest: files and URLs in, clean `Article`s (and an import report) out."""
