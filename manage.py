#!/usr/bin/env python
import os
import sys


def main(argv):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    from django.core.management import execute_from_command_line

    from dashboard.acting import running_command

    with running_command(argv):  # what the command changes is audited as its doing
        execute_from_command_line(argv)


if __name__ == "__main__":
    main(sys.argv)
