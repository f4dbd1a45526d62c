"""Index: corpus in, a self-describing index on disk out, loaded as `LoadedIndex`."""
