// The CoPost web client: plain JavaScript against the gateway's /v1 API (API.md), no build step.
//
// Each page is a view in VIEWS, picked by the URL's hash. A view builds its fixed parts once
// (forms keep what the user typed) and declares live sections: a loader and a drawing each.
// Every action, and every notification the live stream brings, reloads the live sections a few
// times over the next seconds (timelines are eventually consistent); a section is redrawn only
// when its data changed. A new capability is a new view, a new section or a new action button.
"use strict";

const session = { token: sessionStorage.getItem("copost.token"), me: null, stream: null, arrivalMessage: null, renewing: null };
let screen = { hash: null, sections: [], reloading: new Set() };
let settleTimers = [];
const SETTLE_DELAYS_MS = [500, 1200, 2500, 5000, 10000];
const STREAM_REOPEN_MS = 5000;
const SIGNED_IN = "copost.signedIn";

const $ = (selector) => document.querySelector(selector);

// ---------------------------------------------------------------- language

// One message catalogue: the English text is the key (and the English message); each other
// language maps it to its translation, `{name}` standing for a value. A missing translation
// shows the English one.
const LANGUAGES = { en: "English", fr: "Français" };
const TRANSLATIONS = { fr: MESSAGES_FR }; // messages.js, loaded before this script
const language = chosenLanguage();

function chosenLanguage() {
  const saved = localStorage.getItem("copost.language");
  if (saved in LANGUAGES) return saved;
  const preferred = (navigator.languages || [navigator.language]).map((tag) => tag.slice(0, 2).toLowerCase());
  return preferred.find((code) => code in LANGUAGES) || "en";
}

function t(text, values = {}) {
  const message = (TRANSLATIONS[language] && TRANSLATIONS[language][text]) || text;
  return message.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? values[name] : whole));
}

// The page's own markup (index.html) names its texts with data-i18n attributes.
function translateMarkup(root) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(status, problem) {
    const details = (problem.errors || []).map((e) => `${e.loc.slice(1).join(".") || "request"}: ${e.msg}`);
    const detail = [problem.detail, ...details].filter(Boolean).join(" ");
    super(problem.title ? `${problem.title}: ${detail}` : detail || t("The request failed (HTTP {status}).", { status }));
    this.status = status;
  }
}

async function fetchApi(method, path, body, accept) {
  const headers = { Accept: accept };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  try {
    return await fetch(`/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new Error(t("CoPost cannot be reached. Check your connection and try again."));
  }
}

// The answer to one request; a refusal is thrown as an error. A 401 (the access token has
// expired) renews the session once with the refresh cookie and sends the request again, so
// what the person was writing stays; only when that fails does the session end.
async function send(method, path, body, accept = "application/json") {
  let response = await fetchApi(method, path, body, accept);
  if (response.status === 401 && session.token && !path.startsWith("/auth/")) {
    if (await renewSession()) response = await fetchApi(method, path, body, accept);
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    if (response.status === 401 && session.token && !path.startsWith("/auth/")) throw sessionEnded();
    throw new ApiError(response.status, problem);
  }
  return response;
}

// The session could not be renewed (the refresh cookie expired or was revoked): back to the
// sign-in form, which says why (the screen that asked is gone, so it would tell no one).
// What was being written is kept (drafts).
function sessionEnded() {
  signOut();
  const ended = new Error(t("Your session has ended. Please sign in again."));
  showError(ended);
  return ended;
}

// A new access token from the refresh cookie (HttpOnly: this script never sees it). One
// renewal at a time: the cookie's token is spent by the first, and a second presenting it
// would end the session.
function renewSession() {
  session.renewing ||= fetch("/v1/auth/refresh", { method: "POST", headers: { Accept: "application/json" } })
    .then((response) => (response.ok ? response.json() : null))
    .then((answer) => {
      if (!answer) return false;
      session.token = answer.access_token;
      sessionStorage.setItem("copost.token", answer.access_token);
      return true;
    }, () => false)
    .finally(() => { session.renewing = null; });
  return session.renewing;
}

async function api(method, path, body) {
  const response = await send(method, path, body);
  if (response.status === 204) return null;
  return response.json().catch(() => ({}));
}

// Save a file the API answers (sent with the token, so not a plain link) under `filename`.
async function download(path, accept, filename) {
  const file = await (await send("GET", path, undefined, accept)).blob();
  const link = h("a", { href: URL.createObjectURL(file), download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
}

const enc = encodeURIComponent;

// ---------------------------------------------------------------- small DOM helpers

// h("a", {href: "#/"}, "Home"): attributes, `on<event>` handlers, `class`, then children.
function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "class") node.className = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
  return node;
}

// How long ago, in words ("5 min", "3 h", or the date); the exact time on hover. A minute's
// tick keeps the words true (relativeTimes).
function when(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  return h("time", { datetime: iso, title: at.toLocaleString(language) }, ago(at));
}

const RELATIVE_UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];

function ago(at) {
  const seconds = Math.round((at.getTime() - Date.now()) / 1000);
  if (Math.abs(seconds) < 45) return t("just now");
  const words = new Intl.RelativeTimeFormat(language, { numeric: "auto", style: "short" });
  const [unit, size] = RELATIVE_UNITS.find(([, length]) => Math.abs(seconds) >= length) || RELATIVE_UNITS.at(-1);
  return words.format(Math.round(seconds / size), unit);
}

function relativeTimes() {
  for (const time of document.querySelectorAll("time[datetime]")) time.textContent = ago(new Date(time.getAttribute("datetime")));
}

const PLURALS = { remix: "remixes", reply: "replies" };

// "1 follower", "3 followers": the catalogue has both forms of each noun counted.
function counted(count, noun) {
  return count === 1 ? t(`1 ${noun}`) : t(`{count} ${PLURALS[noun] || `${noun}s`}`, { count });
}

// A link to a user's profile: their picture (unless `face` is false), name and handle.
function userLink(user, face = true) {
  if (!user) return h("span", {}, t("someone"));
  return h("a", { href: `#/users/${enc(user.handle)}`, class: "user" }, face && avatar(user), `${user.display_name} `, h("span", { class: "handle" }, `@${user.handle}`));
}

// Links, @mentions (to the profile) and #tags (to the tag's page) in a post's text.
const RICH_TEXT = /(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'])|(^|[^\w@])@(\w{3,30})|(^|[^\w#&])#(\w{1,50})/gu;

function richText(text) {
  const parts = [];
  let last = 0;
  for (const match of text.matchAll(RICH_TEXT)) {
    const [whole, url, beforeMention, handle, beforeTag, tag] = match;
    const lead = beforeMention || beforeTag || "";
    parts.push(text.slice(last, match.index) + lead);
    if (url) parts.push(h("a", { href: url, rel: "noopener noreferrer nofollow", target: "_blank" }, url));
    else if (handle) parts.push(h("a", { href: `#/users/${enc(handle.toLowerCase())}`, class: "mention" }, `@${handle}`));
    else parts.push(h("a", { href: `#/tags/${enc(tag.toLowerCase())}`, class: "hashtag" }, `#${tag}`));
    last = match.index + whole.length;
  }
  parts.push(text.slice(last));
  return parts.filter(Boolean);
}

// Messages show at the bottom of the screen, in sight, and go after a while.
const MESSAGE_MS = { error: 15000, status: 8000, activity: 10000 };
const messageTimers = {};

function showMessage(id, text) {
  clearTimeout(messageTimers[id]);
  $(`#${id}`).textContent = text;
  if (text) messageTimers[id] = setTimeout(() => { $(`#${id}`).textContent = ""; }, MESSAGE_MS[id]);
}

function showError(error) {
  showMessage("error", error ? error.message : "");
  if (error) showMessage("status", "");
}

function say(message) {
  showMessage("status", message);
}

// The outcome of an action also shows beside the control that caused it (the live region
// above reads it out; this copy is for the eyes, so it is hidden from screen readers).
function feedbackBeside(control, text, failed = false) {
  const next = control.nextElementSibling;
  if (next && next.classList.contains("feedback")) next.remove();
  if (!text || !control.isConnected) return;
  const note = h("span", { class: failed ? "feedback failed" : "feedback", "aria-hidden": "true" }, text);
  control.after(note);
  setTimeout(() => note.remove(), MESSAGE_MS.status);
}

// An action button or form: runs `work`, reports success or the problem, then refreshes.
function act(work, done) {
  return async (event) => {
    event.preventDefault();
    const control = event.submitter || event.currentTarget;
    control.disabled = true;
    try {
      await work(event);
      showError(null);
      const message = typeof done === "function" ? done() : done;
      if (message) {
        say(message);
        feedbackBeside(control, message);
      }
      settle();
    } catch (error) {
      showError(error);
      feedbackBeside(control, error.message, true);
    } finally {
      control.disabled = false;
    }
  };
}

// Navigate, then tell the user `message` on the new view.
function go(hash, message) {
  session.arrivalMessage = message;
  location.hash = hash;
}

function button(label, onclick, attributes = {}) {
  return h("button", { type: "button", onclick, ...attributes }, label);
}

function formValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

// ---------------------------------------------------------------- live sections and refresh

// A part of the current view that reloads on every refresh and redraws only on change; when
// loading fails, it says so in place of "Loading…" (and the error shows as an alert).
function live(load, draw, label) {
  const box = h("div", { class: "live", "aria-busy": "true" }, h("p", { class: "meta" }, t("Loading {what}…", { what: t(label) })));
  let last = null;
  screen.sections.push(async () => {
    let data;
    try {
      data = await load();
    } catch (error) {
      box.setAttribute("aria-busy", "false");
      last = null;
      box.replaceChildren(h("p", { class: "meta unavailable" }, t("Could not show {what}.", { what: t(label) })));
      throw error;
    }
    const key = JSON.stringify(data);
    box.setAttribute("aria-busy", "false");
    if (key === last) return;
    last = key;
    const focused = box.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    box.replaceChildren(...[draw(data)].flat());
    const again = focused && box.querySelector(`[data-key="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  });
  return box;
}

async function refresh() {
  // Not while the person is on their way to another view (the hash changed, its view not yet shown).
  if (!session.token || screen.hash !== location.hash) return;
  const shown = screen;
  // A reload still under way when the person moved on (or signed out) reports to nobody.
  const failed = (error) => { if (screen === shown) showError(error); };
  const reloading = Promise.all(shown.sections.map((reload) => reload().catch(failed)));
  shown.reloading.add(reloading);
  await Promise.all([reloading, refreshCounts()]).finally(() => shown.reloading.delete(reloading));
}

// One section of the screen again (the home timeline, told of a new post); reloads asked for
// while one is under way make one more after it, not one each.
function refreshSection(reload) {
  const shown = screen;
  if (shown.again) return;
  const previous = shown.sectionReload || Promise.resolve();
  shown.again = true;
  const reloading = previous.then(() => {
    shown.again = false;
    if (screen !== shown || !session.token) return undefined;
    return reload().catch((error) => { if (screen === shown) showError(error); });
  });
  shown.sectionReload = reloading;
  shown.reloading.add(reloading);
  reloading.finally(() => shown.reloading.delete(reloading));
}

// An action that takes away what the screen's reloads ask for (a post, a co-author's credit)
// waits for the reloads under way, so none of them asks after it: a 404 the person never caused.
function reloadsFinished() {
  return Promise.allSettled([...screen.reloading]);
}

// Before deleting what this screen shows: it reloads nothing more, once those under way finish.
async function stopReloading() {
  screen.sections = [];
  await reloadsFinished();
}

// Refresh now and a few times over the next seconds, while the services catch up.
function settle() {
  settleTimers.forEach(clearTimeout);
  settleTimers = SETTLE_DELAYS_MS.map((delay) => setTimeout(refresh, delay));
  refresh();
}

async function refreshCounts() {
  const [notifications, invitations] = await Promise.all([
    api("GET", "/notifications?limit=1"),
    api("GET", "/invitations?box=received&status=pending&limit=100"),
  ]).catch(() => [null, null]);
  if (!notifications) return;
  $("#unread-count").textContent = notifications.unread_count || "";
  $("#unread-count").setAttribute("aria-label", t("{count} unread", { count: notifications.unread_count }));
  const pending = invitations.items.length;
  $("#pending-count").textContent = pending ? (invitations.next_cursor ? "100+" : pending) : "";
  $("#pending-count").setAttribute("aria-label", t("{count} pending", { count: pending }));
}

// ---------------------------------------------------------------- posts

function isMe(user) {
  return Boolean(user && session.me && user.id === session.me.id);
}

function postAuthors(post) {
  return [post.author, ...post.coauthors.filter((c) => c.status === "accepted").map((c) => c.user)];
}

// "Photo: @artist": what a co-author is credited for, before its name.
function creditLabel(credit) {
  return credit ? `${credit.charAt(0).toUpperCase()}${credit.slice(1)}: ` : "";
}

// The credited authors' names; past the first two, "and N more" (their faces are in the pile).
const NAMED_AUTHORS = 2;

function creditedLinks(post) {
  const credited = [{ user: post.author, credit: null }, ...post.coauthors.filter((c) => c.status === "accepted")];
  const named = credited.slice(0, NAMED_AUTHORS).flatMap(({ user, credit }, index) => [index ? " · " : "",
    credit ? h("span", { class: "credit" }, creditLabel(credit)) : "", userLink(user, false)]);
  const others = credited.length - NAMED_AUTHORS;
  return others > 0 ? [...named, " ", h("a", { href: `#/posts/${enc(post.id)}`, class: "more-authors" }, t("and {count} more", { count: others }))] : named;
}

// The authors' pictures: the author's, and beneath it up to three co-authors' in a pile.
const PILE_FACES = 3;

function facePile([author, ...coauthors]) {
  const more = coauthors.length - PILE_FACES;
  return h("div", { class: "faces", "aria-hidden": "true" }, avatar(author, "medium"),
    coauthors.length ? h("span", { class: "pile" }, coauthors.slice(0, PILE_FACES).map((user) => avatar(user, "small")),
      more > 0 && h("span", { class: "more" }, `+${more}`)) : "");
}

function postCard(post, profileHandle) {
  const role = profileHandle && (post.author.handle === profileHandle ? "author" : "co-author");
  const authors = postAuthors(post);
  return h("li", { class: "card post", "data-post-id": post.id },
    h("article", { tabindex: "-1", "aria-label": t("Post by {handles}", { handles: authors.map((u) => "@" + u.handle).join(", ") }) },
      facePile(authors),
      h("p", { class: "authors" }, ...creditedLinks(post),
        role && h("span", { class: "tag" }, t(role)),
        post.status === "pending" && h("span", { class: "tag pending" }, t("pending"))),
      post.text && h("p", { class: "text" }, richText(post.text)),
      mediaGallery(post.media),
      remixOf(post),
      h("p", { class: "meta" }, when(post.published_at || post.created_at), " · ",
        h("a", { href: `#/posts/${enc(post.id)}` }, t("Open post")),
        post.remix_count ? [" · ", counted(post.remix_count, "remix")] : "",
        editedMark(post)),
      post.status !== "pending" && engagementBar(post)));
}

// ---------------------------------------------------------------- remixes (issue 13)

const REMIX_STATUS_TEXT = {
  pending: "waiting for the original's authors to approve it",
  rejected: "its original's authors declined it",
  revoked: "its original's authors withdrew their consent",
  removed: "its original was deleted",
};

// The original a remix builds on, shown only while approved; otherwise why it is not shown.
function remixOf(post) {
  const link = post.remix_of;
  if (!link) return "";
  if (link.status === "approved" && link.post) {
    const original = link.post;
    return h("blockquote", { class: "remix-of", "data-remix-status": link.status },
      h("p", { class: "meta" }, t("Remix of"), " ", ...postAuthors(original).flatMap((user, index) => [index ? " · " : "", userLink(user)])),
      h("p", { class: "text" }, original.text),
      mediaGallery(original.media),
      h("p", { class: "meta" }, h("a", { href: `#/posts/${enc(original.id)}` }, t("Open the original"))));
  }
  return h("p", { class: "remix-of meta", "data-remix-status": link.status },
    t("A remix — {why}", { why: REMIX_STATUS_TEXT[link.status] ? t(REMIX_STATUS_TEXT[link.status]) : link.status }));
}

// On a post's page: remix it, and (its authors) see its remixes and revoke one.
function remixSection(postId, currentPost) {
  const text = h("textarea", { name: "text", required: true, rows: "2" });
  const form = h("form", { id: "remix", "aria-labelledby": "remix-title" },
    h("h2", { id: "remix-title" }, t("Remix this post")),
    h("label", {}, t("Your text"), " ", text), characterCounter(text),
    h("button", {}, t("Remix")));
  form.hidden = session.me && session.me.features && !session.me.features.remix;
  form.addEventListener("submit", act(async (event) => {
    const remix = await api("POST", "/posts", { text: formValues(event.target).text, remix_of: postId });
    event.target.reset();
    go(`#/posts/${enc(remix.id)}`, remix.remix_of.status === "pending"
      ? t("Your remix waits for the original's authors to approve it.") : t("Your remix is published."));
  }));
  const load = async () => {
    const { post } = await currentPost();
    if (!post || post.status === "pending") return { post: null, remixes: null };
    const remixes = await api("GET", `/posts/${enc(postId)}/remixes?limit=50`).catch(() => null);
    return { post, remixes };
  };
  const draw = ({ post, remixes }) => {
    if (!post || !remixes || !remixes.items.length) return h("p", { class: "meta" }, t("No remixes yet."));
    const mayRevoke = postAuthors(post).some(isMe);
    return h("ol", { class: "remixes" }, remixes.items.map((remix) => h("li", { class: "card", "data-remix-id": remix.id },
      h("p", {}, userLink(remix.author), " ", remix.text, " · ", h("a", { href: `#/posts/${enc(remix.id)}` }, "open")),
      mayRevoke && button(t("Revoke remix"), act(() => api("DELETE", `/posts/${enc(postId)}/remixes/${enc(remix.id)}`), t("The remix no longer shows your post.")), { "data-key": `revoke-remix:${remix.id}` }))));
  };
  return h("section", { "aria-labelledby": "remixes-title" },
    h("h2", { id: "remixes-title" }, t("Remixes")), live(load, draw, "the remixes"), form);
}

const REMIX_REQUEST_STATUSES = ["pending", "approved", "rejected", "revoked", "removed"];

function remixRequestsView(params) {
  const status = REMIX_REQUEST_STATUSES.includes(params.get("status")) ? params.get("status") : "";
  const filter = h("label", {}, t("Status"), " ",
    h("select", { name: "status", onchange: (event) => go(event.target.value ? `#/remix-requests?status=${event.target.value}` : "#/remix-requests") },
      h("option", { value: "", selected: !status }, t("all")),
      REMIX_REQUEST_STATUSES.map((name) => h("option", { value: name, selected: name === status }, t(name)))));
  const draw = (page) => {
    if (!page.items.length) return h("p", { class: "meta" }, t("No remix requests."));
    return h("ol", { class: "remix-requests" }, page.items.map((request) => {
      const answer = (verb, label, done) =>
        button(label, act(() => api("POST", `/remix-requests/${enc(request.id)}/${verb}`), done), { "data-key": `${verb}:${request.id}` });
      return h("li", { class: "card", "data-remix-request-id": request.id },
        h("p", {}, userLink(request.remix.author), " ", t("asks to remix"), " ",
          request.original ? h("a", { href: `#/posts/${enc(request.original.id)}` }, t("your post")) : t("a post"), " ",
          h("span", { class: `tag ${request.status}` }, t(request.status))),
        h("p", { class: "text" }, request.remix.text),
        h("p", { class: "meta" }, t("asked"), " ", when(request.created_at), " · ", h("a", { href: `#/posts/${enc(request.remix.id)}` }, t("open the remix"))),
        request.status === "pending" && h("div", { class: "actions" },
          answer("approve", t("Approve"), t("The remix now shows your post.")), " ",
          answer("reject", t("Reject"), t("The remix will not show your post."))));
    }));
  };
  const query = new URLSearchParams({ limit: "50" });
  if (status) query.set("status", status);
  return [heading(t("Remix requests")), h("div", { class: "toolbar" }, filter),
    live(() => api("GET", `/remix-requests?${query}`), draw, "the remix requests")];
}

// ---------------------------------------------------------------- engagement (issue 12)

// Like or unlike with the shared counts, and Follow for one author the reader does not
// follow yet (the follow names the post it came from, for the post's insights).
function engagementBar(post) {
  const shown = likeShown(post);
  const like = button(likeLabel(shown), (event) => toggleLike(post, event.currentTarget),
    { "data-key": `like:${post.id}`, "aria-pressed": String(shown.liked), class: "like" });
  const suggested = followSuggestion(post);
  const follow = suggested && button(t("Follow @{handle}", { handle: suggested.handle }),
    act(() => followFromPost(suggested, post), t("You follow @{handle}.", { handle: suggested.handle })),
    { class: "small", "data-key": `follow:${post.id}:${suggested.handle}` });
  return h("div", { class: "actions engagement", role: "group", "aria-label": t("Engagement") },
    like, " ", h("span", { class: "reply-count", "data-count": "replies" }, repliesCount(post.reply_count)), " ", follow);
}

function repliesCount(count) {
  return count === 1 ? t("1 reply") : t("{count} replies", { count });
}

function likeLabel({ liked, count }) {
  return liked ? t("Unlike ({count})", { count }) : t("Like ({count})", { count });
}

// Likes show at once (optimistic); the server's answer then decides. Until the timelines
// catch up (they are eventually consistent), what the server said overrides what they show.
const likeOverrides = new Map();
const LIKE_OVERRIDE_MS = 15000;

function likeShown(post) {
  const override = likeOverrides.get(post.id);
  if (override && Date.now() < override.until && !(post.liked_by_me === override.liked && post.like_count === override.count)) return override;
  likeOverrides.delete(post.id);
  return { liked: post.liked_by_me, count: post.like_count };
}

function showLike(control, state) {
  control.textContent = likeLabel(state);
  control.setAttribute("aria-pressed", String(state.liked));
}

async function toggleLike(post, control) {
  const shown = screen;
  const before = likeShown(post);
  const wanted = { liked: !before.liked, count: Math.max(0, before.count + (before.liked ? -1 : 1)) };
  likeOverrides.set(post.id, { ...wanted, until: Date.now() + LIKE_OVERRIDE_MS });
  showLike(control, wanted);
  try {
    await api(wanted.liked ? "PUT" : "DELETE", `/posts/${enc(post.id)}/like`);
    const answer = await api("GET", `/posts/${enc(post.id)}`);
    const told = { liked: answer.liked_by_me, count: answer.like_count };
    likeOverrides.set(post.id, { ...told, until: Date.now() + LIKE_OVERRIDE_MS });
    showLike(control, told);
    // Said only on the view it was asked from: a late answer must not talk over the next one.
    if (screen !== shown) return;
    const message = told.liked ? t("You like this post.") : t("You no longer like this post.");
    say(message);
    feedbackBeside(control, message);
  } catch (error) {
    likeOverrides.delete(post.id);
    showLike(control, before);
    showError(error);
    feedbackBeside(control, error.message, true);
  }
}

// Whom the reader follows, as their profiles said (GET /v1/users/{handle} carries the
// relationship); asked once per author, kept up to date by the reader's own follows.
const relationships = new Map();

function knowRelationship(profile) {
  if (profile && profile.relationship) relationships.set(profile.handle, profile.relationship);
}

async function learnRelationships(posts) {
  const unknown = new Set(posts.flatMap(postAuthors).filter((user) => !isMe(user) && !relationships.has(user.handle)).map((user) => user.handle));
  await Promise.all([...unknown].map((handle) => api("GET", `/users/${enc(handle)}`).then(knowRelationship, () => {
    relationships.set(handle, { following: false, blocking: true, unknown: true });
  })));
  // What the cards depend on goes with the page, so a change of it redraws them.
  return posts.map((post) => ({ ...post, suggested_follow: followSuggestion(post) ? followSuggestion(post).handle : null }));
}

// The first credited author the reader does not follow (nor blocks), if any.
function followSuggestion(post) {
  return postAuthors(post).find((user) => {
    const relation = relationships.get(user.handle);
    return !isMe(user) && relation && !relation.following && !relation.blocking;
  }) || null;
}

async function followFromPost(user, post) {
  await api("PUT", `/users/${enc(user.handle)}/follow`, { via_post: post.id });
  relationships.set(user.handle, { ...relationships.get(user.handle), following: true });
}

function replyForm(postId) {
  const text = h("textarea", { name: "text", required: true, rows: "2" });
  const draft = keepDraft(text, `reply:${postId}`);
  const form = h("form", { id: "reply", "aria-labelledby": "reply-title" },
    h("h2", { id: "reply-title" }, t("Reply")),
    h("label", {}, t("Your reply"), " ", text), characterCounter(text),
    h("button", {}, t("Reply")));
  form.addEventListener("submit", act(async (event) => {
    await api("POST", `/posts/${enc(postId)}/replies`, { text: formValues(event.target).text });
    draft.clear();
    event.target.reset();
    resetCounters(event.target);
  }, () => t("Your reply is posted.")));
  return form;
}

// A pending post has no replies yet: they are asked for only once it is published.
function repliesSection(postId, currentPost) {
  const load = async () => {
    const { post } = await currentPost();
    if (!post || post.status === "pending") return { items: [], next_cursor: null };
    return api("GET", `/posts/${enc(postId)}/replies?limit=50`);
  };
  return h("section", { "aria-labelledby": "replies-title" },
    h("h2", { id: "replies-title" }, t("Replies")),
    live(load, (page) => postList(page, (cursor) => api("GET", `/posts/${enc(postId)}/replies?limit=50&cursor=${enc(cursor)}`), t("No replies yet.")), "the replies"));
}

// Only the post's credited authors get insights (and ask for them); for anyone else the
// section stays empty.
function insightsSection(postId, currentPost) {
  const load = async () => {
    const { post } = await currentPost();
    if (!post || post.status === "pending" || !postAuthors(post).some(isMe)) return null;
    return api("GET", `/posts/${enc(postId)}/insights`).catch((error) => {
      if (error.status === 404) return null;
      throw error;
    });
  };
  const draw = (insights) => {
    if (!insights) return [];
    return h("section", { class: "card insights", "aria-labelledby": "insights-title" },
      h("h2", { id: "insights-title" }, t("Insights")),
      h("p", { "data-insight": "totals" }, t("Reached {accounts} · {likes} · {replies}", { accounts: counted(insights.reached, "account"), likes: counted(insights.likes, "like"), replies: repliesCount(insights.replies) })),
      h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": t("Insights by author") }, h("table", {},
        h("thead", {}, h("tr", {}, ["Author", "Audience", "Only through them", "Likes from audience", "New followers"].map((title) => h("th", { scope: "col" }, t(title))))),
        h("tbody", {}, insights.authors.map((author) => h("tr", { "data-insight-author": author.user.handle },
          h("th", { scope: "row" }, userLink(author.user)),
          h("td", {}, String(author.audience)), h("td", {}, String(author.exclusive_audience)),
          h("td", {}, String(author.likes_from_audience)), h("td", {}, String(author.new_followers))))))));
  };
  return live(load, draw, "the insights");
}

// Calls `more` whenever `end` (the last thing of a list) comes near the screen: infinite
// scroll. It stops with the view.
function whenNear(end, more) {
  const shown = screen;
  const observer = new IntersectionObserver((entries) => {
    if (screen !== shown) observer.disconnect();
    else if (entries.some((entry) => entry.isIntersecting)) more();
  }, { rootMargin: "600px 0px" });
  observer.observe(end);
}

// A list of posts that appends the next pages as the reader scrolls: `loadMore(cursor)` loads one.
function postList(page, loadMore, empty, profileHandle) {
  if (!page.items.length) return h("p", { class: "meta" }, empty);
  const list = h("ol", { class: "posts" }, page.items.map((post) => postCard(post, profileHandle)));
  const end = h("div", { class: "scroll-end" });
  let cursor = page.next_cursor;
  let loading = false;
  whenNear(end, async () => {
    if (!cursor || loading) return;
    loading = true;
    try {
      const next = await loadMore(cursor);
      list.append(...next.items.map((post) => postCard(post, profileHandle)));
      cursor = next.next_cursor;
    } catch (error) {
      showError(error);
    } finally {
      loading = false;
    }
  });
  return [list, end];
}

function postTime(post) {
  return post.published_at || post.created_at;
}

// A feed (the home timeline, a profile's posts): the next pages load as the reader scrolls
// to its end (the cursor); every refresh takes in the first page again. Changed cards are
// redrawn in place; new posts by others wait behind an "N new posts" pill so that nothing
// moves under the reader; the reader's own new posts show at once.
function feed(loadPage, empty, { profileHandle = null, label = "the posts", announced = false } = {}) {
  const list = h("ol", { class: "posts" });
  const pill = button("", () => showWaiting(), { class: "new-posts", hidden: true });
  const end = h("div", { class: "scroll-end" });
  const none = h("p", { class: "meta", hidden: true }, empty);
  const box = h("div", { class: "feed", "aria-busy": "true" }, h("p", { class: "meta" }, t("Loading {what}…", { what: t(label) })));
  const cards = new Map();
  let waiting = [];
  let cursor = null;
  let started = false;
  let loadingMore = false;

  function draw(post) {
    const node = postCard(post, profileHandle);
    cards.set(post.id, { key: JSON.stringify(post), node });
    return node;
  }
  function redraw(post) {
    const shown = cards.get(post.id);
    if (shown.key === JSON.stringify(post)) return;
    const focused = shown.node.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    const node = draw(post);
    if (shown.node === selected) {
      markSelected(node, true);
      selected = node;
    }
    shown.node.replaceWith(node);
    const again = focused && node.querySelector(`[data-key="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
  function showWaiting() {
    list.prepend(...waiting.map(draw));
    waiting = [];
    pill.hidden = true;
    none.hidden = cards.size > 0;
    window.scrollTo({ top: 0 });
    const first = list.querySelector("article");
    if (first) first.focus();
  }
  async function more() {
    if (!cursor || loadingMore) return;
    loadingMore = true;
    try {
      const page = await loadPage(cursor);
      list.append(...(await learnRelationships(page.items)).filter((post) => !cards.has(post.id)).map(draw));
      cursor = page.next_cursor;
    } catch (error) {
      showError(error);
    } finally {
      loadingMore = false;
    }
  }

  const reload = async () => {
    let page;
    try {
      page = await loadPage(null);
    } catch (error) {
      box.setAttribute("aria-busy", "false");
      if (!started) box.replaceChildren(h("p", { class: "meta unavailable" }, t("Could not show {what}.", { what: t(label) })));
      throw error;
    }
    const items = await learnRelationships(page.items);
    box.setAttribute("aria-busy", "false");
    if (!started) {
      started = true;
      cursor = page.next_cursor;
      list.append(...items.map(draw));
      box.replaceChildren(pill, none, list, end);
      none.hidden = cards.size > 0;
      whenNear(end, more);
      return;
    }
    const present = new Set(items.map((post) => post.id));
    const oldest = items.length ? postTime(items.at(-1)) : null;
    for (const [id, shown] of cards) {
      const post = JSON.parse(shown.key);
      if (!present.has(id) && (!page.next_cursor || (oldest && postTime(post) >= oldest))) {
        shown.node.remove();
        cards.delete(id);
      }
    }
    items.filter((post) => cards.has(post.id)).forEach(redraw);
    const fresh = items.filter((post) => !cards.has(post.id) && !waiting.some((other) => other.id === post.id));
    const mine = fresh.filter((post) => postAuthors(post).some(isMe) || !cards.size);
    list.prepend(...mine.map(draw));
    waiting = [...fresh.filter((post) => !mine.includes(post)), ...waiting.filter((post) => present.has(post.id))];
    pill.hidden = !waiting.length;
    pill.textContent = waiting.length === 1 ? t("1 new post") : t("{count} new posts", { count: waiting.length });
    none.hidden = cards.size > 0;
  };
  screen.sections.push(reload);
  // The live stream names each post new in the home timeline (home.updated): one not on the
  // page yet has the first page read again, which puts it behind the pill.
  if (announced) {
    screen.homeUpdated = (postId) => {
      if (started && !cards.has(postId) && !waiting.some((post) => post.id === postId)) refreshSection(reload);
    };
  }
  return box;
}

// ---------------------------------------------------------------- media: pictures, videos, avatars

const ACCEPTED_PICTURES = "image/jpeg,image/png,image/webp,image/gif";
const ACCEPTED_MEDIA = `${ACCEPTED_PICTURES},video/mp4,video/webm,video/quicktime`;
const MAX_PICTURES = 4;
const UPLOAD_REFUSALS = {
  413: "it is too large (or your storage is full).",
  415: "this kind of file is not accepted: JPEG, PNG, WebP or GIF pictures, MP4, WebM or QuickTime videos.",
  422: "it cannot be read as the picture or video it claims to be.",
  429: "you have uploaded too many files for now; try again later.",
};

// One upload attempt (POST /v1/media) with XMLHttpRequest, whose upload reports its progress.
function postMediaFile(file, progress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", "/v1/media");
    request.setRequestHeader("Accept", "application/json");
    if (session.token) request.setRequestHeader("Authorization", `Bearer ${session.token}`);
    request.upload.addEventListener("progress", (event) => event.lengthComputable && progress(event.loaded / event.total));
    request.addEventListener("load", () => resolve(request));
    request.addEventListener("error", () => reject(new Error(t("CoPost cannot be reached. Check your connection and try again."))));
    const form = new FormData();
    form.append("file", file);
    request.send(form);
  });
}

// The Media object of an uploaded file; a refusal is thrown with what it means for this file.
async function uploadFile(file, progress = () => undefined) {
  let request = await postMediaFile(file, progress);
  if (request.status === 401 && (await renewSession())) request = await postMediaFile(file, progress);
  let answer = {};
  try { answer = JSON.parse(request.responseText); } catch { /* not JSON: the status says enough */ }
  if (request.status >= 200 && request.status < 300) return answer;
  if (request.status === 401) throw sessionEnded();
  const problem = new ApiError(request.status, answer);
  const meaning = UPLOAD_REFUSALS[request.status];
  throw new Error(meaning
    ? t("{file} was not uploaded: {meaning} ({problem})", { file: file.name, meaning: t(meaning), problem: problem.message })
    : t("{file} was not uploaded: {problem}", { file: file.name, problem: problem.message }));
}

function mediaKind(file) {
  return file.type.startsWith("video/") ? "video" : "image";
}

// The pictures (up to four) or the video (one) a new post carries. Each file is uploaded as
// soon as it is picked, dropped or pasted, with its progress, then shows its preview, its alt
// text (with a reminder while empty) and a Remove button.
function mediaPicker() {
  const items = [];
  const list = h("ul", { class: "attachments", "aria-label": t("Attached files") });
  const input = h("input", { type: "file", accept: ACCEPTED_MEDIA, multiple: true });
  input.addEventListener("change", () => {
    add([...input.files]);
    input.value = "";
  });
  const node = h("fieldset", { class: "media-picker" }, h("legend", {}, t("Pictures or a video")),
    h("label", {}, t("Add pictures or a video"), " ", h("span", { class: "hint" }, t("up to {count} pictures or 1 video; you can also drop or paste them here", { count: MAX_PICTURES })), input),
    list);

  function add(files) {
    if (!files.length) return;
    const kinds = [...items.map((item) => item.kind), ...files.map(mediaKind)];
    if ((kinds.includes("video") && kinds.length > 1) || kinds.length > MAX_PICTURES) {
      showError(new Error(t("A post carries up to {count} pictures, or one video alone.", { count: MAX_PICTURES })));
      return;
    }
    showError(null);
    for (const file of files) upload(attachment(file));
  }

  function attachment(file) {
    const item = { file, kind: mediaKind(file), media: null, progress: h("progress", { max: "1", value: "0", "aria-label": t("Uploading {file}", { file: file.name }) }) };
    item.alt = h("textarea", { maxlength: "1500", rows: "2" });
    const reminder = h("p", { class: "hint alt-reminder" }, t("Describe it for people who cannot see it."));
    item.alt.addEventListener("input", () => { reminder.hidden = Boolean(item.alt.value.trim()); });
    item.preview = h("div", { class: "preview" }, item.progress);
    item.node = h("li", { class: "attachment", "data-file": file.name }, item.preview,
      h("div", { class: "describe" },
        h("label", {}, t("Alt text for {file}", { file: file.name }), item.alt), reminder,
        button(t("Remove {file}", { file: file.name }), () => remove(item), { class: "small" })));
    items.push(item);
    list.append(item.node);
    return item;
  }

  async function upload(item) {
    try {
      item.media = await uploadFile(item.file, (fraction) => { item.progress.value = fraction; });
      if (!items.includes(item)) return;
      item.preview.replaceChildren(item.kind === "video"
        ? h("p", { class: "meta" }, item.media.status === "ready" ? t("Video, ready") : t("Video, being prepared"))
        : h("img", { src: item.media.variants.small, alt: "", width: item.media.width, height: item.media.height }));
    } catch (error) {
      remove(item);
      showError(error);
    }
  }

  function remove(item) {
    if (items.includes(item)) items.splice(items.indexOf(item), 1);
    item.node.remove();
  }

  // The uploaded media's ids, their alt texts saved first; refused while an upload runs.
  async function attach() {
    if (items.some((item) => !item.media)) throw new Error(t("Wait until every file is uploaded, or remove it."));
    await Promise.all(items.filter((item) => item.alt.value.trim()).map((item) =>
      api("PATCH", `/media/${enc(item.media.id)}`, { alt_text: item.alt.value.trim() })));
    return items.map((item) => item.media.id);
  }

  function clear() {
    items.splice(0).forEach((item) => item.node.remove());
  }

  return { node, add, attach, clear };
}

// Files dropped on, or pasted into, `form` go to the picker.
function acceptDroppedFiles(form, picker) {
  form.addEventListener("dragover", (event) => {
    if (!event.dataTransfer.types.includes("Files")) return;
    event.preventDefault();
    form.classList.add("dropping");
  });
  form.addEventListener("dragleave", () => form.classList.remove("dropping"));
  form.addEventListener("drop", (event) => {
    if (!event.dataTransfer.files.length) return;
    event.preventDefault();
    form.classList.remove("dropping");
    picker.add([...event.dataTransfer.files]);
  });
  form.addEventListener("paste", (event) => {
    if (!event.clipboardData.files.length) return;
    event.preventDefault();
    picker.add([...event.clipboardData.files]);
  });
}

// Blurhash (https://blurha.sh): a picture's few colour components, painted while it loads.
const BASE83 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";
const BLURHASH_SIDE = 32;
const placeholders = new Map();

function base83(text) {
  return [...text].reduce((value, digit) => value * 83 + BASE83.indexOf(digit), 0);
}

function toLinear(value) {
  const v = value / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
}

function toSrgb(value) {
  const v = Math.max(0, Math.min(1, value));
  return Math.round((v <= 0.0031308 ? v * 12.92 : 1.055 * v ** (1 / 2.4) - 0.055) * 255);
}

// The colour components of a blurhash, or null when it is not one.
function blurhashComponents(hash) {
  const size = base83(hash[0] || "");
  const across = (size % 9) + 1;
  const down = Math.floor(size / 9) + 1;
  if (hash.length !== 4 + 2 * across * down) return null;
  const scale = (base83(hash[1]) + 1) / 166;
  const dc = base83(hash.slice(2, 6));
  const colours = [[dc >> 16, (dc >> 8) & 255, dc & 255].map(toLinear)];
  for (let index = 1; index < across * down; index++) {
    const ac = base83(hash.slice(4 + index * 2, 6 + index * 2));
    colours.push([Math.floor(ac / 361), Math.floor(ac / 19) % 19, ac % 19]
      .map((q) => Math.sign(q - 9) * ((q - 9) / 9) ** 2 * scale));
  }
  return { across, down, colours };
}

// A small picture (data: URL) painted from a blurhash, or null.
function blurhashImage(hash) {
  if (!hash) return null;
  if (placeholders.has(hash)) return placeholders.get(hash);
  const parts = blurhashComponents(hash);
  let url = null;
  if (parts) {
    const canvas = h("canvas", { width: BLURHASH_SIDE, height: BLURHASH_SIDE });
    const context = canvas.getContext("2d");
    const pixels = context.createImageData(BLURHASH_SIDE, BLURHASH_SIDE);
    for (let y = 0; y < BLURHASH_SIDE; y++) {
      for (let x = 0; x < BLURHASH_SIDE; x++) {
        const rgb = [0, 0, 0];
        parts.colours.forEach((colour, index) => {
          const i = index % parts.across;
          const j = Math.floor(index / parts.across);
          const basis = Math.cos((Math.PI * x * i) / BLURHASH_SIDE) * Math.cos((Math.PI * y * j) / BLURHASH_SIDE);
          colour.forEach((value, channel) => { rgb[channel] += value * basis; });
        });
        pixels.data.set([...rgb.map(toSrgb), 255], (y * BLURHASH_SIDE + x) * 4);
      }
    }
    context.putImageData(pixels, 0, 0);
    url = canvas.toDataURL();
  }
  placeholders.set(hash, url);
  return url;
}

// A post's pictures (1–4, in a grid, each opening the viewer) or its video. Width and height are
// set so nothing moves when they load; the blurhash shows meanwhile.
function mediaGallery(media) {
  if (!media || !media.length) return "";
  return h("div", { class: `gallery count-${media.length}`, "data-media-count": media.length },
    media.map((medium) => (medium.kind === "video" ? videoOf(medium) : pictureOf(medium, media.length === 1))));
}

// Alone, a picture is shown wide (its large variant); in a grid, its small one.
function pictureOf(medium, alone) {
  const variant = (alone && medium.variants.large) || medium.variants.small || medium.variants.large;
  const image = h("img", { src: variant, alt: medium.alt_text || "",
    width: medium.width, height: medium.height, loading: "lazy", decoding: "async" });
  const placeholder = blurhashImage(medium.blurhash);
  if (placeholder) {
    // CSSOM, not a style attribute: the page's CSP forbids inline styles.
    image.style.backgroundImage = `url("${placeholder}")`;
    image.addEventListener("load", () => { image.style.backgroundImage = ""; }, { once: true });
  }
  return h("button", { type: "button", class: "picture", "aria-label": medium.alt_text ? t("View the picture: {alt}", { alt: medium.alt_text }) : t("View the picture"),
    onclick: () => openViewer(medium) }, image);
}

function videoOf(medium) {
  return h("video", { controls: true, preload: "none", poster: medium.variants.poster, src: medium.variants.video,
    width: medium.width, height: medium.height, "aria-label": medium.alt_text || t("Video") });
}

// The picture in full in a modal dialog: Esc (or Close, or a click beside it) closes it.
function openViewer(medium) {
  const viewer = $("#viewer");
  const image = $("#viewer-image");
  image.src = medium.variants.large || medium.variants.small;
  image.alt = medium.alt_text || "";
  image.width = medium.width;
  image.height = medium.height;
  $("#viewer-caption").textContent = medium.alt_text || "";
  viewer.showModal();
}

function initials(user) {
  return (user.display_name || user.handle || "?").split(/\s+/).filter(Boolean).slice(0, 2).map((word) => word[0].toUpperCase()).join("");
}

// A user's profile picture, or their initials when they have none (decorative: the name is beside it).
function avatar(user, size = "small") {
  const variant = size === "large" ? "large" : "small";
  if (user.avatar && user.avatar[variant]) {
    return h("img", { class: `avatar ${size}`, src: user.avatar[variant], alt: "", width: variant === "small" ? 96 : 400, height: variant === "small" ? 96 : 400 });
  }
  return h("span", { class: `avatar ${size} initials`, "data-initials": initials(user), "aria-hidden": "true" });
}

// Upload a profile picture (cropped square by the service) or remove it.
function avatarSettings() {
  const current = h("div", { class: "avatar-current" }, avatar(session.me, "large"));
  const input = h("input", { type: "file", accept: ACCEPTED_PICTURES, required: true });
  const progress = h("progress", { max: "1", value: "0", hidden: true, "aria-label": t("Uploading the picture") });
  const removeButton = button(t("Remove the picture"), act(async () => {
    setMe(await api("PATCH", "/me", { avatar_media_id: null }));
    show();
  }, t("Your profile picture is removed.")), { hidden: !session.me.avatar });
  const form = h("form", { id: "avatar-settings", "aria-labelledby": "avatar-title" },
    h("h2", { id: "avatar-title" }, t("Profile picture")), current,
    h("label", {}, t("Choose a picture"), " ", h("span", { class: "hint" }, t("JPEG, PNG, WebP or GIF; cropped square")), input),
    progress, h("div", { class: "actions" }, h("button", {}, t("Upload picture")), removeButton));
  function show() {
    current.replaceChildren(avatar(session.me, "large"));
    removeButton.hidden = !session.me.avatar;
  }
  form.addEventListener("submit", act(async () => {
    progress.hidden = false;
    try {
      const media = await uploadFile(input.files[0], (fraction) => { progress.value = fraction; });
      setMe(await api("PATCH", "/me", { avatar_media_id: media.id }));
    } finally {
      progress.hidden = true;
    }
    form.reset();
    show();
  }, t("Your profile picture is saved.")));
  return form;
}

// ---------------------------------------------------------------- views

function heading(text) {
  return h("h1", { id: "view-title", tabindex: "-1" }, text);
}

const MAX_TEXT = 500;

// A text field's counter ("12 / 500"), red past the limit. The field has no maxlength, so
// nothing pasted is cut silently; the form refuses to send a text over the limit.
let countersMade = 0;

// What one is writing (a post, a reply) is kept in this browser for the signed-in account as
// it is typed, so a session that ends (the refresh cookie expired or revoked) loses nothing:
// the field has it again once the person signs back in. Sending it, or signing out, drops it.
const DRAFTS = "copost.drafts.";

function drafts(userId = session.me && session.me.id) {
  if (!userId) return null;
  try {
    return { userId, kept: JSON.parse(localStorage.getItem(DRAFTS + userId)) || {} };
  } catch {
    return { userId, kept: {} };
  }
}

function saveDraft(name, text) {
  const mine = drafts();
  if (!mine) return;
  if (text.trim()) mine.kept[name] = text;
  else delete mine.kept[name];
  if (Object.keys(mine.kept).length) localStorage.setItem(DRAFTS + mine.userId, JSON.stringify(mine.kept));
  else localStorage.removeItem(DRAFTS + mine.userId);
}

function keepDraft(field, name) {
  const mine = drafts();
  if (mine && mine.kept[name] && !field.value) field.value = mine.kept[name];
  field.addEventListener("input", () => saveDraft(name, field.value));
  return { clear: () => saveDraft(name, "") };
}

function forgetDrafts(userId) {
  localStorage.removeItem(DRAFTS + userId);
}

function characterCounter(field) {
  const counter = h("p", { class: "counter", id: `counter-${++countersMade}` });
  field.setAttribute("aria-describedby", counter.id);
  const update = () => {
    const length = [...field.value].length;
    counter.textContent = t("{count} / {max}", { count: length, max: MAX_TEXT });
    counter.classList.toggle("over", length > MAX_TEXT);
    field.setCustomValidity(length > MAX_TEXT ? t("{count} characters: a post holds up to {max}.", { count: length, max: MAX_TEXT }) : "");
  };
  field.addEventListener("input", update);
  update();
  return counter;
}

// Handles that start with what is being typed (its last word, in a list of handles), offered
// in a <datalist> from the handle-prefix search; asked for once typing pauses.
const SUGGEST_AFTER_MS = 300;
const SUGGEST_MIN_CHARS = 2;

function handleSuggestions(input) {
  const list = h("datalist", { id: `suggest-${input.name}` });
  input.setAttribute("list", list.id);
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const words = input.value.split(/([\s,]+)/);
    const typed = words.at(-1).replace(/^@/, "");
    if (typed.length < SUGGEST_MIN_CHARS || !/^\w+$/.test(typed)) return;
    timer = setTimeout(async () => {
      const found = await api("GET", `/users?q=${enc(typed)}&limit=8`).catch(() => null);
      if (!found || input.value.split(/([\s,]+)/).at(-1).replace(/^@/, "") !== typed) return;
      const before = words.slice(0, -1).join("");
      list.replaceChildren(...found.items.filter((user) => !isMe(user)).map((user) =>
        h("option", { value: `${before}${user.handle}` }, `${user.display_name} @${user.handle}`)));
    }, SUGGEST_AFTER_MS);
  });
  return [input, list];
}

// On a phone the compose form is a sheet, opened by the compose button (or the `n` key).
function openCompose() {
  const compose = $("#compose");
  if (!compose) {
    go("#/", null);
    window.addEventListener("hashchange", () => setTimeout(openCompose), { once: true });
    return;
  }
  compose.classList.add("open");
  compose.querySelector("textarea[name=text]").focus();
}

function closeCompose() {
  const compose = $("#compose");
  if (compose) compose.classList.remove("open");
}

function homeView() {
  const picker = mediaPicker();
  const text = h("textarea", { name: "text", rows: "3", placeholder: t("What are you writing about?") });
  const draft = keepDraft(text, "post");
  const compose = h("form", { id: "compose", "aria-labelledby": "compose-title" },
    button(t("Close"), closeCompose, { id: "compose-close", class: "small" }),
    h("h2", { id: "compose-title" }, t("Write a post")),
    h("label", {}, t("Text"), " ", h("span", { class: "hint" }, t("up to 500 characters")), text),
    characterCounter(text),
    h("div", { class: "more-options" }, picker.node,
    h("label", {}, t("Co-authors"), " ", h("span", { class: "hint" }, t("handles separated by commas or spaces, up to 5")),
      handleSuggestions(h("input", { name: "coauthors", autocomplete: "off", autocapitalize: "none", spellcheck: "false" }))),
    h("fieldset", {},
      h("legend", {}, t("Publish")),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "publish_mode", value: "now", checked: true }),
        " ", t("now — co-authors are credited as they accept")),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "publish_mode", value: "when_accepted" }),
        " ", t("when every co-author has answered")))),
    h("button", {}, t("Post")));
  compose.addEventListener("submit", act(async (event) => {
    const { text, coauthors, publish_mode } = formValues(event.target);
    const handles = coauthors.split(/[\s,]+/).map((handle) => handle.replace(/^@/, "")).filter(Boolean);
    const media_ids = await picker.attach();
    if (!text.trim() && !media_ids.length) throw new Error(t("Write something, or add a picture or a video."));
    const post = await api("POST", "/posts", { text, coauthors: handles, publish_mode, media_ids });
    draft.clear();
    event.target.reset();
    resetCounters(event.target);
    picker.clear();
    closeCompose();
    if (post.status === "pending") {
      // Only its authors see a pending post, and not on timelines: show it where its state is.
      go(`#/posts/${enc(post.id)}`, t("Your post waits for its co-authors' answers."));
    } else say(t("Your post is published."));
  }));
  acceptDroppedFiles(compose, picker);
  const page = (cursor) => api("GET", `/timeline?limit=20${cursor ? `&cursor=${enc(cursor)}` : ""}`);
  return [heading(t("Home")), compose,
    h("section", { "aria-labelledby": "timeline-title" },
      h("h2", { id: "timeline-title" }, t("Your timeline")),
      feed(page, t("Nothing here yet: follow someone or write a post."), { label: "your timeline", announced: true }))];
}

// After form.reset(), which sends no input event, the counters count again.
function resetCounters(form) {
  for (const field of form.querySelectorAll("textarea[aria-describedby]")) field.dispatchEvent(new Event("input"));
}

function profileView(handle) {
  const drawProfile = (profile) => {
    const mine = isMe(profile);
    const target = `@${profile.handle}`;
    // A change of relation is asked about again by the next card that shows this author.
    const changed = (call) => async () => { await call(); relationships.delete(profile.handle); };
    const relation = (label, call, done) => button(label, act(changed(call), done), { "data-key": label });
    const path = enc(profile.handle);
    // Only what can be done now: Follow or Unfollow, Mute or Unmute, Block or Unblock.
    const { following, followed_by, blocking, muting } = profile.relationship || {};
    return h("div", { class: "card profile" },
      avatar(profile, "large"),
      h("p", { class: "big" }, profile.display_name, " ", h("span", { class: "handle" }, target),
        followed_by && h("span", { class: "tag" }, t("Follows you"))),
      h("p", { class: "counts" },
        h("span", { "data-count": "followers" }, counted(profile.followers_count, "follower")), " · ",
        h("span", { "data-count": "following" }, t("{count} following", { count: profile.following_count }))),
      h("p", { class: "meta" }, t("Joined"), " ", when(profile.created_at)),
      mine
        ? h("p", {}, t("This is you."), " ", h("a", { href: "#/settings" }, t("Edit your settings")))
        : h("div", { class: "actions", role: "group", "aria-label": t("Your relation to {handle}", { handle: target }) },
          blocking ? "" : following
            ? relation(t("Unfollow"), () => api("DELETE", `/users/${path}/follow`), t("You no longer follow {handle}.", { handle: target }))
            : relation(t("Follow"), () => api("PUT", `/users/${path}/follow`), t("You follow {handle}.", { handle: target })),
          muting
            ? relation(t("Unmute"), () => api("DELETE", `/users/${path}/mute`), t("You unmuted {handle}.", { handle: target }))
            : relation(t("Mute"), () => api("PUT", `/users/${path}/mute`), t("You muted {handle}: their posts and co-authored posts leave your timeline.", { handle: target })),
          blocking
            ? relation(t("Unblock"), () => api("DELETE", `/users/${path}/block`), t("You unblocked {handle}.", { handle: target }))
            : relation(t("Block"), () => api("PUT", `/users/${path}/block`), t("You blocked {handle}.", { handle: target }))));
  };
  // The posts are asked for only once the profile is there (an unknown or blocking account
  // answers one 404, not two).
  let profileLoaded = null;
  const loadProfile = () => {
    profileLoaded = api("GET", `/users/${enc(handle)}`);
    return profileLoaded.then((profile) => { knowRelationship(profile); return profile; });
  };
  const page = async (cursor) => {
    if (!cursor) await profileLoaded;
    return api("GET", `/users/${enc(handle)}/posts?limit=20${cursor ? `&cursor=${enc(cursor)}` : ""}`);
  };
  return [heading(`@${handle}`),
    live(loadProfile, drawProfile, "the profile"),
    h("section", { "aria-labelledby": "profile-posts-title" },
      h("h2", { id: "profile-posts-title" }, t("Posts authored and co-authored")),
      feed(page, t("No posts yet."), { profileHandle: handle }))];
}

async function loadPost(postId) {
  let post;
  try {
    post = await api("GET", `/posts/${enc(postId)}`);
  } catch (error) {
    if (error.status === 404) return { gone: true };
    throw error;
  }
  const invitedMe = post.coauthors.some((c) => c.status === "invited" && isMe(c.user));
  let invitation = null;
  if (invitedMe) {
    const box = await api("GET", "/invitations?box=received&status=pending&limit=100");
    invitation = box.items.find((item) => item.post_id === post.id) || null;
  }
  return { post, invitation };
}

const COAUTHOR_STATE = { accepted: "co-author", invited: "invited, no answer yet" };

// One load that the sections asking for it at the same time (one refresh) share.
function sharedLoad(load) {
  let pending = null;
  return () => {
    pending ||= load().finally(() => setTimeout(() => { pending = null; }));
    return pending;
  };
}

function postView(postId) {
  const currentPost = sharedLoad(() => loadPost(postId));
  const invite = h("form", { id: "invite", hidden: true, "aria-labelledby": "invite-title" },
    h("h2", { id: "invite-title" }, t("Invite a co-author")),
    h("label", {}, t("Handle"), " ", handleSuggestions(h("input", { name: "handle", required: true, autocomplete: "off", autocapitalize: "none" }))),
    h("label", {}, t("Credited for"), " ", h("span", { class: "hint" }, t("optional, e.g. photo, up to 30 characters")),
      h("input", { name: "credit", maxlength: "30", autocomplete: "off" })),
    h("button", {}, t("Invite")));
  invite.addEventListener("submit", act(async (event) => {
    const values = formValues(event.target);
    const handle = values.handle.trim().replace(/^@/, "");
    const credit = values.credit.trim() || null;
    await api("POST", `/posts/${enc(postId)}/coauthors`, { handle, credit });
    event.target.reset();
  }, t("Invitation sent.")));
  const leaveOrRemove = (handle, label, done) =>
    button(label, act(async () => {
      await reloadsFinished();
      await api("DELETE", `/posts/${enc(postId)}/coauthors/${enc(handle)}`);
    }, done), { "data-key": `${label}:${handle}` });

  const draw = ({ gone, post, invitation }) => {
    if (gone) {
      invite.hidden = true;
      return h("p", { class: "card" }, t("This post was deleted, or you may not see it."), " ", h("a", { href: "#/" }, t("Back home")));
    }
    const authorIsMe = isMe(post.author);
    invite.hidden = !authorIsMe;
    const people = [
      h("li", {}, userLink(post.author), " — ", h("span", { class: "state" }, t("author"))),
      ...post.coauthors.map((coauthor) => {
        const handle = coauthor.user.handle;
        const controls = [];
        if (authorIsMe && coauthor.status === "accepted") controls.push(leaveOrRemove(handle, t("Remove"), t("@{handle} is no longer a co-author.", { handle })));
        if (authorIsMe && coauthor.status === "invited") controls.push(leaveOrRemove(handle, t("Revoke invitation"), t("The invitation to @{handle} is revoked.", { handle })));
        if (isMe(coauthor.user) && coauthor.status === "accepted") controls.push(leaveOrRemove(handle, t("Leave this post"), t("You left the post.")));
        return h("li", { "data-coauthor": handle },
          coauthor.credit ? h("span", { class: "credit" }, creditLabel(coauthor.credit)) : "", userLink(coauthor.user), " — ",
          h("span", { class: "state" }, t(COAUTHOR_STATE[coauthor.status] || coauthor.status)), " ", controls);
      }),
    ];
    const answer = invitation && h("div", { class: "actions", role: "group", "aria-label": t("Your invitation") },
      h("p", {}, t("@{handle} invites you to co-author this post.", { handle: invitation.inviter.handle })),
      answerButtons(invitation));
    const authorControls = authorIsMe && h("div", { class: "actions" },
      post.status === "pending" && button(t("Publish now"), act(() => api("POST", `/posts/${enc(postId)}/publish`), t("The post is published.")), { "data-key": "publish" }),
      h("details", {}, h("summary", {}, t("Delete this post…")),
        button(t("Yes, delete it"), act(async () => {
          await stopReloading();
          await api("DELETE", `/posts/${enc(postId)}`);
          go("#/", t("The post is deleted."));
        }), { class: "danger" })));
    return h("article", { class: "card post" },
      post.text && h("p", { class: "text big" }, post.text),
      mediaGallery(post.media),
      remixOf(post),
      h("p", { class: "meta" },
        post.status === "pending"
          ? h("span", { class: "tag pending" }, t("pending: published when every co-author has answered"))
          : h("span", {}, t("published"), " ", when(post.published_at)),
        " · ", t("mode:"), " ", post.publish_mode === "now" ? t("publish now") : t("when every co-author has answered"),
        " · ", t("written"), " ", when(post.created_at)),
      h("h2", {}, t("Authors")),
      h("ul", { class: "people" }, people),
      post.reply_to && h("p", { class: "meta" }, t("A reply to"), " ", h("a", { href: `#/posts/${enc(post.reply_to)}` }, t("this post"))),
      post.status !== "pending" && engagementBar(post),
      answer, authorControls);
  };
  const reply = replyForm(postId);
  const replies = repliesSection(postId, currentPost);
  const remixes = remixSection(postId, currentPost);
  // Replies and remixes are for published posts only.
  const published = (post) => { for (const part of [reply, replies, remixes]) part.hidden = !post || post.status === "pending"; };
  return [heading(t("Post")), live(currentPost, (loaded) => { published(loaded.post); return draw(loaded); }, "the post"), invite,
    editsSection(postId, currentPost), handoverSection(postId, currentPost), insightsSection(postId, currentPost), reply, replies, remixes];
}

function answerButtons(invitation) {
  return [
    button(t("Accept"), act(() => api("POST", `/invitations/${enc(invitation.id)}/accept`), t("You are now a co-author.")), { "data-key": `accept:${invitation.id}` }),
    " ",
    button(t("Decline"), act(() => api("POST", `/invitations/${enc(invitation.id)}/decline`), t("You declined the invitation.")), { "data-key": `decline:${invitation.id}` }),
  ];
}

const INVITATION_STATUSES = ["pending", "accepted", "declined", "revoked", "expired", "cancelled"];

function invitationsView(params) {
  const box = params.get("box") === "sent" ? "sent" : "received";
  const status = INVITATION_STATUSES.includes(params.get("status")) ? params.get("status") : "";
  const choose = (next) => {
    const query = new URLSearchParams({ box, status, ...next });
    if (!query.get("status")) query.delete("status");
    go(`#/invitations?${query}`);
  };
  const tabs = h("div", { class: "actions", role: "group", "aria-label": t("Box") },
    ["received", "sent"].map((name) => button(name === "received" ? t("Received") : t("Sent"), () => choose({ box: name }), { "aria-pressed": String(name === box) })));
  const filter = h("label", {}, t("Status"), " ",
    h("select", { name: "status", onchange: (event) => choose({ status: event.target.value }) },
      h("option", { value: "", selected: !status }, t("all")),
      INVITATION_STATUSES.map((name) => h("option", { value: name, selected: name === status }, t(name)))));
  const query = new URLSearchParams({ box, limit: "50" });
  if (status) query.set("status", status);
  const draw = (page) => {
    if (!page.items.length) return h("p", { class: "meta" }, box === "sent" ? t("No invitations sent.") : t("No invitations received."));
    return h("ol", { class: "invitations" }, page.items.map((invitation) => {
      const other = box === "sent" ? invitation.invitee : invitation.inviter;
      const pending = invitation.status === "pending";
      return h("li", { class: "card", "data-invitation-id": invitation.id },
        h("p", {}, box === "sent" ? [t("You invited"), " ", userLink(other)] : [userLink(other), " ", t("invited you")],
          " ", t("to co-author"), " ", h("a", { href: `#/posts/${enc(invitation.post_id)}` }, t("a post")),
          invitation.credit ? t(", credited for {credit}", { credit: invitation.credit }) : "", " ",
          h("span", { class: `tag ${invitation.status}` }, t(invitation.status))),
        invitation.post_text && h("blockquote", { class: "text" }, invitation.post_text),
        invitation.post_media && invitation.post_media.length ? h("div", { class: "thumbs" }, mediaGallery(invitation.post_media)) : "",
        h("p", { class: "meta" }, t("sent"), " ", when(invitation.created_at),
          pending ? [" · ", t("expires"), " ", when(invitation.expires_at)] : invitation.responded_at ? [" · ", t("answered"), " ", when(invitation.responded_at)] : ""),
        pending && box === "received" && h("div", { class: "actions" }, answerButtons(invitation)),
        pending && box === "sent" && h("div", { class: "actions" },
          button(t("Revoke"), act(() => api("DELETE", `/posts/${enc(invitation.post_id)}/coauthors/${enc(other.handle)}`), t("The invitation to @{handle} is revoked.", { handle: other.handle })), { "data-key": `revoke:${invitation.id}` })));
    }));
  };
  return [heading(t("Invitations")), h("div", { class: "toolbar" }, tabs, filter),
    live(() => api("GET", `/invitations?${query}`), draw, "the invitations")];
}

const NOTIFICATION_TEXT = {
  "invitation.received": "invited you to co-author a post",
  "invitation.accepted": "accepted your invitation to co-author",
  "invitation.declined": "declined your invitation to co-author",
  "invitation.expired": "did not answer your invitation in time",
  "coauthor.left": "left your post",
  "coauthor.removed": "removed you from a post",
  "post.published": "published a post you co-author",
  "post.deleted": "deleted a post you co-authored",
  "follower.new": "followed you",
  "remix.requested": "asks to remix a post of yours",
  "post.remixed": "remixed a post of yours",
  "remix.approved": "approved your remix",
  "remix.rejected": "declined your remix",
  "remix.revoked": "withdrew consent for your remix",
  "post.liked": "liked your post",
  "post.replied": "replied to your post",
  "post.shared": "shared your post",
  "post.edit_proposed": "proposes an edit of a post you co-author",
  "post.edit_applied": "edited a post you co-author",
  "post.edit_rejected": "rejected an edit of a post you co-author",
  "post.edit_expired": "let an edit expire",
  "post.edited": "edited a post you engaged with",
  "post.handover_requested": "asks you to take over a post",
  "post.handed_over": "now keeps a post you co-author",
};

function notificationText(type) {
  return NOTIFICATION_TEXT[type] ? t(NOTIFICATION_TEXT[type]) : type;
}

function notificationsView() {
  const readAll = button(t("Mark all as read"), act(() => api("POST", "/notifications/read", { all: true }), t("Every notification is read.")));
  const draw = (page) => {
    if (!page.items.length) return h("p", { class: "meta" }, t("No notifications yet."));
    return [
      h("p", { class: "meta" }, t("{count} unread", { count: page.unread_count })),
      h("ol", { class: "notifications" }, page.items.map((n) =>
        h("li", { class: n.read ? "card" : "card unread", "data-type": n.type },
          h("p", {}, userLink(n.actor), n.count > 1 ? [" ", t("and {others}", { others: counted(n.count - 1, "other") })] : "", " ", notificationText(n.type),
            n.post_id && n.type !== "post.deleted" ? [" · ", h("a", { href: `#/posts/${enc(n.post_id)}` }, "open post")] : "",
            n.read ? "" : h("span", { class: "tag unread-tag" }, t("new"))),
          n.preview && h("blockquote", { class: "text preview" }, n.preview),
          h("p", { class: "meta" }, when(n.created_at),
            !n.read && [" ", button(t("Mark read"), act(() => api("POST", "/notifications/read", { ids: [n.id] })), { class: "small", "data-key": `read:${n.id}` })])))),
    ];
  };
  return [heading(t("Notifications")), h("div", { class: "toolbar" }, readAll),
    live(() => api("GET", "/notifications?limit=50"), draw, "your notifications")];
}

const POLICY_TEXT = {
  everyone: "Anyone may invite me",
  following: "Only accounts I follow may invite me",
  nobody: "Nobody may invite me",
};

const REMIX_POLICY_TEXT = {
  everyone: "Anyone I have not blocked may remix my posts",
  following: "Only accounts I follow may remix my posts",
  nobody: "Nobody may remix my posts",
};

function remixSettings(me) {
  return [
    h("fieldset", {}, h("legend", {}, t("Who may remix my posts")),
      Object.entries(REMIX_POLICY_TEXT).map(([value, text]) => h("label", { class: "choice" },
        h("input", { type: "radio", name: "remix_policy", value, checked: me.remix_policy === value }), " ", t(text)))),
    h("fieldset", {}, h("legend", {}, t("Remixes show my post")),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "remix_approval", value: "automatic", checked: me.remix_approval === "automatic" }), " ", t("at once")),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "remix_approval", value: "manual", checked: me.remix_approval === "manual" }), " ", t("once I (or a co-author) approve"))),
    h("label", {}, t("Country"), " ", h("span", { class: "hint" }, t("optional, two letters (ISO 3166), e.g. FR")),
      h("input", { name: "country", maxlength: "2", autocomplete: "country", value: me.country || "" })),
  ];
}

function settingsView() {
  const me = session.me;
  const profile = h("form", { id: "settings", "aria-labelledby": "settings-title" },
    h("h2", { id: "settings-title" }, t("Profile and collaboration")),
    h("label", {}, t("Display name"), " ", h("input", { name: "display_name", required: true, maxlength: "50", value: me.display_name })),
    h("fieldset", {}, h("legend", {}, t("Who may invite me to co-author")),
      Object.entries(POLICY_TEXT).map(([value, text]) => h("label", { class: "choice" },
        h("input", { type: "radio", name: "collab_policy", value, checked: me.collab_policy === value }), " ", t(text)))),
    remixSettings(me),
    keepPostsSettings(me),
    h("button", {}, t("Save")));
  profile.addEventListener("submit", act(async (event) => {
    const { display_name, collab_policy, remix_policy, remix_approval, country, keep_coauthored_posts } = formValues(event.target);
    setMe(await api("PATCH", "/me", { display_name, collab_policy, remix_policy, remix_approval, country: country.trim() || null, keep_coauthored_posts }));
  }, t("Your settings are saved.")));
  const remove = h("form", { id: "delete-account", "aria-labelledby": "delete-title", class: "danger-zone" },
    h("h2", { id: "delete-title" }, t("Delete my account")),
    h("p", {}, t("Your account and the posts you authored are deleted; your credits on others' posts are removed. This cannot be undone.")),
    h("label", { class: "choice" }, h("input", { type: "checkbox", name: "confirm", required: true }), " I understand"),
    h("button", { class: "danger" }, t("Delete my account")));
  remove.addEventListener("submit", act(async () => {
    await stopReloading();
    await api("DELETE", "/me");
    signOut();
  }, t("Your account is deleted.")));
  const exportData = h("form", { id: "export-data", "aria-labelledby": "export-title" },
    h("h2", { id: "export-title" }, t("Export my data")),
    h("p", {}, t("One zip file with everything CoPost holds about you: your profile, your posts and those you co-author, replies, likes, follows, blocks, mutes, invitations and notifications. Once an hour.")),
    h("button", {}, t("Export my data")));
  exportData.addEventListener("submit", act(async () => {
    await download("/me/export", "application/zip", "copost-export.zip");
  }, t("Your data is downloading (copost-export.zip).")));
  return [heading(t("Settings")), languageSettings(), profile, avatarSettings(), exportData, remove];
}

// The language of this browser's CoPost (kept in it); by default the browser's own.
function languageSettings() {
  const choice = h("select", { name: "language", id: "language" },
    Object.entries(LANGUAGES).map(([code, name]) => h("option", { value: code, selected: code === language, lang: code }, name)));
  choice.addEventListener("change", () => {
    localStorage.setItem("copost.language", choice.value);
    location.reload();
  });
  return h("form", { id: "language-settings", "aria-labelledby": "language-title" },
    h("h2", { id: "language-title" }, t("Language")),
    h("label", { for: "language" }, t("Language of CoPost")), choice);
}

// The posts of one #tag among the latest of the home timeline (the API has no search by tag).
function tagView(tag) {
  const tagged = new RegExp(`(^|[^\\w#&])#${tag.replace(/[^\w]/gu, "")}(?!\\w)`, "iu");
  const load = async () => {
    const page = await api("GET", "/timeline?limit=50");
    return { items: await learnRelationships(page.items.filter((post) => tagged.test(post.text || ""))), next_cursor: null };
  };
  return [heading(`#${tag}`), h("p", { class: "meta" }, t("Posts with this tag among the latest of your timeline.")),
    live(load, (page) => postList(page, null, t("No post of your timeline has this tag.")), "the posts")];
}

// ---------------------------------------------------------------- edits and hand-overs


const KEEP_POSTS_TEXT = {
  delete: "are deleted with it",
  hand_over: "pass to their earliest co-author",
};

function editedMark(post) {
  return post.edited_at ? [" · ", h("span", { class: "tag edited", title: t("version {version}", { version: post.version }) }, t("edited"), " ", when(post.edited_at))] : "";
}

function keepPostsSettings(me) {
  return h("fieldset", {}, h("legend", {}, t("When I delete my account, my co-authored posts")),
    Object.entries(KEEP_POSTS_TEXT).map(([value, text]) => h("label", { class: "choice" },
      h("input", { type: "radio", name: "keep_coauthored_posts", value, checked: (me.keep_coauthored_posts || "delete") === value }), " ", t(text))));
}

// Words removed and added between two texts (a longest common subsequence of words).
function wordDiff(before, after) {
  const a = before.split(/(\s+)/), b = after.split(/(\s+)/);
  const common = a.map(() => new Array(b.length + 1).fill(0));
  common.push(new Array(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i][j] = a[i] === b[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
    }
  }
  const parts = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) { parts.push(a[i]); i++; j++; }
    else if (j < b.length && (i === a.length || common[i][j + 1] >= common[i + 1][j])) parts.push(h("ins", {}, b[j++]));
    else parts.push(h("del", {}, a[i++]));
  }
  return h("p", { class: "diff", "aria-label": t("Changes") }, parts);
}

const EDIT_STATUS_TEXT = {
  pending: "waiting for every co-author's approval",
  applied: "applied",
  rejected: "rejected",
  expired: "expired before everyone approved",
  withdrawn: "withdrawn",
};

// Proposing an edit, reviewing the open one (approve, reject, withdraw), and the history.
function editsSection(postId, currentPost) {
  const load = async () => {
    const { post } = await currentPost();
    // Only a published post has a history, and only its credited authors see proposals.
    if (!post || post.status !== "published") return { post: null };
    const [edits, history] = await Promise.all([
      postAuthors(post).some(isMe) ? api("GET", `/posts/${enc(postId)}/edits`) : { items: [] },
      api("GET", `/posts/${enc(postId)}/history`)]);
    return { post, edit: edits.items[0], history: history.items };
  };
  const draw = ({ post, edit, history }) => {
    if (!post) return [];
    const credited = postAuthors(post).some(isMe);
    return h("section", { class: "card edits", "aria-labelledby": "edits-title" },
      h("h2", { id: "edits-title" }, t("Edits")),
      edit && editReview(postId, edit),
      credited && post.status === "published" && !(edit && edit.status === "pending") && editForm(postId, post),
      history.length > 1 ? editHistory(history) : h("p", { class: "meta" }, t("Never edited.")));
  };
  return live(load, draw, "the edits");
}

// The text, and for each of the post's media whether it stays and its alt text.
function editForm(postId, post) {
  const media = post.media || [];
  const form = h("form", { class: "propose-edit", "aria-label": t("Propose an edit") },
    h("label", {}, t("New text"), " ", h("textarea", { name: "text", required: !media.length, maxlength: "500", rows: "3" }, post.text)),
    media.length ? h("fieldset", { class: "edit-media" }, h("legend", {}, t("Media")),
      media.map((medium, index) => h("div", { class: "edit-medium", "data-media-id": medium.id },
        h("label", {}, h("input", { type: "checkbox", name: `keep:${medium.id}`, checked: true }), " ", t("Keep media {number}", { number: index + 1 })), " ",
        h("label", {}, t("Alt text of media {number}", { number: index + 1 }), " ", h("input", { name: `alt:${medium.id}`, value: medium.alt_text || "", maxlength: "1500" }))))) : "",
    h("button", { "data-key": "propose-edit" }, post.coauthors.some((c) => c.status === "accepted") ? t("Propose this edit") : t("Save this edit")));
  form.addEventListener("submit", act(async (event) => {
    const values = formValues(event.target);
    const kept = media.filter((medium) => values[`keep:${medium.id}`]);
    const altTexts = Object.fromEntries(kept.filter((medium) => (values[`alt:${medium.id}`] || "").trim() !== (medium.alt_text || ""))
      .map((medium) => [medium.id, values[`alt:${medium.id}`]]));
    const body = { text: values.text, base_version: post.version };
    if (kept.length !== media.length) body.media_ids = kept.map((medium) => medium.id);
    if (Object.keys(altTexts).length) body.alt_texts = altTexts;
    const edit = await api("POST", `/posts/${enc(postId)}/edits`, body);
    say(edit.status === "applied" ? t("The post is edited.") : t("Your edit waits for your co-authors' approval."));
  }));
  return form;
}

function editReview(postId, edit) {
  const mine = edit.approvals.find((approval) => isMe(approval.user));
  const pending = edit.status === "pending";
  return h("div", { class: "edit-review", "data-edit-id": edit.id, "data-status": edit.status },
    h("p", {}, userLink(edit.proposer), " ", t("proposed an edit: {status}", { status: t(EDIT_STATUS_TEXT[edit.status] || edit.status) }),
      pending ? [" ", t("until"), " ", when(edit.expires_at)] : ""),
    edit.previous_text !== null ? wordDiff(edit.previous_text, edit.text) : h("p", {}, edit.text),
    edit.media.length ? h("div", { class: "edit-media", "aria-label": t("Media after the edit") }, mediaGallery(edit.media),
      h("ul", { class: "meta" }, edit.media.map((medium) => h("li", { "data-media-id": medium.id }, t("Alt text"), ": ", medium.alt_text || t("none"))))) : "",
    h("ul", { class: "people" }, edit.approvals.map((approval) => h("li", { "data-approval": approval.user.handle }, userLink(approval.user), " — ", t(approval.state)))),
    pending && h("div", { class: "actions" },
      mine && mine.state === "pending" && [
        button(t("Approve edit"), act(() => api("POST", `/posts/${enc(postId)}/edits/${enc(edit.id)}/approve`), t("You approved the edit.")), { "data-key": `approve-edit:${edit.id}` }), " ",
        button(t("Reject edit"), act(() => api("POST", `/posts/${enc(postId)}/edits/${enc(edit.id)}/reject`), t("You rejected the edit.")), { "data-key": `reject-edit:${edit.id}` })],
      (isMe(edit.proposer) || !mine) && button(t("Withdraw edit"), act(() => api("DELETE", `/posts/${enc(postId)}/edits/${enc(edit.id)}`), t("The edit is withdrawn.")), { "data-key": `withdraw-edit:${edit.id}` })));
}

function editHistory(versions) {
  return h("details", { class: "history" }, h("summary", {}, t("History"), ": ", counted(versions.length, "version")),
    h("ol", {}, versions.map((version) => h("li", { "data-version": version.version },
      h("p", { class: "meta" }, t("Version {version}", { version: version.version }), " · ", version.edited_at ? [t("edited"), " ", when(version.edited_at)] : t("as published")),
      h("p", { class: "text" }, version.text), mediaGallery(version.media)))));
}

// Handing the post to an accepted co-author, answering such a request, and the author's
// choice for when their account is deleted.
function handoverSection(postId, currentPost) {
  const load = async () => {
    const { post } = await currentPost();
    const handover = post && postAuthors(post).some(isMe) ? (await api("GET", `/posts/${enc(postId)}/handovers`)).items[0] : null;
    return { post, handover };
  };
  const draw = ({ post, handover }) => {
    if (!post) return [];
    const authorIsMe = isMe(post.author);
    const waiting = handover && handover.status === "pending";
    const askedOfMe = waiting && isMe(handover.to);
    if (!authorIsMe && !askedOfMe) return [];
    const accepted = post.coauthors.filter((c) => c.status === "accepted");
    return h("section", { class: "card handover", "aria-labelledby": "handover-title" },
      h("h2", { id: "handover-title" }, t("Who keeps this post")),
      askedOfMe && h("div", { class: "actions" }, h("p", {}, userLink(post.author), " ", t("asks you to take this post over.")),
        button(t("Accept hand-over"), act(() => api("POST", `/posts/${enc(postId)}/handover/accept`), t("You are now the post's author.")), { "data-key": "accept-handover" }), " ",
        button(t("Decline hand-over"), act(() => api("POST", `/posts/${enc(postId)}/handover/decline`), t("You declined the hand-over.")), { "data-key": "decline-handover" })),
      authorIsMe && waiting && h("p", {}, t("Waiting for"), " ", userLink(handover.to), " ", t("to accept."), " ",
        button(t("Cancel hand-over"), act(() => api("DELETE", `/posts/${enc(postId)}/handover`), t("The hand-over is cancelled.")), { "data-key": "cancel-handover" })),
      authorIsMe && !waiting && accepted.length > 0 && handoverForm(postId, accepted),
      authorIsMe && accepted.length > 0 && keepChoice(postId));
  };
  return live(load, draw, "who keeps the post");
}

function handoverForm(postId, accepted) {
  const form = h("form", { class: "handover-form", "aria-label": t("Hand this post over") },
    h("label", {}, t("Hand over to"), " ", h("select", { name: "to" }, accepted.map((c) => h("option", { value: c.user.handle }, `@${c.user.handle}`)))),
    h("button", { "data-key": "request-handover" }, t("Ask to take it over")));
  form.addEventListener("submit", act((event) => api("POST", `/posts/${enc(postId)}/handover`, { to: formValues(event.target).to }), t("Hand-over asked.")));
  return form;
}

function keepChoice(postId) {
  const form = h("form", { class: "keep-choice", "aria-label": t("If I delete my account") },
    h("label", {}, t("If I delete my account, this post"), " ",
      h("select", { name: "on_author_deletion" },
        h("option", { value: "" }, t("follows my settings")),
        h("option", { value: "delete" }, t("is deleted with it")),
        h("option", { value: "hand_over" }, t("passes to its earliest co-author")))),
    h("button", { "data-key": "keep-choice" }, t("Save")));
  form.addEventListener("submit", act((event) => api("PUT", `/posts/${enc(postId)}/succession`,
    { on_author_deletion: formValues(event.target).on_author_deletion || null }), t("Your choice for this post is saved.")));
  return form;
}

const VIEWS = [
  [/^#\/tags\/([^/?]+)$/, (match) => tagView(decodeURIComponent(match[1]))],
  [/^#?\/?$/, () => homeView()],
  [/^#\/users\/([^/?]+)$/, (match) => profileView(decodeURIComponent(match[1]))],
  [/^#\/posts\/([^/?]+)$/, (match) => postView(decodeURIComponent(match[1]))],
  [/^#\/invitations(?:\?(.*))?$/, (match) => invitationsView(new URLSearchParams(match[1] || ""))],
  [/^#\/notifications$/, () => notificationsView()],
  [/^#\/remix-requests(?:\?(.*))?$/, (match) => remixRequestsView(new URLSearchParams(match[1] || ""))],
  [/^#\/settings$/, () => settingsView()],
];

function showView() {
  if (!session.token) return showSignedOut();
  const hash = location.hash;
  screen = { hash, sections: [], reloading: new Set() };
  let content = null;
  for (const [pattern, view] of VIEWS) {
    const match = hash.match(pattern);
    if (match) { content = view(match); break; }
  }
  content = content || [heading(t("Not found")), h("p", {}, t("There is no such page."), " ", h("a", { href: "#/" }, t("Go home")))];
  $("#view").replaceChildren(...content);
  selected = null;
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === hash.split("?")[0] || (link.getAttribute("href") === "#/" && hash === "")) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${$("#view-title").textContent} · CoPost`;
  $("#view-title").focus();
  refresh();
}

// ---------------------------------------------------------------- session and live stream

function setMe(me) {
  session.me = me;
  $("#whoami").textContent = `${me.display_name} @${me.handle}`;
  $("#my-profile").setAttribute("href", `#/users/${enc(me.handle)}`);
}

function openStream() {
  if (session.stream) session.stream.close();
  // EventSource cannot send headers: this one route accepts the token as a query parameter.
  session.stream = new EventSource(`/v1/notifications/stream?access_token=${enc(session.token)}`);
  session.stream.addEventListener("notification", (event) => {
    const notification = JSON.parse(event.data);
    const actor = notification.actor ? `@${notification.actor.handle}` : t("Someone");
    showMessage("activity", `${actor} ${notificationText(notification.type)}.`);
    settle();
  });
  session.stream.addEventListener("home.updated", (event) => {
    if (screen.homeUpdated) screen.homeUpdated(event.data);
  });
  // EventSource retries on its own after a dropped connection, but gives up on a refused one
  // (an expired token): asking who we are then signs out on a 401, or else opens a new stream.
  session.stream.addEventListener("error", () => {
    if (session.stream.readyState !== EventSource.CLOSED) return;
    api("GET", "/me").then(() => setTimeout(() => session.token && openStream(), STREAM_REOPEN_MS), () => undefined);
  });
}

// New posts of the people one follows come over the stream (home.updated). The views reload
// every 30 s while it is down, and every 2 minutes while it is up: the stream does not announce
// celebrities' posts, which are merged into homes when read (docs/web-client.md).
const POLL_MS = 30000;
const POLL_WHILE_STREAM_UP_MS = 120000;

function pollForPostsTheStreamMisses() {
  const streamUp = session.stream && session.stream.readyState === EventSource.OPEN;
  if (streamUp && Date.now() - session.polledAt < POLL_WHILE_STREAM_UP_MS) return;
  session.polledAt = Date.now();
  refresh();
}

async function signIn(token) {
  session.token = token;
  sessionStorage.setItem("copost.token", token);
  localStorage.setItem(SIGNED_IN, "yes");
  setMe(await api("GET", "/me"));
  for (const id of ["#nav", "#find-user", "#sign-out", "#compose-open"]) $(id).hidden = false;
  document.body.classList.add("signed-in");
  openStream();
  clearInterval(session.poll);
  session.polledAt = Date.now();
  session.poll = setInterval(pollForPostsTheStreamMisses, POLL_MS);
  showView();
}

function signOut() {
  sessionStorage.removeItem("copost.token");
  localStorage.removeItem(SIGNED_IN);
  if (session.stream) session.stream.close();
  Object.assign(session, { token: null, me: null, stream: null });
  settleTimers.forEach(clearTimeout);
  clearInterval(session.poll);
  for (const id of ["#nav", "#find-user", "#sign-out", "#compose-open"]) $(id).hidden = true;
  document.body.classList.remove("signed-in");
  $("#whoami").textContent = "";
  showMessage("activity", "");
  showError(null);
  showSignedOut();
}

function showSignedOut() {
  screen = { hash: null, sections: [], reloading: new Set() };
  $("#view").replaceChildren($("#signed-out").content.cloneNode(true));
  translateMarkup($("#view"));
  document.title = `${t("Sign in")} · CoPost`;
  $("#sign-in").addEventListener("submit", act(async (event) => {
    const { handle, password } = formValues(event.target);
    const { access_token } = await api("POST", "/auth/token", { handle: handle.trim(), password });
    await signIn(access_token);
  }));
  $("#sign-up").addEventListener("submit", act(async (event) => {
    const { handle, password, display_name } = formValues(event.target);
    await api("POST", "/users", { handle: handle.trim(), password, display_name });
    const { access_token } = await api("POST", "/auth/token", { handle: handle.trim(), password });
    await signIn(access_token);
  }, t("Welcome to CoPost.")));
}

// ---------------------------------------------------------------- keyboard shortcuts

// n: write a post; j / k: next / previous post; l: like it; o: open it; ?: the help.
let selected = null;

function selectPost(step) {
  const cards = [...document.querySelectorAll("#view li.post")];
  if (!cards.length) return;
  const index = cards.indexOf(selected);
  const next = cards[Math.max(0, Math.min(cards.length - 1, index < 0 ? 0 : index + step))];
  if (selected) markSelected(selected, false);
  selected = next;
  markSelected(next, true);
  next.querySelector("article").focus();
  next.scrollIntoView({ block: "nearest" });
}

// The selected card's article, which takes the focus, says it is the current one (screen
// readers announce "current"); the outline shows it.
function markSelected(card, on) {
  const article = card.querySelector("article");
  if (on) article.setAttribute("aria-current", "true");
  else article.removeAttribute("aria-current");
}

const SHORTCUTS = {
  n: () => openCompose(),
  j: () => selectPost(1),
  k: () => selectPost(-1),
  l: () => selected && selected.isConnected && selected.querySelector("button.like") && selected.querySelector("button.like").click(),
  o: () => selected && selected.isConnected && (location.hash = `#/posts/${enc(selected.dataset.postId)}`),
  "?": () => $("#shortcuts-help").showModal(),
};

document.addEventListener("keydown", (event) => {
  if (!session.token || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, [contenteditable], dialog[open]")) return;
  const shortcut = SHORTCUTS[event.key];
  if (!shortcut) return;
  event.preventDefault();
  shortcut();
});

$("#compose-open").addEventListener("click", openCompose);
$("#viewer-close").addEventListener("click", () => $("#viewer").close());
// A click on the backdrop (the dialog itself, not its contents) closes the viewer too.
$("#viewer").addEventListener("click", (event) => { if (event.target === event.currentTarget) event.currentTarget.close(); });
$("#find-user").addEventListener("submit", (event) => {
  event.preventDefault();
  const handle = formValues(event.target).handle.trim().replace(/^@/, "").toLowerCase();
  event.target.reset();
  if (handle) location.hash = `#/users/${enc(handle)}`;
});
$("#sign-out").addEventListener("click", () => {
  const token = session.token;
  if (session.me) forgetDrafts(session.me.id);
  signOut();
  say(t("You are signed out."));
  // Ends the session on the server too (the refresh cookie's family), not only in this tab.
  fetch("/v1/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${token}` } }).catch(() => undefined);
});
window.addEventListener("hashchange", () => {
  showError(null);
  say(session.arrivalMessage || "");
  session.arrivalMessage = null;
  showView();
});

document.documentElement.lang = language;
translateMarkup(document);
setInterval(relativeTimes, 60000);

// A new tab has no access token yet: the refresh cookie of an earlier sign-in gives one
// (asked for only when this browser signed in and did not sign out since: the cookie is
// HttpOnly, so this is how the script knows one may be there).
if (session.token) signIn(session.token).catch(() => signOut());
else if (!localStorage.getItem(SIGNED_IN)) showSignedOut();
else renewSession().then((renewed) => (renewed ? signIn(session.token) : showSignedOut())).catch(() => signOut());
