# Drop the foreign key to content.Phase; the key takes its name, `phase`.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('assessments', '0003_copy_scoreband_phase_key'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='scoreband',
            name='phase',
        ),
        migrations.RenameField(
            model_name='scoreband',
            old_name='phase_key',
            new_name='phase',
        ),
    ]
