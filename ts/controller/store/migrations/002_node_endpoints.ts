// nextmini controller schema, version 2: a node may speak several transports (issue 13), so
// the nodes table keeps every endpoint it announced, as JSON [{protocol, host, port}]. The
// version-1 columns stay, filled with the node's first socket endpoint (or its first one) so
// that a human reading the table sees an address; rows from version 1 get their one endpoint.
export const sql = `
ALTER TABLE nodes ADD COLUMN endpoints jsonb NOT NULL DEFAULT '[]'::jsonb;
UPDATE nodes SET endpoints = jsonb_build_array(jsonb_build_object('protocol', protocol, 'host', data_host, 'port', data_port));
`;
