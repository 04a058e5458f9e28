-- V3__fold_eav_into_json.sql: HAND-WRITTEN data migration. No YAML can express it, so it is not
-- in migrations/state.json; `schema migrate` applies and checksums it like any other file, and
-- `schema generate` numbers the next generated migration after it. It changes data only: the
-- shape of the tables stays what the YAML declares.

-- 1. Fold the Entity-Attribute-Value rows into the JSON column V2 added. For a key stored
--    twice the later row (higher id) wins; a key already in the JSON column (written by the
--    processing layer since V2) wins over the legacy row. Interactions without EAV rows keep
--    what they have. Re-running gives the same result.
UPDATE telemetry.llm_interactions AS i
SET attributes = a.folded || i.attributes
FROM (
    SELECT llm_interaction_id, jsonb_object_agg(key, value ORDER BY id) AS folded
    FROM telemetry.llm_interaction_attributes
    GROUP BY llm_interaction_id
) AS a
WHERE a.llm_interaction_id = i.id;

-- 2. Events older clients sent without a timestamp: the ingestion time is the best bound.
UPDATE telemetry.events
SET "timestamp" = created_at
WHERE "timestamp" IS NULL;

-- 3. Interactions without a timestamp: their event's (complete after step 2).
UPDATE telemetry.llm_interactions AS i
SET "timestamp" = e."timestamp"
FROM telemetry.events AS e
WHERE e.id = i.event_id
  AND i."timestamp" IS NULL;
