"""One module per domain: root Query/Mutation/Subscription fields with their permission classes, and the
rules of that domain. server.py merges these root types into the schema."""

from __future__ import annotations

from resolvers import (
    acceptance,
    accounts,
    connections,
    healthspaces,
    invitations,
    join_requests,
    member_lookup,
    members,
    records,
    roster,
    subscriptions,
)

ROOT_QUERIES: list[type] = [
    accounts.Query,
    healthspaces.Query,
    members.Query,
    acceptance.Query,
    roster.Query,
    join_requests.Query,
    member_lookup.Query,
    records.Query,
]
ROOT_MUTATIONS: list[type] = [
    accounts.Mutation,
    healthspaces.Mutation,
    members.Mutation,
    invitations.Mutation,
    acceptance.Mutation,
    roster.Mutation,
    connections.Mutation,
    join_requests.Mutation,
    records.Mutation,
]
ROOT_SUBSCRIPTIONS: list[type] = [subscriptions.Subscription]
