"""Command-line interface: modules, users, demo data and progress."""

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

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
    click.echo(f"worker {name} started")
    run_forever(name, idle_seconds=idle, also=(forward_due,))


def init_app(app: Flask) -> None:
    """Register the commands."""
    for command in (modules_cli, users_cli, progress_cli, demo, worker):
        app.cli.add_command(command)
