import pytest

NEW_PASSWORD = "a brand new passphrase 2026"


def signup_data(**overrides: str) -> dict[str, str]:
    """A valid sign-up POST; ``accept_notice`` is the policy app's checkbox."""
    data = {
        "full_name": "Somchai Jaidee",
        "email": "somchai@example.com",
        "phone": "081 234 5678",
        "password1": "kettle mango sunrise 42",
        "password2": "kettle mango sunrise 42",
        "accept_notice": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def signed_in(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def english(client):
    client.cookies["onespace_language"] = "en"
    return client
