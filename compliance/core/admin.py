"""Shapes shared by the admin pages of every app: who may read, what nobody may change,
and saving through an entity's services."""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect

from compliance.core.actors import Actor


class StaffMayRead:
    """Every active staff member may read; changing still needs the model permission."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class ReadOnly:
    """Records made only by the application (audit events, mail, rules, reports): nobody,
    superusers included, adds, changes or deletes them in the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ConfiguredAdmin(StaffMayRead, admin.ModelAdmin):
    """Saves through the entity's create and update services (which validate and audit,
    as for every other writer); a refusal is an error message on the page. Every staff
    member may read (DESIGN: plain staff read, officers decide); changes need permission."""

    create_service = update_service = None
    instance_argument = ""

    def save_model(self, request, obj, form, change):
        actor = Actor.staff(request.user)
        fields = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            if change:
                saved = type(self).update_service(
                    actor=actor, **{self.instance_argument: obj}, **fields
                )
            else:
                saved = type(self).create_service(
                    actor=actor,
                    **{name: form.cleaned_data[name] for name in form.cleaned_data},
                )
        except ValueError as error:
            request._configuration_refused = True
            self.message_user(request, str(error), messages.ERROR)
            return
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        pass  # no inlines, no many-to-many: the service saved everything

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(request, "_configuration_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        if getattr(request, "_configuration_refused", False):
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)
