from django.contrib import admin

from assessments.models import Option, Question, Questionnaire, ScoreBand


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    show_change_link = True


class ScoreBandInline(admin.TabularInline):
    model = ScoreBand
    extra = 0


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):
    list_display = ["slug", "version", "title_nl"]
    inlines = [QuestionInline, ScoreBandInline]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["questionnaire", "order", "text_nl"]
    inlines = [OptionInline]
