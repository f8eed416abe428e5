"""Which answers in a statement erasure keeps: structured responses, not free text."""

import pytest

from lms.privacy.statements import drop_free_text, keeps_response

UUID = "7c1e0c52-4a4e-4b43-9d52-0c2b9c7f2a10"
KEY = f"account|http://lms.test|{UUID}"
ME = {"objectType": "Agent", "account": {"homePage": "http://lms.test", "name": UUID}}
OTHER = {"account": {"homePage": "http://lms.test", "name": "someone-else"}}
FREE_TEXT = "Jeg hedder Lærke og bor på Strandvejen 4"


def activity(kind: str | None = None, **components) -> dict:
    definition = {"interactionType": kind, **components} if kind else {}
    return {"id": "http://example.org/q", "definition": definition}


def ids(*names: str) -> list[dict]:
    return [{"id": name, "description": {"en": name}} for name in names]


CHOICES = {"choices": ids("a", "b", "c")}
MATCHING = {"source": ids("s1", "s2"), "target": ids("t1", "t2")}


@pytest.mark.parametrize(
    ("obj", "response"),
    [
        (activity("true-false"), "true"),
        (activity("choice", **CHOICES), "b"),
        (activity("choice", **CHOICES), "a[,]c"),
        (activity("sequencing", **CHOICES), "c[,]a[,]b"),
        (activity("likert", scale=ids("agree", "disagree")), "agree"),
        (activity("matching", **MATCHING), "s1[.]t2[,]s2[.]t1"),
        (activity("numeric"), "4.5"),
        (activity("numeric"), "-1e3"),
        (activity("numeric"), "2[:]"),
        (activity("numeric"), "1[:]3"),
        (activity("fill-in"), ""),  # empty: nothing written
    ],
)
def test_structured_responses_are_kept(obj, response):
    """Brief: keep result.response only where the interactionType is structured."""
    assert keeps_response(obj, response)


@pytest.mark.parametrize(
    ("obj", "response"),
    [
        (activity("fill-in"), FREE_TEXT),
        (activity("long-fill-in"), FREE_TEXT),
        (activity("other"), FREE_TEXT),
        (activity("performance", steps=ids("s1")), f"s1[.]{FREE_TEXT}"),
        (activity("performance", steps=ids("s1")), "s1[.]4"),
        (activity("invented-type"), "a"),
        (activity(), "a"),  # a definition without interactionType
        ({"id": "http://example.org/q"}, "a"),  # no definition
        ({"objectType": "StatementRef", "id": "x"}, "a"),
        ({"objectType": "Agent", **OTHER}, "a"),
        # Structured types, but the response is not made of what they declare.
        (activity("true-false"), FREE_TEXT),
        (activity("choice", **CHOICES), FREE_TEXT),
        (activity("choice", **CHOICES), "a[,]Lærke"),
        (activity("choice"), "a"),  # no choices declared
        (activity("likert", scale=ids("agree")), "agree[,]agree"),
        (activity("matching", **MATCHING), "s1[.]t1[.]x"),
        (activity("matching", **MATCHING), "s1[.]Lærke"),
        (activity("numeric"), "fire og en halv"),
        (activity("numeric"), "[:]"),
        (activity("numeric"), "1[:]2[:]3"),
    ],
)
def test_responses_that_may_be_free_text_go(obj, response):
    """Brief: fill-in, long-fill-in, other, performance and unknown definitions lose
    the response."""
    assert not keeps_response(obj, response)


def test_only_the_persons_own_answers_are_touched():
    """Brief: the actor, or a SubStatement object's actor, is the erased person."""
    statement = {
        "actor": OTHER,
        "object": {
            "objectType": "SubStatement",
            "actor": ME,
            "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
            "object": activity("fill-in"),
            "result": {"response": FREE_TEXT},
        },
        "result": {"response": "the other person's words"},
    }
    assert drop_free_text(statement, KEY)
    assert "response" not in statement["object"]["result"]
    assert statement["result"] == {"response": "the other person's words"}
    assert not drop_free_text(statement, KEY)  # nothing left to remove


def test_a_group_with_the_person_counts_as_their_actor():
    """Text written as a group may hold the member's own."""
    group = {"objectType": "Group", "member": [OTHER, ME]}
    statement = {
        "actor": group,
        "object": activity("long-fill-in"),
        "result": {"response": FREE_TEXT, "success": True},
    }
    assert drop_free_text(statement, KEY)
    assert statement["result"] == {"success": True}


def test_extensions_stay():
    """Profile-defined extension values are left alone (see lms.privacy.statements)."""
    extensions = {"http://example.org/ext/note": "a string value"}
    statement = {
        "actor": ME,
        "object": activity("fill-in"),
        "result": {"response": FREE_TEXT, "extensions": dict(extensions)},
        "context": {"extensions": dict(extensions)},
    }
    drop_free_text(statement, KEY)
    assert statement["result"] == {"extensions": extensions}
    assert statement["context"] == {"extensions": extensions}
