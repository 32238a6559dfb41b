-- Rekor's signed entry timestamp (SET) of an entry, signed when its batch was integrated: the
-- signed fields never change, so reads serve it as stored instead of signing again per request.
-- NULL for entries appended without one (before this version, or not through the Rekor API);
-- those are signed when read.
ALTER TABLE entries ADD COLUMN entry_ts BLOB;
