"""Pseudonym key ids: which PSEUDONYM_KEY made each pseudonym.

Rows written before have "" (they were made with the key derived from SECRET_KEY);
new rows get the current key's id. Adding a column fires no row trigger, so the
append-only guards of migration 0005 are not in the way.
"""

from django.db import migrations, models

import policy.pseudonyms


def _key_id_field(default):
    return models.CharField(
        blank=True,
        default=default,
        editable=False,
        max_length=12,
        verbose_name="pseudonym key id",
    )


class Migration(migrations.Migration):
    dependencies = [("policy", "0005_database_guards")]

    operations = [
        operation
        for model in ("acceptance", "consentrecord", "erasurerecord")
        for operation in (
            migrations.AddField(model, "pseudonym_key_id", _key_id_field("")),
            migrations.AlterField(
                model,
                "pseudonym_key_id",
                _key_id_field(policy.pseudonyms.current_key_id),
            ),
        )
    ]
