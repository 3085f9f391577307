# Two images from one file: `production` (web, worker, beat) and `sandbox` (the local AWS for the demo).
# Each installs only its own pinned, hashed requirements; neither carries the test suite or the dev tools.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
RUN useradd --create-home app

# The source split in two: the product without the sandbox, and the sandbox alone; tests and tooling in neither.
FROM base AS source
COPY . /src
RUN find /src -depth -type d -name tests -exec rm -rf {} + \
    && mkdir /sandbox && mv /src/sandbox /sandbox/ \
    && rm -rf /src/requirements /src/bench /src/docs /src/scripts /src/.ci /src/conftest.py \
       /src/Makefile /src/Procfile /src/Dockerfile /src/docker-compose.yml

FROM base AS sandbox
COPY requirements/sandbox.txt requirements/
RUN pip install --require-hashes -r requirements/sandbox.txt
COPY --from=source /sandbox/ ./
RUN mkdir -p /data/sandbox && chown app /data/sandbox
USER app
EXPOSE 4566
CMD ["python", "-m", "sandbox", "--host", "0.0.0.0", "--port", "4566"]

# Last, so that a plain `docker build .` makes the production image.
FROM base AS production
ENV VAR_DIR=/app/var
COPY requirements/runtime.txt requirements/
RUN pip install --require-hashes -r requirements/runtime.txt
COPY --from=source /src/ ./
RUN SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /app/var && chown -R app /app/var
USER app
EXPOSE 8000
# As the Procfile: a process per core of the 2-core machine measured, 4 threads each (README, Performance).
CMD ["gunicorn", "dashboard.wsgi", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4"]
