// nextmini controller schema, version 1. Applied by ../migrations.ts in one transaction, on
// PGlite and on PostgreSQL alike (nextmini_meta, which holds the version, is made by the
// migrator itself). Kept as a TypeScript string so that the bundler ships it.
export const sql = `
CREATE TABLE nodes (
  node_id      bigint PRIMARY KEY,
  protocol     text NOT NULL,
  data_host    text NOT NULL,
  data_port    integer NOT NULL,
  connected    boolean NOT NULL,
  last_seen    timestamptz NOT NULL
);

-- Link emulation set at run time (setLink); the config's [link_defaults] and [[links]] are the
-- base underneath. params holds the config keys (rate, delay_ms, loss, ...).
CREATE TABLE links (
  src_node_id  bigint NOT NULL,
  dst_node_id  bigint NOT NULL,
  params       jsonb NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (src_node_id, dst_node_id)
);

-- Run-time unicast routes; they override shortest paths and [[routes]] for (src, dst).
-- route is a path [1, 2, 3] or DAG edges [[1, 2], [2, 3]].
CREATE TABLE routes (
  src_node_id  bigint NOT NULL,
  dst_node_id  bigint NOT NULL,
  route        jsonb NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (src_node_id, dst_node_id)
);

CREATE TABLE groups (
  group_id     bigint PRIMARY KEY,
  group_ip     inet NOT NULL UNIQUE,
  src_node_id  bigint NOT NULL,
  label        text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE group_members (
  group_id     bigint NOT NULL REFERENCES groups (group_id) ON DELETE CASCADE,
  node_id      bigint NOT NULL,
  PRIMARY KEY (group_id, node_id)
);

CREATE TABLE group_trees (
  group_id     bigint NOT NULL REFERENCES groups (group_id) ON DELETE CASCADE,
  tree_id      integer NOT NULL,
  weight       bigint NOT NULL,
  edges        jsonb NOT NULL,
  PRIMARY KEY (group_id, tree_id)
);

-- Samples reported by the nodes. id orders samples with the same time as they were inserted.
CREATE TABLE metrics (
  id           bigint GENERATED ALWAYS AS IDENTITY,
  at           timestamptz NOT NULL,
  node_id      bigint NOT NULL,
  name         text NOT NULL,
  neighbor     bigint,
  value        double precision NOT NULL
);
CREATE INDEX metrics_at ON metrics (at);
CREATE INDEX metrics_node_name_at ON metrics (node_id, name, at);

-- Any change to routes, by the controller or by another client (psql), wakes the controller.
CREATE FUNCTION nextmini_routes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('nextmini_routes', lower(TG_OP));
  RETURN NULL;
END $$;
CREATE TRIGGER routes_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON routes
  FOR EACH STATEMENT EXECUTE FUNCTION nextmini_routes_notify();
`;
