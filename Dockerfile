FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# collectstatic needs settings but no secrets or database.
RUN SECRET_KEY=build-only DEBUG=false python manage.py collectstatic --noinput
RUN useradd --create-home carousel && mkdir -p /app/var && chown -R carousel /app/var
USER carousel
EXPOSE 8000
CMD ["gunicorn", "carousel.wsgi", "--config", "gunicorn.conf.py"]
