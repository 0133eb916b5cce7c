"""Access: who may read what (users, scopes, masking), who may approve what (reviewers), URL areas, nginx, CSP."""
