# One image for every process: `serve`, `worker` or `migrate` (the argument picks it).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install .

FROM python:3.11-slim AS runtime
# /data is the gateway user's own: the SQLite state of the embedded default lives there, and
# it is the working directory, so commands that write beside themselves (`openapi --out`,
# `sandbox casavi --state`, `demo --dir`) work. Mount a volume on it to keep the state.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GATEWAY_MIGRATIONS_DIR=/srv/migrations \
    DATABASE_URL=sqlite+aiosqlite:////data/state.db
RUN useradd --system --uid 10001 --user-group --home-dir /data gateway \
    && mkdir -p /data && chown gateway:gateway /data
COPY --from=build /opt/venv /opt/venv
COPY migrations /srv/migrations
WORKDIR /data
VOLUME /data
USER gateway
EXPOSE 8000
# Liveness of `serve` without curl in the image. A `worker` container has no HTTP server:
# run it with `--no-healthcheck` (or a healthcheck of `arq --check`).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request as u; sys.exit(u.urlopen('http://127.0.0.1:8000/health/live', timeout=4).status != 200)"]
ENTRYPOINT ["portal-gateway"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
