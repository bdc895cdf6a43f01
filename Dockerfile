FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PLEXBOOKS_DATA_DIR=/config \
    PLEXBOOKS_HOST=0.0.0.0 \
    PLEXBOOKS_PORT=8787

WORKDIR /app
COPY pyproject.toml README.md ./
COPY plugin ./plugin
COPY webhooks ./webhooks
RUN pip install --no-cache-dir . && useradd --system --home /config plexbooks && mkdir -p /config \
    && chown plexbooks /config

USER plexbooks
VOLUME ["/config"]
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8787/healthz', timeout=4).status == 200 else 1)"
CMD ["plexbooks", "run"]
