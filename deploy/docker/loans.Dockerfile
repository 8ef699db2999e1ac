# syntax=docker/dockerfile:1
# Tuopin loans: poverty microcredit, interest subsidy and risk compensation.
# Build from the repository root (the build context is the uv workspace):
#   docker build -f deploy/docker/loans.Dockerfile -t tuopin/loans .
# The image holds exactly what uv.lock pins for tuopin-loans (with tuopin-contracts and
# tuopin-eventkit): no other service, no dev tools, no build tools. Migrations are a
# separate command, `tuopin-loans migrate`, run once per release (compose one-shot, k8s Job).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
COPY --from=ghcr.io/astral-sh/uv:0.13.8 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3 \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Third-party dependencies first: this layer changes only when uv.lock does.
RUN --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --frozen --no-dev --no-editable --package tuopin-loans --no-install-workspace
# Then the workspace packages it needs, built as wheels from these sources. No uv cache here:
# uv would reuse a wheel built from older sources (it keys local builds on pyproject.toml).
COPY . .
RUN uv sync --frozen --no-dev --no-editable --package tuopin-loans --no-cache

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="tuopin-loans" \
      org.opencontainers.image.description="Tuopin loans: poverty microcredit, interest subsidy and risk compensation"
# An unprivileged user with a fixed numeric id (Kubernetes runAsNonRoot checks the number);
# pip, setuptools and wheel go: nothing installs anything at run time.
RUN groupadd --system --gid 10001 tuopin \
    && useradd --system --uid 10001 --gid tuopin --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin tuopin \
    && python -m pip uninstall --yes --quiet pip setuptools wheel
COPY --from=builder /app/.venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TUOPIN_LOANS_HOST=0.0.0.0 \
    TUOPIN_LOANS_PORT=8002 \
    TUOPIN_LOANS_MIGRATE_ON_START=false
WORKDIR /app
USER 10001:10001
EXPOSE 8002
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ['TUOPIN_LOANS_PORT'] + '/healthz', timeout=4)"
CMD ["tuopin-loans", "serve", "--host", "0.0.0.0"]
