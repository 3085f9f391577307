"""Three roles, as groups: viewer sees everything, operator acts on releases, admin sets up and manages users."""

from functools import wraps

from django.core.exceptions import PermissionDenied

VIEWER, OPERATOR, ADMIN = "viewer", "operator", "admin"
ROLES = (VIEWER, OPERATOR, ADMIN)  # each role includes the ones before it


def role_of(user):
    """The highest role a user holds, or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return ADMIN
    names = {group.name for group in user.groups.all()}
    held = [role for role in ROLES if role in names]
    return held[-1] if held else None


def has_role(user, role):
    held = role_of(user)
    return held is not None and ROLES.index(held) >= ROLES.index(role)


def role_required(role):
    """Refuse (403) a signed-in user below `role`. Sign-in itself is required everywhere by middleware."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, role):
                raise PermissionDenied(f"This needs the {role} role.")
            return view(request, *args, **kwargs)

        wrapped.required_role = role
        return wrapped

    return decorator


def role_context(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    role = role_of(user)
    rank = ROLES.index(role) if role else -1
    return {"user_role": role, "can_operate": rank >= ROLES.index(OPERATOR), "is_admin": rank >= ROLES.index(ADMIN)}


ADMIN_PERMISSIONS = ("auth.add_user", "auth.change_user", "auth.view_user", "auth.view_group")


def ensure_role_groups(**kwargs):
    """post_migrate: the three groups (and the admin's user-management permissions) exist after every migrate, and
    after a flush, which empties the tables the data migration filled."""
    from django.contrib.auth.models import Group, Permission

    for name in ROLES:
        Group.objects.get_or_create(name=name)
    wanted = [permission.split(".") for permission in ADMIN_PERMISSIONS]
    permissions = Permission.objects.filter(content_type__app_label="auth", codename__in=[c for _, c in wanted])
    Group.objects.get(name=ADMIN).permissions.add(*permissions)
