"""Which units a manager sees: the units they lead and every unit below them."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from lms.extensions import db
from lms.models import ManagedUnit, Organisation, Unit, User


@dataclass
class UnitNode:
    """A unit in the tree, with its children in name order."""

    id: int
    name: str
    code: str
    parent_id: int | None
    organisation: str
    children: list["UnitNode"] = field(default_factory=list)


def unit_tree() -> dict[int, UnitNode]:
    """Return every unit by id, linked to its children."""
    rows = db.session.execute(
        db.select(Unit.id, Unit.name, Unit.code, Unit.parent_id, Organisation.name)
        .join(Organisation)
        .order_by(Unit.name)
    )
    nodes = {row[0]: UnitNode(*row) for row in rows}
    for node in nodes.values():
        if node.parent_id in nodes:
            nodes[node.parent_id].children.append(node)
    return nodes


def subtree_ids(nodes: dict[int, UnitNode], unit_id: int) -> list[int]:
    """Return the unit and every unit below it, parents before children."""
    found, stack = [], [nodes[unit_id]] if unit_id in nodes else []
    while stack:
        node = stack.pop()
        found.append(node.id)
        stack.extend(reversed(node.children))
    return found


def path_of(nodes: dict[int, UnitNode], unit_id: int) -> list[UnitNode]:
    """Return the unit's ancestors and the unit, top first."""
    path, node = [], nodes.get(unit_id)
    while node is not None:
        path.append(node)
        node = nodes.get(node.parent_id) if node.parent_id else None
    return list(reversed(path))


@dataclass(frozen=True)
class Scope:
    """The units one person may see on the manager pages."""

    nodes: dict[int, UnitNode]
    #: The top units of the person's view (the units they lead, or the roots).
    roots: tuple[int, ...]
    visible: frozenset[int]

    def allows(self, unit_id: int | None) -> bool:
        """Return whether the unit lies inside the person's units."""
        return unit_id is not None and unit_id in self.visible

    def below(self, unit_id: int) -> list[int]:
        """Return the unit and its subtree, which the person may see whole."""
        return subtree_ids(self.nodes, unit_id)


def scope_of(user: User) -> Scope:
    """Return the units a manager leads with everything below; admins see all."""
    nodes = unit_tree()
    if user.has_role("admin"):
        roots = tuple(n.id for n in nodes.values() if n.parent_id is None)
    elif user.has_role("manager"):
        led = db.session.execute(
            db.select(ManagedUnit.unit_id).filter_by(user_id=user.id)
        ).scalars()
        roots = _outermost(nodes, led)
    else:
        roots = ()
    visible = frozenset(uid for root in roots for uid in subtree_ids(nodes, root))
    return Scope(nodes, roots, visible)


def _outermost(nodes: dict[int, UnitNode], unit_ids: Iterable[int]) -> tuple[int, ...]:
    """Drop led units that lie below another led unit."""
    led = set(unit_ids) & set(nodes)
    return tuple(
        sorted(
            uid for uid in led if not any(a.id in led for a in path_of(nodes, uid)[:-1])
        )
    )
