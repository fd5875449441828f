// An ActivityPub server built on Fedify (written by others, not by CoPost), the independent
// peer of the federation tests (fedify_server.py starts it). One actor, `peer`; Fedify
// verifies every request to its inboxes. It listens on a free loopback port and prints one
// JSON line per event to stdout: {"event": "listening", "url", "control"}, then "accept",
// "create" and "update" as its inbox takes them. The test drives it at `control` through
// POST /_test/follow, /_test/interact and /_test/status; each answers what it did or
// {"error"}.
// By default it serves plain HTTP under its loopback address. Given PEER_NAME, PEER_CERT and
// PEER_KEY it serves HTTPS as https://PEER_NAME instead, and PEER_HOSTS (a JSON object,
// {"a.copost.test": "127.0.0.1:20400"}) sends its requests for those names to their loopback
// addresses, TLS still checked against the name (NODE_EXTRA_CA_CERTS trusts the run's root).
// Fedify 1.6 and later need Node.js 22; package.json pins the 1.5 line (still patched), which
// runs on Node.js 20, Debian 13's.
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import { Agent, buildConnector, setGlobalDispatcher } from "undici";
import {
  Accept,
  Create,
  Endpoints,
  Follow,
  Like,
  Note,
  Person,
  Update,
  createFederation,
  generateCryptoKeyPair,
  getDocumentLoader,
  isActor,
  lookupWebFinger,
  MemoryKvStore,
  PUBLIC_COLLECTION,
} from "@fedify/fedify";

const { PEER_NAME, PEER_CERT, PEER_KEY, PEER_HOSTS } = process.env;
const fixedAddresses = JSON.parse(PEER_HOSTS ?? "{}");
if (Object.keys(fixedAddresses).length > 0) {
  // What /etc/hosts would do, with ports: the connection goes to the name's fixed address.
  const connect = buildConnector({});
  setGlobalDispatcher(
    new Agent({
      connect: (options, callback) => {
        const address = fixedAddresses[options.hostname];
        if (!address) return connect(options, callback);
        const [host, port] = address.split(":");
        return connect({ ...options, hostname: host, port, servername: options.hostname }, callback);
      },
    }),
  );
}

const keys = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
const federation = createFederation({
  kv: new MemoryKvStore(),
  allowPrivateAddress: true,
  // Every document fresh from its server (Fedify caches them for five minutes by default):
  // after an Update the Note and its stamps are read again as they are now.
  documentLoaderFactory: () => getDocumentLoader({ allowPrivateAddress: true }),
});
const say = (event) => process.stdout.write(JSON.stringify(event) + "\n");

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== "peer") return null;
    const [pair] = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: pair.cryptographicKey,
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => (identifier === "peer" ? [keys] : []));

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, async (_ctx, accept) => {
    say({ event: "accept", actor: accept.actorId?.href, object: accept.objectId?.href });
  })
  .on(Create, async (ctx, create) => {
    const note = await create.getObject();
    if (!(note instanceof Note)) return;
    say({ event: "create", actor: create.actorId?.href, ...(await checkedStamps(ctx, note)) });
  })
  .on(Update, async (ctx, update) => {
    const note = await update.getObject();
    if (!(note instanceof Note)) return;
    say({ event: "update", actor: update.actorId?.href, ...(await checkedStamps(ctx, note)) });
  });

// The Note as its server serves it (Fedify's Note keeps no term it does not know, such as
// CoPost's coauthorAuthorization), then each consent stamp it links to, checked as
// docs/federation.md tells a receiver to: the stamp is at the link, on the co-author's
// server, attributed to one of the Note's co-authors, about this Note.
async function checkedStamps(ctx, note) {
  const { document: served } = await ctx.documentLoader(note.id.href);
  const credited = [served.attributedTo].flat();
  const stamps = [];
  for (const link of [served.coauthorAuthorization ?? []].flat()) {
    const { document: stamp } = await ctx.documentLoader(link);
    const coauthor = stamp.attributedTo;
    stamps.push({
      id: link,
      coauthor,
      valid:
        stamp.type === "CoauthorAuthorization" &&
        stamp.id === link &&
        credited.slice(1).includes(coauthor) &&
        new URL(link).host === new URL(coauthor).host &&
        stamp.interactingObject === note.id.href,
    });
  }
  return { note: note.id.href, attributedTo: credited, stamps };
}

async function follow(ctx, { actor }) {
  // Fedify looks acct: URIs up over HTTPS only; the actor URL is a WebFinger resource too.
  const jrd = await lookupWebFinger(actor, { allowPrivateAddress: true });
  const self = jrd?.links?.find((link) => link.rel === "self")?.href;
  const followed = self && (await ctx.lookupObject(self));
  if (!isActor(followed)) return { error: `WebFinger found no actor for ${actor}` };
  const id = new URL(`/follows/${crypto.randomUUID()}`, ctx.origin);
  await ctx.sendActivity(
    { identifier: "peer" },
    followed,
    new Follow({ id, actor: ctx.getActorUri("peer"), object: followed.id }),
    { immediate: true },
  );
  return { follow: id.href, followed: followed.id.href };
}

async function interact(ctx, { note }) {
  const original = await ctx.lookupObject(note);
  if (!(original instanceof Note)) return { error: `${note} is not a Note` };
  const author = await original.getAttribution();
  const me = ctx.getActorUri("peer");
  const replyId = new URL(`/notes/${crypto.randomUUID()}`, ctx.origin);
  // Public, as a reply anyone may read (CoPost takes no private message as a reply).
  const reply = new Create({
    id: new URL(`/creates/${crypto.randomUUID()}`, ctx.origin),
    actor: me,
    to: PUBLIC_COLLECTION,
    object: new Note({
      id: replyId,
      attribution: me,
      replyTarget: original.id,
      to: PUBLIC_COLLECTION,
      content: "Nice!",
    }),
  });
  const like = new Like({ id: new URL(`/likes/${crypto.randomUUID()}`, ctx.origin), actor: me, object: original.id });
  for (const activity of [reply, like]) {
    await ctx.sendActivity({ identifier: "peer" }, author, activity, { immediate: true });
  }
  return { reply: reply.id.href, like: like.id.href, to: author.id.href };
}

// What a URL answers now (a stamp withdrawn answers 410 Gone).
async function status(_ctx, { url }) {
  const answer = await fetch(url, { headers: { accept: "application/activity+json" } });
  return { url, status: answer.status };
}

const controls = { "/_test/follow": follow, "/_test/interact": interact, "/_test/status": status };

async function serve(incoming, outgoing) {
  const origin = PEER_NAME ? `https://${PEER_NAME}` : `http://${incoming.headers.host}`;
  const url = new URL(incoming.url, origin);
  const chunks = [];
  for await (const chunk of incoming) chunks.push(chunk);
  const hasBody = !["GET", "HEAD"].includes(incoming.method);
  const request = new Request(url, {
    method: incoming.method,
    headers: incoming.headers,
    body: hasBody ? Buffer.concat(chunks) : undefined,
  });
  let response;
  const control = controls[url.pathname];
  if (control) {
    try {
      const ctx = federation.createContext(new URL(origin), undefined);
      response = Response.json(await control(ctx, await request.json()));
    } catch (error) {
      response = Response.json({ error: String(error?.stack ?? error) });
    }
  } else {
    response = await federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response("Not found", { status: 404 }),
      onNotAcceptable: () => new Response("Not acceptable", { status: 406 }),
    });
  }
  outgoing.writeHead(response.status, Object.fromEntries(response.headers));
  outgoing.end(Buffer.from(await response.arrayBuffer()));
}

const server = PEER_NAME
  ? https.createServer({ cert: fs.readFileSync(PEER_CERT), key: fs.readFileSync(PEER_KEY) }, serve)
  : http.createServer(serve);

server.listen(0, "127.0.0.1", () => {
  const scheme = PEER_NAME ? "https" : "http";
  const control = `${scheme}://127.0.0.1:${server.address().port}`;
  say({ event: "listening", url: PEER_NAME ? `https://${PEER_NAME}` : control, control });
});
