"""Append-only records and the refusal the database gives when code tries to change one."""

from typing import Any, ClassVar

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.utils.translation import gettext_lazy as _

from policy.pseudonyms import current_key_id


class ImmutableRecord(Exception):
    """Raised when code tries to change or delete what the law wants kept as it is."""


# SQLSTATE object_not_in_prerequisite_state: policy_pseudonymise() found no due closure.
CLOSURE_NOT_DUE = "55000"


class ClosureNotDue(ImmutableRecord):
    """The database refused to detach records: the account's closure is not due by its clock."""


class AppendOnlyQuerySet(models.QuerySet):
    """Rows are added, never changed or deleted; erasure replaces the person by a pseudonym."""

    def update(self, **kwargs: Any) -> int:
        raise ImmutableRecord(f"{self.model.__name__} records are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableRecord(f"{self.model.__name__} records are append-only.")

    def pseudonymise(self, customer_id: int) -> int:
        """Detach ``customer_id``'s rows from the person: drop the link, the address and the browser.

        The pseudonym (a keyed hash of the email address, stored when the row was made)
        stays, so the company can still answer "did this address accept?". On PostgreSQL
        the owner's ``policy_pseudonymise()`` does it, and only once the account's closure
        is due by the database's own clock (PDPA s.33 erasure, never earlier): the runtime
        role cannot change these rows itself (migration 0005).
        """
        if connection.vendor != "postgresql":
            rows = self.filter(customer_id=customer_id)
            return super(AppendOnlyQuerySet, rows).update(
                customer=None, ip_address=None, user_agent=""
            )
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "SELECT policy_pseudonymise(%s, %s)",
                    [self.model._meta.db_table, customer_id],
                )
                return int(cursor.fetchone()[0])
        except DatabaseError as error:
            if getattr(error.__cause__, "pgcode", None) == CLOSURE_NOT_DUE:
                raise ClosureNotDue(str(error).splitlines()[0]) from error
            raise


class AppendOnlyRecord(models.Model):
    """Shared shape of acceptance and consent records."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("customer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    pseudonym = models.CharField(
        _("pseudonym"),
        max_length=64,
        db_index=True,
        help_text=_(
            "Keyed hash of the email address, kept after the account is erased."
        ),
    )
    # Which PSEUDONYM_KEY made the pseudonym ("" for rows older than key ids: made
    # with the key derived from SECRET_KEY). Look-ups try every configured key.
    pseudonym_key_id = models.CharField(
        _("pseudonym key id"),
        max_length=12,
        blank=True,
        default=current_key_id,
        editable=False,
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=512, blank=True)

    # What the runtime role may do with the table (onespace.db_roles). UPDATE only for
    # Django's SET_NULL when an account row is deleted, which runs even when no row
    # matches; the trigger refuses any real change outside policy_pseudonymise().
    runtime_privileges: ClassVar[tuple[str, ...]] = ("SELECT", "INSERT", "UPDATE")

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ImmutableRecord(f"{type(self).__name__} records are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecord(f"{type(self).__name__} records are append-only.")
