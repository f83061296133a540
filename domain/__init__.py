"""The rules of Carespace, one module per domain. Plain typed async functions over the models:
they take the viewer or the acting member and plain values, return rows or small dataclasses,
and raise `domain.errors.DomainError`. Nothing here knows GraphQL."""
