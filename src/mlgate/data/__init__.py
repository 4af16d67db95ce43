"""The data stage: readers, profiles, schema, validation and drift."""
