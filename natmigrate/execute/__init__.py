"""Running a migration plan: ordered, idempotent steps over a small gateway, with a run directory."""
