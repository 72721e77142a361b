# The stub payment provider (primary and backup are two containers of it).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN pip install "fastapi>=0.115" "uvicorn[standard]>=0.30" "pydantic>=2.7" \
    "pydantic-settings>=2.3" "sqlalchemy>=2.0" "prometheus-client>=0.20" "httpx>=0.27" "faker>=25"
COPY target_app /app/target_app
EXPOSE 8000
CMD ["python", "-m", "target_app.payment_provider", "--host", "0.0.0.0", "--port", "8000"]
