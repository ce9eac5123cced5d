# The Airflow image of the PAR warehouse: Airflow 3.3.2 on Python 3.11 plus the project's pins.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:root requirements.lock pyproject.toml /opt/par-warehouse/
RUN pip install --no-cache-dir -r /opt/par-warehouse/requirements.lock
COPY --chown=airflow:root ingest /opt/par-warehouse/ingest
COPY --chown=airflow:root expectations /opt/par-warehouse/expectations
COPY --chown=airflow:root dbt_project /opt/par-warehouse/dbt_project
COPY --chown=airflow:root dags /opt/par-warehouse/dags
RUN pip install --no-cache-dir --no-deps -e /opt/par-warehouse
ENV PARWH_HOME=/opt/par-warehouse AIRFLOW__CORE__DAGS_FOLDER=/opt/par-warehouse/dags
