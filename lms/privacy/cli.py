"""Privacy commands: delete practice-task files past the retention period."""

import click
from flask.cli import AppGroup

privacy_cli = AppGroup("privacy", help="Personal data: retention of files.")


@privacy_cli.command("purge-files")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted.")
def purge_files(dry_run: bool) -> None:
    """Delete files of enrolments finished longer ago than the retention period."""
    from lms.privacy.operations import purge_files as purge
    from lms.privacy.operations import retention_days

    days = retention_days()
    if days <= 0:
        click.echo("LMS_SUBMISSION_FILE_RETENTION_DAYS is 0: files are kept for ever")
        return
    ids = purge(dry_run=dry_run)
    if dry_run:
        click.echo(f"{len(ids)} file(s) older than {days} days would be deleted")
        for file_id in ids:
            click.echo(f"  submission file {file_id}")
    else:
        click.echo(f"{len(ids)} file(s) deleted after {days} days")
