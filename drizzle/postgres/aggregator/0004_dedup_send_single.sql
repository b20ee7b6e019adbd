-- dedup_send (0003 says why it is a function) with a path of its own for a batch of one, the common send: scalar
-- statements instead of unnest and array_agg, measured at about 0.5 ms against 0.8 ms a send (docs/benchmarks.md).
-- Both paths re-check job_done in a DELETE ... RETURNING, a statement of its own and so a new snapshot, which sees
-- a completion of the key that committed while the insert waited on it.
CREATE OR REPLACE FUNCTION "aggregator"."dedup_send"(
	p_ns_ids integer[], p_keys bytea[], p_bodies bytea[], p_created_s bigint, p_avail_s bigint, p_dedupe boolean
) RETURNS TABLE (id integer, ns_id integer, key bytea) LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
	new_id integer;
	ids integer[];
	ns_ids integer[];
	keys bytea[];
	withdrawn integer[];
BEGIN
	IF cardinality(p_keys) = 1 THEN
		INSERT INTO "aggregator"."jobs" AS j (ns_id, key, body, created_s, avail_s)
		SELECT p_ns_ids[1], p_keys[1], p_bodies[1], p_created_s, p_avail_s
		WHERE NOT (p_dedupe AND EXISTS (SELECT 1 FROM "aggregator"."job_done" d WHERE d.ns_id = p_ns_ids[1] AND d.key = p_keys[1]))
		ON CONFLICT (ns_id, key) DO NOTHING
		RETURNING j.id INTO new_id;
		IF new_id IS NULL THEN
			RETURN;
		END IF;
		IF p_dedupe THEN
			DELETE FROM "aggregator"."jobs" j WHERE j.id = new_id
				AND EXISTS (SELECT 1 FROM "aggregator"."job_done" d WHERE d.ns_id = p_ns_ids[1] AND d.key = p_keys[1]);
			IF FOUND THEN
				RETURN;
			END IF;
		END IF;
		id := new_id;
		ns_id := p_ns_ids[1];
		key := p_keys[1];
		RETURN NEXT;
		RETURN;
	END IF;

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
		WITH gone AS (
			DELETE FROM "aggregator"."jobs" j WHERE j.id = ANY(ids)
				AND EXISTS (SELECT 1 FROM "aggregator"."job_done" d WHERE d.ns_id = j.ns_id AND d.key = j.key)
			RETURNING j.id
		)
		SELECT array_agg(gone.id) INTO withdrawn FROM gone;
	END IF;
	RETURN QUERY SELECT i.id, i.ns_id, i.key FROM unnest(ids, ns_ids, keys) AS i(id, ns_id, key)
		WHERE withdrawn IS NULL OR i.id <> ALL(withdrawn);
END;
$$;
