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


# --- billing ---


class BillingProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "billing.BillingProfile"

    customer = factory.SubFactory(CustomerFactory)
    legal_name = "บริษัท ตัวอย่าง จำกัด"
    address_line = "99/1 ถนนพหลโยธิน"
    subdistrict = "สามเสนใน"
    district = "พญาไท"
    province = "กรุงเทพมหานคร"
    postcode = "10400"
    tax_id = "0107536000315"
    branch = "00000"
    email = factory.LazyAttribute(lambda profile: profile.customer.email)
    phone = "021234567"
    is_default = True


# --- policy ---------------------------------------------------------------------------


class NoticeVersionFactory(factory.django.DjangoModelFactory):
    """A notice version; a draft unless published_at and effective_at are given."""

    class Meta:
        model = "policy.NoticeVersion"

    label = factory.Sequence(lambda n: f"t{n}")
    text_th = factory.Sequence(
        lambda n: f"นโยบายส่วนบุคคล ฉบับทดสอบ {n}\nบริษัทฯ จะเก็บข้อมูล ชื่อ อีเมล"
    )
    text_en = factory.Sequence(
        lambda n: f"Privacy policy, test version {n}\nWe collect name and email."
    )
    summary_th = "เพิ่มข้อ 1.5 เรื่องคุกกี้"
    summary_en = "Adds clause 1.5 about cookies."


def version_one():
    """Version 1 as the data migration loads it (transactional tests flush it away)."""
    import importlib

    from policy.models import NoticeVersion

    version = NoticeVersion.objects.filter(label="1").first()
    if version is None:
        migration = importlib.import_module(
            "policy.migrations.0002_version_one_and_guards"
        )
        from django.apps import apps

        migration.load_version_one(apps, None)
        version = NoticeVersion.objects.get(label="1")
    return version
