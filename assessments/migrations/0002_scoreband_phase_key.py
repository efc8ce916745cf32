# A score band names its phase by key (the phase's slug) instead of pointing at content.Phase,
# so that assessments no longer depends on content. Three steps, each in its own transaction:
# PostgreSQL refuses to alter a table in the transaction that updated its rows while
# foreign-key checks are pending. This one adds the key next to the foreign key and lets the
# foreign key be empty, so that going back can re-add it before filling it.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('assessments', '0001_initial'),
        ('content', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='scoreband',
            name='phase_key',
            field=models.SlugField(default=''),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='scoreband',
            name='phase',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='bands', to='content.phase'),
        ),
    ]
