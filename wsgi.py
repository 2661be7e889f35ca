"""The production entry point: `gunicorn wsgi:app`."""

import sys

from statuspage import create_app
from statuspage.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    # A clear line in the server log beats a traceback.
    print(f"statuspage: {error}", file=sys.stderr)
    sys.exit(2)
