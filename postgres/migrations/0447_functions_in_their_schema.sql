-- The store's functions read and write the tables of the schema they were created in,
-- whatever the search_path of the statement that fires or calls them. They named their
-- tables unqualified, so where nodes share a database in schemas of their own, a message
-- inserted under another node's search_path (an operator's psql, a script) logged its
-- change in that other node's change log, and this node's matcher never heard of the
-- arrival; urgency likewise read the other node's deliveries. The access version's
-- function already writes in the schema of the table written (0451). Each function now
-- runs with its own schema as search_path: about a microsecond per call, measured.
DO $$
DECLARE
	f TEXT;
BEGIN
	FOREACH f IN ARRAY ARRAY['forewarn_record_change', 'forewarn_record_inserted_messages', 'forewarn_message_urgency',
		'forewarn_message_urgency_before', 'forewarn_urgency_of', 'forewarn_record_receipts', 'forewarn_matched_changes'] LOOP
		EXECUTE format('ALTER FUNCTION %I.%I SET search_path = %I', current_schema(), f, current_schema());
	END LOOP;
END $$;
