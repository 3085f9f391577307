"""python dashboard/tests/oidc_provider/provider.py DIR setup REDIRECT_URI CLIENT_ID CLIENT_SECRET
DIR serve PORT
DIR user NAME PASSWORD [GROUP ...]  (sets the groups)
"""

import os
import sys


def main(state_dir, command, *args):
    os.environ["OIDC_PROVIDER_DIR"] = state_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "settings"
    if command == "setup":
        _write_key(state_dir)
    import django

    django.setup()
    from django.core.management import call_command

    if command == "setup":
        call_command("migrate", verbosity=0)
        _register(*args)
    elif command == "serve":
        call_command("runserver", f"127.0.0.1:{args[0]}", use_reloader=False, use_threading=True)
    elif command == "user":
        _user(*args)


def _write_key(state_dir):
    from pathlib import Path

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    Path(state_dir).mkdir(parents=True, exist_ok=True)
    (Path(state_dir) / "key.pem").write_bytes(pem)


def _register(redirect_uri, client_id, client_secret):
    from oauth2_provider.models import Application

    Application.objects.create(
        name="dashboard",
        client_id=client_id,
        client_secret=client_secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=redirect_uri,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )


def _user(name, password, *groups):
    from django.contrib.auth.models import Group, User

    user, created = User.objects.get_or_create(username=name, defaults={"email": f"{name}@example.com"})
    if created:  # a new password would end the user's session at the provider
        user.set_password(password)
        user.save()
    user.groups.set([Group.objects.get_or_create(name=group)[0] for group in groups])


if __name__ == "__main__":
    main(*sys.argv[1:])
