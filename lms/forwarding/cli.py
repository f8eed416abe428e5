"""The ``flask forwarding`` commands: send earlier statements to an endpoint."""

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

forwarding_cli = AppGroup("forwarding", help="Forwarding to external LRSs.")


@forwarding_cli.command("backfill")
@click.argument("endpoint_id", type=int)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Only statements stored on or after this day (UTC), YYYY-MM-DD.",
)
def backfill(endpoint_id: int, since: datetime | None) -> None:
    """Queue the stored statements the endpoint has not got yet."""
    from lms.extensions import db
    from lms.forwarding.operations import backfill as queue_earlier
    from lms.models import ForwardingEndpoint

    endpoint = db.session.get(ForwardingEndpoint, endpoint_id)
    if endpoint is None:
        raise click.BadParameter(
            f"no forwarding endpoint has id {endpoint_id}",
            param_hint="ENDPOINT_ID",
        )
    since = since.replace(tzinfo=UTC) if since else None
    queued = queue_earlier(endpoint, since, None)
    click.echo(f"{queued} statements queued for endpoint {endpoint_id}")
    if not endpoint.active:
        click.echo("the endpoint is inactive: they are sent once it is reactivated")
