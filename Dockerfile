# The sandbox as an image: the project's wheel installed (not editable), run as a non-root user.
#   docker build -t invoice-sandbox .
#   docker run --rm -p 127.0.0.1:8080:8080 invoice-sandbox
# The base is an argument so a build can swap it (any image with python3 and pip on PATH).
ARG BASE_IMAGE=python:3.12-slim

FROM ${BASE_IMAGE} AS wheel
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
# The dependencies on their own, so a code change rebuilds only the project's own layer.
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))\
['project']['dependencies']))" > /requirements.txt
COPY app ./app
COPY fixtures ./fixtures
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM ${BASE_IMAGE}
COPY --from=wheel /requirements.txt /requirements.txt
RUN pip install --no-cache-dir -r /requirements.txt \
 && useradd --system --uid 10001 --user-group --home-dir /data --create-home sandbox
COPY --from=wheel /dist /dist
RUN pip install --no-cache-dir --no-deps /dist/*.whl && rm -rf /dist /requirements.txt
USER sandbox
WORKDIR /data

# Inside the container the server listens on every interface; what the host publishes is
# decided by `docker run -p` / compose (127.0.0.1 by default there).
ENV INVOICE_SANDBOX_HOST=0.0.0.0 \
    INVOICE_SANDBOX_PORT=8080 \
    INVOICE_SANDBOX_DB=/data/sandbox.db \
    PYTHONUNBUFFERED=1
EXPOSE 8080
VOLUME ["/data"]

# `invoice-sandbox health` GETs /_sandbox/health (with the control token, when one is set).
HEALTHCHECK --interval=2s --timeout=3s --start-period=20s --retries=15 \
  CMD ["invoice-sandbox", "health"]

# SIGTERM stops the server gracefully: requests in flight get at most 1 s.
CMD ["invoice-sandbox", "serve"]
