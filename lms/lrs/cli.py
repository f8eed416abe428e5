"""The ``flask lrs`` commands: LRS client credentials, the statement writer."""

import signal
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from lms.models import DEFAULT_LRS_SCOPES, LRS_SCOPES

lrs_cli = AppGroup("lrs", help="The Learning Record Store.")


@lrs_cli.command("create-client")
@click.argument("name")
@click.option("--key", help="The HTTP Basic user name (default: generated).")
@click.option("--secret", help="The HTTP Basic password (default: generated).")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(LRS_SCOPES),
    help="An xAPI scope; repeat for several (default: statements/write and "
    "statements/read/mine).",
)
def create_client(name: str, key: str | None, secret: str | None, scopes) -> None:
    """Create an LRS client and print its key and secret (shown only once)."""
    from lms.operations.lrs_clients import ClientError
    from lms.operations.lrs_clients import create_client as create

    try:
        client, secret = create(
            name, key=key, secret=secret, scopes=scopes or DEFAULT_LRS_SCOPES
        )
    except ClientError as error:
        click.echo(f"{error.field}: {error.message}", err=True)
        sys.exit(1)
    click.echo(f"key:    {client.key}")
    click.echo(f"secret: {secret}")
    click.echo(f"scopes: {' '.join(client.scopes)}")


@lrs_cli.command("writer")
@click.option(
    "--socket",
    "path",
    help="The Unix socket to listen on (default: the first of LRS_WRITER_SOCKETS, "
    "else lrs-writer.sock in the instance folder).",
)
def writer(path: str | None) -> None:
    """Store the statement POSTs of the web processes (see lms.lrs.writer)."""
    from lms.lrs.writer import Writer

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    sockets = app.config.get("LRS_WRITER_SOCKETS") or []
    default = Path(app.instance_path) / "lrs-writer.sock"
    path = path or (sockets[0] if sockets else str(default))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    server = Writer(app, path)
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: server.stop())
    click.echo(f"LRS writer on {path}")
    server.serve()
