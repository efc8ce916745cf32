from django.contrib import admin

from content.models import Definition, Phase, PhaseItem, Theme, Tool, ToolField


class PhaseItemInline(admin.StackedInline):
    model = PhaseItem
    extra = 0


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ["number", "name_nl", "subtitle_nl", "slug"]
    inlines = [PhaseItemInline]

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
