FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir --upgrade pip
COPY . .
RUN pip install --no-cache-dir . && useradd --create-home app && chown -R app /app
USER app
EXPOSE 8000
CMD ["gunicorn", "integration.wsgi", "--bind", "0.0.0.0:8000"]
