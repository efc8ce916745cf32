# Copy each band's phase slug into its key; backwards, point the foreign key at the phase with
# that slug again.

from django.db import migrations


def copy_slug_to_key(apps, schema_editor):
    ScoreBand = apps.get_model('assessments', 'ScoreBand')
    for band in ScoreBand.objects.select_related('phase'):
        ScoreBand.objects.filter(pk=band.pk).update(phase_key=band.phase.slug)


def copy_key_to_foreign_key(apps, schema_editor):
    ScoreBand = apps.get_model('assessments', 'ScoreBand')
    Phase = apps.get_model('content', 'Phase')
    phases = {phase.slug: phase.pk for phase in Phase.objects.all()}
    for band in ScoreBand.objects.all():
        # A key without a phase cannot go back to a foreign key: fail loudly (KeyError).
        ScoreBand.objects.filter(pk=band.pk).update(phase_id=phases[band.phase_key])


class Migration(migrations.Migration):

    dependencies = [
        ('assessments', '0002_scoreband_phase_key'),
        ('content', '0001_initial'),
    ]

    operations = [
        migrations.RunPython(copy_slug_to_key, copy_key_to_foreign_key),
    ]
