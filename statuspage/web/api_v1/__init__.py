"""The write API, `/api/v1`: incidents, maintenance, component status and agents' results."""
