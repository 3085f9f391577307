FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --create-home app && mkdir -p /app/var /data/sandbox && chown -R app /app/var /data/sandbox
USER app
EXPOSE 8000 4566
