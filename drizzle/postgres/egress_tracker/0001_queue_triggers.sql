-- Piri's updated-timestamp trigger, with the function in the store's own schema and every name qualified,
-- so it never depends on search_path.
CREATE FUNCTION "egress_tracker"."jobqueue_update_timestamp"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.updated = NOW();
	RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER "jobqueue_updated_timestamp" BEFORE UPDATE ON "egress_tracker"."jobqueue"
	FOR EACH ROW EXECUTE FUNCTION "egress_tracker"."jobqueue_update_timestamp"();
