"""The GraphQL surface: types, inputs, payloads, errors, the request context and its loaders."""
