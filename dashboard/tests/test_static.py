"""Every page names its icon, and the icon is served (a browser otherwise asks for /favicon.ico and gets a 404)."""

import re

from django.urls import reverse


def test_every_page_has_an_icon_that_is_served(client, db):
    page = client.get(reverse("login")).content.decode()
    href = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    icon = client.get(href)
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content if icon.streaming else [icon.content])
