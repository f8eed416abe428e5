"""Role checks for views; every request is checked on the server."""

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def role_required(*roles: str) -> Callable:
    """Allow the view only to signed-in users holding one of the roles."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
