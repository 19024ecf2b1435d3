# hfleet container image: `docker build -t hfleet:0.1.0 .`
#
# Two stages. The builder installs the runtime dependencies from requirements.lock (exact versions,
# every file checked against its sha256: `pip --require-hashes`), builds hfleet's wheel with the build
# backend pinned the same way (requirements-build.lock), and installs that wheel without resolving
# anything. Both lock files come from `make lock` (uv pip compile --generate-hashes). The runtime
# stage copies only the resulting virtualenv, which never had pip, and removes the base image's own
# pip, so nothing in the image can install packages.
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

# The runtime dependencies first (a layer that changes only with the lock), into a venv without pip:
# the base image's pip installs into it with --python. Wheels only: no build step runs here.
COPY requirements.lock requirements-build.lock ./
RUN python -m venv --without-pip /opt/hfleet \
    && python -m pip --python /opt/hfleet/bin/python install --no-cache-dir --require-hashes \
       --only-binary=:all: --no-deps -r requirements.lock

# hfleet's wheel, built offline from this checkout by the locked build backend (in a throw-away venv),
# then installed by whatever name it has, with --no-deps: everything it needs is already there.
COPY pyproject.toml README.md ./
COPY reconciler ./reconciler
RUN python -m venv /opt/build \
    && /opt/build/bin/pip install --no-cache-dir --require-hashes --only-binary=:all: --no-deps \
       -r requirements-build.lock \
    && /opt/build/bin/pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /dist . \
    && python -m pip --python /opt/hfleet/bin/python install --no-cache-dir --no-deps --no-index /dist/*.whl \
    && /opt/hfleet/bin/hfleet --version


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

# The base image's pip goes (the venv below never had one). A fixed numeric user and group so
# Kubernetes can check runAsNonRoot without a passwd lookup.
RUN python -m pip uninstall --yes --quiet pip \
    && groupadd --system --gid 10001 hfleet \
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

# No Docker HEALTHCHECK: the image runs one-shot commands (plan, apply) as often as the controller,
# and Kubernetes, where the controller runs, probes /healthz and /readyz itself (the chart does).
HEALTHCHECK NONE

ENTRYPOINT ["hfleet"]
CMD ["--help"]
