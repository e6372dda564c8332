// A real SCIM 2.0 server for tenure's scim connector tests: scimmy (resources, filters, PATCH,
// pagination, error schema) behind scimmy-routers (the RFC 7644 HTTP endpoints) on express.
// Users and Groups live in memory; listens on 127.0.0.1 only.
//
// Usage: node server.js [--port N] [--token T] [--port-file F] [--no-patch]
//   --port 0 (default) picks a free port; the chosen port is printed as "listening PORT" and,
//   with --port-file, written to F once the server accepts connections.
//   Environment fallbacks: SCIM_PORT, SCIM_TOKEN. --no-patch advertises patch.supported=false.
import express from "express";
import fs from "node:fs";
import crypto from "node:crypto";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

function parseArgs(argv) {
  const opts = {port: Number(process.env.SCIM_PORT ?? 0), token: process.env.SCIM_TOKEN ?? "scim-test-token",
                portFile: "", patch: true};
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--port") opts.port = Number(argv[++i]);
    else if (argv[i] === "--token") opts.token = argv[++i];
    else if (argv[i] === "--port-file") opts.portFile = argv[++i];
    else if (argv[i] === "--no-patch") opts.patch = false;
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const users = new Map();   // id -> plain user object
const groups = new Map();  // id -> plain group object

const plain = (o) => JSON.parse(JSON.stringify(o));
const notFound = (kind, id) => new SCIMMY.Types.Error(404, null, `${kind} ${id} not found`);

// The user's groups, as real providers report them (read-only "groups" attribute).
function groupsOf(userId) {
  return [...groups.values()]
      .filter((g) => (g.members ?? []).some((m) => m.value === userId))
      .map((g) => ({value: g.id, display: g.displayName, type: "direct"}));
}

function egress(store, kind, decorate) {
  return (resource) => {
    if (resource.id) {
      const found = store.get(resource.id);
      if (!found) throw notFound(kind, resource.id);
      return [decorate(found)];
    }
    const all = [...store.values()].map(decorate);
    return resource.filter ? resource.filter.match(all) : all;
  };
}

function ingress(store, kind, uniqueKey) {
  return (resource, instance) => {
    const data = plain(instance);
    delete data.groups;
    const clash = [...store.values()].find((o) => o[uniqueKey] === data[uniqueKey] && o.id !== resource.id);
    if (clash) throw new SCIMMY.Types.Error(409, "uniqueness", `${uniqueKey} ${data[uniqueKey]} is already taken`);
    const now = new Date().toISOString();
    if (resource.id) {
      const old = store.get(resource.id);
      if (!old) throw notFound(kind, resource.id);
      const updated = {...data, id: resource.id, meta: {created: old.meta.created, lastModified: now}};
      store.set(resource.id, updated);
      return updated;
    }
    const id = crypto.randomUUID();
    const created = {...data, id, meta: {created: now, lastModified: now}};
    store.set(id, created);
    return created;
  };
}

function degress(store, kind) {
  return (resource) => {
    if (!store.delete(resource.id)) throw notFound(kind, resource.id);
    if (kind === "User") {
      for (const g of groups.values()) g.members = (g.members ?? []).filter((m) => m.value !== resource.id);
    }
  };
}

SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .egress(egress(users, "User", (u) => ({...u, groups: groupsOf(u.id)})))
    .ingress(ingress(users, "User", "userName"))
    .degress(degress(users, "User"));
SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .egress(egress(groups, "Group", (g) => g))
    .ingress(ingress(groups, "Group", "displayName"))
    .degress(degress(groups, "Group"));

const app = express();
app.use("/scim/v2", new SCIMMYRouters({
  type: "bearer",
  handler: (request) => {
    if (request.header("Authorization") !== `Bearer ${opts.token}`) throw new Error("Invalid bearer token");
    return "tenure-tests";
  },
}));
if (!opts.patch) SCIMMY.Config.set({patch: false});

// Test-only inspection: everything held, for assertions that bypass the connector.
app.get("/_state", (req, res) => {
  if (req.header("Authorization") !== `Bearer ${opts.token}`) return res.status(401).end();
  res.json({users: [...users.values()], groups: [...groups.values()]});
});

const server = app.listen(opts.port, "127.0.0.1", () => {
  const port = server.address().port;
  if (opts.portFile) {
    fs.writeFileSync(`${opts.portFile}.tmp`, `${port}\n`);
    fs.renameSync(`${opts.portFile}.tmp`, opts.portFile);
  }
  console.log(`listening ${port}`);
});
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();  // keep-alive clients would otherwise hold the close open
  });
}
