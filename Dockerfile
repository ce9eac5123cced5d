# The Airflow image of the PAR warehouse: Airflow 3.3.2 on Python 3.11 plus the project's pins.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:root requirements.lock pyproject.toml /opt/par-warehouse/
RUN pip install --no-cache-dir -r /opt/par-warehouse/requirements.lock
COPY --chown=airflow:root ingest /opt/par-warehouse/ingest
COPY --chown=airflow:root expectations /opt/par-warehouse/expectations
COPY --chown=airflow:root dbt_project /opt/par-warehouse/dbt_project
COPY --chown=airflow:root dags /opt/par-warehouse/dags
RUN pip install --no-cache-dir --no-deps -e /opt/par-warehouse
# The manifest the cosmos task group renders from, in the image (dbt parse needs no database).
RUN PARWH_DB_HOST=unused PARWH_DB_USER=unused PARWH_DB_NAME=unused DBT_SEND_ANONYMOUS_USAGE_STATS=false \
    dbt parse --project-dir /opt/par-warehouse/dbt_project --profiles-dir /opt/par-warehouse/dbt_project \
    && mkdir -p /opt/airflow/auth
ENV PARWH_HOME=/opt/par-warehouse AIRFLOW__CORE__DAGS_FOLDER=/opt/par-warehouse/dags
