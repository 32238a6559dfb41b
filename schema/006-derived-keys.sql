-- Search keys an entry's body gives back are no longer stored (issue 16, "store less"): a
-- hashedrekord entry admitted since this version has no entry_keys row, and every reader derives
-- its keys from the body instead (src/storage/entry-keys.ts). The rows of entries stored before,
-- where they equal what the body derives, are deleted by this version's step in
-- src/storage/db.ts (dropDerivableKeys): JavaScript, as SQL cannot parse a certificate. A Cairn
-- older than this one refuses the file (user_version), as it would miss those entries' keys.
SELECT 1;
