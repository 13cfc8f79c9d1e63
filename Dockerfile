# Bot Eskalasi LPSE. Build: docker build -t bot-eskalasi-lpse .
# The image installs the bot's wheel (as any LPSE install does), not the source tree.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY bot ./bot
COPY locales ./locales
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DATA_DIR=/data LOG_FORMAT=json
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels \
    && useradd --system --home /app lpsebot \
    && mkdir -p /app /data && chown lpsebot: /app /data
WORKDIR /app

USER lpsebot
VOLUME ["/data"]
# Migrate, then run; settings come from the environment (compose reads .env).
CMD ["sh", "-c", "python -m bot migrate && exec python -m bot run"]
