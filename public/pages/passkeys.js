// Drives /passkeys (src/pages): sign in (password or access token), add a passkey, list and
// remove them, and sign in with one, against this API, with the browser's own WebAuthn JSON
// helpers (PublicKeyCredential.parseCreationOptionsFromJSON / parseRequestOptionsFromJSON and
// the credential's toJSON()), so no library is needed. A file, not an inline script, so the
// page's CSP allows scripts from this origin only. Text goes in with textContent, never as HTML.
"use strict";

/** The access token of the signed-in account, in memory only: a reload signs out. */
let accessToken = null;

const $ = (id) => document.getElementById(id);

function show(text, ok) {
  const result = $("result");
  result.textContent = text;
  result.className = ok ? "ok" : "error";
  result.hidden = false;
}

/** One reason, in words, from a problem+json answer. */
function reasonOf(answer, status) {
  const first = (answer.errors || [])[0];
  if (first) return `${first.path} ${first.message}.`;
  return answer.detail || `The server answered ${status}. Try again later.`;
}

async function api(path, { method = "POST", body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(reasonOf(answer, response.status));
  return answer;
}

/** What a WebAuthn failure means to the person in front of the browser. */
function webauthnReason(error) {
  if (error.name === "NotAllowedError") {
    return "The browser or the authenticator declined: cancelled, timed out, or no passkey for this site.";
  }
  if (error.name === "InvalidStateError") {
    return "This authenticator holds a passkey for this account already.";
  }
  if (error.name === "SecurityError") {
    return "The browser refused this origin for passkeys (open the page at localhost, not 127.0.0.1).";
  }
  return error.message;
}

/** Passkeys belong to the RP ID: a page on another host (127.0.0.1 for localhost) cannot use them. */
function assertOrigin(rpId) {
  const host = window.location.hostname;
  if (host !== rpId && !host.endsWith(`.${rpId}`)) {
    const port = window.location.port ? `:${window.location.port}` : "";
    throw new Error(
      `This server's passkeys belong to ${rpId}: open ${window.location.protocol}//${rpId}${port}/passkeys instead.`,
    );
  }
}

function assertSupported() {
  if (
    !window.PublicKeyCredential ||
    typeof PublicKeyCredential.parseCreationOptionsFromJSON !== "function"
  ) {
    throw new Error("This browser has no WebAuthn JSON support (a current Chrome, Edge, Firefox or Safari has).");
  }
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : "never");

async function listPasskeys() {
  const list = $("passkeys");
  const passkeys = await api("/auth/passkeys", { method: "GET", token: accessToken });
  list.replaceChildren(
    ...passkeys.map((passkey) => {
      const item = document.createElement("li");
      const text = document.createElement("span");
      text.textContent = `${passkey.name}: added ${when(passkey.created_at)}, last used ${when(passkey.last_used_at)}${passkey.backed_up ? ", synced" : ""}`;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "Remove";
      remove.addEventListener("click", async () => {
        try {
          await api(`/auth/passkeys/${passkey.id}`, { method: "DELETE", token: accessToken });
          show(`Passkey "${passkey.name}" removed.`, true);
          await listPasskeys();
        } catch (error) {
          show(error.message, false);
        }
      });
      item.append(text, " ", remove);
      return item;
    }),
  );
  $("no-passkeys").hidden = passkeys.length > 0;
}

async function signIn(token, how) {
  const user = await api("/users/me", { method: "GET", token });
  accessToken = token;
  $("who").textContent = `Signed in as ${user.email} ${how}.`;
  $("sign-in").hidden = true;
  $("sign-out").hidden = false;
  $("add").hidden = false;
  await listPasskeys();
}

function signOut() {
  if (accessToken) api("/auth/logout", { token: accessToken }).catch(() => {});
  accessToken = null;
  $("who").textContent = "Not signed in.";
  $("sign-in").hidden = false;
  $("sign-out").hidden = true;
  $("add").hidden = true;
}

/** Runs a form's action with its button disabled, showing any failure. */
function onSubmit(id, action) {
  const form = $(id);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      await action(new FormData(form));
    } catch (error) {
      show(webauthnReason(error), false);
    }
    button.disabled = false;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  onSubmit("password-form", async (data) => {
    const answer = await api("/auth/login", {
      body: { email: data.get("email"), password: data.get("password") },
    });
    if (answer.mfa_required) {
      throw new Error("This account has two-factor login: sign in with a passkey, or use an access token.");
    }
    await signIn(answer.access_token, "with a password");
    show("Signed in. Add a passkey below.", true);
  });

  onSubmit("token-form", async (data) => {
    await signIn(String(data.get("token")).replace(/^Bearer\s+/i, "").trim(), "with an access token");
    show("Signed in. Add a passkey below.", true);
  });

  $("sign-out").addEventListener("click", () => {
    signOut();
    show("Signed out.", true);
  });

  onSubmit("add-form", async (data) => {
    assertSupported();
    const password = data.get("current_password");
    const started = await api("/auth/passkeys/register/options", {
      body: password ? { current_password: password } : {},
      token: accessToken,
    });
    assertOrigin(started.options.rp.id);
    const publicKey = PublicKeyCredential.parseCreationOptionsFromJSON(started.options);
    const credential = await navigator.credentials.create({ publicKey });
    const name = String(data.get("name") || "").trim();
    const added = await api("/auth/passkeys/register/verify", {
      body: { challenge_id: started.challenge_id, response: credential.toJSON(), ...(name ? { name } : {}) },
      token: accessToken,
    });
    $("add-form").reset();
    show(`Passkey "${added.name}" added.`, true);
    await listPasskeys();
  });

  onSubmit("passkey-form", async (data) => {
    assertSupported();
    const email = String(data.get("email") || "").trim();
    const started = await api("/auth/passkeys/login/options", { body: email ? { email } : {} });
    assertOrigin(started.options.rpId);
    const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(started.options);
    const credential = await navigator.credentials.get({ publicKey });
    const answer = await api("/auth/passkeys/login/verify", {
      body: { challenge_id: started.challenge_id, response: credential.toJSON() },
    });
    await signIn(answer.access_token, "with a passkey");
    show("Signed in with a passkey.", true);
  });
});
