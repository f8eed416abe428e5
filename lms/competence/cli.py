"""Commands for competence tracking: role profiles and reminders."""

import click
from flask.cli import AppGroup

competence_cli = AppGroup("competence", help="Role profiles, assignments, reminders.")


@competence_cli.command("seed-profiles")
def seed_profiles() -> None:
    """Create the shipped role profile of every job role that has none."""
    from lms.competence.profiles import seed_role_profiles
    from lms.extensions import db

    created = seed_role_profiles()
    db.session.commit()
    click.echo(f"{created} role profile(s) created")


@competence_cli.command("remind")
def remind() -> None:
    """Queue the reminders and digests due now (the worker's daily job does this)."""
    from lms.competence.reminders import send_reminders

    click.echo(f"{send_reminders()} reminder(s) queued")
