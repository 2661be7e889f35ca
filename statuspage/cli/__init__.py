"""The `statuspage` command line: a Flask CLI group with the site's own commands.

Each command family is a module of plain click commands and groups; this module only builds
the group and adds them, so no module imports this one back.
"""

from __future__ import annotations

from flask.cli import FlaskGroup

from statuspage.cli.backup import export_command, import_command
from statuspage.cli.common import create_cli_app
from statuspage.cli.config import config_group
from statuspage.cli.content import content_group
from statuspage.cli.notify import deliver_command, subscribers_group
from statuspage.cli.publish import publish_command
from statuspage.cli.serve import probe_command, run_command
from statuspage.cli.statuspage_import import import_statuspage_command
from statuspage.cli.tokens import token_group
from statuspage.cli.users import user_group

cli = FlaskGroup(
    name="statuspage",
    create_app=create_cli_app,
    help="Run and manage the status site. Settings come from STATUSPAGE_* variables.",
)
# Flask's own `run` is replaced by the site's, which runs the probes beside the server.
for command in (
    run_command,
    probe_command,
    config_group,
    content_group,
    export_command,
    import_command,
    token_group,
    user_group,
    import_statuspage_command,
    deliver_command,
    subscribers_group,
    publish_command,
):
    cli.add_command(command)
