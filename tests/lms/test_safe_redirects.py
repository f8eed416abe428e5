"""After signing in or choosing a language, the app redirects only within itself."""

import pytest

#: Targets that browsers follow to another site: a backslash counts as a slash,
#: and tabs and newlines are dropped from URLs.
OFF_SITE = [
    "//evil.example/x",
    "/\\evil.example/x",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "https://evil.example/",
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_redirects_off_site(client, demo, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "learner@example.org", "password": "learner-demo-2026"},
    )
    assert response.headers["Location"] == "/learn/"


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_language_switch_never_redirects_off_site(client, target):
    response = client.post("/language", data={"locale": "en", "next": target})
    assert response.headers["Location"] == "/learn/"


@pytest.mark.parametrize("target", ["/learn/catalogue?q=a+b", "/learn/%09x"])
def test_a_local_target_is_kept(client, demo, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "learner@example.org", "password": "learner-demo-2026"},
    )
    assert response.headers["Location"] == target
