"""The write API, `/api/v1`: incidents, maintenance, component status, agents' results and
heartbeats.

`routes` makes the blueprint, declares the views and wires the rest to it: `errors` (the one
error shape), `auth` (bearer tokens and scopes), `bodies` (what each route accepts, as JSON
Schema), `results` (what probe agents send), `heartbeats` (the beats of Capgo's jobs) and
`openapi` (the document built from the routes' declarations).
"""

# Every route lives under it; the answers for unknown routes and the document name it too.
PREFIX = "/api/v1"
