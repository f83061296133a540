"""One module per domain: root Query/Mutation fields with their permission classes, and the
rules of that domain. server.py merges these root types into the schema."""

from __future__ import annotations

from resolvers import accounts, healthspaces, members

ROOT_QUERIES: list[type] = [accounts.Query, healthspaces.Query, members.Query]
ROOT_MUTATIONS: list[type] = [accounts.Mutation, healthspaces.Mutation, members.Mutation]
