"""The image-push commands on the repository step are true for the AWS endpoint the dashboard is configured with."""

import html
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

from provisioning.models import StepRun
from provisioning.tests.factories import ACCOUNT, make_setup
from sandbox.tutorial import image_manifest

AWS_CLI = Path(sys.executable).with_name("aws")


def repository_step(client, admin_user):
    setup, _ = make_setup(repository_uri=f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/shop-images")
    StepRun.objects.create(setup=setup, step="repository", status=StepRun.SUCCEEDED)
    client.force_login(admin_user)
    return setup, client.get(reverse("setup-step", args=[setup.name, "repository"])).content.decode()


def test_with_an_aws_endpoint_configured_the_shown_command_puts_an_image_there(client, admin_user, aws, tmp_path):
    aws.ecr.create_repository(repositoryName="shop-images")
    setup, page = repository_step(client, admin_user)

    assert "docker push " not in page and "docker login" not in page
    command = html.unescape(re.search(r'<pre class="file">(aws ecr put-image [^<]*)</pre>', page).group(1))
    assert f"--endpoint-url {aws.endpoint_url} " in command
    (tmp_path / "manifest.json").write_text(image_manifest("pushed as the page says"))
    argv = [str(AWS_CLI), *shlex.split(command)[1:]]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    done = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    images = aws.ecr.describe_images(repositoryName="shop-images")["imageDetails"]
    assert [image.get("imageTags") for image in images] == [[setup.config["image_tag"]]]


def test_against_amazon_the_page_shows_the_docker_push(client, admin_user, settings):
    settings.AWS_ENDPOINT_URL = None
    _, page = repository_step(client, admin_user)

    assert "--endpoint-url" not in page
    assert f"docker push {ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/shop-images:latest" in page
    assert f"docker login --username AWS --password-stdin {ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com" in page
