# syntax=docker/dockerfile:1
# mlops-bot image: `docker build -t mlops-bot .` then `docker run --env-file .env -p 3000:3000 mlops-bot`.
# Two stages: the builder has compilers (for any dependency without a wheel for this platform)
# and installs the bot into a virtualenv; the runtime stage copies only that virtualenv.

ARG PYTHON_IMAGE=python:3.11-slim

# ---- builder ---------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

# Unpinned on purpose: the package versions follow the base image's Debian release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
# The same path as in the runtime stage: console scripts hard-code their interpreter's path.
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot/ bot/
# A regular (not editable) install: the runtime stage needs no source tree.
# (pip fetches the build backend pyproject.toml names, setuptools>=68, on its own.)
RUN pip install . \
    && mlops-bot --help >/dev/null

# ---- runtime ---------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="mlops-bot" \
      org.opencontainers.image.description="A Slack bot that brings MLOps learning resources and weekly lessons into team channels" \
      org.opencontainers.image.licenses="MIT"

# A fixed numeric uid/gid, so orchestrators can check runAsNonRoot.
RUN groupadd --system --gid 10001 mlops \
    && useradd --system --uid 10001 --gid mlops --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin mlops

COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# The catalog and lessons live outside the package (bot/core/content.py looks next to the
# source tree), so the image carries them here and points MLOPS_CONTENT_DIR at them.
COPY content/ /app/content/
# SQLite's default home for a single container; mount a volume here to keep it. With several
# replicas set DATABASE_URL to PostgreSQL instead (see docker-compose.yml).
RUN mkdir -p /app/data && chown mlops:mlops /app/data

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MLOPS_CONTENT_DIR=/app/content \
    DATABASE_URL=sqlite:////app/data/mlops-bot.db \
    HOST=0.0.0.0 \
    PORT=3000

USER 10001:10001
EXPOSE 3000

# slim has no curl: ask the bot's own /healthz with the standard library (non-2xx raises).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '3000') + '/healthz', timeout=4)"]

CMD ["mlops-bot", "serve"]
