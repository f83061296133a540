// The built-in mail-link pages (resolvers/pages/mail_links.py): read the token from the address,
// keep it in this tab only, take it out of the address bar, and call the GraphQL mutations.
(function () {
  "use strict";
  const page = document.getElementById("page");
  const kind = page.dataset.kind;
  const text = (key) => page.dataset[key.replace(/[._]([a-z])/g, (_, c) => c.toUpperCase())];
  const form = document.getElementById("form");
  const message = document.getElementById("message");
  const intro = document.getElementById("intro");
  const detail = document.getElementById("detail");

  const address = new URL(window.location.href);
  const fromAddress =
    address.searchParams.get("token") || new URLSearchParams(address.hash.slice(1)).get("token");
  const storageKey = "carespace:" + kind + ":token";
  if (fromAddress) sessionStorage.setItem(storageKey, fromAddress);
  const token = fromAddress || sessionStorage.getItem(storageKey);
  address.searchParams.delete("token");
  address.hash = "";
  history.replaceState(null, "", address.pathname + address.search);

  function show(line, failed) {
    message.textContent = line;
    message.className = failed ? "failed" : "";
  }

  async function graphql(query, variables) {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ query: query, variables: variables }),
    });
    const result = await response.json();
    if (result.errors && result.errors.length) throw new Error(result.errors[0].message);
    return result.data;
  }

  function failedWith(errors) {
    show(text("failed") + " " + errors.map((e) => e.message).join(" "), true);
  }

  const fill = (template, values) =>
    template.replace(/\{(\w+)\}/g, (_, name) => values[name] || "");

  const MUTATIONS = {
    accept:
      "mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) {" +
      " member { healthspace { name } } errors { field code message } } }",
    verify:
      "mutation($token: String!) { verifyEmail(token: $token) { account { email }" +
      " errors { field code message } } }",
    reset:
      "mutation($token: String!, $password: String!) { resetPassword(token: $token," +
      " password: $password) { account { email } errors { field code message } } }",
  };
  let healthspace = "";

  async function start() {
    if (!token) {
      form.hidden = true;
      show(text("no_token"), true);
      return;
    }
    if (kind !== "accept") return;
    const data = await graphql(
      "query($token: String!) { invitation(token: $token) { status kind firstName lastName" +
        " maskedEmail inviterName accountExists healthspace { name } } }",
      { token: token },
    );
    const invitation = data.invitation;
    if (!invitation || invitation.status !== "PENDING") {
      intro.textContent = text("accept.closed");
      form.hidden = true;
      return;
    }
    healthspace = invitation.healthspace.name;
    intro.textContent = fill(text("accept.intro"), {
      healthspace: healthspace,
      inviter: invitation.inviterName,
    });
    detail.textContent =
      invitation.maskedEmail + " · " + text(invitation.accountExists ? "accept.existing" : "accept.new");
    form.elements.firstName.value = invitation.firstName;
    form.elements.lastName.value = invitation.lastName;
    if (invitation.accountExists) {
      form.elements.firstName.parentElement.hidden = true;
      form.elements.lastName.parentElement.hidden = true;
      form.elements.password.autocomplete = "current-password";
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    show(text("loading"), false);
    const values = Object.fromEntries(new FormData(form).entries());
    try {
      let payload;
      if (kind === "accept") {
        const input = { token: token, password: values.password || null };
        if (!form.elements.firstName.parentElement.hidden) {
          input.firstName = values.firstName || null;
          input.lastName = values.lastName || null;
        }
        payload = (await graphql(MUTATIONS.accept, { input: input })).acceptInvitation;
      } else if (kind === "verify") {
        payload = (await graphql(MUTATIONS.verify, { token: token })).verifyEmail;
      } else {
        payload = (await graphql(MUTATIONS.reset, { token: token, password: values.password }))
          .resetPassword;
      }
      if (payload.errors.length) return failedWith(payload.errors);
      sessionStorage.removeItem(storageKey);
      form.hidden = true;
      show(fill(text(kind + ".done"), { healthspace: healthspace }), false);
    } catch (error) {
      show(text("failed") + " " + error.message, true);
    }
  });

  start().catch((error) => show(text("failed") + " " + error.message, true));
})();
