# plexbooks: `make image` builds this (see README, "Run in a container").
#
# BUILD_FROM (the name Home Assistant's builder passes too) is a Debian bookworm with python3,
# python3-venv, ca-certificates and tini. `make image` makes one locally from Debian packages
# (scripts/container-base.sh); `debian:bookworm-slim` works too: the base stage then installs what
# is missing.
ARG BUILD_FROM=localhost/plexbooks-base:bookworm

FROM ${BUILD_FROM} AS base
RUN if ! command -v tini >/dev/null || ! python3 -c "import venv, ensurepip" 2>/dev/null; then \
        apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            python3 python3-venv ca-certificates tini tzdata \
        && rm -rf /var/lib/apt/lists/*; \
    fi

# -- the dependency list alone, so that its layers are reused until it changes -------------------
FROM base AS requirements
COPY pyproject.toml /src/
RUN python3 -c "import tomllib; print('\n'.join(tomllib.load(open('/src/pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /requirements.txt

# -- build: every wheel, and a virtualenv of the dependencies installed from them alone -------------
FROM base AS build
# The package index, when the build host uses another one (build arguments of this stage only:
# they never reach the runtime image or its history).
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_TRUSTED_HOST
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_DEFAULT_TIMEOUT=120
WORKDIR /src
# dependencies first, in their own layers: a change of code, version or test extras downloads nothing
COPY --from=requirements /requirements.txt ./
RUN python3 -m venv /opt/build \
    && /opt/build/bin/pip install "setuptools>=68" wheel \
    && /opt/build/bin/pip wheel --wheel-dir /wheels -r requirements.txt \
    && python3 -m venv --without-pip /opt/plexbooks \
    && /opt/build/bin/pip --python /opt/plexbooks/bin/python install --no-index --find-links /wheels \
        -r requirements.txt
# then plexbooks itself, into a tree of its own files only: the runtime copies it over the venv
COPY pyproject.toml README.md ./
COPY plugin ./plugin
COPY webhooks ./webhooks
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /dist . \
    && /opt/build/bin/pip --python /opt/plexbooks/bin/python install --no-deps --no-index --no-warn-script-location --root /app /dist/*.whl \
    && head -n 1 /app/opt/plexbooks/bin/plexbooks | grep -qx '#!/opt/plexbooks/bin/python'

# -- runtime --------------------------------------------------------------------------------------
FROM base AS runtime
RUN groupadd --gid 1000 plexbooks \
    && useradd --uid 1000 --gid 1000 --home-dir /config --no-create-home --no-log-init \
        --shell /usr/sbin/nologin plexbooks \
    && mkdir -p /config && chown 1000:1000 /config
COPY --from=build /opt/plexbooks /opt/plexbooks
COPY --from=build /app/ /
ENV PATH=/opt/plexbooks/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PLEXBOOKS_DATA_DIR=/config \
    PLEXBOOKS_HOST=0.0.0.0 \
    PLEXBOOKS_PORT=8787 \
    PUID=1000 \
    PGID=1000 \
    TZ=Etc/UTC
# labels last: a new version or commit changes metadata only, no layer
ARG VERSION=unknown
ARG REVISION=unknown
LABEL org.opencontainers.image.title="plexbooks" \
      org.opencontainers.image.description="Mirrors the Plex audiobook library and marks audiobook requests available." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/plexbooks/plexbooks" \
      org.opencontainers.image.url="https://github.com/plexbooks/plexbooks" \
      org.opencontainers.image.documentation="https://github.com/plexbooks/plexbooks#run-in-a-container" \
      org.opencontainers.image.base.name="debian:bookworm"
VOLUME ["/config"]
EXPOSE 8787
# Starts as root only to hand /config to PUID:PGID; plugin.container then drops to that user.
# tini is PID 1: it forwards `docker stop`'s SIGTERM and reaps every child.
ENTRYPOINT ["/usr/bin/tini", "--", "/opt/plexbooks/bin/python", "-m", "plugin.container"]
CMD ["plexbooks", "run"]
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/opt/plexbooks/bin/python", "-m", "plugin.container", "healthcheck"]
