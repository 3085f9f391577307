"""Detecting the local sandbox AWS, and a sample image to push to it.

Everything else talks to the sandbox exactly as to AWS; these helpers only decide what to *offer* a user.
"""

import hashlib
import json
import urllib.error
import urllib.request

from dashboard import aws


def probe(endpoint_url, timeout=2.0):
    """The sandbox's health document when `endpoint_url` is the sandbox, else None. Call from workers only."""
    if not endpoint_url:
        return None
    try:
        with urllib.request.urlopen(f"{endpoint_url.rstrip('/')}/_sandbox/health", timeout=timeout) as response:  # noqa: S310
            document = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return document if isinstance(document, dict) and document.get("sandbox") is True else None


def load_balancers(endpoint_url, timeout=5.0):
    """The sandbox's load balancers with the local URL of each listener (GET /_sandbox/load-balancers), or None
    when the sandbox does not answer. Call from workers only."""
    try:
        with urllib.request.urlopen(f"{endpoint_url.rstrip('/')}/_sandbox/load-balancers", timeout=timeout) as response:  # noqa: S310
            listing = json.loads(response.read())
    except (OSError, ValueError, urllib.error.URLError):
        return None
    return listing if isinstance(listing, list) else None


def sample_image_manifest(label):
    """A small, valid Docker v2 image manifest whose digest differs per label (each push is a new image)."""
    config_digest = "sha256:" + hashlib.sha256(f"sample-website {label}".encode()).hexdigest()
    layer_digest = "sha256:" + hashlib.sha256(b"nginx layer").hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1469,
                "digest": config_digest,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 29126484,
                    "digest": layer_digest,
                }
            ],
        }
    )


def push_sample_image(repository_name, tag, label, connection=None):
    """Push a sample image (ECR put_image) so the pipeline watching `repository_name:tag` starts a release."""
    return aws.call(
        "ecr",
        "put_image",
        connection,
        repositoryName=repository_name,
        imageTag=tag,
        imageManifest=sample_image_manifest(label),
        imageManifestMediaType="application/vnd.docker.distribution.manifest.v2+json",
    )["image"]


def tagged_image(repository_name, tag, connection=None):
    """The image `repository_name:tag` names now, as put_image answers it (its imageId)."""
    details = aws.call(
        "ecr", "describe_images", connection, repositoryName=repository_name, imageIds=[{"imageTag": tag}]
    )["imageDetails"][0]
    return {"imageId": {"imageDigest": details["imageDigest"], "imageTag": tag}}
