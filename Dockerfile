# Heatline's production image: the same `heatline` command, run as a non-root user.
#   docker build -t heatline .
#   docker compose up -d          (compose.yaml: PostgreSQL, the web processes and the worker)
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=heatline.settings \
    MEDIA_ROOT=/app/var/media

# gettext compiles the English translations; postgresql-client gives `heatline backup` its pg_dump and
# pg_restore (15, as the database in compose.yaml).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system heatline && useradd --system --gid heatline --home-dir /app --shell /usr/sbin/nologin heatline

WORKDIR /app
COPY pyproject.toml README.md ./
COPY heatline ./heatline
RUN pip install -e . \
    && cd heatline && django-admin compilemessages -v0 && cd .. \
    && DEBUG=false SECRET_KEY=build-only HEATLINE_EXCHANGE_SECRET=build-only heatline collectstatic --noinput -v0 \
    && mkdir -p /app/var/media /backups \
    && chown -R heatline:heatline /app/var /app/staticfiles /backups

USER heatline
EXPOSE 8000
VOLUME ["/app/var/media", "/backups"]
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"

ENTRYPOINT ["heatline"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--no-worker", "--workers", "4"]
