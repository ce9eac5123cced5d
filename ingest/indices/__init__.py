"""Index publications (DOMAIN.md §2): PCI, PAPI, the 766 dashboard and the long CSV template.

Each reader turns one published file into `Edition`s of long `Score` rows with every province
resolved; `ingest.indices.publish.publish_file` lands a file as one load (raw.index_scores,
audit.loads, audit.index_editions) and `ingest.indices.checks.check_load` validates it.
"""
