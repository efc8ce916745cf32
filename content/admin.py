from django.contrib import admin

from content.models import Definition, Phase, PhaseItem, Theme


class PhaseItemInline(admin.StackedInline):
    model = PhaseItem
    extra = 0


@admin.register(Phase)
class PhaseAdmin(admin.ModelAdmin):
    list_display = ["number", "name_nl", "subtitle_nl", "slug"]
    inlines = [PhaseItemInline]


@admin.register(Definition)
class DefinitionAdmin(admin.ModelAdmin):
    list_display = ["order", "term_nl", "term_en"]


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["order", "title_nl", "title_en"]
