"""ARGS to argv, knowing no particular program: schemas read from each program's own option
definitions, translation, command-line overrides and redaction of secrets."""
