"""Forwarding of stored statements to external LRSs through an outbox.

Storing a statement queues it for every active endpoint in the same transaction
(``enqueue``); ``flask --app lms worker`` sends the queue (``lms.forwarding.worker``).
No network call happens while a learner waits.
"""

from lms.forwarding.outbox import active_endpoints, enqueue

__all__ = ["active_endpoints", "enqueue", "init_app"]


def init_app(app) -> None:
    """Register the admin pages and the ``flask forwarding`` commands."""
    from lms.forwarding.cli import forwarding_cli
    from lms.forwarding.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(forwarding_cli)
