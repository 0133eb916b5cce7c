"""Validate: schema, field and rule checks per record, then across records; the status rules; the reporters."""
