"""Command-line interface: modules, users, demo data, progress, backup, privacy."""

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from modules import PackageInvalid, check_path

modules_cli = AppGroup("modules", help="Check and publish module packages.")
users_cli = AppGroup("users", help="Manage users.")
progress_cli = AppGroup("progress", help="The progress projection.")


@modules_cli.command("check")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def modules_check(path: Path) -> None:
    """Validate a module package or a folder of packages."""
    errors = check_path(path)
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{len(errors)} error(s)", err=True)
        sys.exit(1)
    click.echo(f"{path}: OK")


@modules_cli.command("load")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
def modules_load(path: Path | None) -> None:
    """Publish every package under PATH (default: the shipped modules) as versions."""
    from lms.content import VersionClash, publish_shipped

    root = path or Path(current_app.config["LMS_MODULES_PATH"])
    try:
        published = publish_shipped(root)
    except (PackageInvalid, VersionClash) as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    for version, new in published:
        state = "published" if new else "unchanged"
        click.echo(f"{version.slug} {version.version}: {state}")


@users_cli.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
def users_import(file) -> None:
    """Import users from a CSV file; nothing is imported if any row is bad."""
    from lms.operations.users import import_rows, parse_csv

    rows, errors = parse_csv(file.read())
    for error in errors:
        click.echo(str(error), err=True)
    if errors:
        click.echo(f"{len(errors)} error(s); nothing imported", err=True)
        sys.exit(1)
    click.echo(f"{import_rows(rows)} users imported")


@users_cli.command("disable-2fa")
@click.argument("email")
def users_disable_two_factor(email: str) -> None:
    """Turn off two-step verification of a user who lost the device (audited)."""
    from lms.operations.accounts import active_user
    from lms.operations.two_factor import disable

    user = active_user(email)
    if user is None or not (user.totp_enabled or user.totp_secret):
        click.echo("no active user with two-step verification has that email", err=True)
        sys.exit(1)
    disable(user, actor=None)
    click.echo(f"two-step verification turned off for user {user.id}")


@progress_cli.command("rebuild")
@click.option("--check", is_flag=True, help="Only compare; exit 1 on a difference.")
def progress_rebuild(check: bool) -> None:
    """Rebuild progress from the stored statements."""
    from lms.operations.progress import rebuild

    found = rebuild(check=check)
    for line in found:
        click.echo(line, err=True)
    if check and found:
        click.echo(f"{len(found)} enrolment(s) differ", err=True)
        sys.exit(1)
    click.echo(
        "progress matches the statements"
        if check or not found
        else f"rebuilt {len(found)} enrolment(s)"
    )


@click.command("demo")
@click.option(
    "--scale",
    type=click.Choice(["small", "large"]),
    default="small",
    help="large: 10,000 staff, 200 units and 1,000,000 statements (slow).",
)
def demo(scale: str) -> None:
    """Create the demo organisations, users and cohort (safe to repeat)."""
    from lms.competence.demo import load_competence_demo
    from lms.demo import load_demo

    for email, password in load_demo():
        click.echo(f"{email}  {password}")
    load_competence_demo()
    if scale == "large":
        from lms.competence.large_demo import load_large_demo

        load_large_demo(echo=click.echo)


@click.command("worker")
@click.option("--once", is_flag=True, help="Run the due jobs once and exit.")
@click.option(
    "--idle", default=1.0, show_default=True, help="Seconds to sleep when idle."
)
def worker(once: bool, idle: float) -> None:
    """Run background jobs: mail, forwarding, reminders."""
    from lms.competence.reminders import ensure_scheduled
    from lms.forwarding.worker import forward_due
    from lms.jobs import run_forever, run_once, worker_name

    name = worker_name()
    if once:
        click.echo(f"{run_once(name, limit=1000)} job(s) ran")
        click.echo(f"{forward_due(name, drain=True)} statement(s) forwarded")
        return
    ensure_scheduled()  # the daily assignment sync and reminders
    from lms.privacy.operations import ensure_retention_scheduled

    ensure_retention_scheduled()  # the daily deletion of files past retention
    click.echo(f"worker {name} started")
    run_forever(name, idle_seconds=idle, also=(forward_due,))


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup(file: Path) -> None:
    """Write an online backup of the SQLite database, files and keys to FILE."""
    from lms.backup import BackupError
    from lms.backup import backup as write_backup

    try:
        summary = write_backup(current_app, file)
    except BackupError as error:
        click.echo(f"backup refused: {error}", err=True)
        sys.exit(1)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    rows = sum(summary.tables.values())
    click.echo(
        f"{file}: {len(summary.tables)} tables, {rows} rows, {summary.files} files, "
        f"migration {summary.revision}"
    )


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace an existing database and files.")
@with_appcontext
def restore(file: Path, force: bool) -> None:
    """Check a backup archive and restore it; stop the app and workers first."""
    from lms.backup import BackupError
    from lms.backup import restore as put_back
    from lms.extensions import db

    db.engine.dispose()  # this process's own connections must not count as use
    try:
        summary = put_back(current_app, file, force=force)
    except BackupError as error:
        click.echo(f"restore refused: {error}", err=True)
        sys.exit(1)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)
    rows = sum(summary.tables.values())
    click.echo(
        f"restored {len(summary.tables)} tables, {rows} rows, {summary.files} files "
        f"at migration {summary.revision}; run 'flask --app lms db upgrade' if this "
        "version is newer"
    )


def init_app(app: Flask) -> None:
    """Register the commands."""
    from lms.privacy.cli import privacy_cli

    for command in (
        modules_cli,
        users_cli,
        progress_cli,
        demo,
        worker,
        backup,
        restore,
        privacy_cli,
    ):
        app.cli.add_command(command)
