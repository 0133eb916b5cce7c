"""Records in: load the YAML files safely, read them fast, write them canonically, the schema and settings, the caches."""

RECORDS = "records"  # the archive's household records, by county, under its root
SETTINGS = f"{RECORDS}/_settings"  # the archive's settings files, each checked against its own schema
