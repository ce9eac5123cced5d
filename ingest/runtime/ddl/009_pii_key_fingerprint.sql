-- The fingerprint of the personal-data key each load hashed with (ingest.pii.key_fingerprint: an
-- HMAC of a fixed text, not the key). A load whose key differs from the previous load's says so in
-- its notes, and `parwh status` names every key in use: the same person hashed with two keys has
-- two unrelated hashes.
alter table audit.loads add column if not exists pii_key_fingerprint text;
comment on column audit.loads.pii_key_fingerprint is
    'fingerprint of the personal-data key this load hashed with (ingest.pii.key_fingerprint); null before migration 009 and for index publications';
