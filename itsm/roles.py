"""Roles are permission groups, created after every migrate (never in migrations)."""

from typing import Any

from django.contrib.auth.models import Group, Permission

from itsm.choices import Role

ITIL_MODELS = (
    "incident",
    "problem",
    "changerequest",
    "catalogrequest",
    "call",
    "interaction",
    "task",
    "configurationitem",
    "journalentry",
)


def ensure_roles(**kwargs: Any) -> None:
    """Create the role groups and give technicians their ITSM permissions."""
    itil, _ = Group.objects.get_or_create(name=Role.ITIL)
    Group.objects.get_or_create(name=Role.ADMIN)
    permissions = Permission.objects.filter(
        content_type__app_label="itsm", content_type__model__in=ITIL_MODELS
    ).exclude(codename__startswith="delete_")
    itil.permissions.add(*permissions)


def has_role(user: Any, role: str) -> bool:
    """Say whether `user` holds `role`; superusers hold every role."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return bool(user.groups.filter(name=role).exists())
