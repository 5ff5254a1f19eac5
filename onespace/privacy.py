"""Personal data in stores the project configures as a whole (not one app's own).

Imported by ``policy.registry.autodiscover`` after every app's ``privacy.py``; the
coverage test (tests/policy/test_registry.py) walks every installed app's models, so a
table that Django or a third-party app adds is declared here or in the app that
configures it.
"""

from datetime import timedelta

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.utils.translation import gettext_lazy as _
from django_tasks_db.models import DBTaskResult

from policy import registry as privacy


@privacy.register
class TaskRowData(privacy.Category):
    """Rows of the database task queue: which job ran, with which record ids."""

    key = "onespace-task-queue"
    name = _("Background job records")
    model = DBTaskResult
    # Arguments are record ids, never addresses or names (the callers pass ids and the
    # task reads the rest when it runs); a failure's traceback may quote a value.
    fields = ("args_kwargs", "return_value", "traceback")
    purpose = _("Send emails and prepare documents in the background (policy 1.1-1.4)")
    legal_basis = privacy.Basis.CONTRACT
    retention = timedelta(days=30)
    retention_reason = _(
        "Finished jobs are kept 30 days to investigate failures, then deleted."
    )
    retention_from = "finished_at"
    erasure = privacy.Erasure.RETAIN
    # Rows name a record by id only: nothing to export or erase person by person; they
    # go with the retention purge.
    per_person = False


privacy.not_personal(
    DBTaskResult,
    "task_path",
    "exception_class_path",
    "worker_ids",
    "queue_name",
    "backend_name",
    reason=_("Names of program functions, queues and worker processes."),
)
privacy.not_personal(
    Permission, "name", reason=_("What a permission allows, e.g. 'Can view ticket'.")
)
privacy.not_personal(Group, "name", reason=_("The name of a staff role."))
privacy.no_personal_data(
    Permission, reason=_("The names of what staff roles may do in the administration.")
)
privacy.no_personal_data(Group, reason=_("The staff roles (Support, Finance, …)."))
privacy.no_personal_data(
    ContentType, reason=_("The names of the database tables, for permissions.")
)
