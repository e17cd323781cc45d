FROM python:3.11-slim

WORKDIR /srv/invoice-sandbox
COPY pyproject.toml README.md ./
COPY app ./app
COPY fixtures ./fixtures
RUN pip install --no-cache-dir -e . && mkdir -p /data

ENV INVOICE_SANDBOX_HOST=0.0.0.0 \
    INVOICE_SANDBOX_PORT=8080 \
    INVOICE_SANDBOX_DB=/data/sandbox.db
EXPOSE 8080
VOLUME ["/data"]

HEALTHCHECK --interval=2s --timeout=2s --retries=15 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/_sandbox/health').status != 200)"

CMD ["invoice-sandbox", "serve"]
