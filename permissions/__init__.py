"""Who may do what: roles → permissions, the viewer, permission classes, object-level checks."""
