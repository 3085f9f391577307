from django.db import migrations

ROLES = ("viewer", "operator", "admin")
ADMIN_PERMISSIONS = ("add_user", "change_user", "view_user", "view_group")


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    # Permissions exist only after post_migrate on a fresh database; create the few the admin role needs.
    admin = Group.objects.get(name="admin")
    for model in ("user", "group"):
        content_type, _ = ContentType.objects.get_or_create(app_label="auth", model=model)
        for codename in ADMIN_PERMISSIONS:
            if codename.endswith(f"_{model}"):
                verb = codename.split("_")[0].title()
                permission, _ = Permission.objects.get_or_create(
                    content_type=content_type,
                    codename=codename,
                    defaults={"name": f"Can {verb.lower()} {model}"},
                )
                admin.permissions.add(permission)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
