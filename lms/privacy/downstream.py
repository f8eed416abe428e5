"""What an admin must do at external LRSs after an erasure.

xAPI has no erasure API: statements forwarded to another LRS stay there until its
operator deletes them. This lists, per configured forwarding endpoint, the actor
account to delete there. With no endpoint configured there is nothing to tell.
"""

from dataclasses import dataclass

from lms.extensions import db
from lms.models import ForwardingEndpoint, User
from lms.statements import base_url


@dataclass(frozen=True)
class DownstreamNotice:
    """One external LRS and the actor account its operator must delete."""

    #: What the admins call the endpoint.
    endpoint_name: str
    #: The endpoint's statements URL, so the admin knows where to act.
    endpoint_url: str
    #: The actor account of the erased person, exactly as forwarded.
    home_page: str
    account_name: str


def actor_account(user: User) -> tuple[str, str]:
    """Return the (homePage, name) of the person's pseudonymous xAPI account."""
    return base_url(), user.uuid


def _endpoints() -> list[ForwardingEndpoint]:
    query = db.select(ForwardingEndpoint).order_by(ForwardingEndpoint.name)
    return list(db.session.execute(query).scalars())


def downstream_notice(user: User) -> list[DownstreamNotice]:
    """Return, per forwarding endpoint, the account to delete at that LRS."""
    home_page, name = actor_account(user)
    return [
        DownstreamNotice(
            endpoint_name=endpoint.name,
            endpoint_url=endpoint.url,
            home_page=home_page,
            account_name=name,
        )
        for endpoint in _endpoints()
    ]
