FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md LICENSE scrapy.cfg ./
COPY crawler crawler
COPY extractors extractors
COPY pipeline pipeline
COPY db db
COPY review review
COPY config config
RUN pip install --no-cache-dir -e .
ENTRYPOINT ["offermap"]
CMD ["--help"]
