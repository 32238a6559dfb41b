-- A Cairn log on PostgreSQL (src/storage/postgres.ts). Applied once per schema, recorded in
-- migrations. Every row of a batch is written in ONE transaction that first moves the head.

-- The log's identity, bound at creation: a node started with another origin or key is refused.
CREATE TABLE identity (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  origin text NOT NULL,
  public_key text NOT NULL,
  tree_id text NOT NULL
);

-- The tree head: the committed size and the sequencer's epoch. Every commit is a compare-and-swap
-- on (size, epoch): a node whose epoch is stale (it lost the lead) stores nothing.
CREATE TABLE head (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  size bigint NOT NULL,
  epoch bigint NOT NULL
);
INSERT INTO head (size, epoch) VALUES (0, 0);

CREATE TABLE entries (
  idx bigint PRIMARY KEY,
  -- Dedup by leaf hash: the log never gives one leaf two indexes, whatever a node believes.
  leaf_hash bytea NOT NULL UNIQUE,
  body bytea NOT NULL,
  kind text NOT NULL,
  integrated_time bigint NOT NULL,
  entry_ts bytea
);

-- Search: entries carrying a key, ascending index (the primary key is the index that serves it).
CREATE TABLE search_keys (
  key text NOT NULL,
  idx bigint NOT NULL,
  PRIMARY KEY (key, idx)
);

CREATE TABLE tiles (
  level integer NOT NULL,
  idx bigint NOT NULL,
  hashes bytea NOT NULL,
  PRIMARY KEY (level, idx)
);

-- One checkpoint per size: the primary key refuses a second root for a signed size.
CREATE TABLE checkpoints (
  size bigint PRIMARY KEY,
  root_hash bytea NOT NULL,
  signed_at bigint NOT NULL,
  c2sp text NOT NULL,
  rekor text NOT NULL
);

CREATE TABLE cosignatures (
  witness text PRIMARY KEY,
  size bigint NOT NULL,
  checkpoint text NOT NULL,
  lines text NOT NULL
);
