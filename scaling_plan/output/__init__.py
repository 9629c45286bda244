"""The ways out: results -> records -> one writer per format (json, jsonl, csv, markdown, rich tables), the JSON
Schemas, the law file fit writes, and the plot. Imports the domain; never the inputs or the command line."""
