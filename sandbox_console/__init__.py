"""The sandbox console: what the demo adds to the dashboard while it runs against the local sandbox AWS.

An optional Django app, installed only with SANDBOX_CONSOLE=1 (`make demo` and the tests set it; `make serve` and
production leave it out). It adds a page for the sandbox and a sample image push, in the wizard too, through the
product's extension points (`dashboard/extensions.py`): the product itself has no sandbox branch.
"""
