"""One module per domain: root Query/Mutation fields with their permission classes, and the
rules of that domain. server.py merges these root types into the schema."""

from __future__ import annotations

from resolvers import accounts, healthspaces, members

ROOT_QUERIES: list[type] = [accounts.Query, healthspaces.Query, members.Query]
ROOT_MUTATIONS: list[type] = [accounts.Mutation, healthspaces.Mutation, members.Mutation]

from resolvers import roster  # noqa: E402

ROOT_QUERIES.append(roster.Query)
ROOT_MUTATIONS.append(roster.Mutation)

from resolvers import invitations  # noqa: E402

ROOT_QUERIES.append(invitations.Query)
ROOT_MUTATIONS.append(invitations.Mutation)

from resolvers import connections, join_requests, tasks  # noqa: E402

ROOT_QUERIES.extend([join_requests.Query, tasks.Query])
ROOT_MUTATIONS.extend([connections.Mutation, join_requests.Mutation])
