"""Break-glass access (issue 17): declarations, their uses at ingest, and reviews.

After the node-access migration (0008_node_access, merged from main).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('auditlog', '0009_verbose_names'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='BreakGlassAccess',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('node_id', models.CharField(max_length=64, verbose_name='node')),
                ('reason_kind', models.CharField(choices=[('incident', 'Security incident affecting the platform'), ('order', 'Order of a court or authority')], max_length=10, verbose_name='reason')),
                ('reason', models.CharField(max_length=1000, verbose_name='reason in words')),
                ('starts_at', models.DateTimeField(verbose_name='starts at')),
                ('ends_at', models.DateTimeField(verbose_name='ends at')),
                ('declared_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='declared at')),
                ('officers_notified_at', models.DateTimeField(blank=True, null=True, verbose_name='Privacy officers told at')),
                ('customer_notified_at', models.DateTimeField(blank=True, null=True, verbose_name='customer told at')),
                ('customer', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='customer')),
                ('disclosure', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='break_glass_accesses', to='auditlog.disclosure', verbose_name='order in the disclosure register')),
                ('staff', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='staff member')),
            ],
            options={
                'verbose_name': 'break-glass access',
                'verbose_name_plural': 'break-glass accesses',
                'ordering': ['-declared_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='BreakGlassReview',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('outcome', models.CharField(choices=[('accepted', 'Accepted'), ('escalated', 'Escalated')], max_length=10, verbose_name='outcome')),
                ('note', models.CharField(max_length=2000, verbose_name='note')),
                ('reviewed_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='reviewed at')),
                ('access', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='auditlog.breakglassaccess', verbose_name='break-glass access')),
                ('reviewer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='reviewer')),
            ],
            options={
                'verbose_name': 'break-glass review',
                'verbose_name_plural': 'break-glass reviews',
                'ordering': ['-reviewed_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='BreakGlassUse',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('event_id', models.UUIDField(unique=True, verbose_name='event id')),
                ('occurred_at', models.DateTimeField(verbose_name='time')),
                ('action', models.CharField(max_length=30, verbose_name='action')),
                ('access', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='uses', to='auditlog.breakglassaccess', verbose_name='break-glass access')),
            ],
            options={
                'verbose_name': 'break-glass use',
                'verbose_name_plural': 'break-glass uses',
                'ordering': ['-occurred_at', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='breakglassaccess',
            index=models.Index(fields=['node_id', 'staff', 'ends_at'], name='auditlog_bg_node'),
        ),
        migrations.AddIndex(
            model_name='breakglassaccess',
            index=models.Index(fields=['customer', '-declared_at'], name='auditlog_bg_customer'),
        ),
        migrations.AddConstraint(
            model_name='breakglassaccess',
            constraint=models.CheckConstraint(condition=models.Q(('ends_at__gt', models.F('starts_at'))), name='auditlog_bg_ends_after_start'),
        ),
        migrations.AddConstraint(
            model_name='breakglassaccess',
            constraint=models.CheckConstraint(condition=models.Q(('reason_kind', 'incident'), ('disclosure__isnull', False), _connector='OR'), name='auditlog_bg_order_has_disclosure'),
        ),
    ]
