"""Mail: message builders (en, nl; text and HTML), the outbox, its relay and delivery backends."""
