# One image for every process: `serve`, `worker` or `migrate` (the argument picks it).
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
RUN /opt/venv/bin/pip install .

FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    GATEWAY_MIGRATIONS_DIR=/srv/migrations \
    DATABASE_URL=sqlite+aiosqlite:////var/lib/portal-gateway/state.db
RUN useradd --system --uid 10001 --home-dir /srv gateway \
    && mkdir -p /var/lib/portal-gateway && chown gateway /var/lib/portal-gateway
COPY --from=build /opt/venv /opt/venv
COPY migrations /srv/migrations
WORKDIR /srv
USER gateway
EXPOSE 8000
ENTRYPOINT ["portal-gateway"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
