"""The longest text each stored value may hold: the models' column lengths, and so the bound
every front door checks before writing (PostgreSQL enforces VARCHAR lengths; SQLite does not)."""

SLUG = 100  # a component's (or group's) slug
COMPONENT_NAME = 200  # a component's or group's name
EVENT_NAME = 300  # an incident's or maintenance's title
BODY = 20_000  # an update's text (a Text column: the bound is ours, not the database's)
POSTMORTEM = 5 * BODY
# Who wrote something: a staff address, `token:NAME` or `content:incidents/FILE`. A staff
# address is at most this long, since it is written as the actor of what it does.
ACTOR = 200
EMAIL = 254  # the user table's column, longer than any address accepted (ACTOR)
TOKEN_NAME = 100
SOURCE = 300  # the incident file an incident was imported from
# A probe result's fields.
RESULT_ID = 64
PROBE_KEY = 200
LOCATION = 100
REASON = 300
# The short message a heartbeat's job may send with a beat.
HEARTBEAT_MESSAGE = 200
# Subscribers: a webhook or chat URL, and a short reason kept with a failure.
URL = 2000
DELIVERY_ERROR = 300
EVENT_KEY = 200
