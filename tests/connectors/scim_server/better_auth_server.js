// A second, independent SCIM 2.0 server for tenure's scim connector tests: Better Auth's SCIM
// plugin (@better-auth/scim) on Better Auth with its in-memory database adapter, served by
// node:http on 127.0.0.1 only. Unlike scimmy it is an "eq-only" provider: it accepts only
// `attribute eq "value"` filters (400 invalidFilter for `members[value eq "x"]`, and/or, ...),
// its Users have no `groups` attribute, and it caps pages at 100 resources. Everything is lost
// when it stops.
//
// Usage: node better_auth_server.js [--port N] [--token T] [--port-file F]
//   --port 0 (default) picks a free port; it is printed as "listening PORT" and, with
//   --port-file, written to F once the server accepts connections. SCIM base URL:
//   http://127.0.0.1:PORT/api/auth/scim/v2
import http from "node:http";
import fs from "node:fs";
import crypto from "node:crypto";
import {betterAuth} from "better-auth";
import {memoryAdapter} from "better-auth/adapters/memory";
import {getAuthTables} from "better-auth/db";
import {toNodeHandler} from "better-auth/node";
import {scim} from "@better-auth/scim";

function parseArgs(argv) {
  const opts = {port: 0, token: "scim-test-token", portFile: ""};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--port") opts.port = Number(argv[++i]);
    else if (argv[i] === "--token") opts.token = argv[++i];
    else if (argv[i] === "--port-file") opts.portFile = argv[++i];
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
let handler = null;  // set once the port (part of Better Auth's baseURL) is known
const server = http.createServer((req, res) => {
  if (handler === null) {
    res.statusCode = 503;
    res.end();
    return;
  }
  handler(req, res);
});

server.listen(opts.port, "127.0.0.1", () => {
  const port = server.address().port;
  const options = {
    baseURL: `http://127.0.0.1:${port}`,
    secret: crypto.randomBytes(32).toString("hex"),
    telemetry: {enabled: false},
    plugins: [scim({connections: [{id: "tenure-tests", credentials: [{type: "bearer", id: "tests", token: opts.token}]}]})],
  };
  // The memory adapter needs every table the plugins declare, present and empty.
  const db = {};
  for (const table of Object.values(getAuthTables(options))) db[table.modelName] = [];
  handler = toNodeHandler(betterAuth({...options, database: memoryAdapter(db)}));
  if (opts.portFile) {
    fs.writeFileSync(`${opts.portFile}.tmp`, `${port}\n`);
    fs.renameSync(`${opts.portFile}.tmp`, opts.portFile);
  }
  console.log(`listening ${port}`);
});
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
