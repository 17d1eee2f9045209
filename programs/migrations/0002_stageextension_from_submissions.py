# StageExtension moved here from the submissions app. Only Django's model state changes: the model
# keeps the existing table submissions_stageextension (db_table), so no row moves.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('portal', '0001_initial'),
        ('programs', '0001_initial'),
        ('submissions', '0003_stageextension_to_programs'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='StageExtension',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name='ID')),
                        ('new_deadline', models.DateTimeField(verbose_name='new deadline')),
                        ('reason', models.TextField(verbose_name='reason')),
                        ('granted_at', models.DateTimeField(default=django.utils.timezone.now,
                                                            verbose_name='granted at')),
                        ('granted_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL,
                                                         related_name='+', to=settings.AUTH_USER_MODEL,
                                                         verbose_name='granted by')),
                        ('region', models.ForeignKey(blank=True, null=True,
                                                     on_delete=django.db.models.deletion.PROTECT, related_name='+',
                                                     to='portal.region', verbose_name='only for region')),
                        ('stage', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                                    related_name='extensions', to='programs.stage',
                                                    verbose_name='stage')),
                    ],
                    options={
                        'verbose_name': 'deadline extension',
                        'verbose_name_plural': 'deadline extensions',
                        'ordering': ['-granted_at'],
                        'db_table': 'submissions_stageextension',
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
