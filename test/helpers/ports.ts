// A TCP port free on 127.0.0.1 right now (for a child process that needs a fixed port).
export { freePort } from '../../scripts/postgres-server.mjs';
