# StageExtension moved to the programs app (programs owns calls, stages and their deadlines).
# Only Django's model state changes: the table submissions_stageextension stays where it is, with
# its rows; programs.0002_stageextension_from_submissions takes the model over with that table.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('submissions', '0002_document_job'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='StageExtension')],
            database_operations=[],
        ),
    ]
