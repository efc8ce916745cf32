from django.contrib import admin
from django.db import models

from content.models import Definition, Phase, PhaseItem, Theme, Tool, ToolField

# A link typed without its scheme is taken as https (Django 6.0's default; 5.2 warns).
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class PhaseItemInline(admin.StackedInline):
    model = PhaseItem
    extra = 0
    formfield_overrides = URL_FIELDS


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ["number", "name_nl", "subtitle_nl", "slug"]
    inlines = [PhaseItemInline]
    formfield_overrides = URL_FIELDS

    # Score bands name their phase by slug: a phase they use keeps its slug and stays.
    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "slug"] if obj and obj.in_use() else readonly

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj and obj.in_use())


@admin.register(Definition)
class DefinitionAdmin(admin.ModelAdmin):
    list_display = ["order", "term_nl", "term_en"]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["order", "title_nl", "title_en"]


class ToolFieldInline(admin.StackedInline):
    model = ToolField
    extra = 0
    # The parts of each tool are fixed in workshop/tools.py: their texts are edited here, their
    # slugs name them there.
    readonly_fields = ["slug"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Tool)
class ToolAdmin(admin.ModelAdmin):
    list_display = ["phase", "title_nl", "title_en"]
    readonly_fields = ["phase"]
    inlines = [ToolFieldInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
