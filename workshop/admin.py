from django.contrib import admin

from workshop.models import Note, Organisation, Participant, Session


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]


class NoteInline(admin.TabularInline):
    model = Note
    extra = 0


@admin.register(Session)
class SessionAdmin(admin.ModelAdmin):
    list_display = ["title", "code", "organisation", "step", "created_at"]
    list_filter = ["organisation", "step"]
    search_fields = ["title", "code"]
    readonly_fields = ["code", "revealed_at", "closed_at"]
    inlines = [NoteInline]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["session", "number", "name", "discipline", "joined_at"]
    list_filter = ["session__organisation"]
    exclude = ["token"]  # the token is the participant's key; nobody needs to see it
