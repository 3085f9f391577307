import re

from django import forms

REPOSITORY_NAME = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class ImagePushForm(forms.Form):
    repository = forms.CharField(max_length=256, min_length=2, help_text="An ECR repository name.")
    tag = forms.CharField(max_length=128, initial="latest")

    def __init__(self, *args, known=(), **kwargs):
        """`known`: (repository, tag) of each setup, newest first; the newest is the default."""
        super().__init__(*args, **kwargs)
        if known:
            self.fields["repository"].initial, self.fields["tag"].initial = known[0]
            self.fields["repository"].help_text = "The repository of a setup: " + ", ".join(
                dict.fromkeys(repository for repository, _ in known)
            )
        else:
            self.fields["repository"].help_text = "An ECR repository name; the setup wizard creates one."

    def clean_repository(self):
        name = self.cleaned_data["repository"]
        if not REPOSITORY_NAME.match(name):
            raise forms.ValidationError(
                "Use lowercase letters, digits and . _ - / between them, as ECR repository names do."
            )
        return name

    def clean_tag(self):
        tag = self.cleaned_data["tag"]
        if not IMAGE_TAG.match(tag):
            raise forms.ValidationError("A tag is up to 128 letters, digits, _ . or -, not starting with . or -.")
        return tag
