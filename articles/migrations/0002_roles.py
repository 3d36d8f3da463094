"""Roles for the admin, and the login-lockout cache table.

* "researcher": view permission on every archive model; can read everything in the admin, change nothing.
* "curator": view/add/change on Article, Source, Person, Credit, StanceCategory, Tag; no delete and
  no user or group management.

Permissions are normally created by a post_migrate signal, i.e. after *all* migrations; on a fresh
database they do not exist yet when this runs, so it creates them itself (create_permissions is
idempotent). Group permissions are set to exactly the lists below, so re-running is harmless.
Users are put in a group in the admin (Users -> Groups) by a superuser; they also need "Staff status".
"""

from django.core.management import call_command
from django.db import migrations

ARCHIVE_MODELS = ["article", "source", "person", "credit", "stancecategory", "tag"]
ROLES = {
    "researcher": [("view", m) for m in ARCHIVE_MODELS],
    "curator": [(action, m) for m in ARCHIVE_MODELS for action in ("view", "add", "change")],
}


def create_roles(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    db = schema_editor.connection.alias
    for app_label in ("articles", "auth", "contenttypes"):
        app_config = apps.get_app_config(app_label)
        app_config.models_module = True  # migration-state app configs have none; create_permissions skips those
        create_permissions(app_config, apps=apps, verbosity=0, using=db)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in ROLES.items():
        group, _ = Group.objects.using(db).get_or_create(name=name)
        wanted = [
            Permission.objects.using(db).get(content_type__app_label="articles", codename=f"{action}_{model}")
            for action, model in perms
        ]
        group.permissions.set(wanted)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name__in=list(ROLES)).delete()


def create_lockout_cache_table(apps, schema_editor):
    # The login-lockout counters (articles/lockout.py) live in a database cache; createcachetable
    # creates the tables of every DatabaseCache in settings.CACHES and skips existing ones.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_roles, remove_roles),
        migrations.RunPython(create_lockout_cache_table, migrations.RunPython.noop),
    ]
