// The CoPost web client: talks only to the gateway's /v1 API.
"use strict";

const state = { token: sessionStorage.getItem("copost.token"), me: null, timelineCursor: null, stream: null };
const $ = (selector) => document.querySelector(selector);

async function api(method, path, body) {
  const headers = { "Content-Type": "application/json" };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(`/v1${path}`, { method, headers, body: body && JSON.stringify(body) });
  if (response.status === 204) return null;
  const payload = await response.json().catch(() => ({}));
  if (!response.ok) {
    if (response.status === 401 && state.token) signOut();
    throw new Error(payload.detail || payload.title || `HTTP ${response.status}`);
  }
  return payload;
}

function showError(error) { $("#error").textContent = error ? error.message : ""; }

function text(tag, content, className) {
  const node = document.createElement(tag);
  node.textContent = content;
  if (className) node.className = className;
  return node;
}

function when(iso) { return iso ? new Date(iso).toLocaleString() : ""; }

function renderPost(post) {
  const item = document.createElement("li");
  item.dataset.postId = post.id;
  const authors = [post.author, ...post.coauthors.filter((c) => c.status === "accepted").map((c) => c.user)];
  item.append(text("div", authors.map((u) => `${u.display_name} @${u.handle}`).join(" · "), "meta"));
  item.append(text("p", post.text));
  item.append(text("div", when(post.published_at || post.created_at), "meta"));
  return item;
}

async function loadTimeline(reset) {
  if (reset) { state.timelineCursor = null; $("#timeline").replaceChildren(); }
  const query = new URLSearchParams({ limit: "20" });
  if (state.timelineCursor) query.set("cursor", state.timelineCursor);
  const page = await api("GET", `/timeline?${query}`);
  page.items.forEach((post) => $("#timeline").append(renderPost(post)));
  state.timelineCursor = page.next_cursor;
  $("#more-timeline").hidden = !page.next_cursor;
}

// Timelines are eventually consistent: look again a few times until the post shows.
async function showOnTimeline(postId, attempts = 5) {
  await loadTimeline(true);
  const shown = [...$("#timeline").children].some((item) => item.dataset.postId === postId);
  if (!shown && attempts > 1) setTimeout(() => showOnTimeline(postId, attempts - 1).catch(showError), 500);
}

async function answer(invitation, verb) {
  try {
    await api("POST", `/invitations/${invitation.id}/${verb}`);
    await loadInvitations();
    if (verb === "accept") await showOnTimeline(invitation.post_id);
  } catch (error) { showError(error); }
}

async function loadInvitations() {
  const page = await api("GET", "/invitations?box=received&status=pending");
  const list = $("#invitations");
  list.replaceChildren();
  for (const invitation of page.items) {
    const item = text("li", `@${invitation.inviter.handle} invites you to co-author a post`);
    for (const verb of ["accept", "decline"]) {
      const button = text("button", verb, "small");
      button.onclick = () => answer(invitation, verb);
      item.append(" ", button);
    }
    list.append(item);
  }
  if (!page.items.length) list.append(text("li", "No pending invitations.", "meta"));
}

const NOTIFICATION_TEXT = {
  "invitation.received": "invited you to co-author a post",
  "invitation.accepted": "accepted your invitation",
  "invitation.declined": "declined your invitation",
  "invitation.expired": "did not answer your invitation in time",
  "coauthor.left": "left your post",
  "coauthor.removed": "removed you from a post",
  "post.published": "published a post you co-author",
  "post.deleted": "deleted a post you co-authored",
  "follower.new": "followed you",
};

function renderNotification(notification) {
  const actor = notification.actor ? `@${notification.actor.handle}` : "Someone";
  const item = text("li", `${actor} ${NOTIFICATION_TEXT[notification.type] || notification.type}`);
  if (!notification.read) item.classList.add("unread");
  item.append(text("div", when(notification.created_at), "meta"));
  return item;
}

async function loadNotifications() {
  const page = await api("GET", "/notifications?limit=30");
  $("#notifications").replaceChildren(...page.items.map(renderNotification));
  $("#unread").textContent = page.unread_count || "";
}

function openStream() {
  if (state.stream) state.stream.close();
  // EventSource cannot send headers: this one route accepts the token as a query parameter.
  state.stream = new EventSource(`/v1/notifications/stream?access_token=${encodeURIComponent(state.token)}`);
  state.stream.addEventListener("notification", (event) => {
    $("#notifications").prepend(renderNotification(JSON.parse(event.data)));
    const unread = Number($("#unread").textContent || 0) + 1;
    $("#unread").textContent = unread;
    const { type, post_id } = JSON.parse(event.data);
    if (type.startsWith("invitation.")) loadInvitations().catch(showError);
    if (["invitation.accepted", "post.published"].includes(type)) showOnTimeline(post_id).catch(showError);
    if (["post.deleted", "coauthor.removed"].includes(type)) loadTimeline(true).catch(showError);
  });
}

async function signIn(token) {
  state.token = token;
  sessionStorage.setItem("copost.token", token);
  state.me = await api("GET", "/me");
  $("#whoami").textContent = `${state.me.display_name} @${state.me.handle}`;
  $("#auth").hidden = true;
  $("#app").hidden = false;
  $("#logout").hidden = false;
  await Promise.all([loadTimeline(true), loadInvitations(), loadNotifications()]);
  openStream();
}

function signOut() {
  sessionStorage.removeItem("copost.token");
  if (state.stream) state.stream.close();
  Object.assign(state, { token: null, me: null, stream: null });
  $("#auth").hidden = false;
  $("#app").hidden = true;
  $("#logout").hidden = true;
  $("#whoami").textContent = "";
}

$("#auth-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const credentials = { handle: form.get("handle"), password: form.get("password") };
  try {
    if (event.submitter.value === "register") {
      await api("POST", "/users", { ...credentials, display_name: form.get("display_name") || credentials.handle });
    }
    const { access_token } = await api("POST", "/auth/token", credentials);
    await signIn(access_token);
    showError(null);
  } catch (error) { showError(error); }
});

$("#compose").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const coauthors = String(form.get("coauthors")).split(",").map((h) => h.trim()).filter(Boolean);
  try {
    const post = await api("POST", "/posts", { text: form.get("text"), coauthors, publish_mode: form.get("publish_mode") });
    event.target.reset();
    showError(null);
    if (post.status === "published") await showOnTimeline(post.id);
  } catch (error) { showError(error); }
});

$("#follow").addEventListener("submit", async (event) => {
  event.preventDefault();
  const handle = new FormData(event.target).get("handle").trim();
  try { await api("PUT", `/users/${encodeURIComponent(handle)}/follow`); event.target.reset(); showError(null); }
  catch (error) { showError(error); }
});

$("#more-timeline").onclick = () => loadTimeline(false).catch(showError);
$("#refresh-timeline").onclick = () => loadTimeline(true).catch(showError);
$("#refresh-invitations").onclick = () => loadInvitations().catch(showError);
$("#read-all").onclick = () => api("POST", "/notifications/read", { all: true }).then(loadNotifications).catch(showError);
$("#logout").onclick = signOut;

if (state.token) signIn(state.token).catch(() => signOut());
