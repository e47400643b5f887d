// nextmini controller schema, version 3: traffic flows (README "Traffic flows"). One row per
// flow, its spec as JSON (src, dst, bytes or durationMs, rate, weight, transport) and its
// results as columns, so that a human can query them; updated as the flow runs and ends.
export const sql = `
CREATE TABLE flows (
  flow_id          bigint PRIMARY KEY,
  src_node_id      bigint NOT NULL,
  dst_node_id      bigint NOT NULL,
  spec             jsonb NOT NULL,
  state            text NOT NULL,
  reason           text NOT NULL DEFAULT '',
  bytes_sent       double precision NOT NULL DEFAULT 0,
  bytes_received   double precision NOT NULL DEFAULT 0,
  packets_sent     double precision NOT NULL DEFAULT 0,
  packets_received double precision NOT NULL DEFAULT 0,
  duplicates       double precision NOT NULL DEFAULT 0,
  frames_resent    double precision NOT NULL DEFAULT 0,
  loss             double precision,
  started_at_ms    double precision,
  ended_at_ms      double precision,
  duration_ms      double precision,
  completion_ms    double precision,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
`;
