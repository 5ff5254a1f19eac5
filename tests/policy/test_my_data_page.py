"""The "my data" page opens for a customer whatever the registry's models are called."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_my_data_page_counts_every_category(client, alice):
    # TOTPDevice has a field named "key", and some categories hold nothing per person:
    # neither may turn the page into a 500.
    client.force_login(alice)
    response = client.get(reverse("policy:my-data"))
    assert response.status_code == 200
    holdings = response.context["rows"]
    assert {h["category"].key for h in holdings} >= {"accounts-totp-device"}
    assert all(isinstance(h["count"], int) for h in holdings)
