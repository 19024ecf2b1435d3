# hfleet container image: `docker build -t hfleet:0.1.0 .`
#
# Two stages: the builder turns this checkout into a wheel and installs it into a virtualenv under
# /opt/hfleet; the runtime stage copies only that virtualenv (no compiler, no build tools, no sources,
# not even pip).
#
# The base image is pinned by version tag AND by digest (the multi-arch index digest of
# python:3.12.12-slim-trixie, the same image as python:3.12.12-slim), so a re-pushed tag cannot
# change what we build on. Renovate/Dependabot bump tag and digest together; by hand:
#   docker buildx imagetools inspect python:3.12.12-slim-trixie --format '{{json .Manifest.Digest}}'
#
# Runs as the numeric user 10001 and writes only to $HFLEET_STATE_DIR (/var/lib/hfleet) and /tmp, so
# it works under a read-only root filesystem: mount an emptyDir on both (the Helm chart does).

FROM python:3.12.12-slim-trixie@sha256:f3fa41d74a768c2fce8016b98c191ae8c1bacd8f1152870a3f9f87d350920b7c AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

WORKDIR /src

# Build tooling, pinned. The wheel's build backend (hatchling) and the runtime dependencies resolve
# within pyproject.toml's ranges at build time; for a fully locked image add a constraints file
# (pip's PIP_CONSTRAINT) generated from a tested environment.
RUN python -m venv /opt/hfleet \
    && /opt/hfleet/bin/pip install --no-cache-dir pip==25.3 wheel==0.45.1

COPY pyproject.toml README.md ./
COPY reconciler ./reconciler

# The wheel first (what `pip install hfleet` would get), then the venv from the wheel only.
# pip and wheel leave the venv at the end: the runtime image cannot install anything, and carries
# two packages fewer for scanners to flag.
RUN /opt/hfleet/bin/pip wheel --no-cache-dir --no-deps --wheel-dir /dist . \
    && /opt/hfleet/bin/pip install --no-cache-dir /dist/hfleet-0.1.0-py3-none-any.whl \
    && /opt/hfleet/bin/hfleet --version \
    && /opt/hfleet/bin/pip uninstall --yes --quiet wheel pip


FROM python:3.12.12-slim-trixie@sha256:f3fa41d74a768c2fce8016b98c191ae8c1bacd8f1152870a3f9f87d350920b7c AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown

LABEL org.opencontainers.image.title="hfleet" \
      org.opencontainers.image.description="Declarative fleet manager for Hugging Face Inference Endpoints" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/hfleet/hfleet" \
      org.opencontainers.image.url="https://github.com/hfleet/hfleet" \
      org.opencontainers.image.documentation="https://github.com/hfleet/hfleet/blob/main/docs/deploy.md" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="hfleet developers" \
      org.opencontainers.image.base.name="docker.io/library/python:3.12.12-slim-trixie" \
      org.opencontainers.image.base.digest="sha256:f3fa41d74a768c2fce8016b98c191ae8c1bacd8f1152870a3f9f87d350920b7c"

ENV PATH=/opt/hfleet/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HFLEET_STATE_DIR=/var/lib/hfleet \
    HOME=/tmp

# A fixed numeric user and group so Kubernetes can check runAsNonRoot without a passwd lookup.
RUN groupadd --system --gid 10001 hfleet \
    && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home \
       --shell /usr/sbin/nologin hfleet \
    && mkdir -p /var/lib/hfleet /specs \
    && chown 10001:10001 /var/lib/hfleet

COPY --from=builder /opt/hfleet /opt/hfleet

# Specs are mounted at /specs (ConfigMap, git-sync, or `docker run -v "$PWD/specs:/specs:ro"`) and
# passed explicitly (`hfleet plan /specs`). The working directory is the writable state directory, so
# relative outputs (`--out plan.json`, the default `--emulator` file .hfleet/emulator.db) still work
# under a read-only root filesystem.
WORKDIR /var/lib/hfleet
VOLUME ["/var/lib/hfleet"]

USER 10001:10001

# The controller's /healthz, /readyz and /metrics (`hfleet reconcile --listen 0.0.0.0:8080`).
EXPOSE 8080

ENTRYPOINT ["hfleet"]
CMD ["--help"]
