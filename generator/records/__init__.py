"""Records in: load the YAML files safely, read them fast, write them canonically, the schema and settings, the caches."""
