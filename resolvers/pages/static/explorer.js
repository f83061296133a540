// Starts GraphiQL on /graphql. Requests go to this origin only: queries and mutations by POST
// (same-origin fetch sends and keeps the session cookie, so signIn signs the explorer in), and
// subscriptions over graphql-transport-ws on the same path. The query is kept in the browser's
// local storage, never in the address (a signIn mutation carries a password).
(function () {
  "use strict";
  const DEFAULT_QUERY = [
    "# Carespace's GraphQL explorer. Sign in first (the session cookie keeps you signed in):",
    "#",
    '# mutation { signIn(email: "clinician@example.com", password: "…") { errors { code message } } }',
    "#",
    "# then ask who you are. Ctrl-Enter runs the query; the Docs button shows the schema.",
    "{ viewer { email firstName memberships { kind roles healthspace { id name } } } }",
    "",
  ].join("\n");
  const url = window.location.origin + window.location.pathname;
  const headers = {};
  const csrfToken = Cookies.get("csrftoken");
  if (csrfToken) headers["x-csrftoken"] = csrfToken;
  const fetcher = GraphiQL.createFetcher({
    url: url,
    headers: headers,
    subscriptionUrl: url.replace(/^http/, "ws"),
  });
  function Explorer() {
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultEditorToolsVisibility: true,
      plugins: [GraphiQLPluginExplorer.explorerPlugin()],
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    });
  }
  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(Explorer));
})();
