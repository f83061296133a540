"""The GraphQL surface: types, inputs, payloads, errors, the request context and its loaders."""

# Registers the domain's enums as GraphQL enums before any type of the package uses them.
from schema import enums as enums
