# Bot Eskalasi LPSE. Build: docker build -t bot-eskalasi-lpse .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data LOG_FORMAT=json
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY locales ./locales
RUN pip install --no-cache-dir -e . \
    && useradd --system --home /app lpsebot \
    && mkdir -p /data && chown lpsebot: /data

USER lpsebot
VOLUME ["/data"]
# Migrate, then run; settings come from the environment (compose reads .env).
CMD ["sh", "-c", "python -m bot migrate && exec python -m bot run"]
