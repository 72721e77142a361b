# The shop under drill. The release is baked in (APP_VERSION) and is the image
# tag, so rolling back means deploying the previous tag.
#   docker build -f docker/shop.Dockerfile --build-arg VERSION=1.1.0 -t chaosdrill/shop:1.1.0 .
FROM python:3.11-slim
ARG VERSION=1.0.0
ENV APP_VERSION=${VERSION} PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN pip install "fastapi>=0.115" "uvicorn[standard]>=0.30" "sqlalchemy>=2.0" \
    "psycopg[binary]>=3.1" "prometheus-client>=0.20" "faker>=25" "httpx>=0.27" \
    "pydantic>=2.7" "pydantic-settings>=2.3"
COPY target_app /app/target_app
RUN mkdir -p /data
VOLUME /data
EXPOSE 8000
CMD ["python", "-m", "target_app", "--host", "0.0.0.0", "--port", "8000"]
