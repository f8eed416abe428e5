"""The ``flask lrs`` commands: LRS client credentials."""

import sys

import click
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
