"""Running the site: the mail worker and the settings check (their messages are for logs and
for whoever deploys, in English)."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from signon import checks, create_app, mailworker, serving
from signon.extensions import db


@click.command("send-mail")
@click.option("--once", is_flag=True, help="Deliver everything due now, then exit.")
@click.option("--interval", default=10.0, show_default=True, help="Seconds between polls.")
@with_appcontext
def send_mail(once: bool, interval: float) -> None:
    """Deliver the outbox. Run it as a service beside the web server: it waits out database and
    mail server outages, and SIGTERM stops it after the message being sent."""
    worker = mailworker.Worker(interval=interval, echo=click.echo)
    if not once:
        worker.run()
        return
    totals = worker.drain()
    click.echo(str(totals))
    if totals.retrying or totals.dead:
        sys.exit(1)


@click.command("check")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="gunicorn workers to check for (default: as gunicorn.conf.py starts them).",
)
def check(workers: int | None) -> None:
    """Check the settings and this machine for problems, each with its fix; exit 1 on a fatal one."""
    site = checks.Site(app=create_app(strict=False), workers=workers or serving.worker_count())
    click.echo(f"Checking for {site.workers} gunicorn worker{'s' if site.workers != 1 else ''}.")
    try:
        problems = checks.run(site)
    finally:
        with site.app.app_context():
            db.engine.dispose()
    for problem in problems:
        click.echo(f"\n{problem.level}: {problem.message}\n  fix: {problem.fix}")
    fatal = sum(problem.level == checks.Level.FATAL for problem in problems)
    warnings = len(problems) - fatal
    if not problems:
        click.echo("No problems found.")
    else:
        click.echo(
            f"\n{fatal} fatal problem{'s' if fatal != 1 else ''}, "
            f"{warnings} warning{'s' if warnings != 1 else ''}."
        )
    if fatal:
        sys.exit(1)
