# chaosdrill itself: the console, the CLI and Locust (master and workers).
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md playbook.yaml /app/
COPY simulator /app/simulator
COPY scoring /app/scoring
COPY target_app /app/target_app
COPY scenarios /app/scenarios
RUN pip install /app
EXPOSE 8080 8089
CMD ["chaosdrill", "--help"]
