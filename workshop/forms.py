import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from assessments.models import Questionnaire
from workshop.models import DEFAULT_DISCIPLINES, Note, ToolItem

MAX_DISCIPLINES = 30


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    organisation = forms.ChoiceField(label=_("Organisation"))
    questionnaire = forms.ModelChoiceField(
        label=_("Questionnaire"), queryset=Questionnaire.objects.all(), empty_label=None
    )
    disciplines = forms.CharField(
        label=_("Disciplines participants choose from"),
        help_text=_("One per line."),
        widget=forms.Textarea(attrs={"rows": 8}),
        initial="\n".join(DEFAULT_DISCIPLINES),
        max_length=3000,
    )
    ask_recognition = forms.BooleanField(
        label=_("After the questions, ask which phase description people recognise "
                "(“Does this sound familiar?”)"),
        help_text=_("Each phone shows the four phases' signs without their names; at the "
                    "reveal, what people recognise is set beside what the quiz gives."),
        required=False, initial=True,
    )
    auto_reveal = forms.BooleanField(
        label=_("Reveal automatically when everyone has finished"), required=False
    )

    def __init__(self, organisations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.pk): o for o in organisations}
        self.fields["organisation"].choices = [(pk, o.name) for pk, o in self.organisations.items()]
        self.fields["questionnaire"].initial = Questionnaire.get_default()

    def clean_organisation(self):
        return self.organisations[self.cleaned_data["organisation"]]

    def clean_disciplines(self):
        names = []
        for line in self.cleaned_data["disciplines"].splitlines():
            name = " ".join(line.split())[:100]
            if name and name not in names:
                names.append(name)
        if not names:
            raise forms.ValidationError(_("Give at least one discipline."))
        if len(names) > MAX_DISCIPLINES:
            raise forms.ValidationError(
                _("Give at most %(n)s disciplines.") % {"n": MAX_DISCIPLINES}
            )
        return names


class JoinForm(forms.Form):
    name = forms.CharField(
        label=_("Your name (optional)"), max_length=60, required=False,
        help_text=_("Only the facilitator sees it; results never show names."),
    )
    discipline = forms.ChoiceField(label=_("Your discipline"), widget=forms.RadioSelect)
    # One per rendered form (see services.join); a page without it is an old copy.
    join_key = forms.CharField(widget=forms.HiddenInput, min_length=16, max_length=64,
                               error_messages={"required": _("The page was out of date; it has "
                                                             "been reloaded. Join again."),
                                               "min_length": _("The page was out of date; it "
                                                               "has been reloaded. Join again.")})

    def __init__(self, disciplines, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["discipline"].choices = [(d, d) for d in disciplines]

    @property
    def page_join_key(self) -> str:
        """The key for the form on the page: the one sent, unless it was missing or wrong."""
        if self.is_bound and "join_key" not in self.errors:
            return self.data["join_key"]
        return secrets.token_urlsafe(24)


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Session code"), max_length=20)


class NoteForm(forms.Form):
    kind = forms.ChoiceField(choices=Note.KINDS, initial=Note.NOTE, label=_("Kind"))
    text = forms.CharField(
        label=_("Text"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    owner = forms.CharField(label=_("Owner (for an agreement)"), max_length=100, required=False)


class ToolItemForm(forms.Form):
    """An item of one of a tool's lists; which extras count is up to the part (tools.Part)."""

    part = forms.SlugField(max_length=50)
    text = forms.CharField(label=_("Text"), max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(label=_("Who"), max_length=100, required=False)
    due = forms.DateField(label=_("When ready"), required=False, input_formats=["%Y-%m-%d"],
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    how = forms.CharField(label=_("How we measure it"), max_length=200, required=False)
    when = forms.CharField(label=_("When we measure it"), max_length=100, required=False)
    mode = forms.ChoiceField(label=_("Kind"), choices=ToolItem.MODES, required=False)


class SuggestionForm(forms.Form):
    part = forms.SlugField(max_length=50)
    text = forms.CharField(label=_("Your suggestion"), max_length=500,
                           widget=forms.Textarea(attrs={"rows": 2}))


class TargetForm(forms.Form):
    phase = forms.ChoiceField(label=_("Target phase"), required=False)
    # A date field sends and shows ISO dates, whatever the language of the page.
    date = forms.DateField(label=_("By"), required=False, input_formats=["%Y-%m-%d"],
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, phases, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phase"].choices = [("", _("No target"))] + [
            (phase.slug, phase.name) for phase in phases]

    def clean(self):
        data = super().clean()
        if data.get("phase") and not data.get("date"):
            self.add_error("date", _("Give the date by which the group wants to be there."))
        return data
