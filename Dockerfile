# trackerbot in a container (README, Deploy). The image only installs the wheel built outside it:
#   rm -rf build dist && .venv/bin/pip wheel --no-deps -w dist . && docker build -t trackerbot .
# scripts/check-deploy.sh does the same install in a fresh venv in CI (no container runtime there) and runs
# the same entrypoint and health check.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000

# A user of its own, without a login shell or a password; numeric below so that a platform checking
# "runAsNonRoot" can tell.
RUN groupadd --system --gid 10001 trackerbot \
 && useradd --system --uid 10001 --gid trackerbot --home-dir /app --create-home --shell /usr/sbin/nologin trackerbot

# Only the pinned file and the wheel: no source, no .env, no .git (.dockerignore keeps the rest out).
COPY requirements.txt dist/trackerbot-*.whl /tmp/install/
# The wheel's dependencies are resolved within the pins (constraints), then checked for completeness.
RUN pip install --constraint /tmp/install/requirements.txt /tmp/install/trackerbot-*.whl \
 && pip check \
 && rm -rf /tmp/install

USER 10001:10001
WORKDIR /app
EXPOSE 3000

# /healthz with Python's own urllib (no curl in a slim image); exits 1 unless it answers 200.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["python", "-m", "bot.running.healthcheck"]

# Open files are a runtime limit, not the image's: compose.yaml sets `ulimits: nofile: 8192`; with plain
# `docker run`, pass `--ulimit nofile=8192:8192` (the bot keeps at most half as many connections open).
CMD ["python", "-m", "bot"]
