// Drives the one form of /reset-password and /verify-email (src/pages): takes the token from the
// link, posts the form's fields as JSON to the form's endpoint, and shows the answer. A file, not
// an inline script, so the pages' CSP allows scripts from this origin only.
"use strict";

/** What the API's fields are called on these pages. */
const LABELS = {
  new_password: "The new password",
  reset_token: "The link",
  token: "The link",
  email: "The email address",
};

/** One reason, in words: the first refused field by its label, else the problem's detail. */
function reasonOf(answer, status) {
  const first = (answer.errors || [])[0];
  if (first && LABELS[first.path]) return `${LABELS[first.path]} ${first.message}.`;
  return answer.detail || `The server answered ${status}. Try again later.`;
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-endpoint]");
  const result = document.getElementById("result");
  if (!form || !result) return;

  const show = (text, ok) => {
    result.textContent = text;
    result.className = ok ? "ok" : "error";
    result.hidden = false;
  };

  const url = new URL(window.location.href);
  const token = url.searchParams.get("token");
  // The reset link names its account after `#`, for password managers (the hidden username).
  const username = document.getElementById("username");
  const email = new URLSearchParams(url.hash.slice(1)).get("email");
  if (username && email) username.value = email;
  // The token should not stay in the address bar, the history or a bookmark.
  url.searchParams.delete("token");
  window.history.replaceState(null, "", url.pathname + url.search);
  if (!token) {
    show("This link has no token. Open the link from the email again.", false);
    for (const element of form.elements) element.disabled = true;
    return;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { [form.dataset.tokenField]: token };
    for (const input of form.querySelectorAll("input[name]")) {
      const twin = input.dataset.sameAs;
      if (twin) {
        if (input.value !== form.elements.namedItem(twin).value) {
          show("The two passwords differ.", false);
          return;
        }
      } else {
        body[input.name] = input.value;
      }
    }
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const response = await fetch(form.dataset.endpoint, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        show(answer.message || "Done.", true);
        form.hidden = true;
        return;
      }
      show(reasonOf(answer, response.status), false);
    } catch {
      show("The server could not be reached. Try again.", false);
    }
    button.disabled = false;
  });
});
