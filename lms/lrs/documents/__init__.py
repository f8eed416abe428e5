"""The document resources (Communication 2.2-2.7) and the Agents and Activities ones.

``resources`` serves State, Activity Profile and Agent Profile; ``definitions``
serves the Person and Activity objects; ``params`` reads their parameters. The
domain rules (preconditions, JSON merge, canonical definitions) live in
``xapi.documents``.
"""

from lms.lrs.documents import definitions, resources  # noqa: F401  (routes)
