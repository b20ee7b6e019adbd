-- The dedup send, as one function so that it is one round trip and still sees completions that commit while it runs.
-- An insert's NOT EXISTS (job_done) reads the snapshot its statement began with. A send racing the completion (or
-- blocking dead letter) of its key waits for that transaction on the jobs unique index, finds the job row gone and
-- goes in. In a VOLATILE function each statement takes a new snapshot (READ COMMITTED), so the re-check after the
-- insert sees the completion's job_done row, and the job is withdrawn before the caller's statement commits.
-- Rows go in by (ns_id, key), so batches that share keys take their index entries in one order and cannot deadlock
-- each other; ids are drawn in the batch's order first, since claims take a second's jobs by id.
CREATE FUNCTION "aggregator"."dedup_send"(
	p_ns_ids integer[], p_keys bytea[], p_bodies bytea[], p_created_s bigint, p_avail_s bigint, p_dedupe boolean
) RETURNS TABLE (id integer, ns_id integer, key bytea) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
	ids integer[];
	ns_ids integer[];
	keys bytea[];
	withdrawn integer[];
BEGIN
	WITH m AS (
		SELECT m.*, nextval('"aggregator"."jobs_id_seq"') AS id
		FROM unnest(p_ns_ids, p_keys, p_bodies) WITH ORDINALITY AS m(ns_id, key, body, ord)
		ORDER BY m.ord
	), ins AS (
		INSERT INTO "aggregator"."jobs" AS j (id, ns_id, key, body, created_s, avail_s)
		SELECT m.id, m.ns_id, m.key, m.body, p_created_s, p_avail_s FROM m
		WHERE NOT (p_dedupe AND EXISTS (SELECT 1 FROM "aggregator"."job_done" d WHERE d.ns_id = m.ns_id AND d.key = m.key))
		ORDER BY m.ns_id, m.key, m.ord
		ON CONFLICT (ns_id, key) DO NOTHING
		RETURNING j.id, j.ns_id, j.key
	)
	SELECT array_agg(ins.id), array_agg(ins.ns_id), array_agg(ins.key) INTO ids, ns_ids, keys FROM ins;
	IF ids IS NULL THEN
		RETURN;
	END IF;
	IF p_dedupe THEN
		SELECT array_agg(i.id) INTO withdrawn FROM unnest(ids, ns_ids, keys) AS i(id, ns_id, key)
		WHERE EXISTS (SELECT 1 FROM "aggregator"."job_done" d WHERE d.ns_id = i.ns_id AND d.key = i.key);
		IF withdrawn IS NOT NULL THEN
			DELETE FROM "aggregator"."jobs" WHERE id = ANY(withdrawn);
		END IF;
	END IF;
	RETURN QUERY SELECT i.id, i.ns_id, i.key FROM unnest(ids, ns_ids, keys) AS i(id, ns_id, key)
		WHERE withdrawn IS NULL OR i.id <> ALL(withdrawn);
END;
$$;
