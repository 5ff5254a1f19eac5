"""factory_boy factories shared by every app's tests."""

import factory
from django.utils import timezone

from accounts.models import User

TEST_PASSWORD = "correct horse battery staple"


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("email",)

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    full_name = factory.Faker("name")
    phone = factory.Sequence(lambda n: f"+6681{n:07d}")
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.django.Password(TEST_PASSWORD)


class StaffFactory(CustomerFactory):
    is_staff = True
    phone = ""
