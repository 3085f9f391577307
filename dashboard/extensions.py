"""Where an optional app adds to the product, without the product naming it.

An installed app's AppConfig may declare:
- `urls` and `url_prefix`: a URLconf of its pages, included at that prefix (dashboard/urls.py);
- `page_parts`: {slot: template}, rendered with the page's context where a product template says
  `{% page_parts "slot" %}` (dashboard/templatetags/page_parts.py). Slots: "nav" (links in the main menu),
  "connection" (beside the overview's connection check), "setup_head" (the wizard's header) and "setup_run"
  (below a wizard step's checklist; `waits_for_image` says whether the step waits for an image push).
With no such app installed, each slot renders nothing and costs nothing.
"""

from django.apps import apps


def app_urls():
    """(prefix, URLconf module) of each installed app that serves pages of its own."""
    return [(config.url_prefix, config.urls) for config in apps.get_app_configs() if getattr(config, "urls", None)]


def page_parts(slot):
    """The templates the installed apps add at `slot`, in INSTALLED_APPS order."""
    return [config.page_parts[slot] for config in apps.get_app_configs() if slot in getattr(config, "page_parts", {})]
