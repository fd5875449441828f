// Runs once, when the MongoDB volume is first initialised (MONGO_INITDB_ROOT_* set):
// one user per service, allowed only its own database. Development passwords only.
for (const service of ["users", "posts", "invitations", "timeline", "notifications", "media", "federation"]) {
  db.getSiblingDB(`copost_${service}`).createUser({
    user: service,
    pwd: `copost-dev-${service}`,
    roles: [{ role: "readWrite", db: `copost_${service}` }],
  });
}
