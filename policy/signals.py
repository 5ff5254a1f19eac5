"""Signals the policy app sends."""

from django.dispatch import Signal

# Sent by the daily maintenance task (policy.tasks.run_daily_maintenance) after the
# retention purge. Receivers return a dict of counts for the run's report; auditlog
# verifies its chains against the anchors and writes today's anchor.
daily_maintenance = Signal()
