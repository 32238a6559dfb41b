-- The shared submission queue (contract.ts SharedQueue): entries a node admitted (parsed and
-- verified) wait here for the sequencer, whichever node leads. A batch's commit deletes the rows
-- of the leaves it stores in the same transaction, so a queued entry is integrated once or not
-- at all, whatever node dies when.
CREATE TABLE queue (
  -- Arrival order: the sequencer integrates oldest first.
  seq bigserial PRIMARY KEY,
  -- One row per leaf: a second upload of a queued leaf waits for the first (then 409).
  leaf_hash bytea NOT NULL UNIQUE,
  body bytea NOT NULL,
  kind text NOT NULL,
  keys text[] NOT NULL,
  sign_ts boolean NOT NULL,
  -- Unix milliseconds, for the queue's age on /metrics.
  queued_at bigint NOT NULL
);
